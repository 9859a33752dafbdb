#!/usr/bin/env bash
# Installs what bitgrid needs from Debian 12 packages, only what is missing. Safe to run repeatedly.
set -euo pipefail
PKGS=(build-essential cmake pkg-config verilator libsystemc-dev libeigen3-dev libyaml-cpp-dev libgtest-dev
      libfmt-dev libcli11-dev nlohmann-json3-dev libfaiss-dev libopenblas-dev liblapack-dev
      yosys nextpnr-ice40 fpga-icestorm gtkwave clang-format git)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "bitgrid setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
