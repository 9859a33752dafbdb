#pragma once
// Verilator's print hook for the RTL unit tests. tests/rtl/CMakeLists.txt compiles the Verilator runtime
// and every verilated model with VL_PRINTF=bgtest_vl_printf (verilated.h: "redefine if desired") and this
// header force-included: everything the design prints ($display, the message of a failing assertion) goes
// to stdout as before and is also recorded, so that rtl_test_util.h can put it into a test failure.
#include <string>

int bgtest_vl_printf(const char* format, ...) __attribute__((format(printf, 1, 2)));

namespace bgtest {
// Returns what the design printed since the last call, and forgets it.
std::string take_vl_output();
}  // namespace bgtest
