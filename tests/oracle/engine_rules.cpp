// Each engine's execution-time rule, written from docs/ARCHITECTURE.md for the timing oracle. A new
// engine adds its rule here.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "rule_oracle.h"

namespace bgtest {

uint64_t oracle_engine_cycles(const bitgrid::HwConfig& hw, const bitgrid::Insn& in) {
  namespace isa = bitgrid::isa;
  switch (in.op()) {
    case isa::Op::kHamtopk: {  // R9: E = (init ? 0 : n_q*k) + G*S + n_q*k + 4
      const uint64_t L = static_cast<uint64_t>(hw.ham_lanes), m = static_cast<uint64_t>(hw.ham_bits_per_lane) / 64;
      const uint64_t init = in.get(isa::kHAMTOPK_INIT), k = in.get(isa::kHAMTOPK_K), nq = in.get(isa::kHAMTOPK_N_Q);
      const uint64_t cw = in.get(isa::kHAMTOPK_CODE_WORDS), n = in.get(isa::kHAMTOPK_N_CODES);
      const uint64_t G = (n + L - 1) / L, S = (cw + m - 1) / m;
      return (init ? 0 : nq * k) + G * S + nq * k + 4;
    }
    case isa::Op::kGemm: {  // R11: E = 2T'*M*P + 20 + 3*out32, T = 1 on the bit-parallel array,
                            // T' = max(T, ceil(4/gp)) so that a group takes at least the rescaler's 8 cycles
      const uint64_t dt = in.get(isa::kGEMM_DTYPE), gp = in.get(isa::kGEMM_GROUP_PAIRS);
      const uint64_t T = hw.mac_parallel ? 1 : static_cast<uint64_t>(isa::kDtypes[dt].terms);
      const uint64_t Ts = gp == 0 ? T : std::max<uint64_t>(T, (4 + gp - 1) / gp);
      const uint64_t P = gp * in.get(isa::kGEMM_N_GROUPS);
      return 2 * Ts * in.get(isa::kGEMM_M_ROWS) * P + 20 + 3 * in.get(isa::kGEMM_OUT32);
    }
    case isa::Op::kHgenc: {  // R12: E = J + (n_points + 1)*T + 6, J = ceil(n_lev / hg_engines),
                             // T = max(J, o_row / (mac_cols / 8))
      const uint64_t E = static_cast<uint64_t>(hw.hg_engines), W = static_cast<uint64_t>(hw.mac_cols) / 8;
      const uint64_t J = (in.get(isa::kHGENC_N_LEV) + E - 1) / E;
      const uint64_t T = std::max<uint64_t>(J, in.get(isa::kHGENC_O_ROW) / W);
      return J + (in.get(isa::kHGENC_N_POINTS) + 1) * T + 6;
    }
    case isa::Op::kBenc: {  // R13: E = n_codes*S*m*(64/mac_cols) + 2, m = 2^m_log2, S = ceil(code_words/m)
      const uint64_t m = uint64_t{1} << in.get(isa::kBENC_M_LOG2), cw = in.get(isa::kBENC_CODE_WORDS);
      const uint64_t S = (cw + m - 1) / m;
      return in.get(isa::kBENC_N_CODES) * S * m * (64 / static_cast<uint64_t>(hw.mac_cols)) + 2;
    }
    case isa::Op::kLut:  // R14: E = 8 + n_rows*row_segs + 2
      return 8 + in.get(isa::kLUT_N_ROWS) * in.get(isa::kLUT_ROW_SEGS) + 2;
    case isa::Op::kSacc: {  // R15: E = (init ? 0 : Z) + G*((init ? 0 : b+1) + n_keys + 1 + b+1) + Z + 2,
                            // Z = ceil((b+1)/mac_cols)
      const uint64_t b = in.get(isa::kSACC_CODE_BITS), G = in.get(isa::kSACC_ROW_SEGS);
      const uint64_t Z = (b + hw.mac_cols) / hw.mac_cols, in_rows = in.get(isa::kSACC_INIT) ? 0 : 1;
      return in_rows * Z + G * (in_rows * (b + 1) + in.get(isa::kSACC_N_KEYS) + 1 + b + 1) + Z + 2;
    }
    case isa::Op::kSqry: {  // R16: E = Z + G*((b+1) + n_q*20) + 2
      const uint64_t b = in.get(isa::kSQRY_CODE_BITS), G = in.get(isa::kSQRY_ROW_SEGS);
      return (b + hw.mac_cols) / hw.mac_cols + G * (b + 1 + in.get(isa::kSQRY_N_Q) * 20) + 2;
    }
    case isa::Op::kSdiv:  // R17: E = n_rows*row_segs*24 + 2
      return in.get(isa::kSDIV_N_ROWS) * in.get(isa::kSDIV_ROW_SEGS) * 24 + 2;
    case isa::Op::kWpack: {  // R18: E = n_pairs*(r + 9) + 2, r = 2R (trans 1) or C*ceil(2R/C) (trans 0)
      const uint64_t R2 = 2 * static_cast<uint64_t>(hw.mac_rows), C = static_cast<uint64_t>(hw.mac_cols);
      const uint64_t r = in.get(isa::kWPACK_TRANS) ? R2 : C * ((R2 + C - 1) / C);
      return in.get(isa::kWPACK_N_PAIRS) * (r + 9) + 2;
    }
    case isa::Op::kTacc: {  // R19: E = n_rows*(Ra + 1 + G*(max(K, 4) + 3)) + 2, Ra = ceil(K*tau / (2*mac_rows))
      const uint64_t K = in.get(isa::kTACC_N_CHUNKS), tau = in.get(isa::kTACC_TAU), G = in.get(isa::kTACC_OUT_SEGS);
      const uint64_t R2 = 2 * static_cast<uint64_t>(hw.mac_rows), Ra = (K * tau + R2 - 1) / R2;
      return in.get(isa::kTACC_N_ROWS) * (Ra + 1 + G * (std::max<uint64_t>(K, 4) + 3)) + 2;
    }
    default:
      throw std::runtime_error("rule oracle: no timing rule for opcode " + std::to_string(in.opcode()));
  }
}

}  // namespace bgtest
