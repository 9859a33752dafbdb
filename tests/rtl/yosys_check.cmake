# ctest helper: synthesizes the hamtopk engine (bg_hamtopk) with the small parameter set and fails on yosys
# errors, `check -assert` problems, any latch, or anything of the simulation-only checks (`ifndef SYNTHESIS`:
# SVA assertions and their bg_assert_en enables) in the elaborated design.
# Usage: cmake -DYOSYS=.. -DSOURCES="a.sv b.sv" -DLOG=.. -P this   (SOURCES: rtl/gen/manifest.f, in order)
set(script "read_verilog -sv ${SOURCES}; chparam -set HamLanes 2 -set HamBitsPerLane 128 -set TopkMax 8 -set MaxCodeBits 256 -set QbufPortWords 2 -set DbufPortWords 4 bg_hamtopk; hierarchy -top bg_hamtopk; select -assert-none w:asserts_on t:bg_assert_en t:$assert t:$assume t:$cover; select -clear; synth -top bg_hamtopk -flatten; check -assert; select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*; stat")
execute_process(COMMAND ${YOSYS} -l ${LOG} -q -p "${script}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "yosys failed (${rc}); see ${LOG}")
endif()
file(STRINGS ${LOG} cells REGEX "Number of cells:")
message(STATUS "bg_hamtopk (small parameters): ${cells}")
