#!/usr/bin/env bash
# One command per FPGA target: synthesis (Yosys 0.23), and for iCE40 place-and-route (nextpnr-ice40) and a
# bitstream (icepack), with a JSON report of resources, utilization of the part and Fmax.
#
#   scripts/fpga.sh HW.yaml --target T [--out DIR] [--seed N] [--seeds K] [--freq MHZ] [--min-fmax MHZ] [--per-module]
#                   [--route-timeout SEC]
#                   [--top MODULE] [--files LIST.f] [--pcf FILE] [--name NAME] [--quiet]
#
# Targets (the part's capacities are in the table below):
#   ice40-up5k  iCE40UP5K-SG48 (iCEBreaker)   synth_ice40 -spram -dsp -abc9, nextpnr-ice40 --up5k, icepack  routed
#   ice40-hx8k  iCE40HX8K-CT256               synth_ice40 -abc9, nextpnr-ice40 --hx8k, icepack              routed
#   xilinx-7    xc7a35t-csg324 (Artix-7)      synth_xilinx                                                  pre-place-and-route
#   ecp5        LFE5U-25F-BG256               synth_ecp5                                                    pre-place-and-route
#   gowin       GW1NR-LV9QN88 (Tang Nano 9K)  synth_gowin                                                   pre-place-and-route
# (-abc9: ABC9's timing-driven LUT mapping; on the board it raised Fmax from 20.78 to 21.36 MHz and the core
# alone on the UP5K from 22.71 to 27.04 MHz, session 7, docs/FPGA.md.)
#
# iCE40 targets build a top on the RTL of rtl/gen/manifest.f: the UP5K the board (bg_board_ice40, files
# rtl/board/board.f, pins rtl/board/icebreaker.pcf), the HX8K, which has no board (its block RAM cannot hold
# the DRAM stand-in), the core alone in its timing shell (bg_core_shell, rtl/fpga/core_shell.f,
# rtl/fpga/core_shell_hx8k.pcf: every input from a scan chain, the outputs XOR-reduced to a pin), the RTL of
# rtl/gen/manifest.f with rtl/gen/bitgrid_pkg.sv replaced by the configured package (its Default* values
# are HW.yaml's). The other targets synthesize bitgrid_top itself out of context (its ports are no pins) with
# the config's parameters as `chparam` overrides, as scripts/synth.sh does; their numbers are estimates
# before place-and-route. --top/--files/--pcf choose another top (its files listed one per line, paths
# relative to the repository root or absolute; `//` comments); a top other than bitgrid_top always gets the
# configured package. `--top bg_core_shell` (the core alone in its timing shell, rtl/fpga/) needs no
# --files/--pcf on either iCE40.
#
# DIR (default $TMPDIR/bitgrid-fpga/<name>-<target>) receives, only when every stage succeeded:
#   fpga.json       target, part, stage (routed | pre-place-and-route), top, config, resources, utilization,
#                   timing (Fmax, requested frequency, critical path), tool versions, seed, wall time per stage
#   hw.yaml         the hardware config built;  synth.ys, yosys.log, stat.txt, stat.json: synthesis
#   bitgrid.json    the synthesized netlist (iCE40)
#   nextpnr.log, nextpnr-report.json, bitgrid.asc, bitgrid.bin (the bitstream): iCE40 only
#   modules.csv     with --per-module: a second synthesis with -noflatten, cells per module
# On any failure: one line `error: ...` on stderr, exit status 1, DIR untouched; the failed run's files
# stay in a temporary folder named in the message.
# Fails on: an unknown target, a missing tool, a latch, a combinational loop, an implicitly declared
# identifier, a design that does not fit the part (iCE40: checked from Yosys' counts before nextpnr runs,
# and nextpnr's own check), an unroutable design, an Fmax below --min-fmax (default: none; Fmax below
# --freq alone is reported as timing.met = false). Pre-place-and-route targets report a part overflow in
# fpga.json (fits, overflows) and on stderr without failing: they are estimates for larger parts too.
#
#   --seed N        nextpnr's placer seed (default 1)
#   --seeds K       place and route with the K seeds N .. N+K-1 (default 1) and keep the one of highest Fmax
#                   (the lowest seed among equals): its bitstream and report; fpga.json lists every seed's Fmax
#                   (timing.seeds) and their spread (timing.seed_fmax_mhz: min, median, max). --min-fmax and
#                   --route-timeout apply to the kept seed and to each seed's run
#   --freq MHZ      the clock frequency requested from nextpnr (default 12, the iCEBreaker's oscillator)
#   --min-fmax MHZ  fail when the routed Fmax is below this
#   --route-timeout SEC  give up place-and-route after SEC seconds (default 1800, or $BITGRID_ROUTE_TIMEOUT):
#                   nextpnr-ice40's router can keep ripping up a congested design without end; this is
#                   reported as unroutable, with the arcs its last iteration left
#   --name NAME     the config's name in fpga.json and the default DIR (default: HW.yaml's file name)
#   --quiet         the summary only: no header, no progress (BITGRID_QUIET=1 does the same)
#
# Progress: on a terminal, one line per stage with the time elapsed and an estimate of the time left (stderr,
# cleared when the stage ends; scripts/progress.sh). The estimate is the median of this machine's last 5 runs of
# the same stage, target and top (place-and-route scaled by the netlist's cells), kept in
# $BITGRID_FPGA_TIMES (default ~/.cache/bitgrid/fpga-times.tsv: target, top, stage, cells, seconds); before the
# first run, the times measured on the development machine (2 cores; docs/FPGA.md). With stdout not a terminal
# only the summary is printed.
set -euo pipefail

