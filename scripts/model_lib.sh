#!/usr/bin/env bash
# The model library (model/src/*.cpp, model/src/engines/*.cpp) for the scripts that build simulators outside CMake
# (scripts/build_rtl_sim.sh, scripts/build_board_sim.sh). Source it, then
#
#   bitgrid_model_lib OUTDIR    sets BITGRID_MODEL_LIB_PATH: $BITGRID_MODEL_LIB when set (the CMake build
#                               passes its own libbitgrid_model.a), else OUTDIR/model/libbitgrid_model.a,
#                               compiled there once (cached per object) with $CXX (default g++),
#                               $BITGRID_JOBS jobs (default 2). Returns 1 with a message on error.
#
# Also sets BITGRID_MODEL_INC, the include flags of the model's headers.

BITGRID_MODEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BITGRID_MODEL_INC=(-I"$BITGRID_MODEL_ROOT/model/include" -I"$BITGRID_MODEL_ROOT/sim" -I/usr/include/eigen3)

bitgrid_model_lib() {
  local out="${1:?usage: bitgrid_model_lib OUTDIR}" jobs="${BITGRID_JOBS:-2}" cxx="${CXX:-g++}" src obj p
  if [ -n "${BITGRID_MODEL_LIB:-}" ]; then
    [ -f "$BITGRID_MODEL_LIB" ] || { echo "error: BITGRID_MODEL_LIB=$BITGRID_MODEL_LIB: no such file" >&2; return 1; }
    BITGRID_MODEL_LIB_PATH="$BITGRID_MODEL_LIB"
    return 0
  fi
  mkdir -p "$out/model"
  BITGRID_MODEL_LIB_PATH="$out/model/libbitgrid_model.a"
  local objs=() pids=()
  # the sources of model/CMakeLists.txt: model/src/*.cpp and model/src/engines/*.cpp
  for src in "$BITGRID_MODEL_ROOT"/model/src/*.cpp "$BITGRID_MODEL_ROOT"/model/src/engines/*.cpp; do
    obj="$out/model/$(basename "$(dirname "$src")")_$(basename "${src%.cpp}").o"
    objs+=("$obj")
    if [ ! -f "$obj" ] || [ -n "$(find "$src" "$BITGRID_MODEL_ROOT/model/include" -newer "$obj" -type f | head -1)" ]; then
      "$cxx" -std=c++17 -O2 -g0 "${BITGRID_MODEL_INC[@]}" -c "$src" -o "$obj" &
      pids+=($!)
      if [ ${#pids[@]} -ge "$jobs" ]; then
        wait "${pids[0]}" || { echo "error: compiling the model library failed" >&2; return 1; }
        pids=("${pids[@]:1}")
      fi
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "error: compiling the model library failed" >&2; return 1; }; done
  rm -f "$BITGRID_MODEL_LIB_PATH"
  ar rcs "$BITGRID_MODEL_LIB_PATH" "${objs[@]}"
}
