#!/usr/bin/env bash
# Builds everything with AddressSanitizer (LeakSanitizer included) and UndefinedBehaviorSanitizer
# in a tree of its own and runs every C++ suite there through CTest: the labels unit,
# integration and gui. The suites that start switchboard-node processes get the sanitized
# node of that tree (CTest passes SWITCHBOARD_NODE). Any report fails the run, also one from
# a child process whose exit status no test looks at: every process writes its reports to
# files under <build-dir>/sanitizer-reports, and there must be none.
# Usage: run-asan.sh <build-dir>
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: run-asan.sh <build-dir>}
# The C++ suites: not interop, browser, fuzz or lint, and not sanitize itself.
labels='^(unit|integration|gui)$'
log=$build/sanitize-build.log
started=$SECONDS

# Compiling is what takes long here (the sanitized suites run in about two minutes): -O0 and
# line tables only (-g1, enough for the reports' stacks) compile about twice as fast as -O1 -g.
echo "configuring $build (ASan+UBSan, Debug -O0 -g1)"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DSWITCHBOARD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1 >"$log" 2>&1 || { cat "$log"; exit 1; }
echo "building every target"
cmake --build "$build" -j2 >>"$log" 2>&1 || { tail -50 "$log"; exit 1; }
echo "built in $((SECONDS - started)) s"

reports=$build/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
# ASan and LSan write whole reports there. UBSan (built with -fno-sanitize-recover, so the
# process stops at the first finding) prints its stack to stderr whatever log_path says, but
# its SUMMARY line, with the source location, lands in the file too. No leak of Qt or of the
# other libraries showed up, so LSan runs without suppressions.
common="halt_on_error=1:print_summary=1:log_path=$reports/report"
export ASAN_OPTIONS="$common:detect_leaks=1:abort_on_error=0:exitcode=66:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="$common:print_stacktrace=1"
export QT_QPA_PLATFORM=offscreen
export SWITCHBOARD_SANITIZED=1 # RSS bounds mean nothing under ASan (tests/integration/nodeprocess.h)

# In a process group of its own: a test that a sanitizer stops half-way leaves the nodes and
# redis-servers it started running, and they go with the group.
status=0
setsid ctest --test-dir "$build" -L "$labels" --output-on-failure --no-tests=error &
group=$!
trap 'kill -- -$group 2>/dev/null || true' EXIT
wait $group || status=$?
if compgen -G "$reports/report.*" >/dev/null; then
  for report in "$reports"/report.*; do
    echo "== $report"
    cat "$report"
  done
  echo "sanitizers: reports above (from the tests or the processes they started)"
  status=1
fi
((status == 0)) && echo "sanitizers: every C++ suite clean"
echo "sanitized run took $((SECONDS - started)) s"
exit $status
