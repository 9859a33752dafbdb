# ctest helper: synthesizes compute_unit with the small parameter set and fails on yosys errors,
# `check -assert` problems or any latch. Usage: cmake -DYOSYS=.. -DSOURCES="a.sv b.sv" -DLOG=.. -P this
set(script "read_verilog -sv ${SOURCES}; chparam -set HamLanes 2 -set HamBitsPerLane 128 -set TopkMax 8 -set MaxCodeBits 256 compute_unit; synth -top compute_unit -flatten; check -assert; select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*; stat")
execute_process(COMMAND ${YOSYS} -l ${LOG} -q -p "${script}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "yosys failed (${rc}); see ${LOG}")
endif()
file(STRINGS ${LOG} cells REGEX "Number of cells:")
message(STATUS "compute_unit (small parameters): ${cells}")
