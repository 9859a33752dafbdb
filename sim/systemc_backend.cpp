// bitgrid::run_backend for the SystemC model: every job runs on the process's one ScTop.
#include "backend.h"
#include "systemc_top.h"

namespace bitgrid {

SimResult run_backend(const HwConfig& hw, const Program& program, std::vector<uint8_t> memory, const SimOptions& opt) {
  return scsim::ScTop::instance().run_job(hw, program, std::move(memory), opt);
}

const char* backend_name() { return "systemc"; }

}  // namespace bitgrid
