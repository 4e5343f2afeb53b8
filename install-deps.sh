#!/usr/bin/env bash
# Installs the Debian 12 packages collabsim needs. Idempotent: does nothing (and needs no
# network) when they are all present. Run as root (or with sudo available).
# `install-deps.sh --bench` adds libns3-dev, needed only by bench/ns3/bench_hold_vs_ns3.cpp
# (the event core against ns-3's schedulers, issue 26); the build skips that bench without it.
set -euo pipefail
packages=(
  cmake g++ make git
  libboost-graph-dev libeigen3-dev libhdf5-dev zlib1g-dev libisal-dev libtomlplusplus-dev
  libcli11-dev libfmt-dev libgtest-dev libbenchmark-dev
  python3-h5py python3-numpy python3-matplotlib hdf5-tools
  libopenmpi-dev openmpi-bin nlohmann-json3-dev nettle-dev
  python3-dev pybind11-dev python3-pybind11 python3-pandas
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(libns3-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