# Builtins only until the tools are checked: a missing tool (even a bare PATH) must give its own message.
ROOT="${BASH_SOURCE[0]%/*}"
[ "$ROOT" = "${BASH_SOURCE[0]}" ] && ROOT=.
ROOT="$(cd "$ROOT/.." && pwd)"
# (the progress bar, once scripts/progress.sh is loaded, is cleared first so the error gets its own line)
die() { if declare -F progress_end > /dev/null; then progress_end; fi; echo "error: $*" >&2; exit 1; }

TARGETS="ice40-up5k ice40-hx8k xilinx-7 ecp5 gowin"
HW="" TARGET="" OUT="" SEED=1 SEEDS=1 FREQ=12 MINFMAX="" PERMOD=0 TOP="" FILES="" PCF="" NAME=""
RTO="${BITGRID_ROUTE_TIMEOUT:-1800}"
while [ $# -gt 0 ]; do
  case "$1" in
    --target) shift; TARGET="${1-}" ;;
    --out) shift; OUT="${1:?--out needs a directory}" ;;
    --seed) shift; SEED="${1-}" ;;
    --seeds) shift; SEEDS="${1-}" ;;
    --freq) shift; FREQ="${1-}" ;;
    --min-fmax) shift; MINFMAX="${1-}" ;;
    --per-module) PERMOD=1 ;;
    --route-timeout) shift; RTO="${1-}" ;;
    --top) shift; TOP="${1:?--top needs a module name}" ;;
    --files) shift; FILES="${1:?--files needs a file list}" ;;
    --pcf) shift; PCF="${1:?--pcf needs a file}" ;;
    --name) shift; NAME="${1:?--name needs a name}" ;;
    --quiet) BITGRID_QUIET=1 ;;
    -h|--help)
      while IFS= read -r l; do case "$l" in '#!'*) ;; '#'*) l="${l#\#}"; echo "${l# }" ;; *) break ;; esac; done < "${BASH_SOURCE[0]}"
      exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$HW" ] || die "more than one config given ($HW, $1)"; HW="$1" ;;
  esac
  shift
