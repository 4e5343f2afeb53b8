#!/bin/sh
# Issue 26 scale runs of the default cascade (scenarios/edge_cloud_cascade.toml, the Azure
# 2023 conversation trace, 19,366 requests, replayed back to back with workload.repeat):
#   summary  10^8 requests (repeat 5164 = 100,006,024), --no-requests: target < 10 min wall,
#            < 2 GB peak RSS on the project's 2-core machine;
#   requests 10^7 requests (repeat 517 = 10,012,222) with /requests written: target < 60 s.
# The trace is an hour long, so 10^8 requests span ~215 simulated days: run.max_sim_time
# (default 30 d, a runaway guard) is raised to 400 d.
# Prints, per run: wall and CPU seconds (user + sys, the writer thread included), CPU µs per
# request, peak RSS (/usr/bin/time -v), the result file's size, and the machine's load
# average just before and just after (the machine is shared: a wall time means little
# without it). Not a test: nothing is asserted; the figures go into the issue's note.
#
# Usage: bench/scale.sh [build-dir] [summary|requests|both]   (default: build both)
# Environment: COLLABSIM_DATA (default ../shared/data beside the source tree),
#              SCALE_OUT (default /tmp; the 10^7 file is ~0.7 GB), NICE (default 0).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
which=${2:-both}
data=${COLLABSIM_DATA:-$src/../shared/data}
out=${SCALE_OUT:-/tmp}
bin=$build/collabsim
[ -x "$bin" ] || { echo "scale.sh: no $bin (build first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "scale.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

# run <label> <requests> <repeat> <extra args...>
run() {
  label=$1 requests=$2 repeat=$3
  shift 3
  file=$out/collabsim_scale_$label.h5
  log=$out/collabsim_scale_$label.time
  rm -f "$file"
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date -u +%H:%M:%S)
  nice -n "${NICE:-0}" /usr/bin/time -v -o "$log" "$bin" run "$src/scenarios/edge_cloud_cascade.toml" \
    --data-dir "$data" -o "$file" --set workload.repeat="$repeat" --set 'run.max_sim_time="400 d"' -q "$@" >/dev/null
  load1=$(cut -d' ' -f1-3 /proc/loadavg)
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
  user=$(sed -n 's/.*User time (seconds): //p' "$log")
  sys=$(sed -n 's/.*System time (seconds): //p' "$log")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
  size=$(stat -c %s "$file" 2>/dev/null || echo 0)
  /usr/bin/python3 - "$label" "$requests" "$wall" "$user" "$sys" "$rss" "$size" "$load0" "$load1" "$start" <<'EOF'
import sys
label, n, wall, user, sys_s, rss, size, load0, load1, start = sys.argv[1:]
parts = [float(x) for x in wall.split(":")]
w = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
cpu = float(user) + float(sys_s)
n = int(n)
print(f"{label}: {n:,} requests, started {start} UTC, wall {w:.1f} s, CPU {cpu:.1f} s "
      f"(user {float(user):.1f} + sys {float(sys_s):.1f}), {cpu / n * 1e6:.2f} µs CPU per request, "
      f"peak RSS {int(rss) / 1024:.0f} MiB, file {int(size) / 2**20:.0f} MiB, "
      f"load average before {load0}, after {load1} (2 cores)")
EOF
  rm -f "$file"
}

case $which in
  summary | both) run summary 100006024 5164 --no-requests ;;
esac
case $which in
  requests | both) run requests 10012222 517 ;;
esac
