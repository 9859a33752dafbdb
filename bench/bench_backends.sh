#!/usr/bin/env bash
# Side-by-side backend benchmark: the same programs on the systemc and rtl backends in one run.
# Prints simulated cycles per wall second for each, their ratio (goal: systemc >= 10x rtl), checks that
# the cycle counts are equal, and the fraction of the roofline bound reached by a DRAM-bound and a
# compute-bound scan on the default hardware (goal: >= 90% each).
#   bench/bench_backends.sh [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
BG="$BUILD/bitgrid"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
field() { sed -n "s/^  \"$2\": \([^,]*\),\{0,1\}$/\1/p" "$1/report.json" | head -1; }
frac() { sed -n 's/^    "fraction_of_bound": \([^,]*\),\{0,1\}$/\1/p' "$1/report.json" | head -1; }

printf '%-22s %-8s %12s %14s %10s\n' config backend cycles "sim cycles/s" "of bound"
for cfg in scan_dram_bound scan_compute_bound; do
  for be in systemc rtl; do
    "$BG" run "$ROOT/configs/bench/$cfg.yaml" --backend "$be" --out "$OUT/$cfg-$be" --quiet
    printf '%-22s %-8s %12s %14.4g %9.1f%%\n' "$cfg" "$be" "$(field "$OUT/$cfg-$be" cycles)" \
      "$(field "$OUT/$cfg-$be" sim_cycles_per_second)" "$(awk -v f="$(frac "$OUT/$cfg-$be")" 'BEGIN{print 100*f}')"
  done
  cs="$(field "$OUT/$cfg-systemc" cycles)"; cr="$(field "$OUT/$cfg-rtl" cycles)"
  [ "$cs" = "$cr" ] || { echo "MISMATCH: $cfg systemc $cs cycles, rtl $cr cycles"; exit 1; }
  awk -v a="$(field "$OUT/$cfg-systemc" sim_cycles_per_second)" -v b="$(field "$OUT/$cfg-rtl" sim_cycles_per_second)" \
    -v c="$cfg" 'BEGIN{printf "%-22s systemc/rtl simulation speed: %.0fx (cycle counts equal)\n", c, a/b}'
done
