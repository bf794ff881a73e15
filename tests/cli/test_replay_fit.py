"""Replay tokens whose schedule does not fit their scenario (relabelled as another variant, a truncated decision
list) are reported as diverged, never replayed silently; older tokens still replay.

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
"""
import base64
import json
import xml.etree.ElementTree as ET

import pytest

from test_cli import xenrace
from test_strict_cli import usage_error


# The token, byte for byte (runtime/schedule.cpp), so tests can edit one field and re-sign it.

def _varint(data, pos):
    v, shift = 0, 0
    while True:
        c = data[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, pos
        shift += 7


def _put_varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def decode(token):
    body = token[len("xr1-"):]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))[:-4]
    t = {"format": raw[0]}
    pos = 1

    def string():
        nonlocal pos
        n, pos = _varint(raw, pos)
        s = raw[pos:pos + n].decode()
        pos += n
        return s

    for key in ("version", "scenario", "variant", "strategy"):
        t[key] = string()
    t["seed"], pos = _varint(raw, pos)
    n, pos = _varint(raw, pos)
    t["params"] = [(string(), string()) for _ in range(n)]
    t["total"], pos = _varint(raw, pos)
    n, pos = _varint(raw, pos)
    t["decisions"], nxt = [], 0
    for _ in range(n):
        gap, pos = _varint(raw, pos)
        kind = raw[pos]
        value, pos = _varint(raw, pos + 1)
        t["decisions"].append((nxt + gap, kind, value))
        nxt += gap + 1
    t["recorded"] = None
    if t["format"] >= 2:
        has = raw[pos]
        pos += 1
        if has:
            steps, pos = _varint(raw, pos)
            trace_hash, pos = _varint(raw, pos)
            t["recorded"] = (steps, trace_hash)
    assert pos == len(raw)
    return t


def encode(t):

    def string(s):
        return _put_varint(len(s.encode())) + s.encode()

    b = bytearray([t["format"]])
    for key in ("version", "scenario", "variant", "strategy"):
        b += string(t[key])
    b += _put_varint(t["seed"]) + _put_varint(len(t["params"]))
    for k, v in t["params"]:
        b += string(k) + string(v)
    b += _put_varint(t["total"]) + _put_varint(len(t["decisions"]))
    nxt = 0
    for index, kind, value in t["decisions"]:
        b += _put_varint(index - nxt) + bytes([kind]) + _put_varint(value)
        nxt = index + 1
    if t["format"] >= 2:
        b.append(1 if t["recorded"] else 0)
        if t["recorded"]:
            b += _put_varint(t["recorded"][0]) + _put_varint(t["recorded"][1])
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    b += h.to_bytes(4, "little")
    return "xr1-" + base64.urlsafe_b64encode(bytes(b)).decode().rstrip("=")


@pytest.fixture(scope="module")
def pci_buggy():
    [r] = json.loads(xenrace("explore", "pci-attach", "--variant", "buggy", "--json", check_code=0).stdout)
    assert r["verdict"] == "fail"
    return r


def test_token_round_trips_through_the_test_codec(pci_buggy):
    t = decode(pci_buggy["replay"])
    assert t["format"] == 2 and t["scenario"] == "pci-attach" and t["variant"] == "buggy"
    assert t["recorded"] and t["recorded"][0] > 0
    assert encode(t) == pci_buggy["replay"]
    out = json.loads(xenrace("replay", pci_buggy["replay"], "--json", check_code=0).stdout)
    assert out["diverged"] is False and out["divergence"] == ""
    assert out["steps"] == t["recorded"][0]


def _diverges(token, variant):
    p = xenrace("replay", token, "--json")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert len(p.stderr.strip().splitlines()) == 1 and "replay diverged" in p.stderr, p.stderr
    out = json.loads(p.stdout)
    assert out["diverged"] is True and out["met_expectation"] is False
    assert f"does not fit pci-attach/{variant}" in out["divergence"]
    human = xenrace("replay", token)
    assert human.returncode == 2 and "DIVERGED: " in human.stdout
    return out


@pytest.mark.parametrize("variant", ["fixed", "buggy-existing-backend"])
def test_relabelled_token_is_reported_as_not_fitting(pci_buggy, variant):
    t = decode(pci_buggy["replay"])
    t["variant"] = variant
    _diverges(encode(t), variant)


@pytest.mark.parametrize("fingerprint", [True, False])
def test_truncated_decision_list_is_reported(pci_buggy, fingerprint):
    t = decode(pci_buggy["replay"])
    assert t["decisions"]
    t["decisions"] = t["decisions"][:-1]
    if not fingerprint:  # a format-1 token has none: the decision count tells
        t["format"], t["recorded"] = 1, None
    _diverges(encode(t), "buggy")


def test_format_1_token_still_replays(pci_buggy):
    t = decode(pci_buggy["replay"])
    t["format"], t["recorded"] = 1, None
    out = json.loads(xenrace("replay", encode(t), "--json", check_code=0).stdout)
    assert out["diverged"] is False and out["trace_hash"] == pci_buggy["trace_hash"]


def test_token_with_an_unknown_param_is_refused(pci_buggy):
    t = decode(pci_buggy["replay"])
    t["params"] = [("nosuch", "1")]
    usage_error(["replay", encode(t)], ["the replay token's parameter key 'nosuch'", "it accepts: attaches, faults"])


