// rtl/engines/hamtopk/bg_hamtopk.sv (the Hamming/top-k engine behind the compute dispatcher, kQ rows of
// queries x kL lanes) with emulated qbuf/dbuf/rbuf compute ports (bitgrid_pkg::spm_req_t requests, 1-cycle read
// latency): hamtopk results against bitgrid::TopK (per instruction) and bitgrid::knn_hamming (whole chained run), the
// execution time E of ARCHITECTURE.md R9 checked cycle-exactly (start_i in c, last_o exactly in c+E, buffer requests
// only in c+1 .. c+E), and the buffer access pattern. Instructions are built with isa::HamtopkInsn; between
// instructions insn_i carries junk, which the idle engine must ignore. Starting the engine while it runs is
// illegal and fires its assertion.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <sstream>
#include <vector>

#include "Vdut.h"
#include "bitgrid/gen/isa.h"
#include "bitgrid/topk.h"
#include "rtl_test_util.h"
#include "rule_oracle.h"

namespace {

using namespace bgtest;
using bitgrid::Neighbor;
namespace isa = bitgrid::isa;

constexpr unsigned kL = kHamLanes;
constexpr unsigned kQ = kHamQueries;
constexpr uint32_t kQbufWords = 1u << 16;  // 16-bit word addresses (q_addr)
constexpr uint32_t kDbufWords = 1u << 20;
constexpr uint32_t kRbufWords = 1u << 16;  // 16-bit word addresses
constexpr uint64_t kEmptyWord = ~uint64_t{0};

struct Hamtopk {
  bool init = true;
  unsigned k = 1;
  unsigned code_words = 1;
  uint32_t q_addr = 0;
  uint32_t db_addr = 0;
  uint32_t base_index = 0;
  uint32_t r_addr = 0;
  unsigned n_codes = 1;
  unsigned n_q = 1;  // queries of the group at q_addr (step-interleaved, kQ slots); states at r_addr + q*k
};

Insn encode(const Hamtopk& h) {
  isa::HamtopkInsn x;
  x.init = h.init;
  x.k = h.k;
  x.code_words = h.code_words;
  x.q_addr = h.q_addr;
  x.db_addr = h.db_addr;
  x.base_index = h.base_index;
  x.r_addr = h.r_addr;
  x.n_codes = h.n_codes;
  x.n_q = h.n_q;
  return bgtest::encode(x);
}

unsigned steps_of(unsigned cw) { return ceil_div(cw, kM); }
unsigned groups_of(unsigned n) { return ceil_div(n, kL); }
// ARCHITECTURE.md R9, from the timing oracle shared with the SystemC and whole-top timing tests.
unsigned expected_e(const Hamtopk& h) {
  bitgrid::HwConfig hw;
  hw.ham_lanes = kL;
  hw.ham_queries = kQ;
  hw.ham_bits_per_lane = kHamBitsPerLane;
  bitgrid::Insn in;
  const auto x = encode(h);
  in.w[0] = x[0];
  in.w[1] = x[1];
  return static_cast<unsigned>(bgtest::oracle_engine_cycles(hw, in));
}

class HamtopkTest : public ::testing::Test {
 protected:
  Clocked<Vdut> sim;
  std::mt19937_64 rng{2024};
  std::vector<uint64_t> qbuf, dbuf, rbuf;  // what the RTL sees
  std::vector<uint64_t> golden_rbuf;       // what rbuf must hold (reference model)

  // Read data scheduled for the next cycle.
  std::optional<uint32_t> q_pend, d_pend, r_pend;

  // The instruction in flight.
  struct InFlight {
    uint64_t issue_cycle = 0;
    unsigned e = 1;
    std::optional<Hamtopk> h;  // always set (the engine sees hamtopk only)
    std::vector<uint32_t> q_reads, d_reads, r_reads, r_writes;
  };
  std::optional<InFlight> cur;
  uint64_t instructions = 0;

  void SetUp() override {
    qbuf.resize(kQbufWords);
    dbuf.resize(kDbufWords);
    rbuf.resize(kRbufWords);
    for (auto& w : qbuf) w = rng();  // junk: reading a wrong address shows in the result
    for (auto& w : dbuf) w = rng();
    for (auto& w : rbuf) w = rng();
    golden_rbuf = rbuf;
    sim->start_i = 0;
  }

