# ctest helper: synthesizes an engine module (default: the hamtopk engine, bg_hamtopk, with the small parameter
# set) and fails on yosys errors, `check -assert` problems, any latch, or anything of the simulation-only checks
# (`ifndef SYNTHESIS`: SVA assertions and their bg_assert_en enables) in the elaborated design.
# Usage: cmake -DYOSYS=.. -DSOURCES="a.sv b.sv" -DLOG=.. [-DTOP=bg_x -DCHPARAM="-set P 1 -set Q 2"]
#              [-DSYNTH_ARGS="-run begin:fine"] [-DEXTRA="select -assert-count 16 t:$mem_v2 n:*mem_q %i"] -P this
# (SOURCES: rtl/gen/manifest.f, in order; SYNTH_ARGS: `-run begin:fine` stops before the fine-grained mapping,
# which takes minutes for an arithmetic-heavy engine: latches are found in `proc`, memories are inferred by then)
if(NOT DEFINED TOP)
  set(TOP bg_hamtopk)
  set(CHPARAM "-set HamLanes 2 -set HamQueries 2 -set HamBitsPerLane 128 -set TopkMax 8 -set MaxCodeBits 256 -set QbufPortWords 4 -set DbufPortWords 4")
endif()
set(script "read_verilog -sv ${SOURCES}; chparam ${CHPARAM} ${TOP}; hierarchy -top ${TOP}; select -assert-none w:asserts_on t:bg_assert_en t:$assert t:$assume t:$cover; select -clear; synth -top ${TOP} -flatten ${SYNTH_ARGS}; check -assert; select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*; stat")
if(DEFINED EXTRA)
  string(APPEND script "; ${EXTRA}")
endif()
execute_process(COMMAND ${YOSYS} -l ${LOG} -q -p "${script}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "yosys failed (${rc}); see ${LOG}")
endif()
file(STRINGS ${LOG} latches REGEX "Latch inferred")
if(latches)
  message(FATAL_ERROR "latch inferred: ${latches}")
endif()
file(STRINGS ${LOG} cells REGEX "Number of cells:")
message(STATUS "${TOP} (${CHPARAM}): ${cells}")