def test_diverged_replay_is_a_junit_failure(pci_buggy, tmp_path):
    t = decode(pci_buggy["replay"])
    t["variant"] = "fixed"
    p = xenrace("replay", encode(t), "--report-dir", str(tmp_path))
    assert p.returncode == 2
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.get("failures") == "1"
    [failure] = root.iter("failure")
    assert failure.get("type") == "replay-diverged" and "does not fit" in failure.get("message")
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["summary"]["all_met"] is False and results["results"][0]["diverged"] is True


# --against FILE: every step checked against the recorded trace, and the first step that differs named.
@pytest.fixture(scope="module")
def pci_buggy_report(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    xenrace("explore", "pci-attach", "--variant", "buggy", "--report-dir", str(d), check_code=0)
    results = json.loads((d / "results.json").read_text())
    [r] = results["results"]
    assert r["verdict"] == "fail" and r["trace"]["events"]
    return d / "results.json", r["replay"], results


def test_replay_matches_its_recorded_trace_step_by_step(pci_buggy_report):
    path, token, results = pci_buggy_report
    p = xenrace("replay", token, "--against", str(path), check_code=0)  # the buggy variant fails, as expected
    events = len(results["results"][0]["trace"]["events"])
    assert f"every step as recorded in {path}: {events} events" in p.stdout, p.stdout[-500:]
    out = json.loads(xenrace("replay", token, "--against", str(path), "--json", check_code=0).stdout)
    assert out["diverged"] is False and out["checked_against"] == str(path)
    # What replay --json prints is a recording too.
    again = path.parent / "replay.json"
    again.write_text(json.dumps(out))
    xenrace("replay", token, "--against", str(again), check_code=0)


@pytest.mark.parametrize("change", ["result", "actor", "drop-last", "extra"])
def test_a_recording_that_differs_is_named_at_its_first_different_step(pci_buggy_report, tmp_path, change):
    path, token, results = pci_buggy_report
    events = results["results"][0]["trace"]["events"]
    at = len(events) // 2
    edited = json.loads(json.dumps(results))
    ev = edited["results"][0]["trace"]["events"]
    if change == "result":
        ev[at]["result"] = "EIO"
        needle = f"step {events[at]['step']}: recorded `{events[at]['actor']} {events[at]['op']}"
    elif change == "actor":
        ev[at]["actor"] = "somebody else"
        needle = f"step {events[at]['step']}: recorded `somebody else {events[at]['op']}"
    elif change == "drop-last":
        ev.pop()
        needle = f"the recording ends after {len(events) - 1} events"
    else:
        ev.append(dict(ev[-1]))
        needle = f"the replay ended after {len(events)} events"
    f = tmp_path / "results.json"
    f.write_text(json.dumps(edited))
    p = xenrace("replay", token, "--against", str(f))
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "replay diverged: not the recorded trace of" in p.stderr and needle in p.stderr, p.stderr
    assert "DIVERGED: " in p.stdout


def test_a_replay_checked_against_a_recording_stops_at_the_first_step_that_differs(pci_buggy_report, tmp_path):
    path, token, results = pci_buggy_report
    events = results["results"][0]["trace"]["events"]
    at = len(events) // 3
    edited = json.loads(json.dumps(results))
    edited["results"][0]["trace"]["events"][at]["result"] = "EIO"
    f = tmp_path / "results.json"
    f.write_text(json.dumps(edited))
    p = xenrace("replay", token, "--against", str(f), "--json")
    assert p.returncode == 2, (p.returncode, p.stderr)
    out = json.loads(p.stdout)
    # It ran up to and including the step that differs, and not on: no verdict, and no fit complaint about
    # the recorded decisions it never reached.
    assert len(out["trace"]["events"]) == at + 1, (len(out["trace"]["events"]), at)
    assert out["verdict"] == "none" and out["diverged"] is True
    assert out["divergence"].startswith(f"not the recorded trace of {f}: step {events[at]['step']}: "), out["divergence"]
    assert out["divergence"].endswith("(the replay stopped there)"), out["divergence"]
    text = xenrace("replay", token, "--against", str(f)).stdout
    assert "verdict: none: the replay stopped at the first step that differs from the recording" in text


@pytest.mark.parametrize("content, needles", [
    (None, ["--against", "cannot read it"]),
    ("{not json", ["--against", "not JSON"]),
    ("[1, 2]", ["--against", "not a JSON object"]),
    ('{"results": [{"scenario": "pci-attach", "variant": "fixed", "trace": null}]}',
     ["--against", "no recorded trace of pci-attach/buggy"]),
    ('{"trace": {"events": []}, "scenario": "demo-counter", "variant": "buggy"}',
     ["--against", "its trace is of demo-counter/buggy, not pci-attach/buggy"]),
])
def test_a_bad_recording_is_refused_before_anything_runs(pci_buggy_report, tmp_path, content, needles):
    _, token, _ = pci_buggy_report
    f = tmp_path / "recording.json"
    if content is not None:
        f.write_text(content)
    usage_error(["replay", token, "--against", str(f)], needles)


def test_a_malformed_recorded_event_is_named(pci_buggy_report, tmp_path):
    path, token, results = pci_buggy_report
    edited = json.loads(json.dumps(results))
    del edited["results"][0]["trace"]["events"][3]["op"]
    f = tmp_path / "results.json"
    f.write_text(json.dumps(edited))
    p = xenrace("replay", token, "--against", str(f))
    assert p.returncode == 2 and 'event 3 has no "op"' in p.stderr, p.stderr
