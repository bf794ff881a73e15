"""Tests of the xenrace pytest plugin (driver/xenrace_pytest.py), run with pytester.

Run from the repository root: /usr/bin/python3 -m pytest tests/driver
Most tests drive a fake `xenrace` (a small script whose answers each test sets), so they check the
plugin's own logic; the last ones use the real binary from $XENRACE_BIN or build/xenrace and skip
without it.
"""
import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "driver"
sys.path.insert(0, str(DRIVER))

SCENARIOS = [
    {"name": "alpha", "tags": ["xenstore", "loop"], "variants": [
        {"name": "buggy", "expect": "fail", "summary": ""},
        {"name": "fixed", "expect": "pass", "summary": ""}]},
    {"name": "beta-pci", "tags": ["pci"], "variants": [
        {"name": "fixed", "expect": "pass", "summary": ""}]},
]

# The fake xenrace: answers `list --json` with $FAKE_DIR/list.txt, logs every argv to $FAKE_DIR/calls.jsonl,
# and for explore/run writes a complete report directory and exits with the code set in
# $FAKE_DIR/outcomes.json for "scenario/variant" (default: met expectation, exit 0).
FAKE_XENRACE = textwrap.dedent("""\
    #!/usr/bin/python3
    import json, os, sys
    d = os.environ["FAKE_DIR"]
    args = sys.argv[1:]
    with open(os.path.join(d, "calls.jsonl"), "a") as f:
        f.write(json.dumps(args) + "\\n")
    if args[:2] == ["list", "--json"]:
        sys.stdout.write(open(os.path.join(d, "list.txt")).read())
        sys.exit(0)
    cmd, scenario = args[0], args[1]
    variant = args[args.index("--variant") + 1]
    outcomes = json.load(open(os.path.join(d, "outcomes.json")))
    o = outcomes.get(scenario + "/" + variant, {})
    if o.get("stderr"):
        sys.stderr.write(o["stderr"] + "\\n")
    rc = o.get("rc", 0)
    if rc == 2:
        sys.exit(2)
    failed = o.get("verdict", "pass") == "fail"
    result = {"scenario": scenario, "variant": variant, "verdict": o.get("verdict", "pass"),
              "expect": o.get("expect", "pass"), "met_expectation": rc == 0, "executions": 5,
              "shown_text": o.get("shown_text", ""),
              "violated": "no lost update" if failed else "",
              "message": "counter is 1 after 2 increments" if failed else "",
              "replay_command": "xenrace replay xr1-FAKE" if failed else None,
              "trace_file": "trace-%s-%s.json" % (scenario, variant) if failed else None,
              "trace": {"actors": ["client A", "client B"], "events": [
                  {"step": 0, "actor": "client A", "op": "map.get", "args": "counter", "result": "0"},
                  {"step": 1, "actor": "client B", "op": "map.put", "args": "counter=1", "result": "OK"}]}
                  if failed else None}
    rd = args[args.index("--report-dir") + 1]
    if o.get("no_report"):
        print(json.dumps(result))
        sys.exit(rc)
    os.makedirs(rd, exist_ok=True)
    for name in ["junit.xml", "timeline.html"] + ([result["trace_file"]] if failed else []):
        open(os.path.join(rd, name), "w").write("x")
    json.dump({"schema": "xenrace-results", "schema_version": 1, "complete": True, "results": [result]},
              open(os.path.join(rd, "results.json"), "w"))
    print(json.dumps([result]))
    sys.exit(rc)
    """)

# A fake ssh: `ssh [options] HOST COMMAND` runs COMMAND locally with sh, like a host that is this machine.
FAKE_SSH = textwrap.dedent("""\
    #!/bin/sh
    while [ "$#" -gt 2 ]; do shift; done
    echo "$1" >> "$FAKE_DIR/ssh_hosts"
    exec sh -c "$2"
    """)

UNREACHABLE_SSH = "#!/bin/sh\necho 'ssh: connect to host dom0.example port 22: Connection refused' >&2\nexit 255\n"


