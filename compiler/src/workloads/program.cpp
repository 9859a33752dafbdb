// The `program` workload: runs a program binary (.bgp) on a memory image (.bgm) as they are, e.g. a
// hand-written program or one from `bitgrid compile`:
//   workload: {type: program, program: P.bgp, memory: M.bgm, check: true}
// With check: false the program is not checked first, so the machine itself meets whatever it holds:
// an illegal instruction stops it with a machine fault (docs/ISA.md), which `bitgrid run` reports. The
// output is the final DRAM image (memory.bgm); every backend's is compared with the reference model's.
#include "bitgrid/checker.h"
#include "bitgrid/error.h"
#include "bitgrid/memimage.h"
#include "bitgrid/workload.h"

namespace bitgrid {

namespace {

class ProgramWorkload final : public Workload {
 public:
  const char* type() const override { return "program"; }

  void load(const YAML::Node& w, const std::string& where, const WorkloadContext& ctx) override {
    check_keys(w, where, {"type", "program", "memory", "check"});
    if (!w["program"]) throw Error(where + ".program: missing (a .bgp program binary)");
    if (!w["memory"]) throw Error(where + ".memory: missing (a .bgm memory image)");
    program_path_ = resolve_path(get_string(w["program"], where + ".program"), ctx.config_path);
    memory_path_ = resolve_path(get_string(w["memory"], where + ".memory"), ctx.config_path);
    check_ = w["check"] ? get_bool(w["check"], where + ".check") : true;
    program_ = load_program(program_path_);
    memory_ = load_memimage(memory_path_);
  }

  Lowered lower(const HwConfig& hw) const override {
    Lowered l;
    l.program = program_;
    l.memory = memory_;
    l.checked = check_;
    if (check_) {
      try {
        check_program(l.program, hw, l.memory.size());
      } catch (const Error& e) {
        throw Error(program_path_ + ": " + e.what());
      }
    }
    l.layout_json = {{"program", program_path_}, {"memory", memory_path_}, {"dram_bytes", l.memory.size()}};
    return l;
  }

  Verdict finish(const Lowered&, const std::vector<uint8_t>& memory, const std::string& dir,
                 nlohmann::json& rep) const override {
    save_memimage(dir + "/memory.bgm", memory);
    rep["workload"].update({{"program", program_path_}, {"memory", memory_path_}, {"checked", check_}});
    return {};  // the cross-backend byte comparison is the verification
  }

  std::string summary() const override {
    return std::to_string(program_.insns.size()) + " instructions, " + std::to_string(memory_.size()) +
           " bytes of DRAM" + (check_ ? "" : " (unchecked)");
  }
  std::vector<std::string> outputs() const override { return {"memory.bgm"}; }

 private:
  std::string program_path_, memory_path_;
  bool check_ = true;
  Program program_;
  std::vector<uint8_t> memory_;
};

}  // namespace

std::unique_ptr<Workload> make_program_workload() { return std::make_unique<ProgramWorkload>(); }

}  // namespace bitgrid
