"""Fixtures shared by the CLI tests."""
import subprocess

import pytest

from test_cli import BIN


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
