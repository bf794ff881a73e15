"""`xenrace run --backend dom0`: one scenario on a host, here against `xenrace serve-xenstore`.

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
"""
import json

from test_cli import xenrace


def run(sock, *args):
    return xenrace("run", "--backend", "dom0", "--xenstored-path", sock, "--i-know-this-is-a-test-host",
                   "--config", "/dev/null", *args)


def test_run_writes_its_report_and_trace_into_a_new_nested_report_dir(xenstored, tmp_path):
    reports = tmp_path / "a" / "b"
    p = run(xenstored, "demo-counter", "--variant", "fixed", "--runs", "3", "--report-dir", str(reports))
    assert p.returncode == 0, (p.stdout, p.stderr)
    [report] = [f for f in reports.iterdir() if f.suffix == ".json" and not f.name.endswith(".trace.json")]
    assert json.loads(report.read_text())["scenario"] == "demo-counter"


def test_run_refuses_a_report_dir_it_cannot_write_before_touching_the_host(xenstored, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    p = run(xenstored, "demo-counter", "--report-dir", str(blocker / "reports"))
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert str(blocker / "reports") in p.stderr and "dom0 run" not in p.stderr


def test_run_takes_a_variant_id_as_explore_prints_it(xenstored):
    p = run(xenstored, "demo-counter/fixed", "--runs", "2", "--json")
    assert p.returncode == 0, (p.stdout, p.stderr)
    report = json.loads(p.stdout)
    assert (report["scenario"], report["variant"]) == ("demo-counter", "fixed")
    p = run(xenstored, "demo-counter/fixed", "--variant", "buggy")
    assert p.returncode == 2 and "name two variants" in p.stderr, (p.stdout, p.stderr)
