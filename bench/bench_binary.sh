#!/usr/bin/env bash
# Binary codes on the accelerator (issue #10), measured side by side in one run. Prints tables and writes
# BUILD/bench/binary.csv and the reports under BUILD/bench/binary/.
#   1. query parallelism (hardware.ham_queries = Q, the rows of the 2-D Hamming array): the demo
#      (configs/demo.yaml: 100,000 x 256-bit codes, 64 queries, top-10) on systemc at Q = 1, 2, 4, 8, 16, 32:
#      cycles, speed-up over Q = 1 (goal: >= 4x at Q = 8), energy per code compare and its parts, and the
#      ratio to the DRAM floor (the database read once from DRAM for all 64 queries, 125 pJ per compare with
#      configs/energy/horowitz45.yaml; goal: <= 1.5x); recall@10 must not change.
#   2. the same on the compute-bound scan (configs/bench/scan_compute_bound.yaml: 32 queries, random codes).
#   3. codes made on chip (configs/demo_chip.yaml: encode: chip, Q = 8) beside the same job with the codes from the
#      host, and the same for kernelized hashing (configs/demo_ksh.yaml): cycles, energy per compare, the encoder's
#      share (MAC array, its buffers, binenc, lut), the bits the INT8 path flips against the float encoder,
#      recall@10; and the encoding alone per code.
#   4. BEBR multi-bit codes (configs/demo_bebr.yaml: hash: bebr, encode: chip, Q = 8) at 1-4 planes beside SimHash
#      at the same stored bits (planes x projections) and at the same compared bits (the thermometer codes'
#      (2^planes - 1) x projections): recall@10, cycles, energy per compare, encoder energy per code, flips.
# Benchmarks print; they do not assert timing or goals (a failed run or an unverified result stops it).
#
#   bench/bench_binary.sh [BUILD_DIR]
# Environment:
#   BINARY_JOBS=N   runs in parallel (default: nproc, at most 4)
#   BINARY_SECTIONS="1 3 4"   the sections to run (default: all; 1 and 2 run together, 3 needs 1's Q = 8 demo)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
BG="$BUILD/bitgrid"
OUT="$BUILD/bench/binary"
CSV="$BUILD/bench/binary.csv"
JOBS="${BINARY_JOBS:-$(nproc)}"
[ "$JOBS" -gt 4 ] && JOBS=4
rm -rf "$OUT"
mkdir -p "$OUT"
T0=$(date +%s)
log() { printf '[bench_binary %4ds] %s\n' $(($(date +%s) - T0)) "$*"; }

QS="1 2 4 8 16 32"
run_one() {  # config tag Q [extra --set]
  local cfg="$1" tag="$2" q="$3" extra=()
  [ -n "${4:-}" ] && extra=(--set "$4")
  "$BG" run "$ROOT/configs/$cfg" --backend systemc --set "hardware.ham_queries=$q" "${extra[@]}" \
    --out "$OUT/$tag-q$q" --quiet --no-html > "$OUT/$tag-q$q.log" 2>&1 ||
    { echo "FAILED: $cfg Q=$q ${4:-} (see $OUT/$tag-q$q.log)"; exit 1; }
}
export -f run_one
export BG ROOT OUT
SECTIONS=" ${BINARY_SECTIONS:-1 2 3 4} "
want() { [[ "$SECTIONS" == *" $1 "* ]]; }
if want 1 || want 2 || want 3; then
log "section 1-2: demo and compute-bound scan at Q = $QS (systemc, $JOBS in parallel)"
for q in $QS; do
  echo "demo.yaml demo $q"
  echo "bench/scan_compute_bound.yaml scan $q"
done | xargs -P "$JOBS" -L 1 bash -c 'run_one "$0" "$1" "$2"'
fi
if want 3; then
log "section 3: the demo with codes made on chip (configs/demo_chip.yaml, configs/demo_ksh.yaml; systemc)"
printf '%s\n' "demo_chip.yaml chip 8" "demo_ksh.yaml ksh 8" "demo_ksh.yaml kshhost 8 workload.encode=host" |
  xargs -P "$JOBS" -L 1 bash -c 'run_one "$0" "$1" "$2" "${3:-}"'
fi

