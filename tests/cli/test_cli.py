"""The xenrace CLI as scripts and CI use it: JSON shapes, exit codes, the replay round trip, bad input.

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
"""
import base64
import json
import os
import subprocess

import pytest

BIN = os.environ.get("XENRACE_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "xenrace"))


def xenrace(*args, check_code=None):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=600)
    if check_code is not None:
        assert p.returncode == check_code, (args, p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    return p


def assert_explores_as(explore_all, reports, *extra):
    """`explore --all --report-dir REPORTS EXTRA...` prints and writes what explore_all did: the text, replay
    commands included (the summary's wall time aside), every result of results.json (what --json prints,
    and more) but its wall-clock seconds, and every trace file byte for byte."""
    lines, results, first = explore_all
    out = xenrace("explore", "--all", "--report-dir", str(reports), *extra, check_code=0).stdout.splitlines()
    assert out[-1].startswith(f"reports: {reports} ("), out[-1]
    assert out[:-2] == lines[:-1]
    assert any(l.startswith("  replay: ") for l in lines)
    again = json.loads((reports / "results.json").read_text())["results"]
    assert len(again) == len(results) > 10
    for a, b in zip(results, again):
        assert {**a, "seconds": 0} == {**b, "seconds": 0}, (a["scenario"], a["variant"])
    traces = sorted(p.name for p in first.iterdir() if p.name.startswith("trace-"))
    assert traces and traces == sorted(p.name for p in reports.iterdir() if p.name.startswith("trace-"))
    for name in traces:
        assert (first / name).read_bytes() == (reports / name).read_bytes(), name


@pytest.fixture(scope="module")
def explored(explore_all):
    """Every variant's result at the default budgets (results.json holds what --json prints, and more)."""
    return explore_all[1]


def test_binary_exists():
    assert os.access(BIN, os.X_OK), f"build xenrace first: {BIN}"


def test_list_json_shape():
    scenarios = json.loads(xenrace("list", "--json", check_code=0).stdout)
    assert any(s["name"] == "demo-counter" for s in scenarios)
    for s in scenarios:
        assert set(s) >= {"name", "description", "source", "variants"}
        assert s["variants"], s["name"]
        for v in s["variants"]:
            assert v["expect"] in ("pass", "fail")


def test_explore_all_meets_every_expectation(explored):
    # --all runs every scenario but those selected by name only (programs: nothing without its commands).
    listed = [s for s in json.loads(xenrace("list", "--json").stdout) if not s["by_name_only"]]
    expected = {(s["name"], v["name"]): v["expect"] for s in listed for v in s["variants"]}
    got = {(r["scenario"], r["variant"]): r for r in explored}
    assert set(got) == set(expected)
    for key, r in got.items():
        assert set(r) >= {"scenario", "variant", "expect", "verdict", "met_expectation", "strategy", "seed",
                          "executions", "steps", "replay", "trace_hash", "message"}
        assert r["expect"] == expected[key]
        if r["verdict"] == "skipped":
            # It could not run here (real-block-script without Xen's scripts): neither met nor not met, and why.
            assert r["met_expectation"] is None and r["skip_reason"] and r["replay"] is None, r
            continue
        assert r["met_expectation"], r
        assert r["verdict"] == r["expect"]
        if r["verdict"] == "fail":
            assert r["replay"].startswith("xr1-") and r["message"]
        else:
            assert r["replay"] is None
            assert r["busiest_pass"].startswith("xr1-") and r["busiest_pass_preemptions"] >= 0


def test_every_busiest_pass_replays_to_a_pass(explored):
    for r in explored:
        if r["verdict"] == "pass":
            p = xenrace("replay", r["busiest_pass"], "--json", check_code=0)
            assert json.loads(p.stdout)["verdict"] == "pass", r


def test_every_failure_replays_to_the_same_hash(explored):
    failures = [r for r in explored if r["verdict"] == "fail"]
    assert failures
    for r in failures:
        p = xenrace("replay", r["replay"], "--json", check_code=0)
        out = json.loads(p.stdout)
        assert out["trace_hash"] == r["trace_hash"], r["scenario"]
        assert out["verdict"] == "fail" and not out["diverged"]
        human = xenrace("replay", r["replay"], check_code=0).stdout
        assert "trace_hash: " + r["trace_hash"] in human


def test_same_seed_gives_byte_identical_output(explore_all, tmp_path):
    # Every scenario, the real programs' included, at its own strategy, seed and budget: explore_all's command
    # again.
    assert_explores_as(explore_all, tmp_path)


def test_human_failure_output_has_invariant_trace_and_replay_command():
    out = xenrace("explore", "demo-counter", "--variant", "buggy", "--verbose", check_code=0).stdout
    assert "violated: no lost update" in out
    assert "map.put" in out
    assert " replay xr1-" in out


@pytest.mark.parametrize("args, needle", [
    (["explore", "no-such-scenario"], "unknown scenario 'no-such-scenario'"),
    (["explore", "demo-counter", "--variant", "nope"], "unknown variant 'nope'"),
    (["explore", "demo-counter", "--strategy", "magic"], "unknown strategy 'magic'"),
    (["explore"], "exactly one of SCENARIO or --all"),
    (["explore", "--all", "--bogus-option"], "--bogus-option"),
    (["replay", "not-a-token"], "must start with 'xr1-'"),
    (["replay", "xr1-@@@@"], "not base64url"),
    (["frobnicate"], "frobnicate"),
])
def test_bad_input_is_a_one_line_error_and_exit_2(args, needle):
    p = xenrace(*args)
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert needle in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr


def _retoken(token, mutate):
    """Decode a token, let `mutate` edit its byte string, fix the checksum, encode again."""
    body = token[len("xr1-"):]
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))[:-4]
    raw = bytearray(mutate(bytes(raw)))
    h = 2166136261
    for c in raw:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    raw += h.to_bytes(4, "little")
    return "xr1-" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


def test_truncated_and_foreign_tokens_are_refused(explored):
    token = next(r["replay"] for r in explored if r["verdict"] == "fail")
    for cut in (len(token) // 2, len(token) - 3):
        p = xenrace("replay", token[:cut])
        assert p.returncode == 2 and "invalid replay token" in p.stderr
    version = json.loads(xenrace("--version").stdout.split()[-1].join(['"', '"']))
    other = _retoken(token, lambda b: b.replace(version.encode(), b"9.9.9", 1))
    p = xenrace("replay", other)
    assert p.returncode == 2 and "made by xenrace 9.9.9" in p.stderr, p.stderr
    renamed = _retoken(token, lambda b: b.replace(b"demo-counter", b"demo-xounter", 1))
    if renamed != token:
        p = xenrace("replay", renamed)
        assert p.returncode == 2 and "unknown scenario" in p.stderr
