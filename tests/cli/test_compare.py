"""`xenrace compare --backend dom0`: the simulator's verdict next to the host's, as the nightly real-Xen run
publishes it. Here the host's XenStore is `xenrace serve-xenstore` (real libxenstore, the project's server);
loop devices are real when the machine allows (root, /dev/loop-control).

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
"""
import json
import os

import pytest

from test_cli import xenrace


def compare(sock, tmp_path, *args, check_code=None):
    return xenrace("compare", "--backend", "dom0", "--xenstored-path", sock, "--i-know-this-is-a-test-host",
                   "--config", "/dev/null", "--report-dir", str(tmp_path / "reports"), *args, check_code=check_code)


def test_compare_puts_sim_and_host_verdicts_side_by_side(xenstored, tmp_path):
    p = compare(xenstored, tmp_path, "demo-counter", "--runs", "20", "--json", check_code=0)
    rows = json.loads(p.stdout)
    assert [(r["scenario"], r["variant"]) for r in rows] == [("demo-counter", "buggy"), ("demo-counter", "fixed")]
    by = {r["variant"]: r for r in rows}
    assert by["buggy"]["sim_verdict"] == "fail" and by["buggy"]["replay_verdict"] == "fail"
    assert by["buggy"]["replay_check"] == by["buggy"]["sim_check"] == "no lost update"
    assert by["fixed"]["sim_verdict"] == "pass" and by["fixed"]["replay_verdict"] == "pass"
    for r in rows:
        assert r["replay_agrees"] is True and r["cleanup_ok"] is True
        assert r["replayed"].startswith("xr1-")
        assert r["free_runs"] == 20 and 0 <= r["free_failures"] <= 20
        assert r["real_components"] == []  # the demo touches no host component, and says so
    assert by["fixed"]["free_failures"] == 0
    assert json.loads((tmp_path / "reports" / "compare.json").read_text()) == rows


@pytest.mark.skipif(os.geteuid() != 0 or not os.access("/dev/loop-control", os.W_OK),
                    reason="needs root and /dev/loop-control for real loop devices")
def test_compare_on_real_loop_devices_and_libxenstore(xenstored, tmp_path):
    p = compare(xenstored, tmp_path, "blkback-minor-reuse", "--variant", "buggy", "--runs", "5", "--json",
                check_code=0)
    [row] = json.loads(p.stdout)
    assert row["sim_verdict"] == row["replay_verdict"] == "fail", row
    assert row["replay_check"] == row["sim_check"]
    assert any("libxenstore against " + xenstored in c for c in row["real_components"])
    assert any(c.startswith("loop devices") for c in row["real_components"])
    assert any("xen-blkback driver" in c for c in row["simulated_components"])
    assert (tmp_path / "reports" / "blkback-minor-reuse.buggy.replay.trace.json").exists()


def test_compare_writes_the_simulators_and_the_hosts_timelines(xenstored, tmp_path):
    compare(xenstored, tmp_path, "demo-counter", "--runs", "3", check_code=0)
    sim = json.loads((tmp_path / "reports" / "simulator" / "results.json").read_text())
    host = json.loads((tmp_path / "reports" / "host" / "results.json").read_text())
    assert sim["complete"] and host["complete"]
    assert sim["command"] == "compare (simulator)" and host["command"] == "compare (host replay)"
    assert [r["variant"] for r in sim["results"]] == [r["variant"] for r in host["results"]] == ["buggy", "fixed"]
    sim_buggy, host_buggy = sim["results"][0], host["results"][0]
    assert sim_buggy["verdict"] == "fail" and host_buggy["sim_verdict"] == host_buggy["replay_verdict"] == "fail"
    # The host's failure is its own execution, with the command that replays it there, consent and socket included.
    assert host_buggy["replay_command"].endswith(
        "run demo-counter --backend dom0 --replay " + host_buggy["replayed"] + " --config /dev/null --xenstored-path "
        + xenstored + " --i-know-this-is-a-test-host")
    assert host_buggy["trace"]["events"], host_buggy
    for d, source in (("simulator", "compare (simulator)"), ("host", "compare (host replay)")):
        page = (tmp_path / "reports" / d / "timeline.html").read_text()
        assert "demo-counter/buggy &mdash; violated: no lost update" in page
        assert f"<h1>xenrace timeline &mdash; {source}</h1>" in page
        assert (tmp_path / "reports" / d / "junit.xml").exists()
        assert (tmp_path / "reports" / d / "trace-demo-counter-buggy.json").exists()


