// iCEBreaker (Lattice iCE40 UP5K) top: bg_board on the 12 MHz oscillator, the UART through the FTDI
// (115200 baud: 12 MHz / 104), a power-on reset, and the LEDs (active low). Pins: rtl/board/icebreaker.pcf.
// No vendor cells: the memories are inferred (synth_ice40 -spram maps the DRAM stand-in to the four
// SB_SPRAM256KA, the program memory to SB_RAM40_4K).
module bg_board_ice40 #(
  parameter int unsigned ClksPerBit = 104,
  parameter logic [31:0] ConfigHash = 32'h0
) (
  input  logic clk_i,      // CLK, 12 MHz
  input  logic btn_ni,     // BTN_N: held low = board reset
  input  logic uart_rx_i,  // RX (from the FTDI)
  output logic uart_tx_o,  // TX (to the FTDI)
  output logic led_r_no,   // LEDR_N: the last run failed (fault, max_cycles or a DRAM flag)
  output logic led_g_no    // LEDG_N: a run is in progress
);

  // Power-on reset: the iCE40's flip-flops start at 0, so rst_n rises 16 cycles after configuration
  // (and after the button is released).
  logic [3:0] por_q = '0;
  logic       rst_nq = 1'b0;
  always_ff @(posedge clk_i) begin
    if (!btn_ni) begin
      por_q  <= '0;
      rst_nq <= 1'b0;
    end else if (por_q != 4'hF) begin
      por_q  <= por_q + 1'b1;
      rst_nq <= 1'b0;
    end else begin
      rst_nq <= 1'b1;
    end
  end

  logic running, last_fail;

  bg_board #(
    .ClksPerBit(ClksPerBit),
    .ConfigHash(ConfigHash)
  ) u_board (
    .clk_i      (clk_i),
    .rst_ni     (rst_nq),
    .uart_rx_i  (uart_rx_i),
    .uart_tx_o  (uart_tx_o),
    .running_o  (running),
    .last_fail_o(last_fail)
  );

  assign led_g_no = !running;
  assign led_r_no = !last_fail;

endmodule : bg_board_ice40
