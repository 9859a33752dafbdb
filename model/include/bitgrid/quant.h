#pragma once
// Weight quantizer for the bitmac engine's datatypes (docs/ARCHITECTURE.md §3.2, DESIGN.md §5.2): a float32
// matrix W[N][K] (N output channels, K the reduction dimension) becomes, per weight, a b-bit code of one
// datatype of isa::kDtypes; per (channel n, group g of G consecutive k) an 8-bit unsigned group scale gs and a
// 2-bit selector sel; per channel a float channel scale cs. The value a code stands for is
//     W'[n][k] = isa::dtype_value(dt, code, sel[n][g]) * gs[n][g] * cs[n]
// (the value tables come only from isa::kDtypes / isa::dtype_value).
//
// Candidates. INT-b: codes whose value is in [-(2^(b-1)-1), 2^(b-1)-1] (symmetric: the most negative code is
// never produced). FP4 / FP3: the table (its -0 code is never produced: the +0 code is the lower code of the
// two zeros). BitMoD-4 / BitMoD-3: four candidates, one per selector: the FP table with the special code
// standing for specials[sel]. Non-BitMoD types have one candidate and sel = 0.
//
// Choices, per channel n:
//  1. For each group g and candidate c: the ideal scale f[g][c] = absmax(group) / max|V_c| (V_c the
//     candidate's value set).
//  2. Channel scale: cs[n] = max over g and c of f[g][c] / 255, rounded to float32 — so every group's
//     ideal scale maps to a group scale <= 255 and the largest one uses the full 8 bits.
//  3. Per group and candidate: gs = clamp(round(f / cs), 1, 255) (round half up); the codes are chosen
//     against the ACTUAL scale s = gs * cs (the stored float cs), so what is stored is what is evaluated:
//     each weight gets the value v of V_c whose v * s is nearest to it; on an exact tie the numerically
//     LOWER value wins (round half down, toward -infinity); of equal values (FP's +0 / -0) the lower code.
//  4. The candidate with the lowest squared error over the group wins; on equal error the lowest selector.
//  An all-zero group has gs = 0, sel = 0 and every code the +0 code; an all-zero row also has cs = 0.
//  Errors (bitgrid::Error, naming the tensor): a group size of 0 or not dividing K, a NaN/Inf weight (its
//  row and column), an empty matrix.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bitgrid {

// Index into isa::kDtypes for a name ("int8", "bitmod4", ...); throws naming the valid names.
int dtype_by_name(const std::string& name);
// "int8, int6, int4, int3, fp4, fp3, bitmod4, bitmod3"
std::string dtype_names();
// Number of selector candidates of a datatype: 4 for BitMoD types (a special code), 1 otherwise.
int dtype_selectors(int dt);
// Whether `code` is one the quantizer may produce (not INT's most negative code, not FP's -0).
bool dtype_code_used(int dt, uint32_t code);

struct Quantized {
  int dtype = 0;
  size_t rows = 0, cols = 0, group = 0;  // N, K, G
  std::vector<uint8_t> codes;            // [N][K]: the b-bit code of each weight
  std::vector<uint8_t> sel;              // [N][K/G]: 2-bit selector (0 for non-BitMoD types)
  std::vector<uint8_t> gscale;           // [N][K/G]: 8-bit group scale, 1..255 (0: all-zero group)
  std::vector<float> cscale;             // [N]: channel scale
  std::vector<float> dequant;            // [N][K]: dtype_value(code, sel) * gscale * cscale, as float32
  double mse = 0;                        // mean over all weights of (W - dequant)^2
  double sqnr_db = 0;                    // 10*log10(sum W^2 / sum (W - dequant)^2); +inf when exact
  size_t groups() const { return group ? cols / group : 0; }
};

// Quantizes w (row-major [rows][cols] float32) to datatype `dt` with group size `group`. `tensor` names
// the matrix in error messages.
Quantized quantize(const float* w, size_t rows, size_t cols, int dt, size_t group = 128,
                   const std::string& tensor = "weights");

}  // namespace bitgrid
