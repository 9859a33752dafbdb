// bitgrid: run a config on a backend, compile a workload, disassemble a program, quantize weights, build for an FPGA.
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "bitgrid/datafile.h"
#include "bitgrid/energy.h"
#include "bitgrid/engine.h"
#include "bitgrid/error.h"
#include "bitgrid/executor.h"
#include "bitgrid/job.h"
#include "bitgrid/memimage.h"
#include "bitgrid/progress.h"
#include "bitgrid/quant.h"
#include "cli.h"

#ifndef BITGRID_SOURCE_DIR
#define BITGRID_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace bitgrid;

namespace bitgrid::cli {

FileLock::FileLock(const fs::path& path) : fd_(open(path.c_str(), O_CREAT | O_RDWR, 0644)) {
  if (fd_ >= 0) flock(fd_, LOCK_EX);
}
FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);
}

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

// Runs argv[0] (an absolute path) and waits; `err_file`, if given, receives its stderr, `out_file` its stdout.
int run_process(const std::vector<std::string>& argv, const std::string& err_file, const std::string& out_file) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw Error("cannot start " + argv[0]);
  if (pid == 0) {
    if (!err_file.empty()) {
      if (!std::freopen(err_file.c_str(), "w", stderr)) _exit(127);
    }
    if (!out_file.empty()) {
      if (!std::freopen(out_file.c_str(), "w", stdout)) _exit(127);
    }
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

fs::path simulator(const std::string& backend, const HwConfig& hw) {
  if (backend == "systemc") {
    const fs::path p = self_dir() / "bitgrid-sim-systemc";
    if (!fs::exists(p)) throw Error(p.string() + ": SystemC simulator not built");
    return p;
  }
  if (backend == "fpga") {
    const fs::path p = self_dir() / "bitgrid-sim-fpga";
    if (!fs::exists(p)) throw Error(p.string() + ": the fpga backend's host program is not built");
    return p;
  }
  const char* env = std::getenv("BITGRID_RTL_CACHE");
  const fs::path cache = env ? fs::path(env) : self_dir() / "rtl";
  const fs::path dir = cache / hw_key(hw);
  const fs::path exe = dir / "bitgrid-sim-rtl";
  // scripts/build_rtl_sim.sh returns at once when the cached simulator is newer than every input (the RTL, the
  // harness, the model, the config) and rebuilds it otherwise. The folder's name is the config's hash, so the
  // config file beside the simulator is written once; one written beside a simulator the build made
  // (build/rtl/default) is dated before it, since it holds the same config.
  fs::create_directories(dir);
  const fs::path hwfile = dir / "hw.yaml";
  if (!fs::exists(hwfile)) {
    write_text(hwfile, hw.to_yaml());
    if (fs::exists(exe)) fs::last_write_time(hwfile, fs::last_write_time(exe) - std::chrono::seconds(1));
  }
  // A notice for people watching (a terminal); logs and scripts get only the run's own lines (one error line on
  // failure: the first rtl run of a config in a clean build used to add this line to it).
  if (!fs::exists(exe) && isatty(STDERR_FILENO))
    std::cerr << "bitgrid: building the RTL simulator for this hardware config (cached in " << dir.string() << ")\n";
  // Link the model library this build already has, rather than compiling the model again.
  const fs::path model_lib = self_dir() / "model" / "libbitgrid_model.a";
  if (fs::exists(model_lib) && !std::getenv("BITGRID_MODEL_LIB")) setenv("BITGRID_MODEL_LIB", model_lib.c_str(), 1);
  // One build at a time per folder (a sweep's points may share a hardware config).
  std::optional<FileLock> lock(dir / ".build.lock");
  // The script says what it rebuilds and why on stderr: shown on a terminal, else kept in DIR/build-notes.txt so
  // that logs and scripts get only the run's own lines.
  const fs::path notes = dir / "build-notes.txt";
  const int rc = run_process(
      {"/bin/bash", std::string(BITGRID_SOURCE_DIR) + "/scripts/build_rtl_sim.sh", hwfile.string(), dir.string()},
      isatty(STDERR_FILENO) ? "" : notes.string());
  lock.reset();
  if (rc != 0 || !fs::exists(exe))
    throw Error("building the RTL simulator failed (scripts/build_rtl_sim.sh exit " + std::to_string(rc) +
                (isatty(STDERR_FILENO) ? "" : "; see " + notes.string()) + ")");
  return exe;
}

// Runs one of our plotting scripts (scripts/NAME with `args`) under Debian's Python, whose python3-matplotlib draws
// (BITGRID_PYTHON names another interpreter). Returns "" when it succeeded, else why not in one line (the script's
// "error: " line, or the last line it printed).
std::string run_plot_script(const std::string& name, const std::vector<std::string>& args) {
  const char* env = std::getenv("BITGRID_PYTHON");
  const std::string py = env ? env : "/usr/bin/python3";
  if (access(py.c_str(), X_OK) != 0)
    return py + " not found (the plots need Debian's python3 and python3-matplotlib: `make deps`)";
  std::string tmpl = (fs::temp_directory_path() / "bitgrid-plot-XXXXXX").string();
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) return "cannot create a temporary file";
  close(fd);
  std::vector<std::string> argv{py, std::string(BITGRID_SOURCE_DIR) + "/scripts/" + name};
  argv.insert(argv.end(), args.begin(), args.end());
  const int rc = run_process(argv, tmpl);
  std::string msg, last;
  {
    std::ifstream f(tmpl);
    for (std::string line; std::getline(f, line);) {
      if (line.rfind("error: ", 0) == 0) msg = line.substr(7);
      if (!line.empty()) last = line;
    }
  }
  std::error_code ec;
  fs::remove(tmpl, ec);
  if (rc == 0) return "";
  return !msg.empty() ? msg : "scripts/" + name + " failed (exit " + std::to_string(rc) + "): " + last;
}

// report.html of the run folder `dir` (its report.json) written to `page`; "" or why not.
std::string write_report_html(const fs::path& dir, const fs::path& page) {
  return run_plot_script("report_html.py", {dir.string(), "--out", page.string()});
}

struct BackendRun {
  std::vector<uint8_t> memory;
  json stats;  // from the simulator (cycles, units, dram, wall_seconds)
  double wall = 0;
  std::string fault;  // a machine fault stopped the run: its description
};