def test_compare_refuses_a_report_dir_it_cannot_write_before_touching_the_host(xenstored, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    p = xenrace("compare", "--backend", "dom0", "--xenstored-path", xenstored, "--i-know-this-is-a-test-host",
                "--config", "/dev/null", "--report-dir", str(blocker / "reports"), "demo-counter")
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert str(blocker / "reports") in p.stderr and "xenrace: demo-counter" not in p.stderr


def test_compare_lists_a_variant_the_host_cannot_run_as_skipped(xenstored, tmp_path):
    p = compare(xenstored, tmp_path, "mdev-create-remove", "--variant", "old-core-create-gap", "--json",
                check_code=0)
    [row] = json.loads(p.stdout)
    assert row["sim_verdict"] == "fail"
    assert row["replay_verdict"] == "skipped" and row["replay_agrees"] is None
    assert "mdev" in row["skip_reason"]


@pytest.mark.parametrize("args,needle", [
    (["compare", "--backend", "sim"], "unknown backend"),
    (["compare", "--backend", "dom0", "demo-counter", "pci-attach", "--variant", "nope*",
      "--i-know-this-is-a-test-host"], "--variant 'nope*' matches no variant"),
    (["compare", "--backend", "dom0", "pci-*/nope", "--i-know-this-is-a-test-host"], "unknown variant 'nope' of scenario 'pci-attach'"),
    (["compare", "--backend", "dom0", "no-such-scenario", "--i-know-this-is-a-test-host"], "no-such-scenario"),
    (["compare", "--backend", "dom0", "--config", "/dev/null"], "refusing to run on this host"),
    (["compare", "--backend", "dom0", "--blkback", "kernel", "--i-know-this-is-a-test-host"], "blkback must be"),
    (["compare", "--backend", "dom0", "--pciback", "kernel", "--allow-pci", "0000:00:01.0",
      "--i-know-this-is-a-test-host"], "pciback must be 'simulated' or 'real', got 'kernel'"),
    (["compare", "--backend", "dom0", "--pciback", "real", "--allow-pci", "0000:00:01.*",
      "--i-know-this-is-a-test-host"], "--allow-pci: '0000:00:01.*' is not a PCI function"),
    (["compare", "--backend", "dom0", "--pciback", "real", "--config", "/dev/null",
      "--i-know-this-is-a-test-host"], "pciback = real needs at least one host PCI device"),
    (["run", "pci-attach", "--backend", "dom0", "--pciback", "real", "--allow-pci", "0000:00:01.0",
      "--allow-pci", "00:01.0", "--i-know-this-is-a-test-host"], "0000:00:01.0 is given twice"),
    (["compare", "--backend", "dom0", "--block-script", "bash", "--blkback", "real",
      "--i-know-this-is-a-test-host"], "--block-script: block script must be 'modelled' or 'real', got 'bash'"),
    (["compare", "--backend", "dom0", "--block-script", "real", "--i-know-this-is-a-test-host"],
     "block script = real needs blkback = real"),
    (["run", "blkback-minor-reuse", "--backend", "dom0", "--block-script", "real", "--blkback", "simulated",
      "--i-know-this-is-a-test-host"], "block script = real needs blkback = real"),
])
def test_compare_bad_input_is_exit_2(args, needle):
    p = xenrace(*args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert needle in p.stderr, p.stderr


@pytest.mark.skipif(os.path.exists("/sys/bus/pci/drivers/pciback"),
                    reason="this host has xen-pciback: the missing-driver skip is not reachable")
def test_compare_with_pciback_real_on_a_host_without_it_skips_pci_attach(xenstored, tmp_path):
    p = compare(xenstored, tmp_path, "pci-attach", "--variant", "fixed", "--pciback", "real", "--allow-pci",
                "0000:00:01.0", "--json", check_code=0)
    [row] = json.loads(p.stdout)
    assert row["sim_verdict"] == "pass"
    assert row["replay_verdict"] == "skipped" and row["replay_agrees"] is None
    assert "this host has no xen-pciback" in row["skip_reason"], row["skip_reason"]


@pytest.mark.skipif(os.path.exists("/sys/bus/xen-backend/drivers/vbd"),
                    reason="this host has xen-blkback: the missing-driver skip is not reachable")
def test_compare_with_the_real_block_script_on_a_host_without_xen_skips_every_variant(xenstored, tmp_path):
    p = compare(xenstored, tmp_path, "blkback-minor-reuse", "--blkback", "real", "--block-script", "real", "--runs",
                "2", "--json", check_code=0)
    rows = json.loads(p.stdout)
    assert len(rows) == 7
    for row in rows:
        assert row["replay_verdict"] == "skipped" and row["replay_agrees"] is None, row
        assert row["free_runs"] == 0, row
    by = {r["variant"]: r for r in rows}
    assert "this host has no xen-blkback" in by["buggy"]["skip_reason"], by["buggy"]["skip_reason"]
