#!/usr/bin/env bash
# The MAC array (engine bitmac) on the LLM configs, measured side by side in one run. Prints tables and
# writes BUILD/bench/bitmac.csv (one row per run and layer) and the reports under BUILD/bench/bitmac/.
#   1. decode (configs/llm_decode.yaml, M = 1, memory-bound) on systemc, every datatype on the bit-serial
#      array and INT8 on the bit-parallel baseline (hardware.mac_parallel=1): cycles, the weight bytes over
#      the DRAM bandwidth (the ideal), cycles / ideal (goal <= 1.10), baseline cycles / cycles
#      (goal: BitMoD-3 >= 2.4x)
#   2. prefill (compute-bound) on systemc: PE utilization per layer and in total (goal >= 90%), and
#      cycles(dtype) / cycles(INT8 serial) against terms(dtype) / 4
#   3. per layer: measured cycles against BitMoD's analytical formula mapped to this array
#   4. systemc vs rtl simulated cycles/s on configs/llm_reduced.yaml (M = 4 and M = 1) (goal >= 10x)
#   5. bench_gemm: the reference model's gemm against Eigen's int32 GEMM (MAC/s, one thread)
#   6. quantization error per datatype on the heavy-tailed synthetic weights (MSE ordering)
#   7. a split K (partial sums through pbuf) and chains kept on chip: a Llama-2-70B down_proj shape (K = 28672,
#      cut to 1024 output channels) at M = 1 and M = 64, INT8 (whose 16-channel tile of 459 KB exceeds half
#      of the default 512 KiB wbuf, so K is split) against the same run with wbuf_kib = 1024 (not split), and
#      bitmod3 unsplit against wbuf_kib = 128 (split in 3); configs/mlp_digits.yaml with fc1's outputs kept
#      on chip against the same run through DRAM, and bitgrid compare on it (every datatype and the INT8
#      bit-parallel baseline, whose 64-weight groups now run with stretched slots)
# Benchmarks print; they do not assert timing or goals (a failed run or an unverified result stops it).
#
#   bench/bench_bitmac.sh [BUILD_DIR]
# Environment:
#   BITMAC_PREFILL=reduced|full  reduced (default): configs/llm_prefill.yaml's two layer shapes at M = 256 with
#                                fewer output channels (see section 2); full: configs/llm_prefill.yaml itself
#                                (52 GMAC; the reference checks make it take many minutes per datatype)
#   BITMAC_JOBS=N                decode/prefill runs in parallel (default: nproc, at most 4). The speed runs of
#                                section 4 always run alone.
#   BITMAC_SECTIONS="1 2 3 4 5 6 7"  which sections to run (3 needs 1 and 2, 6 uses 1)
#   BITMAC_TABLES_ONLY=1         no runs: print the tables of the reports an earlier run left in BUILD/bench/bitmac
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
BG="$BUILD/bitgrid"
GEMM="$BUILD/bench/bench_gemm"
OUT="$BUILD/bench/bitmac"
CSV="$BUILD/bench/bitmac.csv"
PREFILL="${BITMAC_PREFILL:-reduced}"
JOBS="${BITMAC_JOBS:-$(nproc)}"
[ "$JOBS" -gt 4 ] && JOBS=4
SECTIONS=" ${BITMAC_SECTIONS:-1 2 3 4 5 6 7} "
TABLES_ONLY="${BITMAC_TABLES_ONLY:-0}"
want() { [[ "$SECTIONS" == *" $1 "* ]] && [ "$TABLES_ONLY" != 1 ]; }
PY="$(command -v python3)"
# A run of every section starts afresh; a run of some sections keeps the other sections' reports (the tables
# print whatever reports BUILD/bench/bitmac holds).
[ "$TABLES_ONLY" = 1 ] || [ -n "${BITMAC_SECTIONS:-}" ] || rm -rf "$OUT"
mkdir -p "$OUT"
T0=$(date +%s)
log() { printf '[bench_bitmac %4ds] %s\n' $(($(date +%s) - T0)) "$*"; }

