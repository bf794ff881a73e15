"""Scenario counts as typed parameters: `xenrace list` shows them with their defaults, the default changes
nothing, a count changes the actors of the replayed trace, and at a larger count the fixed variants still pass
and the buggy ones still fail (fixed seed).

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli/test_scenario_params.py
"""
import json
import os

import pytest

from test_cli import xenrace

# scenario -> (parameter, default, the accepted range as `xenrace list` prints it)
COUNTS = {
    "pci-attach": ("attaches", "2", "integer in [2, 6], default 2"),
    "demo-counter": ("clients", "2", "integer in [2, 8], default 2"),
    "loop-block-script": ("adds", "2", "integer in [1, 5], default 2"),
    "blkback-minor-reuse": ("disks", "1", "integer in [1, 4], default 1"),
    "mdev-create-remove": ("parents", "2", "integer in [2, 4], default 2"),
    "generated-workload": ("guests", "3", "integer in [1, 4], default 3"),
}


def test_list_shows_each_count_with_its_default_and_range():
    scenarios = {s["name"]: s for s in json.loads(xenrace("list", "--json", check_code=0).stdout)}
    for name, (param, _default, values) in COUNTS.items():
        params = {p["name"]: p for p in scenarios[name]["params"]}
        assert param in params, (name, params)
        assert params[param]["values"] == values, (name, params[param])
    text = xenrace("list", check_code=0).stdout
    assert "--param attaches=... (integer in [2, 6], default 2)" in text


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_the_default_count_given_explicitly_is_the_same_exploration(name):
    param, default, _ = COUNTS[name]
    plain = json.loads(xenrace("explore", name, "--json", "--iterations", "200", check_code=0).stdout)
    given = json.loads(xenrace("explore", name, "--json", "--iterations", "200", "--param", f"{param}={default}",
                               check_code=0).stdout)
    assert [(r["variant"], r["verdict"], r["executions"], r["trace_hash"]) for r in plain] == \
        [(r["variant"], r["verdict"], r["executions"], r["trace_hash"]) for r in given]


def replayed_actors(token):
    return json.loads(xenrace("replay", token, "--json", check_code=0).stdout)["trace"]["actors"]


def test_three_attaches_replay_as_three_xl_pci_attach_actors():
    # --no-shrink: shrinking would also lower the count to the fewest attaches that still fail.
    rows = json.loads(xenrace("explore", "pci-attach/buggy", "--json", "--seed", "7", "--param", "attaches=3",
                              "--no-shrink", check_code=0).stdout)
    assert rows[0]["verdict"] == "fail"
    token = rows[0]["replay"]
    attaches = [a for a in replayed_actors(token) if a.startswith("xl pci-attach ")]
    assert attaches == ["xl pci-attach 1 0000:04:00.0", "xl pci-attach 1 0000:05:00.0",
                        "xl pci-attach 1 0000:06:00.0"]
    # The default is two.
    rows = json.loads(xenrace("explore", "pci-attach/buggy", "--json", "--seed", "7", check_code=0).stdout)
    assert len([a for a in replayed_actors(rows[0]["replay"]) if a.startswith("xl pci-attach ")]) == 2


@pytest.mark.parametrize("name, param, actor_prefix, n", [
    ("demo-counter", "clients", "client ", 3),
    ("loop-block-script", "adds", "block add ", 3),
])
def test_a_count_is_the_number_of_racing_actors(name, param, actor_prefix, n):
    rows = json.loads(xenrace("explore", f"{name}/buggy", "--json", "--seed", "7", "--param", f"{param}={n}",
                              "--no-shrink", check_code=0).stdout)
    assert rows[0]["verdict"] == "fail", rows[0]
    actors = [a for a in replayed_actors(rows[0]["replay"]) if a.startswith(actor_prefix)]
    assert len(actors) == n, actors


