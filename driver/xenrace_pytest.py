"""pytest plugin: every xenrace scenario variant as one pytest test item.

Collection reads ``xenrace list --json`` once per session; each variant becomes the item
``<file>.xenrace::<scenario>::<variant>``, so ``-k`` selects by scenario, variant, or tag (tags and
``expect_pass`` / ``expect_fail`` are extra keywords). Running an item runs the xenrace CLI:

  sim backend:  xenrace explore SCENARIO --variant V --json --report-dir DIR [--strategy/--iterations/--seed]
                [--verify]
  dom0 backend: xenrace run SCENARIO --variant V --backend dom0 --json --report-dir DIR [--runs/--seed]

(plus any --xenrace-arg). A fixed variant that passes is PASSED; a buggy variant whose race was found is
XFAIL (it carries a strict ``xfail`` marker, and the reason names the violated check and the replay command);
a fixed variant that fails is FAILED, a buggy variant whose race was not found is XPASS(strict), which fails.
With ``--xenrace-verify`` a fixed variant must also be verified (every schedule explored, or every schedule within
the largest preemption bound the budget allows, as ``explore --verify`` says): a sampled pass is FAILED too.
  dom0 backend in a local Xen VM (``--xenrace-vm ci/nightly``): the nightly real-Xen run is started once per
  session (``ci/nightly --out DIR --xenrace BIN --xenstored X``), and each item is its ``xenrace compare`` row
  for the variant: it passes when the simulator met the expectation and the replay on real Xen gave the same
  verdict, fails when real Xen disagreed, and is skipped with the reason when the VM cannot host the variant. On dom0, exit 4 (the host lacks a component) and exit 2 (the backend refused or is
not built) are skips carrying xenrace's reason.
A failure shows the violated check, the shrunk trace and the replay command; the report files are attached
as user properties (pytest's --junitxml writes them as <property> elements). With ``--xenrace-host`` the
commands run on a dom0 host over ssh and the report directory is copied back.

Items come from files named ``*.xenrace`` in the collected paths. Such a file holds one selector per line
(``#`` starts a comment): a scenario name or glob (``pci-*``) or ``tag:NAME``; an empty file selects every
scenario. Installed (``cmake --install``, or the Debian package), the plugin is a ``pytest11`` entry point that
pytest loads by itself; from a checkout, run pytest on the ``driver/`` folder, whose conftest loads it, or
put ``driver/`` on PYTHONPATH and give ``-p xenrace_pytest``. Report directories default to pytest's own
temporary directories (``tmp_path_factory``), which pytest prunes.
"""
import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

__version__ = "0.1.0"  # xenrace's version: cmake/install-tools.cmake checks that the two agree
__all__ = ["pytest_addoption", "pytest_configure", "pytest_collect_file"]

_SSH_UNREACHABLE = 255  # ssh's own exit code when it cannot connect or authenticate
_USAGE_ERROR = 2        # xenrace: bad usage or input (and the exit code of a command not built yet)
_NOT_VERIFIED = 5       # xenrace explore --verify: every expectation met, a passing variant not verified
_SKIPPED = 4            # xenrace run: the host lacks a component the scenario needs


class XenraceError(Exception):
    """A problem running xenrace itself (not a verdict): shown as a plain message, no traceback."""


class _VmUnavailable(Exception):
    """--xenrace-vm: QEMU or the Xen packages cannot be had here (ci/nightly said 'skipped: ...')."""


