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
# Threshold sweeps on the same scenario (11 thresholds × 3 seeds each): the cascade over its
# confidence threshold, the router over its score threshold (a separate sweep: a router run
# never reads mechanism.cascade.thresholds, which sweep refuses by design).
sweeps=(results/edge_cloud_cascade-cascade-thresholds.h5 results/edge_cloud_cascade-router-thresholds.h5)
./build/collabsim sweep "$scenario" -o "${sweeps[0]}" --grid mechanism.cascade.thresholds=0:1:0.1 --seeds 3 --quiet "$@"
./build/collabsim sweep "$scenario" -o "${sweeps[1]}" --set mechanism.name=router \
  --grid mechanism.router.threshold=0:1:0.1 --seeds 3 --quiet "$@"
# Figures of the five runs and both sweeps (cost–quality with hulls and AIQ, PGR with APGR
# and CPT, CDFs, sweep metrics, energy and cost, device timelines): see analysis/collabsim_plot.py.
./build/collabsim plot "${files[@]}" "${sweeps[@]}" -o results/figures --format png,pdf
echo "results: ${files[*]} ${sweeps[*]}; figures: results/figures/"
