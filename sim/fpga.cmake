# fpga backend: bitgrid-sim-fpga = sim/sim_main.cpp + sim/fpga_backend.cpp, which runs the job on a board
# (rtl/board/, docs/BOARD.md) over a serial port. It needs no Verilator; tests drive it against
# bitgrid-board-sim (scripts/build_board_sim.sh), the Verilated board on a pseudo-terminal.
add_executable(bitgrid-sim-fpga ${CMAKE_CURRENT_SOURCE_DIR}/sim_main.cpp ${CMAKE_CURRENT_SOURCE_DIR}/fpga_backend.cpp)
target_link_libraries(bitgrid-sim-fpga PRIVATE bitgrid_simcore bitgrid_model yaml-cpp nlohmann_json::nlohmann_json
                      ${SYSTEMC_LIBRARY})
target_compile_options(bitgrid-sim-fpga PRIVATE ${BITGRID_WARNINGS})
# Next to the bitgrid CLI, which runs it for --backend fpga.
set_target_properties(bitgrid-sim-fpga PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})

# bitgrid-config-hash HW.yaml: the ConfigHash a board build for that config passes to bg_board.
add_executable(bitgrid-config-hash ${CMAKE_CURRENT_SOURCE_DIR}/config_hash_main.cpp)
target_link_libraries(bitgrid-config-hash PRIVATE bitgrid_model yaml-cpp)
target_compile_options(bitgrid-config-hash PRIVATE ${BITGRID_WARNINGS})
set_target_properties(bitgrid-config-hash PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
