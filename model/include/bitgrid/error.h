#pragma once
#include <stdexcept>
#include <string>

namespace bitgrid {

// Every user-facing failure (bad config, bad data file, bad program) is an Error whose message is one
// line naming the file, key or field and the limit that was hit. The CLI prints it and exits non-zero.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace bitgrid
