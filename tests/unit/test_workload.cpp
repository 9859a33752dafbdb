// The engine and workload contracts: the registries, the hamtopk engine's declared timing and actions,
// and the `program` workload (a program binary run as it is, checked or not).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "bitgrid/checker.h"
#include "bitgrid/engine.h"
#include "bitgrid/engines/hamtopk.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/job.h"
#include "bitgrid/memimage.h"
#include "bitgrid/workloads/hamming_topk.h"
#include "rule_oracle.h"
#include "unit_util.h"

using namespace bitgrid;
namespace fs = std::filesystem;

namespace {
using bgtest::error_of;
using bgtest::has;
}  // namespace

TEST(EngineRegistry, EveryIsaEngineHasAModelEngineAndEveryOpcodeItsEngine) {
  ASSERT_EQ(engines().size(), static_cast<size_t>(isa::kNumEngines));
  for (size_t i = 0; i < engines().size(); ++i) {
    EXPECT_EQ(engines()[i]->index(), static_cast<int>(i));
    EXPECT_STREQ(engines()[i]->name(), isa::kEngines[i].name);
  }
  for (const auto& op : isa::kOps) {
    const Engine* e = engine_of(op.value);
    if (op.engine < 0)
      EXPECT_EQ(e, nullptr) << op.name;
    else
      EXPECT_EQ(e, engines()[static_cast<size_t>(op.engine)]) << op.name;
  }
  uint64_t free_op = 0;  // the first opcode value no instruction has
  while (isa::op_def(free_op) != nullptr) ++free_op;
  EXPECT_EQ(engine_of(free_op), nullptr);
}

// The engine's timing against the timing oracle's rule (R9), its actions and footprint against the rules
// of docs/ARCHITECTURE.md §2-§3.
TEST(HamtopkEngine, CyclesActionsAndFootprintFollowTheRules) {
  HwConfig hw;
  hw.ham_lanes = 4;
  hw.ham_bits_per_lane = 128;  // m = 2 words per lane
  hw.ham_queries = 4;          // Q rows of lanes share each dbuf row read
  const Engine& e = *engine_of(static_cast<uint64_t>(isa::Op::kHamtopk));
  for (bool init : {true, false})
    for (uint64_t k : {1u, 7u})
      for (uint64_t cw : {1u, 2u, 3u, 8u})
        for (uint64_t n : {1u, 4u, 5u, 100u})
          for (uint64_t nq : {1u, 3u, 4u}) {
            const Insn in = encode(isa::HamtopkInsn{init, k, cw, 0, 0, 0, 0, n, nq, {}});
            const uint64_t S = (cw + 1) / 2, G = (n + 3) / 4;
            EXPECT_EQ(e.check(in, hw), "");
            EXPECT_EQ(e.cycles(in, hw), bgtest::oracle_engine_cycles(hw, in))
                << init << " " << k << " " << cw << " " << n << " " << nq;
            ActionCounts a;
            e.count(in, hw, a);
            EXPECT_EQ(a.get("hamtopk.word_op"), nq * G * S * 4 * 2);
            EXPECT_EQ(a.get("sram.dbuf.read_words"), G * S * 8);      // once for all queries
            EXPECT_EQ(a.get("sram.qbuf.read_words"), G * S * 4 * 2);  // the step's words of the Q slots
            EXPECT_EQ(a.get("sram.rbuf.write_words"), nq * k);
            EXPECT_EQ(a.get("sram.rbuf.read_words"), init ? 0 : nq * k);
            EXPECT_DOUBLE_EQ(a.useful.at("hamtopk"), static_cast<double>(nq * n * cw * 64));
            std::vector<Access> acc;
            e.accesses(in, hw, acc);
            bool wrote_rbuf = false, read_qbuf = false;
            for (const auto& x : acc) {
              wrote_rbuf =
                  wrote_rbuf || (x.space == static_cast<int>(isa::Buf::kRbuf) && x.write && x.hi - x.lo == nq * k);
              read_qbuf = read_qbuf || (x.space == static_cast<int>(isa::Buf::kQbuf) && x.hi - x.lo == S * 4 * 2);
            }
            EXPECT_TRUE(wrote_rbuf);
            EXPECT_TRUE(read_qbuf);
          }
  // n_q outside 1..ham_queries, a group not aligned to the Q*m-word qbuf port, states past rbuf's end
  EXPECT_NE(e.check(encode(isa::HamtopkInsn{true, 1, 1, 0, 0, 0, 0, 1, 5, {}}), hw).find("1..ham_queries = 4"),
            std::string::npos);
  EXPECT_NE(e.check(encode(isa::HamtopkInsn{true, 1, 1, 0, 0, 0, 0, 1, 0, {}}), hw).find("n_q = 0"), std::string::npos);
  EXPECT_NE(e.check(encode(isa::HamtopkInsn{true, 1, 1, 4, 0, 0, 0, 1, 1, {}}), hw).find("multiple of 8"),
            std::string::npos);
  const uint64_t rw = static_cast<uint64_t>(hw.buf_words(isa::Buf::kRbuf));
  EXPECT_NE(e.check(encode(isa::HamtopkInsn{true, 7, 1, 0, 0, 0, rw - 20, 1, 3, {}}), hw).find("states exceed rbuf"),
            std::string::npos);
  EXPECT_EQ(e.check(encode(isa::HamtopkInsn{true, 7, 1, 0, 0, 0, rw - 21, 1, 3, {}}), hw), "");
}