@pytest.fixture
def fake(pytester, monkeypatch):
    """A pytester directory with the fake xenrace, the fake ssh, and a scenarios.xenrace file."""
    d = pytester.path / "fake"
    d.mkdir()
    for name, text in (("xenrace", FAKE_XENRACE), ("ssh", FAKE_SSH), ("unreachable-ssh", UNREACHABLE_SSH)):
        (d / name).write_text(text)
        (d / name).chmod(0o755)
    (d / "list.txt").write_text(json.dumps(SCENARIOS))
    (d / "outcomes.json").write_text("{}")
    monkeypatch.setenv("FAKE_DIR", str(d))
    pytester.makefile(".xenrace", scenarios="")

    class Fake:
        path = d
        bin = str(d / "xenrace")

        def outcomes(self, **by_variant):
            (d / "outcomes.json").write_text(json.dumps({k.replace("__", "/"): v for k, v in by_variant.items()}))

        def calls(self):
            log = d / "calls.jsonl"
            return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

        def run(self, *args):
            return pytester.runpytest("-p", "xenrace_pytest", "--xenrace-bin", self.bin, *args)

    return Fake()


def test_one_item_per_scenario_variant(fake):
    result = fake.run("--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "scenarios.xenrace::alpha::buggy",
        "scenarios.xenrace::alpha::fixed",
        "scenarios.xenrace::beta-pci::fixed",
        "3 tests collected*",
    ])


@pytest.mark.parametrize("expression, selected", [
    ("buggy", ["alpha::buggy"]),
    ("alpha and not buggy", ["alpha::fixed"]),
    ("beta-pci", ["beta-pci::fixed"]),
    ("xenstore", ["alpha::buggy", "alpha::fixed"]),      # a tag
    ("expect_pass", ["alpha::fixed", "beta-pci::fixed"]),
])
def test_k_selects_by_scenario_variant_and_tag(fake, expression, selected):
    result = fake.run("--collect-only", "-q", "-k", expression)
    collected = [line.split("::", 1)[1] for line in result.outlines if line.startswith("scenarios.xenrace::")]
    assert collected == selected


def test_selector_file_narrows_the_scenarios(fake, pytester):
    pytester.makefile(".xenrace", scenarios="# only PCI\ntag:pci\n")
    result = fake.run("--collect-only", "-q")
    result.stdout.fnmatch_lines(["scenarios.xenrace::beta-pci::fixed", "1 test collected*"])


def test_found_race_is_xfail_and_passing_fix_is_passed(fake):
    fake.outcomes(alpha__buggy={"verdict": "fail", "expect": "fail"})
    result = fake.run("-rxX")
    result.assert_outcomes(passed=2, xfailed=1)
    # The reason names the broken check and the replay command.
    result.stdout.fnmatch_lines(["XFAIL scenarios.xenrace::alpha::buggy - reason: race found as expected: violated "
                                 "no lost update after 5 executions; replay: xenrace replay xr1-FAKE"])


def test_race_not_found_is_xpass_strict(fake):
    fake.outcomes(alpha__buggy={"rc": 1, "verdict": "pass", "expect": "fail"})
    result = fake.run("-k", "buggy")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*[[]XPASS(strict)[]] alpha/buggy models a bug: xenrace must find its race*",
                                 "*alpha/buggy: expected fail, but none of 5 executions broke a check*"])


def test_race_not_found_says_what_the_pass_showed(fake):
    fake.outcomes(alpha__buggy={"rc": 1, "verdict": "pass", "expect": "fail",
                                "shown_text": "verified: every schedule explored (bound 2, dfs), 6 executions"})
    result = fake.run("-k", "buggy")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*alpha/buggy: expected fail, but verified: every schedule explored (bound 2, dfs), "
                                 "6 executions*"])


def test_xenrace_error_on_a_buggy_variant_is_a_failure_not_an_xfail(fake):
    fake.outcomes(alpha__buggy={"rc": 2, "stderr": "xenrace: unknown strategy 'bogus'"})
    result = fake.run("-k", "buggy")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*xenrace exited 2 locally: xenrace: unknown strategy 'bogus'*"])


def test_buggy_variant_breaking_the_check_but_unmet_is_a_failure(fake):
    # Exit 1 with a failing verdict: not a found race (xenrace says the expectation was not met).
    fake.outcomes(alpha__buggy={"rc": 1, "verdict": "fail", "expect": "fail"})
    fake.run("-k", "buggy").assert_outcomes(failed=1)


