// main() of the RTL test binaries: GoogleTest inside sc_main (the Verilated model is a SystemC module).
#include <gtest/gtest.h>

#include <cstdlib>
#include <systemc>

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

int main(int argc, char** argv) {
  ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);  // keep --gtest_list_tests output clean
  return sc_core::sc_elab_and_sim(argc, argv);
}
