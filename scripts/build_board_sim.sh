#!/usr/bin/env bash
# Builds bitgrid-board-sim for one hardware config: the FPGA board (rtl/board/bg_board.sv, docs/BOARD.md)
# verilated (verilator --cc --build) with the config's configured package, ClksPerBit 4 and
# ConfigHash = the config's hash (bitgrid/config_hash.h), driven by sim/board_sim_main.cpp, which serves
# it on a pseudo-terminal. The fpga backend's tests run `bitgrid run ... --backend fpga` against it.
#
#   scripts/build_board_sim.sh HW.yaml OUTDIR    build (or reuse) OUTDIR/bitgrid-board-sim and
#                                                OUTDIR/bitgrid-config-hash
#
# Cached like scripts/build_rtl_sim.sh: a second call returns at once unless an input (rtl/, sim/, the
# model, this script, the config) is newer than the executable; concurrent calls for one OUTDIR are
# serialised with flock. Environment: BITGRID_MODEL_LIB, BITGRID_JOBS, BITGRID_EXTRA_FLAGS, CXX as for
# scripts/build_rtl_sim.sh; BITGRID_BOARD_CLKS_PER_BIT (default 4), BITGRID_BOARD_PROG_INSNS (bg_board's
# ProgInsns, default: the board's own default), BITGRID_BOARD_MEM_BYTES (MemBytes, likewise).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "error: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 HW.yaml OUTDIR"
HW="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -f "$HW" ] || die "$1: no such file"
mkdir -p "$2"
OUT="$(cd "$2" && pwd)"
EXE="$OUT/bitgrid-board-sim"
HASH_EXE="$OUT/bitgrid-config-hash"
JOBS="${BITGRID_JOBS:-2}"
CXX="${CXX:-g++}"
CPB="${BITGRID_BOARD_CLKS_PER_BIT:-4}"

exec 9>"$OUT/.lock"
flock 9

newest_input() {
  find "$ROOT/rtl" "$ROOT/sim" "$ROOT/model/src" "$ROOT/model/include" "$HW" "${BASH_SOURCE[0]}" \
       "$ROOT/scripts/rtl_files.sh" "$ROOT/scripts/model_lib.sh" "$ROOT/scripts/build_rtl_sim.sh" \
       ${BITGRID_MODEL_LIB:+"$BITGRID_MODEL_LIB"} -newer "$EXE" -type f 2>/dev/null | head -1
}
stamp="$CPB ${BITGRID_BOARD_PROG_INSNS:-} ${BITGRID_BOARD_MEM_BYTES:-}"
if [ -x "$EXE" ] && [ -z "$(newest_input)" ] && [ "$(cat "$OUT/.params" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

# shellcheck source=rtl_files.sh
source "$ROOT/scripts/rtl_files.sh"
# shellcheck source=model_lib.sh
source "$ROOT/scripts/model_lib.sh"

# The configured package (checks the config against rtl/gen/params.tsv) and the board's files.
bitgrid_configured_pkg "$HW" "$OUT/pkg/bitgrid_pkg.sv" || exit 1
bitgrid_board_files "$OUT/pkg/bitgrid_pkg.sv" || exit 1

# The config hash, from the same C++ the host uses (built here, next to the simulator).
bitgrid_model_lib "$OUT" || die "the model library could not be built"
"$CXX" -std=c++17 -O1 "${BITGRID_MODEL_INC[@]}" ${BITGRID_EXTRA_FLAGS:-} "$ROOT/sim/config_hash_main.cpp" \
  "$BITGRID_MODEL_LIB_PATH" -lyaml-cpp -lfmt -lpthread -o "$HASH_EXE" || die "building bitgrid-config-hash failed"
HASH="$("$HASH_EXE" "$HW")" || exit 1

GARGS=(-GClksPerBit="$CPB" -GConfigHash="$HASH")
[ -n "${BITGRID_BOARD_PROG_INSNS:-}" ] && GARGS+=(-GProgInsns="$BITGRID_BOARD_PROG_INSNS")
[ -n "${BITGRID_BOARD_MEM_BYTES:-}" ] && GARGS+=(-GMemBytes="$BITGRID_BOARD_MEM_BYTES")

rm -f "$EXE"
verilator --cc --exe --build -j "$JOBS" -O3 --assert \
  -Wno-fatal -Wno-lint -Wno-style "${BITGRID_VERILATOR_CHECK_ARGS[@]}" \
  --top-module bg_board --prefix Vbg_board --Mdir "$OUT/obj" \
  "${GARGS[@]}" \
  -CFLAGS "-std=c++17 -O2 -DBG_CLKS_PER_BIT=$CPB ${BITGRID_EXTRA_FLAGS:-}" \
  ${BITGRID_EXTRA_FLAGS:+-LDFLAGS "$BITGRID_EXTRA_FLAGS"} \
  -o "$EXE" \
  "${BITGRID_BOARD_FILES[@]}" "$ROOT/sim/board_sim_main.cpp" \
  > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log" >&2; die "verilator build failed (full log: $OUT/build.log)"; }
[ -x "$EXE" ] || die "verilator build did not produce $EXE (log: $OUT/build.log)"
echo "$stamp" > "$OUT/.params"
echo "build_board_sim: $HW (ConfigHash $HASH, ClksPerBit $CPB) -> $EXE"
