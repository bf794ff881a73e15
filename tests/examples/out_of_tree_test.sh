#!/usr/bin/env bash
# examples_out_of_tree BUILD_DIR SOURCE_DIR: install xenrace into a scratch prefix, build examples/ against
# it (find_package, then pkg-config), and check through `xenrace --load` that every example race meets its
# expectation (each buggy variant fails, each fixed one passes) and that a failure's printed replay command,
# which carries its --load, replays the failure.
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "examples_out_of_tree: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" > "$work/install.log" || { cat "$work/install.log"; fail "cmake --install failed"; }
xr="$work/prefix/bin/xenrace"
[ -x "$xr" ] || fail "no installed bin/xenrace"

echo "== find_package(xenrace)"
cmake -S "$src/examples" -B "$work/examples" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log" ||
  { cat "$work/configure.log"; fail "examples/ does not configure against the installed package"; }
cmake --build "$work/examples" > "$work/build.log" || { cat "$work/build.log"; fail "examples/ does not build"; }
lib="$work/examples/libxenrace_examples.so"
[ -f "$lib" ] || fail "examples/ built no libxenrace_examples.so"

races=$("$xr" --load "$lib" list --json | /usr/bin/python3 -c '
import json, sys
print(" ".join(s["name"] for s in json.load(sys.stdin) if s["loaded_from"]))')
[ -n "$races" ] || fail "the library registered no scenario"
echo "races from the library: $races"

for race in $races; do
  echo "== explore $race"
  # Exit 0 only when every variant met its expectation; the JSON says which failed and which passed.
  "$xr" --load "$lib" explore "$race" --json > "$work/$race.json" || { cat "$work/$race.json"; fail "$race: a variant did not meet its expectation"; }
  /usr/bin/python3 - "$work/$race.json" <<'PY' || fail "$race: expectations"
import json, sys
rows = json.load(open(sys.argv[1]))
kinds = {r["expect"] for r in rows}
assert kinds == {"fail", "pass"}, f"an example needs a buggy and a fixed variant, got {kinds}"
for r in rows:
    assert r["met_expectation"], r
    assert (r["verdict"] == "fail") == (r["expect"] == "fail"), r
    print(f'  {r["variant"]}: {r["verdict"]} (expected {r["expect"]}) after {r["executions"]} executions')
PY
  # The human output's replay line is one command, --load included: it must reproduce the failure.
  replay=$("$xr" --load "$lib" explore "$race" | sed -n 's/^  replay: //p' | head -1)
  case "$replay" in *"--load $lib replay "*) ;; *) fail "$race: replay command lacks its --load: $replay" ;; esac
  set +e
  (cd "$work" && eval "$replay" > "$work/$race.replay" 2>&1)
  status=$?
  set -e
  grep -q "DIVERGED" "$work/$race.replay" && { cat "$work/$race.replay"; fail "$race: the replay diverged"; }
  [ "$status" -eq 0 ] || { cat "$work/$race.replay"; fail "$race: replay exit $status, expected 0 (the buggy variant failed, as expected)"; }
  grep -q "^verdict: FAIL" "$work/$race.replay" || { cat "$work/$race.replay"; fail "$race: the replay did not reproduce the failure"; }
done

echo "== without --load the races are unknown, and say so"
if "$xr" explore release-domain-dying > "$work/noload.out" 2>&1; then fail "a library race ran without --load"; fi
grep -q "unknown scenario 'release-domain-dying'" "$work/noload.out" || { cat "$work/noload.out"; fail "no clear error without --load"; }

echo "== pkg-config xenrace"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/$(gcc -print-multiarch)/pkgconfig"
flags=$(pkg-config --cflags --libs xenrace) || fail "pkg-config does not know xenrace"
# shellcheck disable=SC2086
g++ -shared -fPIC -o "$work/pc.so" "$src/examples/release_domain_dying.cpp" $flags || fail "pkg-config flags do not build an example"
"$xr" --load "$work/pc.so" explore release-domain-dying --variant fixed > /dev/null || fail "the pkg-config build does not run"
echo "examples_out_of_tree: ok"
