// Test fixture (scripts/fpga.sh must refuse it): a latch.
module bg_fpga_latch (
  input  logic clk_i,
  input  logic en_i,
  input  logic d_i,
  output logic q_o
);
  logic l;
  always_latch if (en_i) l = d_i;
  always_ff @(posedge clk_i) q_o <= l;
endmodule : bg_fpga_latch
