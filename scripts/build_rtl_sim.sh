#!/usr/bin/env bash
# Builds the rtl backend for one hardware config: bitgrid_top verilated with the config's parameter
# overrides (verilator --sc --build --trace-fst) inside the SystemC harness (sim/rtl_*.cpp) and the shared
# driver sim/sim_main.cpp, giving OUTDIR/bitgrid-sim-rtl. The executable embeds the config and refuses jobs
# for any other config.
#
#   scripts/build_rtl_sim.sh HW.yaml OUTDIR      build (or reuse) OUTDIR/bitgrid-sim-rtl (the RTL files of
#                                                rtl/gen/manifest.f, with --assert: the SVA assertions run)
#   scripts/build_rtl_sim.sh --overrides HW.yaml print the Verilator/Yosys overrides, one -GName=value a line
#   scripts/build_rtl_sim.sh --gate-level [--ice40] HW.yaml OUTDIR
#                                                the same harness around the Yosys netlist of the config
#                                                (scripts/synth.sh --netlist; generic cells, behavioural
#                                                scratchpad memories; with --ice40 synth_ice40's netlist:
#                                                SB_LUT4, SB_CARRY, SB_DFF*, the scratchpads in SB_RAM40_4K,
#                                                simulated with Yosys' ice40/cells_sim.v, compiled with
#                                                NO_ICE40_DEFAULT_ASSIGNMENTS for Verilator): gate-level
#                                                co-verification. A wrapper
#                                                module bitgrid_top, cut from rtl/gen/bitgrid_top.sv (its
#                                                parameters, ports and the dbg_* declarations), instantiates
#                                                bitgrid_top_netlist by name (.*).
#
# Cacheable: OUTDIR is meant to be keyed by the config (the caller hashes it); a second call with the same
# config returns at once unless an input (rtl/, sim/, the model library or sources, this script, the
# config) is newer than the executable. Concurrent calls for one OUTDIR are serialised with flock.
#
# Environment:
#   BITGRID_MODEL_LIB  path of a built libbitgrid_model.a to link (the CMake build passes its own); when
#                      unset, model/src/*.cpp are compiled into OUTDIR/model (once, cached).
#   BITGRID_JOBS       parallel compile jobs (default 2).
#   BITGRID_EXTRA_FLAGS compiler and linker flags added to the harness build (the sanitizer build passes
#                      -fsanitize=address,undefined so that its model library links).
#   CXX                C++ compiler (default g++).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PARAMS="$ROOT/rtl/gen/params.tsv"
# shellcheck source=rtl_files.sh
source "$ROOT/scripts/rtl_files.sh"

die() { echo "error: $*" >&2; exit 1; }

