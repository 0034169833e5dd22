#!/usr/bin/env bash
# Fails when any C or C++ source of the project is not clang-format clean; `--fix` rewrites them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mapfile -t files < <(find server shared console tests -name node_modules -prune -o \( -name '*.c' -o -name '*.cpp' -o -name '*.h' \) -print 2>/dev/null | sort)
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  echo "clang-format: formatted ${#files[@]} files"
  exit 0
fi
echo "checking ${#files[@]} files with $(clang-format --version)"
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: all ${#files[@]} files clean"
