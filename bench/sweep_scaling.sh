#!/bin/sh
# Issue 26 sweep figures: the default scenario swept over 11 cascade thresholds × 2 loads
# (22 whole-trace points, as bench_sweep) at -j1, -j2 and on 2 MPI ranks × 1 thread, each
# `rounds` times in turn (interleaved, so a change of machine load hits all three alike).
# Prints per run: wall s, CPU s (user + sys of the whole process tree, /usr/bin/time),
# points per wall second and per CPU-second, and the load average before and after; then
# the median wall of each and the speed-ups -j2 and MPI over -j1. Targets (issue 26):
# >= 15 points per CPU-second, speed-ups >= 1.9 (on idle cores: on a loaded machine the
# wall-clock speed-up measures the share of the cores the sweep got, not only the sweep).
#
# With seeds > 1 every combination runs that many seeds (22 × seeds points): fixed costs per
# job (mpirun's launch, MPI_Init, validating the points) weigh less on a longer sweep.
#
# Usage: bench/sweep_scaling.sh [build-dir] [rounds=3] [seeds=1]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
rounds=${2:-3}
seeds=${3:-1}
points=$((22 * seeds))
data=${COLLABSIM_DATA:-$src/../shared/data}
bin=$build/collabsim
out=${TMPDIR:-/tmp}/collabsim_sweep_scaling.h5
[ -x "$bin" ] || { echo "sweep_scaling.sh: no $bin" >&2; exit 2; }
log=$(mktemp)
results=$(mktemp)
for r in $(seq 1 "$rounds"); do
  for mode in j1 j2 mpi; do
    case $mode in
      j1) pre="" threads=1 ;;
      j2) pre="" threads=2 ;;
      mpi) pre="mpirun --allow-run-as-root --oversubscribe -np 2" threads=1 ;;
    esac
    load0=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S" -o "$log" $pre "$bin" sweep "$src/scenarios/edge_cloud_cascade.toml" \
      --data-dir "$data" -o "$out" --restart -q -j "$threads" --seeds "$seeds" \
      --grid mechanism.cascade.thresholds=0:1:0.1 --grid workload.rate_scale=1,2 >/dev/null
    load1=$(cut -d' ' -f1 /proc/loadavg)
    echo "$mode $(tail -1 "$log") $load0 $load1" >> "$results"
    rm -f "$out"
  done
done
/usr/bin/python3 - "$results" "$points" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n = int(sys.argv[2])
walls = {}
for mode, wall, user, sys_s, l0, l1 in rows:
    w, cpu = float(wall), float(user) + float(sys_s)
    walls.setdefault(mode, []).append(w)
    print(f"{mode:4s} wall {w:6.2f} s  CPU {cpu:6.2f} s  {n / w:5.1f} points/s  {n / cpu:5.1f} points/CPU-s  "
          f"load {l0} -> {l1}")
m = {k: statistics.median(v) for k, v in walls.items()}
print(f"{n} points, median wall: -j1 {m['j1']:.2f} s, -j2 {m['j2']:.2f} s ({m['j1'] / m['j2']:.2f}x), "
      f"2 MPI ranks {m['mpi']:.2f} s ({m['j1'] / m['mpi']:.2f}x)")
EOF
rm -f "$log" "$results"
