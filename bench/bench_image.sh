#!/usr/bin/env bash
# bench_image.sh BUILD: configs/image_fit.yaml on the accelerator (issue #7's measures), SystemC model.
#  1. The photograph rendered through the accelerator: PSNR of the accelerator's pixels and of the float model
#     against the original (goal: within 0.5 dB), cycles, frames/s at 1 GHz, energy per pixel, the encoder's use of
#     its peak while it works (tables on chip; goal >= 90%). The fitted parameters are made once (2,000 steps of
#     `bitgrid fit`'s trainer, ~3 minutes on two cores) into out/image_fit/coffee_fit.npz and reused.
#  2. Scaling with the number of level engines (1, 2, 4, 8; gbuf 2 MiB so that 8 segments hold the tables) on the
#     default MAC array (16 x 16 bit-serial) and on a 16 x 32 bit-parallel one (8x its INT8 MACs per cycle; a
#     wider array would need the 32 features padded to its K tile): the frame's cycles beside the
#     encoder's, the MAC array's and the DRAM bus's busy cycles, and which of them limits the frame.
#  3. Tables beyond gbuf, encoded level by level: a 65,536-point frame through a larger grid (L16 F2 T17, 5.6 MB of
#     tables, random parameters, the same MLP shape) on the default machine with 4 or 8 level engines and gbuf 8 or
#     4 MiB: the passes, the frame's cycles, DRAM bytes and energy beside the encoder's busy cycles (each m tile
#     reloads every pass's tables; with 8 engines a 1 MiB segment holds one 512 KiB level of each column block of
#     8 levels, not two: two passes; with 4 MiB not even one level and its descriptor: the one-line error).
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cfg="$root/configs/image_fit.yaml"
py=/usr/bin/python3

echo "bench_image: configs/image_fit.yaml (256 x 256 photograph, L16 F2 T15 hash grid -> 32-64-64-3 MLP), systemc"
"$build/bitgrid" run "$cfg" --backend systemc --no-html --quiet --out "$out/base" >/dev/null
$py - "$out/base/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
im, g = r["image"], r["hashgrid"]
fit = im.get("fit", {})
print(f"  fit: {fit.get('steps', '?')} steps, seed {fit.get('seed', '?')}, "
      f"{'reused ' + fit.get('params', '') if fit.get('reused') else 'fitted now in %.0f s' % fit.get('seconds', 0)}")
print(f"  PSNR against the photograph: accelerator {im['psnr_db']:.2f} dB, float model {im['float_psnr_db']:.2f} dB "
      f"(accelerator - float: {im['psnr_db'] - im['float_psnr_db']:+.2f} dB; goal: within 0.5 dB)")
print(f"  {r['cycles']:.0f} cycles a frame: {im['frames_per_second']:.1f} frames/s at {im['clock_mhz']:.0f} MHz, "
      f"{im['energy_pj_per_pixel'] / 1000:.1f} nJ per pixel")
print(f"  encoder busy {g['encoder_busy_cycles']:.0f} cycles for {g['point_levels']:.0f} point-levels on "
      f"{r['hardware']['hg_engines'] if 'hardware' in r and isinstance(r['hardware'], dict) else '?'} engines: "
      f"{100 * g['encoder_utilization']:.1f}% of its peak (tables on chip; goal >= 90%)")
EOF

echo "  scaling (gbuf_kib 2048): engines x MAC array -> frame cycles, busy cycles of each resource, the limit"
printf "  %-26s %7s %10s %10s %10s %10s %9s %8s %10s\n" "machine" "engines" "cycles" "encoder" "mac" "dram_bus" \
  "limit" "fps@1GHz" "nJ/pixel"
for mac in "16x16 bit-serial::" "16x32 bit-parallel:--set hardware.mac_cols=32 --set hardware.mac_parallel=1"; do
  name=${mac%%:*}
  sets=${mac#*:}
  sets=${sets#:}
  for e in 1 2 4 8; do
    d="$out/e$e-${name// /_}"
    # shellcheck disable=SC2086
    "$build/bitgrid" run "$cfg" --backend systemc --no-html --quiet --out "$d" --set hardware.gbuf_kib=2048 \
      --set hardware.hg_engines=$e $sets >/dev/null
    $py - "$d/report.json" "$name" "$e" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
g, im = r["hashgrid"], r["image"]
print(f"  {sys.argv[2]:<26} {sys.argv[3]:>7} {r['cycles']:>10.0f} {g['encoder_busy_cycles']:>10.0f} "
      f"{g['mac_busy_cycles']:>10.0f} {g['dram_bus_cycles']:>10.0f} {g['limit']:>9} {im['frames_per_second']:>8.1f} "
      f"{im['energy_pj_per_pixel'] / 1000:>10.1f}")
EOF
  done
done

echo "  tables beyond gbuf: 65,536 points, L16 F2 T17 grid (random parameters) -> 32-64-64-3, default machine"
cat >"$out/big.yaml" <<EOF
hardware: $root/configs/hw/default.yaml
workload:
  type: model
  dtype: int4
  group: 32
  seed: 7
  m: 65536
  layers:
    - {name: enc, type: hashgrid, dims: 2, levels: 16, features: 2, log2_table: 17, base_res: 64, per_level_scale: 1.3}
    - {name: fc1, in: 32, out: 64, relu: true}
    - {name: fc2, in: 64, out: 64, relu: true}
    - {name: fc3, in: 64, out: 3, out32: true}
EOF
printf "  %-7s %-8s %6s %12s %10s %10s %14s %10s %10s\n" "engines" "gbuf_kib" "passes" "tables B" "cycles" \
  "encoder" "DRAM read B" "fps@1GHz" "nJ/point"
for m in "4 8192" "8 8192" "8 4096"; do
  e=${m% *}
  kib=${m#* }
  d="$out/g$e-$kib"
  if ! "$build/bitgrid" run "$out/big.yaml" --backend systemc --no-html --quiet --out "$d" \
    --set hardware.gbuf_kib="$kib" --set hardware.hg_engines="$e" >"$d.log" 2>&1; then
    printf "  %-7s %-8s %s\n" "$e" "$kib" "$(grep -m1 'error' "$d.log" | cut -c1-160)"
    continue
  fi
  $py - "$d/report.json" "$e" "$kib" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
g = r["hashgrid"]
print(f"  {sys.argv[2]:<7} {sys.argv[3]:<8} {g['passes']:>6} {g['table_dram_bytes']:>12.0f} {r['cycles']:>10.0f} "
      f"{g['encoder_busy_cycles']:>10.0f} {r['dram_bytes']['read']:>14.0f} {1e9 / r['cycles']:>10.1f} "
      f"{r['energy_pj']['total'] / g['points'] / 1000:>10.2f}")
EOF
done
