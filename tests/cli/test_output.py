"""What a person sees from `xenrace explore`: one line per variant and a summary by default, the trace with
-v (polling loops folded, the time only where the virtual clock moves), -q, progress on stderr in a log,
ids and globs as input, and `xenrace help`. Scripts read --json, which these tests leave alone.

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
"""
import json
import os
import pty
import re
import subprocess

import pytest

from test_cli import BIN, xenrace

SUMMARY = re.compile(r"^(\d+) variants?: (\d+) met expectation \((\d+) passed, (\d+) failed as expected\), "
                     r"(?:0 not met|(\d+) NOT MET \((\d+) unexpected pass(?:es)?, (\d+) failed\))"
                     r"(?:; (\d+) verified(?: \((\d+) of them only within a preemption bound\))?"
                     r"(?:, (\d+) NOT VERIFIED within budget)?)?"
                     r"(?:; (\d+) skipped \(could not run here\))? in [\d.]+ s$")


@pytest.fixture(scope="module")
def listed():
    return {(s["name"], v["name"]): v["expect"] for s in json.loads(xenrace("list", "--json").stdout)
            if not s["by_name_only"] for v in s["variants"]}


def selected(*args):
    """The (scenario, variant) pairs `explore ARGS` runs, from its (unchanged) --json output."""
    p = xenrace("explore", *args, "--iterations", "1", "--no-shrink", "--json")
    assert p.returncode in (0, 1), (args, p.stderr)
    return [(r["scenario"], r["variant"]) for r in json.loads(p.stdout)]


def test_explore_all_prints_a_line_per_variant_a_replay_per_failure_and_a_summary(listed, explore_all):
    out = explore_all[0]
    # A variant this host cannot run (real-block-script without Xen's scripts) is one SKIP line with the reason,
    # counted apart in the summary; every other variant gets a verdict.
    skipped = {tuple(l.split()[1].split("/")) for l in out if l.startswith("SKIP ")}
    assert all(re.match(r"^SKIP   \S+\s+\S", l) for l in out if l.startswith("SKIP ")), out
    ran = {k: e for k, e in listed.items() if k not in skipped}
    failing = sum(1 for e in ran.values() if e == "fail")
    # A failure also names where the interleaving went wrong, when its trace shows a racing pair.
    races = sum(1 for l in out if l.startswith(("  stale read at step ", "  racing pair: step ")))
    assert 0 < races <= failing
    # Shrinking to fewer actors says so, as does a smaller count that fails with a worse witness.
    counts = sum(1 for l in out if l.startswith(("  shrunk to ", "  also fails with ")))
    # A witness whose shrinking ran out of replays half-way says so (a real-program scenario's low budget).
    cut = sum(1 for l in out if l.startswith("  shrinking stopped at its budget of "))
    assert cut <= failing
    assert len(out) == len(listed) + failing + races + counts + cut + 1, "\n".join(out[:40])
    verdicts = [l for l in out if l.startswith(("XFAIL ", "PASS "))]
    assert len(verdicts) == len(ran)
    for line in verdicts:
        ident = line.split()[1]
        scenario, variant = ident.split("/")
        assert line.startswith("XFAIL " if listed[(scenario, variant)] == "fail" else "PASS "), line
        if line.startswith("XFAIL "):
            assert "  violated: " in line and "(found after " in line, line
    assert sum(1 for l in out if l.startswith("  replay: ")) == failing
    m = SUMMARY.match(out[-1])
    assert m, out[-1]
    # The count is of the variants that ran; the skipped ones are counted after it.
    assert int(m.group(1)) == len(ran) and int(m.group(2)) == len(ran)
    assert int(m.group(3)) == len(ran) - failing and int(m.group(4)) == failing
    assert int(m.group(11) or 0) == len(skipped), out[-1]


