// One dimension of one level of the hash-grid encoding in the hardware's fixed point (ARCHITECTURE.md §3.3),
// combinational:
//   p    = ((scale * x) >> 23) + 2^15      UQ16.16 x UQ1.23 = 39 fractional bits, floored to UQ16.16, + 0.5
//   cell = p >> 16, f = p & 0xffff
//   smoothstep: f2 = (f * f) >> 16, f = (f2 * (3 * 2^16 - 2f)) >> 16
//   w1 = f, w0 = 2^16 - f                   (UQ1.16: 1.0 = 65536)
// The reference is bitgrid::hashgrid::axis_weights.
module bg_hashgrid_axis (
  input  logic [31:0] scale_i,   // the level's scale, UQ16.16, below 2^31 (resolution <= 32768)
  input  logic [23:0] x_i,       // the coordinate, UQ1.23, 0 .. 2^23
  input  logic        smooth_i,  // smoothstep instead of linear interpolation
  output logic [15:0] cell_o,    // the lower corner (0 .. 32768)
  output logic [16:0] w0_o,      // weight of the lower corner
  output logic [16:0] w1_o       // weight of the upper corner
);

  logic [55:0] prod;
  logic [31:0] pos;
  logic [15:0] frac;
  logic [31:0] f2;
  logic [17:0] three_minus_2f;
  logic [49:0] s;
  logic [15:0] f;

  assign prod           = 56'(scale_i) * 56'(x_i);
  assign pos            = prod[54:23] + 32'h0000_8000;
  assign cell_o         = pos[31:16];
  assign frac           = pos[15:0];
  assign f2             = 32'(frac) * 32'(frac);
  assign three_minus_2f = 18'h3_0000 - {1'b0, frac, 1'b0};
  assign s              = 50'(f2[31:16]) * 50'(three_minus_2f);
  assign f              = smooth_i ? s[31:16] : frac;
  assign w1_o           = {1'b0, f};
  assign w0_o           = 17'h1_0000 - {1'b0, f};

  // The product's 23 low bits are floored away; s < 2^32 (the smoothstep of a fraction below 1 stays below 1).
  logic unused;
  assign unused = ^{prod[55], prod[22:0], s[49:32], s[15:0], f2[15:0]};

endmodule : bg_hashgrid_axis
