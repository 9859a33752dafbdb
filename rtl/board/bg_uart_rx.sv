// UART receiver, 8N1 (bg_uart_tx's format). rx_i is asynchronous: it passes a 2-flop synchronizer first.
// A falling edge on the idle line starts a frame; the start bit is checked again half a bit later (a
// shorter low pulse is a glitch and is ignored), and from there every bit is sampled one bit time later,
// i.e. in the middle of the bit. A frame whose stop bit is 0 is dropped (frame_err_o pulses for a cycle).
// The receiver is ready for the next start bit in the middle of the stop bit.
//
// Byte interface: valid_o stays high with data_o until a cycle with ready_i. A byte that completes while
// the previous one is still held is dropped and overrun_o pulses for a cycle.
module bg_uart_rx #(
  parameter int unsigned ClksPerBit = 104,  // clock frequency / baud rate
  localparam int unsigned CntW = $clog2(ClksPerBit)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       rx_i,
  output logic       valid_o,
  output logic [7:0] data_o,
  input  logic       ready_i,
  output logic       frame_err_o,
  output logic       overrun_o
);

  if (ClksPerBit < 4) begin : g_bad_clks
    $fatal(1, "bg_uart_rx: ClksPerBit must be at least 4");
  end

  localparam logic [CntW-1:0] HalfBit = CntW'(ClksPerBit / 2 - 1);
  localparam logic [CntW-1:0] FullBit = CntW'(ClksPerBit - 1);

  typedef enum logic [1:0] {
    StIdle,
    StStart,
    StData,
    StStop
  } state_e;

  logic [1:0]      sync_q;  // synchronizer; sync_q[1] is the line as the receiver sees it
  logic            line;
  state_e          state_q, state_d;
  logic [CntW-1:0] cnt_q, cnt_d;
  logic [2:0]      bit_q, bit_d;
  logic [7:0]      shift_q, shift_d;
  logic            valid_q, valid_d;
  logic [7:0]      data_q, data_d;
  logic            ferr_q, ferr_d;
  logic            ovr_q, ovr_d;

  assign line = sync_q[1];

  always_comb begin
    state_d = state_q;
    cnt_d   = cnt_q;
    bit_d   = bit_q;
    shift_d = shift_q;
    valid_d = valid_q && !ready_i;
    data_d  = data_q;
    ferr_d  = 1'b0;
    ovr_d   = 1'b0;
    unique case (state_q)
      StIdle: begin
        if (!line) begin
          state_d = StStart;
          cnt_d   = '0;
        end
      end
      StStart: begin
        if (cnt_q != HalfBit) begin
          cnt_d = cnt_q + 1'b1;
        end else if (line) begin
          state_d = StIdle;  // glitch
        end else begin
          state_d = StData;
          cnt_d   = '0;
          bit_d   = '0;
        end
      end
      StData: begin
        if (cnt_q != FullBit) begin
          cnt_d = cnt_q + 1'b1;
        end else begin
          cnt_d   = '0;
          shift_d = {line, shift_q[7:1]};
          bit_d   = bit_q + 1'b1;
          if (bit_q == 3'd7) begin
            state_d = StStop;
          end
        end
      end
      StStop: begin
        if (cnt_q != FullBit) begin
          cnt_d = cnt_q + 1'b1;
        end else begin
          state_d = StIdle;
          if (!line) begin
            ferr_d = 1'b1;
          end else if (valid_d) begin
            ovr_d = 1'b1;
          end else begin
            valid_d = 1'b1;
            data_d  = shift_q;
          end
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sync_q  <= 2'b11;
      state_q <= StIdle;
      cnt_q   <= '0;
      bit_q   <= '0;
      shift_q <= '0;
      valid_q <= 1'b0;
      data_q  <= '0;
      ferr_q  <= 1'b0;
      ovr_q   <= 1'b0;
    end else begin
      sync_q  <= {sync_q[0], rx_i};
      state_q <= state_d;
      cnt_q   <= cnt_d;
      bit_q   <= bit_d;
      shift_q <= shift_d;
      valid_q <= valid_d;
      data_q  <= data_d;
      ferr_q  <= ferr_d;
      ovr_q   <= ovr_d;
    end
  end

  assign valid_o     = valid_q;
  assign data_o      = data_q;
  assign frame_err_o = ferr_q;
  assign overrun_o   = ovr_q;

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_cnt_in_bit: assert property (@(posedge clk_i) disable iff (!asserts_on) cnt_q <= FullBit)
    else $error("bg_uart_rx: bit counter out of range");
`endif

endmodule : bg_uart_rx
