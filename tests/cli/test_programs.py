"""serve-xenstore --scheduled --run: real programs run by xenrace itself, each a process actor against the simulated
xenstored (the `programs` scenario). A program is known by its actor, not by the order its connections arrive, so
one seed gives one schedule, byte for byte, and a failure's replay token carries the commands.

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli/test_programs.py
"""
import json
import os
import shutil
import tempfile

import pytest

from test_cli import xenrace

# Two programs claim /owner with a read, then a write: both can read "nobody" first, and then one of them finds
# the other's name there and exits 1.
CLAIM = ('if xenstore-read /owner >/dev/null 2>&1; then exit 0; fi; xenstore-write /owner "$XENRACE_PROGRAM"; '
         'test "$(xenstore-read /owner)" = "$XENRACE_PROGRAM"')


def locked(command, lock):
    return f'exec 9>>{lock}; flock 9; {command}'


@pytest.fixture(scope="module")
def runnable():
    if shutil.which("xenstore-read") is None or shutil.which("xenstore-write") is None:
        pytest.skip("xenstore-read and xenstore-write are not installed (Debian package xenstore-utils)")
    probe = json.loads(xenrace("explore", "programs", "--param", "run1=true", "--iterations", "1", "--json").stdout)
    if probe[0]["verdict"] == "skipped":
        pytest.skip(f"programs cannot run here: {probe[0]['skip_reason']}")


def test_the_claim_race_is_found_and_its_token_replays_it(runnable):
    found = xenrace("serve-xenstore", "--scheduled", "--run", CLAIM, "--run", CLAIM, check_code=1)
    assert "FAIL   programs/as-given  violated: actor failed" in found.stdout, found.stdout
    assert "p1 exited with status 1" in found.stdout
    token = next(w for w in found.stdout.split() if w.startswith("xr1-"))
    replayed = xenrace("replay", token, check_code=1)
    assert "verdict: FAIL: actor failed" in replayed.stdout
    # The same trace as the exploration recorded: the token's fingerprint matched (no divergence reported).
    assert "diverged" not in replayed.stdout + replayed.stderr


def test_one_seed_gives_one_schedule_byte_for_byte(runnable):
    argv = ["explore", "programs", "--param", f"run1={CLAIM}", "--param", f"run2={CLAIM}", "--seed", "3",
            "--iterations", "5", "--json"]
    first = json.loads(xenrace(*argv).stdout)
    again = json.loads(xenrace(*argv).stdout)
    assert first[0]["trace_hash"] == again[0]["trace_hash"]
    assert first[0]["replay"] == again[0]["replay"]


def test_with_a_lock_no_schedule_fails(runnable):
    with tempfile.TemporaryDirectory() as d:
        lock = os.path.join(d, "lock")
        ok = xenrace("serve-xenstore", "--scheduled", "--run", locked(CLAIM, lock), "--run", locked(CLAIM, lock),
                     "--iterations", "30", check_code=0)
    assert "PASS   programs/as-given  no failure in 30 sampled executions" in ok.stdout, ok.stdout


def test_setup_writes_nodes_first(runnable):
    xenrace("serve-xenstore", "--scheduled", "--setup", "/a=1;/b/c=two", "--iterations", "2",
            "--run", 'test "$(xenstore-read /a)" = 1 && test "$(xenstore-read /b/c)" = two', check_code=0)


@pytest.mark.parametrize("args, needle", [
    (["serve-xenstore", "--run", "true"], "--run needs --scheduled"),
    (["serve-xenstore", "--scheduled", "--run", "true", "--socket", "/tmp/x"], "not with --socket"),
    (["serve-xenstore"], "give --socket PATH"),
    (["explore", "programs"], "no program given"),
    (["explore", "programs", "--param", "run1=true", "--param", "setup=a=1"], "'a=1' is not /PATH=VALUE"),
])
def test_bad_input_is_a_usage_error(args, needle):
    p = xenrace(*args, check_code=2)
    assert needle in p.stderr, p.stderr


def test_explore_all_leaves_it_out():
    listed = json.loads(xenrace("list", "--json", check_code=0).stdout)
    assert next(s for s in listed if s["name"] == "programs")["by_name_only"] is True
    everything = json.loads(xenrace("explore", "--all", "--iterations", "1", "--json").stdout)
    assert all(r["scenario"] != "programs" for r in everything)


def test_shrink_budget_given_replaces_a_slow_scenarios_own(runnable):
    # The claim race, found: the scenario's executions are real programs, so it shrinks with its own budget of
    # 20 replays; --shrink-budget replaces that, whichever way.
    argv = ["explore", "programs", "--param", f"run1={CLAIM}", "--param", f"run2={CLAIM}", "--json"]
    own = json.loads(xenrace(*argv, check_code=1).stdout)[0]
    assert own["shrink_budget"] == 20 and own["shrink_runs"] <= 20, own
    given = json.loads(xenrace(*argv, "--shrink-budget", "1", check_code=1).stdout)[0]
    assert given["shrink_budget"] == 1 and given["shrink_runs"] <= 1, given
