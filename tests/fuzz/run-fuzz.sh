#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in a tree of their own, or runs one of them for a
# bounded time from its seed corpus; any crash or sanitizer report fails the run.
# Usage: run-fuzz.sh build <tree> | run-fuzz.sh run <tree> <target>   (FUZZ_SECONDS, default 20)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:?usage: run-fuzz.sh build|run <tree> [target]}
tree=${2:?usage: run-fuzz.sh build|run <tree> [target]}
install_hint="install clang and libFuzzer: apt-get install -y clang libclang-rt-14-dev (or make deps)"

# A missing compiler fails here, loudly: a fuzz run that silently did not happen proves nothing.
require_libfuzzer() {
  if ! command -v clang++ >/dev/null 2>&1; then
    echo "FAIL: clang++ not found; $install_hint"
    exit 1
  fi
  mkdir -p "$tree"
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }\n' \
    >"$tree/probe.cpp"
  if ! clang++ -fsanitize=fuzzer,address,undefined "$tree/probe.cpp" -o "$tree/probe" \
    >"$tree/probe.log" 2>&1; then
    cat "$tree/probe.log"
    echo "FAIL: clang++ cannot link -fsanitize=fuzzer,address,undefined; $install_hint"
    exit 1
  fi
}

case "$mode" in
build)
  require_libfuzzer
  echo "configuring $tree (clang++, libFuzzer + ASan + UBSan)"
  cmake -S "$here/targets" -B "$tree" -DCMAKE_CXX_COMPILER=clang++ >"$tree.log" 2>&1 ||
    { cat "$tree.log"; exit 1; }
  cmake --build "$tree" -j2 >>"$tree.log" 2>&1 || { tail -50 "$tree.log"; exit 1; }
  echo "built: $(find "$tree" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x -printf '%f ')"
  ;;
run)
  target=${3:?usage: run-fuzz.sh run <tree> <target>}
  require_libfuzzer
  exe="$tree/$target"
  [[ -x "$exe" ]] || { echo "FAIL: $exe is not built (the fuzz.build test builds it)"; exit 1; }
  # New inputs go to a corpus in the build tree; the committed seeds are only read.
  mkdir -p "$tree/$target.corpus"
  export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  dict=()
  [[ -f "$here/dict/$target.dict" ]] && dict=(-dict="$here/dict/$target.dict")
  status=0
  "$exe" "${dict[@]}" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$tree/$target-" \
    "$tree/$target.corpus" "$here/corpus/$target" >"$tree/$target.log" 2>&1 || status=$?
  if ((status != 0)) || grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|FUZZ CHECK" \
    "$tree/$target.log"; then
    tail -60 "$tree/$target.log"
    echo "FAIL: $target found a problem (exit $status); the input is saved as $tree/$target-*,"
    echo "replay it with: $exe <that file>; full output in $tree/$target.log"
    exit 1
  fi
  grep -E "^Done |stat::number_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" \
    "$tree/$target.log"
  echo "$target: no crash, no sanitizer report"
  ;;
*)
  echo "usage: run-fuzz.sh build|run <tree> [target]"
  exit 2
  ;;
esac
