#pragma once
// The compiler's and the CLI's workload contract (docs/ARCHITECTURE.md §6). A workload is what
// `workload.type` in a run config names: it reads its YAML section and data, lowers itself onto a
// hardware config (a checked program and the initial DRAM image), and afterwards reads its results back
// from the final DRAM image, writes its output files, verifies them and adds its figures to the report.
// `bitgrid run` and `bitgrid compile` only talk to this interface; roofline, energy and the cross-backend
// byte comparison are generic (engine actions, peak rates, the reference executor). Registration: one
// line in compiler/src/workload_registry.cpp.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bitgrid/hwconfig.h"
#include "bitgrid/insn.h"

namespace bitgrid {

// A workload mapped onto a machine.
struct Lowered {
  Program program;
  std::vector<uint8_t> memory;        // initial DRAM image
  std::vector<std::string> comments;  // one per instruction, for the listing
  nlohmann::json layout_json;         // where the workload's data lives in DRAM (layout.json)
  bool checked = true;                // check_program passed (the `program` workload may skip it)
  // Named parts of the program (e.g. a model's layers) and the part of each instruction (empty: no parts).
  // `bitgrid run` reports energy and cycles (first issue to last completion) per part (report "sections").
  std::vector<std::string> sections;
  std::vector<uint32_t> insn_section;
};

// Where a workload is being read from.
struct WorkloadContext {
  std::string config_path;  // the run config (relative paths in it are resolved against its folder)
};

// What a finished run gave.
struct Verdict {
  bool verified = true;
  std::string why;                 // when not verified
  std::vector<std::string> notes;  // extra summary lines for the console (e.g. "recall@10 ...: 0.32")
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual const char* type() const = 0;
  // Reads the workload section (every key besides `type`) and loads or generates its data. Throws Error
  // naming `where` and the key: unknown keys, missing data files, values out of range.
  virtual void load(const YAML::Node& section, const std::string& where, const WorkloadContext& ctx) = 0;
  // Lowers onto `hw`: a program check_program accepts (unless the workload says otherwise) and the DRAM
  // image. Throws Error naming the limit when it cannot be mapped.
  virtual Lowered lower(const HwConfig& hw) const = 0;
  // Reads the results from the final DRAM image, writes the workload's output files into `dir`, checks
  // them against an independent computation, and adds its fields to `report` (report["workload"] is
  // already there). Returns the verdict.
  virtual Verdict finish(const Lowered& l, const std::vector<uint8_t>& memory, const std::string& dir,
                         nlohmann::json& report) const = 0;
  // One line for the console ("100000 codes x 256 bits, 64 queries, k=10"), and the output files finish()
  // writes (for the console).
  virtual std::string summary() const = 0;
  virtual std::vector<std::string> outputs() const = 0;
};

// The registry: a fresh workload of a type; throws Error listing the known types.
std::unique_ptr<Workload> make_workload(const std::string& type, const std::string& where);
std::vector<std::string> workload_types();

// Assembly listing: one line per instruction with its index and comment.
std::string listing(const Lowered& l);

// ---- helpers for workloads reading YAML and data ----
// Fails with "<where>.<key>: unknown key (allowed: ...)" for a key not in `allowed`.
void check_keys(const YAML::Node& n, const std::string& where, const std::vector<std::string>& allowed);
// An integer in lo..hi, or an Error naming `where`.
size_t get_count(const YAML::Node& n, const std::string& where, size_t lo, size_t hi);
uint64_t get_u64(const YAML::Node& n, const std::string& where);
double get_number(const YAML::Node& n, const std::string& where);
std::string get_string(const YAML::Node& n, const std::string& where);
bool get_bool(const YAML::Node& n, const std::string& where);
// A path in a config: relative to the config's folder, then to configs/ of the source tree.
std::string resolve_path(const std::string& p, const std::string& config_path);

}  // namespace bitgrid