def test_the_default_output_has_no_trace_and_verbose_has_it():
    quiet = xenrace("explore", "demo-counter/buggy", check_code=0).stdout
    assert not re.search(r"^\s+\d+\s", quiet, re.M), "no trace lines: " + quiet
    # Only the race, in one line.
    assert re.search(r"^  stale read at step \d+ \(client A: map.get counter -> 0\), made stale at step \d+ by "
                     r"client B \(map.put counter=1\), used at step \d+ \(map.put counter=1\)$", quiet, re.M), quiet
    assert quiet.splitlines()[0].startswith("XFAIL  demo-counter/buggy  violated: no lost update  (found after ")
    loud = xenrace("explore", "demo-counter/buggy", "-v", check_code=0).stdout
    assert "map.put" in loud
    assert "  violated: no lost update: counter is 1 after 2 increments" in loud
    assert re.search(r"^  trace: \d+ steps, 1 preemption \(shrunk to the fewest decisions", loud, re.M), loud
    assert "0.000000s" not in loud, "the clock never moves in demo-counter: no time column"
    first = xenrace("explore", "demo-counter/buggy", "-v", "--no-shrink", check_code=0).stdout
    assert re.search(r"^  trace: \d+ steps, \d+ preemptions? \(the first failure, not shrunk\)$", first, re.M), first
    assert "shortest trace found" not in loud + first


def expand(printed):
    """The events a folded trace stands for, as (step, 'actor op args -> result') with whitespace squeezed."""
    events, block = [], []
    for line in printed:
        marker = re.match(r"^\s+…×(\d+) \(the (\d+) lines above", line)
        if marker:
            n, length = int(marker.group(1)), int(marker.group(2))
            body = events[-length:]
            events += [(None, text) for _ in range(n - 1) for _, text in body]
            continue
        m = re.match(r"^\s+(\d+)\s+(?:\d+\.\d{6}s\s+)?(.*?)(?:  …×(\d+) \(to step \d+.*\))?$", line)
        assert m, line
        text = " ".join(re.sub(r"  <- .*$", "", m.group(2)).split())  # the marks are not the event's
        events.append((int(m.group(1)), text))
        events += [(None, text)] * (int(m.group(3) or 1) - 1)
    return events


def test_a_verbose_trace_folds_polling_loops_and_stands_for_every_event():
    # The shrunk failure of this variant waits 10 s of virtual time for the backend: 100 polls of one node.
    p = xenrace("explore", "pci-attach/buggy-backend-wait-only", "-v", check_code=0)
    lines = p.stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("  trace: ")) + 1
    end = next(i for i, l in enumerate(lines) if l.startswith("  replay: "))
    token = lines[end].split(" replay ", 1)[1]
    if lines[end - 1].startswith(("  stale read at step ", "  racing pair: step ")):
        end -= 1  # the one-line summary of the race, after the trace
    printed = lines[start:end]
    trace = json.loads(xenrace("replay", token, "--json", check_code=0).stdout)["trace"]
    want = [" ".join(f"{e['actor']} {e['op']} {e['args']} -> {e['result']}".split()) for e in trace["events"]]
    assert any("…×" in l for l in printed), "\n".join(printed)
    assert len(printed) < len(want) * 3 // 4, (len(printed), len(want))
    got = expand(printed)
    assert [t for _, t in got] == want
    for (printed_step, _), event in zip(got, trace["events"]):
        assert printed_step is None or printed_step == event["step"]
    every = xenrace("explore", "pci-attach/buggy-backend-wait-only", "-v", "--no-fold", check_code=0).stdout.splitlines()
    assert "…×" not in "\n".join(every)
    assert len(every) - len(lines) == len(want) - len(printed)


def test_the_time_column_shows_only_where_the_virtual_clock_moves():
    p = xenrace("explore", "pci-attach/buggy-backend-wait-only", "-v", "--no-fold", check_code=0)
    trace = [l for l in p.stdout.splitlines() if re.match(r"^\s+\d+\s", l)]
    times = [m.group(1) for l in trace if (m := re.match(r"^\s+\d+\s+(\d+\.\d{6}s)\s", l))]
    assert len(times) > 10 and len(times) < len(trace) // 2, (len(times), len(trace))
    for a, b in zip(times, times[1:]):
        assert a != b, times
    assert times[-1] == "10.000000s"


