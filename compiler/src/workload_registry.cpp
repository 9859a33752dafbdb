// The workloads `workload.type` can name (docs/ARCHITECTURE.md §6, "Adding an engine"): one line each.
#include <functional>
#include <utility>

#include "bitgrid/error.h"
#include "bitgrid/workload.h"

namespace bitgrid {

std::unique_ptr<Workload> make_hamming_topk_workload();  // compiler/src/workloads/hamming_topk_workload.cpp
std::unique_ptr<Workload> make_program_workload();       // compiler/src/workloads/program.cpp
std::unique_ptr<Workload> make_model_workload();         // compiler/src/workloads/model_workload.cpp
std::unique_ptr<Workload> make_attention_workload();     // compiler/src/workloads/attention_workload.cpp
std::unique_ptr<Workload> make_memoryformer_workload();  // compiler/src/workloads/memoryformer_workload.cpp

namespace {

const std::vector<std::pair<std::string, std::function<std::unique_ptr<Workload>()>>>& registry() {
  static const std::vector<std::pair<std::string, std::function<std::unique_ptr<Workload>()>>> r = {
      {"hamming_topk", make_hamming_topk_workload},
      {"program", make_program_workload},
      {"model", make_model_workload},
      {"attention", make_attention_workload},
      {"memoryformer", make_memoryformer_workload},
  };
  return r;
}

}  // namespace

std::vector<std::string> workload_types() {
  std::vector<std::string> t;
  for (const auto& e : registry()) t.push_back(e.first);
  return t;
}

std::unique_ptr<Workload> make_workload(const std::string& type, const std::string& where) {
  for (const auto& e : registry())
    if (e.first == type) return e.second();
  std::string known;
  for (const auto& t : workload_types()) known += (known.empty() ? "" : ", ") + t;
  throw Error(where + ": unknown workload '" + type + "' (known: " + known + ")");
}

}  // namespace bitgrid
