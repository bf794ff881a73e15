"""Fixtures shared by the CLI tests."""
import json
import subprocess

import pytest

from test_cli import BIN, xenrace


@pytest.fixture(scope="session")
def explore_all(tmp_path_factory):
    """One `explore --all` at the default budgets, as a person runs it, with its reports: (the lines printed,
    the results of its results.json, the report directory). Several tests read it, each a different side, and
    the run costs tens of seconds of real libxl; the last line printed, which names the report directory, is
    checked and left out."""
    reports = tmp_path_factory.mktemp("explore-all")
    out = xenrace("explore", "--all", "--report-dir", str(reports), check_code=0).stdout.splitlines()
    assert out[-1].startswith(f"reports: {reports} ("), out[-1]
    return out[:-1], json.loads((reports / "results.json").read_text())["results"], reports


@pytest.fixture()
def xenstored(tmp_path):
    """A `xenrace serve-xenstore` on a socket of its own: the host XenStore of the dom0-backend tests."""
    sock = str(tmp_path / "xs.sock")
    server = subprocess.Popen([BIN, "serve-xenstore", "--socket", sock], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()  # printed once the socket listens
    assert line.startswith("serving"), line
    yield sock
    server.terminate()
    server.wait(timeout=60)
