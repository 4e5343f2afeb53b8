#!/usr/bin/env bash
# Builds collabsim and runs every test (C++ GoogleTest suite, goldens, fuzz replays and the
# Python analysis tests) through CTest. Installs its own Debian packages first. When
# ../shared/data exists, COLLABSIM_REQUIRE_DATA=1: a test that needs the data fails instead
# of skipping, so the run cannot pass on skips.
#
# Both builds configure no compiler launcher, so they compile in unity batches
# (CMakeLists.txt COLLABSIM_UNITY_BUILD; a developer build with ccache compiles one object
# per source).
#
# Then the sanitizer stage (issue 10): a second build in build-asan/ with
# -DCOLLABSIM_SANITIZE=ON (AddressSanitizer + UndefinedBehaviorSanitizer at -O1,
# LeakSanitizer on, UB not recoverable) runs the CTest suite again, but
#   - analysis_python (tests only Python code, never runs the binary);
#   - python_module (the pybind11 module is loaded by /usr/bin/python3, which is not
#     linked with the sanitizer runtime; its C++ paths are the CLI's, tested above), so the
#     stage builds neither the module (COLLABSIM_PYTHON=OFF) nor the benchmarks;
#   - the label `statistical` (10^5-10^8 samples against analytic values: the statistics do
#     not change under a sanitizer; their code paths run in short `unit` variants such as
#     QueueingShortRuns).
# Every scenario in scenarios/ runs once, whole, in the golden cases (tests/golden/*.toml
# cover all of them). Any sanitizer report fails the script. The tests that start `mpirun`
# (Sweep.ThreadAndRankCountsGiveIdenticalTables, Sweep.InvalidPointStopsOrIsRecordedWithKeepGoing) run on their own with leak
# detection off: OpenMPI's start-up allocations in the MPI ranks (in dlclose'd plugins, so
# no suppression can name them) are reported as leaks; memory errors and UB still fail it.
# Arguments are passed to the Release ctest call and the sanitizer stage's main ctest call.
# COLLABSIM_SKIP_SANITIZE=1 skips the stage (quick local runs); CI (.ci/run) runs the
# default, with the stage. For a quick loop while editing: ctest --test-dir build -L unit.
# Measured durations: README.md, "Tests".
set -euo pipefail
cd "$(dirname "$0")"
./install-deps.sh
if [[ -d ../shared/data ]]; then
  export COLLABSIM_REQUIRE_DATA=1
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build-configure.log 2>&1 || { cat build-configure.log; exit 1; }
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"

if [[ "${COLLABSIM_SKIP_SANITIZE:-0}" == 1 ]]; then
  echo "test.sh: sanitizer stage skipped (COLLABSIM_SKIP_SANITIZE=1)"
  exit 0
fi
sanitize_start=$SECONDS
# halt_on_error: the first report ends the process with a failing exit code (UB is also
# compiled -fno-sanitize-recover); detect_leaks: leaks at exit fail too.
asan_options=halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1
export ASAN_OPTIONS=$asan_options
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mpi_test='^Sweep\.(ThreadAndRankCountsGiveIdenticalTables|InvalidPointStopsOrIsRecordedWithKeepGoing)$'
mkdir -p build-asan
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOLLABSIM_SANITIZE=ON -DCOLLABSIM_BUILD_BENCH=OFF -DCOLLABSIM_PYTHON=OFF \
  > build-asan/configure.log 2>&1 || { cat build-asan/configure.log; exit 1; }
cmake --build build-asan -j"$(nproc)"
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -LE '^statistical$' -E "^analysis_python\$|^python_module\$|$mpi_test" "$@"
ASAN_OPTIONS=$asan_options:detect_leaks=0 ctest --test-dir build-asan --output-on-failure -R "$mpi_test"
echo "test.sh: sanitizer stage passed in $((SECONDS - sanitize_start)) s"
