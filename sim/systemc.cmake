# SystemC model backend (sim/systemc_*.cpp): library bitgrid_systemc and executable bitgrid-sim-systemc.
file(GLOB BITGRID_SYSTEMC_SRC CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/systemc_*.cpp)
add_library(bitgrid_systemc STATIC ${BITGRID_SYSTEMC_SRC})
target_link_libraries(bitgrid_systemc PUBLIC bitgrid_simcore bitgrid_model fmt::fmt nlohmann_json::nlohmann_json
                      ${SYSTEMC_LIBRARY})
target_compile_options(bitgrid_systemc PRIVATE ${BITGRID_WARNINGS})

# The driver is written separately; the glob re-checks at build time so the target appears with it.
file(GLOB BITGRID_SIM_MAIN CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/sim_main.cpp)
if(BITGRID_SIM_MAIN)
  add_executable(bitgrid-sim-systemc ${BITGRID_SIM_MAIN})
  target_link_libraries(bitgrid-sim-systemc PRIVATE bitgrid_systemc bitgrid_simcore bitgrid_model fmt::fmt
                        nlohmann_json::nlohmann_json ${SYSTEMC_LIBRARY})
  target_compile_options(bitgrid-sim-systemc PRIVATE ${BITGRID_WARNINGS})
endif()
if(TARGET bitgrid-sim-systemc)
  # Next to the bitgrid CLI, which runs it for --backend systemc.
  set_target_properties(bitgrid-sim-systemc PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
endif()