def test_runxfail_shows_the_found_race_as_a_failure(fake):
    fake.outcomes(alpha__buggy={"verdict": "fail", "expect": "fail"})
    result = fake.run("-k", "buggy", "--runxfail")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*race found as expected: violated no lost update*"])


def test_default_report_dirs_live_under_pytests_basetemp(fake, pytester):
    basetemp = pytester.path / "basetemp"
    fake.outcomes(alpha__buggy={"verdict": "fail", "expect": "fail"})
    fake.run("--basetemp", str(basetemp)).assert_outcomes(passed=2, xfailed=1)
    dirs = {Path(c[c.index("--report-dir") + 1]) for c in fake.calls() if "--report-dir" in c}
    assert len(dirs) == 3
    for d in dirs:
        assert d.parent.parent == basetemp and d.parent.name.startswith("xenrace-reports"), d
        assert (d / "results.json").is_file()


def test_no_report_directory_is_left_in_the_temp_dir(fake, pytester, monkeypatch):
    # TMPDIR is where tempfile.mkdtemp would put one; pytest's own base directory is pinned elsewhere.
    tmp = pytester.path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)
    fake.run("--basetemp", str(pytester.path / "basetemp")).assert_outcomes(passed=2, xfailed=1)
    assert list(tmp.iterdir()) == []


def test_unmet_expectation_fails_with_trace_and_replay(fake):
    fake.outcomes(alpha__fixed={"rc": 1, "verdict": "fail", "expect": "pass"})
    result = fake.run("-k", "alpha and fixed")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*alpha/fixed: expected pass, but it failed: no lost update: counter is 1 after 2 increments*",
        "*client B*map.put*counter=1 -> OK*",
        "replay: xenrace replay xr1-FAKE",
        "reports: *alpha-fixed (junit.xml, results.json, timeline.html, trace-alpha-fixed.json)",
    ])


def test_report_files_are_attached_as_properties(fake, pytester):
    fake.outcomes(alpha__buggy={"verdict": "fail", "expect": "fail"})
    fake.run("-k", "buggy", "--junitxml", "out.xml").assert_outcomes(xfailed=1)
    xml = (pytester.path / "out.xml").read_text()
    for name in ("results.json", "junit.xml", "timeline.html", "trace-alpha-buggy.json"):
        assert f'name="xenrace_report:{name}"' in xml
    assert 'name="xenrace_replay" value="xenrace replay xr1-FAKE"' in xml


def test_options_reach_the_command_line(fake, pytester):
    reports = pytester.path / "reports"
    fake.run("-k", "beta", "--xenrace-strategy", "dfs", "--xenrace-iterations", "7", "--xenrace-seed", "3",
             "--xenrace-report-dir", str(reports)).assert_outcomes(passed=1)
    explore = [c for c in fake.calls() if c[0] == "explore"]
    assert explore == [["explore", "beta-pci", "--variant", "fixed", "--strategy", "dfs", "--iterations", "7",
                        "--seed", "3", "--json", "--report-dir", str(reports / "beta-pci-fixed")]]
    assert (reports / "beta-pci-fixed" / "results.json").is_file()


def test_verify_reaches_explore_and_a_sampled_pass_fails(fake):
    fake.outcomes(**{"beta-pci__fixed": {"rc": 5, "shown_text": "not verified within budget: 5 executions, search "
                                                                "unfinished (unbounded, dpor)"}})
    result = fake.run("-k", "fixed", "--xenrace-verify")
    result.assert_outcomes(passed=1, failed=1)
    explore = [c for c in fake.calls() if c[0] == "explore"]
    assert explore and all("--verify" in c for c in explore), explore
    result.stdout.fnmatch_lines(["*beta-pci/fixed: expected pass, and verified (--xenrace-verify), but not verified "
                                 "within budget: 5 executions, search unfinished (unbounded, dpor)*"])


def test_verify_without_the_option_is_not_asked(fake):
    fake.run("-k", "beta").assert_outcomes(passed=1)
    assert all("--verify" not in c for c in fake.calls())


