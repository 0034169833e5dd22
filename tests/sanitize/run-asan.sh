#!/usr/bin/env bash
# Builds the Redis client and the untrusted-bytes decoders with AddressSanitizer and
# UndefinedBehaviorSanitizer in a tree of their own and runs their tests there. Any report
# fails the run. Usage: run-asan.sh <build-dir>
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: run-asan.sh <build-dir>}
targets=(tst_redisclient tst_redisurl tst_msgpack tst_socketio tst_engineio)

echo "configuring $build (ASan+UBSan, Debug)"
cmake -S "$root" -B "$build" -DSWITCHBOARD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >"$build.log" 2>&1 ||
  { cat "$build.log"; exit 1; }
echo "building ${targets[*]}"
cmake --build "$build" -j2 --target "${targets[@]}" >>"$build.log" 2>&1 ||
  { tail -50 "$build.log"; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=66
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export QT_QPA_PLATFORM=offscreen
failed=0
for t in "${targets[@]}"; do
  exe=$(find "$build/tests" -type f -name "$t" -perm -u+x | head -1)
  echo "== $t"
  if ! "$exe" 2>&1 | tee "$build/$t.out" | grep -E "^(Totals|FAIL)|ERROR: |runtime error"; then
    :
  fi
  status=${PIPESTATUS[0]}
  if ((status != 0)) || grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$build/$t.out"; then
    echo "$t: FAILED under sanitizers (exit $status); full output in $build/$t.out"
    failed=1
  fi
done
((failed == 0)) && echo "sanitizers: all ${#targets[@]} suites clean"
exit $failed
