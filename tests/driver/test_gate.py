"""Tests of ci/gate: the changed-file -> tag mapping, selection, and end-to-end runs of the real binary
(skipped without one; set XENRACE_BIN or build build/xenrace).

Run from the repository root: /usr/bin/python3 -m pytest tests/driver
"""
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GATE = REPO / "ci" / "gate"


def load_gate():
    loader = importlib.machinery.SourceFileLoader("xenrace_gate", str(GATE))
    spec = importlib.util.spec_from_loader("xenrace_gate", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


gate = load_gate()

SCENARIOS = [
    {"name": "demo-counter", "tags": ["demo"], "variants": []},
    {"name": "pci-attach", "tags": ["xenstore", "pci", "libxl"], "variants": []},
    {"name": "loop-block-script", "tags": ["xenstore", "loop", "blkback"], "variants": []},
    {"name": "mdev-create-remove", "tags": ["mdev"], "variants": []},
]


@pytest.mark.parametrize("path, tags", [
    ("tools/hotplug/Linux/block", {"loop", "blkback", "xenstore", "block-script"}),
    ("tools/hotplug/Linux/block-common.sh", {"loop", "blkback", "xenstore", "block-script"}),
    ("tools/libs/light/libxl_pci.c", {"pci", "libxl"}),
    ("drivers/vfio/mdev/mdev_core.c", {"mdev"}),
    ("99-xen-backend.rules", {"udev"}),          # a bare file name, as a distribution diff may give
    ("debian/xenstored.service", {"services", "udev"}),
    ("./backends/sim/pci/sim_pciback.cpp", {"pci"}),
    ("README.md", set()),
    # Bare file names, as the help allows: matched by name against the rules that name files.
    ("libxl_pci.c", {"pci", "libxl"}),
    ("block-common.sh", {"loop", "blkback", "xenstore", "block-script"}),
    ("loop.c", {"loop"}),
    ("xen-pcifront.c", {"pci"}),
    ("mdev_core.c", set()),  # its rule names a directory (drivers/vfio/mdev/*), not the file
])
def test_changed_file_tags(path, tags):
    assert gate.tags_for_file(path) == (tags, False)


@pytest.mark.parametrize("path", ["run/explorer.cpp", "world/world.hpp", "ci/gate"])
def test_runtime_changes_select_everything(path):
    assert gate.tags_for_file(path) == (set(), True)


def selection(*argv):
    args = gate.parse_args(list(argv))
    chosen, reasons = gate.select(SCENARIOS, args)
    return [s["name"] for s in chosen], reasons


def test_no_filter_selects_everything():
    assert selection()[0] == [s["name"] for s in SCENARIOS]


def test_changed_files_select_by_tag_and_say_why():
    names, reasons = selection("--changed-files", "tools/libs/light/libxl_pci.c")
    assert names == ["pci-attach"]
    assert reasons["pci-attach"] == ["tools/libs/light/libxl_pci.c -> libxl, pci"]


def test_a_scenario_source_selects_that_scenario():
    assert selection("--changed-files", "scenarios/demo_counter.cpp")[0] == ["demo-counter"]
    assert selection("--changed-files", "demo_counter.cpp")[0] == ["demo-counter"]


def test_a_bare_file_name_selects_by_its_rules():
    names, reasons = selection("--changed-files", "libxl_pci.c")
    assert names == ["pci-attach"]
    assert reasons["pci-attach"] == ["libxl_pci.c -> libxl, pci"]


def test_unknown_file_selects_nothing_unless_asked():
    assert selection("--changed-files", "README.md")[0] == []
    assert len(selection("--changed-files", "README.md", "--unknown", "all")[0]) == len(SCENARIOS)


def test_tags_and_scenarios_combine():
    assert selection("--tags", "mdev,demo", "--scenario", "pci-attach")[0] == [
        "demo-counter", "pci-attach", "mdev-create-remove"]


@pytest.mark.parametrize("argv", [["--iterations", "-5"], ["--iterations", "0"], ["--seed", "-1"],
                                  ["--seed", "abc"], ["--jobs", "0"], ["--jobs", "two"]])
def test_bad_numbers_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as e:
        gate.parse_args(argv)
    assert e.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_unknown_scenario_is_a_usage_error():
    with pytest.raises(gate.GateError, match="unknown scenario 'nope'"):
        selection("--scenario", "nope")


def real_xenrace():
    for c in [os.environ.get("XENRACE_BIN", ""), str(REPO / "build" / "xenrace")]:
        if c and os.access(c, os.X_OK):
            return c
    return None


@pytest.fixture
def run_gate(tmp_path):
    binary = real_xenrace()
    if not binary:
        pytest.skip("no xenrace binary: build it or set XENRACE_BIN")

    def run(*argv, report_dir=None):
        return subprocess.run([str(GATE), "--xenrace-bin", binary, "--report-dir", str(report_dir or tmp_path / "r"),
                               *argv], capture_output=True, text=True)
    return run


def test_gate_passes_when_expectations_are_met(run_gate, tmp_path):
    p = run_gate("--tags", "demo")
    assert p.returncode == 0, p.stdout + p.stderr
    r = tmp_path / "r"
    for f in ("junit.xml", "gate.json", "demo-counter/junit.xml", "demo-counter/results.json",
              "demo-counter/timeline.html", "demo-counter/trace-demo-counter-buggy.json"):
        assert (r / f).is_file(), f
    summary = json.loads((r / "gate.json").read_text())
    assert summary["unmet"] == 0 and len(summary["verdicts"]) == 2


def test_jobs_give_the_same_verdicts_and_reports(run_gate, tmp_path):
    # The simulator's scenarios: --jobs with real programs is explore's, and tests/cli/test_jobs_shards.py checks it.
    runs = {j: run_gate("--scenario", "demo-counter", "--scenario", "pci-attach", "--jobs", j, report_dir=tmp_path / j)
            for j in ("1", "2")}
    for j, p in runs.items():
        assert p.returncode == 0, p.stdout + p.stderr
        # Two scenarios share the cores: with two, both explore at once, one core each.
        assert p.stdout.count(" --jobs 1\n") == 2, p.stdout
        assert p.stdout.index("explore demo-counter ") < p.stdout.index("explore pci-attach "), p.stdout
    verdicts = [[{k: v for k, v in verdict.items() if k != "report_dir"}  # the one thing meant to differ
                 for verdict in json.loads((tmp_path / j / "gate.json").read_text())["verdicts"]] for j in ("1", "2")]
    assert verdicts[0] == verdicts[1] and len(verdicts[0]) > 2
    for name in ("demo-counter/trace-demo-counter-buggy.json", "pci-attach/trace-pci-attach-buggy.json"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_one_scenario_gets_every_core(run_gate, tmp_path):
    p = run_gate("--scenario", "demo-counter", "--jobs", "2")
    assert p.returncode == 0, p.stdout + p.stderr
    assert " --jobs 2\n" in p.stdout, p.stdout


def test_gate_fails_listing_replay_commands(run_gate, tmp_path):
    p = run_gate("--tags", "demo", "--require-pass")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "NOT MET demo-counter/buggy: expected pass, violated no lost update" in p.stdout
    replay = [line.split("replay: ", 1)[1] for line in p.stdout.splitlines() if "replay: " in line]
    assert len(replay) == 1 and " replay xr1-" in replay[0]
    # The printed command really replays the failure.
    again = subprocess.run(replay[0].split() + ["--json"], capture_output=True, text=True)
    assert json.loads(again.stdout)["verdict"] == "fail"


def test_require_pass_reports_agree_with_the_exit_status(run_gate, tmp_path):
    p = run_gate("--tags", "demo", "--require-pass")
    assert p.returncode == 1, p.stdout + p.stderr
    r = tmp_path / "r"
    for junit in (r / "junit.xml", r / "demo-counter" / "junit.xml"):
        root = ET.parse(junit).getroot()
        assert root.get("failures") == "1", junit
        failed = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
        assert failed == {"buggy"}, junit
        [failure] = root.iter("failure")
        assert failure.get("type") == "required-pass" and "no lost update" in failure.get("message")
    results = json.loads((r / "demo-counter" / "results.json").read_text())
    assert results["summary"]["all_met"] is False and results["summary"]["unmet_expectations"] == 1
    met = {x["variant"]: x["met_expectation"] for x in results["results"]}
    assert met == {"buggy": False, "fixed": True}
    assert json.loads((r / "gate.json").read_text())["unmet"] == 1


def test_gate_with_nothing_selected_passes(run_gate, tmp_path):
    p = run_gate("--changed-files", "README.md")
    assert p.returncode == 0
    assert "nothing to explore" in p.stdout
    # A junit.xml all the same (a Jenkins junit step fails on a missing file): one skipped test saying why.
    root = ET.parse(tmp_path / "r" / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("1", "0", "1")
    [case] = root.iter("testcase")
    assert case.find("skipped") is not None and "nothing" in case.find("skipped").get("message")


def test_nothing_selected_replaces_a_stale_junit(run_gate, tmp_path):
    assert run_gate("--tags", "demo", "--require-pass").returncode == 1
    assert run_gate("--changed-files", "README.md").returncode == 0
    root = ET.parse(tmp_path / "r" / "junit.xml").getroot()
    assert root.get("failures") == "0" and root.get("skipped") == "1"


def test_unwritable_report_dir_is_a_usage_error(run_gate, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = run_gate("--tags", "demo", report_dir=blocker / "reports")
    assert p.returncode == 2
    assert str(blocker / "reports") in p.stderr


def test_scenario_list_that_is_not_json_is_a_usage_error(tmp_path):
    fake = tmp_path / "xenrace"
    fake.write_text("#!/bin/sh\necho 'not json'\n")
    fake.chmod(0o755)
    p = subprocess.run([str(GATE), "--xenrace-bin", str(fake), "--report-dir", str(tmp_path / "r")],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "did not print valid JSON" in p.stderr


def test_gate_says_whether_each_pass_was_verified_or_sampled(run_gate, tmp_path):
    sampled = run_gate("--scenario", "demo-counter", "--strategy", "random", "--iterations", "50")
    assert sampled.returncode == 0, sampled.stdout + sampled.stderr
    assert "of 1 passing variant(s), 0 verified (every schedule explored), 1 sampled" in sampled.stdout
    gate = json.loads((tmp_path / "r" / "gate.json").read_text())
    fixed = next(v for v in gate["verdicts"] if v["variant"] == "fixed")
    assert fixed["shown"] == "sampled"
    assert fixed["shown_text"] == "no failure in 50 sampled executions (random, seed 1)"
    proof = run_gate("--scenario", "demo-counter", "--strategy", "dfs", "--variant", "fixed",
                     report_dir=tmp_path / "dfs")
    assert proof.returncode == 0, proof.stdout + proof.stderr
    # dfs proves its bound (the scenario's, 2), and the gate says the proof is within one.
    assert ("of 1 passing variant(s), 1 verified (every schedule explored; 1 of them only within a preemption "
            "bound), 0 sampled") in proof.stdout
    gate = json.loads((tmp_path / "dfs" / "gate.json").read_text())
    assert gate["verdicts"][0]["shown"] == "verified"


def test_verify_proves_what_it_can_and_exits_5_for_a_sampled_pass(run_gate, tmp_path):
    proof = run_gate("--scenario", "demo-counter", "--verify")
    assert proof.returncode == 0, proof.stdout + proof.stderr
    assert "--verify" in proof.stdout  # passed on to explore
    assert "of 1 passing variant(s), 1 verified (every schedule explored), 0 sampled" in proof.stdout
    gate = json.loads((tmp_path / "r" / "gate.json").read_text())
    assert gate["verify"] is True
    fixed = next(v for v in gate["verdicts"] if v["variant"] == "fixed")
    assert (fixed["shown"], fixed["proof_attempted"]) == ("verified", True), fixed
    buggy = next(v for v in gate["verdicts"] if v["variant"] == "buggy")
    assert buggy["proof_attempted"] is False, buggy

    # Unbounded does not finish in 80 runs; bound 0 does (2 executions and 54 runs cut off): verified within
    # that bound, and the gate says so.
    bounded = run_gate("--scenario", "pci-attach", "--variant", "fixed", "--verify", "--iterations", "80",
                       report_dir=tmp_path / "bounded")
    assert bounded.returncode == 0, bounded.stdout + bounded.stderr
    assert "1 verified (every schedule explored; 1 of them only within a preemption bound)" in bounded.stdout
    v = json.loads((tmp_path / "bounded" / "gate.json").read_text())["verdicts"][0]
    assert "(bound 0, dpor)" in v["shown_text"] and "the unbounded search did not finish" in v["shown_text"], v

    # Neither finishes: every expectation is met, but the pass is a sample: 5, naming the variant.
    sampled = run_gate("--scenario", "loop-block-script", "--variant", "fixed", "--verify", "--iterations", "20",
                       report_dir=tmp_path / "sampled")
    assert sampled.returncode == 5, sampled.stdout + sampled.stderr
    assert "NOT VERIFIED loop-block-script/fixed: not verified within budget: " in sampled.stdout
    # Without --verify the same sample is a plain pass.
    plain = run_gate("--scenario", "loop-block-script", "--variant", "fixed", "--iterations", "20",
                     report_dir=tmp_path / "plain")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "NOT VERIFIED" not in plain.stdout


# A scenario that reads a Xen file for real (a hotplug script, a systemd unit) reads the patched tree's when that
# file changed, never the installed or built-in one in its place.
REAL = [{"name": "real-block-script", "tags": ["xenstore", "block-script", "process"], "variants": [],
         "params": [{"name": "scripts", "values": "text"}]},
        {"name": "xenstored-boot-order", "tags": ["udev", "services"], "variants": [],
         "params": [{"name": "units", "values": "text"}, {"name": "rules", "values": "text"}]}]


def inputs_for(*argv):
    args = gate.parse_args(list(argv))
    chosen, _ = gate.select(SCENARIOS + REAL, args)
    return gate.tree_inputs(args, chosen)


def test_a_changed_script_or_unit_is_read_from_the_source_tree(tmp_path):
    (tmp_path / "tools/hotplug/Linux/systemd").mkdir(parents=True)
    scripts = inputs_for("--changed-files", "tools/hotplug/Linux/locking.sh", "--source-tree", str(tmp_path))
    assert scripts == {"scripts": ((tmp_path / "tools/hotplug/Linux").resolve(), "tools/hotplug/Linux/locking.sh changed")}
    units = inputs_for("--changed-files", "tools/hotplug/Linux/systemd/xenstored.service.in", "--source-tree", str(tmp_path))
    assert units == {"units": ((tmp_path / "tools/hotplug/Linux/systemd").resolve(),
                               "tools/hotplug/Linux/systemd/xenstored.service.in changed")}
    # A change elsewhere reads the installed or built-in files; --hotplug-scripts and --units always win.
    assert inputs_for("--changed-files", "tools/libs/light/libxl_pci.c", "--source-tree", str(tmp_path)) == {}
    assert inputs_for("--scenario", "real-block-script", "--hotplug-scripts", str(tmp_path))["scripts"][0] == tmp_path.resolve()
    assert inputs_for("--scenario", "xenstored-boot-order", "--units", str(tmp_path))["units"][0] == tmp_path.resolve()
    # A new udev rules file in the tree (the rule a unit patch needs) goes to xenstored-boot-order's `rules`.
    rules = inputs_for("--changed-files", "tools/hotplug/Linux/xen-gntdev.rules", "--source-tree", str(tmp_path))
    assert rules == {"rules": ((tmp_path / "tools/hotplug/Linux").resolve(), "tools/hotplug/Linux/xen-gntdev.rules changed")}
    assert inputs_for("--scenario", "xenstored-boot-order", "--udev-rules", str(tmp_path))["rules"] == \
        (tmp_path.resolve(), "--udev-rules")


@pytest.mark.parametrize("changed, reader", [("locking.sh", "real-block-script"),
                                             ("tools/hotplug/Linux/systemd/xenstored.service.in", "xenstored-boot-order")])
@pytest.mark.parametrize("tree", [None, "empty"])
def test_a_changed_input_with_no_tree_to_read_it_from_is_an_error(tmp_path, tree, changed, reader):
    argv = ["--changed-files", changed] + (["--source-tree", str(tmp_path)] if tree else [])
    with pytest.raises(gate.GateError, match=f"{changed} changed, and {reader} reads it for real, but "
                                             ".*give --source-tree DIR"):
        inputs_for(*argv)


def installed_scripts():
    for d in [Path("/etc/xen/scripts"), Path.home() / ".cache/xenrace/xen-utils-common/etc/xen/scripts"]:
        if (d / "block").is_file() and (d / "hotplugpath.sh").is_file():
            return d
    return None


def source_tree_from(installed, root):
    """A Xen source tree's layout (tools/hotplug/Linux with xen-hotplug-common.sh.in, tools/hotplug/common with
    hotplugpath.sh.in) made from installed scripts, as a patched checkout has it."""
    linux, common = root / "tools/hotplug/Linux", root / "tools/hotplug/common"
    linux.mkdir(parents=True)
    common.mkdir(parents=True)
    for name in ("block", "block-common.sh", "locking.sh", "logging.sh", "xen-script-common.sh"):
        shutil.copy(installed / name, linux / name)
    common_sh = (installed / "xen-hotplug-common.sh").read_text()
    (linux / "xen-hotplug-common.sh.in").write_text(common_sh.replace("/var/log/xen", "@XEN_LOG_DIR@"))
    paths = (installed / "hotplugpath.sh").read_text()
    (common / "hotplugpath.sh.in").write_text(re.sub(r'^(\w+)="[^"]*"', r'\1="@\1@"', paths, flags=re.M))
    return linux


def test_the_gate_runs_the_patched_block_script_and_fails_it(run_gate, tmp_path):
    installed = installed_scripts()
    if installed is None:
        pytest.skip("no Xen hotplug scripts: ci/install-deps extracts Debian's xen-utils-common")
    linux = source_tree_from(installed, tmp_path / "xen")
    argv = ["--changed-files", "tools/hotplug/Linux/block", "--source-tree", str(tmp_path / "xen"),
            "--scenario", "real-block-script", "--variant", "xen-4.17", "--iterations", "2"]
    unpatched = run_gate(*argv, report_dir=tmp_path / "before")
    summary = json.loads((tmp_path / "before/gate.json").read_text())
    verdicts = {(v["scenario"], v["variant"]): v for v in summary["verdicts"]}
    own = verdicts[("real-block-script", "xen-4.17")]
    if own["verdict"] == "skipped":
        pytest.skip(f"real-block-script cannot run here: {own['skip_reason']}")
    # real-loop-script reads the scripts too, so a changed `block` runs it as well; its race needs more than
    # these two executions, so only real-block-script's verdict is this test's.
    assert ("real-loop-script", "xen-4.17") in verdicts
    assert own["met"] is True, unpatched.stdout + unpatched.stderr
    assert summary["inputs"] == {"scripts": {"dir": str(linux.resolve()), "why": "tools/hotplug/Linux/block changed"}}
    assert f"read scripts read {linux.resolve()}" in unpatched.stdout
    # The patch under test drops the sharing check: both guests get the one device, in every schedule.
    block = (linux / "block").read_text()
    check = 'result=$(check_sharing "$type" "$dev" "$mode")\n'
    assert check in block
    (linux / "block").write_text(block.replace(check, "result=ok\n", 1))
    patched = run_gate(*argv, report_dir=tmp_path / "after")
    assert patched.returncode == 1, patched.stdout + patched.stderr
    assert "NOT MET real-block-script/xen-4.17: expected pass, violated one writer per device" in patched.stdout
    assert "  replay: " in patched.stdout


# Xen's systemd units as a source tree holds them (tools/hotplug/Linux/systemd/*.in): the gate hands a changed
# xenstored.service.in to xenstored-boot-order, whose output lists the directives its model leaves out.
XENSTORED_SERVICE_IN = """[Unit]
Description=The Xen xenstore
Requires=proc-xen.mount
After=proc-xen.mount
Before=libvirtd.service libvirt-guests.service
ConditionPathExists=/proc/xen/capabilities

[Service]
Type=notify
RemainAfterExit=true
ExecStartPre=/bin/grep -q control_d /proc/xen/capabilities
ExecStart=@XEN_SCRIPT_DIR@/launch-xenstore

[Install]
WantedBy=multi-user.target
"""
PROC_XEN_MOUNT_IN = "[Unit]\nDescription=Mount /proc/xen files\n\n[Mount]\nWhat=xenfs\nWhere=/proc/xen\nType=xenfs\n"


def test_the_gate_reads_a_patched_unit_and_fails_it(run_gate, tmp_path):
    systemd = tmp_path / "xen/tools/hotplug/Linux/systemd"
    systemd.mkdir(parents=True)
    (systemd / "proc-xen.mount.in").write_text(PROC_XEN_MOUNT_IN)
    (systemd / "xenstored.service.in").write_text(XENSTORED_SERVICE_IN)
    argv = ["--changed-files", "tools/hotplug/Linux/systemd/xenstored.service.in", "--source-tree",
            str(tmp_path / "xen"), "--scenario", "xenstored-boot-order", "--variant", "standard"]
    unpatched = run_gate(*argv, report_dir=tmp_path / "before")
    assert unpatched.returncode == 0, unpatched.stdout + unpatched.stderr
    summary = json.loads((tmp_path / "before/gate.json").read_text())
    assert summary["inputs"]["units"]["dir"] == str(systemd.resolve())
    results = json.loads((tmp_path / "before/xenstored-boot-order/results.json").read_text())["results"]
    assert "xenstored.service: ExecStartPre=/bin/grep -q control_d /proc/xen/capabilities" in results[0]["not_modelled"]
    assert "proc-xen.mount: What=xenfs" in results[0]["not_modelled"]
    # The patch under test starts xenstored early: no default dependencies, so nothing orders it after the
    # modules that make /dev/xen/gntdev.
    (systemd / "xenstored.service.in").write_text(XENSTORED_SERVICE_IN.replace("[Unit]\n", "[Unit]\nDefaultDependencies=no\n"))
    patched = run_gate(*argv, report_dir=tmp_path / "after")
    assert patched.returncode == 1, patched.stdout + patched.stderr
    assert "NOT MET xenstored-boot-order/standard: expected pass, violated xenstored never opens a missing node" in patched.stdout