if want 4; then
log "section 4: BEBR multi-bit codes beside SimHash (configs/demo_bebr.yaml, demo_chip.yaml; systemc)"
BEBR_RUNS=(
  "demo_bebr.yaml bebr-p1-b128 8 workload.planes=1"
  "demo_bebr.yaml bebr-p2-b64 8 workload.bits=64"
  "demo_bebr.yaml bebr-p2-b128 8"
  "demo_bebr.yaml bebr-p3-b64 8 workload.planes=3 workload.bits=64"
  "demo_bebr.yaml bebr-p4-b64 8 workload.planes=4 workload.bits=64"
  "demo_chip.yaml sh-b128 8 workload.bits=128"
  "demo_chip.yaml sh-b192 8 workload.bits=192"
  "demo_chip.yaml sh-b256 8 workload.bits=256"
  "demo_chip.yaml sh-b384 8 workload.bits=384"
  "demo_chip.yaml sh-b448 8 workload.bits=448"
)
run_multi() {  # config tag Q [KEY=VALUE ...]
  local cfg="$1" tag="$2" q="$3" sets=()
  shift 3
  for kv in "$@"; do sets+=(--set "$kv"); done
  "$BG" run "$ROOT/configs/$cfg" --backend systemc --set "hardware.ham_queries=$q" "${sets[@]}" \
    --out "$OUT/$tag" --quiet --no-html > "$OUT/$tag.log" 2>&1 ||
    { echo "FAILED: $cfg $* (see $OUT/$tag.log)"; exit 1; }
}
export -f run_multi
printf '%s\n' "${BEBR_RUNS[@]}" | xargs -P "$JOBS" -L 1 bash -c 'run_multi "$@"' _
fi

python3 - "$OUT" "$CSV" "$QS" <<'EOF'
import json, os, sys
out, csv, qs = sys.argv[1], sys.argv[2], [int(q) for q in sys.argv[3].split()]
rows = []
have = lambda tag: os.path.exists(f"{out}/{tag}/report.json")
for tag, title in (("demo", "demo (configs/demo.yaml, 64 queries)"),
                   ("scan", "compute-bound scan (configs/bench/scan_compute_bound.yaml, 32 queries)")):
    if not have(f"{tag}-q{qs[0]}"):
        continue
    print(f"\n{title}, systemc")
    print(f"{'Q':>3} {'cycles':>11} {'speed-up':>8} {'pJ/compare':>10} {'DRAM':>7} {'dbuf':>7} {'qbuf':>6} "
          f"{'top-k':>6} {'lanes':>6} {'other':>6} {'/floor':>7} {'recall':>7} {'verified':>8}")
    base = None
    for q in qs:
        r = json.load(open(f"{out}/{tag}-q{q}/report.json"))
        if not r["verified"]:
            sys.exit(f"{tag} Q={q}: not verified")
        cyc = r["cycles"]
        base = base or cyc
        n = r["code_compares"]
        e = r["energy_pj"]
        parts = {k: v / n for k, v in e.items() if k != "total" and isinstance(v, (int, float))}
        def part(*keys):
            return sum(v for k, v in parts.items() if any(k.startswith(x) for x in keys))
        dram, dbuf, qbuf = part("dram"), part("sram.dbuf"), part("sram.qbuf")
        topk, lanes = part("hamtopk.topk_compare"), part("hamtopk.word_op")
        total = r["energy_pj_per_code_compare"]
        other = total - dram - dbuf - qbuf - topk - lanes
        bits, nq = r["workload"]["bits"], r["workload"]["queries"]
        floor = bits / 8 * 250.0 / nq  # the database read once (horowitz45: 250 pJ per DRAM byte)
        rec = r.get("recall_at_k")
        print(f"{q:>3} {cyc:>11,} {base / cyc:>7.2f}x {total:>10.1f} {dram:>7.1f} {dbuf:>7.1f} {qbuf:>6.1f} "
              f"{topk:>6.1f} {lanes:>6.2f} {other:>6.1f} {total / floor:>6.2f}x "
              f"{'' if rec is None else f'{rec:.4f}':>7} {str(r['verified']).lower():>8}")
        rows.append([tag, q, cyc, base / cyc, total, dram, dbuf, qbuf, topk, lanes, other, floor, total / floor,
                     "" if rec is None else rec])
    print(f"    floor: {floor:.1f} pJ per compare (the database's {bits}-bit codes read once from DRAM for {nq} queries)")
enc_keys = ("bitmac", "sram.wbuf", "sram.abuf", "sram.obuf", "sram.sbuf", "sram.pbuf", "sram.tbuf", "binenc", "lut")
def encoder_pj(e):  # the encoder's share of a report's energy: the MAC array, its buffers, binenc, lut
    return sum(v for k, v in e.items() if k != "total" and k.startswith(enc_keys) and isinstance(v, (int, float)))
