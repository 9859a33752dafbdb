// The engines of the reference model (docs/ARCHITECTURE.md §6, "Adding an engine"): one X(<name>) entry
// per engine, in configs/isa/spine.yaml order; model/src/engines/<name>.cpp defines <name>_engine().
#include <string>

#include "bitgrid/engine.h"
#include "bitgrid/error.h"

#define BITGRID_MODEL_ENGINES(X) X(hamtopk) X(bitmac) X(hashgrid) X(binenc) X(lut) X(signacc) X(wpack) X(tabacc)

namespace bitgrid {

#define BITGRID_DECLARE_ENGINE(name) const Engine& name##_engine();
BITGRID_MODEL_ENGINES(BITGRID_DECLARE_ENGINE)
#undef BITGRID_DECLARE_ENGINE

Scratchpads::Scratchpads(const HwConfig& hw) {
  for (int b = 0; b < isa::kNumBufs; ++b)
    bufs_[static_cast<size_t>(b)].assign(hw.buf_words(static_cast<isa::Buf>(b)), 0);
}

const std::vector<const Engine*>& engines() {
#define BITGRID_LIST_ENGINE(name) &name##_engine(),
  static const std::vector<const Engine*> list = {BITGRID_MODEL_ENGINES(BITGRID_LIST_ENGINE)};
#undef BITGRID_LIST_ENGINE
  static const bool consistent = [] {
    if (list.size() != static_cast<size_t>(isa::kNumEngines))
      throw Error("model/src/engine_registry.cpp lists " + std::to_string(list.size()) + " engines, configs/isa " +
                  std::to_string(isa::kNumEngines));
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i]->index() != static_cast<int>(i))
        throw Error(std::string("model/src/engine_registry.cpp: engine ") + isa::kEngines[i].name +
                    " is not in configs/isa order");
    return true;
  }();
  (void)consistent;
  return list;
}

const Engine* engine_of(uint64_t opcode) {
  const isa::OpDef* d = isa::op_def(opcode);
  if (!d || d->engine < 0) return nullptr;
  return engines()[static_cast<size_t>(d->engine)];
}

}  // namespace bitgrid