def test_verify_is_for_the_simulator(fake):
    result = fake.run("--xenrace-verify", "--xenrace-backend", "dom0")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--xenrace-verify proves variants in the simulator*"])


def test_scenario_list_that_is_not_json_is_a_clear_error(fake):
    (fake.path / "list.txt").write_text("Segmentation fault\n")
    result = fake.run()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*list --json* did not print valid JSON*Segmentation fault*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_scenario_list_of_the_wrong_shape_is_a_clear_error(fake):
    (fake.path / "list.txt").write_text('{"name": "alpha"}')
    result = fake.run()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*not a list of scenarios*"])


def test_missing_binary_is_a_clear_error(pytester):
    pytester.makefile(".xenrace", scenarios="")
    result = pytester.runpytest("-p", "xenrace_pytest", "--xenrace-bin", str(pytester.path / "no-such-xenrace"))
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*cannot run*no-such-xenrace*--xenrace-bin*"])


def test_dom0_backend_not_built_is_a_skip_with_the_reason(fake):
    not_built = {"rc": 2, "stderr": "xenrace: 'run' is not built yet in this version of xenrace"}
    fake.outcomes(alpha__buggy=not_built, alpha__fixed=not_built, **{"beta-pci__fixed": not_built})
    result = fake.run("--xenrace-backend", "dom0", "-rs")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(["SKIPPED*dom0 backend not usable locally: xenrace: 'run' is not built yet*"])
    assert all(c[:2] != ["explore"] for c in fake.calls())
    assert any(c[:1] == ["run"] and "--backend" in c and "dom0" in c for c in fake.calls())


def test_dom0_host_lacking_a_component_is_a_skip_with_the_reason(fake):
    fake.outcomes(**{"beta-pci__fixed": {"rc": 4, "stderr": "skipped: pciback is not built yet on dom0"}})
    result = fake.run("--xenrace-backend", "dom0", "-k", "beta", "-rs", "--xenrace-iterations", "9",
                      "--xenrace-arg=--i-know-this-is-a-test-host")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*dom0 backend not usable locally: skipped: pciback is not built yet*"])
    run = [c for c in fake.calls() if c[0] == "run"][0]
    assert run[run.index("--runs") + 1] == "9" and "--iterations" not in run
    assert "--i-know-this-is-a-test-host" in run


def test_failure_without_a_report_uses_the_printed_json(fake):
    fake.outcomes(alpha__fixed={"rc": 1, "verdict": "fail", "expect": "pass", "no_report": True})
    result = fake.run("-k", "alpha and fixed")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected pass, but it failed: no lost update*", "*client B*map.put*",
                                 "replay: xenrace replay xr1-FAKE", "reports: *alpha-fixed (none written)"])


def test_usage_error_on_the_sim_backend_fails(fake):
    fake.outcomes(alpha__buggy={"rc": 2, "stderr": "xenrace: unknown strategy 'bogus'"})
    result = fake.run("-k", "buggy")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*xenrace exited 2 locally: xenrace: unknown strategy 'bogus'*"])


def test_host_runs_over_ssh_and_fetches_the_reports(fake, pytester):
    fake.outcomes(alpha__fixed={"rc": 1, "verdict": "fail", "expect": "pass"})
    reports = pytester.path / "reports"
    result = fake.run("--xenrace-host", "dom0.example", "--xenrace-ssh", str(fake.path / "ssh"),
                      "--xenrace-report-dir", str(reports))
    result.assert_outcomes(passed=1, xfailed=1, failed=1)
    result.stdout.fnmatch_lines(["replay: xenrace replay xr1-FAKE"])
    assert set((fake.path / "ssh_hosts").read_text().split()) == {"dom0.example"}
    fetched = reports / "alpha-fixed"
    assert sorted(os.listdir(fetched)) == ["junit.xml", "results.json", "timeline.html", "trace-alpha-fixed.json"]
    # The host-side directory was removed after the copy.
    remote_dirs = {c[c.index("--report-dir") + 1] for c in fake.calls() if "--report-dir" in c}
    assert remote_dirs and all(d.startswith("/tmp/xenrace-pytest-") and not os.path.exists(d) for d in remote_dirs)


