// Command-line driver shared by the cycle-accurate backends (bitgrid-sim-systemc, bitgrid-sim-rtl,
// bitgrid-sim-fpga): each executable links this file and exactly one implementation of
// bitgrid::run_backend() (backend.h).
//
//   bitgrid-sim-<backend> --hw HW.yaml --program P.bgp --mem M.bgm --out-mem OUT.bgm --stats STATS.json
//                         [--trace F] [--timeline T.json] [--max-cycles N] [--stall-cycles N] [--progress
//                         [--expect-cycles N]]
//                         [--no-check] [--quiet] [--port DEVICE] [--baud N]
//   bitgrid-sim-<backend> --hw HW.yaml --jobs LIST [same options]
//
// LIST has one job a line, "P.bgp M.bgm OUT.bgm STATS.json" (blank lines and lines starting with # are
// skipped; relative paths are relative to the current directory); the jobs run one after the other in
// this process. HW.yaml is a flat map of hardware parameters (a map under a top-level `hardware:` key is
// accepted too). Before simulating, the program is checked against the config and the memory image size
// (bitgrid::check_program) unless --no-check is given.
//
// Outputs are written to temporary names and renamed into place only when the job succeeded, so a
// failed job leaves no output files. Errors print "error: <one line>" to stderr and exit 1; with --jobs
// the first failing job stops the run (the jobs before it keep their outputs). A machine fault (an
// illegal instruction the hardware stops on, docs/ISA.md) is a result, not an error: the job's outputs
// are written (STATS.json holds "fault"), "fault: <one line>" goes to stderr, the remaining jobs run,
// and the exit status is 4.
//
// --timeline T.json (systemc and rtl) writes the run's timeline in the Chrome/Perfetto trace-event format
// (bitgrid/timeline.h, docs/TIMELINE.md); with --jobs, job n's goes to T.<n>.json, like --trace's files.
//
// --port DEVICE (required) and --baud N (default 115200) are the fpga backend's: the serial port of the
// board (docs/BOARD.md); the other backends refuse them.
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

#include "backend.h"
#include "bitgrid/checker.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"
#include "bitgrid/memimage.h"
#include "bitgrid/timeline.h"

namespace {

using bitgrid::Error;

struct Args {
  std::string hw, program, mem, out_mem, stats, trace, timeline, jobs;
  bitgrid::SimOptions opt;
  bool check = true;
  bool quiet = false;  // no "fault:" line (the caller reads STATS.json)
  bool baud_given = false;
};

const char* kUsage =
    "usage: %s --hw HW.yaml (--program P.bgp --mem M.bgm --out-mem OUT.bgm --stats STATS.json | --jobs LIST)\n"
    "          [--trace F] [--timeline T.json] [--max-cycles N] [--stall-cycles N] [--progress [--expect-cycles N]]\n"
    "          [--no-check] [--quiet]\n"
    "          [--port DEVICE] [--baud N]   (fpga backend: the board's serial port, default 115200 baud)\n";

uint64_t parse_u64(const std::string& opt, const std::string& v) {
  try {
    size_t used = 0;
    const unsigned long long x = std::stoull(v, &used, 0);
    if (used != v.size() || v[0] == '-') throw std::invalid_argument("");
    return x;
  } catch (const std::exception&) {
    throw Error(opt + ": '" + v + "' is not a non-negative integer");
  }
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(k + " needs a value");
      return argv[++i];
    };
    if (k == "--hw")
      a.hw = value();
    else if (k == "--program")
      a.program = value();
    else if (k == "--mem")
      a.mem = value();
    else if (k == "--out-mem")
      a.out_mem = value();
    else if (k == "--stats")
      a.stats = value();
    else if (k == "--trace")
      a.trace = value();
    else if (k == "--timeline")
      a.timeline = value();
    else if (k == "--jobs")
      a.jobs = value();
    else if (k == "--max-cycles")
      a.opt.max_cycles = parse_u64(k, value());
    else if (k == "--stall-cycles")
      a.opt.stall_cycles = parse_u64(k, value());
    else if (k == "--progress")
      a.opt.progress = true;
    else if (k == "--expect-cycles")
      a.opt.expect_cycles = parse_u64(k, value());
    else if (k == "--no-check")
      a.check = false;
    else if (k == "--quiet")
      a.quiet = true;
    else if (k == "--port")
      a.opt.port = value();
    else if (k == "--baud") {
      const uint64_t b = parse_u64(k, value());
      if (b == 0 || b > 100000000) throw Error("--baud: " + std::to_string(b) + " is not a baud rate");
      a.opt.baud = static_cast<unsigned>(b);
      a.baud_given = true;
    } else if (k == "-h" || k == "--help") {
      std::printf(kUsage, argv[0]);
      std::exit(0);
    } else
      throw Error("unknown option '" + k + "' (see --help)");
  }
  if (a.hw.empty()) throw Error("--hw HW.yaml is required (see --help)");
  const bool fpga = std::string(bitgrid::backend_name()) == "fpga";
  if (fpga && a.opt.port.empty()) throw Error("--port DEVICE is required: the board's serial port (see --help)");
  if (fpga && !a.timeline.empty())
    throw Error("--timeline: the board reports no per-cycle timeline; use the systemc or rtl backend");
  if (!fpga && (!a.opt.port.empty() || a.baud_given))
    throw Error(std::string("--port and --baud are for the fpga backend, not ") + bitgrid::backend_name());
  if (a.jobs.empty()) {
    for (const auto& [name, v] : {std::pair<const char*, const std::string*>{"--program", &a.program},
                                  {"--mem", &a.mem},
                                  {"--out-mem", &a.out_mem},
                                  {"--stats", &a.stats}})
      if (v->empty()) throw Error(std::string(name) + " is required without --jobs (see --help)");
  } else if (!a.program.empty() || !a.mem.empty() || !a.out_mem.empty() || !a.stats.empty()) {
    throw Error("--jobs cannot be combined with --program/--mem/--out-mem/--stats");
  }
  return a;
}

