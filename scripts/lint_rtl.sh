#!/usr/bin/env bash
# Lints the whole RTL top with Verilator's -Wall (the lowRISC-style gate: zero warnings).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
verilator --lint-only -Wall rtl/gen/bitgrid_pkg.sv rtl/fifo.sv rtl/scratchpad.sv rtl/controller.sv rtl/load_unit.sv \
  rtl/store_unit.sv rtl/popcount64.sv rtl/hamming_unit.sv rtl/topk_unit.sv rtl/compute_unit.sv rtl/bitgrid_top.sv \
  --top-module bitgrid_top "$@"
echo "lint: bitgrid_top clean (verilator --lint-only -Wall $*)"