def pytest_addoption(parser):
    group = parser.getgroup("xenrace", "xenrace scenario variants as test items")
    group.addoption("--xenrace-bin", default=os.environ.get("XENRACE_BIN", "xenrace"),
                    help="xenrace executable (on the host with --xenrace-host); default $XENRACE_BIN or 'xenrace'")
    group.addoption("--xenrace-strategy", default=None, help="exploration strategy: random | pct | dfs | dpor")
    group.addoption("--xenrace-verify", action="store_true",
                    help="sim backend: prove each fixed variant (xenrace explore --verify); one that passes on a "
                         "sample only, not verified within the budget, FAILS")
    group.addoption("--xenrace-iterations", type=int, default=None,
                    help="executions per variant (sim: --iterations; dom0: --runs; default: xenrace's)")
    group.addoption("--xenrace-seed", type=int, default=None, help="seed of the strategy")
    group.addoption("--xenrace-backend", choices=("sim", "dom0"), default="sim",
                    help="sim: explore in the simulator; dom0: run on a real Xen dom0 (xenrace run --backend dom0)")
    group.addoption("--xenrace-host", default=None,
                    help="run xenrace on this dom0 host over ssh ([user@]host), for nightly real-host jobs")
    group.addoption("--xenrace-ssh", default="ssh -o BatchMode=yes -o ConnectTimeout=15",
                    help="ssh command used with --xenrace-host (default: %(default)s)")
    group.addoption("--xenrace-arg", action="append", default=[], metavar="ARG",
                    help="extra argument for every variant's command, e.g. --xenrace-arg=--i-know-this-is-a-test-host")
    group.addoption("--xenrace-vm", default=None, metavar="NIGHTLY",
                    help="with --xenrace-backend dom0: run every variant on real Xen in a local QEMU VM through this "
                         "ci/nightly script (booted once per session)")
    group.addoption("--xenrace-vm-xenstored", default="c", choices=("c", "ocaml"),
                    help="the VM's xenstored for --xenrace-vm (default: c)")
    group.addoption("--xenrace-report-dir", default=None,
                    help="keep each variant's reports in DIR/<scenario>-<variant> (default: under pytest's temporary "
                         "directory, tmp_path_factory)")


