"""`xenrace explore/replay --report-dir` end to end, through the real binary: the four report kinds, one
JUnit testcase per variant, the replay round trip, and a directory that cannot be written.

Run from the repository root: /usr/bin/python3 -m pytest tests/driver   (skips without a xenrace binary;
set XENRACE_BIN or build build/xenrace)
"""
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def xenrace():
    for c in [os.environ.get("XENRACE_BIN", ""), str(REPO / "build" / "xenrace")]:
        if c and os.access(c, os.X_OK):
            return c
    pytest.skip("no xenrace binary: build it or set XENRACE_BIN")


def run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True)


def test_failing_buggy_variant_writes_all_four_reports(xenrace, tmp_path):
    p = run(xenrace, "explore", "demo-counter", "--variant", "buggy", "--report-dir", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert sorted(os.listdir(tmp_path)) == ["junit.xml", "results.json", "timeline.html",
                                            "trace-demo-counter-buggy.json"]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["schema"] == "xenrace-results" and results["complete"] is True
    [r] = results["results"]
    assert r["verdict"] == "fail" and r["met_expectation"] and r["replay_command"].endswith(r["replay"])
    assert {e["actor"] for e in r["trace"]["events"]} >= set(r["trace"]["actors"])
    trace = json.loads((tmp_path / "trace-demo-counter-buggy.json").read_text())
    names = {e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names >= set(r["trace"]["actors"])
    html = (tmp_path / "timeline.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "violated invariant: no lost update" in html
    ET.parse(tmp_path / "junit.xml")  # well-formed


def test_junit_has_one_testcase_per_variant(xenrace, tmp_path):
    listed = [s for s in json.loads(run(xenrace, "list", "--json").stdout) if not s["by_name_only"]]
    p = run(xenrace, "explore", "--all", "--iterations", "50", "--report-dir", str(tmp_path))
    assert p.returncode in (0, 1), p.stderr
    root = ET.parse(tmp_path / "junit.xml").getroot()
    cases = {(tc.get("classname"), tc.get("name")) for tc in root.iter("testcase")}
    assert cases == {("xenrace." + s["name"], v["name"]) for s in listed for v in s["variants"]}
    results = json.loads((tmp_path / "results.json").read_text())
    failing = [r for r in results["results"] if r["verdict"] == "fail"]
    for r in failing:
        assert (tmp_path / r["trace_file"]).is_file()
    unmet = [tc for tc in root.iter("testcase") if tc.find("failure") is not None]
    assert len(unmet) == results["summary"]["unmet_expectations"]
    assert p.returncode == (1 if unmet else 0)


def test_replay_writes_the_same_reports(xenrace, tmp_path):
    found = json.loads(run(xenrace, "explore", "demo-counter", "--variant", "buggy", "--json").stdout)[0]
    p = run(xenrace, "replay", found["replay"], "--report-dir", str(tmp_path / "replay"))
    assert p.returncode == 0, p.stderr
    results = json.loads((tmp_path / "replay" / "results.json").read_text())
    assert results["command"] == "replay"
    [r] = results["results"]
    assert r["verdict"] == "fail" and r["trace_hash"] == found["trace_hash"]
    assert (tmp_path / "replay" / "trace-demo-counter-buggy.json").is_file()


@pytest.mark.parametrize("command", ["explore", "replay"])
def test_unwritable_report_dir_is_a_clear_usage_error(xenrace, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    bad = blocker / "reports"
    if command == "explore":
        argv = ["explore", "demo-counter", "--report-dir", str(bad)]
    else:
        token = json.loads(run(xenrace, "explore", "demo-counter", "--variant", "buggy", "--json").stdout)[0]["replay"]
        argv = ["replay", token, "--report-dir", str(bad)]
    p = run(xenrace, *argv)
    assert p.returncode == 2
    assert f"cannot write the report directory '{bad}'" in p.stderr
    assert p.stdout == ""  # refused before doing the work
