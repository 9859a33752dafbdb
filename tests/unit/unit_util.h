#pragma once
// Small helpers the unit tests share.
#include <functional>
#include <string>

#include "bitgrid/error.h"

namespace bgtest {

// The message of the bitgrid::Error `f` throws, "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const bitgrid::Error& e) {
    return e.what();
  }
  return "";
}
inline bool has(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

}  // namespace bgtest
