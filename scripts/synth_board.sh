#!/usr/bin/env bash
# Yosys 0.23 synthesis of the iCEBreaker board (rtl/board/, docs/BOARD.md) for a hardware config:
# synth_ice40 -spram -top bg_board_ice40 with the config's configured package (scripts/rtl_files.sh).
#
#   scripts/synth_board.sh [HW.yaml] [--out DIR] [--pnr]
#
# ConfigHash (reported by the board's `I` command) is the config's hash (scripts/config_hash.sh: FNV-1a of
# HwConfig::to_yaml(), bitgrid/config_hash.h), which the fpga backend checks against its job's.
# Prints the flattened `stat` (LUTs, flip-flops, SB_RAM40_4K, SB_SPRAM256KA) and the per-module counts
# of bg_board without bitgrid_top (a second run with -noflatten). Fails on a latch or on anything of the
# simulation-only checks left in the netlist. --pnr also runs nextpnr-ice40 (up5k, sg48,
# rtl/board/icebreaker.pcf) and icepack. Logs go to DIR (default: $TMPDIR/bitgrid-synth-board/<config>/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "error: $*" >&2; exit 1; }

HW="$ROOT/configs/hw/up5k.yaml"
OUT=""
PNR=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) shift; OUT="${1:?--out needs a directory}" ;;
    --pnr) PNR=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) HW="$1" ;;
  esac
  shift
done
[ -f "$HW" ] || die "$HW: no such file"
command -v yosys >/dev/null || die "yosys is not installed"
NAME="$(basename "${HW%.*}")"
OUT="${OUT:-${TMPDIR:-/tmp}/bitgrid-synth-board/$NAME}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

# shellcheck source=rtl_files.sh
source "$ROOT/scripts/rtl_files.sh"
bitgrid_configured_pkg "$HW" "$OUT/bitgrid_pkg.sv" || exit 1
bitgrid_board_files "$OUT/bitgrid_pkg.sv" --relative || exit 1
SRCS=("${BITGRID_BOARD_FILES[@]}")
HASH="$(bash "$ROOT/scripts/config_hash.sh" "$HW")" || exit 1

CHECKS="select -assert-none w:asserts_on t:bg_assert_en t:\$assert t:\$assume t:\$cover
select -clear"
LATCH="select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*"

cat > "$OUT/board.ys" <<YS
read_verilog -sv $(printf '%s ' "${SRCS[@]}")
chparam -set ConfigHash $HASH bg_board_ice40
hierarchy -top bg_board_ice40
$CHECKS
synth_ice40 -spram -top bg_board_ice40 -run begin:map_ram
$LATCH
synth_ice40 -spram -top bg_board_ice40 -run map_ram: -json $OUT/board.json
$LATCH
tee -o $OUT/stat.txt stat
YS
cat > "$OUT/board_noflatten.ys" <<YS
read_verilog -sv $(printf '%s ' "${SRCS[@]}")
chparam -set ConfigHash $HASH bg_board_ice40
hierarchy -top bg_board_ice40
synth_ice40 -spram -noflatten -top bg_board_ice40
tee -o $OUT/stat_noflatten.txt stat
YS

echo "synth_board: $HW (ConfigHash $HASH) -> $OUT"
(cd "$ROOT" && yosys -q -l "$OUT/yosys.log" -s "$OUT/board.ys" > /dev/null 2>&1) ||
  { grep -E "ERROR|Assert" "$OUT/yosys.log" | head -5 >&2; die "yosys failed (see $OUT/yosys.log)"; }
grep -q "Latch inferred" "$OUT/yosys.log" && die "latch inferred (see $OUT/yosys.log)"
grep -q "is implicitly declared" "$OUT/yosys.log" && die "implicitly declared identifiers (see $OUT/yosys.log)"
cat "$OUT/stat.txt"
(cd "$ROOT" && yosys -q -l "$OUT/yosys_noflatten.log" -s "$OUT/board_noflatten.ys" > /dev/null 2>&1) ||
  die "yosys -noflatten failed (see $OUT/yosys_noflatten.log)"
echo "per module (-noflatten): $OUT/stat_noflatten.txt"

if [ "$PNR" = 1 ]; then
  nextpnr-ice40 --up5k --package sg48 --pcf "$ROOT/rtl/board/icebreaker.pcf" --json "$OUT/board.json" \
    --asc "$OUT/board.asc" --freq 12 -l "$OUT/nextpnr.log" || die "nextpnr-ice40 failed (see $OUT/nextpnr.log)"
  icepack "$OUT/board.asc" "$OUT/board.bin"
  echo "bitstream: $OUT/board.bin"
fi
