#!/usr/bin/env bash
# Yosys 0.23 synthesis of bitgrid_top for a hardware config.
#
#   scripts/synth.sh [HW.yaml] [--ice40] [--map-memories] [--out DIR] [--netlist FILE]
#
# Generic flow (default): `synth -top bitgrid_top -flatten` with the config's parameters (the same -G
# overrides the Verilator build uses), printing `stat`. Memories stay $mem_v2 cells (one per 64-bit
# scratchpad bank, one per instruction queue) unless --map-memories turns them into flip-flops (small
# configs only).
# The run fails if `proc` infers any latch, if Yosys warns about an implicitly declared identifier
# (a construct Yosys 0.23 silently mis-parses), or if anything of the RTL's simulation-only checks got
# into the netlist: read_verilog defines SYNTHESIS, so the `ifndef SYNTHESIS` blocks (SVA assertions and
# their bg_assert_en enables) must leave no asserts_on wire, no bg_assert_en instance and no $assert/$assume/$cover cell after elaboration.
# --ice40: synth_ice40 -abc9 instead (memories to SB_RAM40_4K where they fit; the mapping of scripts/fpga.sh).
# --netlist FILE: also write the synthesized netlist for gate-level simulation (scripts/build_rtl_sim.sh
# --gate-level): module bitgrid_top_netlist, the harness's observation signals (dbg_*) made ports, the
# scratchpads (and the hash-grid engine's gbuf tables) kept as modules with behavioural memories (generic flow;
# with --ice40, iCE40 cells).
# Logs go to DIR (default: $TMPDIR/bitgrid-synth/<config name>/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "error: $*" >&2; exit 1; }

HW="$ROOT/configs/hw/default.yaml"
ICE40=0
MAPMEM=0
OUT=""
NETLIST=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ice40) ICE40=1 ;;
    --map-memories) MAPMEM=1 ;;
    --out) shift; OUT="${1:?--out needs a directory}" ;;
    --netlist) shift; NETLIST="${1:?--netlist needs a file}" ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) HW="$1" ;;
  esac
  shift
done
[ -f "$HW" ] || die "$HW: no such file"
command -v yosys >/dev/null || die "yosys is not installed (scripts/setup.sh)"
NAME="$(basename "${HW%.*}")"
OUT="${OUT:-${TMPDIR:-/tmp}/bitgrid-synth/$NAME}"
mkdir -p "$OUT"

CHPARAM=()
OV="$(bash "$ROOT/scripts/build_rtl_sim.sh" --overrides "$HW")" || exit 1
while IFS= read -r g; do
  [ -n "$g" ] || continue
  g="${g#-G}"
  CHPARAM+=(-set "${g%%=*}" "${g#*=}")
done <<< "$OV"

# The RTL files: rtl/gen/manifest.f (repo-relative; yosys runs in the repository root).
# shellcheck source=rtl_files.sh
source "$ROOT/scripts/rtl_files.sh"
bitgrid_rtl_files --relative || exit 1
SRCS=("${BITGRID_RTL_FILES[@]}")
# Yosys 0.23 reads a '1 parameter value as 1, not all ones (a simulation/synthesis mismatch the gate-level
# cosim found in bg_topk_unit): refuse it in parameter declarations.
if BAD="$(cd "$ROOT" && grep -nHE "(parameter|localparam)[^=;]*=[[:space:]]*'1[[:space:]]*[,;)]" "${SRCS[@]}")"; then
  die "a parameter set to '1, which Yosys 0.23 reads as 1 (write {N{1'b1}}): $(echo "$BAD" | head -1)"
fi

SIMONLY_CHECK="select -assert-none w:asserts_on t:bg_assert_en t:\$assert t:\$assume t:\$cover t:\$live t:\$fair
select -clear"
LATCH_CHECK="select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*"
# Gate-level netlist: the observation signals the harness reads become ports (expose), the scratchpads and the
# gbuf tables stay modules (the harness finds and zeroes their memories between jobs).
PREP=""
WRITE=""
if [ -n "$NETLIST" ]; then
  PREP="setattr -mod -set keep_hierarchy 1 \$paramod*bg_scratchpad* \$paramod*bg_hashgrid_table*
expose w:dbg_occ w:dbg_tokens w:dbg_issue w:dbg_complete w:dbg_heads w:dbg_err"
  WRITE="rename bitgrid_top bitgrid_top_netlist
write_verilog -noattr $NETLIST.tmp"
fi
if [ "$ICE40" = 1 ]; then
  FLOW="synth_ice40 -abc9 -top bitgrid_top -flatten -run begin:map_ram
$LATCH_CHECK
synth_ice40 -abc9 -top bitgrid_top -flatten -run map_ram:
$LATCH_CHECK
tee -o $OUT/stat.txt stat"
elif [ "$MAPMEM" = 1 ]; then
  FLOW="synth -top bitgrid_top -flatten -run begin:fine
$LATCH_CHECK
synth -top bitgrid_top -flatten -run fine:
$LATCH_CHECK
tee -o $OUT/stat.txt stat"
else
  # synth's own script without memory_map: the scratchpads stay memories
  FLOW="synth -top bitgrid_top -flatten -run begin:fine
$LATCH_CHECK
opt -fast -full
opt -full
techmap
opt -fast
abc -fast
opt -fast
hierarchy -check
$LATCH_CHECK
tee -o $OUT/stat.txt stat -width
check"
fi

cat > "$OUT/synth.ys" <<YS
read_verilog -sv $(printf '%s ' "${SRCS[@]}")
${CHPARAM:+chparam ${CHPARAM[*]} bitgrid_top}
hierarchy -top bitgrid_top
rename -top bitgrid_top
$SIMONLY_CHECK
$PREP
$FLOW
$WRITE
YS

echo "synth: $HW -> $OUT (log: $OUT/yosys.log)"
if ! (cd "$ROOT" && yosys -q -l "$OUT/yosys.log" -s "$OUT/synth.ys" > /dev/null 2>&1); then
  grep -E "ERROR|Assertion|assert" "$OUT/yosys.log" | head -5 >&2 || true
  die "yosys failed for $HW (see $OUT/yosys.log)"
fi
if grep -q "is implicitly declared" "$OUT/yosys.log"; then
  grep "is implicitly declared" "$OUT/yosys.log" | sort -u | head -5 >&2
  die "yosys reported implicitly declared identifiers (unsupported SystemVerilog?)"
fi
if grep -q "Latch inferred" "$OUT/yosys.log"; then
  grep "Latch inferred" "$OUT/yosys.log" | head -5 >&2
  die "latch inferred"
fi
[ -z "$NETLIST" ] || mv "$NETLIST.tmp" "$NETLIST"
cat "$OUT/stat.txt"
