#!/usr/bin/env bash
# Hashed attention on the accelerator (issue #10), measured side by side in one run. Prints a table and writes
# BUILD/bench/attention.csv and the reports under BUILD/bench/attention/.
#   configs/attention.yaml (one head at PVTv2-B0's first stage: 3,136 tokens, 64 channels, 16-bit codes) on systemc
#   in both forms (ecoformer: c v_n; kernel: c sum v), and at 4x fewer and 4x more tokens: cycles, energy per token
#   and its parts (the projections on the MAC array with their buffers, the binary encoder, the sign-select
#   accumulator with pbuf/qbuf/dbuf, DRAM), the output's relative L2 error against float hashed attention and
#   against float softmax attention, and the code bits the INT8 path flips.
#   The baseline, softmax attention on the MAC array (form softmax: Q K^T and P V through the weight packer), at 784
#   and 3136 tokens (12544 tokens' K and V do not fit the default's wbuf), side by side with the hashed head: energy
#   saved, cycles, and the energy without wbuf re-reads (the MAC array re-streams a tile's weights for every row).
# Benchmarks print; they do not assert timing or goals (a failed run or an unverified result stops it).
#
#   bench/bench_attention.sh [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
BG="$BUILD/bitgrid"
OUT="$BUILD/bench/attention"
CSV="$BUILD/bench/attention.csv"
JOBS="${ATTENTION_JOBS:-$(nproc)}"
[ "$JOBS" -gt 4 ] && JOBS=4
rm -rf "$OUT"
mkdir -p "$OUT"
T0=$(date +%s)
log() { printf '[bench_attention %4ds] %s\n' $(($(date +%s) - T0)) "$*"; }
run_one() {  # tag form tokens
  "$BG" run "$ROOT/configs/attention.yaml" --backend systemc --set "workload.form=$1" --set "workload.tokens=$2" \
    --out "$OUT/$1-$2" --quiet --no-html > "$OUT/$1-$2.log" 2>&1 ||
    { echo "FAILED: form $1 tokens $2 (see $OUT/$1-$2.log)"; exit 1; }
}
export -f run_one
export BG ROOT OUT
log "configs/attention.yaml, forms ecoformer and kernel at 784 / 3136 / 12544 tokens, softmax at 784 / 3136" \
  "(systemc, $JOBS in parallel; softmax 3136 takes a few minutes)"
{ echo "softmax 3136"; for f in ecoformer kernel; do for n in 784 3136 12544; do echo "$f $n"; done; done
  echo "softmax 784"; } | xargs -P "$JOBS" -L 1 bash -c 'run_one "$0" "$1"'

python3 - "$OUT" "$CSV" <<'PY'
import json, sys
out, csv = sys.argv[1], sys.argv[2]
print(f"\n{'form':>9} {'tokens':>6} {'cycles':>11} {'uJ':>9} {'nJ/token':>9} {'proj':>6} {'benc':>6} {'signacc':>7} "
      f"{'DRAM':>6} {'err hashed':>10} {'err softmax':>11} {'flips':>7}")
rows = []
proj_keys = ("bitmac", "sram.wbuf", "sram.abuf", "sram.obuf", "sram.sbuf")
sacc_keys = ("signacc", "sram.pbuf", "sram.qbuf", "sram.dbuf")
reports = {}
for f, ns in (("ecoformer", (784, 3136, 12544)), ("kernel", (784, 3136, 12544)), ("softmax", (784, 3136))):
    for n in ns:
        r = reports[f, n] = json.load(open(f"{out}/{f}-{n}/report.json"))
        if not r["verified"]:
            sys.exit(f"{f} {n}: not verified")
        e = r["energy_pj"]
        num = {k: v for k, v in e.items() if k != "total" and isinstance(v, (int, float))}
        part = lambda keys: sum(v for k, v in num.items() if k.startswith(keys)) / e["total"]
        a = r["attention"]
        sm = f == "softmax"
        flips = 0 if sm else (a["key_code_flip_rate_vs_float"] + a["query_code_flip_rate_vs_float"]) / 2
        row = [f, n, r["cycles"], e["total"] / 1e6, e["total"] / n / 1e3, part(proj_keys), part(("binenc",)),
               part(sacc_keys), part(("dram",)), float("nan") if sm else a["rel_l2_vs_float_hashed"],
               a["rel_l2_vs_float_softmax"], flips]
        rows.append(row)
        hashed = "-" if sm else f"{row[9]:.4f}"
        flip = "-" if sm else f"{100 * row[11]:.3f}%"
        print(f"{f:>9} {n:>6} {row[2]:>11,} {row[3]:>9.1f} {row[4]:>9.1f} {100 * row[5]:>5.1f}% {100 * row[6]:>5.2f}% "
              f"{100 * row[7]:>6.2f}% {100 * row[8]:>5.1f}% {hashed:>10} {row[10]:>11.4f} {flip:>7}")
print("    proj: the MAC array with abuf/wbuf/sbuf/obuf (softmax: projections, Q K^T and P V); signacc: sacc/sqry/sdiv "
      "with pbuf, qbuf, dbuf; err: relative L2 of the output against float hashed / float softmax attention")
print("\nhashed head against the softmax baseline on the same machine (same tokens, weights, seed):")
print(f"{'form':>9} {'tokens':>6} {'energy saved':>12} {'cycles x':>9} {'saved w/o wbuf':>14} {'wbuf share sm':>13}")
for f in ("ecoformer", "kernel"):
    for n in (784, 3136):
        h, b = reports[f, n], reports["softmax", n]
        eh, eb = h["energy_pj"]["total"], b["energy_pj"]["total"]
        wh, wb = h["energy_pj"].get("sram.wbuf", 0), b["energy_pj"].get("sram.wbuf", 0)
        print(f"{f:>9} {n:>6} {100 * (1 - eh / eb):>11.1f}% {b['cycles'] / h['cycles']:>8.1f}x "
              f"{100 * (1 - (eh - wh) / (eb - wb)):>13.1f}% {100 * wb / eb:>12.1f}%")
print("    energy saved = 1 - hashed / softmax; cycles x = softmax cycles / hashed cycles; w/o wbuf: both without "
      "their wbuf reads and writes (a weight-stationary array would re-read far less)")
with open(csv, "w") as fh:
    fh.write("form,tokens,cycles,energy_uj,nj_per_token,projections,binenc,signacc,dram,rel_l2_hashed,"
             "rel_l2_softmax,flip_rate\n")
    for r in rows:
        fh.write(",".join(str(x) for x in r) + "\n")
print(f"\nwrote {csv}")
PY
log "done"
