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