  // ---- one cycle: drive inputs, settle, check outputs, clock edge, memory update ----
  // `illegal`: a start while running (the assertion test).
  void cycle(bool issue, const Insn& insn, bool illegal = false) {
    const uint64_t t = sim.cycle();
    sim->start_i = issue;
    set_insn(sim->insn_i, insn);
    for (unsigned j = 0; j < kQ * kM; ++j)
      set_word(sim->qbuf_rdata_i, j, q_pend ? qbuf[(*q_pend + j) % kQbufWords] : rng());
    for (unsigned j = 0; j < kL * kM; ++j)
      set_word(sim->dbuf_rdata_i, j, d_pend ? dbuf[(*d_pend + j) % kDbufWords] : rng());
    sim->rbuf_rdata_i = r_pend ? rbuf[*r_pend] : rng();
    sim.settle();

    // R9: started in c, runs in c+1 .. c+E, last_o exactly in c+E.
    const bool busy = cur && t > cur->issue_cycle && t <= cur->issue_cycle + cur->e;
    const bool last = cur && t == cur->issue_cycle + cur->e;
    ASSERT_EQ(static_cast<bool>(sim->last_o), last) << "last_o in cycle " << t;
    if (issue && !illegal) {
      ASSERT_FALSE(busy) << "the test starts the engine only when it is idle";
    }

    // Buffer requests only while executing; qbuf and dbuf are read only; a port without a request is all
    // zeros (the generated top ORs the requests of a buffer's users).
    const SpmReq q = get_spm_req(sim->qbuf_req_o), d = get_spm_req(sim->dbuf_req_o), r = get_spm_req(sim->rbuf_req_o);
    ASSERT_FALSE(q.we || d.we) << "qbuf/dbuf write in cycle " << t;
    ASSERT_TRUE(q.req || q.addr == 0) << "qbuf address without a request in cycle " << t;
    ASSERT_TRUE(d.req || d.addr == 0) << "dbuf address without a request in cycle " << t;
    ASSERT_TRUE(r.req || (r.addr == 0 && !r.we)) << "rbuf address without a request in cycle " << t;
    if (q.req) {
      ASSERT_TRUE(busy) << "qbuf read in cycle " << t;
      ASSERT_EQ(q.addr % (kQ * kM), 0u) << "unaligned qbuf read";
      cur->q_reads.push_back(q.addr);
    }
    if (d.req) {
      ASSERT_TRUE(busy) << "dbuf read in cycle " << t;
      ASSERT_EQ(d.addr % (kL * kM), 0u) << "unaligned dbuf read";
      cur->d_reads.push_back(d.addr);
    }
    const uint64_t r_wdata = sim->rbuf_wdata_o;
    if (r.req) {
      ASSERT_TRUE(busy) << "rbuf access in cycle " << t;
      (r.we ? cur->r_writes : cur->r_reads).push_back(r.addr);
    }
    const std::optional<uint32_t> q_next = q.req ? std::optional<uint32_t>(q.addr) : std::nullopt;
    const std::optional<uint32_t> d_next = d.req ? std::optional<uint32_t>(d.addr) : std::nullopt;

    sim.edge();
    if (r.req && r.we) rbuf[r.addr % kRbufWords] = r_wdata;
    q_pend = q_next;
    d_pend = d_next;
    r_pend = (r.req && !r.we) ? std::optional<uint32_t>(r.addr % kRbufWords) : std::nullopt;
    if (last) finish_instruction();
  }

  void idle_cycle() { cycle(false, Insn{rng(), rng()}); }

  // Waits until the engine is idle (plus `gap` extra cycles), then starts it.
  void issue(const Hamtopk& h, unsigned gap) {
    while (cur) {
      idle_cycle();
      if (HasFatalFailure()) return;
    }
    for (unsigned i = 0; i < gap; ++i) idle_cycle();
    InFlight f;
    f.issue_cycle = sim.cycle();
    f.e = expected_e(h);
    f.h = h;
    cur = f;
    apply_reference(h);
    cycle(true, encode(h));
  }

  void drain() {
    while (cur && !HasFatalFailure()) idle_cycle();
    for (int i = 0; i < 3 && !HasFatalFailure(); ++i) idle_cycle();
  }

