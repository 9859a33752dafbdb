// The engine and workload contracts: the registries, the hamtopk engine's declared timing and actions,
// and the `program` workload (a program binary run as it is, checked or not).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
  EXPECT_EQ(engine_of(9), nullptr);  // no instruction has opcode 9
}

// The engine's timing against the timing oracle's rule (R9), its actions and footprint against the rules
// of docs/ARCHITECTURE.md §2-§3.
TEST(HamtopkEngine, CyclesActionsAndFootprintFollowTheRules) {
  HwConfig hw;
  hw.ham_lanes = 4;
  hw.ham_bits_per_lane = 128;  // m = 2 words per lane
  const Engine& e = *engine_of(static_cast<uint64_t>(isa::Op::kHamtopk));
  for (bool init : {true, false})
    for (uint64_t k : {1u, 7u})
      for (uint64_t cw : {1u, 2u, 3u, 8u})
        for (uint64_t n : {1u, 4u, 5u, 100u}) {
          const Insn in = encode(isa::HamtopkInsn{init, k, cw, 0, 0, 0, 0, n, {}});
          const uint64_t S = (cw + 1) / 2, G = (n + 3) / 4;
          EXPECT_EQ(e.cycles(in, hw), bgtest::oracle_engine_cycles(hw, in))
              << init << " " << k << " " << cw << " " << n;
          ActionCounts a;
          e.count(in, hw, a);
          EXPECT_EQ(a.get("hamtopk.word_op"), G * S * 4 * 2);
          EXPECT_EQ(a.get("sram.dbuf.read_words"), G * S * 8);
          EXPECT_EQ(a.get("sram.rbuf.write_words"), k);
          EXPECT_EQ(a.get("sram.rbuf.read_words"), init ? 0 : k);
          EXPECT_DOUBLE_EQ(a.useful.at("hamtopk"), static_cast<double>(n * cw * 64));
          std::vector<Access> acc;
          e.accesses(in, hw, acc);
          bool wrote_rbuf = false;
          for (const auto& x : acc)
            wrote_rbuf = wrote_rbuf || (x.space == static_cast<int>(isa::Buf::kRbuf) && x.write && x.hi - x.lo == k);
          EXPECT_TRUE(wrote_rbuf);
        }
}

TEST(WorkloadRegistry, KnownTypesAndAClearErrorOtherwise) {
  EXPECT_EQ(std::string(make_workload("hamming_topk", "w")->type()), "hamming_topk");
  EXPECT_EQ(std::string(make_workload("program", "w")->type()), "program");
  EXPECT_EQ(std::string(make_workload("model", "w")->type()), "model");
  const std::string e = error_of([] { make_workload("sorting", "c.yaml: workload.type"); });
  EXPECT_TRUE(has(e, "c.yaml: workload.type: unknown workload 'sorting' (known: hamming_topk, program, model)")) << e;
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
