// Verilator's VL_PRINTF for the RTL unit tests: prints and records (vl_capture.h).
#include "vl_capture.h"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace {
std::string& recorded() {
  static std::string text;
  return text;
}
constexpr size_t kMaxRecorded = 1 << 16;  // keep the most recent output only
}  // namespace

int bgtest_vl_printf(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  va_list ap2;
  va_copy(ap2, ap);
  const int n = std::vsnprintf(nullptr, 0, format, ap);
  va_end(ap);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, format, ap2);
  va_end(ap2);
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  std::string& rec = recorded();
  rec += out;
  if (rec.size() > kMaxRecorded) rec.erase(0, rec.size() - kMaxRecorded);
  return n;
}

namespace bgtest {
std::string take_vl_output() {
  std::string s;
  s.swap(recorded());
  return s;
}
}  // namespace bgtest
