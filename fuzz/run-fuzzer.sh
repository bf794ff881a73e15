#!/bin/sh
# Builds the XenStore message fuzzer with clang in its own build directory and runs it for SECONDS
# (default 30). Exits non-zero when the fuzzer finds a crash, a leak or undefined behaviour; the
# reproducer is left in build-fuzz/artifacts/.
#   fuzz/run-fuzzer.sh 30
set -eu
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../build-fuzz}
command -v clang++ >/dev/null || { echo "run-fuzzer: clang++ is required (Debian package clang)" >&2; exit 2; }
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug >/dev/null
ninja -C "$build" xs_message_fuzzer >/dev/null
mkdir -p "$build/corpus" "$build/artifacts"
cp -n "$here"/seeds/* "$build/corpus/" 2>/dev/null || true
exec "$build/xs_message_fuzzer" "$build/corpus" -max_total_time="$seconds" -max_len=9000 \
  -artifact_prefix="$build/artifacts/" -print_final_stats=1