def test_shrinking_lowers_the_count_and_the_replay_carries_it():
    # Two attaches fail only with a preemption; the witness shrunk at four has none, and so has one at three.
    out = xenrace("explore", "pci-attach/buggy-existing-backend", "--param", "attaches=4", check_code=0).stdout
    assert "\n  shrunk to attaches=3 (explored with 4)\n" in out, out
    assert "\n  also fails with attaches=2 (1 preemptions, " in out, out
    token = next(l for l in out.splitlines() if l.startswith("  replay: ")).split(" replay ", 1)[1]
    assert len([a for a in replayed_actors(token) if a.startswith("xl pci-attach ")]) == 3
    row = json.loads(xenrace("explore", "pci-attach/buggy-existing-backend", "--param", "attaches=4", "--json",
                             check_code=0).stdout)[0]
    assert row["fewer"] == "attaches=3 (explored with 4)" and row["replay"] == token, row
    assert row["preemptions"] == 0, row
    assert row["count_runs"] > 0
    # Without shrinking the witness keeps the count explored.
    kept = json.loads(xenrace("explore", "pci-attach/buggy-existing-backend", "--param", "attaches=4", "--json",
                              "--no-shrink", check_code=0).stdout)[0]
    assert kept["fewer"] == "" and kept["count_runs"] == 0, kept
    assert len([a for a in replayed_actors(kept["replay"]) if a.startswith("xl pci-attach ")]) == 4


# Every variant of each scenario at a count above the default: buggy fails, fixed passes (exit 0), with a fixed
# seed and each scenario's default strategy and budget (generated-workload: 2000 of its 20000, to stay quick).
@pytest.mark.parametrize("name, setting, budget", [
    ("pci-attach", "attaches=3", []),
    ("pci-attach", "attaches=4", []),
    ("demo-counter", "clients=3", []),
    ("loop-block-script", "adds=3", []),
    ("blkback-minor-reuse", "disks=2", []),
    ("mdev-create-remove", "parents=3", []),
    ("generated-workload", "guests=4", ["--iterations", "2000"]),
])
def test_expectations_hold_at_a_larger_count(name, setting, budget):
    p = xenrace("explore", name, "--json", "--seed", "7", "--no-progress", "--param", setting, *budget)
    rows = json.loads(p.stdout)
    assert p.returncode == 0, [(r["variant"], r["verdict"], r.get("message")) for r in rows if not r["met_expectation"]]
    assert all(r["met_expectation"] for r in rows)


def test_a_count_out_of_range_is_a_usage_error():
    p = xenrace("explore", "pci-attach", "--param", "attaches=7")
    assert p.returncode == 2
    assert "attaches=7" in p.stderr and "[2, 6]" in p.stderr


# xenstored-boot-order reads udev rules files from --param rules=DIR: a rule tagging gntdev for systemd makes the
# proposed unit patch work (the untagged variant no longer fails), keys the model does not apply are listed as not
# modelled, and a malformed rules file is a usage error naming its file and line.
def test_udev_rules_are_read_from_a_directory(tmp_path):
    (tmp_path / "60-xen-gntdev.rules").write_text(
        '# the rule the patch needs\nSUBSYSTEM=="misc", KERNEL=="gntdev", TAG+="systemd", MODE="0600"\n')
    argv = ["explore", "xenstored-boot-order", "--variant", "requires-device-untagged", "--json"]
    without = json.loads(xenrace(*argv, check_code=0).stdout)
    assert without[0]["verdict"] == "fail"
    with_rule = json.loads(xenrace(*argv, "--param", f"rules={tmp_path}", check_code=1).stdout)
    result = with_rule[0]
    assert result["verdict"] == "pass"
    assert result["not_modelled"] == ['60-xen-gntdev.rules:2: MODE="0600"']
    (tmp_path / "61-broken.rules").write_text('KERNEL=="gntdev", TAG+=systemd\n')
    broken = xenrace(*argv, "--param", f"rules={tmp_path}", check_code=2)
    assert "61-broken.rules:1:" in broken.stderr


