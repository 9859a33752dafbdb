// Test top of tests/rtl/test_uart_loopback.cpp: bg_uart_tx's line into bg_uart_rx, or (ext_sel_i) a line
// the test drives (ext_i), to check the receiver against bit streams of other timing.
module bg_uart_loopback #(
  parameter int unsigned ClksPerBit = 4
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       tx_valid_i,
  input  logic [7:0] tx_data_i,
  output logic       tx_ready_o,
  output logic       line_o,
  input  logic       ext_sel_i,
  input  logic       ext_i,
  output logic       rx_valid_o,
  output logic [7:0] rx_data_o,
  input  logic       rx_ready_i,
  output logic       frame_err_o,
  output logic       overrun_o
);

  bg_uart_tx #(
    .ClksPerBit(ClksPerBit)
  ) u_tx (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(tx_valid_i),
    .data_i (tx_data_i),
    .ready_o(tx_ready_o),
    .tx_o   (line_o)
  );

  bg_uart_rx #(
    .ClksPerBit(ClksPerBit)
  ) u_rx (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .rx_i       (ext_sel_i ? ext_i : line_o),
    .valid_o    (rx_valid_o),
    .data_o     (rx_data_o),
    .ready_i    (rx_ready_i),
    .frame_err_o(frame_err_o),
    .overrun_o  (overrun_o)
  );

endmodule : bg_uart_loopback