def test_a_not_met_expectation_is_loud_and_quiet_prints_only_it_and_the_summary():
    args = ["explore", "demo-counter", "--strategy", "dfs", "--preemptions", "0"]
    out = xenrace(*args, check_code=1).stdout.splitlines()
    # dfs at bound 0 finishes its tree: both verdicts are proofs within the bound, the buggy one a wrong one.
    assert re.match(r"^UNEXPECTED PASS  demo-counter/buggy  verified: every schedule explored \(bound 0, dfs\), "
                    r"\d+ executions \(expected to fail\)$", out[0]), out
    assert re.match(r"^PASS   demo-counter/fixed  verified: every schedule explored \(bound 0, dfs\), \d+ executions$",
                    out[1]), out
    m = SUMMARY.match(out[-1])
    assert m and m.group(5) == "1" and m.group(6) == "1" and m.group(7) == "0", out[-1]
    assert m.group(8) == "2" and m.group(9) == "2", out[-1]  # both proofs are bound 0's
    q = xenrace(*args, "-q", check_code=1).stdout.splitlines()
    assert q == [out[0], out[-1]], q
    # All met: -q prints the summary, and a variant that could not run here, which is news too (the suite points
    # real-block-script at no scripts; where it runs, there is no SKIP line).
    quiet_all = xenrace("explore", "demo-counter", "real-block-script", "-q", check_code=0).stdout.splitlines()
    assert all(l.startswith("SKIP ") for l in quiet_all[:-1]) and SUMMARY.match(quiet_all[-1]), quiet_all


def test_report_dir_is_named_in_the_output(tmp_path):
    out = xenrace("explore", "demo-counter", "--report-dir", str(tmp_path / "r"), check_code=0).stdout
    assert out.splitlines()[-1].startswith(f"reports: {tmp_path / 'r'} ("), out
    assert (tmp_path / "r" / "junit.xml").exists()


def test_progress_goes_to_stderr_of_a_log_with_rate_and_budget():
    p = xenrace("explore", "demo-counter/fixed", "--progress-interval", "0", check_code=0)
    lines = p.stderr.splitlines()
    assert lines, "no progress line"
    for l in lines:
        assert re.match(r"^progress: demo-counter/fixed: \d+/\d+ executions, \d+ executions/s(, ETA at most "
                        r"[\d.]+ s)?$", l), l
    assert "\r" not in p.stderr
    assert xenrace("explore", "demo-counter/fixed", "--progress-interval", "0", "--no-progress").stderr == ""
    assert xenrace("explore", "demo-counter/fixed", "--progress-interval", "0", "--json").stdout == \
        xenrace("explore", "demo-counter/fixed", "--json").stdout


