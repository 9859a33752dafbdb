// `bitgrid sweep` and `bitgrid sweep-point` (README "Sweeps"): design-space sweeps run locally or as a Slurm job
// array, each point a `bitgrid run` (compiler/src/cli.h).
#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bitgrid/config_hash.h"
#include "bitgrid/error.h"
#include "bitgrid/job.h"
#include "bitgrid/progress.h"
#include "bitgrid/sweep.h"
#include "cli.h"

namespace bitgrid::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

// OUT/sweep.json holds the plan; point i runs as `bitgrid sweep-point OUT i` (locally or as Slurm array task i)
// into OUT/points/<name>/ (a run folder; done when its report.json exists) or leaves OUT/points/<name>.err (its
// one-line error). results.csv and pareto.svg are made from those files, so a sweep resumes where it stopped and
// gives the same results wherever its points ran.

namespace {

json read_json_file(const fs::path& p) {
  std::ifstream f(p);
  if (!f) throw Error(p.string() + ": cannot open");
  try {
    return json::parse(f);
  } catch (const std::exception& e) {
    throw Error(p.string() + ": not valid JSON (" + e.what() + ")");
  }
}

// Writes `text` to `p` through a temporary file beside it (never half-written).
void write_atomic(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + ".tmp";
  write_text(tmp, text);
  fs::rename(tmp, p);
}

SweepPlan read_plan(const fs::path& out) {
  const fs::path pf = out / "sweep.json";
  if (!fs::exists(pf)) throw Error(pf.string() + ": no such file (not the output folder of a `bitgrid sweep`)");
  return SweepPlan::from_json(read_json_file(pf), pf.string());
}

SweepResult sweep_result(const fs::path& out, const SweepPlan& plan, size_t i) {
  const std::string name = plan.point_name(i);
  const fs::path rep = out / "points" / name / "report.json", err = out / "points" / (name + ".err");
  SweepResult r;
  if (fs::exists(rep)) {
    try {
      r.report = read_json_file(rep);
      r.status = r.report.value("verified", false) ? "ok" : "unverified";
      if (r.status == "unverified") r.error = r.report.value("verify_error", "");
    } catch (const Error& e) {
      r.status = "failed";
      r.error = e.what();
    }
  } else if (fs::exists(err)) {
    r.status = "failed";
    std::ifstream f(err);
    std::getline(f, r.error);
  } else {
    r.status = "not run";
  }
  return r;
}

// An executable on PATH, or "".
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  for (std::string d; std::getline(ss, d, ':');) {
    const fs::path p = fs::path(d.empty() ? "." : d) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

std::string first_line(const fs::path& p) {
  std::ifstream f(p);
  std::string line;
  while (std::getline(f, line))
    if (!line.empty()) return line;
  return "";
}

// Runs the pending points on this machine, `jobs` at a time.
void sweep_local(const fs::path& out, const SweepPlan& plan, const std::vector<size_t>& pending, unsigned jobs,
                 Progress& bar) {
  const std::string self = fs::canonical("/proc/self/exe").string();
  std::map<pid_t, size_t> running;
  size_t next = 0, done = 0, failed = 0;
  while (next < pending.size() || !running.empty()) {
    while (running.size() < jobs && next < pending.size()) {
      const size_t id = pending[next++];
      const std::string log = (out / "points" / (plan.point_name(id) + ".log")).string();
      const pid_t pid = fork();
      if (pid < 0) throw Error("cannot start a sweep point (fork failed)");
      if (pid == 0) {
        if (!std::freopen(log.c_str(), "w", stdout) || !std::freopen(log.c_str(), "a", stderr)) _exit(127);
        execl(self.c_str(), self.c_str(), "sweep-point", out.c_str(), std::to_string(id).c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
      }
      running[pid] = id;
    }
    int st = 0;
    const pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0) break;
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const size_t id = it->second;
    running.erase(it);
    ++done;
    const fs::path log = out / "points" / (plan.point_name(id) + ".log");
    std::error_code ec;
    if (fs::exists(log) && fs::file_size(log, ec) == 0) fs::remove(log, ec);
    const bool ok = WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 3);
    if (!ok) {
      ++failed;
      const fs::path err = out / "points" / (plan.point_name(id) + ".err");
      if (!fs::exists(err))  // it died without a word (a signal): say so
        write_atomic(err, "the point's process " +
                              (WIFSIGNALED(st) ? "was killed by signal " + std::to_string(WTERMSIG(st))
                                               : "exited " + std::to_string(WEXITSTATUS(st))) +
                              " (see " + log.string() + ")\n");
    }
    bar.update(static_cast<double>(done), failed ? std::to_string(failed) + " failed" : "");
  }
}

// "0-3,7,9-10" for sbatch --array.
std::string array_spec(const std::vector<size_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    s += (s.empty() ? "" : ",") + std::to_string(ids[i]) + (j > i ? "-" + std::to_string(ids[j]) : "");
    i = j + 1;
  }
  return s;
}

