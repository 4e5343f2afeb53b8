#!/usr/bin/env bash
# The main job: builds collabsim, replays the whole Azure LLM 2023 conversation trace
# through the default edge–cloud scenario with the cascade and the four baselines, writes
# results/edge_cloud_cascade*.h5, prints the summary table (also results/summary.txt),
# exports a Perfetto trace of the cascade's first 200 requests and draws the figures in
# results/figures/. Installs its own Debian packages first.
set -euo pipefail
cd "$(dirname "$0")"
./install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
cmake --build build -j"$(nproc)" --target collabsim collabsim_python  # the Python module: docs/PYTHON.md
scenario=scenarios/edge_cloud_cascade.toml
mkdir -p results
# The cascade run also records request spans (/spans) for the Gantt figure and a Perfetto trace.
for mech in small_only large_only random oracle cascade; do
  out=results/edge_cloud_cascade.h5
  spans=()
  [ "$mech" = cascade ] && spans=(--set run.record_spans=true) || out=results/edge_cloud_cascade-$mech.h5
  ./build/collabsim run "$scenario" --set mechanism.name=$mech "${spans[@]}" -o "$out" --quiet "$@" |
    { [ "$mech" = small_only ] && cat || tail -n +2; }
done | tee results/summary.txt.partial
mv results/summary.txt.partial results/summary.txt  # replaced only when every run succeeded
files=(results/edge_cloud_cascade-{small_only,large_only,random,oracle}.h5 results/edge_cloud_cascade.h5)
# The first 200 requests of the cascade as Chrome trace-event JSON: open it in https://ui.perfetto.dev
./build/collabsim trace-export results/edge_cloud_cascade.h5 -o results/edge_cloud_cascade-trace.json --requests 200
# Threshold sweeps on the same scenario (11 thresholds × 3 seeds each): the cascade over its
# confidence threshold, the router over its score threshold (a separate sweep: a router run
# never reads mechanism.cascade.thresholds, which sweep refuses by design).
sweeps=(results/edge_cloud_cascade-cascade-thresholds.h5 results/edge_cloud_cascade-router-thresholds.h5)
./build/collabsim sweep "$scenario" -o "${sweeps[0]}" --grid mechanism.cascade.thresholds=0:1:0.1 --seeds 3 --quiet "$@"
./build/collabsim sweep "$scenario" -o "${sweeps[1]}" --set mechanism.name=router \
  --grid mechanism.router.threshold=0:1:0.1 --seeds 3 --quiet "$@"
# The worked example of docs/RESULTS.md: cascade vs router at equal LLM share (each point
# calibrated to large_share 0.5), 3 loads × 5 seeds; a table with 95% intervals and the
# paired-by-seed differences (compare exits 1 when the router is worse somewhere: a finding
# written to the file, not a failure of this script).
cvr=results/cascade-vs-router.h5
./build/collabsim sweep "$scenario" -o "$cvr" --set mechanism.cascade.target_large_share=0.5 \
  --set mechanism.router.target_large_share=0.5 --grid mechanism.name=cascade,router \
  --grid workload.rate_scale=1,2,4 --seeds 5 --quiet "$@"
./build/collabsim table "$cvr" --by workload.rate_scale \
  --metrics quality_mean,latency_p99_s,cost_per_1k_usd,energy_per_request_j,large_share -o results/cascade-vs-router.md
./build/collabsim compare "$cvr" --pair mechanism.name=cascade,router \
  --metrics quality_mean,latency_p99_s,cost_per_1k_usd,energy_per_request_j > results/cascade-vs-router-paired.txt ||
  [ $? -eq 1 ]
# Figures of the five runs and both sweeps (cost–quality with hulls and AIQ, PGR with APGR
# and CPT, CDFs, sweep metrics, energy and cost, device timelines): see analysis/collabsim_plot.py.
./build/collabsim plot "${files[@]}" "${sweeps[@]}" -o results/figures --format png,pdf
echo "results: ${files[*]} ${sweeps[*]} $cvr; summary: results/summary.txt; trace: results/edge_cloud_cascade-trace.json; figures: results/figures/"
echo "worked example (docs/RESULTS.md): results/cascade-vs-router.md (table), results/cascade-vs-router-paired.txt (paired differences)"
