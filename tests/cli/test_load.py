"""`xenrace --load LIB.so`: scenarios from a shared library built against the installed API run under the stock
CLI, replay with the --load their replay command carries, and a library that cannot serve is refused (exit 2,
naming it). Also each scenario's own default strategy, and typed --param values.

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
"""
import json
import os
import shlex
import subprocess

import pytest

from test_cli import BIN, xenrace

PLUGINS = os.path.join(os.path.dirname(os.path.abspath(BIN)), "test-plugins")
EXAMPLES = os.path.join(PLUGINS, "libapi_plugin_examples.so")


def plugin(name):
    path = os.path.join(PLUGINS, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is not built (the api_plugin_* targets of tests/api)")
    return path


def refused(args, needles, env=None):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env=env)
    assert p.returncode == 2, (args, p.returncode, p.stdout[-500:], p.stderr)
    assert p.stdout == "", p.stdout[-500:]
    for n in needles:
        assert n in p.stderr, (n, p.stderr)


def test_a_missing_library_is_refused_by_name():
    refused(["--load", "/nonexistent/libraces.so", "list"], ["--load /nonexistent/libraces.so", "No such file"])


def test_a_file_that_is_not_a_library_is_refused():
    refused(["--load", "/etc/hostname", "list"], ["--load /etc/hostname"])


def test_a_library_without_scenarios_is_refused():
    lib = plugin("libapi_plugin_empty.so")
    refused(["--load", lib, "list"], [lib, "registered no scenario"])


def test_a_library_reusing_a_name_is_refused():
    lib = plugin("libapi_plugin_duplicate.so")
    refused(["--load", lib, "list"], [lib, "'demo-counter' is registered twice"])


def test_a_missing_value_is_refused():
    refused(["list", "--load"], ["--load needs the path"])


def test_loaded_scenarios_are_listed_with_their_origin():
    lib = plugin("libapi_plugin_examples.so")
    p = xenrace("--load", lib, "list", "--json", check_code=0)
    rows = {s["name"]: s for s in json.loads(p.stdout)}
    assert rows["release-domain-dying"]["loaded_from"] == os.path.realpath(lib)
    assert rows["release-domain-dying"]["default_strategy"] == "random"
    assert rows["demo-counter"]["loaded_from"] == ""


def test_load_after_the_command_and_from_the_environment():
    lib = plugin("libapi_plugin_examples.so")
    p = xenrace("list", "--load=" + lib, check_code=0)
    assert "release-domain-dying" in p.stdout
    env = dict(os.environ, XENRACE_LOAD=lib)
    p = subprocess.run([BIN, "list"], capture_output=True, text=True, env=env)
    assert p.returncode == 0 and "release-domain-dying" in p.stdout, p.stderr


def test_a_loaded_race_meets_its_expectations_and_its_replay_command_replays():
    lib = plugin("libapi_plugin_examples.so")
    p = xenrace("--load", lib, "explore", "release-domain-dying", check_code=0)
    replays = [l.split("replay: ", 1)[1] for l in p.stdout.splitlines() if l.startswith("  replay: ")]
    assert len(replays) == 1, p.stdout
    argv = shlex.split(replays[0])
    assert argv[1:3] == ["--load", os.path.realpath(lib)], replays[0]
    r = subprocess.run(argv, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-1000:] + r.stderr
    assert "verdict: FAIL" in r.stdout and "DIVERGED" not in r.stdout


def test_without_the_library_its_token_is_refused_with_a_hint():
    lib = plugin("libapi_plugin_examples.so")
    p = xenrace("--load", lib, "explore", "release-domain-dying", "--variant", "buggy", "--json")
    token = json.loads(p.stdout)[0]["replay"]
    refused(["replay", token], ["unknown scenario 'release-domain-dying'", "--load"])


def test_each_scenario_is_explored_with_its_own_default_strategy_unless_told():
    lib = plugin("libapi_plugin_examples.so")
    p = xenrace("--load", lib, "explore", "release-domain-dying", "--json")
    assert {r["strategy"] for r in json.loads(p.stdout)} == {"random"}
    p = xenrace("--load", lib, "explore", "release-domain-dying", "--strategy", "pct", "--json")
    assert {r["strategy"] for r in json.loads(p.stdout)} == {"pct"}
    p = xenrace("explore", "demo-counter", "--json")
    assert {r["strategy"] for r in json.loads(p.stdout)} == {"pct"}


def test_the_buggy_variant_fails_and_the_fixed_one_passes():
    lib = plugin("libapi_plugin_examples.so")
    p = xenrace("--load", lib, "explore", "release-domain-dying", "--json")
    verdicts = {r["variant"]: r["verdict"] for r in json.loads(p.stdout)}
    assert verdicts == {"buggy": "fail", "fixed": "pass"}


def test_typed_params_are_checked_and_read():
    lib = plugin("libapi_plugin_examples.so")
    refused(["--load", lib, "explore", "hotplug-lock", "--param", "scripts=9"],
            ["scripts=9", "9 is out of range [3, 8]", "hotplug-lock"])
    refused(["--load", lib, "explore", "hotplug-lock", "--param", "scripts=three"], ["not a decimal integer"])
    # The race needs a holder, a waiter and a newcomer: fewer than three scripts cannot show it.
    refused(["--load", lib, "explore", "hotplug-lock", "--param", "scripts=2"], ["2 is out of range [3, 8]"])
    p = xenrace("--load", lib, "explore", "hotplug-lock", "--variant", "buggy", "--param", "scripts=4", "--json",
                check_code=0)
    token = json.loads(p.stdout)[0]["replay"]
    r = xenrace("--load", lib, "replay", token, "--json", check_code=0)
    actors = json.loads(r.stdout)["trace"]["actors"]
    assert "block add vbd/4/51712" in actors and "block add vbd/5/51712" not in actors, actors


def test_pct_finds_the_three_script_lock_race():
    # Needs the first-demoted script to run again before a later-demoted one: out of reach of a pct that
    # gives change-point priorities in time order, found by pct as published.
    lib = plugin("libapi_plugin_examples.so")
    p = xenrace("--load", lib, "explore", "hotplug-lock", "--variant", "buggy", "--strategy", "pct", "--depth", "3",
                "--iterations", "2000", "--json", check_code=0)
    assert json.loads(p.stdout)[0]["verdict"] == "fail"
