#!/usr/bin/env bash
# Installs what bitgrid needs from Debian 12 packages, only what is missing. Safe to run repeatedly.
# Installs with --no-install-recommends, so every package the build and the test suite use is listed here
# even when a fuller Debian would have it anyway: the list is checked on a bare
# `debootstrap --variant=minbase bookworm` root (plus git, make, ca-certificates) by
# scripts/check_fresh_debian.sh.
set -euo pipefail
PKGS=(
  # --- build ---
  build-essential       # g++, make, libc headers
  cmake                 # the build
  pkg-config            # library discovery for builds against the installed libraries
  git                   # scripts/check_format.sh (a test) lists the sources with git ls-files
  # --- libraries ---
  libsystemc-dev        # SystemC kernel: the systemc backend and the rtl harness
  libeigen3-dev         # reference model
  libyaml-cpp-dev       # configs
  libgtest-dev          # test suites
  libfmt-dev            # formatting in the model, simulators and CLI
  libcli11-dev          # bitgrid CLI
  nlohmann-json3-dev    # report.json, safetensors headers
  libzip-dev            # .npz weight files (zip archives of .npy)
  libpng-dev            # images: bitgrid fit reads PNG photographs, renders are written as PNG
  libfaiss-dev          # faiss peer test and benchmarks
  libopenblas-dev       # BLAS/LAPACK for faiss
  liblapack-dev         # LAPACK for faiss
  # --- RTL ---
  verilator             # rtl backend and rtl tests (its Depends bring perl and python3)
  zlib1g-dev            # Verilator's FST tracing: verilated_fst_c.h -> gtkwave/fstapi.h includes zlib.h, and
                        # Debian's verilator does not depend on it (missing on a minimal system)
  yosys                 # synthesis tests (scripts/synth.sh)
  nextpnr-ice40         # iCE40 place-and-route (scripts/fpga.sh)
  fpga-icestorm         # iCE40 bitstream (icepack), with nextpnr-ice40 (scripts/fpga.sh)
  python3               # scripts/fpga_report.py (fpga.json; also a dependency of verilator)
  python3-matplotlib    # scripts/report_html.py: the plots of report.html (run with Debian's /usr/bin/python3)
  python3-numpy         # tests/cli/test_hashgrid_peer.py: the NumPy peer of the hash-grid encoding
  gtkwave               # viewing --trace waveforms
  clang-format          # format test (scripts/check_format.sh)
  # --- sweeps on a cluster (bitgrid sweep --slurm; scripts/slurm_local.sh runs a one-node cluster for the tests) ---
  slurm-client          # sbatch, squeue
  slurmctld             # the controller
  slurmd                # the node daemon
  munge                 # Slurm's authentication
  # --- data ---
  python3-sklearn       # only for its data file digits.csv.gz (UCI digits): configs/mlp_digits.yaml, unit/cli tests
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "bitgrid setup: installing ${missing[*]}"
start=$(date +%s)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bitgrid setup: missing packages and not root (no sudo): ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "bitgrid setup: installed ${#missing[@]} packages in $(( $(date +%s) - start )) s"
