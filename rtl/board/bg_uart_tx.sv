// UART transmitter, 8N1: one start bit (0), eight data bits LSB first, one stop bit (1), each bit
// ClksPerBit clock cycles long. The line idles high.
//
// Byte interface: the byte data_i is taken in a cycle with valid_i && ready_o, and its start bit goes out
// on tx_o from the next cycle on. ready_o is high while the transmitter is idle and in the last cycle of a
// stop bit, so back-to-back bytes take exactly 10 * ClksPerBit cycles each. tx_o and ready_o are registers
// (ready_o is decided a cycle ahead: the board's reply logic hangs off it).
module bg_uart_tx #(
  parameter int unsigned ClksPerBit = 104,  // clock frequency / baud rate
  localparam int unsigned CntW = $clog2(ClksPerBit)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       valid_i,
  input  logic [7:0] data_i,
  output logic       ready_o,
  output logic       tx_o
);

  if (ClksPerBit < 4) begin : g_bad_clks
    $fatal(1, "bg_uart_tx: ClksPerBit must be at least 4");
  end

  logic            busy_q, busy_d;
  logic [8:0]      shift_q, shift_d;  // the bits still to send after the one on the line: data, stop
  logic [3:0]      bits_q, bits_d;    // bits still to send after the current one
  logic [CntW-1:0] cnt_q, cnt_d;      // cycles of the current bit already sent
  logic            tx_q, tx_d;
  logic            ready_q, ready_d;  // idle, or in the last cycle of the stop bit

  assign ready_d = !busy_d || ((cnt_d == CntW'(ClksPerBit - 1)) && (bits_d == '0));
  assign ready_o = ready_q;
  assign tx_o    = tx_q;

  always_comb begin
    busy_d  = busy_q;
    shift_d = shift_q;
    bits_d  = bits_q;
    cnt_d   = cnt_q;
    tx_d    = tx_q;
    if (ready_o && valid_i) begin
      busy_d  = 1'b1;
      tx_d    = 1'b0;  // start bit
      shift_d = {1'b1, data_i};
      bits_d  = 4'd9;
      cnt_d   = '0;
    end else if (!busy_q) begin
      tx_d = 1'b1;
    end else if (cnt_q != CntW'(ClksPerBit - 1)) begin
      cnt_d = cnt_q + 1'b1;
    end else begin
      cnt_d = '0;
      if (bits_q == '0) begin
        busy_d = 1'b0;  // the stop bit has been on the line for a whole bit
        tx_d   = 1'b1;
      end else begin
        tx_d    = shift_q[0];
        shift_d = {1'b1, shift_q[8:1]};
        bits_d  = bits_q - 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q  <= 1'b0;
      shift_q <= '1;
      bits_q  <= '0;
      cnt_q   <= '0;
      tx_q    <= 1'b1;
      ready_q <= 1'b1;
    end else begin
      busy_q  <= busy_d;
      shift_q <= shift_d;
      bits_q  <= bits_d;
      cnt_q   <= cnt_d;
      tx_q    <= tx_d;
      ready_q <= ready_d;
    end
  end

`ifndef SYNTHESIS
  logic asserts_on;
  bg_assert_en u_assert_en (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_o  (asserts_on)
  );
  a_idle_high: assert property (@(posedge clk_i) disable iff (!asserts_on) !busy_q |-> tx_q)
    else $error("bg_uart_tx: the line is low while idle");
  a_ready: assert property (@(posedge clk_i) disable iff (!asserts_on)
                            ready_q == (!busy_q || (cnt_q == CntW'(ClksPerBit - 1) && bits_q == '0)))
    else $error("bg_uart_tx: ready_o is not 'idle or the stop bit's last cycle'");
`endif

endmodule : bg_uart_tx