// `timeline`: the simulator also writes the run's trace-event timeline to staging/job-timeline.json.
// `progress`: the simulator shows a progress bar towards `expect_cycles` (when stderr is a terminal).
BackendRun run_on(const std::string& backend, const HwConfig& hw, const Lowered& l, const fs::path& staging,
                  const std::string& trace, bool progress, uint64_t expect_cycles, const BoardPort& board = {},
                  bool timeline = false) {
  BackendRun r;
  const auto t0 = std::chrono::steady_clock::now();
  if (backend == "reference") {
    ExecResult e = execute_program(l.program, hw, l.memory);
    if (e.fault) r.fault = "reference: " + e.fault.describe(l.program);
    r.memory = std::move(e.memory);
  } else {
    const fs::path exe = simulator(backend, hw);
    const fs::path hwf = staging / "job-hw.yaml", pf = staging / "job-program.bgp", mf = staging / "job-memory.bgm",
                   of = staging / "job-out.bgm", sf = staging / "job-stats.json";
    write_text(hwf, hw.to_yaml());
    save_program(pf.string(), l.program);
    save_memimage(mf.string(), l.memory);
    std::vector<std::string> args{exe.string(), "--hw",      hwf.string(), "--program", pf.string(), "--mem",
                                  mf.string(),  "--out-mem", of.string(),  "--stats",   sf.string()};
    if (!trace.empty()) args.insert(args.end(), {"--trace", trace});
    if (timeline) args.insert(args.end(), {"--timeline", (staging / "job-timeline.json").string()});
    if (progress) args.insert(args.end(), {"--progress", "--expect-cycles", std::to_string(expect_cycles)});
    if (!l.checked) args.push_back("--no-check");
    args.push_back("--quiet");  // a fault is read from the stats file and reported once, below
    // The fpga host's errors (the board, the port) are the run's error: read its one line rather than
    // adding a second one.
    const fs::path ef = staging / "job-stderr.txt";
    if (backend == "fpga") {
      args.insert(args.end(), {"--port", board.port});
      if (board.baud) args.insert(args.end(), {"--baud", std::to_string(board.baud)});
    }
    const int rc = run_process(args, backend == "fpga" ? ef.string() : "");
    if (rc == 4 && fs::exists(sf)) {  // a machine fault: the simulator wrote its description
      std::ifstream sfin(sf);
      const json st = json::parse(sfin);
      r.fault = backend + ": " + st.at("fault").at("message").get<std::string>();
      return r;
    }
    if (rc != 0 && backend == "fpga") {
      std::ifstream efin(ef);
      std::string line, msg;
      while (std::getline(efin, line))
        if (line.rfind("error: ", 0) == 0) msg = line.substr(7);
      throw Error(msg.empty() ? "fpga: bitgrid-sim-fpga failed (exit " + std::to_string(rc) + ")" : msg);
    }
    if (rc != 0) throw Error(backend + " simulation failed (exit " + std::to_string(rc) + ")");
    r.memory = load_memimage(of.string());
    std::ifstream sfin(sf);
    r.stats = json::parse(sfin);
  }
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// The roofline of the configured machine for a program: each engine's useful work over its declared peak
// rate (engines take turns on the compute unit, so their times add) against the DRAM traffic over the
// DRAM bandwidth.
json roofline(const ActionCounts& acts, const HwConfig& hw) {
  json r;
  json eng = json::object();
  double compute = 0;
  for (const Engine* e : engines()) {
    const double useful = acts.useful.count(e->name()) ? acts.useful.at(e->name()) : 0.0;
    const double peak = isa::engine_peak_per_cycle(e->index(), hw);
    eng[e->name()] = {
        {"unit", e->def().peak_unit}, {"peak_per_cycle", peak}, {"useful", useful}, {"bound_cycles", useful / peak}};
    compute += useful / peak;
  }
  const double bw = static_cast<double>(hw.dram_bytes_per_cycle);
  const double dram = static_cast<double>(acts.get("dram.read_bytes") + acts.get("dram.write_bytes")) / bw;
  r["engines"] = eng;
  r["dram_bytes_per_cycle"] = bw;
  r["compute_bound_cycles"] = compute;
  r["dram_bound_cycles"] = dram;
  r["bound_cycles"] = std::max(compute, dram);
  r["bound_by"] = compute >= dram ? "compute" : "dram";
  return r;
}

// Per named part of the program (Lowered::sections, e.g. a model's layers): its instructions' energy and,
// on the timed backends, its cycles (first issue to last completion of its compute instructions) and its
// whole span (of all its instructions: the next part's loads run while this one computes).
void rep_sections(const Lowered& l, const Job& job, const BackendRun& r, const std::string& backend, json& rep) {
  if (l.sections.empty()) return;
  std::vector<Program> parts(l.sections.size());
  for (size_t i = 0; i < l.program.insns.size(); ++i)
    parts.at(l.insn_section.at(i)).insns.push_back(l.program.insns[i]);
  // Spans: of all the part's instructions, and of its compute instructions (its time on the engines; parts
  // follow each other there, so these add up to about the run's cycles).
  std::vector<uint64_t> first(parts.size(), UINT64_MAX), last(parts.size(), 0);
  std::vector<uint64_t> cfirst(parts.size(), UINT64_MAX), clast(parts.size(), 0);
  if (backend != "reference" && r.stats.contains("insn_log"))
    for (const auto& x : r.stats.at("insn_log")) {
      const size_t idx = x[0].get<size_t>(), p = l.insn_section.at(idx);
      const uint64_t is = x[1].get<uint64_t>(), co = x[2].get<uint64_t>();
      first[p] = std::min(first[p], is);
      last[p] = std::max(last[p], co);
      if (l.program.insns[idx].queue() == isa::Queue::kCompute) {
        cfirst[p] = std::min(cfirst[p], is);
        clast[p] = std::max(clast[p], co);
      }
    }
  json secs = json::array();
  for (size_t i = 0; i < parts.size(); ++i) {
    const ActionCounts a = count_actions(parts[i], job.hw);
    const auto e = energy_pj(a, job.hw, job.energy);
    json by = json::object();  // the components that spent energy in this part
    for (const auto& [k, v] : e)
      if (k != "total" && v > 0) by[k] = v;
    json s = {{"name", l.sections[i]},
              {"instructions", parts[i].insns.size()},
              {"energy_pj", e.at("total")},
              {"energy_pj_by_component", by},
              {"dram_bytes", {{"read", a.get("dram.read_bytes")}, {"write", a.get("dram.write_bytes")}}}};
    if (first[i] != UINT64_MAX) {
      s["first_issue"] = first[i];
      s["last_completion"] = last[i];
      s["span_cycles"] = last[i] - first[i] + 1;
      s["cycles"] = cfirst[i] != UINT64_MAX ? clast[i] - cfirst[i] + 1 : last[i] - first[i] + 1;
    }
    secs.push_back(s);
  }
  rep["sections"] = secs;
}

// The run on an FPGA (the config's `fpga` section): its clock, the run's wall time on the part (cycles ÷ Fmax,
// when the backend counted cycles) and each engine's useful work per second, and per LUT when the LUTs are known.
json fpga_report(const FpgaClock& f, const json& roof, double cycles) {
  json fj = {{"target", f.target}, {"source", f.source}};
  if (f.fmax_mhz > 0) fj["fmax_mhz"] = f.fmax_mhz;
  if (!f.stage.empty()) fj["stage"] = f.stage;
  if (f.luts >= 0) fj["luts"] = f.luts;
  if (cycles < 0 || f.fmax_mhz <= 0) return fj;  // the reference backend counts no cycles; no clock, no seconds
  const double secs = cycles / (f.fmax_mhz * 1e6);
  fj["seconds"] = secs;
  json per = json::object();
  for (const auto& [name, e] : roof.at("engines").items()) {
    const double useful = e.at("useful").get<double>();
    if (useful <= 0) continue;
    json x = {{"unit", e.at("unit")}, {"per_second", useful / secs}};
    if (f.luts > 0) x["per_second_per_lut"] = useful / secs / static_cast<double>(f.luts);
    per[name] = x;
  }
  fj["throughput"] = per;
  return fj;
}

int cmd_run(const std::string& config, const std::string& backend, const std::string& out, const std::string& trace,
            const std::vector<std::string>& sets, bool quiet, const BoardPort& board, const std::string& timeline,
            bool html) {
  if (backend == "fpga" && board.port.empty())
    throw Error("--backend fpga needs --port DEVICE (the board's serial port, e.g. /dev/ttyUSB1)");
  if (backend != "fpga" && (!board.port.empty() || board.baud))
    throw Error("--port and --baud are for --backend fpga, not " + backend);
  Job job = load_job(config, sets);
  if (!trace.empty() && backend != "rtl" && backend != "systemc")
    throw Error("--trace: waveforms come from the rtl (FST) or systemc backend, not from " + backend);
  if (!timeline.empty() && backend != "rtl" && backend != "systemc")
    throw Error("--timeline: timelines come from the systemc and rtl backends (they count cycles), not from " +
                backend);
  const Lowered l = job.workload->lower(job.hw);
  const ActionCounts acts = count_actions(l.program, job.hw);
  const json roof = roofline(acts, job.hw);
  const double bound = roof["bound_cycles"].get<double>();
  Staging stage(out);
  // A progress bar (towards the roofline bound) when the run will take more than a second or two (rtl simulates
  // ~0.2 M cycles/s) and stderr is a terminal, unless --quiet.
  const bool long_run = bound > (backend == "rtl" ? 300000.0 : 30000000.0);
  BackendRun r = run_on(backend, job.hw, l, stage.dir, trace, long_run && !quiet && backend != "fpga",
                        static_cast<uint64_t>(bound), board, !timeline.empty());
  if (!r.fault.empty()) throw MachineFaultError(r.fault);

  // Verification: every backend's final DRAM bytes against the reference model's, and the workload's
  // results against an independent computation (Workload::finish).
  bool verified = true;
  std::string why;
  if (backend != "reference") {
    const ExecResult ref = execute_program(l.program, job.hw, l.memory);
    if (ref.fault) {
      verified = false;
      why = "the reference model stops with a " + ref.fault.describe(l.program) + ", the " + backend +
            " backend does not";
    } else if (ref.memory != r.memory) {
      size_t i = 0;
      while (i < r.memory.size() && i < ref.memory.size() && r.memory[i] == ref.memory[i]) ++i;
      verified = false;
      why = "final DRAM bytes differ from the reference model's (first at byte " + std::to_string(i) + ")";
    }
  }

  json rep;
  rep["backend"] = backend;
  rep["config"] = config;
  rep["workload"] = {{"type", job.workload_type}, {"instructions", l.program.insns.size()}};
  json hwj;
  job.hw.for_each([&](const char* n, long v) { hwj[n] = v; });
  rep["hardware"] = hwj;
  rep["wall_seconds"] = r.wall;
  rep["roofline"] = roof;
  if (backend == "reference") {
    rep["cycles"] = nullptr;
  } else {
    const double cycles = r.stats.at("cycles").get<double>();
    rep["cycles"] = r.stats.at("cycles");
    rep["sim_wall_seconds"] = r.stats.value("wall_seconds", 0.0);
    rep["sim_cycles_per_second"] = cycles / std::max(1e-9, r.stats.value("wall_seconds", r.wall));
    rep["roofline"]["fraction_of_bound"] = bound / cycles;
    json units;
    for (const char* u : isa::kQueueNames) {
      const auto& su = r.stats.at("units").at(u);
      units[u] = {{"busy_cycles", su.at("busy_cycles")},
                  {"insns", su.at("insns")},
                  {"utilization", su.at("busy_cycles").get<double>() / cycles}};
    }
    rep["units"] = units;
    // Activity over time (bins of profile.bin_cycles cycles): each unit's busy cycles and the DRAM bytes moved.
    if (r.stats.contains("profile")) rep["profile"] = r.stats.at("profile");
    rep["compute_utilization_of_peak"] = roof["compute_bound_cycles"].get<double>() / cycles;
  }
  rep["dram_bytes"] = {{"read", acts.get("dram.read_bytes")}, {"write", acts.get("dram.write_bytes")}};
  if (job.fpga) rep["fpga"] = fpga_report(*job.fpga, roof, backend == "reference" ? -1.0 : rep["cycles"].get<double>());
  rep["actions"] = acts.count;
  const auto e = energy_pj(acts, job.hw, job.energy);
  rep["energy_table"] = job.energy.name;
  rep["energy_pj"] = e;
  rep_sections(l, job, r, backend, rep);
  const Verdict v = job.workload->finish(l, r.memory, stage.dir.string(), rep);
  if (verified && !v.verified) {
    verified = false;
    why = v.why;
  }
  rep["verified"] = verified;
  if (!verified) rep["verify_error"] = why;
  if (!timeline.empty()) rep["timeline"] = timeline;
  write_text(stage.dir / "report.json", rep.dump(2) + "\n");
  // The page is a view of report.json: a run whose page cannot be drawn still keeps its results.
  std::string html_missing;
  if (html) {
    html_missing = write_report_html(stage.dir, stage.dir / "report.html");
    if (!html_missing.empty()) std::cerr << "warning: report.html not written: " << html_missing << "\n";
  }
  if (!timeline.empty()) {  // next to the run's outputs only once the run succeeded
    std::error_code ec;
    const fs::path dst(timeline);
    if (dst.has_parent_path()) fs::create_directories(dst.parent_path(), ec);
    fs::rename(stage.dir / "job-timeline.json", dst, ec);
    if (ec) fs::copy_file(stage.dir / "job-timeline.json", dst, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(timeline + ": cannot write the timeline (" + ec.message() + ")");
  }
  stage.commit(out);

  if (!quiet) {
    fmt::print("bitgrid {} | {} | {}\n", backend, job.workload_type, job.workload->summary());
    if (backend != "reference") {
      const double cycles = rep["cycles"].get<double>();
      fmt::print("  cycles {:.0f} ({:.1f} us at 1 GHz), {:.3g} {} cycles/s\n", cycles, cycles / 1000.0,
                 rep["sim_cycles_per_second"].get<double>(), backend == "fpga" ? "board" : "simulated");
      fmt::print("  roofline: {}-bound, bound {:.0f} cycles, reached {:.1f}%\n",
                 rep["roofline"]["bound_by"].get<std::string>(), bound, 100.0 * bound / cycles);
      std::string busy;
      for (const char* u : isa::kQueueNames)
        busy += fmt::format("  {} {:.1f}%", u, 100 * rep["units"][u]["utilization"].get<double>());
      fmt::print("  busy:{}\n", busy);
    }
    if (rep.contains("fpga") && rep["fpga"].contains("seconds"))
      fmt::print("  on {} at {:.2f} MHz: {:.6g} s\n", rep["fpga"]["target"].get<std::string>(),
                 rep["fpga"]["fmax_mhz"].get<double>(), rep["fpga"]["seconds"].get<double>());
    fmt::print("  energy {:.3f} uJ (DRAM {:.0f}%)\n", e.at("total") * 1e-6, 100.0 * e.at("dram") / e.at("total"));
    for (const auto& n : v.notes) fmt::print("  {}\n", n);
    std::string outs;
    for (const auto& o : job.workload->outputs()) outs += o + ", ";
    fmt::print("  verified: {}{}\n  outputs: {}/{}report.json{}\n", verified ? "yes" : "NO - ", why, out, outs,
               html && html_missing.empty() ? ", report.html" : "");
    if (!timeline.empty()) fmt::print("  timeline: {} (open it in ui.perfetto.dev)\n", timeline);
  }
  return verified ? 0 : 3;
}

// `bitgrid report DIR`: report.html of an existing run folder (DIR/report.html, or `page`).
int cmd_report(const std::string& dir, const std::string& page) {
  const fs::path json_file = fs::path(dir) / "report.json";
  if (!fs::is_directory(dir)) throw Error(dir + ": no such folder (give the output folder of a `bitgrid run`)");
  if (!fs::exists(json_file))
    throw Error(json_file.string() + ": no such file (is " + dir + " the output folder of a `bitgrid run`?)");
  const fs::path p = page.empty() ? fs::path(dir) / "report.html" : fs::path(page);
  const std::string missing = write_report_html(dir, p);
  if (!missing.empty()) throw Error(missing);
  fmt::print("wrote {}\n", p.string());
  return 0;
}

int cmd_compile(const std::string& config, const std::string& out, const std::vector<std::string>& sets) {
  Job job = load_job(config, sets);
  const Lowered l = job.workload->lower(job.hw);
  Staging stage(out);
  save_program((stage.dir / "program.bgp").string(), l.program);
  write_text(stage.dir / "program.s", listing(l));
  save_memimage((stage.dir / "memory.bgm").string(), l.memory);
  write_text(stage.dir / "hw.yaml", job.hw.to_yaml());
  write_text(stage.dir / "layout.json", l.layout_json.dump(2) + "\n");
  stage.commit(out);
  fmt::print(
      "compiled {} instructions, {} bytes of DRAM image -> {}/program.bgp, program.s, memory.bgm, layout.json, "
      "hw.yaml\n",
      l.program.insns.size(), l.memory.size(), out);
  return 0;
}

// Runs a model config once per datatype (`workload.dtype`; layers that name their own datatype keep it) and,
// with `baseline`, once more as the INT8 bit-parallel baseline (hardware.mac_parallel=1), each into OUT/<name>/;
// then writes OUT/compare.csv and prints the comparison: cycles, speed-up over the baseline (or over the first
// datatype), DRAM bytes, PE utilization, energy, pJ per MAC, mean output SQNR against float, accuracy when the
// workload reports one. The datatype names and the workload type are checked before the first point runs; a
// point that fails leaves no folder and names itself in the error.
int cmd_compare(const std::string& config, const std::string& backend, const std::string& out,
                const std::string& dtypes, const std::vector<std::string>& sets, bool baseline) {
  std::vector<std::string> names;
  if (dtypes == "all") {
    for (const auto& d : isa::kDtypes) names.push_back(d.name);
  } else {
    std::stringstream ss(dtypes);
    for (std::string d; std::getline(ss, d, ',');) {
      try {
        dtype_by_name(d);
      } catch (const Error& e) {
        throw Error(std::string("--dtypes: ") + e.what());
      }
      names.push_back(d);
    }
  }
  struct Point {
    std::string name;
    std::vector<std::string> sets;
  };
  std::vector<Point> points;
  if (baseline) {
    auto b = sets;
    b.push_back("workload.dtype=int8");
    b.push_back("hardware.mac_parallel=1");
    points.push_back({"int8_bit_parallel", b});
  }
  for (const auto& n : names) {
    auto p = sets;
    p.push_back("workload.dtype=" + n);
    points.push_back({n, p});
  }
  // The workload type, without loading the workload's data; every other error is reported by the first
  // point's run, which leaves no folder behind.
  const std::string type = load_workload_type(config, sets);
  if (type != "model") throw Error(config + ": workload.type: compare needs a model workload, not " + type);
  fs::create_directories(out);
  std::string csv =
      "point,cycles,speedup,dram_bytes,pe_utilization,energy_uj,pj_per_mac,output_sqnr_db,accuracy,verified\n";
  std::string table = fmt::format("{:<18} {:>12} {:>8} {:>13} {:>7} {:>11} {:>9} {:>9} {:>9}\n", "point", "cycles",
                                  "speedup", "DRAM bytes", "PE", "energy uJ", "pJ/MAC", "SQNR dB", "accuracy");
  double base_cycles = 0;
  int status = 0;
  for (const auto& p : points) {
    const fs::path dir = fs::path(out) / p.name;
    std::cerr << "compare: " << p.name << " on " << backend << "\n";
    int rc = 0;
    try {
      rc = cmd_run(config, backend, dir.string(), "", p.sets, true);
    } catch (const Error& e) {  // e.g. a layer this point's array cannot take: no folder for it, name the point
      std::error_code ec;
      fs::remove_all(dir, ec);
      throw Error("compare point " + p.name + ": " + e.what());
    }
    if (rc != 0) status = rc;
    std::ifstream f(dir / "report.json");
    const json rep = json::parse(f);
    const double cycles = rep["cycles"].is_null() ? 0.0 : rep["cycles"].get<double>();
    if (base_cycles == 0) base_cycles = cycles;
    double useful = 0, sqnr = 0;
    const bool parallel = rep["hardware"]["mac_parallel"].get<long>() != 0;
    for (const auto& l : rep["layers"]) {
      const double terms =
          parallel ? 1.0 : isa::kDtypes[static_cast<size_t>(dtype_by_name(l["dtype"].get<std::string>()))].terms;
      useful += l["macs"].get<double>() * terms;
      sqnr += l["output_sqnr_db"].get<double>();
    }
    sqnr /= std::max<size_t>(1, rep["layers"].size());
    const double pe =
        cycles > 0 ? useful / (cycles * rep["roofline"]["engines"]["bitmac"]["peak_per_cycle"].get<double>()) : 0;
    const double dram = rep["dram_bytes"]["read"].get<double>() + rep["dram_bytes"]["write"].get<double>();
    const double uj = rep["energy_pj"]["total"].get<double>() / 1e6;
    const std::string acc = rep.contains("accuracy") ? fmt::format("{:.4f}", rep["accuracy"].get<double>()) : "";
    const double speed = cycles > 0 ? base_cycles / cycles : 0;
    csv += fmt::format("{},{:.0f},{:.4f},{:.0f},{:.4f},{:.3f},{:.4f},{:.3f},{},{}\n", p.name, cycles, speed, dram, pe,
                       uj, rep["energy_pj_per_mac"].get<double>(), sqnr, acc, rep["verified"].get<bool>() ? 1 : 0);
    table += fmt::format("{:<18} {:>12.0f} {:>7.3f}x {:>13.0f} {:>6.1f}% {:>11.2f} {:>9.3f} {:>9.2f} {:>9}\n", p.name,
                         cycles, speed, dram, 100 * pe, uj, rep["energy_pj_per_mac"].get<double>(), sqnr, acc);
  }
  write_text(fs::path(out) / "compare.csv", csv);
  fmt::print("bitgrid compare | {} | {} ({})\n{}", config, backend,
             baseline ? "speed-up over the INT8 bit-parallel baseline" : "speed-up over the first datatype", table);
  fmt::print("  outputs: {}/compare.csv, one folder per point\n", out);
  return status;
}

int cmd_disasm(const std::string& prog) {
  const Program p = load_program(prog);
  for (size_t i = 0; i < p.insns.size(); ++i) fmt::print("{}\n", disassemble(p.insns[i]));
  return 0;
}

// ---- bitgrid fpga ----

// scripts/fpga.sh for the job's hardware: the config's hardware (with the overrides) is written to a
// temporary HW.yaml that the script copies into OUT/hw.yaml with its results. The script prints its own
// one-line error and writes nothing into OUT on failure, so its exit status is passed on as is.
int cmd_fpga(const std::string& config, const std::string& target, const std::string& out, long seed,
             const std::string& seeds, const std::string& freq, const std::string& min_fmax,
             const std::string& route_timeout, bool per_module, const std::string& top,
             const std::vector<std::string>& sets, bool quiet, const std::string& err_file,
             const std::string& out_file) {
  const HwConfig hw = load_hardware(config, sets);
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = (fs::path(tmp && *tmp ? tmp : "/tmp") / "bitgrid-fpga-hw-XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw Error("cannot create a temporary folder in " + fs::path(tmpl).parent_path().string());
  const fs::path tmpdir = tmpl;
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{tmpdir};
  // The board's ConfigHash (bitgrid/config_hash.h): fpga.sh runs this build's bitgrid-config-hash.
  const fs::path hash_tool = self_dir() / "bitgrid-config-hash";
  if (fs::exists(hash_tool) && !std::getenv("BITGRID_CONFIG_HASH")) setenv("BITGRID_CONFIG_HASH", hash_tool.c_str(), 1);
  const fs::path hwfile = tmpdir / "hw.yaml";
  write_text(hwfile, "# bitgrid fpga: the hardware of " + config + (sets.empty() ? "" : " with --set overrides") +
                         "\n" + hw.to_yaml());
  std::vector<std::string> args{"/bin/bash",
                                std::string(BITGRID_SOURCE_DIR) + "/scripts/fpga.sh",
                                hwfile.string(),
                                "--target",
                                target,
                                "--out",
                                out,
                                "--seed",
                                std::to_string(seed),
                                "--name",
                                fs::path(config).stem().string()};
  if (!seeds.empty()) args.insert(args.end(), {"--seeds", seeds});
  if (!freq.empty()) args.insert(args.end(), {"--freq", freq});
  if (!min_fmax.empty()) args.insert(args.end(), {"--min-fmax", min_fmax});
  if (!route_timeout.empty()) args.insert(args.end(), {"--route-timeout", route_timeout});
  if (per_module) args.push_back("--per-module");
  if (quiet) args.push_back("--quiet");
  if (!top.empty()) args.insert(args.end(), {"--top", top});
  return run_process(args, err_file, out_file);
}

// ---- bitgrid quantize ----

struct WeightTensor {
  std::string name;  // in the input file (.npy: the file's stem)
  Array2D a;         // f4 [N][K]
};

// The 2-D float tensors of a weight file: all of them, or those named by `only` (each must exist and be a
// 2-D float tensor).
std::vector<WeightTensor> load_weights(const std::string& path, const std::vector<std::string>& only) {
  const std::string ext = fs::path(path).extension().string();
  auto check = [&](const std::string& name, const Array2D& a) {
    const std::string where = path + ": tensor '" + name + "'";
    if (a.dtype != "f4") throw Error(where + ": dtype " + a.dtype + " is not float32");
    if (a.ndim != 2)
      throw Error(where + ": expected a 2-D [N][K] weight matrix, got " + std::to_string(a.ndim) + " dimension(s)");
  };
  auto missing = [&](const std::string& name, const std::vector<std::string>& have) {
    std::string list;
    for (const auto& h : have) list += (list.empty() ? "" : ", ") + h;
    return Error(path + ": no tensor '" + name + "' (the file has: " + list + ")");
  };
  std::vector<WeightTensor> out;
  if (ext == ".npy") {
    if (!only.empty()) throw Error("--tensor selects tensors of .npz and .safetensors files, not of " + path);
    WeightTensor t{fs::path(path).stem().string(), read_npy(path)};
    check(t.name, t.a);
    out.push_back(std::move(t));
  } else if (ext == ".npz") {
    auto members = read_npz(path);
    std::vector<std::string> names;
    for (const auto& m : members) names.push_back(m.name);
    if (only.empty()) {
      for (auto& m : members)
        if (m.array.dtype == "f4" && m.array.ndim == 2) out.push_back({m.name, std::move(m.array)});
    } else {
      for (const auto& want : only) {
        const auto it =
            std::find_if(members.begin(), members.end(), [&](const NamedArray& m) { return m.name == want; });
        if (it == members.end()) throw missing(want, names);
        check(want, it->array);
        out.push_back({want, it->array});
      }
    }
  } else if (ext == ".safetensors") {
    const SafetensorsFile st(path);
    std::vector<std::string> names;
    for (const auto& t : st.tensors()) names.push_back(t.name);
    if (only.empty()) {
      for (const auto& t : st.tensors())
        if (t.is_float() && t.shape.size() == 2) out.push_back({t.name, st.read_f32(t.name)});
    } else {
      for (const auto& want : only) {
        const auto* t = st.find(want);
        if (!t) throw missing(want, names);
        if (!t->is_float()) throw Error(path + ": tensor '" + want + "': dtype " + t->dtype + " is not a float type");
        WeightTensor w{want, st.read_f32(want)};
        check(want, w.a);
        out.push_back(std::move(w));
      }
    }
  } else {
    throw Error(path + ": unknown weight file type '" + ext + "' (expected .npy, .npz or .safetensors)");
  }
  if (out.empty()) throw Error(path + ": no 2-D float32/float16/bfloat16 tensors to quantize");
  return out;
}

// The members of one quantized tensor in the output .npz, named PREFIX/codes, .../sel, .../gscale,
// .../cscale, .../dequant.
void add_members(std::vector<NamedArray>& out, const std::string& prefix, const Quantized& q) {
  const size_t ng = q.groups();
  out.push_back({prefix + "/codes", Array2D::make("u1", q.rows, q.cols, q.codes.data())});
  out.push_back({prefix + "/sel", Array2D::make("u1", q.rows, ng, q.sel.data())});
  out.push_back({prefix + "/gscale", Array2D::make("u1", q.rows, ng, q.gscale.data())});
  out.push_back({prefix + "/cscale", Array2D::make("f4", q.rows, 1, q.cscale.data(), 1)});
  out.push_back({prefix + "/dequant", Array2D::make("f4", q.rows, q.cols, q.dequant.data())});
}

std::string sqnr_text(double db) { return std::isinf(db) ? "inf" : fmt::format("{:.2f}", db); }

int cmd_quantize(const std::string& in, const std::string& dtype, size_t group, const std::vector<std::string>& only,
                 const std::string& out) {
  const bool all = dtype == "all";
  std::vector<int> dts;
  if (all) {
    for (size_t i = 0; i < isa::kDtypes.size(); ++i) dts.push_back(static_cast<int>(i));
  } else {
    try {
      dts.push_back(dtype_by_name(dtype));
    } catch (const Error&) {
      throw Error("--dtype: unknown datatype '" + dtype + "' (valid: " + dtype_names() + ", all)");
    }
  }
  const auto tensors = load_weights(in, only);
  std::vector<NamedArray> members;
  std::vector<std::string> lines;
  for (const auto& t : tensors) {
    const std::string where = in + ": tensor '" + t.name + "'";
    if (all)
      lines.push_back(fmt::format("{} [{} x {}] group {}\n  {:<8} {:>4} {:>12} {:>9}", t.name, t.a.rows, t.a.cols,
                                  group, "dtype", "bits", "MSE", "SQNR dB"));
    for (const int dt : dts) {
      const Quantized q = quantize(t.a.as<float>(), t.a.rows, t.a.cols, dt, group, where);
      const auto& d = isa::kDtypes[static_cast<size_t>(dt)];
      if (all) {
        lines.push_back(fmt::format("  {:<8} {:>4} {:>12.4e} {:>9}", d.name, d.bits, q.mse, sqnr_text(q.sqnr_db)));
        if (!out.empty()) add_members(members, t.name + "/" + d.name, q);
      } else {
        lines.push_back(fmt::format("{} [{} x {}] {} group {}: MSE {:.4e}, SQNR {} dB", t.name, t.a.rows, t.a.cols,
                                    d.name, group, q.mse, sqnr_text(q.sqnr_db)));
        if (!out.empty()) add_members(members, t.name, q);
      }
    }
  }
  if (!out.empty()) write_npz(out, members);  // only after every tensor quantized: an error writes nothing
  for (const auto& l : lines) fmt::print("{}\n", l);
  if (!out.empty()) fmt::print("wrote {} arrays for {} tensor(s) -> {}\n", members.size(), tensors.size(), out);
  return 0;
}

}  // namespace bitgrid::cli

using namespace bitgrid::cli;

int main(int argc, char** argv) {
  CLI::App app{"bitgrid: a co-verified accelerator for code-based neural workloads"};
  app.require_subcommand(1);
  std::string config, backend = "reference", out = "out", trace, prog;
  std::vector<std::string> sets;
  bool quiet = false;
  auto* run = app.add_subcommand("run", "compile a config's workload, run it on a backend, verify and report");
  run->add_option("config", config, "CONFIG.yaml")->required();
  run->add_option("--backend", backend, "reference | systemc | rtl | fpga")
      ->check(CLI::IsMember({"reference", "systemc", "rtl", "fpga"}));
  BoardPort board;
  run->add_option("--port", board.port, "fpga backend: the board's serial port (docs/BOARD.md), e.g. /dev/ttyUSB1");
  run->add_option("--baud", board.baud, "fpga backend: the port's baud rate (default 115200)")
      ->check(CLI::Range(1u, 100000000u));
  run->add_option("--out", out, "output folder (report.json and the workload's outputs)");
  run->add_option("--trace", trace, "waveform file (FST) for the rtl backend");
  std::string timeline;
  run->add_option("--timeline", timeline,
                  "systemc, rtl: write the run's timeline to FILE.json (Chrome/Perfetto trace events, 1 us = 1 cycle; "
                  "open it in ui.perfetto.dev)");
  run->add_option("--set", sets, "override a config value: key.path=value (repeatable)");
  run->add_flag("--quiet", quiet, "no summary on stdout");
  bool no_html = false;
  run->add_flag("--no-html", no_html, "no report.html (it takes about a second: Python and matplotlib)");
  std::string sfile, sout = "out/sweep";
  unsigned sjobs = std::max(1u, std::thread::hardware_concurrency());
  bool sslurm = false;
  std::vector<std::string> sslurm_args;
  auto* swp = app.add_subcommand(
      "sweep",
      "run a config over axes of --set values (grid or random), locally in parallel or as a Slurm job "
      "array; results.csv and a Pareto plot; resumes where it stopped");
  swp->add_option("sweep", sfile, "SWEEP.yaml (base config, axes, sampling; README \"Sweeps\")")->required();
  swp->add_option("--out", sout, "output folder: sweep.json, results.csv, pareto.svg, points/ (default out/sweep)");
  swp->add_option("-j,--jobs", sjobs, "points run at once on this machine (default: the core count)")
      ->check(CLI::Range(1u, 1024u));
  swp->add_flag("--slurm", sslurm, "submit the points not done yet as one Slurm job array (sbatch --array) and wait");
  swp->add_option("--slurm-arg", sslurm_args, "one more sbatch argument, e.g. --slurm-arg=--partition=cpu (repeatable)")
      ->allow_extra_args(false);
  swp->add_flag("--quiet", quiet, "no progress bar and no summary");
  size_t spoint = 0;
  auto* swpt = app.add_subcommand("sweep-point", "run one point of a planned sweep (the worker of `sweep`)");
  swpt->group("");  // internal: not in --help
  swpt->add_option("dir", sout, "the sweep's output folder")->required();
  swpt->add_option("id", spoint, "the point's index")->required();
  std::string rdir, rpage;
  auto* rep = app.add_subcommand("report", "write report.html (plots and tables, one offline file) of a run folder");
  rep->add_option("dir", rdir, "a run's output folder (holding report.json)")->required();
  rep->add_option("--out", rpage, "the page to write (default DIR/report.html)");
  auto* comp = app.add_subcommand("compile", "emit program binary, assembly listing and memory image");
  comp->add_option("config", config, "CONFIG.yaml")->required();
  comp->add_option("--out", out, "output folder");
  comp->add_option("--set", sets, "override a config value: key.path=value (repeatable)");
  auto* dis = app.add_subcommand("disasm", "print a program binary as assembly");
  dis->add_option("program", prog, "PROGRAM.bgp")->required();
  std::string qin, qdtype, qout;
  size_t qgroup = 128;
  std::vector<std::string> qtensors;
  auto* quant = app.add_subcommand(
      "quantize",
      "quantize weight matrices W[N][K] to a bitmac datatype: per-weight codes, per-group 8-bit scale and "
      "selector, per-channel float scale; prints MSE and SQNR per tensor");
  quant->add_option("weights", qin, "W.npy | W.npz | W.safetensors (every 2-D float tensor, or those of --tensor)")
      ->required();
  quant->add_option("--dtype", qdtype, dtype_names() + ", or all (a comparison table)")->required();
  quant->add_option("--group", qgroup, "group size along K (must divide K)");
  quant->add_option("--tensor", qtensors, "quantize only this tensor of an .npz/.safetensors file (repeatable)")
      ->allow_extra_args(false);
  quant->add_option("-o,--out", qout,
                    "OUT.npz: per tensor T the arrays T/codes, T/sel, T/gscale, T/cscale, T/dequant "
                    "(--dtype all: T/DTYPE/...); without -o nothing is written");
  std::string cdtypes = "all";
  bool no_baseline = false;
  auto* cmp = app.add_subcommand(
      "compare", "run a model config once per weight datatype and as the INT8 bit-parallel baseline; compare.csv");
  cmp->add_option("config", config, "CONFIG.yaml (a model workload)")->required();
  cmp->add_option("--backend", backend, "reference | systemc | rtl (default systemc)")
      ->check(CLI::IsMember({"reference", "systemc", "rtl"}));
  cmp->add_option("--dtypes", cdtypes, "all, or a comma-separated list of datatypes");
  cmp->add_option("--out", out, "output folder: compare.csv and one run folder per point");
  cmp->add_option("--set", sets, "override a config value: key.path=value (repeatable)");
  cmp->add_flag("--no-baseline", no_baseline, "skip the INT8 bit-parallel baseline run");
  std::string epoints, eparams, eout, enumerics = "float", elayer;
  auto* enc = app.add_subcommand(
      "encode",
      "the reference hash-grid encoder (tiny-cuda-nn semantics, or the hardware's fixed point) on your points "
      "and parameters");
  enc->add_option("config", config, "CONFIG.yaml (its workload.layers hold a hashgrid layer)")->required();
  enc->add_option("--points", epoints, "P.npy: float32 [n, dims], every coordinate in [0, 1]")->required();
  enc->add_option("--params", eparams, "G.npy: float32, tiny-cuda-nn's layout (flat or [entries, features])")
      ->required();
  enc->add_option("-o,--out", eout, "F.npy: float32 [n, levels * features]")->required();
  enc->add_option("--numerics", enumerics, "float (tiny-cuda-nn) | fixed (the hardware's, bit for bit)")
      ->check(CLI::IsMember({"float", "fixed"}));
  enc->add_option("--layer", elayer, "the hashgrid layer's name (default: the first)");
  enc->add_option("--set", sets, "override a config value: key.path=value (repeatable)");
  enc->add_flag("--quiet", quiet, "no summary line");
  std::string fimage, fout, fpng, flog;
  FitOptions fopt;
  auto* fit = app.add_subcommand(
      "fit", "train a config's hash grid + MLP in float on the CPU to fit a PNG image; export the parameters");
  fit->add_option("image", fimage, "IMAGE.png (gray or RGB; alpha is dropped)")->required();
  fit->add_option("config", config, "CONFIG.yaml: workload.layers = a hashgrid layer (dims 2), then linear layers")
      ->required();
  fit->add_option("-o,--out", fout, "PARAMS.npz: <grid>.params, <layer>.weight, <layer>.bias")->required();
  fit->add_option("--steps", fopt.steps, "stop after this many steps (reproducible from --seed)");
  fit->add_option("--seconds", fopt.seconds,
                  "stop after this much time (default 60 s, none when --steps is given alone)")
      ->check(CLI::Range(0.0, 1e7));
  fit->add_option("--batch", fopt.batch, "random pixels per step (default 16384)")->check(CLI::Range(8, 1 << 24));
  fit->add_option("--lr", fopt.lr, "Adam's learning rate (default 0.01)")->check(CLI::Range(1e-9, 10.0));
  fit->add_option("--seed", fopt.seed, "initialisation and batches (default 1)");
  fit->add_option("--eval-every", fopt.eval_every, "steps between PSNR measurements on the whole image (default 100)")
      ->check(CLI::Range(1, 1 << 30));
  fit->add_option("--png", fpng, "also write the float model's render of the image (PNG)");
  fit->add_option("--log", flog, "also write the PSNR curve (CSV: step, seconds, psnr_db)");
  fit->add_option("--layer", elayer, "the hashgrid layer's name (default: the first)");
  fit->add_option("--set", sets, "override a config value: key.path=value (repeatable)");
  fit->add_flag("--quiet", quiet, "no progress bar and no summary");
  std::string ftarget, fseeds, ffreq, fminfmax, froute, ftop;
  long fseed = 1;
  bool fpermod = false;
  auto* fpga = app.add_subcommand(
      "fpga", "synthesize the config's hardware for an FPGA (iCE40: place, route and a bitstream); fpga.json");
  fpga->add_option("config", config, "CONFIG.yaml (a run config with a hardware section, or a hardware config)")
      ->required();
  fpga->add_option("--target", ftarget, "one of: " BITGRID_FPGA_TARGETS " (scripts/fpga.sh)")->required();
  fpga->add_option("--out", out, "output folder: fpga.json, hw.yaml, logs, the bitstream (iCE40)");
  fpga->add_option("--seed", fseed, "nextpnr's placer seed (default 1)");
  fpga->add_option("--seeds", fseeds,
                   "place and route with this many seeds from --seed on and keep the highest Fmax (default 1; "
                   "fpga.json lists every seed's Fmax)");
  fpga->add_option("--freq", ffreq, "clock frequency requested from nextpnr, MHz (default 12)");
  fpga->add_option("--min-fmax", fminfmax, "fail when the routed Fmax is below this, MHz");
  fpga->add_option("--route-timeout", froute, "give up place-and-route after this many seconds (default 1800)");
  fpga->add_flag("--per-module", fpermod, "also a -noflatten synthesis: cells per module in modules.csv");
  fpga->add_flag("--quiet", quiet, "the summary only: no progress (shown on a terminal, with the time left)");
  fpga->add_option("--top", ftop,
                   "another top module, e.g. bg_core_shell: the core alone in its timing shell on an iCE40 "
                   "(scripts/fpga.sh --help)");
  fpga->add_option("--set", sets, "override a config value: key.path=value (repeatable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*run) return cmd_run(config, backend, out, trace, sets, quiet, board, timeline, !no_html);
    if (*rep) return cmd_report(rdir, rpage);
    if (*swp) return cmd_sweep(sfile, sout, sjobs, sslurm, sslurm_args, quiet);
    if (*swpt) return cmd_sweep_point(sout, spoint);
    if (*comp) return cmd_compile(config, out, sets);
    if (*dis) return cmd_disasm(prog);
    if (*fit) {
      if (fopt.steps > 0 && !fit->count("--seconds")) fopt.seconds = 0;
      return cmd_fit(fimage, config, sets, elayer, fout, fopt, fpng, flog, quiet);
    }
    if (*enc) return cmd_encode(config, sets, elayer, epoints, eparams, eout, enumerics, quiet);
    if (*quant) return cmd_quantize(qin, qdtype, qgroup, qtensors, qout);
    if (*fpga)
      return cmd_fpga(config, ftarget, out, fseed, fseeds, ffreq, fminfmax, froute, fpermod, ftop, sets, quiet, "", "");
    if (*cmp)
      return cmd_compare(config, cmp->count("--backend") ? backend : "systemc", out, cdtypes, sets, !no_baseline);
  } catch (const MachineFaultError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 4;
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