// One hamtopk of n_q queries leaves each query's state as n_q one-query instructions would (the
// functional contract of ARCHITECTURE.md §3 per query; brute force by std::sort, not the engine's list).
TEST(HamtopkEngine, AQueryGroupEqualsItsQueriesOneByOne) {
  HwConfig hw;
  hw.ham_lanes = 2;
  hw.ham_bits_per_lane = 128;
  hw.ham_queries = 8;
  const Engine& e = *engine_of(static_cast<uint64_t>(isa::Op::kHamtopk));
  std::mt19937_64 rng(77);
  const uint64_t Q = 8, m = 2, L = 2, cw = 3, S = 2, n = 9, k = 5, nq = 6;
  Scratchpads spm(hw);
  std::vector<std::vector<uint64_t>> qs(nq, std::vector<uint64_t>(S * m, 0)), db(n, std::vector<uint64_t>(S * m, 0));
  for (uint64_t j = 0; j < nq; ++j)
    for (uint64_t x = 0; x < cw; ++x) *spm.data(isa::Buf::kQbuf, (x / m * Q + j) * m + x % m) = qs[j][x] = rng();
  for (uint64_t c = 0; c < n; ++c)
    for (uint64_t x = 0; x < cw; ++x)
      *spm.data(isa::Buf::kDbuf, ((c / L * S + x / m) * L + c % L) * m + x % m) = db[c][x] =
          c == 4 ? qs[2][x] : rng();  // an exact match for query 2
  std::vector<SpmWrite> writes;
  e.execute(encode(isa::HamtopkInsn{true, k, cw, 0, 0, 100, 0, n, nq, {}}), hw, spm, writes);
  ASSERT_EQ(writes.size(), 1u);
  ASSERT_EQ(writes[0].words.size(), nq * k);
  for (uint64_t j = 0; j < nq; ++j) {
    std::vector<std::pair<uint64_t, uint64_t>> all;  // (distance, index)
    for (uint64_t c = 0; c < n; ++c) {
      uint64_t d = 0;
      for (uint64_t x = 0; x < cw; ++x) d += static_cast<uint64_t>(__builtin_popcountll(qs[j][x] ^ db[c][x]));
      all.push_back({d, 100 + c});
    }
    std::sort(all.begin(), all.end());
    for (uint64_t i = 0; i < k; ++i)
      EXPECT_EQ(writes[0].words[j * k + i], (all[i].second << 32) | all[i].first) << "query " << j << " entry " << i;
  }
  EXPECT_EQ(writes[0].words[2 * k], (uint64_t{104} << 32) | 0);  // query 2's exact match first
}

