#pragma once
// The `bitgrid` command's pieces shared between its files: main.cpp (the subcommands, run, fpga, ...) and
// sweep_cmd.cpp (`bitgrid sweep` and its per-point worker).
#include <filesystem>
#include <string>
#include <vector>

#include "bitgrid/error.h"
#include "bitgrid/field_fit.h"

namespace bitgrid::cli {

// A machine fault stopped the run (exit status 4).
struct MachineFaultError : Error {
  using Error::Error;
};

// An exclusive lock on the file `path` (created if missing) for the object's lifetime: one build at a time of a
// cached simulator or of a sweep's FPGA flow, across processes. Without the file (a read-only folder), no lock.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// The folder of the running executable (the build's other programs sit beside it).
std::filesystem::path self_dir();

void write_text(const std::filesystem::path& p, const std::string& s);

// Runs argv[0] (an absolute path) and waits; `err_file`, if given, receives its stderr, `out_file` its stdout.
// Returns the exit status (128 + signal when killed).
int run_process(const std::vector<std::string>& argv, const std::string& err_file = "",
                const std::string& out_file = "");

// Runs one of our plotting scripts (scripts/NAME with `args`) under Debian's Python, whose python3-matplotlib draws
// (BITGRID_PYTHON names another interpreter). Returns "" when it succeeded, else why not in one line.
std::string run_plot_script(const std::string& name, const std::vector<std::string>& args);

// The board of the fpga backend (docs/BOARD.md): its serial port and baud rate (0: the default).
struct BoardPort {
  std::string port;
  unsigned baud = 0;
};

// `bitgrid run`: compile the config's workload, run it on `backend`, verify, write OUT (report.json, outputs and,
// with `html`, report.html). Throws Error (MachineFaultError for a machine fault) with a one-line message.
int cmd_run(const std::string& config, const std::string& backend, const std::string& out, const std::string& trace,
            const std::vector<std::string>& sets, bool quiet, const BoardPort& board = {},
            const std::string& timeline = "", bool html = true);

// `bitgrid encode`: the reference hash-grid encoder (layer `layer` of the config's model graph, or its first
// hashgrid layer) on POINTS.npy with PARAMS.npy, written to OUT.npy; numerics "float" or "fixed".
int cmd_encode(const std::string& config, const std::vector<std::string>& sets, const std::string& layer,
               const std::string& points_file, const std::string& params_file, const std::string& out,
               const std::string& numerics, bool quiet);

// `bitgrid fit`: trains the config's hashgrid layer and the linear layers after it on IMAGE.png (float, CPU) and
// writes their parameters to OUT.npz (<grid>.params, <layer>.weight, <layer>.bias); `png` receives the float
// model's render, `log` the PSNR curve (CSV).
int cmd_fit(const std::string& image, const std::string& config, const std::vector<std::string>& sets,
            const std::string& layer, const std::string& out, const FitOptions& opt, const std::string& png,
            const std::string& log, bool quiet);

// `bitgrid fpga`: scripts/fpga.sh on the config's hardware; returns its exit status (its stderr and stdout to
// `err_file` and `out_file` when given).
int cmd_fpga(const std::string& config, const std::string& target, const std::string& out, long seed,
             const std::string& seeds, const std::string& freq, const std::string& min_fmax,
             const std::string& route_timeout, bool per_module, const std::string& top,
             const std::vector<std::string>& sets, bool quiet, const std::string& err_file,
             const std::string& out_file);

// `bitgrid sweep SWEEP.yaml` (README "Sweeps"): exit 0 when every point ran and verified, 3 when some failed or did
// not verify, 1 (no results.csv) when none ran.
int cmd_sweep(const std::string& file, const std::string& out_s, unsigned jobs, bool slurm,
              const std::vector<std::string>& slurm_args, bool quiet);

// `bitgrid sweep-point OUT I` (hidden): point I of the sweep in OUT, the worker of local and Slurm sweeps.
int cmd_sweep_point(const std::string& out, size_t id);

}  // namespace bitgrid::cli
