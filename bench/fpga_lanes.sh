#!/usr/bin/env bash
# How the accelerator's Fmax and size scale with ham_lanes (issue #8): the core alone (bitgrid_top in the
# out-of-context timing shell rtl/fpga/bg_core_shell.sv: every input from one scan chain, every output
# registered and XOR-reduced to a pin) placed and routed with seed 1 on the iCE40 HX8K and UP5K, and
# synthesized for the Artix-7 and ECP5 (pre-place-and-route estimates), for ham_lanes = 1, 2, 4, 8 on a base
# config. A point that does not fit a part says what overflows. The shell's own cells (the scan chain, the
# output registers and their XOR tree) are included in the iCE40 figures.
#   bench/fpga_lanes.sh [BASE_HW.yaml] [OUT_DIR]      (default configs/hw/up5k.yaml, out/fpga/lanes)
# Each point is `bitgrid fpga BASE --set ham_lanes=N --target PART` (the core shell on the iCE40s: --top
# bg_core_shell); $BITGRID names the CLI (default build/bitgrid).
# Writes OUT_DIR/lanes.csv and prints it as a table; each point's fpga.json stays in OUT_DIR/<part>-l<N>/.
# Place-and-route gives up after BITGRID_ROUTE_TIMEOUT seconds (default here 900): a congested point is
# reported unroutable with the arcs left. BITGRID_LANES="4 8" runs some points only; with
# BITGRID_LANES_APPEND=1 their rows are added to an existing lanes.csv.
set -euo pipefail
export BITGRID_ROUTE_TIMEOUT="${BITGRID_ROUTE_TIMEOUT:-900}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${1:-$ROOT/configs/hw/up5k.yaml}"
OUT="${2:-$ROOT/out/fpga/lanes}"
BITGRID="${BITGRID:-$ROOT/build/bitgrid}"
[ -f "$BASE" ] || { echo "error: $BASE: no such hardware config" >&2; exit 1; }
[ -x "$BITGRID" ] || { echo "error: $BITGRID: no bitgrid CLI (build first, or set BITGRID)" >&2; exit 1; }
mkdir -p "$OUT"
CSV="$OUT/lanes.csv"
[ -n "${BITGRID_LANES_APPEND:-}" ] ||
  echo "ham_lanes,part,stage,fits,logic_cells,luts,ffs,brams,fmax_mhz,critical_path_or_overflow" > "$CSV"
for n in ${BITGRID_LANES:-1 2 4 8}; do
  for part in ice40-hx8k ice40-up5k xilinx-7 ecp5; do
    dir="$OUT/$part-l$n"
    rm -rf "$dir"
    echo "== ham_lanes $n on $part" >&2
    case "$part" in
      ice40-up5k) args=(--top bg_core_shell) ;;  # the HX8K's default top already
      *) args=() ;;
    esac
    if msg="$("$BITGRID" fpga "$BASE" --set "ham_lanes=$n" --target "$part" --seed 1 --out "$dir" "${args[@]}" 2>&1)"; then
      python3 - "$dir/fpga.json" "$n" "$part" >> "$CSV" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
u, t = r["utilization"], r.get("timing", {})
lc = u.get("logic_cells", {}).get("used", "")
cp = t.get("critical_path") or {}
path = f'{cp.get("start", "")} -> {cp.get("end", "")}'.replace(",", ";") if cp else ";".join(r.get("overflows", []))
print(",".join(str(x) for x in [sys.argv[2], sys.argv[3], r["stage"], r["fits"], lc, u["luts"]["used"],
      u["ffs"]["used"], u["brams"]["used"], t.get("fmax_mhz") or "", path]))
PY
    else
      why="$(printf '%s\n' "$msg" | grep '^error:' | head -1 | sed 's/^error: //; s/ (files of this run.*//; s/,/;/g')"
      echo "$n,$part,failed,False,,,,,,$why" >> "$CSV"
    fi
  done
done
column -s, -t < "$CSV" | cut -c1-220
echo "wrote $CSV"
