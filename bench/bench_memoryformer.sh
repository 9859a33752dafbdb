#!/usr/bin/env bash
# MemoryFormer's table layer against the same-size linear layer on the MAC array (issue #10), measured side by side
# in one run. Prints a table and writes BUILD/bench/memoryformer.csv and the reports under BUILD/bench/memoryformer/.
#   configs/memoryformer.yaml (3,136 tokens) on systemc, forms memory (tacc) and linear (gemm), at 64 -> 64 with
#   tau 8 and 4, 128 -> 128 and 256 -> 256 with tau 4: cycles, energy per token, the energy without DRAM (the table or
#   weight load and the tokens' transfers), table bytes against weight bytes, the output's relative L2 error against
#   the float linear layer.
# Benchmarks print; they do not assert timing or goals (a failed run or an unverified result stops it).
#
#   bench/bench_memoryformer.sh [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
BG="$BUILD/bitgrid"
OUT="$BUILD/bench/memoryformer"
CSV="$BUILD/bench/memoryformer.csv"
JOBS="${MEMORYFORMER_JOBS:-$(nproc)}"
[ "$JOBS" -gt 4 ] && JOBS=4
rm -rf "$OUT"
mkdir -p "$OUT"
T0=$(date +%s)
log() { printf '[bench_memoryformer %4ds] %s\n' $(($(date +%s) - T0)) "$*"; }
run_one() {  # form dim tau
  "$BG" run "$ROOT/configs/memoryformer.yaml" --backend systemc --set "workload.form=$1" --set "workload.dim=$2" \
    --set "workload.out_dim=$2" --set "workload.tau=$3" --out "$OUT/$1-$2-$3" --quiet --no-html \
    > "$OUT/$1-$2-$3.log" 2>&1 || { echo "FAILED: form $1 dim $2 tau $3 (see $OUT/$1-$2-$3.log)"; exit 1; }
}
export -f run_one
export BG ROOT OUT
log "configs/memoryformer.yaml, forms memory and linear, 64 (tau 8, 4), 128 and 256 (tau 4) (systemc, $JOBS in parallel)"
for f in memory linear; do for s in "64 8" "64 4" "128 4" "256 4"; do echo "$f $s"; done; done |
  xargs -P "$JOBS" -L 1 bash -c 'run_one "$0" "$1" "$2"'

python3 - "$OUT" "$CSV" <<'PY'
import json, sys
out, csv = sys.argv[1], sys.argv[2]
shapes = ((64, 8), (64, 4), (128, 4), (256, 4))
print(f"\n{'form':>7} {'dim':>4} {'tau':>3} {'cycles':>10} {'uJ':>8} {'nJ/token':>9} {'on chip nJ/t':>12} {'DRAM':>6} "
      f"{'weight B':>9} {'err vs lin':>10}")
rows, rep = [], {}
for d, t in shapes:
    for f in ("memory", "linear"):
        r = rep[f, d, t] = json.load(open(f"{out}/{f}-{d}-{t}/report.json"))
        if not r["verified"]:
            sys.exit(f"{f} {d} {t}: not verified")
        e, m, n = r["energy_pj"], r["memoryformer"], r["workload"]["tokens"]
        chip = e["total"] - e.get("dram", 0)
        wbytes = m["table_bytes"] if f == "memory" else m["linear_weight_bytes"]
        row = [f, d, t, r["cycles"], e["total"] / 1e6, e["total"] / n / 1e3, chip / n / 1e3, e.get("dram", 0) / e["total"],
               wbytes, m["rel_l2_vs_float_linear"]]
        rows.append(row)
        print(f"{f:>7} {d:>4} {t if f == 'memory' else '-':>3} {row[3]:>10,} {row[4]:>8.1f} {row[5]:>9.2f} {row[6]:>12.2f} "
              f"{100 * row[7]:>5.1f}% {row[8]:>9,} {row[9]:>10.4f}")
print("    on chip: the energy without DRAM; weight B: the tables (memory) or the INT8 weights (linear); err: relative "
      "L2 of the output against the float linear layer (the memory layer's tables stand for 1-bit inputs)")
print("\nmemory layer against the linear layer (same tokens, weights, seed):")
print(f"{'dim':>4} {'tau':>3} {'cycles x':>9} {'energy x':>9} {'on chip x':>10} {'table/weight bytes':>19}")
for d, t in shapes:
    a, b = rep["memory", d, t], rep["linear", d, t]
    ea, eb = a["energy_pj"], b["energy_pj"]
    print(f"{d:>4} {t:>3} {b['cycles'] / a['cycles']:>8.2f}x {eb['total'] / ea['total']:>8.2f}x "
          f"{(eb['total'] - eb.get('dram', 0)) / (ea['total'] - ea.get('dram', 0)):>9.2f}x "
          f"{a['memoryformer']['table_bytes'] / a['memoryformer']['linear_weight_bytes']:>18.0f}x")
print("    x = linear / memory (above 1: the memory layer is faster or spends less); bytes: tables / INT8 weights")
with open(csv, "w") as fh:
    fh.write("form,dim,tau,cycles,energy_uj,nj_per_token,on_chip_nj_per_token,dram_share,weight_bytes,rel_l2_linear\n")
    for r in rows:
        fh.write(",".join(str(x) for x in r) + "\n")
print(f"\nwrote {csv}")
PY
log "done"
