#!/usr/bin/env bash
# Prints the 32-bit config hash (decimal) of a hardware config: bitgrid::config_hash() of
# model/include/bitgrid/config_hash.h, FNV-1a over HwConfig::to_yaml(), the value a board build passes as
# bg_board's ConfigHash and the fpga backend checks (docs/BOARD.md).
#
#   scripts/config_hash.sh HW.yaml
#
# Runs $BITGRID_CONFIG_HASH, else build/bitgrid-config-hash (the CMake target), else builds the tool once
# into ${TMPDIR:-/tmp}/bitgrid-config-hash/ (with the model library of scripts/model_lib.sh; BITGRID_MODEL_LIB
# is used when set) and runs that.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "error: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 HW.yaml"
[ -f "$1" ] || die "$1: no such file"

tool="${BITGRID_CONFIG_HASH:-}"
if [ -z "$tool" ] && [ -x "$ROOT/build/bitgrid-config-hash" ] &&
   [ -z "$(find "$ROOT/model/src" "$ROOT/model/include" "$ROOT/sim/config_hash_main.cpp" -newer "$ROOT/build/bitgrid-config-hash" -type f | head -1)" ]; then
  tool="$ROOT/build/bitgrid-config-hash"
fi
if [ -z "$tool" ]; then
  out="${TMPDIR:-/tmp}/bitgrid-config-hash"
  tool="$out/bitgrid-config-hash"
  mkdir -p "$out"
  exec 9>"$out/.lock"
  flock 9
  if [ ! -x "$tool" ] || [ -n "$(find "$ROOT/model/src" "$ROOT/model/include" "$ROOT/sim/config_hash_main.cpp" -newer "$tool" -type f | head -1)" ]; then
    # shellcheck source=model_lib.sh
    source "$ROOT/scripts/model_lib.sh"
    bitgrid_model_lib "$out" >&2 || die "the model library could not be built"
    "${CXX:-g++}" -std=c++17 -O1 "${BITGRID_MODEL_INC[@]}" ${BITGRID_EXTRA_FLAGS:-} "$ROOT/sim/config_hash_main.cpp" \
      "$BITGRID_MODEL_LIB_PATH" -lyaml-cpp -lfmt -lpthread -o "$tool" >&2 || die "building bitgrid-config-hash failed"
  fi
fi
exec "$tool" "$1"