# Flat "name: integer" YAML -> -G<RtlName>=value lines, one per parameter, with the names, ranges and
# constraints of rtl/gen/params.tsv (generated from configs/isa/, the only place the snake_case ->
# CamelCase mapping exists). Every other non-blank, non-comment line is an error, and so are a name the
# table does not have, a parameter given twice and a value outside its range. (The C++ side re-checks the
# built model's parameters against HwConfig::from_yaml at run time; derived constraints such as
# dram_burst_bytes >= dram_bytes_per_cycle are the RTL's own $fatal checks.)
overrides() {
  local yaml="$1"
  [ -f "$yaml" ] || die "$yaml: no such file"
  [ -f "$PARAMS" ] || die "$PARAMS is missing (regenerate: isagen configs/isa/spine.yaml --write .)"
  awk -F'\t' -v where="$yaml" -v table="$PARAMS" '
    function fail(msg) { printf "error: %s:%d: %s\n", where, FNR, msg > "/dev/stderr"; bad = 1 }
    function pow2(v) { if (v < 1) return 0; while (v > 1 && v % 2 == 0) v /= 2; return v == 1 }
    # rtl/gen/params.tsv: name rtl_name default min max pow2 multiple_of owner
    FNR == NR { if ($0 !~ /^#/ && NF >= 7) { rtl[$1] = $2; lo[$1] = $4 + 0; hi[$1] = $5 + 0; p2[$1] = $6 + 0; mul[$1] = $7 + 0 }; next }
    { sub(/\r$/, "") }
    /^[ \t]*(#.*)?$/ { next }
    /^---[ \t]*$/ { next }
    match($0, /^[a-z][a-z0-9_]*[ \t]*:[ \t]*[0-9]+[ \t]*(#.*)?$/) {
      line = $0; sub(/[ \t]*#.*$/, "", line)
      split(line, kv, ":"); key = kv[1]; val = kv[2]
      gsub(/[ \t]/, "", key); gsub(/[ \t]/, "", val)
      v = val + 0
      if (!(key in rtl)) { fail("unknown hardware parameter \"" key "\" (not in " table ")"); next }
      if (key in seen) { fail("hardware parameter \"" key "\" given twice"); next }
      seen[key] = 1
      if (v < lo[key] || v > hi[key]) { fail(key " = " val " is outside " lo[key] ".." hi[key] " (" table ")"); next }
      if (p2[key] && !pow2(v)) { fail(key " = " val " is not a power of two (" table ")"); next }
      if (mul[key] > 0 && v % mul[key] != 0) { fail(key " = " val " is not a multiple of " mul[key] " (" table ")"); next }
      print "-G" rtl[key] "=" val; next
    }
    { fail("expected \"name: integer\", got \"" $0 "\"") }
    END { if (length(rtl) == 0) { printf "error: %s: no parameters\n", table > "/dev/stderr"; bad = 1 }; exit bad }
  ' "$PARAMS" "$yaml"
}

if [ "${1:-}" = "--overrides" ]; then
  [ $# -eq 2 ] || die "usage: $0 --overrides HW.yaml"
  ov="$(overrides "$2")" || exit 1
  [ -n "$ov" ] && echo "$ov"
  exit 0
fi

GATE=0
GATE_ICE40=0
if [ "${1:-}" = "--gate-level" ]; then
  GATE=1
  shift
  if [ "${1:-}" = "--ice40" ]; then GATE_ICE40=1; shift; fi
fi
[ $# -eq 2 ] || die "usage: $0 [--gate-level [--ice40]] HW.yaml OUTDIR  |  $0 --overrides HW.yaml"
HW="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -f "$HW" ] || die "$1: no such file"
mkdir -p "$2"
OUT="$(cd "$2" && pwd)"
EXE="$OUT/bitgrid-sim-rtl"
JOBS="${BITGRID_JOBS:-2}"
CXX="${CXX:-g++}"

exec 9>"$OUT/.lock"
flock 9

bitgrid_rtl_files || exit 1
RTL_SRCS=("${BITGRID_RTL_FILES[@]}")
PUBLIC=()
if [ "$GATE" = 1 ]; then
  # The netlist (Yosys) and the wrapper that gives it bitgrid_top's parameters, ports and observation signals.
  PKG="$ROOT/rtl/gen/bitgrid_pkg.sv"
  RTL_SRCS=("$PKG" "$OUT/netlist.v" "$OUT/bitgrid_top_gl.sv")
  PUBLIC=(--public-flat-rw)  # the harness zeroes the scratchpad memories between jobs
  if [ "$GATE_ICE40" = 1 ]; then
    YOSYS_SHARE="$(dirname "$(command -v yosys || echo /usr/bin/yosys)")/../share/yosys"
    CELLS="$(cd "$YOSYS_SHARE" 2>/dev/null && pwd)/ice40/cells_sim.v"
    [ -f "$CELLS" ] || die "$YOSYS_SHARE/ice40/cells_sim.v: Yosys' iCE40 simulation models are not installed (Debian package yosys)"
    RTL_SRCS=("$CELLS" "${RTL_SRCS[@]}")
    PUBLIC+=(+define+NO_ICE40_DEFAULT_ASSIGNMENTS)
  fi
fi
SIM_SRCS=("$ROOT/sim/rtl_harness.cpp" "$ROOT/sim/rtl_backend.cpp" "$ROOT/sim/sim_main.cpp")
for f in "${SIM_SRCS[@]}"; do [ -f "$f" ] || die "missing source $f"; done

# --- up to date? -------------------------------------------------------------------------------------
newest_input() {
  # prints the inputs newer than the executable
  find "$ROOT/rtl" "$ROOT/sim" "$ROOT/model/src" "$ROOT/model/include" "$HW" "${BASH_SOURCE[0]}" "$ROOT/scripts/synth.sh" \
       "$ROOT/scripts/rtl_files.sh" "$ROOT/scripts/model_lib.sh" \
       ${BITGRID_MODEL_LIB:+"$BITGRID_MODEL_LIB"} -newer "$EXE" -type f 2>/dev/null | head -1
}
if [ -x "$EXE" ]; then
  changed="$(newest_input)"
  [ -z "$changed" ] && exit 0
  echo "build_rtl_sim: $changed is newer than $EXE: rebuilding it" >&2
fi

OV="$(overrides "$HW")" || exit 1
if [ "$GATE" = 1 ]; then
  echo "build_rtl_sim: synthesizing the gate-level netlist of $HW (Yosys)" >&2
  SYNTH_ARGS=()
  [ "$GATE_ICE40" = 1 ] && SYNTH_ARGS=(--ice40)
  bash "$ROOT/scripts/synth.sh" "$HW" ${SYNTH_ARGS[@]+"${SYNTH_ARGS[@]}"} --out "$OUT/synth" --netlist "$OUT/netlist.v" \
    > "$OUT/synth.log" 2>&1 ||
    { tail -5 "$OUT/synth.log" >&2; die "synthesis for the gate-level model failed (log: $OUT/synth.log)"; }
  awk '
    /^module bitgrid_top #\(/ { head = 1 }
    head { print }
    head && /^\);/ { head = 0; body = 1; next }
    body && /^  localparam int unsigned (NQ|NT|NF|CntW) / { print }
    body && /^  logic .*dbg_(occ|tokens|issue|complete|heads|err) .*public_flat_rd/ { print }
    END {
      print "\n  // the Yosys netlist of this config (scripts/synth.sh --netlist), connected by name"
      print "  bitgrid_top_netlist u_netlist (.*);\n\nendmodule : bitgrid_top"
    }
  ' "$ROOT/rtl/gen/bitgrid_top.sv" > "$OUT/bitgrid_top_gl.sv"
  for f in "${RTL_SRCS[@]}"; do [ -f "$f" ] || die "missing source $f"; done
  sed -i '1i // gate-level wrapper cut from rtl/gen/bitgrid_top.sv by scripts/build_rtl_sim.sh --gate-level' \
    "$OUT/bitgrid_top_gl.sv"
fi
for f in "${RTL_SRCS[@]}"; do [ -f "$f" ] || die "missing source $f"; done
GARGS=()
while IFS= read -r g; do [ -n "$g" ] && GARGS+=("$g"); done <<< "$OV"

# --- the config, embedded (sim/rtl_backend.cpp compares jobs against it) -------------------------------
CFG_CPP="$OUT/rtl_build_config.cpp"
{
  echo "// generated by scripts/build_rtl_sim.sh from $HW"
  echo "namespace bitgrid { extern const char* const kRtlBuildHwYaml; extern const char* const kRtlBuildHwPath;"
  echo "const char* const kRtlBuildHwYaml = R\"BGHWCFG($(cat "$HW"))BGHWCFG\";"
  echo "const char* const kRtlBuildHwPath = R\"BGHWCFG($HW)BGHWCFG\"; }"
} > "$CFG_CPP.tmp"
if ! cmp -s "$CFG_CPP.tmp" "$CFG_CPP"; then mv "$CFG_CPP.tmp" "$CFG_CPP"; else rm -f "$CFG_CPP.tmp"; fi

# --- the model library ---------------------------------------------------------------------------------
# shellcheck source=model_lib.sh
source "$ROOT/scripts/model_lib.sh"
INC=("${BITGRID_MODEL_INC[@]}")
bitgrid_model_lib "$OUT" || die "the model library could not be built"
MODEL_LIB="$BITGRID_MODEL_LIB_PATH"

# --- verilate and build ---------------------------------------------------------------------------------
export SYSTEMC_INCLUDE="${SYSTEMC_INCLUDE:-/usr/include}"
export SYSTEMC_LIBDIR="${SYSTEMC_LIBDIR:-/usr/lib/x86_64-linux-gnu}"
rm -f "$EXE"
# Compiler optimization: Verilator's make applies OPT_FAST (default -Os) to the per-cycle code and the harness,
# OPT_SLOW to the code run once (construction, trace set-up), after CFLAGS. OPT_SLOW=-O0: those files are half
# the compile time at -O2 (build/rtl/default: 267 of 492 CPU-seconds) for nothing at run time. The iCE40
# netlist (thousands of cell instances, flattened) compiles in 4.5 instead of 14.5 minutes at -O0 and still runs
# 60 cosim seeds in about 12 s.
COPT=-O2
[ "$GATE_ICE40" = 1 ] && COPT=-O0
verilator --sc --exe --build -j "$JOBS" -O3 --trace-fst --assert -MAKEFLAGS "OPT_SLOW=-O0" \
  -Wno-fatal -Wno-lint -Wno-style "${BITGRID_VERILATOR_CHECK_ARGS[@]}" \
  --top-module bitgrid_top --prefix Vbitgrid_top --Mdir "$OUT/obj" \
  "${GARGS[@]}" ${PUBLIC[@]+"${PUBLIC[@]}"} \
  -CFLAGS "-std=c++17 $COPT ${INC[*]} ${BITGRID_EXTRA_FLAGS:-}" \
  -LDFLAGS "$MODEL_LIB -lyaml-cpp -lfmt -lpthread ${BITGRID_EXTRA_FLAGS:-}" \
  -o "$EXE" \
  "${RTL_SRCS[@]}" "${SIM_SRCS[@]}" "$CFG_CPP" \
  > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log" >&2; die "verilator build failed (full log: $OUT/build.log)"; }
[ -x "$EXE" ] || die "verilator build did not produce $EXE (log: $OUT/build.log)"