// Submits the pending points as one Slurm job array (task i = point i), waits for it, and marks tasks that ended
// without a result as failed. `extra`: more sbatch arguments (partition, account, time limit...).
void sweep_slurm(const fs::path& out, const SweepPlan& plan, const std::vector<size_t>& pending,
                 const std::vector<std::string>& extra, Progress& bar, std::string& job_id) {
  const std::string sbatch = find_on_path("sbatch"), squeue = find_on_path("squeue");
  if (sbatch.empty() || squeue.empty())
    throw Error("--slurm: sbatch/squeue not found on PATH (install slurm-client, or run without --slurm)");
  const fs::path sd = out / "slurm";
  fs::create_directories(sd);
  const std::string self = fs::canonical("/proc/self/exe").string();
  write_text(sd / "task.sh", "#!/bin/bash\n# One point of the sweep per array task (bitgrid sweep --slurm).\nexec '" +
                                 self + "' sweep-point '" + out.string() + "' \"$SLURM_ARRAY_TASK_ID\"\n");
  fs::permissions(sd / "task.sh", fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  std::vector<std::string> args{sbatch,
                                "--parsable",
                                "--job-name=bitgrid-sweep",
                                "--array=" + array_spec(pending),
                                "--output=" + (sd / "%a.log").string(),
                                "--chdir=" + out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back((sd / "task.sh").string());
  const fs::path so = sd / "sbatch.out", se = sd / "sbatch.err";
  const int rc = run_process(args, se.string(), so.string());
  if (rc != 0) {
    const std::string why = first_line(se);
    throw Error("--slurm: sbatch failed (exit " + std::to_string(rc) + (why.empty() ? "" : ": " + why) +
                "); is the cluster reachable (scripts/slurm_local.sh start for a local one)?");
  }
  job_id = first_line(so);
  job_id = job_id.substr(0, job_id.find(';'));
  if (job_id.empty()) throw Error("--slurm: sbatch printed no job id");
  auto finished = [&](size_t id) {
    const std::string n = plan.point_name(id);
    return fs::exists(out / "points" / n / "report.json") || fs::exists(out / "points" / (n + ".err"));
  };
  size_t misses = 0;
  for (;;) {
    size_t done = 0, failed = 0;
    for (size_t id : pending) {
      if (!finished(id)) continue;
      ++done;
      failed += fs::exists(out / "points" / (plan.point_name(id) + ".err"));
    }
    bar.update(static_cast<double>(done),
               (failed ? std::to_string(failed) + " failed, " : std::string()) + "Slurm job " + job_id);
    if (done == pending.size()) break;
    // squeue lists the job while any of its tasks waits or runs; twice empty in a row: it is over.
    const int q = run_process({squeue, "-h", "-j", job_id, "-o", "%i"}, (sd / "squeue.err").string(),
                              (sd / "squeue.out").string());
    const bool listed = q == 0 && !first_line(sd / "squeue.out").empty();
    misses = listed ? 0 : misses + 1;
    if (misses >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::error_code ec;
  for (size_t id : pending) {
    const fs::path log = sd / (std::to_string(id) + ".log");
    if (!finished(id))
      write_atomic(out / "points" / (plan.point_name(id) + ".err"),
                   "the Slurm task ended without a result (see " + log.string() + ")\n");
    else if (fs::exists(log) && fs::file_size(log, ec) == 0)
      fs::remove(log, ec);
  }
  for (const char* f : {"squeue.out", "squeue.err", "sbatch.err"}) fs::remove(sd / f, ec);
}

// A sweep point's hardware through the FPGA flow (the sweep's `fpga` section): `bitgrid fpga` once per distinct
// hardware into OUT/fpga/TARGET-HASH/ (HASH: the hardware's config hash; a file lock makes the points of the same
// hardware wait for the one that builds it, locally or on Slurm over a shared file system). Returns the run's
// `fpga` section for the point: its fpga.json (and the sweep's fmax_mhz, if any). A failed flow fails the point
// with the flow's one-line error, kept in OUT/fpga/TARGET-HASH.err for the other points of that hardware (a new
// `bitgrid sweep` run removes these and tries again); its log stays in OUT/fpga/TARGET-HASH.log.
std::string sweep_point_fpga(const fs::path& out, const SweepPlan& plan, const std::vector<std::string>& sets) {
  const SweepFpga& f = plan.fpga;
  const HwConfig hw = load_hardware(plan.base, sets);
  const fs::path dir = out / "fpga" / fmt::format("{}-{:08x}", f.target, config_hash(hw));
  fs::create_directories(dir.parent_path());
  const FileLock lock(dir.string() + ".lock");
  const fs::path failed = dir.string() + ".err";
  if (fs::exists(failed)) throw Error(first_line(failed));
  if (!fs::exists(dir / "fpga.json")) {
    const fs::path log = dir.string() + ".log";
    const int rc = cmd_fpga(plan.base, f.target, dir.string(), static_cast<long>(f.seed), "", f.freq_mhz, "", "", false,
                            f.top, sets, true, log.string(), "/dev/null");
    if (rc != 0 || !fs::exists(dir / "fpga.json")) {
      std::ifstream in(log);
      std::string line, first;
      while (std::getline(in, line))
        if (line.rfind("error: ", 0) == 0) {
          first = line.substr(7);
          break;
        }
      const std::string msg =
          "fpga flow (" + f.target + "): " + (first.empty() ? "failed, see " + log.string() : first);
      write_atomic(failed, msg + "\n");
      throw Error(msg);
    }
  }
  return "{report: \"" + (dir / "fpga.json").string() + "\"" + (f.fmax_mhz.empty() ? "" : ", fmax_mhz: " + f.fmax_mhz) +
         "}";
}

}  // namespace

// One point (the worker of local and Slurm sweeps): its run, without report.html; on failure OUT/points/<name>.err.
int cmd_sweep_point(const std::string& out, size_t id) {
  const SweepPlan plan = read_plan(out);
  if (id >= plan.points.size())
    throw Error("sweep-point: point " + std::to_string(id) + " does not exist (the sweep has " +
                std::to_string(plan.points.size()) + ")");
  const std::string name = plan.point_name(id);
  const fs::path err = fs::path(out) / "points" / (name + ".err");
  std::error_code ec;
  fs::remove(err, ec);
  try {
    std::vector<std::string> sets = plan.sets(id);
    if (!plan.fpga.target.empty()) sets.push_back("fpga=" + sweep_point_fpga(out, plan, sets));
    return cmd_run(plan.base, plan.backend, (fs::path(out) / "points" / name).string(), "", sets, true, {}, "", false);
  } catch (const std::exception& e) {
    fs::create_directories(err.parent_path(), ec);
    write_atomic(err, std::string(e.what()) + "\n");
    std::cerr << "error: " << e.what() << "\n";
    return dynamic_cast<const MachineFaultError*>(&e) ? 4 : 1;
  }
}

// `bitgrid sweep SWEEP.yaml`: plans the points, runs those not done yet (locally, `jobs` at a time, or as a
// Slurm job array), then writes results.csv and pareto.svg. Exit 0 when every point ran and verified, 3 when some
// failed or did not verify, 1 (no results.csv) when none ran.
int cmd_sweep(const std::string& file, const std::string& out_s, unsigned jobs, bool slurm,
              const std::vector<std::string>& slurm_args, bool quiet) {
  SweepPlan plan = load_sweep(file);
  plan.base = fs::absolute(plan.base).lexically_normal().string();
  // The axes' paths and the first point's values, checked as a run would (unknown keys, ranges).
  try {
    load_job(plan.base, plan.sets(0));
  } catch (const Error& e) {
    throw Error(file + ": point " + plan.point_name(0) + ": " + e.what());
  }
  const fs::path out = fs::absolute(out_s).lexically_normal();
  fs::create_directories(out / "points");
  const fs::path pf = out / "sweep.json";
  const bool fresh = !fs::exists(pf);
  if (!fresh) {
    // the same sweep, whatever path named its file
    json old = read_json_file(pf), now = plan.to_json();
    old.erase("sweep_file");
    now.erase("sweep_file");
    if (old != now)
      throw Error(pf.string() + ": " + out.string() +
                  " holds another sweep (other base, backend, axes or points); remove it or give another --out");
  } else {
    write_atomic(pf, plan.to_json().dump(1) + "\n");
  }
  std::vector<size_t> pending;
  for (size_t i = 0; i < plan.points.size(); ++i)
    if (!fs::exists(out / "points" / plan.point_name(i) / "report.json")) pending.push_back(i);
  const size_t skipped = plan.points.size() - pending.size();
  if (fs::is_directory(out / "fpga"))  // FPGA flows that failed last time are tried again
    for (const auto& e : fs::directory_iterator(out / "fpga"))
      if (e.path().extension() == ".err") fs::remove(e.path());
  // A sweep that produced nothing leaves nothing (a resumed one keeps what it had).
  auto forget = [&] {
    if (!fresh) return;
    std::error_code ec;
    fs::remove_all(out / "points", ec);
    fs::remove_all(out / "slurm", ec);
    fs::remove_all(out / "fpga", ec);
    fs::remove(pf, ec);
    fs::remove(out, ec);  // only when empty
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::string job_id;
  try {
    Progress bar("sweep", static_cast<double>(pending.size()), quiet);
    if (!pending.empty()) {
      if (slurm)
        sweep_slurm(out, plan, pending, slurm_args, bar, job_id);
      else
        sweep_local(out, plan, pending, std::max(1u, jobs), bar);
    }
  } catch (...) {
    forget();
    throw;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<SweepResult> res;
  size_t ok = 0, failed = 0, unverified = 0;
  for (size_t i = 0; i < plan.points.size(); ++i) {
    res.push_back(sweep_result(out, plan, i));
    ok += res.back().status == "ok";
    failed += res.back().status != "ok" && res.back().status != "unverified";
    unverified += res.back().status == "unverified";
  }
  if (ok + unverified == 0) {
    size_t first = 0;
    while (first + 1 < res.size() && res[first].error.empty()) ++first;
    forget();
    throw Error("every point of the sweep failed (" + plan.point_name(first) + ": " + res[first].error + ")");
  }
  write_atomic(out / "results.csv", sweep_results_csv(plan, res));
  const std::string plot_missing = run_plot_script("sweep_plot.py", {out.string()});
  if (!plot_missing.empty()) std::cerr << "warning: pareto.svg not written: " << plot_missing << "\n";

  if (!quiet) {
    std::string axes;
    for (const auto& a : plan.axes)
      axes += (axes.empty() ? "" : " x ") + a.path + " (" + std::to_string(a.values.size()) + ")";
    fmt::print("bitgrid sweep | {} points ({}) | {} | {}\n", plan.points.size(),
               plan.sampling == "grid"
                   ? axes
                   : fmt::format("{} sampled from {}, seed {}", plan.points.size(), axes, plan.seed),
               plan.backend,
               slurm ? "Slurm job " + (job_id.empty() ? std::string("-") : job_id) : fmt::format("local, -j {}", jobs));
    fmt::print("  ran {} in {:.1f} s; {} done before; {} verified, {} not verified, {} failed\n", pending.size(), secs,
               skipped, ok, unverified, failed);
    for (size_t i = 0; i < res.size(); ++i)
      if (res[i].status != "ok") {
        std::string v;
        for (const auto& s : plan.sets(i)) v += " " + s;
        fmt::print("  {} {}:{}: {}\n", res[i].status, plan.point_name(i), v, res[i].error);
      }
    std::string front;
    const auto on_front = sweep_pareto(res);
    for (size_t i = 0; i < on_front.size(); ++i)
      if (on_front[i]) front += " " + plan.point_name(i);
    if (!front.empty()) fmt::print("  Pareto front (cycles vs energy):{}\n", front);
    fmt::print("  outputs: {}/results.csv{}, points/\n", out.string(), plot_missing.empty() ? ", pareto.svg" : "");
  }
  return ok == plan.points.size() ? 0 : 3;
}

}  // namespace bitgrid::cli
