// The SystemC model's engines (docs/ARCHITECTURE.md §6, "Adding an engine"): one line per engine that
// needs its own SystemC class; every other engine runs on ModelEngine, the adapter onto the reference
// model's bitgrid::Engine.
#include <functional>
#include <map>
#include <string>

#include "systemc_engine.h"

namespace bitgrid::scsim {

namespace {

// Engines with a SystemC class of their own: {"<name>", [] { return std::make_unique<MyScEngine>(); }}.
const std::map<std::string, std::function<std::unique_ptr<ScEngine>()>> kCustom = {};

}  // namespace

std::vector<std::unique_ptr<ScEngine>> make_engines() {
  std::vector<std::unique_ptr<ScEngine>> v;
  for (const Engine* e : engines()) {
    const auto it = kCustom.find(e->name());
    v.push_back(it != kCustom.end() ? it->second() : std::make_unique<ModelEngine>(*e));
  }
  return v;
}

void ModelEngine::reset() {
  writes_.clear();
  actions_ = {};
  insns_ = 0;
}

uint64_t ModelEngine::start(const DecodedInsn& in, uint64_t, Buffers& bufs) {
  writes_.clear();
  engine_.execute(in.raw, hw_, bufs.spm(), writes_);
  engine_.count(in.raw, hw_, actions_);
  ++insns_;
  return engine_.cycles(in.raw, hw_);
}

void ModelEngine::complete(const DecodedInsn&, Buffers& bufs) {
  for (const SpmWrite& w : writes_)
    std::copy(w.words.begin(), w.words.end(), bufs.data(static_cast<int>(w.buf), w.addr));
}

std::vector<ActionCount> ModelEngine::counters() const {
  std::vector<ActionCount> c{{std::string(engine_.name()) + ".insns", insns_}};
  for (const auto& [key, v] : actions_.count) c.push_back({key, v});
  return c;
}

}  // namespace bitgrid::scsim
