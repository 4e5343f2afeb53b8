#!/usr/bin/env bash
# Builds collabsim and runs every test (C++ GoogleTest suite and the Python analysis tests)
# through CTest. Installs its own Debian packages first.
set -euo pipefail
cd "$(dirname "$0")"
./install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