  // Reference semantics of one hamtopk (ARCHITECTURE.md §3) applied to golden_rbuf: each query of the
  // group on its own.
  void apply_reference(const Hamtopk& h) {
    const unsigned s_steps = steps_of(h.code_words);
    for (unsigned qi = 0; qi < h.n_q; ++qi) {
      const uint32_t r0 = h.r_addr + qi * h.k;
      bitgrid::TopK top(h.k);
      if (!h.init) {
        for (unsigned i = 0; i < h.k; ++i) top.push(Neighbor::from_word(golden_rbuf[(r0 + i) % kRbufWords]));
      }
      for (unsigned c = 0; c < h.n_codes; ++c) {
        const unsigned g = c / kL, l = c % kL;
        std::vector<uint64_t> q(h.code_words), d(h.code_words);
        for (unsigned w = 0; w < h.code_words; ++w) {
          const unsigned s = w / kM, j = w % kM;
          q[w] = qbuf[(h.q_addr + (s * kQ + qi) * kM + j) % kQbufWords];
          d[w] = dbuf[(h.db_addr + ((g * s_steps + s) * kL + l) * kM + j) % kDbufWords];
        }
        top.push({bitgrid::hamming(q.data(), d.data(), h.code_words), h.base_index + c});
      }
      const auto r = top.result();
      for (unsigned i = 0; i < h.k; ++i) golden_rbuf[(r0 + i) % kRbufWords] = r[i].word();
    }
  }

  // Checks at the end of cycle c+E: access pattern of the instruction and the whole rbuf.
  void finish_instruction() {
    const InFlight f = *cur;
    cur.reset();
    ++instructions;
    if (f.h) {
      const Hamtopk& h = *f.h;
      const unsigned s_steps = steps_of(h.code_words), pairs = groups_of(h.n_codes) * s_steps;
      std::vector<uint32_t> q_exp, d_exp, r_rd_exp, r_wr_exp;
      for (unsigned p = 0; p < pairs; ++p) {
        q_exp.push_back((h.q_addr + (p % s_steps) * kQ * kM) % kQbufWords);
        d_exp.push_back((h.db_addr + p * kL * kM) % kDbufWords);
      }
      for (unsigned i = 0; i < h.n_q * h.k; ++i) {
        if (!h.init) r_rd_exp.push_back((h.r_addr + i) % kRbufWords);
        r_wr_exp.push_back((h.r_addr + i) % kRbufWords);
      }
      EXPECT_EQ(f.q_reads, q_exp) << "qbuf reads";
      EXPECT_EQ(f.d_reads, d_exp) << "dbuf reads";
      EXPECT_EQ(f.r_reads, r_rd_exp) << "rbuf reads";
      EXPECT_EQ(f.r_writes, r_wr_exp) << "rbuf writes";
    } else {
      EXPECT_TRUE(f.q_reads.empty() && f.d_reads.empty() && f.r_reads.empty() && f.r_writes.empty());
    }
    for (uint32_t a = 0; a < kRbufWords; ++a) {
      if (rbuf[a] != golden_rbuf[a]) {
        std::ostringstream os;
        os << "rbuf[" << a << "] = " << std::hex << rbuf[a] << ", expected " << golden_rbuf[a];
        if (f.h)
          os << std::dec << " (hamtopk r_addr " << f.h->r_addr << " k " << f.h->k << " n " << f.h->n_codes << " cw "
             << f.h->code_words << " init " << f.h->init << " n_q " << f.h->n_q << ")";
        FAIL() << os.str();
      }
    }
  }

  // ---- data layout (ARCHITECTURE.md §2) ----
  // Query `slot` of the group at q_addr: word w at q_addr + ((w/M)*Q + slot)*M + w%M, padding zero.
  void write_query(uint32_t q_addr, unsigned slot, const std::vector<uint64_t>& q) {
    const unsigned cw = static_cast<unsigned>(q.size());
    for (unsigned w = 0; w < steps_of(cw) * kM; ++w)
      qbuf[(q_addr + (w / kM * kQ + slot) * kM + w % kM) % kQbufWords] = w < cw ? q[w] : 0;
  }
  // Returns the number of dbuf words the tile spans.
  uint32_t write_tile(uint32_t db_addr, const bitgrid::CodeSet& codes, size_t first, unsigned n) {
    const unsigned cw = static_cast<unsigned>(codes.words), s_steps = steps_of(cw);
    const uint32_t span = groups_of(n) * s_steps * kL * kM;
    for (uint32_t i = 0; i < span; ++i) dbuf[(db_addr + i) % kDbufWords] = 0;
    for (unsigned c = 0; c < n; ++c) {
      const unsigned g = c / kL, l = c % kL;
      for (unsigned w = 0; w < cw; ++w) {
        const unsigned s = w / kM, j = w % kM;
        dbuf[(db_addr + ((g * s_steps + s) * kL + l) * kM + j) % kDbufWords] = codes.code(first + c)[w];
      }
    }
    return span;
  }

