#!/usr/bin/env bash
# Fails when a tracked C++ file is not clang-format clean (.clang-format; generated files excluded).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 1; }
files=$(git ls-files '*.cpp' '*.h' 2>/dev/null | grep -v '/gen/' || true)
[ -n "$files" ] || { echo "no tracked C++ files (not a git checkout?)"; exit 1; }
clang-format --dry-run -Werror $files
echo "clang-format: $(echo "$files" | wc -l) files clean"
