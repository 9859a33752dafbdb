// The FPGA board's files (rtl/board/), in compile order, paths relative to the repository. A board build
// compiles the files of rtl/gen/manifest.f first, with rtl/gen/bitgrid_pkg.sv replaced by the configured
// package (scripts/rtl_files.sh: bitgrid_configured_pkg HW.yaml OUT/bitgrid_pkg.sv), then these.
// Top modules: bg_board (generic), bg_board_ice40 (iCEBreaker, pins in rtl/board/icebreaker.pcf).
rtl/board/bg_uart_rx.sv
rtl/board/bg_uart_tx.sv
rtl/board/bg_board_dram.sv
rtl/board/bg_board.sv
rtl/board/bg_board_ice40.sv
