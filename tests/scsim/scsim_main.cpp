// Test driver. libsystemc.so calls sc_main from its own main(); defining main here takes precedence,
// which lets the copyright banner be switched off before SystemC starts (it would otherwise land in
// the --gtest_list_tests output that gtest_discover_tests parses).
#include <gtest/gtest.h>

#include <cstdlib>

extern "C" int sc_main(int, char**) { return 1; }  // never called: main below is the entry point

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
