// bitgrid: run a config on a backend, compile a workload, disassemble a program.
#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bitgrid/compiler.h"
#include "bitgrid/datafile.h"
#include "bitgrid/energy.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/job.h"
#include "bitgrid/memimage.h"

#ifndef BITGRID_SOURCE_DIR
#define BITGRID_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace bitgrid;

namespace {

fs::path self_dir() { return fs::canonical("/proc/self/exe").parent_path(); }

// Staging folder inside the output folder: files are written there and moved into place only when the
// whole run succeeded, so a failed run leaves nothing half-written.
struct Staging {
  fs::path dir;
  explicit Staging(const fs::path& out) {
    fs::create_directories(out);
    std::string tmpl = (out / ".bitgrid-staging-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw Error(out.string() + ": cannot create a staging folder");
    dir = tmpl;
  }
  ~Staging() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void commit(const fs::path& out) {
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind("job-", 0) != 0) fs::rename(e.path(), out / e.path().filename());
  }
};

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream f(p);
  f << s;
  if (!f) throw Error(p.string() + ": cannot write");
}

int run_process(const std::vector<std::string>& argv) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw Error("cannot start " + argv[0]);
  if (pid == 0) {
    execv(a[0], a.data());
    std::cerr << "error: cannot execute " << argv[0] << "\n";
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string hw_key(const HwConfig& hw) {
  if (hw == HwConfig{}) return "default";
  return fmt::format("{:016x}", std::hash<std::string>{}(hw.to_yaml()));
}

fs::path simulator(const std::string& backend, const HwConfig& hw, const fs::path& staging) {
  if (backend == "systemc") {
    const fs::path p = self_dir() / "bitgrid-sim-systemc";
    if (!fs::exists(p)) throw Error(p.string() + ": SystemC simulator not built");
    return p;
  }
  const char* env = std::getenv("BITGRID_RTL_CACHE");
  const fs::path cache = env ? fs::path(env) : self_dir() / "rtl";
  const fs::path dir = cache / hw_key(hw);
  const fs::path exe = dir / "bitgrid-sim-rtl";
  if (fs::exists(exe)) return exe;
  const fs::path hwfile = staging / "job-build-hw.yaml";
  write_text(hwfile, hw.to_yaml());
  std::cerr << "bitgrid: building the RTL simulator for this hardware config (cached in " << dir.string() << ")\n";
  // Link the model library this build already has, rather than compiling the model again.
  const fs::path model_lib = self_dir() / "model" / "libbitgrid_model.a";
  if (fs::exists(model_lib) && !std::getenv("BITGRID_MODEL_LIB")) setenv("BITGRID_MODEL_LIB", model_lib.c_str(), 1);
  const int rc = run_process(
      {"/bin/bash", std::string(BITGRID_SOURCE_DIR) + "/scripts/build_rtl_sim.sh", hwfile.string(), dir.string()});
  if (rc != 0 || !fs::exists(exe))
    throw Error("building the RTL simulator failed (scripts/build_rtl_sim.sh exit " + std::to_string(rc) + ")");
  return exe;
}

struct BackendRun {
  std::vector<uint8_t> memory;
  json stats;  // from the simulator (cycles, units, dram, wall_seconds)
  double wall = 0;
};

BackendRun run_on(const std::string& backend, const HwConfig& hw, const Compiled& c, const fs::path& staging,
                  const std::string& trace, bool progress) {
  BackendRun r;
  const auto t0 = std::chrono::steady_clock::now();
  if (backend == "reference") {
    r.memory = execute(c.program, hw, c.memory);
  } else {
    const fs::path exe = simulator(backend, hw, staging);
    const fs::path hwf = staging / "job-hw.yaml", pf = staging / "job-program.bgp", mf = staging / "job-memory.bgm",
                   of = staging / "job-out.bgm", sf = staging / "job-stats.json";
    write_text(hwf, hw.to_yaml());
    save_program(pf.string(), c.program);
    save_memimage(mf.string(), c.memory);
    std::vector<std::string> args{exe.string(), "--hw",      hwf.string(), "--program", pf.string(), "--mem",
                                  mf.string(),  "--out-mem", of.string(),  "--stats",   sf.string()};
    if (!trace.empty()) args.insert(args.end(), {"--trace", trace});
    if (progress) args.push_back("--progress");
    const int rc = run_process(args);
    if (rc != 0) throw Error(backend + " simulation failed (exit " + std::to_string(rc) + ")");
    r.memory = load_memimage(of.string());
    std::ifstream sfin(sf);
    r.stats = json::parse(sfin);
  }
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

int cmd_run(const std::string& config, const std::string& backend, const std::string& out, const std::string& trace,
            const std::vector<std::string>& sets, bool quiet) {
  Job job = load_job(config, sets);
  if (!trace.empty() && backend != "rtl" && backend != "systemc")
    throw Error("--trace: waveforms come from the rtl (FST) or systemc backend, not from " + backend);
  const Compiled c = compile_hamming_topk(job.workload, job.hw);
  const ActionCounts acts = count_actions(c.program, job.hw);
  Staging stage(out);
  // Show progress when the run will take more than a few seconds (rtl simulates ~0.2 M cycles/s).
  const uint64_t expect = std::max<uint64_t>(acts.ideal_compute_cycles,
                                             acts.dram_read_bytes / static_cast<uint64_t>(job.hw.dram_bytes_per_cycle));
  const bool long_run = expect > (backend == "rtl" ? 500000u : 50000000u);
  BackendRun r = run_on(backend, job.hw, c, stage.dir, trace, long_run);

  std::vector<int64_t> nb;
  std::vector<int32_t> dist;
  decode_hamming_topk(c.layout, r.memory, nb, dist);
  // Verification: against the reference executor's bytes (other backends) and always against an
  // independent brute-force top-k over the codes.
  bool verified = true;
  std::string why;
  if (backend != "reference") {
    const auto ref = execute(c.program, job.hw, c.memory);
    std::vector<int64_t> rn;
    std::vector<int32_t> rd;
    decode_hamming_topk(c.layout, ref, rn, rd);
    if (rn != nb || rd != dist) {
      verified = false;
      why = "results differ from the reference model";
    }
  }
  const auto brute = knn_hamming(job.workload.database, job.workload.queries, job.workload.k);
  for (size_t i = 0; i < brute.size() && verified; ++i) {
    const int64_t bi = brute[i].empty() ? -1 : brute[i].index;
    if (bi != nb[i] || (bi >= 0 && static_cast<int32_t>(brute[i].dist) != dist[i])) {
      verified = false;
      why = fmt::format("query {} rank {}: got ({}, {}), brute force gives ({}, {})", i / job.workload.k,
                        i % job.workload.k, nb[i], dist[i], bi, brute[i].dist);
    }
  }

  json rep;
  rep["backend"] = backend;
  rep["config"] = config;
  rep["workload"] = {{"type", job.workload_type},
                     {"database_codes", job.workload.database.n},
                     {"queries", job.workload.queries.n},
                     {"bits", job.workload.database.bits()},
                     {"k", job.workload.k},
                     {"query_batch", c.layout.batch},
                     {"tile_codes", c.layout.tile_codes},
                     {"tiles", c.layout.tiles},
                     {"instructions", c.program.insns.size()}};
  json hwj;
  job.hw.for_each([&](const char* n, long v) { hwj[n] = v; });
  rep["hardware"] = hwj;
  rep["wall_seconds"] = r.wall;
  const double bw = static_cast<double>(job.hw.dram_bytes_per_cycle);
  const double peak_bits = static_cast<double>(job.hw.ham_lanes * job.hw.ham_bits_per_lane);
  const double compute_bound = static_cast<double>(acts.useful_bits) / peak_bits;
  const double dram_bound = static_cast<double>(acts.dram_read_bytes + acts.dram_write_bytes) / bw;
  const double bound = std::max(compute_bound, dram_bound);
  rep["roofline"] = {{"peak_code_bits_per_cycle", peak_bits},
                     {"dram_bytes_per_cycle", bw},
                     {"compute_bound_cycles", compute_bound},
                     {"dram_bound_cycles", dram_bound},
                     {"bound_cycles", bound},
                     {"bound_by", compute_bound >= dram_bound ? "compute" : "dram"}};
  if (backend == "reference") {
    rep["cycles"] = nullptr;
  } else {
    const double cycles = r.stats.at("cycles").get<double>();
    rep["cycles"] = r.stats.at("cycles");
    rep["sim_wall_seconds"] = r.stats.value("wall_seconds", 0.0);
    rep["sim_cycles_per_second"] = cycles / std::max(1e-9, r.stats.value("wall_seconds", r.wall));
    rep["roofline"]["fraction_of_bound"] = bound / cycles;
    json units;
    for (const char* u : {"load", "compute", "store"}) {
      const auto& su = r.stats.at("units").at(u);
      units[u] = {{"busy_cycles", su.at("busy_cycles")},
                  {"insns", su.at("insns")},
                  {"utilization", su.at("busy_cycles").get<double>() / cycles}};
    }
    rep["units"] = units;
    rep["compute_utilization_of_peak"] = compute_bound / cycles;
  }
  rep["dram_bytes"] = {{"read", acts.dram_read_bytes}, {"write", acts.dram_write_bytes}};
  rep["actions"] = {{"ham_word_ops", acts.ham_word_ops},
                    {"topk_merges", acts.topk_merges},
                    {"code_compares", acts.useful_code_compares},
                    {"sram_read_words", acts.sram_read_words},
                    {"sram_write_words", acts.sram_write_words}};
  const auto e = energy_pj(acts, job.hw, job.energy);
  rep["energy_table"] = job.energy.name;
  rep["energy_pj"] = e;
  rep["energy_pj_per_code_compare"] = e.at("total") / static_cast<double>(acts.useful_code_compares);
  rep["verified"] = verified;
  if (!verified) rep["verify_error"] = why;
  double recall = -1;
  if (job.float_db) {
    const auto exact = exact_knn_l2(*job.float_db, *job.float_queries, job.workload.k);
    recall = recall_at_k(nb, exact, job.workload.queries.n, job.workload.k);
    rep["recall_at_k"] = recall;
  }
  write_npy((stage.dir / "neighbors.npy").string(), "i8", job.workload.queries.n, job.workload.k, nb.data());
  write_npy((stage.dir / "distances.npy").string(), "i4", job.workload.queries.n, job.workload.k, dist.data());
  write_text(stage.dir / "report.json", rep.dump(2) + "\n");
  stage.commit(out);

  if (!quiet) {
    fmt::print("bitgrid {} | {} | {} codes x {} bits, {} queries, k={}\n", backend, job.workload_type,
               job.workload.database.n, job.workload.database.bits(), job.workload.queries.n, job.workload.k);
    if (backend != "reference") {
      const double cycles = rep["cycles"].get<double>();
      fmt::print("  cycles {:.0f} ({:.1f} us at 1 GHz), {:.3g} simulated cycles/s\n", cycles, cycles / 1000.0,
                 rep["sim_cycles_per_second"].get<double>());
      fmt::print("  roofline: {}-bound, bound {:.0f} cycles, reached {:.1f}%\n",
                 rep["roofline"]["bound_by"].get<std::string>(), bound, 100.0 * bound / cycles);
      fmt::print("  busy: load {:.1f}%  compute {:.1f}%  store {:.1f}%\n",
                 100 * rep["units"]["load"]["utilization"].get<double>(),
                 100 * rep["units"]["compute"]["utilization"].get<double>(),
                 100 * rep["units"]["store"]["utilization"].get<double>());
    }
    fmt::print("  energy {:.3f} uJ ({:.1f} pJ per code compare; DRAM {:.0f}%)\n", e.at("total") * 1e-6,
               rep["energy_pj_per_code_compare"].get<double>(), 100.0 * e.at("dram") / e.at("total"));
    if (recall >= 0) fmt::print("  recall@{} vs exact float kNN: {:.4f}\n", job.workload.k, recall);
    fmt::print("  verified: {}{}\n  outputs: {}/neighbors.npy, distances.npy, report.json\n",
               verified ? "yes" : "NO - ", why, out);
  }
  return verified ? 0 : 3;
}

int cmd_compile(const std::string& config, const std::string& out, const std::vector<std::string>& sets) {
  Job job = load_job(config, sets);
  const Compiled c = compile_hamming_topk(job.workload, job.hw);
  Staging stage(out);
  save_program((stage.dir / "program.bgp").string(), c.program);
  write_text(stage.dir / "program.s", listing(c));
  save_memimage((stage.dir / "memory.bgm").string(), c.memory);
  write_text(stage.dir / "hw.yaml", job.hw.to_yaml());
  const auto& l = c.layout;
  json lj = {{"nq", l.nq},
             {"k", l.k},
             {"batch", l.batch},
             {"tile_codes", l.tile_codes},
             {"tiles", l.tiles},
             {"batches", l.batches},
             {"query_addr", l.query_addr},
             {"db_addr", l.db_addr},
             {"result_addr", l.result_addr},
             {"result_batch_stride", l.result_batch_stride},
             {"dram_bytes", l.dram_bytes}};
  write_text(stage.dir / "layout.json", lj.dump(2) + "\n");
  stage.commit(out);
  fmt::print(
      "compiled {} instructions, {} bytes of DRAM image -> {}/program.bgp, program.s, memory.bgm, layout.json, "
      "hw.yaml\n",
      c.program.insns.size(), c.memory.size(), out);
  return 0;
}

int cmd_disasm(const std::string& prog) {
  const Program p = load_program(prog);
  for (size_t i = 0; i < p.insns.size(); ++i) fmt::print("{}\n", disassemble(p.insns[i]));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bitgrid: a co-verified accelerator for code-based neural workloads"};
  app.require_subcommand(1);
  std::string config, backend = "reference", out = "out", trace, prog;
  std::vector<std::string> sets;
  bool quiet = false;
  auto* run = app.add_subcommand("run", "compile a config's workload, run it on a backend, verify and report");
  run->add_option("config", config, "CONFIG.yaml")->required();
  run->add_option("--backend", backend, "reference | systemc | rtl")
      ->check(CLI::IsMember({"reference", "systemc", "rtl"}));
  run->add_option("--out", out, "output folder (neighbors.npy, distances.npy, report.json)");
  run->add_option("--trace", trace, "waveform file (FST) for the rtl backend");
  run->add_option("--set", sets, "override a config value: key.path=value (repeatable)");
  run->add_flag("--quiet", quiet, "no summary on stdout");
  auto* comp = app.add_subcommand("compile", "emit program binary, assembly listing and memory image");
  comp->add_option("config", config, "CONFIG.yaml")->required();
  comp->add_option("--out", out, "output folder");
  comp->add_option("--set", sets, "override a config value: key.path=value (repeatable)");
  auto* dis = app.add_subcommand("disasm", "print a program binary as assembly");
  dis->add_option("program", prog, "PROGRAM.bgp")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*run) return cmd_run(config, backend, out, trace, sets, quiet);
    if (*comp) return cmd_compile(config, out, sets);
    if (*dis) return cmd_disasm(prog);
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
