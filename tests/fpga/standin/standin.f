// Test fixture: the stand-in top's files (repo-relative), after the product RTL of rtl/gen/manifest.f.
tests/fpga/standin/bg_fpga_standin.sv