def test_unreachable_host_is_a_clear_error(fake):
    result = fake.run("--xenrace-host", "dom0.example", "--xenrace-ssh", str(fake.path / "unreachable-ssh"))
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*cannot reach the dom0 host 'dom0.example' over ssh*Connection refused*"])


def test_unreachable_host_with_the_real_ssh(fake):
    if not shutil.which("ssh"):
        pytest.skip("ssh client not installed (Debian openssh-client)")
    # Port 1 on the loopback refuses at once: no network, no waiting.
    result = fake.run("--xenrace-host", "127.0.0.1", "--xenrace-ssh", "ssh -o BatchMode=yes -p 1")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*cannot reach the dom0 host '127.0.0.1' over ssh*"])


def real_xenrace():
    candidates = [os.environ.get("XENRACE_BIN", ""), str(REPO / "build" / "xenrace")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    return None


def test_real_binary_one_item_per_listed_variant(pytester):
    binary = real_xenrace()
    if not binary:
        pytest.skip("no xenrace binary: build it or set XENRACE_BIN")
    import subprocess
    listed = json.loads(subprocess.run([binary, "list", "--json"], capture_output=True, text=True, check=True).stdout)
    expected = [f"scenarios.xenrace::{s['name']}::{v['name']}" for s in listed for v in s["variants"]]
    pytester.makefile(".xenrace", scenarios="")
    # Pin the rootdir: pytest picks it before the plugin's options are known, so the binary's path would
    # count as an argument, and with a clone under /tmp the rootdir (and so every node id) would be /tmp.
    result = pytester.runpytest("-p", "xenrace_pytest", "--rootdir", str(pytester.path), "--xenrace-bin", binary,
                                "--collect-only", "-q")
    assert [line for line in result.outlines if line.startswith("scenarios.xenrace::")] == expected


def test_real_binary_demo_counter_meets_its_expectations(pytester):
    binary = real_xenrace()
    if not binary:
        pytest.skip("no xenrace binary: build it or set XENRACE_BIN")
    pytester.makefile(".xenrace", scenarios="demo-counter\n")
    reports = pytester.path / "reports"
    result = pytester.runpytest("-p", "xenrace_pytest", "--xenrace-bin", binary, "--xenrace-report-dir", str(reports))
    result.assert_outcomes(passed=1, xfailed=1)
    assert (reports / "demo-counter-buggy" / "trace-demo-counter-buggy.json").is_file()
    assert json.loads((reports / "demo-counter-buggy" / "results.json").read_text())["complete"] is True


def test_real_binary_verify_passes_a_proof_and_fails_a_sample(pytester):
    binary = real_xenrace()
    if not binary:
        pytest.skip("no xenrace binary: build it or set XENRACE_BIN")
    pytester.makefile(".xenrace", scenarios="demo-counter\nloop-block-script\n")
    result = pytester.runpytest("-p", "xenrace_pytest", "--xenrace-bin", binary, "--xenrace-verify",
                                "--xenrace-iterations", "20", "-k", "fixed and not killed")
    # demo-counter/fixed is proved in 6 executions; loop-block-script/fixed does not finish in 20.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*loop-block-script/fixed: expected pass, and verified (--xenrace-verify), but not "
                                 "verified within budget: *"])


# A fake ci/nightly: logs its argv, and writes DIR/<xenstored>/compare/compare.json from $FAKE_DIR/rows.json
# (or prints a 'skipped:' line when $FAKE_DIR/vm-skip exists).
FAKE_NIGHTLY = textwrap.dedent("""\
    #!/usr/bin/python3
    import json, os, sys
    d = os.environ["FAKE_DIR"]
    args = sys.argv[1:]
    with open(os.path.join(d, "nightly-calls.jsonl"), "a") as f:
        f.write(json.dumps(args) + "\\n")
    if os.path.exists(os.path.join(d, "vm-skip")):
        print("skipped: qemu-system-x86_64 is not installed")
        sys.exit(0)
    out, xs = args[args.index("--out") + 1], args[args.index("--xenstored") + 1]
    os.makedirs(os.path.join(out, xs, "compare"))
    with open(os.path.join(out, xs, "compare", "compare.json"), "w") as f:
        f.write(open(os.path.join(d, "rows.json")).read())
    """)


