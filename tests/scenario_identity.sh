#!/usr/bin/env bash
# Bit-identity of every scenario across a code change (issue 9's refactoring check):
#   tests/scenario_identity.sh record DIR    # run every scenario in scenarios/ (whole trace) into DIR
#   tests/scenario_identity.sh compare DIR   # run them again and h5diff every dataset against DIR
# Uses $COLLABSIM_BIN (default ./build/collabsim), so a copy of the binary built from the
# main you rebased on can record the baseline; exits 1 naming each scenario whose datasets differ.
# The two files must hold the same datasets, and every dataset is compared except /inputs (provenance: the input files' paths and SHA-256,
# which differ between two checkouts of the same tree); /requests and /summary must exist.
# A baseline binary built in another folder finds the shared data through $COLLABSIM_DATA
# (e.g. COLLABSIM_DATA=/work/shared/data).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?record|compare}; dir=${2:?folder}
bin=${COLLABSIM_BIN:-./build/collabsim}
out=$dir; [ "$mode" = compare ] && out=$(mktemp -d)
mkdir -p "$out"
fail=0
for s in scenarios/*.toml; do
  n=$(basename "$s" .toml)
  "$bin" run "$s" -o "$out/$n.h5" --quiet > /dev/null
  if [ "$mode" = compare ]; then
    # every dataset of the baseline file: /requests, /summary, /mechanism, /devices/*, /links/*, /spans
    sets=$(h5ls -r "$dir/$n.h5" | awk '$2 == "Dataset" && $1 != "/inputs" {print $1}')
    new_sets=$(h5ls -r "$out/$n.h5" | awk '$2 == "Dataset" && $1 != "/inputs" {print $1}')
    if [ "$sets" != "$new_sets" ]; then
      echo "DATASETS DIFFER: $n: $(diff <(echo "$sets") <(echo "$new_sets") | grep '^[<>]' | tr '\n' ' ')"; fail=1
    fi
    for need in /requests /summary; do
      grep -qx "$need" <<< "$sets" || { echo "MISSING: $n $need"; fail=1; }
    done
    for d in $sets; do
      if ! h5diff -q "$dir/$n.h5" "$out/$n.h5" "$d" "$d" > /dev/null 2>&1; then
        echo "DIFFERENT: $n $d"; fail=1
      fi
    done
  fi
done
[ "$mode" = compare ] && { [ $fail -eq 0 ] && echo "identical: every dataset but /inputs (/requests, /summary, /mechanism, /devices, /links) of $(ls scenarios/*.toml | wc -l) scenarios"; rm -rf "$out"; }
exit $fail