DTYPES="int8 int6 int4 int3 fp4 fp3 bitmod4 bitmod3"
# run TAG CONFIG BACKEND [--set ...]: one bitgrid run into $OUT/TAG, wall time in $OUT/TAG.wall
run() {
  local tag="$1" cfg="$2" be="$3"
  shift 3
  local t0 t1
  rm -rf "${OUT:?}/$tag"
  t0=$(date +%s.%N)
  if ! "$BG" run "$cfg" --backend "$be" --out "$OUT/$tag" --quiet "$@" >"$OUT/$tag.log" 2>&1; then
    echo "FAILED: bitgrid run $cfg --backend $be $* (see $OUT/$tag.log)"
    cat "$OUT/$tag.log"
    return 1
  fi
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f\n", b-a}' >"$OUT/$tag.wall"
  log "done $tag ($(cat "$OUT/$tag.wall") s wall)"
}
# runs a list of "TAG CONFIG BACKEND ARGS..." lines, JOBS at a time; fails if any failed
run_all() {
  local pids=() line n=0 fail=0
  while read -r line; do
    [ -z "$line" ] && continue
    # shellcheck disable=SC2086
    run $line &
    pids+=($!)
    n=$((n + 1))
    if [ "$n" -ge "$JOBS" ]; then
      wait "${pids[0]}" || fail=1
      pids=("${pids[@]:1}")
      n=$((n - 1))
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || fail=1; done
  return $fail
}
variant_args() {  # datatype name or int8par -> --set arguments
  if [ "$1" = int8par ]; then echo "--set workload.dtype=int8 --set hardware.mac_parallel=1"
  else echo "--set workload.dtype=$1"; fi
}

# ---- 1. decode
if want 1; then
  log "1. decode: configs/llm_decode.yaml on systemc, 9 runs, $JOBS at a time"
  for v in $DTYPES int8par; do echo "decode-$v $ROOT/configs/llm_decode.yaml systemc $(variant_args "$v")"; done | run_all
fi

# ---- 2. prefill
if [ "$PREFILL" = full ]; then
  PCFG="$ROOT/configs/llm_prefill.yaml"
  PDESC="configs/llm_prefill.yaml (M = 256, all 7 layers, 52 GMAC)"
else
  # Two layers of llm_prefill.yaml at M = 256: q_proj whole (4096 -> 4096: m tiles of 16 rows, as obuf's half
  # holds 16 rows of 4096 outputs) and down_proj (11008 -> 4096) cut to 256 output channels; its gemms are those of
  # the whole layer (m tiles of 11 rows, abuf's half holding 11 rows of 11008), there are just 16 output tiles,
  # not 256. Not covered: gate/up_proj (4096 -> 11008, m tiles of 5 rows: PE 98.96% for bitmod3 in the full run).
  PCFG="$OUT/prefill_reduced.yaml"
  [ "$TABLES_ONLY" = 1 ] || cat >"$PCFG" <<EOF
# bench_bitmac.sh: q_proj of configs/llm_prefill.yaml (M = 256) and its down_proj cut to 256 output channels.
hardware: $ROOT/configs/hw/default.yaml
energy: $ROOT/configs/energy/horowitz45.yaml
workload:
  type: model
  m: 256
  dtype: bitmod3
  group: 128
  seed: 1
  layers:
    - {name: q_proj,         in: 4096,  out: 4096}
    - {name: down_proj_n256, in: 11008, out: 256, input: random}
EOF
  PDESC="M = 256: q_proj 4096 -> 4096 and down_proj 11008 -> 256 (of 4096), 5.0 GMAC ($PCFG)"
fi
if want 2; then
  log "2. prefill: $PDESC on systemc, 9 runs, $JOBS at a time"
  for v in $DTYPES int8par; do echo "prefill-$v $PCFG systemc $(variant_args "$v")"; done | run_all
fi

# ---- 4. systemc vs rtl speed (alone on the machine: no parallel runs)
if want 4; then
  log "4. systemc vs rtl: configs/llm_reduced.yaml (M = 4, and M = 1), default hardware, one run at a time, 3 each"
  for m in 4 1; do
    for i in 1 2 3; do
      for be in systemc rtl; do run "speed-m$m-$be-$i" "$ROOT/configs/llm_reduced.yaml" "$be" --set "workload.m=$m"; done
    done
  done
fi

# ---- 5. bench_gemm
if want 5; then
  log "5. bench_gemm: reference gemm vs Eigen int32 GEMM"
  "$GEMM" --dtype bitmod3 >"$OUT/gemm-bitmod3.txt"
  "$GEMM" --dtype int8 >"$OUT/gemm-int8.txt"
