// Requantizer of one bitmac output (ARCHITECTURE.md §3.2), combinational:
//   t = (acc + bias) * mult                       (48-bit signed x 16-bit unsigned, exact in 64 bits)
//   r = (t + (shift ? 2^(shift-1) : 0)) >>> shift  (round half up)
//   saturate to INT8 (out32: INT32), then max(r, 0) if relu.
// res_o is the result sign-extended to 32 bits (INT8: its low byte is the output).
module bg_bitmac_requant (
  input  logic [47:0] acc_i,    // signed; |acc| < 2^45
  input  logic [31:0] bias_i,   // signed
  input  logic [15:0] mult_i,   // unsigned
  input  logic [5:0]  shift_i,
  input  logic        out32_i,
  input  logic        relu_i,
  output logic [31:0] res_o
);

  logic signed [47:0] sum;
  logic signed [63:0] t, rnd, r;
  logic signed [63:0] lo, hi;
  logic signed [63:0] sat;

  assign sum = $signed(acc_i) + $signed({{16{bias_i[31]}}, bias_i});
  assign t   = $signed({{16{sum[47]}}, sum}) * $signed({48'd0, mult_i});
  assign rnd = (shift_i == '0) ? 64'sd0 : $signed(64'd1 << (shift_i - 6'd1));
  assign r   = (t + rnd) >>> shift_i;
  assign lo  = out32_i ? -64'sd2147483648 : -64'sd128;
  assign hi  = out32_i ? 64'sd2147483647 : 64'sd127;

  always_comb begin
    if (r < lo) begin
      sat = lo;
    end else if (r > hi) begin
      sat = hi;
    end else begin
      sat = r;
    end
    if (relu_i && sat[63]) begin
      sat = '0;
    end
  end

  assign res_o = sat[31:0];

  logic unused_sat;
  assign unused_sat = ^sat[63:32];

endmodule : bg_bitmac_requant
