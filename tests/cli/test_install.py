"""What `cmake --install` puts beside bin/xenrace, used from the installed location: the pytest plugin (found
through its pytest11 entry point, no -p), the CI scripts (bin/xenrace-gate finds the installed xenrace), the
man page, and the bash completion (driven here as bash drives it).

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
The install tests use the build directory of $XENRACE_BIN (it holds CMakeCache.txt) and skip without one.
"""
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from test_cli import BIN, xenrace

REPO = Path(__file__).resolve().parents[2]
COMPLETION = REPO / "cli" / "xenrace-completion.bash"


def listed():
    return json.loads(xenrace("list", "--json", check_code=0).stdout)


def test_list_names_gives_scenarios_and_variant_ids():
    expected = []
    for s in listed():
        expected += [s["name"]] + [f"{s['name']}/{v['name']}" for v in s["variants"]]
    assert xenrace("list", "--names", check_code=0).stdout.splitlines() == expected


def test_list_names_is_hidden_from_the_help():
    assert "--names" not in xenrace("list", "--help", check_code=0).stdout


def complete(line, binary=BIN):
    """The words bash's completion offers for LINE (the cursor at its end), through the installed script."""
    words = line.split(" ")
    words[0] = binary
    script = (f"source {shlex.quote(str(COMPLETION))}\n"
              f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n"
              "_xenrace\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return [w for w in p.stdout.splitlines() if w]


def test_completion_offers_the_commands_the_help_lists():
    words = complete("xenrace ")
    help_text = xenrace("--help", check_code=0).stdout
    assert words and all(f"  {w} " in help_text for w in words)
    assert {"list", "explore", "replay", "run", "compare", "help"} <= set(words)
    assert complete("xenrace ex") == ["explore"]


def test_completion_offers_scenarios_and_variant_ids():
    demo = complete("xenrace explore demo-c")
    assert demo == ["demo-counter", "demo-counter/buggy", "demo-counter/fixed"]
    names = {s["name"] for s in listed()}
    assert names <= set(complete("xenrace explore "))


def test_completion_offers_the_commands_options_and_their_values():
    options = complete("xenrace explore --")
    assert {"--all", "--strategy", "--iterations", "--report-dir", "--json", "--help"} <= set(options)
    assert "--names" not in complete("xenrace list --")  # hidden stays hidden
    assert "--socket" in complete("xenrace serve-xenstore --")
    assert complete("xenrace explore --strategy ") == ["random", "pct", "dfs", "dpor"]
    assert {"--jobs", "--shard", "--verify"} <= set(options)
    assert "auto" in complete("xenrace explore --jobs ")
    assert "2/4" in complete("xenrace explore --shard ")
    assert "merge" in complete("xenrace ")
    assert "--report-dir" in complete("xenrace merge --")
    assert complete("xenrace --") == ["--help", "--version", "--load"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    build = Path(BIN).resolve().parent
    if not (build / "CMakeCache.txt").is_file():
        pytest.skip(f"{BIN} is not in a CMake build directory")
    # The man page is built by the `all` target; build it if only `xenrace` was.
    subprocess.run(["cmake", "--build", str(build), "-j1", "--target", "xenrace_man"], check=True,
                   capture_output=True)
    prefix = tmp_path_factory.mktemp("prefix")
    p = subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return prefix


def site_dir(prefix):
    [d] = [p.parent for p in prefix.glob("lib/python3*/*-packages/xenrace_pytest.py")]
    return d


def test_install_puts_the_plugin_with_its_entry_point(installed):
    site = site_dir(installed)
    [info] = site.glob("xenrace_pytest-*.dist-info")
    assert "[pytest11]\nxenrace_pytest = xenrace_pytest" in (info / "entry_points.txt").read_text()
    assert (site / "xenrace_pytest.py").read_text() == (REPO / "driver" / "xenrace_pytest.py").read_text()


def test_installed_plugin_loads_without_p(installed, tmp_path):
    # The site directory on sys.path stands for a system one (ci/package-test checks /usr itself): pytest must
    # find the plugin through the .dist-info's entry point, as nothing names it on the command line.
    (tmp_path / "here.xenrace").write_text("demo-counter\n")
    env = dict(os.environ, PYTHONPATH=str(site_dir(installed)))
    p = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-rx", "-p", "no:cacheprovider",
                        "--xenrace-bin", str(installed / "bin" / "xenrace"), "here.xenrace"],
                       cwd=tmp_path, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 passed, 1 xfailed" in p.stdout
    assert "XFAIL here.xenrace::demo-counter::buggy - reason: race found as expected" in p.stdout


def test_installed_gate_runs_the_installed_xenrace(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "XENRACE_BIN"}
    env["PATH"] = "/usr/bin:/bin"  # no xenrace on PATH: the gate must find the one installed beside it
    p = subprocess.run([str(installed / "bin" / "xenrace-gate"), "--scenario", "demo-counter", "--report-dir",
                        str(tmp_path / "reports")], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"== {installed / 'bin' / 'xenrace'} " in p.stdout
    gate = json.loads((tmp_path / "reports" / "gate.json").read_text())
    assert json.dumps(gate).count("demo-counter") >= 2


def test_installed_nightly_and_xen_vm_start_from_bin(installed):
    for name, says in (("xenrace-nightly", "ci/nightly - the nightly real-Xen run"),
                       ("xenrace-xen-vm", "ci/xen-vm - run commands inside a real Xen")):
        p = subprocess.run([str(installed / "bin" / name), "--help"], capture_output=True, text=True)
        assert p.returncode == 0 and says in p.stdout, p.stdout + p.stderr
    ci = installed / "share" / "xenrace" / "ci"
    assert (ci / "xen-vm.d" / "init").is_file() and os.access(ci / "xen-vm.d" / "run-steps.sh", os.R_OK)


def test_installed_man_page_and_completion(installed):
    page = (installed / "share" / "man" / "man1" / "xenrace.1").read_text()
    assert page.startswith(".\\\" DO NOT MODIFY THIS FILE!") and ".SH COMMANDS" in page
    assert '.SS "xenrace explore"' in page and "--strategy" in page
    completion = installed / "share" / "bash-completion" / "completions" / "xenrace"
    assert completion.read_text() == COMPLETION.read_text()
    # The installed script works with the installed binary.
    assert complete("xenrace explore demo-counter/b", binary=str(installed / "bin" / "xenrace")) == \
        ["demo-counter/buggy"]
