// Test fixture (scripts/fpga.sh must refuse it): a combinational loop (a ring through two gates).
module bg_fpga_loop (
  input  logic clk_i,
  input  logic a_i,
  output logic q_o
);
  logic x, y;
  assign x = ~(y & a_i);
  assign y = ~(x & ~a_i) ^ a_i;
  always_ff @(posedge clk_i) q_o <= x;
endmodule : bg_fpga_loop