fi

# ---- 6. quantization error on a generated matrix too (bitgrid quantize)
if want 6; then
  log "6. quantization: bitgrid quantize on a generated Student-t(4) matrix [1024][4096]"
  "$GEMM" --weights "$OUT/W.npy" --rows 1024 --cols 4096 --seed 1 >/dev/null
  "$BG" quantize "$OUT/W.npy" --dtype all >"$OUT/quantize.txt"
  rm -f "$OUT/W.npy"
fi

# ---- 7. split K, chains on chip, the digits comparison
LKCFG="$OUT/long_k.yaml"
if want 7; then
  cat >"$LKCFG" <<EOF
# bench_bitmac.sh: a Llama-2-70B down_proj shape (28672 -> 8192) cut to 1024 output channels.
hardware: $ROOT/configs/hw/default.yaml
energy: $ROOT/configs/energy/horowitz45.yaml
workload:
  type: model
  m: 1
  dtype: int8
  group: 128
  seed: 1
  layers:
    - {name: down70b_n1024, in: 28672, out: 1024}
EOF
  log "7. split K ($LKCFG), chains on chip and compare (configs/mlp_digits.yaml) on systemc"
  {
    for m in 1 64; do
      echo "longk-int8-m$m $LKCFG systemc --set workload.m=$m"
      echo "longk-int8-m$m-wbuf1024 $LKCFG systemc --set workload.m=$m --set hardware.wbuf_kib=1024"
      echo "longk-bitmod3-m$m $LKCFG systemc --set workload.m=$m --set workload.dtype=bitmod3"
      echo "longk-bitmod3-m$m-wbuf128 $LKCFG systemc --set workload.m=$m --set workload.dtype=bitmod3 --set hardware.wbuf_kib=128"
    done
    echo "mlp-chip $ROOT/configs/mlp_digits.yaml systemc"
    echo "mlp-dram $ROOT/configs/mlp_digits.yaml systemc --set workload.keep_on_chip=false"
  } | run_all
  rm -rf "$OUT/compare-digits"
  "$BG" compare "$ROOT/configs/mlp_digits.yaml" --backend systemc --out "$OUT/compare-digits" >"$OUT/compare-digits.txt" 2>&1 ||
    { cat "$OUT/compare-digits.txt"; exit 1; }
  log "done compare-digits"
fi

log "tables"
"$PY" - "$OUT" "$CSV" "$SECTIONS" "${PDESC:-}" <<'PYEOF'
import json, math, os, sys
out, csv_path, sections, pdesc = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
DT = ["int8", "int6", "int4", "int3", "fp4", "fp3", "bitmod4", "bitmod3"]
TERMS = {"int8": 4, "int6": 3}
VARIANTS = DT + ["int8par"]
def terms(v): return 1 if v == "int8par" else TERMS.get(v, 2)
def label(v): return "int8 par" if v == "int8par" else v
def rep(tag):
    p = os.path.join(out, tag, "report.json")
    return json.load(open(p)) if os.path.exists(p) else None
def wall(tag):
    p = os.path.join(out, tag + ".wall")
    return float(open(p).read()) if os.path.exists(p) else float("nan")
rows = []  # CSV
def csvrow(section, variant, r, L, extra):
    rows.append(dict(section=section, variant=variant, layer=L["name"] if L else "total",
                     **extra))

# BitMoD's analytical model (their simulator) mapped to this array, per layer:
#   compute = ceil(K/dp) * ceil(N/H) * ceil(M/W) * latency, dp = mac_rows (R11: a pair of k-tiles, 2R
#   weights per column, takes 2T cycles, so R weights per column per T cycles), H = mac_cols, W = 1 (one
#   activation row at a time), latency = T (terms per weight; 1 bit-parallel)
#   dram = bytes / dram_bytes_per_cycle, bytes = packed weights + scales + channel parameters (weight_bytes,
#   read once) + INT8 activations M*K + INT8 outputs M*N;   formula = max(compute, dram) (fully overlapped)
def formula(L, hw, T):
    R, C, BW = hw["mac_rows"], hw["mac_cols"], hw["dram_bytes_per_cycle"]
    comp = math.ceil(L["k"] / R) * math.ceil(L["n"] / C) * L["m"] * T
    dram = (L["weight_bytes"] + L["m"] * L["k"] + L["m"] * L["n"]) / BW
    return comp, dram, max(comp, dram)