# xenstored-boot-order reads systemd's own units from --param system-units=DIR[:DIR...], first match wins as on
# systemd's search path, with their NAME.wants/ directories: the seed's root cause (an administrator's copy of
# systemd-modules-load.service without Before=sysinit.target) is then found in the files themselves.
def write_systemd_units(lib):
    lib.mkdir(parents=True)
    (lib / "sysinit.target").write_text("[Unit]\nDescription=System Initialization\nWants=local-fs.target\n"
                                        "After=local-fs.target\nConflicts=emergency.service\n")
    (lib / "local-fs.target").write_text("[Unit]\nDescription=Local File Systems\n")
    (lib / "basic.target").write_text("[Unit]\nDescription=Basic System\nRequires=sysinit.target\n"
                                      "After=sysinit.target\n")
    (lib / "multi-user.target").write_text("[Unit]\nDescription=Multi-User System\nRequires=basic.target\n"
                                           "After=basic.target\nAllowIsolate=yes\n")
    (lib / "systemd-modules-load.service").write_text(
        "[Unit]\nDescription=Load Kernel Modules\nDefaultDependencies=no\nBefore=sysinit.target\n"
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/lib/systemd/systemd-modules-load\nTimeoutSec=90s\n")
    wants = lib / "sysinit.target.wants"
    wants.mkdir()
    (wants / "systemd-modules-load.service").symlink_to("../systemd-modules-load.service")
    (wants / "systemd-sysctl.service").symlink_to("../systemd-sysctl.service")


def test_systemds_own_units_are_read_from_a_search_path(tmp_path):
    lib, etc = tmp_path / "lib", tmp_path / "etc"
    write_systemd_units(lib)
    etc.mkdir()
    argv = ["explore", "xenstored-boot-order", "--variant", "standard", "--strategy", "dpor", "--json"]
    packaged = json.loads(xenrace(*argv, "--param", f"system-units={etc}:{lib}", check_code=0).stdout)[0]
    assert packaged["verdict"] == "pass" and packaged["shown"] == "verified", packaged
    for line in ("sysinit.target: Conflicts=emergency.service", "multi-user.target: AllowIsolate=yes",
                 "systemd-modules-load.service: TimeoutSec=90s",
                 "sysinit.target: Wants=local-fs.target (a unit the model does not load)",
                 "sysinit.target.wants/: 1 unit(s) the model does not load (systemd-sysctl.service)"):
        assert line in packaged["not_modelled"], (line, packaged["not_modelled"])
    # An administrator's copy in the first directory replaces the packaged unit: without Before=sysinit.target
    # nothing orders xenstored after the modules, and the boot breaks.
    (etc / "systemd-modules-load.service").write_text(
        "[Unit]\nDescription=Load Kernel Modules\nDefaultDependencies=no\n"
        "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/lib/systemd/systemd-modules-load\n")
    customised = json.loads(xenrace(*argv, "--param", f"system-units={etc}:{lib}", check_code=1).stdout)[0]
    assert customised["verdict"] == "fail" and customised["violated"] == "xenstored never opens a missing node"
    # The .wants/ link is what pulls the modules in: without it they are never loaded.
    (etc / "systemd-modules-load.service").unlink()
    (lib / "sysinit.target.wants" / "systemd-modules-load.service").unlink()
    unlinked = json.loads(xenrace(*argv, "--param", f"system-units={etc}:{lib}", check_code=1).stdout)[0]
    assert unlinked["verdict"] == "fail", unlinked
    (lib / "basic.target").unlink()
    missing = xenrace(*argv, "--param", f"system-units={etc}:{lib}", check_code=2)
    assert f"system-units={etc}:{lib}: no readable basic.target there" in missing.stderr, missing.stderr


def test_the_hosts_systemd_units_give_every_expectation():
    if not os.path.exists("/lib/systemd/system/sysinit.target"):
        pytest.skip("this host has no systemd units in /lib/systemd/system")
    p = xenrace("explore", "xenstored-boot-order", "--param", "system-units=/etc/systemd/system:/lib/systemd/system",
                "--no-progress", check_code=0)
    assert "7 variants: 7 met expectation" in p.stdout.splitlines()[-1], p.stdout[-800:]