  // Idle cycles with junk on insn_i (the dispatcher runs other instructions meanwhile).
  void other_op(unsigned gap) {
    for (unsigned i = 0; i < 1 + gap && !HasFatalFailure(); ++i) idle_cycle();
  }

  enum class Dist { kRandom, kClustered, kAllEqual };

  bitgrid::CodeSet make_codes(size_t n, unsigned cw, const bitgrid::CodeSet& queries, Dist mode) {
    bitgrid::CodeSet db;
    db.n = n;
    db.words = cw;
    db.data.resize(n * cw);
    std::vector<uint64_t> common(cw);
    for (auto& w : common) w = rng();
    for (size_t i = 0; i < n; ++i) {
      const size_t src = rng() % queries.n;
      const unsigned flips = static_cast<unsigned>(rng() % 4);
      for (unsigned w = 0; w < cw; ++w) {
        uint64_t v;
        switch (mode) {
          case Dist::kAllEqual:
            v = common[w];
            break;
          case Dist::kClustered:
            v = queries.code(src)[w];
            break;
          default:
            v = rng();
            break;
        }
        db.code(i)[w] = v;
      }
      if (mode == Dist::kClustered) {
        for (unsigned f = 0; f < flips; ++f) db.code(i)[rng() % cw] ^= uint64_t{1} << (rng() % 64);
      }
    }
    return db;
  }

  struct Scenario {
    unsigned cw = 1;
    unsigned k = 1;
    unsigned nq = 1;
    std::vector<unsigned> tiles;  // codes per tile
    Dist dist = Dist::kClustered;
    bool prestate = false;     // the first tile merges into a valid state (init = 0)
    double gap_prob = 0.3;     // chance of idle cycles before an issue
    bool other_ops = true;     // interleave idle cycles (other instructions of the compute queue)
    bool full_groups = false;  // groups of kQ queries (else random sizes 1..kQ)
    std::optional<uint32_t> r_base;
  };

  // Runs one chained search: every tile against every query, state kept in rbuf between tiles.
  void run(const Scenario& sc) {
    SCOPED_TRACE(::testing::Message() << "cw " << sc.cw << " k " << sc.k << " nq " << sc.nq << " tiles "
                                      << sc.tiles.size() << " prestate " << sc.prestate);
    ASSERT_GE(sc.cw, 1u);
    ASSERT_LE(sc.cw, kMaxCodeWords);
    const unsigned s_steps = steps_of(sc.cw);
    bitgrid::CodeSet queries;
    queries.n = sc.nq;
    queries.words = sc.cw;
    queries.data.resize(sc.nq * sc.cw);
    for (auto& w : queries.data) w = rng();
    size_t total = 0;
    for (unsigned n : sc.tiles) total += n;
    const bitgrid::CodeSet db = make_codes(total, sc.cw, queries, sc.dist);

    // queries in qbuf in groups of up to kQ (the other slots of a group keep their junk), states in rbuf
    const uint32_t q_base = static_cast<uint32_t>(rng() % (kQbufWords / 2)) / (kQ * kM) * (kQ * kM);
    std::vector<uint32_t> r_addr(sc.nq);
    std::vector<std::pair<unsigned, unsigned>> groups;  // (first query, queries)
    for (unsigned i = 0; i < sc.nq;) {
      const unsigned n = std::min(sc.nq - i, sc.full_groups ? kQ : 1 + static_cast<unsigned>(rng() % kQ));
      groups.push_back({i, n});
      i += n;
    }
    std::vector<uint32_t> group_q_addr;
    const uint32_t r_base = sc.r_base ? *sc.r_base : static_cast<uint32_t>(rng() % (kRbufWords - sc.nq * sc.k));
    for (const auto& [first_q, n] : groups) {
      group_q_addr.push_back(q_base + static_cast<uint32_t>(group_q_addr.size()) * s_steps * kQ * kM);
      for (unsigned j = 0; j < n; ++j)
        write_query(group_q_addr.back(), j,
                    std::vector<uint64_t>(queries.code(first_q + j), queries.code(first_q + j) + sc.cw));
    }
    for (unsigned i = 0; i < sc.nq; ++i) r_addr[i] = (r_base + i * sc.k) % kRbufWords;
    const uint32_t prestate_index = 0x8000'0000u;
    if (sc.prestate) {
      for (unsigned i = 0; i < sc.nq; ++i) {
        std::vector<Neighbor> st;
        const unsigned filled = static_cast<unsigned>(rng() % (sc.k + 1));
        for (unsigned e = 0; e < filled; ++e)
          st.push_back({static_cast<uint32_t>(rng() % (sc.cw * 64 + 1)), prestate_index + i * 1000 + e});
        std::sort(st.begin(), st.end());
        st.resize(sc.k);
        for (unsigned e = 0; e < sc.k; ++e) rbuf[(r_addr[i] + e) % kRbufWords] = st[e].word();
      }
      golden_rbuf = rbuf;
    }

    std::bernoulli_distribution gap(sc.gap_prob), other(sc.other_ops ? 0.25 : 0.0);
    uint32_t db_addr = static_cast<uint32_t>(rng() % (kDbufWords / 4)) / (kL * kM) * (kL * kM);
    size_t first = 0;
    for (size_t t = 0; t < sc.tiles.size(); ++t) {
      const unsigned n = sc.tiles[t];
      // the load unit would write the tile while the previous one is still in use; here it has its own region
      const uint32_t span = write_tile(db_addr, db, first, n);
      for (size_t gi = 0; gi < groups.size(); ++gi) {
        if (other(rng)) other_op(gap(rng) ? 1 + rng() % 3 : 0);
        Hamtopk h;
        h.init = (t == 0) && !sc.prestate;
        h.k = sc.k;
        h.code_words = sc.cw;
        h.q_addr = group_q_addr[gi];
        h.db_addr = db_addr;
        h.base_index = static_cast<uint32_t>(first);
        h.r_addr = r_addr[groups[gi].first];
        h.n_codes = n;
        h.n_q = groups[gi].second;
        issue(h, gap(rng) ? 1 + static_cast<unsigned>(rng() % 3) : 0);
        if (HasFatalFailure()) return;
      }
      db_addr += span;
      first += n;
    }
    drain();
    if (HasFatalFailure()) return;

    // whole run against the brute-force reference (without a pre-existing state)
    if (!sc.prestate) {
      const auto ref = bitgrid::knn_hamming(db, queries, sc.k);
      for (unsigned i = 0; i < sc.nq; ++i) {
        for (unsigned e = 0; e < sc.k; ++e) {
          ASSERT_EQ(rbuf[(r_addr[i] + e) % kRbufWords], ref[i * sc.k + e].word())
              << "query " << i << " entry " << e << " vs knn_hamming";
        }
      }
    }
  }

