#!/usr/bin/env bash
# The 64-point sweep of the demo workload (bench/sweep_demo.yaml: lanes x dbuf x DRAM width x k) run locally with
# -j 2 and through a one-node Slurm cluster (scripts/slurm_local.sh, 2 CPUs: the same parallelism), side by side:
# wall time of each, Slurm's overhead per point, and whether the two results.csv are the same bytes.
#   bench/sweep_slurm.sh BUILD_DIR [OUT_DIR]
set -euo pipefail
B="$(cd "${1:?usage: sweep_slurm.sh BUILD_DIR [OUT_DIR]}" && pwd)"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
O="${2:-$B/bench-sweep}"
rm -rf "$O"
mkdir -p "$O"
export BITGRID_SLURM_PORT=36817
trap 'bash "$ROOT/scripts/slurm_local.sh" stop "$O/cluster" >/dev/null 2>&1 || true' EXIT
eval "$(bash "$ROOT/scripts/slurm_local.sh" start "$O/cluster")"
t0=$(date +%s.%N)
"$B/bitgrid" sweep "$ROOT/bench/sweep_demo.yaml" --out "$O/local" -j 2 --quiet || true
t1=$(date +%s.%N)
"$B/bitgrid" sweep "$ROOT/bench/sweep_demo.yaml" --out "$O/slurm" --slurm --quiet || true
t2=$(date +%s.%N)
n=$(($(wc -l < "$O/local/results.csv") - 1))
python3 - "$t0" "$t1" "$t2" "$n" <<'PY'
import sys
t0, t1, t2, n = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
loc, sl = t1 - t0, t2 - t1
print(f"sweep of {n} points (bench/sweep_demo.yaml, systemc): local -j 2 {loc:.1f} s, Slurm (1 node, 2 CPUs) "
      f"{sl:.1f} s, ratio {sl / loc:.2f}; Slurm overhead {(sl - loc) / n * 2:.2f} s per point "
      f"(2 at a time: {(sl - loc) / n:.2f} s of wall time each)")
PY
if cmp -s "$O/local/results.csv" "$O/slurm/results.csv"; then echo "results.csv: identical"; else echo "results.csv: DIFFERENT"; exit 1; fi
grep -c ",ok," "$O/local/results.csv" | xargs echo "verified points:"