done
[ -n "$HW" ] || die "no hardware config given (usage: scripts/fpga.sh HW.yaml --target T; see --help)"
[ -n "$TARGET" ] || die "no --target given (valid: ${TARGETS// /, })"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "--seed $SEED: expected a non-negative integer"
[[ "$SEEDS" =~ ^[0-9]+$ ]] && [ "$SEEDS" -ge 1 ] && [ "$SEEDS" -le 100 ] || die "--seeds $SEEDS: expected a count of seeds from 1 to 100"
[[ "$FREQ" =~ ^[0-9]+(\.[0-9]+)?$ ]] && [[ ! "$FREQ" =~ ^0+(\.0*)?$ ]] || die "--freq $FREQ: expected a frequency in MHz above 0"
[ -z "$MINFMAX" ] || [[ "$MINFMAX" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--min-fmax $MINFMAX: expected a frequency in MHz"
[[ "$RTO" =~ ^[0-9]+$ ]] && [ "$RTO" -gt 0 ] || die "--route-timeout $RTO: expected a whole number of seconds above 0"

# ---- the targets: part, synthesis, place-and-route and the part's capacities ----
# CAPS: the part's resources (LUTs: LUT4 or LUT6 sites; BRAM: block RAM tiles, Xilinx in RAMB36;
# io: user I/O pins of the package).
case "$TARGET" in
  ice40-up5k)
    FAMILY=ice40 PART="iCE40UP5K-SG48" ROUTED=1
    SYNTH="synth_ice40 -spram -dsp -abc9" PNR_DEV=(--up5k --package sg48) ICETIME_DEV=(-d up5k -P sg48)
    DEFAULT_TOP=bg_board_ice40 DEFAULT_FILES="rtl/board/board.f" DEFAULT_PCF="rtl/board/icebreaker.pcf"
    CAPS=(luts=5280 ffs=5280 carries=5280 brams=30 sprams=4 dsps=8 io=39) ;;
  ice40-hx8k)
    FAMILY=ice40 PART="iCE40HX8K-CT256" ROUTED=1
    SYNTH="synth_ice40 -abc9" PNR_DEV=(--hx8k --package ct256) ICETIME_DEV=(-d hx8k -P ct256)
    # no board for the HX8K (its block RAM cannot hold the board's DRAM stand-in): the core alone
    DEFAULT_TOP=bg_core_shell DEFAULT_FILES="rtl/fpga/core_shell.f" DEFAULT_PCF="rtl/fpga/core_shell_hx8k.pcf"
    CAPS=(luts=7680 ffs=7680 carries=7680 brams=32 sprams=0 dsps=0 io=206) ;;
  xilinx-7)
    FAMILY=xilinx PART="xc7a35t-csg324" ROUTED=0
    SYNTH="synth_xilinx -family xc7 -flatten -noiopad -noclkbuf"
    CAPS=(luts=20800 ffs=41600 carries=8150 brams=50 dsps=90 io=210) ;;
  ecp5)
    FAMILY=ecp5 PART="LFE5U-25F-BG256" ROUTED=0
    SYNTH="synth_ecp5"
    CAPS=(luts=24288 ffs=24288 carries=12144 brams=56 dsps=28 io=197) ;;
  gowin)
    FAMILY=gowin PART="GW1NR-LV9QN88" ROUTED=0
    SYNTH="synth_gowin -noiopads"
    CAPS=(luts=8640 ffs=6480 carries=8640 brams=26 dsps=20 io=71) ;;
  *) die "unknown target '$TARGET' (valid: ${TARGETS// /, })" ;;
esac

need() {  # tool, Debian package
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: install the Debian package $2 (scripts/setup.sh installs it)"
}
need yosys yosys
need python3 python3
if [ "$ROUTED" = 1 ]; then
  need nextpnr-ice40 nextpnr-ice40
  need icepack fpga-icestorm
fi
for t in mktemp date basename timeout; do need "$t" coreutils; done
need awk mawk
need grep grep
need sed sed

[ -f "$HW" ] || die "$HW: no such file"
NAME="${NAME:-$(basename "${HW%.*}")}"
OUT="${OUT:-${TMPDIR:-/tmp}/bitgrid-fpga/$NAME-$TARGET}"
if [ -z "$TOP" ]; then
  if [ "$ROUTED" = 1 ]; then TOP=$DEFAULT_TOP; FILES="${FILES:-$DEFAULT_FILES}"; else TOP=bitgrid_top; fi
fi
# The core in its timing shell brings its own file list and pins on either iCE40: --top bg_core_shell alone.
if [ "$ROUTED" = 1 ] && [ "$TOP" = bg_core_shell ]; then
  FILES="${FILES:-rtl/fpga/core_shell.f}" PCF="${PCF:-rtl/fpga/core_shell_${TARGET#ice40-}.pcf}"