for tag, name in (("demo-q8", "host"), ("chip-q8", "chip"), ("kshhost-q8", "ksh host"), ("ksh-q8", "ksh chip")):
    if not have("chip-q8"):
        break
    if name == "host":
        print("\ncodes made on chip (configs/demo_chip.yaml) beside codes from the host, Q = 8, systemc")
        print(f"{'codes':>8} {'cycles':>11} {'pJ/compare':>10} {'encoder':>8} {'search':>8} {'DRAM':>7} {'flips':>8} "
              f"{'recall':>7} {'nJ/code made':>12}")
    r = json.load(open(f"{out}/{tag}/report.json"))
    if not r["verified"]:
        sys.exit(f"{tag}: not verified")
    n = r["code_compares"]
    e = r["energy_pj"]
    enc = encoder_pj(e)
    dram = sum(v for k, v in e.items() if k.startswith("dram") and isinstance(v, (int, float)))
    search = e["total"] - enc - dram
    codes = r["workload"]["database_codes"] + r["workload"]["queries"]
    flips = r.get("encode", {}).get("flip_rate_vs_float")
    print(f"{name:>8} {r['cycles']:>11,} {r['energy_pj_per_code_compare']:>10.1f} {enc / n:>8.1f} {search / n:>8.1f} "
          f"{dram / n:>7.1f} {'' if flips is None else f'{100 * flips:.3f}%':>8} {r.get('recall_at_k', 0):>7.4f} "
          f"{enc / codes / 1000:>12.2f}")
    rows.append(["encode_" + name.replace(" ", "_"), 8, r["cycles"], "", r["energy_pj_per_code_compare"], dram / n, "", "", "", "",
                 "", "", "", r.get("recall_at_k", "")])
    if name.endswith("chip"):
        big = sorted(((v, k) for k, v in e.items() if k != "total" and isinstance(v, (int, float))), reverse=True)[:3]
        print("    largest parts: " + ", ".join(f"{k} {100 * v / e['total']:.1f}%" for v, k in big))
for tag in ("sh-b128", "bebr-p1-b128", "bebr-p2-b64", "sh-b192", "bebr-p3-b64", "sh-b256", "bebr-p2-b128",
            "bebr-p4-b64", "sh-b384", "sh-b448"):
    if not have("bebr-p2-b128"):
        break
    if tag == "sh-b128":
        print("\nBEBR multi-bit codes (configs/demo_bebr.yaml) beside SimHash (configs/demo_chip.yaml), encode: chip, "
              "Q = 8, systemc; 100,000 x 64-dim vectors, 64 queries")
        print(f"{'codes':>22} {'stored':>6} {'compared':>8} {'recall':>7} {'cycles':>11} {'pJ/compare':>10} "
              f"{'nJ/code made':>12} {'flips':>7} {'levels moved':>12}")
    r = json.load(open(f"{out}/{tag}/report.json"))
    if not r["verified"]:
        sys.exit(f"{tag}: not verified")
    enc = encoder_pj(r["energy_pj"])
    codes = r["workload"]["database_codes"] + r["workload"]["queries"]
    b = r.get("bebr")
    if b:
        name, stored = f"BEBR {b['projections']} x {b['planes']} planes", b["projections"] * b["planes"]
    else:
        name, stored = f"SimHash {r['workload']['bits']}", r["workload"]["bits"]
    enc_r = r["encode"]
    moved = enc_r.get("level_change_rate_vs_float")
    print(f"{name:>22} {stored:>6} {r['workload']['bits']:>8} {r['recall_at_k']:>7.4f} {r['cycles']:>11,} "
          f"{r['energy_pj_per_code_compare']:>10.1f} {enc / codes / 1000:>12.2f} {100 * enc_r['flip_rate_vs_float']:>6.3f}% "
          f"{'' if moved is None else f'{100 * moved:.3f}%':>12}")
    rows.append([tag, 8, r["cycles"], "", r["energy_pj_per_code_compare"], "", "", "", "", "", "", "", "",
                 r["recall_at_k"]])
if have("bebr-p2-b128"):
    print("    stored: bits per vector as BEBR planes (planes x projections) or SimHash bits; compared: the code bits the "
      "Hamming engine reads")
with open(csv, "w") as f:
    f.write("workload,ham_queries,cycles,speedup,pj_per_compare,dram,dbuf,qbuf,topk,lanes,other,floor,over_floor,recall\n")
    for r in rows:
        f.write(",".join(str(x) for x in r) + "\n")
print(f"\nwrote {csv}")
EOF
log "done"
