"""Strict input: numeric options that refuse what would wrap or be reinterpreted, and --param keys checked
against what the scenario reads. Each is a usage error (exit 2, one line on stderr) before anything runs.

Run: XENRACE_BIN=build/xenrace /usr/bin/python3 -m pytest tests/cli
"""
import json

import pytest

from test_cli import xenrace


def usage_error(args, needles):
    """The command is refused as a usage error: exit 2, one line on stderr naming `needles`, nothing run."""
    p = xenrace(*args)
    assert p.returncode == 2, (args, p.returncode, p.stdout[-500:], p.stderr)
    assert p.stdout == "", (args, p.stdout[-500:])
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    for n in needles:
        assert n in p.stderr, (args, n, p.stderr)
    return p.stderr


@pytest.mark.parametrize("args, needles", [
    (["explore", "demo-counter", "--iterations", "-5"], ["--iterations", "whole number >= 1", "'-5'"]),
    (["explore", "demo-counter", "--iterations", "0"], ["--iterations", "whole number >= 1", "'0'"]),
    (["explore", "demo-counter", "--iterations", "1.5"], ["--iterations", "'1.5'"]),
    (["explore", "demo-counter", "--iterations", "0x10"], ["--iterations", "'0x10'"]),
    (["explore", "demo-counter", "--seed", "-1"], ["--seed", "whole number >= 0", "'-1'"]),
    (["explore", "demo-counter", "--seed", "abc"], ["--seed", "whole number >= 0", "'abc'"]),
    (["explore", "demo-counter", "--seed", "18446744073709551616"], ["--seed", "'18446744073709551616'"]),
    (["explore", "demo-counter", "--seed", ""], ["--seed"]),
    (["explore", "demo-counter", "--depth", "0"], ["--depth", "from 1 to 4294967295"]),
    (["explore", "demo-counter", "--preemptions", "-1"], ["--preemptions", "from 0 to 4294967295"]),
    (["explore", "demo-counter", "--max-faults", "-1"], ["--max-faults", "'-1'"]),
    (["explore", "demo-counter", "--shrink-budget", "-1"], ["--shrink-budget", "whole number >= 0", "'-1'"]),
    (["explore", "demo-counter", "--shrink-budget", "many"], ["--shrink-budget", "'many'"]),
    (["explore", "demo-counter", "--max-faults", "4294967296"], ["--max-faults", "from 0 to 4294967295"]),
    (["run", "demo-counter", "--backend", "dom0", "--runs", "0"], ["--runs", "whole number >= 1"]),
    (["run", "demo-counter", "--backend", "dom0", "--runs", "-3"], ["--runs", "'-3'"]),
    (["run", "demo-counter", "--backend", "dom0", "--seed", "-1"], ["--seed", "'-1'"]),
    (["compare", "--backend", "dom0", "--runs", "-1"], ["--runs", "whole number >= 0"]),
    (["compare", "--backend", "dom0", "--seed", "x"], ["--seed", "'x'"]),
    (["serve-xenstore", "--socket", "/nonexistent/xs.sock", "--seed", "-1"], ["--seed", "'-1'"]),
    (["serve-xenstore", "--socket", "/nonexistent/xs.sock", "--gather-us", "-5"], ["--gather-us", "'-5'"]),
    (["serve-xenstore", "--socket", "/nonexistent/xs.sock", "--domains", "1,0"], ["--domains", "from 1 to 32751"]),
])
def test_bad_numbers_are_usage_errors(args, needles):
    usage_error(args, needles)


def test_leading_zeros_are_decimal_not_octal():
    a = xenrace("explore", "demo-counter", "--variant", "buggy", "--json", "--seed", "010", "--iterations", "20",
                check_code=0)
    b = xenrace("explore", "demo-counter", "--variant", "buggy", "--json", "--seed", "10", "--iterations", "20",
                check_code=0)
    assert a.stdout == b.stdout
    assert json.loads(a.stdout)[0]["seed"] == 10


@pytest.mark.parametrize("args, needles", [
    (["explore", "demo-counter", "--param", "nosuch=1"],
     ["--param key 'nosuch'", "scenario 'demo-counter'", "it accepts: clients, faults, max-faults"]),
    (["explore", "--all", "--param", "nosuch=1"], ["--param key 'nosuch'", "faults, max-faults"]),
    (["explore", "demo-counter", "--param", "real-blkback-wait-ms=0"],
     ["'real-blkback-wait-ms'", "only on a real host"]),
    (["explore", "demo-counter", "--param", "max-faults=-1"], ["max-faults", "'-1'"]),
    (["explore", "demo-counter", "--param", "faults=no/such"], ["unknown fault point 'no/such'"]),
    (["explore", "demo-counter", "--param", "=1"], ["KEY=VALUE"]),
    (["run", "demo-counter", "--backend", "dom0", "--param", "nosuch=1"],
     ["--param key 'nosuch'", "block-script-wait-ms"]),
])
def test_unknown_or_malformed_params_are_usage_errors(args, needles):
    usage_error(args, needles)


def test_global_params_are_accepted():
    p = xenrace("explore", "block-script-killed", "--iterations", "5", "--param", "max-faults=1", "--param",
                "faults=actor/kill", "--json")
    assert p.returncode in (0, 1), p.stderr
    assert json.loads(p.stdout)
