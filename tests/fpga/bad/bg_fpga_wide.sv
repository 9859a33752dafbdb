// Test fixture (scripts/fpga.sh must refuse it): more I/O pins than an iCE40UP5K-SG48 has.
module bg_fpga_wide (
  input  logic        clk_i,
  input  logic [31:0] a_i,
  output logic [31:0] q_o
);
  always_ff @(posedge clk_i) q_o <= a_i;
endmodule : bg_fpga_wide