  unsigned random_cw() { return 1 + static_cast<unsigned>(rng() % kMaxCodeWords); }
  unsigned random_k() { return 1 + static_cast<unsigned>(rng() % kTopkMax); }
  std::vector<unsigned> random_tiles(unsigned count, unsigned max_n) {
    std::vector<unsigned> v(count);
    for (auto& n : v) n = 1 + static_cast<unsigned>(rng() % max_n);
    return v;
  }
};

TEST_F(HamtopkTest, ResetIdle) {
  sim.settle();
  EXPECT_FALSE(sim->last_o);
  EXPECT_FALSE(get_spm_req(sim->qbuf_req_o).req || get_spm_req(sim->dbuf_req_o).req ||
               get_spm_req(sim->rbuf_req_o).req);
}

TEST_F(HamtopkTest, IgnoresInstructionsWhileNotStarted) {
  for (int i = 0; i < 40 && !HasFatalFailure(); ++i) other_op(i % 3 == 0 ? 2 : 0);
  drain();
  EXPECT_EQ(instructions, 0u);
}

TEST_F(HamtopkTest, ExecutionTimeFormulaExample) {
  // A worked example of R9, independent of expected_e(): init = 0, k = 5 (or TopkMax if smaller),
  // n = 2L+1 codes, cw = 3M, a full group of Q queries.
  Hamtopk h;
  h.init = false;
  h.k = std::min(5u, kTopkMax);
  h.code_words = 3 * kM;
  h.n_codes = 2 * kL + 1;
  h.r_addr = 100;
  h.n_q = kQ;
  const unsigned e = kQ * h.k + 3 * 3 + 4 + kQ * h.k;  // read Q*k, G = 3 groups x S = 3 steps, drain 4, write Q*k
  ASSERT_EQ(expected_e(h), e);
  for (unsigned w = 0; w < h.code_words * kQ; ++w) qbuf[w] = 0;
  issue(h, 0);
  unsigned cycles = 0;
  while (cur && !HasFatalFailure()) {
    idle_cycle();
    ++cycles;
  }
  EXPECT_EQ(cycles, e);  // busy cycles c+1 .. c+E
  drain();
}

TEST_F(HamtopkTest, RandomChainedSearches) {
  for (int round = 0; round < 8 && !HasFatalFailure(); ++round) {
    Scenario sc;
    sc.cw = random_cw();
    sc.k = random_k();
    sc.nq = 1 + static_cast<unsigned>(rng() % (2 * kQ + 1));
    sc.full_groups = round % 4 == 1;
    sc.tiles = random_tiles(1 + static_cast<unsigned>(rng() % 4), 4 * kL + 20);
    sc.dist = round % 3 == 0 ? Dist::kRandom : Dist::kClustered;
    sc.gap_prob = round % 2 ? 0.0 : 0.4;  // back to back, or with idle gaps
    run(sc);
  }
}

TEST_F(HamtopkTest, FewerCodesThanK) {
  Scenario sc;
  sc.cw = random_cw();
  sc.k = kTopkMax;
  sc.nq = 2;
  sc.tiles = {1, std::max(1u, kTopkMax / 3), 2};
  run(sc);
}

TEST_F(HamtopkTest, CodesNotMultipleOfLanes) {
  for (unsigned r = 1; r < std::max(2u, kL) && !HasFatalFailure(); ++r) {
    Scenario sc;
    sc.cw = random_cw();
    sc.k = random_k();
    sc.tiles = {kL + r, 2 * kL + r, r};
    run(sc);
  }
}

TEST_F(HamtopkTest, KEqualsOne) {
  for (Dist d : {Dist::kClustered, Dist::kAllEqual}) {
    Scenario sc;
    sc.cw = random_cw();
    sc.k = 1;
    sc.nq = 3;
    sc.tiles = random_tiles(3, 3 * kL);
    sc.dist = d;
    run(sc);
  }
}

TEST_F(HamtopkTest, KEqualsTopkMax) {
  Scenario sc;
  sc.cw = random_cw();
  sc.k = kTopkMax;
  sc.nq = 2;
  sc.tiles = {2 * kTopkMax + 3, kTopkMax + kL - 1, 5};
  run(sc);
}

TEST_F(HamtopkTest, AllEqualDistancesLowerIndexWins) {
  Scenario sc;
  sc.cw = random_cw();
  sc.k = std::max(1u, kTopkMax / 2 + 1);
  sc.nq = 2;
  sc.tiles = {3 * kL + 1, kTopkMax + 1, kL};
  sc.dist = Dist::kAllEqual;
  run(sc);
}

TEST_F(HamtopkTest, ShortestAndLongestCodes) {
  for (unsigned cw : {1u, kMaxCodeWords}) {
    Scenario sc;
    sc.cw = cw;
    sc.k = random_k();
    sc.nq = 2;
    sc.tiles = random_tiles(2, 3 * kL + 5);
    run(sc);
  }
}

TEST_F(HamtopkTest, MergesIntoExistingState) {
  for (int round = 0; round < 3 && !HasFatalFailure(); ++round) {
    Scenario sc;
    sc.cw = random_cw();
    sc.k = random_k();
    sc.nq = 2;
    sc.tiles = random_tiles(2, 2 * kL + 3);
    sc.prestate = true;
    // the last round's state wraps around the end of rbuf
    if (round == 2) sc.r_base = kRbufWords - sc.k;
    run(sc);
  }
}

TEST_F(HamtopkTest, LongTile) {
  Scenario sc;
  sc.cw = std::min(kMaxCodeWords, 4u);
  sc.k = std::min(kTopkMax, 10u);
  sc.nq = 1;
  sc.tiles = {40 * kL + 3};
  sc.gap_prob = 0.0;
  run(sc);
}

TEST_F(HamtopkTest, StartWhileRunningIsAsserted) {
  sim.expect_assertions(true);
  idle_cycle();
  Hamtopk h;  // no padding words or lanes: the random buffer contents are a valid layout
  h.k = 2;
  h.code_words = kM;
  h.n_codes = kL;
  issue(h, 0);
  // A second start while the first instruction runs: ignored (the running one finishes as R9 says).
  for (int i = 0; i < 2 && !HasFatalFailure(); ++i) {
    Hamtopk h2 = h;
    h2.r_addr = 500;
    cycle(true, encode(h2), true);
    EXPECT_TRUE(fired_with(sim.take_fired(), "bg_hamtopk: started while running"));
  }
  drain();
  EXPECT_EQ(instructions, 1u);
  EXPECT_TRUE(sim.take_fired().empty());
}

}  // namespace