bitgrid::HwConfig load_hw(const std::string& path) {
  YAML::Node node;
  try {
    node = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw Error(path + ": cannot open the hardware config");
  } catch (const YAML::Exception& e) {
    throw Error(path + ": " + e.what());
  }
  if (node.IsMap() && node["hardware"] && node["hardware"].IsMap()) node = node["hardware"];
  return bitgrid::HwConfig::from_yaml(node, path + ": hardware");
}

struct Job {
  std::string program, mem, out_mem, stats, trace, timeline;
};

// Job n's file of a per-job output: F.ext -> F.<n>.ext (F -> F.<n> without an extension).
std::string numbered(const std::string& path, size_t n) {
  const size_t dot = path.find_last_of('.');
  const size_t slash = path.find_last_of('/');
  const std::string k = std::to_string(n);
  return (dot != std::string::npos && (slash == std::string::npos || dot > slash))
             ? path.substr(0, dot) + "." + k + path.substr(dot)
             : path + "." + k;
}

std::vector<Job> load_jobs(const std::string& path, const std::string& trace, const std::string& timeline) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the job list");
  std::vector<Job> jobs;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::istringstream ls(line);
    Job j;
    if (!(ls >> j.program) || j.program[0] == '#') continue;
    std::string extra;
    if (!(ls >> j.mem >> j.out_mem >> j.stats) || (ls >> extra))
      throw Error(path + ":" + std::to_string(lineno) + ": expected \"P.bgp M.bgm OUT.bgm STATS.json\"");
    if (!trace.empty()) j.trace = numbered(trace, jobs.size());  // one trace per job: F.fst -> F.<n>.fst
    if (!timeline.empty()) j.timeline = numbered(timeline, jobs.size());
    jobs.push_back(j);
  }
  if (jobs.empty()) throw Error(path + ": no jobs");
  return jobs;
}

std::string tmp_name(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw Error(path + ": cannot write");
}

nlohmann::json stats_json(const bitgrid::SimResult& r, const Job& job, const bitgrid::Program& prog) {
  const size_t n_insns = prog.insns.size();
  nlohmann::json units = nlohmann::json::object();
  for (int u = 0; u < bitgrid::isa::kNumQueues; ++u)
    units[bitgrid::isa::kQueueNames[static_cast<size_t>(u)]] = {
        {"busy_cycles", r.units[static_cast<size_t>(u)].busy_cycles}, {"insns", r.units[static_cast<size_t>(u)].insns}};
  nlohmann::json j = {{"backend", r.backend},
                      {"program", job.program},
                      {"instructions", n_insns},
                      {"cycles", r.cycles},
                      {"wall_seconds", r.wall_seconds},
                      {"units", units},
                      {"dram",
                       {{"read_bytes", r.dram.read_bytes},
                        {"write_bytes", r.dram.write_bytes},
                        {"read_requests", r.dram.read_requests},
                        {"write_beats", r.dram.write_beats},
                        {"bus_busy_cycles", r.dram.bus_busy_cycles}}}};
  if (!r.insn_log.empty()) {
    j["insn_log"] = r.insn_log;              // tests/cosim names the first divergence from it
    bitgrid::ActivityProfile p = r.profile;  // activity over time for the report's plots
    p.finish(r.cycles, prog, r.insn_log);
    nlohmann::json busy = nlohmann::json::object();
    for (size_t u = 0; u < static_cast<size_t>(bitgrid::isa::kNumQueues); ++u) {
      std::vector<uint64_t> b(p.busy.size());
      for (size_t i = 0; i < b.size(); ++i) b[i] = p.busy[i][u];
      busy[bitgrid::isa::kQueueNames[u]] = b;
    }
    j["profile"] = {{"bin_cycles", p.bin_cycles},
                    {"busy_cycles", busy},
                    {"dram_read_bytes", p.read_bytes},
                    {"dram_write_bytes", p.write_bytes}};
  }
  if (r.fault) {
    nlohmann::json causes = nlohmann::json::array();
    for (int i = 0; i < bitgrid::isa::kNumFaults; ++i)
      if (r.fault.causes & (1u << i)) causes.push_back(bitgrid::isa::kFaultNames[static_cast<size_t>(i)]);
    j["fault"] = {{"causes", causes},
                  {"cause_bits", r.fault.causes},
                  {"cycle", r.fault.cycle},
                  {"instruction", r.fault.insn},
                  {"message", r.fault.describe(prog)}};
  }
  return j;
}

