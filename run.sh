#!/usr/bin/env bash
# The main job: builds collabsim, replays the whole Azure LLM 2023 conversation trace
# through the default edge–cloud scenario with the cascade and the four baselines, writes
# results/edge_cloud_cascade*.h5, prints the summary table and draws the figures in
# results/figures/. Installs its own Debian packages first.
set -euo pipefail
cd "$(dirname "$0")"
./install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
cmake --build build -j"$(nproc)" --target collabsim
scenario=scenarios/edge_cloud_cascade.toml
files=()
for mech in small_only large_only random oracle cascade; do
  out=results/edge_cloud_cascade.h5
  [ "$mech" = cascade ] || out=results/edge_cloud_cascade-$mech.h5
  ./build/collabsim run "$scenario" --set mechanism.name=$mech -o "$out" --quiet "$@" | { [ "$mech" = small_only ] && cat || tail -n +2; }
  files+=("$out")
done
/usr/bin/python3 analysis/plot_runs.py "${files[@]}" -o results/figures
echo "results: ${files[*]}; figures: results/figures/"