def test_progress_on_a_terminal_is_one_rewritten_line():
    leader, follower = pty.openpty()
    p = subprocess.run([BIN, "explore", "demo-counter/fixed"], stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert p.returncode == 0
    text = seen.decode()
    assert "\r\x1b[K" in text and "executions/s" in text, repr(text[:300])
    assert "\n" not in text.replace("\r\n", ""), "a terminal gets no new lines"


def test_ids_as_printed_lists_and_globs_are_accepted(listed):
    assert selected("demo-counter/buggy") == [("demo-counter", "buggy")]
    assert selected("demo-counter/fixed,demo-counter/buggy") == [("demo-counter", "fixed"), ("demo-counter", "buggy")]
    both = selected("xenstored-boot-order", "demo-counter/fixed")
    assert both == [k for k in listed if k[0] == "xenstored-boot-order"] + [("demo-counter", "fixed")]
    assert selected("*/buggy") == [k for k in listed if k[1] == "buggy"]
    assert selected("demo-*", "--variant", "fix*") == [("demo-counter", "fixed")]
    assert selected("--all", "--variant", "fixed*") == [k for k in listed if k[1].startswith("fixed")]
    assert selected("demo-counter", "demo-counter/buggy") == [("demo-counter", "buggy"), ("demo-counter", "fixed")]


@pytest.mark.parametrize("args, needle", [
    (["explore", "nomatch-*"], "'nomatch-*' matches no scenario"),
    (["explore", "demo-counter/nope"], "unknown variant 'nope' of scenario 'demo-counter'"),
    (["explore", "demo-counter/x*"], "'demo-counter/x*' matches no variant"),
    (["explore", "demo-counter", "--variant", "zz*"], "--variant 'zz*' matches no variant"),
    (["explore", "demo-counter,nope"], "unknown scenario 'nope'"),
])
def test_names_and_globs_that_match_nothing_are_usage_errors(args, needle):
    p = xenrace(*args)
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert p.stdout == ""
    assert needle in p.stderr and len(p.stderr.splitlines()) == 1, p.stderr


@pytest.mark.parametrize("command", [[], ["explore"], ["replay"], ["list"]])
def test_help_is_the_same_as_dash_dash_help(command):
    a = xenrace("help", *command, check_code=0).stdout
    b = xenrace(*command, "--help", check_code=0).stdout
    assert a == b
    assert "usage" in a.lower() and "--help" in a


def test_help_for_an_unknown_command_is_a_usage_error():
    p = xenrace("help", "frobnicate")
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr


def test_replay_folds_its_trace_too_unless_told_not_to():
    out = xenrace("explore", "pci-attach/buggy-backend-wait-only", check_code=0).stdout
    token = next(l for l in out.splitlines() if l.startswith("  replay: ")).split(" replay ", 1)[1]
    folded = xenrace("replay", token, check_code=0).stdout
    every = xenrace("replay", token, "--no-fold", check_code=0).stdout
    assert "…×" in folded and "…×" not in every
    assert folded.splitlines()[-2:] == every.splitlines()[-2:]  # verdict and trace_hash
    assert len(every.splitlines()) > len(folded.splitlines()) + 50


def test_a_witness_the_shrink_budget_cut_short_says_how_to_go_on():
    # pci-attach/buggy under random: the first failure switches actors at most steps, and three replays cannot
    # shrink that; the line before the replay says so and names the option. With the default budget the
    # shrinker finishes, the witness is simpler, and nothing is said. (pci-attach/buggy-backend-wait-only spends
    # all 1000 replays, in the passes that try every single decision, on a witness of 3 preemptions: not cut
    # short, and nothing is said, as test_a_verbose_trace_folds_polling_loops_and_stands_for_every_event sees.)
    argv = ["explore", "pci-attach/buggy", "--strategy", "random"]
    cut = xenrace(*argv, "--shrink-budget", "3", check_code=0).stdout.splitlines()
    hint = [i for i, line in enumerate(cut) if "shrinking stopped at its budget of 3 replays" in line]
    assert len(hint) == 1, cut
    assert "--shrink-budget N lets it go on" in cut[hint[0]]
    assert cut[hint[0] + 1].startswith("  replay: "), cut
    cut_json = json.loads(xenrace(*argv, "--shrink-budget", "3", "--json", check_code=0).stdout)[0]
    assert cut_json["shrink_runs"] == cut_json["shrink_budget"] == 3 and cut_json["shrink_cut_short"], cut_json
    full = xenrace(*argv, check_code=0).stdout
    assert "shrinking stopped" not in full, full
    full_json = json.loads(xenrace(*argv, "--json", check_code=0).stdout)[0]
    assert full_json["shrink_runs"] < full_json["shrink_budget"] == 1000, full_json
    assert not full_json["shrink_cut_short"], full_json
    assert full_json["preemptions"] < cut_json["preemptions"], (full_json, cut_json)
    # A budget of 0 (real-block-script's own): the witness as found, and a line that says it was not shrunk.
    none = xenrace(*argv, "--shrink-budget", "0", check_code=0).stdout.splitlines()
    hint = [i for i, line in enumerate(none) if line.startswith("  not shrunk (a shrink budget of 0 replays): ")]
    assert len(hint) == 1 and "shrinking stopped" not in "".join(none), none
    assert none[hint[0] + 1].startswith("  replay: "), none
    none_json = json.loads(xenrace(*argv, "--shrink-budget", "0", "--json", check_code=0).stdout)[0]
    assert none_json["shrink_runs"] == none_json["shrink_budget"] == 0 and none_json["shrink_cut_short"], none_json
    assert none_json["preemptions"] >= cut_json["preemptions"], (none_json, cut_json)
    assert none_json["failure_steps"] == none_json["first_failure_steps"], none_json