fi
if [ "$ROUTED" = 1 ]; then
  PCF="${PCF:-$DEFAULT_PCF}"
  [[ "$PCF" = /* ]] || PCF="$ROOT/$PCF"
fi
REPORT="$ROOT/scripts/fpga_report.py"
# shellcheck source=progress.sh
source "$ROOT/scripts/progress.sh"
trap progress_end EXIT
FPGA_TIMES="${BITGRID_FPGA_TIMES:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/bitgrid/fpga-times.tsv}"
# A stage's expected seconds (stage, the netlist's cells or 0): see "Progress" in the header. The defaults are
# medians measured on the 2-core development machine (session 13): UP5K board 75 s synthesis and 210 s
# place-and-route at ~6,400 cells, the core shell 30 s and 40 s, the tiny stand-in 8 s and 5 s.
stage_estimate() {
  local st="$1" cells="${2:-0}" d
  if [ -f "$FPGA_TIMES" ]; then
    d="$(awk -F'\t' -v t="$TARGET" -v top="$TOP" -v st="$st" -v c="$cells" '
      $1 == t && $2 == top && $3 == st && $5 > 0 { s[++n] = (st == "place_and_route" && $4 > 0 && c > 0) ? $5 * c / $4 : $5 }
      END {
        if (!n) exit
        k = 0; for (i = (n > 5 ? n - 4 : 1); i <= n; i++) v[++k] = s[i]
        for (i = 2; i <= k; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
        printf "%.0f", k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
      }' "$FPGA_TIMES" 2> /dev/null || true)"
    [ -z "$d" ] || { echo "$d"; return; }
  fi
  case "$st:$TOP" in
    synth:bg_board_ice40 | per_module:bg_board_ice40) echo 75 ;;
    synth:bg_fpga_standin | per_module:bg_fpga_standin) echo 8 ;;
    synth:* | per_module:*) echo 30 ;;
    place_and_route:bg_board_ice40) echo 210 ;;
    place_and_route:bg_core_shell) echo 40 ;;
    place_and_route:bg_fpga_standin) echo 5 ;;
    *) echo 60 ;;
  esac
}
# Remember this run's stage times for the next estimate (a cache: a failure to write is ignored; 500 lines kept).
record_times() {  # cells, then stage=seconds ...
  local cells="$1" kv
  shift
  mkdir -p "$(dirname "$FPGA_TIMES")" 2> /dev/null || return 0
  for kv in "$@"; do printf '%s\t%s\t%s\t%s\t%s\n' "$TARGET" "$TOP" "${kv%%=*}" "$cells" "${kv#*=}"; done \
    >> "$FPGA_TIMES" 2> /dev/null || return 0
  if [ "$(wc -l < "$FPGA_TIMES")" -gt 500 ]; then
    tail -n 500 "$FPGA_TIMES" > "$FPGA_TIMES.$$" 2> /dev/null && mv -f "$FPGA_TIMES.$$" "$FPGA_TIMES" 2> /dev/null || true
  fi
  return 0
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# The config's parameters (validated against rtl/gen/params.tsv).
OV="$(bash "$ROOT/scripts/build_rtl_sim.sh" --overrides "$HW" 2>&1)" || die "${OV#error: }"

# shellcheck source=rtl_files.sh
source "$ROOT/scripts/rtl_files.sh"
bitgrid_rtl_files || die "RTL file list: see the message above"
SRCS=("${BITGRID_RTL_FILES[@]}")

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/bitgrid-fpga-run.XXXXXX")"
fail() { die "$* (files of this run: $STAGE)"; }
cp "$HW" "$STAGE/hw.yaml"

CHPARAM=()
if [ "$TOP" = bitgrid_top ]; then
  while IFS= read -r g; do
    [ -n "$g" ] || continue
    g="${g#-G}"
    CHPARAM+=(-set "${g%%=*}" "${g#*=}")
  done <<< "$OV"
else
  # the configured package (scripts/rtl_files.sh): rtl/gen/bitgrid_pkg.sv with the config's Default* values
  bitgrid_configured_pkg "$HW" "$STAGE/bitgrid_pkg_configured.sv" || fail "cannot write the configured package"
  for i in "${!SRCS[@]}"; do
    [ "${SRCS[$i]}" = "$BITGRID_ROOT/rtl/gen/bitgrid_pkg.sv" ] && SRCS[$i]="$STAGE/bitgrid_pkg_configured.sv"
  done
fi
# The board top reports the config's hash (docs/BOARD.md, `I`), which the fpga backend checks against its job.
BOARD_CHPARAM=""
if [ "$TOP" = bg_board_ice40 ]; then
  HASH="$(bash "$ROOT/scripts/config_hash.sh" "$HW")" || fail "cannot compute the config hash (scripts/config_hash.sh)"
  BOARD_CHPARAM="chparam -set ConfigHash $HASH $TOP"
fi
if [ -n "$FILES" ]; then
  [[ "$FILES" = /* ]] || FILES="$ROOT/$FILES"
  if [ ! -f "$FILES" ]; then
    [ "$TOP" = "${DEFAULT_TOP:-}" ] && die "$FILES: no such file (the default top's file list; give --top/--files/--pcf)"
    die "$FILES: no such file"
  fi
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line="${line%$'\r'}"; line="${line#"${line%%[![:space:]]*}"}"; line="${line%"${line##*[![:space:]]}"}"
    case "$line" in "" | //* | \#*) continue ;; esac
    [[ "$line" = /* ]] || line="$ROOT/$line"
    [ -f "$line" ] || die "$FILES:$n: listed file $line does not exist"
    dup=0
    for s in "${SRCS[@]}"; do [ "$s" = "$line" ] && dup=1; done
    [ "$line" = "$BITGRID_ROOT/rtl/gen/bitgrid_pkg.sv" ] && dup=1
    [ "$dup" = 1 ] || SRCS+=("$line")
  done < "$FILES"
fi
if [ "$ROUTED" = 1 ] && [ ! -f "$PCF" ]; then
  [ "$TOP" = bg_board_ice40 ] && die "$PCF: no such file (the board's pin constraints; rtl/board/ is not there yet? give --top/--files/--pcf)"
  die "$PCF: no such file"
fi

SIMONLY_CHECK="select -assert-none w:asserts_on t:bg_assert_en t:\$assert t:\$assume t:\$cover t:\$live t:\$fair
select -clear"
yosys_script() {  # flatten(0|1) synth-command extra-lines
  cat <<YS
read_verilog -sv $(printf '%s ' "${SRCS[@]}")
${CHPARAM:+chparam ${CHPARAM[*]} bitgrid_top}
$BOARD_CHPARAM
hierarchy -check -top $TOP
rename -top $TOP
$SIMONLY_CHECK
tee -q -o $STAGE/ports.txt portlist $TOP
proc
$([ "$1" = 1 ] && echo flatten)
opt_clean
tee -q -o $STAGE/check$3.txt check
$2
tee -q -o $STAGE/stat$3.json stat -json
tee -q -o $STAGE/stat$3.txt stat
YS
}

yosys_run() {  # script log: runs yosys, then the checks every synthesis shares
  local ys="$1" log="$2" l
  if ! (cd "$ROOT" && yosys -q -l "$log" -s "$ys" > /dev/null 2>&1); then
    l="$(grep -m1 -E "^ERROR|Assertion" "$log" || true)"
    fail "yosys failed for $TOP: ${l:-see $log}"
  fi
  l="$(grep -m1 "is implicitly declared" "$log" || true)"
  [ -z "$l" ] || fail "yosys: implicitly declared identifier (unsupported SystemVerilog?): ${l#Warning: }"
  l="$(grep -m1 "Latch inferred" "$log" || true)"
  if [ -n "$l" ]; then
    l="${l#*for signal }"; l="${l%%\' from process*}"; l="${l#\`}"
    fail "latch inferred in $TOP for signal ${l//\\/} (Yosys proc; write the logic as always_ff or a complete always_comb)"
  fi
}
loop_check() {  # check.txt log
  local l
  if grep -q "found logic loop" "$1"; then
    # the loop's wires, named ones first
    l="$(awk '/found logic loop/ { on = 1; next }
      on && /^    cell / { next }
      on && /^    wire / { w = $2; if (substr(w, 1, 1) == "\\") named = named " " substr(w, 2); else other = other " " w; next }
      on { exit }
      END { s = named other; n = split(s, a, " "); for (i = 1; i <= n && i <= 4; i++) printf "%s ", a[i] }' "$1")"
    fail "combinational loop in $TOP through: ${l% }"
  fi
  l="$(grep -m1 "Breaking loop using new signal" "$2" || true)"
  [ -z "$l" ] || fail "combinational loop in $TOP (ABC: ${l#*: })"
}

STAGES=()
PNR_SECONDS=()  # place-and-route seconds of each seed, for the next estimate
# ---- synthesis ----
[ "${BITGRID_QUIET:-0}" != 1 ] && [ -t 1 ] && echo "fpga: $NAME on $TARGET ($PART), top $TOP -> $OUT"
t0="$(now)"
progress_begin "fpga: synthesis (Yosys)" "$(stage_estimate synth)"
NETLIST_CMD="$SYNTH -top $TOP"
[ "$ROUTED" = 1 ] && NETLIST_CMD="$NETLIST_CMD -json $STAGE/bitgrid.json"
yosys_script 1 "$NETLIST_CMD" "" > "$STAGE/synth.ys"
yosys_run "$STAGE/synth.ys" "$STAGE/yosys.log"
loop_check "$STAGE/check.txt" "$STAGE/yosys.log"
progress_end
STAGES+=("wall_seconds.synth=$(elapsed "$t0")")
CELLS="$(awk '/Number of cells:/ { c = $NF } END { print c + 0 }' "$STAGE/stat.txt" 2> /dev/null || echo 0)"

# ---- per-module breakdown (before the fit verdict: a design that does not fit is when it matters;
# the failed run's folder keeps modules.csv) ----
if [ "$PERMOD" = 1 ]; then
  t0="$(now)"
  progress_begin "fpga: per-module synthesis (Yosys)" "$(stage_estimate per_module)"
  if [ "$FAMILY" = xilinx ]; then MSYNTH="${SYNTH/ -flatten/}"; else MSYNTH="$SYNTH -noflatten"; fi
  yosys_script 0 "$MSYNTH -top $TOP" "-modules" > "$STAGE/synth-modules.ys"
  yosys_run "$STAGE/synth-modules.ys" "$STAGE/yosys-modules.log"
  python3 "$REPORT" modules --family "$FAMILY" --stat "$STAGE/stat-modules.json" --top "$TOP" \
    --out "$STAGE/modules.csv" || fail "per-module accounting failed"
  progress_end
  STAGES+=("wall_seconds.per_module=$(elapsed "$t0")")
fi

IO_FIT=()
[ "$ROUTED" = 1 ] && IO_FIT=(--io-in-fit)
CAPARGS=()
for c in "${CAPS[@]}"; do CAPARGS+=(--cap "$c"); done
FIT_RC=0
FIT_MSG="$(python3 "$REPORT" fit --target "$TARGET" --family "$FAMILY" --stat "$STAGE/stat.json" --ports "$STAGE/ports.txt" \
  --top "$TOP" "${CAPARGS[@]}" "${IO_FIT[@]}" --out "$STAGE/resources.json")" || FIT_RC=$?
if [ "$FIT_RC" = 3 ]; then
  [ "$ROUTED" = 1 ] && fail "$NAME does not fit $TARGET ($PART): $FIT_MSG"
  echo "fpga: warning: $NAME would not fit $PART: $FIT_MSG (pre-place-and-route estimate)" >&2
elif [ "$FIT_RC" != 0 ]; then
  fail "resource accounting failed: $FIT_MSG"
fi

# ---- place-and-route, timing, bitstream (iCE40) ----
SETS=()
TIMING=()
if [ "$ROUTED" = 1 ]; then
  # One place-and-route per seed (SEED .. SEED+SEEDS-1), each in its own folder; the best Fmax (the lowest
  # seed among equals) is kept, the others are listed in fpga.json (timing.seeds).
  pnr() {  # seed, folder
    local sd="$1" d="$2" l
    mkdir -p "$d"
    if ! timeout "$RTO" nextpnr-ice40 "${PNR_DEV[@]}" --pcf "$PCF" --json "$STAGE/bitgrid.json" \
        --asc "$d/bitgrid.asc" --seed "$sd" --freq "$FREQ" --timing-allow-fail \
        --report "$d/nextpnr-report.json" -q -l "$d/nextpnr.log" > /dev/null 2>&1; then
      if [ "$(elapsed "$t1" | cut -d. -f1)" -ge "$RTO" ]; then
        # the router's progress table: "IterCnt | w/ripup wo/ripup | w/r wo/r | arcs | ..." ; arcs left last
        l="$(awk -F'|' '/^Info: +[0-9]+ \|/ { gsub(/ /, "", $4); a = $4 } END { print a }' "$d/nextpnr.log" 2> /dev/null || true)"
        fail "unroutable on $TARGET: nextpnr did not finish within --route-timeout $RTO s${l:+ ($l arcs still unrouted)}"
      fi
      l="$(grep -m1 -E "Design uses [0-9]+ .* but device only has [0-9]+" "$d/nextpnr.log" || true)"
      if [ -n "$l" ]; then
        l="${l#*Design uses }"
        fail "$NAME does not fit $TARGET ($PART): nextpnr: design uses $l"
      fi
      # packing LUTs, flip-flops and carries into logic cells can need more cells than the Yosys counts say:
      # nextpnr's utilisation table names what overflowed
      l="$(awk '/Device utilisation:/ { on = 1; next } on && /^Info:[ \t]+[A-Za-z_0-9]+:[ \t]*[0-9]+\/[ \t]*[0-9]+/ {
             line = $0; gsub("/", " ", line); split(line, f, /[ \t]+/); n = f[2]; sub(/:$/, "", n)
             if (f[3] + 0 > f[4] + 0) { printf "%s%s %d used > %d available", sep, n, f[3], f[4]; sep = ", " } }
             on && !/^Info:[ \t]+[A-Za-z_0-9]+:/ { on = 0 }' "$d/nextpnr.log" | head -1)"
      [ -z "$l" ] || fail "$NAME does not fit $TARGET ($PART) after packing: nextpnr: $l"
      l="$(grep -m1 -E "^ERROR" "$d/nextpnr.log" || true)"
      case "$l" in
        *[Rr]out*) fail "unroutable on $TARGET: nextpnr: ${l#ERROR: }" ;;
        *[Ll]oop*) fail "combinational loop in $TOP: nextpnr: ${l#ERROR: }" ;;
        "") fail "nextpnr-ice40 failed (see $d/nextpnr.log)" ;;
        *) fail "nextpnr-ice40: ${l#ERROR: }" ;;
      esac
    fi
    python3 "$REPORT" nextpnr --report "$d/nextpnr-report.json" --out "$d/timing.json" \
      || fail "cannot read nextpnr's report"
  }
  t0="$(now)"
  BEST="" BEST_FMAX="" SEED_FMAX=()
  for ((sd = SEED; sd < SEED + SEEDS; sd++)); do
    what="fpga: place-and-route (nextpnr)"
    [ "$SEEDS" -gt 1 ] && what="fpga: place-and-route (nextpnr), seed $sd ($((sd - SEED + 1)) of $SEEDS)"
    progress_begin "$what" "$(stage_estimate place_and_route "$CELLS")"
    t1="$(now)"
    pnr "$sd" "$STAGE/seed-$sd"
    progress_end
    PNR_SECONDS+=("place_and_route=$(elapsed "$t1")")
    f="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("fmax"))' "$STAGE/seed-$sd/timing.json")"
    [ -n "$f" ] && [ "$f" != None ] || fail "nextpnr reported no clock (a design without a clocked path?)"
    SEED_FMAX+=(--seed-fmax "$sd=$f")
    if [ -z "$BEST" ] || awk -v f="$f" -v b="$BEST_FMAX" 'BEGIN { exit !(f > b) }'; then
      BEST="$sd" BEST_FMAX="$f"
    fi
  done
  SEED="$BEST"
  for f in bitgrid.asc nextpnr-report.json nextpnr.log timing.json; do mv "$STAGE/seed-$SEED/$f" "$STAGE/$f"; done
  rm -rf "$STAGE"/seed-*
  STAGES+=("wall_seconds.place_and_route=$(elapsed "$t0")")
  TIMING=(--timing "$STAGE/timing.json" "${SEED_FMAX[@]}")
  t0="$(now)"
  icepack "$STAGE/bitgrid.asc" "$STAGE/bitgrid.bin" > "$STAGE/icepack.log" 2>&1 || fail "icepack failed (see $STAGE/icepack.log)"
  STAGES+=("wall_seconds.bitstream=$(elapsed "$t0")")
  # icetime as a cross-check, when its chip database (Debian fpga-icestorm-chipdb) is installed
  if command -v icetime >/dev/null 2>&1 && icetime "${ICETIME_DEV[@]}" -m -t -r "$STAGE/icetime.txt" \
      "$STAGE/bitgrid.asc" > "$STAGE/icetime.log" 2>&1; then
    l="$(grep -m1 -oE "Total path delay: [0-9.]+ ns \([0-9.]+ MHz\)" "$STAGE/icetime.txt" || true)"
    [[ "$l" =~ \(([0-9.]+)\ MHz\) ]] && SETS+=("timing.icetime_fmax_mhz=${BASH_REMATCH[1]}")
  else
    SETS+=("timing.icetime=skipped (icetime needs the Debian package fpga-icestorm-chipdb)")
    rm -f "$STAGE/icetime.txt" "$STAGE/icetime.log"
  fi
  FMAX="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("fmax"))' "$STAGE/timing.json")"
  [ -n "$FMAX" ] && [ "$FMAX" != null ] || fail "nextpnr reported no clock (a design without a clocked path?)"
  if [ -n "$MINFMAX" ] && awk -v f="$FMAX" -v m="$MINFMAX" 'BEGIN { exit !(f < m) }'; then
    fail "Fmax $FMAX MHz is below --min-fmax $MINFMAX MHz on $TARGET (seed $SEED$([ "$SEEDS" -gt 1 ] && echo ", the best of $SEEDS"))"
  fi
  if awk -v f="$FMAX" -v m="$FREQ" 'BEGIN { exit !(f < m) }'; then
    echo "fpga: warning: Fmax $FMAX MHz is below the requested $FREQ MHz" >&2
  fi
  SETS+=("timing.requested_mhz=$FREQ" "seed=$SEED"
         "tools.nextpnr=$(nextpnr-ice40 --version 2>&1 | head -1)"
         "tools.icepack=fpga-icestorm $(dpkg-query -W -f='${Version}' fpga-icestorm 2>/dev/null || echo '(version unknown)')"
         "files.netlist=bitgrid.json" "files.asc=bitgrid.asc" "files.bitstream=bitgrid.bin"
         "files.nextpnr_log=nextpnr.log" "files.nextpnr_report=nextpnr-report.json" "pins=${PCF#"$ROOT"/}")
  [ -n "$MINFMAX" ] && SETS+=("timing.min_fmax_mhz=$MINFMAX")
  [ -f "$STAGE/icetime.txt" ] && SETS+=("files.icetime=icetime.txt")
fi

STAGE_NAME=pre-place-and-route
[ "$ROUTED" = 1 ] && STAGE_NAME=routed
SETS+=("target=$TARGET" "family=$FAMILY" "part=$PART" "stage=$STAGE_NAME" "top=$TOP" "config=$NAME"
       "config_file=hw.yaml" "tools.yosys=$(yosys -V)" "synth_command=$SYNTH"
       "files.yosys_log=yosys.log" "files.stat=stat.txt")
[ "$ROUTED" = 1 ] || SETS+=("note=bitgrid_top synthesized out of context (no I/O buffers): io counts its port bits, not checked against the part's pins")
[ "$PERMOD" = 1 ] && SETS+=("files.modules=modules.csv")
SETARGS=()
for s in "${STAGES[@]}" "${SETS[@]}"; do SETARGS+=(--set "$s"); done
python3 "$REPORT" assemble --res "$STAGE/resources.json" "${TIMING[@]}" "${SETARGS[@]}" --out "$STAGE/fpga.json" \
  || fail "cannot write fpga.json"

# ---- results into DIR, only now ----
mkdir -p "$OUT" || fail "cannot create $OUT"
RESULTS=(fpga.json hw.yaml synth.ys yosys.log stat.txt stat.json bitgrid.json nextpnr.log nextpnr-report.json
         bitgrid.asc bitgrid.bin icetime.txt modules.csv synth-modules.ys yosys-modules.log bitgrid_pkg_configured.sv)
for f in "${RESULTS[@]}"; do rm -f "$OUT/$f"; done
for f in "${RESULTS[@]}"; do [ -f "$STAGE/$f" ] && mv "$STAGE/$f" "$OUT/$f"; done
rm -rf "$STAGE"
TIMES=()
for s in "${STAGES[@]}"; do
  case "$s" in wall_seconds.synth=* | wall_seconds.per_module=*) TIMES+=("${s#wall_seconds.}") ;; esac
done
record_times "$CELLS" "${TIMES[@]}" "${PNR_SECONDS[@]}"

python3 - "$OUT/fpga.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
u = r["utilization"]
parts = []
for k, label in (("logic_cells", "logic cells"), ("luts", "LUTs"), ("ffs", "FFs"), ("brams", "BRAM"), ("sprams", "SPRAM"), ("dsps", "DSP"), ("io", "I/O")):
    if k in u and (u[k]["used"] or k in ("luts", "logic_cells")):
        parts.append(f'{label} {u[k]["used"]}/{u[k]["available"]}')
print(f'fpga: {r["config"]} on {r["target"]} ({r["part"]}, {r["stage"]}): ' + ", ".join(parts))
t = r.get("timing")
if t and t.get("fmax_mhz") is not None:
    cp = t.get("critical_path") or {}
    print(f'  Fmax {t["fmax_mhz"]} MHz (requested {t["requested_mhz"]} MHz), critical path {cp.get("start")} -> {cp.get("end")}')
    sf = t.get("seed_fmax_mhz")
    if sf and sf["count"] > 1:
        print(f'  seed {r["seed"]} kept, the best of {sf["count"]}: Fmax min {sf["min"]}, median {sf["median"]}, max {sf["max"]} MHz')
PY
echo "  report: $OUT/fpga.json"
