#!/usr/bin/env bash
# bench_fit.sh BUILD: `bitgrid fit` of configs/image_fit.yaml on the 256 x 256 photograph configs/data/coffee_256.png
# for a fixed time budget (BITGRID_FIT_SECONDS, default 300 s) on this machine's cores: the PSNR of the float
# model over time (goal of issue #7: >= 32 dB within 5 minutes on two cores), the steps done, and when 30, 32, 35
# and 40 dB were first reached.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${BITGRID_FIT_SECONDS:-300}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "bench_fit: bitgrid fit configs/image_fit.yaml on coffee_256.png, ${secs} s, $(nproc) cores"
"$build/bitgrid" fit "$root/configs/data/coffee_256.png" "$root/configs/image_fit.yaml" -o "$out/p.npz" \
  --seconds "$secs" --eval-every 50 --log "$out/curve.csv" --png "$out/fit.png" --quiet
awk -F, 'NR > 1 { last = $0; s[NR] = $2; p[NR] = $3; n = NR }
  END {
    split(last, f, ",");
    printf "  after %.0f s: %d steps, PSNR %.2f dB\n", f[2], f[1], f[3];
    split("30 32 35 40", goals, " ");
    for (g = 1; g <= 4; ++g) {
      hit = "not reached";
      for (i = 2; i <= n; ++i) if (p[i] >= goals[g]) { hit = sprintf("%.1f s", s[i]); break; }
      printf "  first >= %s dB: %s\n", goals[g], hit;
    }
  }' "$out/curve.csv"