def pytest_configure(config):
    config.addinivalue_line("markers", "xenrace(scenario, variant, expect): a xenrace scenario variant")
    config.stash[_runner_key] = Runner(config)


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".xenrace":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class Runner:
    """Runs xenrace commands locally or on the dom0 host, and owns the session's report directory."""

    def __init__(self, config):
        opt = config.getoption
        self.binary = opt("xenrace_bin")
        self.strategy = opt("xenrace_strategy")
        self.iterations = opt("xenrace_iterations")
        self.seed = opt("xenrace_seed")
        self.verify = opt("xenrace_verify")
        self.backend = opt("xenrace_backend")
        self.host = opt("xenrace_host")
        self.ssh = shlex.split(opt("xenrace_ssh"))
        self.extra_args = list(opt("xenrace_arg"))
        chosen = opt("xenrace_report_dir")
        self.report_root = Path(chosen).resolve() if chosen else None
        self.config = config
        self._scenarios = None
        self.vm = opt("xenrace_vm")
        self.vm_xenstored = opt("xenrace_vm_xenstored")
        self._vm_rows = None
        if self.vm and self.backend != "dom0":
            raise pytest.UsageError("--xenrace-vm needs --xenrace-backend dom0")
        if self.vm and self.host:
            raise pytest.UsageError("--xenrace-vm and --xenrace-host are two different dom0s: give one")
        if self.verify and self.backend != "sim":
            raise pytest.UsageError("--xenrace-verify proves variants in the simulator: it needs --xenrace-backend sim")

    def where(self):
        return f"on {self.host}" if self.host else "locally"

    def run(self, argv, timeout=None):
        """Runs `xenrace argv...`; returns the CompletedProcess. Raises XenraceError when it cannot start."""
        command = [self.binary, *argv]
        if self.host:
            command = [*self.ssh, self.host, shlex.join(command)]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=timeout)
        except FileNotFoundError as e:
            missing = self.ssh[0] if self.host else self.binary
            raise XenraceError(f"cannot run '{missing}': {e.strerror} (set --xenrace-bin or XENRACE_BIN)") from e
        except PermissionError as e:
            raise XenraceError(f"cannot run '{command[0]}': {e.strerror}") from e
        if self.host and proc.returncode == _SSH_UNREACHABLE:
            raise XenraceError(f"cannot reach the dom0 host '{self.host}' over ssh ({shlex.join(self.ssh)}): "
                               f"{proc.stderr.strip() or 'ssh exited 255'}")
        return proc

    def scenarios(self):
        """The parsed `xenrace list --json`, fetched once per session."""
        if self._scenarios is None:
            proc = self.run(["list", "--json"])
            if proc.returncode != 0:
                raise XenraceError(f"'{self.binary} list --json' {self.where()} exited {proc.returncode}: "
                                   f"{proc.stderr.strip()}")
            try:
                listed = json.loads(proc.stdout)
            except json.JSONDecodeError as e:
                raise XenraceError(f"'{self.binary} list --json' {self.where()} did not print valid JSON ({e}); "
                                   f"its output begins: {proc.stdout[:200]!r}") from e
            if not isinstance(listed, list) or not all(
                    isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("variants"), list)
                    for s in listed):
                raise XenraceError(f"'{self.binary} list --json' {self.where()} printed JSON that is not a list "
                                   "of scenarios with 'name' and 'variants'")
            self._scenarios = listed
        return self._scenarios

    def variant_command(self, scenario, variant, report_dir):
        if self.backend == "dom0":
            argv = ["run", scenario, "--variant", variant, "--backend", "dom0"]
            budget = "--runs"
        else:
            argv = ["explore", scenario, "--variant", variant]
            if self.strategy:
                argv += ["--strategy", self.strategy]
            if self.verify:
                argv.append("--verify")
            budget = "--iterations"
        if self.iterations is not None:
            argv += [budget, str(self.iterations)]
        if self.seed is not None:
            argv += ["--seed", str(self.seed)]
        return argv + self.extra_args + ["--json", "--report-dir", str(report_dir)]

    def reports(self):
        """The session's report root: --xenrace-report-dir, else a numbered directory from pytest's
        tmp_path_factory (the object the `tmp_path_factory` fixture returns; under --basetemp when given, and
        pruned by pytest like every tmp_path), so a session or xdist worker leaves nothing of its own in /tmp."""
        if self.report_root is None:
            factory = getattr(self.config, "_tmp_path_factory", None)
            if factory is None:
                raise XenraceError("pytest's tmpdir plugin is disabled (-p no:tmpdir): give --xenrace-report-dir")
            self.report_root = factory.mktemp("xenrace-reports", numbered=True)
        return self.report_root

    def local_report_dir(self, scenario, variant):
        path = self.reports() / f"{scenario}-{variant}".replace("/", "_")
        if path.exists():
            shutil.rmtree(path)
        return path

    def run_variant(self, scenario, variant):
        """Runs one variant; returns (CompletedProcess, local report directory)."""
        local = self.local_report_dir(scenario, variant)
        if not self.host:
            return self.run(self.variant_command(scenario, variant, local)), local
        remote = f"/tmp/xenrace-pytest-{uuid.uuid4().hex}"
        try:
            proc = self.run(self.variant_command(scenario, variant, remote))
            self.fetch(remote, local)
        finally:  # leave nothing behind on the host, whatever happened
            subprocess.run([*self.ssh, self.host, shlex.join(["rm", "-rf", "--", remote])],
                           capture_output=True, text=True)
        return proc, local

    def vm_rows(self):
        """The VM's `xenrace compare` rows by (scenario, variant): runs ci/nightly once per session."""
        if self._vm_rows is not None:
            return self._vm_rows
        out = self.reports() / "nightly"
        binary = shutil.which(self.binary) or self.binary
        command = [self.vm, "--out", str(out), "--xenrace", binary, "--xenstored", self.vm_xenstored,
                   "--skip-unavailable"]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, errors="replace")
        except OSError as e:
            raise XenraceError(f"cannot run the nightly script '{self.vm}': {e.strerror}") from e
        compare = out / self.vm_xenstored / "compare" / "compare.json"
        if "skipped: " in proc.stdout and not compare.exists():
            reason = next(line for line in proc.stdout.splitlines() if "skipped: " in line)
            self._vm_rows = _VmUnavailable(f"the local Xen VM is unavailable: {reason.strip()}")
        elif not compare.exists():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            self._vm_rows = XenraceError(f"{shlex.join(command)} exited {proc.returncode} without "
                                         f"{compare.relative_to(out)}:\n{tail}")
        else:
            try:
                rows = json.loads(compare.read_text(errors="replace"))
                self._vm_rows = {(r["scenario"], r["variant"]): r for r in rows}
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                self._vm_rows = XenraceError(f"{compare} is not a list of compare rows: {e}")
        return self._vm_rows

    def fetch(self, remote, local):
        """Copies the host's report directory back (tar over the same ssh: no scp or sftp needed)."""
        local.mkdir(parents=True, exist_ok=True)
        remote_tar = f"test -d {shlex.quote(remote)} && tar -C {shlex.quote(remote)} -cf - ."
        with subprocess.Popen([*self.ssh, self.host, remote_tar], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL) as ssh:
            untar = subprocess.run(["tar", "-C", str(local), "-xf", "-"], stdin=ssh.stdout, capture_output=True)
        if ssh.returncode == _SSH_UNREACHABLE:
            raise XenraceError(f"cannot reach the dom0 host '{self.host}' to fetch the reports")
        return ssh.returncode == 0 and untar.returncode == 0