// Returns false when the job ended in a machine fault.
bool run_job(const bitgrid::HwConfig& hw, const Job& job, const Args& args) {
  const bitgrid::Program prog = bitgrid::load_program(job.program);
  std::vector<uint8_t> mem = bitgrid::load_memimage(job.mem);
  if (args.check) {
    try {
      bitgrid::check_program(prog, hw, mem.size());
    } catch (const Error& e) {
      throw Error(job.program + ": " + e.what());
    }
  }
  bitgrid::SimOptions opt = args.opt;
  opt.trace_path = job.trace;
  opt.program_checked = args.check;
  opt.timeline = !job.timeline.empty();
  bitgrid::SimResult res = bitgrid::run_backend(hw, prog, std::move(mem), opt);

  const std::string tmp_mem = tmp_name(job.out_mem), tmp_stats = tmp_name(job.stats);
  const std::string tmp_tl = job.timeline.empty() ? "" : tmp_name(job.timeline);
  try {
    bitgrid::save_memimage(tmp_mem, res.memory);
    write_text(tmp_stats, stats_json(res, job, prog).dump(2) + "\n");
    if (!tmp_tl.empty()) {
      bitgrid::Timeline tl;
      tl.cycles = res.cycles;
      tl.dram_beat_bytes = hw.dram_bytes_per_cycle;
      tl.insns = res.insn_log;  // the stats above used it; the logs below only the timeline
      tl.counters = std::move(res.counter_log);
      tl.dram = std::move(res.dram_log);
      if (res.fault) {
        tl.fault_cycle = static_cast<int64_t>(res.fault.cycle);
        tl.fault = res.fault.describe(prog);
      }
      write_text(tmp_tl, bitgrid::timeline_trace_json(prog, tl));
    }
    if (std::rename(tmp_mem.c_str(), job.out_mem.c_str()) != 0) throw Error(job.out_mem + ": cannot write");
    if (std::rename(tmp_stats.c_str(), job.stats.c_str()) != 0) {
      std::remove(job.out_mem.c_str());
      throw Error(job.stats + ": cannot write");
    }
    if (!tmp_tl.empty() && std::rename(tmp_tl.c_str(), job.timeline.c_str()) != 0) {
      std::remove(job.out_mem.c_str());
      std::remove(job.stats.c_str());
      throw Error(job.timeline + ": cannot write");
    }
  } catch (...) {
    std::remove(tmp_mem.c_str());
    std::remove(tmp_stats.c_str());
    if (!tmp_tl.empty()) std::remove(tmp_tl.c_str());
    throw;
  }
  if (res.fault && !args.quiet)
    std::fprintf(stderr, "fault: %s: %s\n", job.program.c_str(), res.fault.describe(prog).c_str());
  return !res.fault;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

int sc_main(int argc, char** argv) {
  std::string where;
  try {
    const Args args = parse_args(argc, argv);
    const bitgrid::HwConfig hw = load_hw(args.hw);
    bool faulted = false;
    if (args.jobs.empty()) {
      faulted = !run_job(hw, {args.program, args.mem, args.out_mem, args.stats, args.trace, args.timeline}, args);
    } else {
      const std::vector<Job> jobs = load_jobs(args.jobs, args.trace, args.timeline);
      for (size_t i = 0; i < jobs.size(); ++i) {
        where = args.jobs + ": job " + std::to_string(i + 1) + " (" + jobs[i].program + "): ";
        faulted = !run_job(hw, jobs[i], args) || faulted;
      }
    }
    if (faulted) return 4;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", one_line(where + e.what()).c_str());
    return 1;
  }
  return 0;
}

// SystemC's own main() prints a banner on stdout; this one silences it and then runs sc_main as usual.
int main(int argc, char** argv) {
  ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