TEST(WorkloadRegistry, KnownTypesAndAClearErrorOtherwise) {
  EXPECT_EQ(std::string(make_workload("hamming_topk", "w")->type()), "hamming_topk");
  EXPECT_EQ(std::string(make_workload("program", "w")->type()), "program");
  EXPECT_EQ(std::string(make_workload("model", "w")->type()), "model");
  EXPECT_EQ(std::string(make_workload("attention", "w")->type()), "attention");
  EXPECT_EQ(std::string(make_workload("memoryformer", "w")->type()), "memoryformer");
  const std::string e = error_of([] { make_workload("sorting", "c.yaml: workload.type"); });
  EXPECT_TRUE(has(e,
                  "c.yaml: workload.type: unknown workload 'sorting' (known: hamming_topk, program, model, attention, "
                  "memoryformer)"))
      << e;
}

// A program from the hamming_topk compiler, saved and run again through the `program` workload.
TEST(ProgramWorkload, RunsASavedProgramAndChecksItUnlessToldNot) {
  const fs::path dir = fs::path(::testing::TempDir()) / "program_workload";
  fs::create_directories(dir);
  HammingTopkWorkload w;
  w.database = random_codes(300, 128, 5);
  w.queries = random_codes(3, 128, 6);
  w.k = 5;
  const HwConfig hw;
  const HammingTopkCompiled c = compile_hamming_topk(w, hw);
  save_program((dir / "p.bgp").string(), c.program);
  save_memimage((dir / "m.bgm").string(), c.memory);
  std::ofstream(dir / "run.yaml") << "workload: {type: program, program: p.bgp, memory: m.bgm}\n";
  Job job = load_job((dir / "run.yaml").string(), {});
  const Lowered l = job.workload->lower(job.hw);
  EXPECT_EQ(l.program.insns.size(), c.program.insns.size());
  const auto mem = execute(l.program, job.hw, l.memory);
  nlohmann::json rep;
  rep["workload"] = nlohmann::json::object();
  const Verdict v = job.workload->finish(l, mem, dir.string(), rep);
  EXPECT_TRUE(v.verified);
  EXPECT_EQ(load_memimage((dir / "memory.bgm").string()), mem);
  // An illegal program is refused when checked, naming the file; with check: false it lowers and the
  // executor stops at the fault.
  Program bad = c.program;
  bad.insns.insert(bad.insns.begin(), make_load(isa::Buf::kRbuf, 0, 4, 0));
  save_program((dir / "bad.bgp").string(), bad);
  std::ofstream(dir / "bad.yaml") << "workload: {type: program, program: bad.bgp, memory: m.bgm}\n";
  Job jb = load_job((dir / "bad.yaml").string(), {});
  const std::string e = error_of([&] { jb.workload->lower(jb.hw); });
  EXPECT_TRUE(has(e, "bad.bgp: program instruction 0") && has(e, "load can only fill")) << e;
  std::ofstream(dir / "bad.yaml") << "workload: {type: program, program: bad.bgp, memory: m.bgm, check: false}\n";
  Job ju = load_job((dir / "bad.yaml").string(), {});
  const Lowered lu = ju.workload->lower(ju.hw);
  EXPECT_FALSE(lu.checked);
  EXPECT_EQ(execute_program(lu.program, ju.hw, lu.memory).fault.causes, 1u << static_cast<int>(isa::Fault::kBadBuffer));
  // Unknown keys and missing files are named.
  std::ofstream(dir / "k.yaml") << "workload: {type: program, program: p.bgp, memory: m.bgm, chek: false}\n";
  EXPECT_TRUE(has(error_of([&] { load_job((dir / "k.yaml").string(), {}); }), "workload.chek: unknown key"));
  std::ofstream(dir / "f.yaml") << "workload: {type: program, program: nothere.bgp, memory: m.bgm}\n";
  EXPECT_TRUE(has(error_of([&] { load_job((dir / "f.yaml").string(), {}); }), "nothere.bgp"));
  // load_workload_type reads workload.type (with the overrides) without loading the workload's files.
  EXPECT_EQ(load_workload_type((dir / "f.yaml").string(), {}), "program");
  EXPECT_EQ(load_workload_type((dir / "f.yaml").string(), {"workload.type=model"}), "model");
  EXPECT_TRUE(has(error_of([&] { load_workload_type((dir / "f.yaml").string(), {"workload"}); }), "key.path=value"));
}
