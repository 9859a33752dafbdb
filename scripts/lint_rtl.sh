#!/usr/bin/env bash
# Lints the whole RTL top (the files of rtl/gen/manifest.f) with Verilator's -Wall: the lowRISC-style gate,
# zero warnings. Then checks that a parameter check still stops elaboration: an illegal parameter must fail
# the lint even under -Wno-fatal (it does only with -Werror-USERFATAL, which every build passes).
#
#   scripts/lint_rtl.sh [HW.yaml ...] [VERILATOR_ARG ...]
#
# Each HW.yaml is linted with its parameters (scripts/build_rtl_sim.sh --overrides); without one, the
# package defaults and every configs/hw/*.yaml. Other arguments go to Verilator.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=rtl_files.sh
source "$ROOT/scripts/rtl_files.sh"
bitgrid_rtl_files

CONFIGS=()
VARGS=()
for a in "$@"; do
  case "$a" in
    *.yaml | *.yml) CONFIGS+=("$a") ;;
    *) VARGS+=("$a") ;;
  esac
done
if [ ${#CONFIGS[@]} -eq 0 ]; then
  CONFIGS=("")
  for f in "$ROOT"/configs/hw/*.yaml; do CONFIGS+=("$f"); done
fi

for cfg in "${CONFIGS[@]}"; do
  GARGS=()
  if [ -n "$cfg" ]; then
    OV="$(bash "$ROOT/scripts/build_rtl_sim.sh" --overrides "$cfg")" || exit 1
    while IFS= read -r g; do [ -n "$g" ] && GARGS+=("$g"); done <<< "$OV"
  fi
  verilator --lint-only -Wall "${BITGRID_VERILATOR_CHECK_ARGS[@]}" "${BITGRID_RTL_FILES[@]}" \
    --top-module bitgrid_top ${GARGS[@]+"${GARGS[@]}"} ${VARGS[@]+"${VARGS[@]}"}
  echo "lint: bitgrid_top clean (${cfg:-package defaults}; verilator --lint-only -Wall ${VARGS[*]-})"
done

# The parameter checks must fire: queue_depth 3 is not a power of two.
if verilator --lint-only -Wno-fatal "${BITGRID_VERILATOR_CHECK_ARGS[@]}" "${BITGRID_RTL_FILES[@]}" \
     --top-module bitgrid_top -GQueueDepth=3 > /dev/null 2>&1; then
  echo "error: an illegal parameter (QueueDepth=3) did not fail elaboration under -Wno-fatal" >&2
  exit 1
fi
echo "lint: an illegal parameter fails elaboration (-Werror-USERFATAL)"
