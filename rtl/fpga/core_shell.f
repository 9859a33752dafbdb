// The out-of-context timing shell of bitgrid_top (rtl/fpga/bg_core_shell.sv), for scripts/fpga.sh --top
// bg_core_shell --files rtl/fpga/core_shell.f --pcf rtl/fpga/core_shell_<part>.pcf (bench/fpga_lanes.sh).
// Compiled after rtl/gen/manifest.f with the configured package, as the board.
rtl/fpga/bg_core_shell.sv
