// The table index of one corner of one level (ARCHITECTURE.md §3.3), combinational, uint32 arithmetic:
//   dense: idx = c0 + c1 * stride1 + c2 * stride2      (stride1 = res, stride2 = res^2 mod 2^32)
//   hashed: idx = c0 ^ c1 * 2654435761 ^ c2 * 805459861 (tiny-cuda-nn's coherent primes)
//   index = idx mod size: a mask when size is a power of two (every hashed level: size = 2^T); otherwise (a
//   dense level of next_multiple(res^D, 8) entries, whose res^D did not wrap) idx < 2 * size, and one
//   conditional subtraction does it.
// The reference is bitgrid::hashgrid::corner_index.
module bg_hashgrid_index #(
  parameter int unsigned Dims = 3  // 2 or 3
) (
  input  logic [Dims*16-1:0]    c_i,        // the corner's coordinates (cell + 0 or 1), dimension d at [16d+15:16d]
  input  logic                  dense_i,
  input  logic [31:0]           stride1_i,
  input  logic [31:0]           stride2_i,  // unused when Dims = 2
  input  logic [31:0]           size_i,     // entries of the level, >= 8
  output logic [31:0]           index_o
);

  if (Dims != 2 && Dims != 3) begin : g_bad_dims
    $fatal(1, "bg_hashgrid_index: Dims must be 2 or 3");
  end

  localparam logic [31:0] Prime1 = 32'd2654435761;
  localparam logic [31:0] Prime2 = 32'd805459861;

  logic [31:0] dsum, hash, idx, sub;
  logic        pow2;

  if (Dims == 3) begin : g_d3
    assign dsum = 32'(c_i[15:0]) + 32'(c_i[31:16]) * stride1_i + 32'(c_i[Dims*16-1:32]) * stride2_i;
    assign hash = 32'(c_i[15:0]) ^ (32'(c_i[31:16]) * Prime1) ^ (32'(c_i[Dims*16-1:32]) * Prime2);
  end else begin : g_d2
    assign dsum = 32'(c_i[15:0]) + 32'(c_i[31:16]) * stride1_i;
    assign hash = 32'(c_i[15:0]) ^ (32'(c_i[31:16]) * Prime1);
    logic unused_stride2;
    assign unused_stride2 = ^stride2_i;
  end

  assign idx     = dense_i ? dsum : hash;
  assign pow2    = (size_i & (size_i - 32'd1)) == '0;
  assign sub     = idx - size_i;
  assign index_o = pow2 ? (idx & (size_i - 32'd1)) : (idx >= size_i ? sub : idx);

endmodule : bg_hashgrid_index
