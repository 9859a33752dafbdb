#!/usr/bin/env bash
# A sweep through a real Slurm: scripts/slurm_local.sh brings up a one-node cluster (Debian's slurmctld, slurmd,
# munge), the same sweep runs locally and with --slurm, and the two results.csv must be the same bytes; then a
# point whose result is removed is resubmitted alone, and a failing point is reported the same way on both.
#   slurm_sweep.sh BITGRID_EXE SOURCE_DIR
set -euo pipefail
BITGRID="$1"
SRC="$2"
W="$(mktemp -d /tmp/bitgrid-slurm-test.XXXXXX)"
export BITGRID_SLURM_PORT=26817
cleanup() { bash "$SRC/scripts/slurm_local.sh" stop "$W/cluster" || true; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

eval "$(bash "$SRC/scripts/slurm_local.sh" start "$W/cluster")"
[ -n "${SLURM_CONF:-}" ] || fail "slurm_local.sh start printed no SLURM_CONF"

cat > "$W/cfg.yaml" <<'YAML'
hardware: {ham_lanes: 4, topk_max: 16}
workload:
  type: hamming_topk
  k: 5
  bits: 128
  seed: 3
  database: {random_codes: 300}
  queries: {random_codes: 4}
YAML
cat > "$W/s.yaml" <<'YAML'
base: cfg.yaml
axes:
  hardware.ham_lanes: [2, 4]
  workload.k: [3, 5]
  workload.bits: [128, 256]
YAML
"$BITGRID" sweep "$W/s.yaml" --out "$W/local" -j 2 --quiet
out="$("$BITGRID" sweep "$W/s.yaml" --out "$W/slurm" --slurm)"
echo "$out"
grep -q "| Slurm job [0-9]" <<<"$out" || fail "the sweep did not go through Slurm"
grep -q "ran 8 in" <<<"$out" || fail "not all 8 points ran"
cmp "$W/local/results.csv" "$W/slurm/results.csv" || fail "results.csv differs between local and Slurm"
[ "$(wc -l < "$W/slurm/results.csv")" = 9 ] || fail "results.csv does not have 8 rows"

# a lost result: only that point is resubmitted
rm -rf "$W/slurm/points/p0005"
out="$("$BITGRID" sweep "$W/s.yaml" --out "$W/slurm" --slurm)"
grep -q "ran 1 in .* 7 done before" <<<"$out" || fail "resubmitted more than the lost point: $out"
cmp "$W/local/results.csv" "$W/slurm/results.csv" || fail "results.csv differs after the resubmission"

# a failing point: listed in results.csv as locally, the others run, exit 3
cat > "$W/f.yaml" <<'YAML'
base: cfg.yaml
axes:
  hardware.ham_lanes: [4, 3]
YAML
rc=0; "$BITGRID" sweep "$W/f.yaml" --out "$W/flocal" --quiet || rc=$?
[ "$rc" = 3 ] || fail "local sweep with a failing point: exit $rc, not 3"
rc=0; "$BITGRID" sweep "$W/f.yaml" --out "$W/fslurm" --slurm --quiet || rc=$?
[ "$rc" = 3 ] || fail "Slurm sweep with a failing point: exit $rc, not 3"
cmp "$W/flocal/results.csv" "$W/fslurm/results.csv" || fail "failed points differ between local and Slurm"
grep -q "^p0001,3,failed,.*not a power of two" "$W/fslurm/results.csv" || fail "the failed point is not listed"
echo "PASS: local and Slurm sweeps agree"