_runner_key = pytest.StashKey[Runner]()


def _printed_result(stdout, scenario, variant):
    """The variant's object from the command's --json output (an array or one object), if it printed one."""
    try:
        printed = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    for r in printed if isinstance(printed, list) else [printed]:
        if isinstance(r, dict) and r.get("scenario") == scenario and r.get("variant", variant) == variant:
            return r
    return None


def _selected(scenario, selectors):
    if not selectors:
        return True
    for sel in selectors:
        if sel.startswith("tag:"):
            if sel[4:] in scenario.get("tags", []):
                return True
        elif fnmatch.fnmatchcase(scenario["name"], sel):
            return True
    return False


class ScenarioFile(pytest.File):
    """A *.xenrace file: selects scenarios; one child per scenario."""

    def collect(self):
        selectors = []
        for line in self.path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                selectors.append(line)
        try:
            scenarios = self.config.stash[_runner_key].scenarios()
        except XenraceError as e:
            raise self.CollectError(f"xenrace: {e}") from None
        for scenario in scenarios:
            if _selected(scenario, selectors):
                yield ScenarioNode.from_parent(self, name=scenario["name"], scenario=scenario)


class ScenarioNode(pytest.Collector):
    """One scenario: one item per variant."""

    def __init__(self, *, scenario, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.extra_keyword_matches.update(t for t in scenario.get("tags", []) if isinstance(t, str))

    def collect(self):
        for variant in self.scenario["variants"]:
            yield VariantItem.from_parent(self, name=variant["name"], scenario=self.scenario, variant=variant)


class VariantItem(pytest.Item):
    """One scenario variant: passes when xenrace says it met its expectation."""

    def __init__(self, *, scenario, variant, **kwargs):
        super().__init__(**kwargs)
        self.scenario_name = scenario["name"]
        self.variant_name = variant["name"]
        self.expect = variant.get("expect", "pass")
        self.extra_keyword_matches.add(f"expect_{self.expect}")
        self.add_marker(pytest.mark.xenrace(scenario=self.scenario_name, variant=self.variant_name,
                                            expect=self.expect))
        if self.expect == "fail":
            # A modelled bug: finding its race is the expected failure (XFAIL, reason from RaceFound). Not
            # finding it passes the item, which strict turns into a failure (XPASS(strict)); any other error
            # (xenrace crashed, bad usage, the wrong check broken) is not a RaceFound and stays a FAILED.
            self.add_marker(pytest.mark.xfail(
                strict=True, raises=RaceFound,
                reason=f"{self.scenario_name}/{self.variant_name} models a bug: xenrace must find its race"))

    def runtest(self):
        runner = self.config.stash[_runner_key]
        if runner.vm:
            return self._runtest_in_vm(runner)
        proc, report_dir = runner.run_variant(self.scenario_name, self.variant_name)
        printed = _printed_result(proc.stdout, self.scenario_name, self.variant_name)
        results = self._attach_reports(report_dir) or printed
        if runner.backend == "dom0" and proc.returncode in (_USAGE_ERROR, _SKIPPED):
            reason = (printed or {}).get("skip_reason") or proc.stderr.strip() or f"exit {proc.returncode}"
            pytest.skip(f"dom0 backend not usable {runner.where()}: {reason}")
        if proc.returncode == 0 and results is not None and results.get("verdict") == "skipped":
            # The variant cannot run here (process actors without root, say): a skip with xenrace's reason.
            pytest.skip(f"{self.scenario_name}/{self.variant_name} cannot run here: {results.get('skip_reason')}")
        if proc.returncode == 0:
            if self.expect == "fail":
                raise RaceFound(self._race_found_text(results))
            return
        if proc.returncode == _NOT_VERIFIED and runner.verify:
            # Every expectation met, but a fixed variant passed on a sample only: asked to prove it, that fails.
            raise VariantFailed(self._failure_text(proc, results, report_dir))
        if proc.returncode == 1:
            if self.expect == "fail" and results is not None and results.get("verdict") == "pass":
                # The race was not found: return, so that the strict xfail marker reports XPASS(strict).
                self.add_report_section("call", "xenrace", self._failure_text(proc, results, report_dir))
                return
            raise VariantFailed(self._failure_text(proc, results, report_dir))
        raise XenraceError(f"xenrace exited {proc.returncode} {runner.where()}: {proc.stderr.strip()}"
                           f"\ncommand: {shlex.join(runner.variant_command(self.scenario_name, self.variant_name, report_dir))}")

    def _runtest_in_vm(self, runner):
        rows = runner.vm_rows()
        if isinstance(rows, _VmUnavailable):
            pytest.skip(str(rows))  # like a dom0 host that lacks a component: a skip, never a pass
        if isinstance(rows, XenraceError):
            raise rows
        row = rows.get((self.scenario_name, self.variant_name))
        if row is None:
            raise XenraceError(f"the VM's compare.json has no row for {self.scenario_name}/{self.variant_name} "
                               "(is the binary in the VM the same as the one listed here?)")
        self.user_properties.append(("xenrace_compare", json.dumps(row)))
        if row.get("replayed"):
            self.user_properties.append(("xenrace_replay", f"xenrace replay {row['replayed']}"))
        if self.expect == "fail" and row["sim_verdict"] == "pass":
            # The simulator did not find the race: XPASS(strict), with the row as the reason.
            self.add_report_section("call", "xenrace", f"{self.scenario_name}/{self.variant_name}: expected fail, "
                                    "but the simulator found no race")
            return None
        if row["sim_verdict"] != self.expect:
            raise VariantFailed(f"{self.scenario_name}/{self.variant_name}: expected {self.expect}, but the "
                                f"simulator's verdict was {row['sim_verdict']} {row.get('sim_check', '')}")
        if row["replay_verdict"] == "skipped":
            pytest.skip(f"real Xen VM ({runner.vm_xenstored} xenstored) cannot host it: {row['skip_reason']}")
        if not row.get("replay_agrees"):
            raise VariantFailed(
                f"{self.scenario_name}/{self.variant_name}: the simulator says {row['sim_verdict']} "
                f"({row.get('sim_check') or 'no check broken'}), real Xen ({runner.vm_xenstored} xenstored) says "
                f"{row['replay_verdict']} ({row.get('replay_check') or 'no check broken'}) for the same schedule\n"
                f"replayed: {row.get('replayed')}")
        if not row.get("cleanup_ok", True):
            raise VariantFailed(f"{self.scenario_name}/{self.variant_name}: the run on real Xen left resources "
                                f"behind (run {row.get('run_id')})")
        if self.expect == "fail":
            raise RaceFound(f"race found as expected: the simulator and real Xen ({runner.vm_xenstored} xenstored) "
                            f"both broke {row.get('sim_check') or 'a check'}; replayed: {row.get('replayed')}")
        return None

    def _race_found_text(self, result):
        """The XFAIL reason of a buggy variant whose race was found: the check and how to replay it."""
        if not result:
            return "race found as expected"
        text = f"race found as expected: violated {result.get('violated') or '?'}"
        if result.get("executions") is not None:
            text += f" after {result['executions']} executions"
        replay = result.get("replay_command") or result.get("replay")
        return text + (f"; replay: {replay}" if replay else "")

    def _attach_reports(self, report_dir):
        """Records the report files as user properties; returns this variant's results.json entry, if any."""
        index = report_dir / "results.json"
        if not index.is_file():
            return None
        try:
            results = json.loads(index.read_text(errors="replace"))
        except json.JSONDecodeError:
            return None
        if not results.get("complete"):
            return None
        self.user_properties.append(("xenrace_report_dir", str(report_dir)))
        for name in sorted(os.listdir(report_dir)):
            if not name.startswith("."):
                self.user_properties.append((f"xenrace_report:{name}", str(report_dir / name)))
        for r in results.get("results", []):
            if r.get("scenario") == self.scenario_name and r.get("variant") == self.variant_name:
                if r.get("replay_command"):
                    self.user_properties.append(("xenrace_replay", r["replay_command"]))
                return r
        return None

    def _failure_text(self, proc, result, report_dir):
        lines = [f"{self.scenario_name}/{self.variant_name}: expected {self.expect}"]
        if result is None:
            lines.append("no complete report was written; xenrace printed:")
            lines.append(proc.stdout.strip())
            lines.append(proc.stderr.strip())
            return "\n".join(lines)
        if result.get("verdict") == "fail":
            lines[0] += f", but it failed: {result.get('violated')}: {result.get('message', '')}"
            trace = result.get("trace") or {}
            lines.append("trace (step, actor, operation, arguments -> result):")
            for e in trace.get("events", []):
                lines.append(f"  {e.get('step'):>4}  {e.get('actor', '')[:28]:<28}  {e.get('op', ''):<22} "
                             f"{e.get('args', '')} -> {e.get('result', '')}")
            replay = result.get("replay_command") or result.get("replay")
            lines.append(f"replay: {replay}")
        elif result.get("shown_text") and proc.returncode == _NOT_VERIFIED:
            lines[0] += f", and verified (--xenrace-verify), but {result['shown_text']}"
        elif result.get("shown_text"):
            # What the pass showed: a sample ("no failure in N sampled executions ...") or a proof ("verified: ...").
            lines[0] += f", but {result['shown_text']}"
        else:
            lines[0] += f", but none of {result.get('executions', '?')} executions broke a check"
        files = sorted(n for n in os.listdir(report_dir) if not n.startswith(".")) if report_dir.is_dir() else []
        lines.append(f"reports: {report_dir} ({', '.join(files) or 'none written'})")
        return "\n".join(lines)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, (VariantFailed, XenraceError, RaceFound)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"xenrace {self.scenario_name}::{self.variant_name}"


class VariantFailed(Exception):
    """The variant did not meet its expectation; the message is the failure text."""


class RaceFound(pytest.xfail.Exception):
    """A buggy variant's race was found, as it must be: pytest reports it as XFAIL with this reason (with
    --runxfail, as a failure carrying the same text)."""

    def __init__(self, reason):
        super().__init__(reason)