def gemm_overhead(L, hw, T):
    # R11: E = 2T*M*P + 20 (+3 out32) per gemm, +1 cycle between back-to-back gemms (R2); one gemm per
    # (m tile, 16-channel tile). m tile as the compiler cuts it (half of abuf, beat aligned).
    R, C = hw["mac_rows"], hw["mac_cols"]
    ahalf, ohalf, beat = hw["abuf_kib"] * 512, hw["obuf_kib"] * 512, hw["dram_bytes_per_cycle"]
    npad = math.ceil(L["n"] / C) * C
    mt = min(L["m"], 1023, ahalf // L["k"], ohalf // npad)
    if mt < L["m"]:
        q = math.lcm(beat // math.gcd(L["k"], beat), beat // math.gcd(npad, beat))
        mt = mt // q * q
    mtiles = math.ceil(L["m"] / mt)
    return mtiles * math.ceil(L["n"] / C) * 21, mtiles

if "1" in sections:
    print("\n== 1. Decode (configs/llm_decode.yaml, M = 1, systemc): cycles against the DRAM bound and the INT8 bit-parallel baseline")
    base = rep("decode-int8par")
    bc = base["cycles"] if base else float("nan")
    print(f"{'dtype':9} {'T':>2} {'cycles':>10} {'weight B':>11} {'ideal cyc':>10} {'cyc/ideal':>9} {'DRAM rd B':>11} "
          f"{'of bound':>8} {'par/dtype':>9} {'loads':>6} {'excess/ld':>9} {'wall s':>7}")
    for v in VARIANTS:
        r = rep("decode-" + v)
        if not r: print(f"{label(v):9} (not run)"); continue
        wb = sum(L["weight_bytes"] for L in r["layers"])
        ideal = wb / r["hardware"]["dram_bytes_per_cycle"]
        c = r["cycles"]
        nl = r["units"]["load"]["insns"]
        print(f"{label(v):9} {terms(v):2d} {c:10d} {wb:11d} {ideal:10.0f} {c/ideal:9.4f} {r['dram_bytes']['read']:11d} "
              f"{100*r['roofline']['fraction_of_bound']:7.1f}% {bc/c:8.3f}x {nl:6d} {(c-ideal)/nl:9.1f} {wall('decode-'+v):7.1f}")
        csvrow("decode", v, r, None, dict(cycles=c, weight_bytes=wb, ideal_cycles=ideal, ratio_ideal=c/ideal,
               speedup_vs_int8par=bc/c, wall_s=wall("decode-"+v), sim_cycles_per_second=r["sim_cycles_per_second"]))
    print("  ideal = sum(layers[].weight_bytes) / dram_bytes_per_cycle (goal: cycles/ideal <= 1.10);"
          " par/dtype = cycles(int8 bit-parallel) / cycles (goal: bitmod3 >= 2.4x)")
    print("  loads = load instructions; excess/ld = (cycles - ideal) / loads: the load unit runs one load at a time (R7), so")
    print("  each load leaves the DRAM bus idle for about dram_latency + 2 cycles before its first beat")
    r3, r8 = rep("decode-bitmod3"), rep("decode-int8")
    if base and r3 and r8:
        wb = lambda r: sum(L["weight_bytes"] for L in r["layers"])
        print(f"  weight bytes int8 / bitmod3 = {wb(base)/wb(r3):.3f} (the most a DRAM-bound run can gain);"
              f" int8 serial vs parallel cycles: {r8['cycles']/bc:.3f}")

if "2" in sections:
    print(f"\n== 2. Prefill ({pdesc}, systemc): PE utilization and cycles against terms per weight")
    s8 = rep("prefill-int8")
    c8 = s8["cycles"] if s8 else float("nan")
    first = next((rep("prefill-" + v) for v in VARIANTS if rep("prefill-" + v)), None)
    names = [L["name"] for L in first["layers"]] if first else []
    print(f"{'dtype':9} {'T':>2} {'cycles':>11} " + " ".join(f"{('PE '+n)[:16]:>16}" for n in names) +
          f" {'PE total':>8} {'cyc/int8':>8} {'T/4':>6} {'ratio':>6} {'wall s':>7}")
    for v in VARIANTS:
        r = rep("prefill-" + v)
        if not r: print(f"{label(v):9} (not run)"); continue
        hw = r["hardware"]
        c = r["cycles"]
        t = terms(v)
        tot = sum(L["macs"] * t for L in r["layers"]) / (c * hw["mac_rows"] * hw["mac_cols"])
        rel, exp = c / c8, t / 4
        print(f"{label(v):9} {t:2d} {c:11d} " + " ".join(f"{100*L['pe_utilization']:15.2f}%" for L in r["layers"]) +
              f" {100*tot:7.2f}% {rel:8.4f} {exp:6.3f} {rel/exp:6.3f} {wall('prefill-'+v):7.1f}")
        csvrow("prefill", v, r, None, dict(cycles=c, pe_utilization=tot, cycles_vs_int8=rel, terms_ratio=exp,
               wall_s=wall("prefill-"+v), sim_cycles_per_second=r["sim_cycles_per_second"]))
        for L in r["layers"]:
            csvrow("prefill", v, r, L, dict(m=L["m"], k=L["k"], n=L["n"], cycles=L["cycles"],
                   pe_utilization=L["pe_utilization"]))
    print("  PE total = sum(macs*terms) / (cycles * mac_rows * mac_cols) (goal >= 90%); cyc/int8 = cycles / cycles(int8 serial),"
          " T/4 = terms / 4, ratio = (cyc/int8) / (T/4)")

if "3" in sections:
    print("\n== 3. Per layer: measured cycles against BitMoD's analytical formula on this array")
    print("  formula = max(ceil(K/dp)*ceil(N/H)*ceil(M/W)*T, bytes/BW), dp = mac_rows, H = mac_cols, W = 1,")
    print("  T = terms (1 bit-parallel); bytes = weight_bytes (codes+scales+params, read once) + M*K + M*N")
    print("  ovh = (m tiles) x (16-channel tiles) x 21 cycles (R11's +20 per gemm, +1 between gemms);")
    print("  form+ovh = max(compute + ovh, dram); dram x mt = the DRAM time with the weights read once per m tile, as compiled")
    print(f"{'run':16} {'layer':15} {'M':>4} {'K':>6} {'N':>6} {'measured':>10} {'compute':>10} {'dram':>10} "
          f"{'formula':>10} {'meas/form':>9} {'form+ovh':>10} {'meas/(f+o)':>10} {'mt':>3} {'dram x mt':>10}  bound")
    for kind in ("decode", "prefill"):
        for v in VARIANTS:
            r = rep(f"{kind}-{v}")
            if not r: continue
            hw = r["hardware"]
            for L in r["layers"]:
                comp, dram, f = formula(L, hw, terms(v))
                ovh, mtiles = gemm_overhead(L, hw, terms(v))
                fo = max(comp + ovh, dram)
                dmt = (L["weight_bytes"] * mtiles + L["m"] * L["k"] + L["m"] * L["n"]) / hw["dram_bytes_per_cycle"]
                print(f"{kind+' '+label(v):16} {L['name'][:15]:15} {L['m']:4d} {L['k']:6d} {L['n']:6d} {L['cycles']:10.0f} "
                      f"{comp:10.0f} {dram:10.0f} {f:10.0f} {L['cycles']/f:9.4f} {fo:10.0f} {L['cycles']/fo:10.4f} "
                      f"{mtiles:3d} {dmt:10.0f}  {'compute' if comp >= dram else 'dram'}")
                csvrow(kind + "-formula", v, r, L, dict(m=L["m"], k=L["k"], n=L["n"], cycles=L["cycles"],
                       formula_compute=comp, formula_dram=dram, formula=f, ratio_formula=L["cycles"]/f,
                       gemm_overhead=ovh, m_tiles=mtiles, dram_per_m_tile=dmt))
    print("  where they differ: decode (DRAM-bound): each load leaves the bus idle for ~dram_latency cycles (R7, see section 1),")
    print("  more per byte where fewer tiles fit a load (K = 11008: down_proj); a layer's measured cycles are the span of its")
    print("  gemms, so its first loads (issued during the previous layer) fall outside it. Prefill (compute-bound): 21 cycles")
    print("  per gemm (all of the serial arrays' difference); the compiler reloads the weights once per m tile (mt), which")
    print("  the bit-parallel array at K = 11008 (m tiles of 11 rows) no longer hides completely behind its 1-term gemms.")

if "4" in sections:
    print("\n== 4. systemc vs rtl simulation speed (configs/llm_reduced.yaml, default hardware, bitmod3; best of 3 runs)")
    print(f"{'M':>3} {'backend':8} {'cycles':>9} {'sim cycles/s':>13} {'sim s':>7} {'wall s':>7}   all 3 runs (cycles/s)")
    for m in (4, 1):
        rs = {}
        for be in ("systemc", "rtl"):
            runs = [(rep(f"speed-m{m}-{be}-{i}"), i) for i in (1, 2, 3)]
            runs = [(r, i) for r, i in runs if r]
            if not runs: rs[be] = None; continue
            r, i = max(runs, key=lambda x: x[0]["sim_cycles_per_second"])
            rs[be] = r
            print(f"{m:3d} {be:8} {r['cycles']:9d} {r['sim_cycles_per_second']:13.4g} {r['sim_wall_seconds']:7.3f} "
                  f"{wall(f'speed-m{m}-{be}-{i}'):7.1f}   " + " ".join(f"{x['sim_cycles_per_second']:.3g}" for x, _ in runs))
        if rs["systemc"] and rs["rtl"]:
            a, b = rs["systemc"], rs["rtl"]
            same = "equal" if a["cycles"] == b["cycles"] else f"DIFFER ({a['cycles']} vs {b['cycles']})"
            print(f"    M = {m}: systemc/rtl = {a['sim_cycles_per_second']/b['sim_cycles_per_second']:.1f}x (goal >= 10x), cycle counts {same}")
            csvrow("speed", f"m{m}", a, None, dict(cycles=a["cycles"], systemc_cps=a["sim_cycles_per_second"],
                   rtl_cps=b["sim_cycles_per_second"], ratio=a["sim_cycles_per_second"]/b["sim_cycles_per_second"]))

if "5" in sections:
    print("\n== 5. Reference gemm (engine bitmac, execute) vs Eigen int32 GEMM, one thread (bench_gemm)")
    for dt in ("bitmod3", "int8"):
        p = os.path.join(out, f"gemm-{dt}.txt")
        if not os.path.exists(p): continue
        for line in open(p):
            if line.startswith("RESULT gemm"):
                kv = dict(x.split("=") for x in line.split()[2:])
                rows.append(dict(section="gemm", variant=dt, layer=f"M={kv['M']} K={kv['K']} N={kv['N']}",
                                 ref_mac_per_s=kv["ref_mac_per_s"], eigen_mac_per_s=kv["eigen_mac_per_s"],
                                 ratio=kv["ratio"]))
            elif dt == "bitmod3" or line.lstrip()[:1].isdigit():
                print(("  " if dt == "bitmod3" else "  int8:") + line.rstrip())

if "6" in sections:
    print("\n== 6. Quantization error per datatype (heavy-tailed synthetic weights, group 128)")
    print("  (a) the decode runs' weights (configs/llm_decode.yaml: 7 layers, 202 M weights): MSE over all weights")
    mse = {}
    for v in DT:
        r = rep("decode-" + v)
        if not r: continue
        num = sum(L["weight_mse"] * L["k"] * L["n"] for L in r["layers"])
        den = sum(L["k"] * L["n"] for L in r["layers"])
        mse[v] = num / den
        sq = min(L["weight_sqnr_db"] for L in r["layers"]), max(L["weight_sqnr_db"] for L in r["layers"])
        print(f"  {v:8} MSE {mse[v]:.4e}   SQNR {sq[0]:.2f}..{sq[1]:.2f} dB")
        rows.append(dict(section="quant", variant=v, layer="decode weights", mse=mse[v], sqnr_db_min=sq[0], sqnr_db_max=sq[1]))
    def check(a, others):
        if a in mse and all(o in mse for o in others):
            ok = all(mse[a] < mse[o] for o in others)
            print(f"  {a} < {', '.join(others)}: {'yes' if ok else 'NO'} "
                  f"({mse[a]:.3e} vs " + ", ".join(f"{mse[o]:.3e}" for o in others) + ")")
    check("bitmod4", ["int4", "fp4"])
    check("bitmod3", ["int3", "fp3"])
    p = os.path.join(out, "quantize.txt")
    if os.path.exists(p):
        print("  (b) bitgrid quantize W.npy --dtype all (W: [1024][4096] Student-t(4) x 0.02, seed 1, from bench_gemm --weights)")
        q = {}
        for line in open(p):
            print("    " + line.rstrip())
            f = line.split()
            if len(f) == 4 and f[0] in DT: q[f[0]] = float(f[2])
        for a, others in (("bitmod4", ["int4", "fp4"]), ("bitmod3", ["int3", "fp3"])):
            if a in q and all(o in q for o in others):
                print(f"    {a} < {', '.join(others)}: {'yes' if all(q[a] < q[o] for o in others) else 'NO'}")

if "7" in sections:
    print("\n== 7. A split K (partial sums through pbuf), chains kept on chip, the digits comparison (systemc)")
    print("  (a) down_proj of Llama-2-70B cut to 1024 outputs (K = 28672): split against unsplit (wbuf_kib changed)")
    print(f"  {'run':28} {'K chunks':>8} {'cycles':>10} {'ideal':>10} {'cyc/ideal':>9} {'PE util':>8} {'split/unsplit':>13}")
    for m in (1, 64):
        for dt, split, unsplit in (("int8", f"longk-int8-m{m}", f"longk-int8-m{m}-wbuf1024"),
                                   ("bitmod3", f"longk-bitmod3-m{m}-wbuf128", f"longk-bitmod3-m{m}")):
            for tag in (split, unsplit):
                r = rep(tag)
                if not r: print(f"  {tag:28} (not run)"); continue
                L = r["layers"][0]
                ideal = L["weight_bytes"] / r["hardware"]["dram_bytes_per_cycle"]
                cmp = r["cycles"] / rep(unsplit)["cycles"] if tag == split and rep(unsplit) else float("nan")
                print(f"  {tag:28} {L['k_chunks']:>8} {r['cycles']:>10} {ideal:>10.0f} {r['cycles'] / ideal:>9.3f} "
                      f"{100 * L.get('pe_utilization', 0):>7.2f}% {cmp:>13.4f}")
                rows.append(dict(section="split_k", variant=tag, layer=L["name"], cycles=r["cycles"], ideal=ideal,
                                 k_chunks=L["k_chunks"], pe_utilization=L.get("pe_utilization", 0)))
    a, b = rep("mlp-chip"), rep("mlp-dram")
    if a and b:
        print("  (b) configs/mlp_digits.yaml: fc1's outputs kept on chip (o_abuf) against the same run through DRAM")
        for tag, r in (("on chip", a), ("through DRAM", b)):
            print(f"  {tag:14} cycles {r['cycles']:>7}  energy {r['energy_pj']['total'] / 1e6:8.3f} uJ  DRAM bytes "
                  f"{r['dram_bytes']['read'] + r['dram_bytes']['write'] if 'dram_bytes' in r else '?':>9}  "
                  f"accuracy {r.get('accuracy', float('nan')):.4f}  verified {r.get('verified')}")
        print(f"  on chip / through DRAM: cycles {a['cycles'] / b['cycles']:.4f}, energy "
              f"{a['energy_pj']['total'] / b['energy_pj']['total']:.4f}")
        rows.append(dict(section="chain", variant="on_chip", layer="total", cycles=a["cycles"], energy_pj=a["energy_pj"]["total"]))
        rows.append(dict(section="chain", variant="dram", layer="total", cycles=b["cycles"], energy_pj=b["energy_pj"]["total"]))
    p = os.path.join(out, "compare-digits.txt")
    if os.path.exists(p):
        print("  (c) bitgrid compare configs/mlp_digits.yaml --backend systemc (the baseline: INT8 on the bit-parallel array)")
        for line in open(p): print("    " + line.rstrip())

keys = []
for r in rows:
    for k in r:
        if k not in keys: keys.append(k)
with open(csv_path, "w") as f:
    f.write(",".join(keys) + "\n")
    for r in rows:
        f.write(",".join(("%.6g" % r[k]) if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys) + "\n")
print(f"\nCSV: {csv_path} ({len(rows)} rows); reports: {out}/<run>/report.json")
PYEOF
log "finished"