def vm_row(scenario, variant, sim, replay, **extra):
    row = {"scenario": scenario, "variant": variant, "sim_verdict": sim, "sim_check": "c" if sim == "fail" else "",
           "replay_verdict": replay, "replay_check": "c" if replay == "fail" else "",
           "replay_agrees": None if replay == "skipped" else sim == replay, "replayed": "xr1-FAKE",
           "skip_reason": "no mdev bus" if replay == "skipped" else "", "cleanup_ok": True}
    row.update(extra)
    return row


@pytest.fixture
def fake_vm(fake):
    (fake.path / "nightly").write_text(FAKE_NIGHTLY)
    (fake.path / "nightly").chmod(0o755)

    def run(rows, *args):
        (fake.path / "rows.json").write_text(json.dumps(rows))
        return fake.run("--xenrace-backend", "dom0", "--xenrace-vm", str(fake.path / "nightly"), "-rs", *args)

    return run


def nightly_calls(fake):
    log = fake.path / "nightly-calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_vm_items_are_the_nightly_compare_rows(fake, fake_vm):
    rows = [vm_row("alpha", "buggy", "fail", "fail"), vm_row("alpha", "fixed", "pass", "pass"),
            vm_row("beta-pci", "fixed", "pass", "skipped")]
    result = fake_vm(rows, "--xenrace-vm-xenstored", "ocaml")
    result.assert_outcomes(passed=1, xfailed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*real Xen VM (ocaml xenstored) cannot host it: no mdev bus*"])
    [call] = nightly_calls(fake)  # one boot for the whole session
    assert call[call.index("--xenstored") + 1] == "ocaml"
    assert call[call.index("--xenrace") + 1] == fake.bin
    assert not [c for c in fake.calls() if c[:1] in (["run"], ["explore"])], "items must not run xenrace themselves"


def test_vm_disagreement_with_the_simulator_fails(fake, fake_vm):
    rows = [vm_row("alpha", "buggy", "fail", "pass"), vm_row("alpha", "fixed", "pass", "pass"),
            vm_row("beta-pci", "fixed", "pass", "pass", cleanup_ok=False)]
    result = fake_vm(rows)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.no_fnmatch_line("*XFAIL*")
    result.stdout.fnmatch_lines(["*the simulator says fail (c), real Xen (c xenstored) says pass*",
                                 "*left resources behind*"])


def test_vm_unavailable_is_a_skip_with_the_reason_not_a_pass(fake, fake_vm):
    (fake.path / "vm-skip").write_text("")
    result = fake_vm([])
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(["*the local Xen VM is unavailable: skipped: qemu-system-x86_64 is not installed*"])
    [call] = nightly_calls(fake)
    assert "--skip-unavailable" in call


def test_vm_run_that_wrote_no_rows_is_an_error(fake, fake_vm):
    (fake.path / "nightly").write_text("#!/bin/sh\necho 'nightly: build failed: see build.log' >&2\nexit 126\n")
    result = fake_vm([])
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*exited 126 without c/compare/compare.json*", "*build failed*"])


def test_vm_needs_the_dom0_backend(fake):
    result = fake.run("--xenrace-vm", "ci/nightly")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--xenrace-vm needs --xenrace-backend dom0*"])


def test_vm_race_not_found_by_the_simulator_is_xpass_strict(fake, fake_vm):
    rows = [vm_row("alpha", "buggy", "pass", "pass"), vm_row("alpha", "fixed", "pass", "pass"),
            vm_row("beta-pci", "fixed", "pass", "pass")]
    result = fake_vm(rows, "-k", "buggy")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*[[]XPASS(strict)[]]*", "*expected fail, but the simulator found no race*"])


def test_node_ids_do_not_carry_the_checkout_path(fake, pytester):
    # pytest started elsewhere on the checkout's driver/ folder, the binary outside the checkout: the ids are
    # relative to driver/ (its pytest.ini), not to / or the checkout's parent.
    result = pytester.runpytest_subprocess(str(DRIVER), "--xenrace-bin", fake.bin, "--collect-only", "-q")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == ["scenarios.xenrace::alpha::buggy", "scenarios.xenrace::alpha::fixed",
                   "scenarios.xenrace::beta-pci::fixed"], result.outlines
