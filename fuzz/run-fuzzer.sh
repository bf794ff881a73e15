#!/bin/sh
# Builds the XenStore fuzzers with clang (ASan, UBSan, _GLIBCXX_ASSERTIONS) in their own build directory
# and runs each for part of SECONDS (default 60):
#   xs_message_fuzzer  one client's raw byte stream (framing, parsing), seeds in fuzz/seeds/
#   xs_store_fuzzer    2-8 clients' structured requests, store invariants after every message,
#                      seeds in fuzz/seeds/store/
# STORE_SHARE is the store fuzzer's percentage of the time (default 50). Exits non-zero when a fuzzer
# finds a crash, a leak, undefined behaviour or a broken invariant; the reproducer is left in
# build-fuzz/artifacts/<fuzzer>-crash-*. Both run even when the first fails.
#   fuzz/run-fuzzer.sh 60
#   STORE_SHARE=100 fuzz/run-fuzzer.sh 60      # the store fuzzer only
set -eu
seconds=${1:-60}
share=${STORE_SHARE:-50}
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../build-fuzz}
command -v clang++ >/dev/null || { echo "run-fuzzer: clang++ is required (Debian package clang)" >&2; exit 2; }
store_seconds=$((seconds * share / 100))
message_seconds=$((seconds - store_seconds))
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug >/dev/null
ninja -C "$build" -j "${JOBS:-1}" xs_message_fuzzer xs_store_fuzzer >/dev/null
mkdir -p "$build/corpus" "$build/corpus-store" "$build/artifacts"
find "$here/seeds" -maxdepth 1 -type f -exec cp -n {} "$build/corpus/" \;
cp -n "$here"/seeds/store/* "$build/corpus-store/" 2>/dev/null || true
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

status=0
run() {  # fuzzer corpus seconds max_len
  [ "$3" -gt 0 ] || return 0
  echo "run-fuzzer: $1 for $3 s" >&2
  "$build/$1" "$build/$2" -max_total_time="$3" -max_len="$4" \
    -artifact_prefix="$build/artifacts/$1-" -print_final_stats=1 || status=$?
}
run xs_message_fuzzer corpus "$message_seconds" 9000
run xs_store_fuzzer corpus-store "$store_seconds" 2048
exit "$status"
