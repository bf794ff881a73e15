# Running pytest on this folder (`/usr/bin/python3 -m pytest driver --xenrace-bin build/xenrace`) loads the
# plugin, unless `-p xenrace_pytest` already did; scenarios.xenrace then yields one item per variant.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xenrace_pytest  # noqa: E402


def pytest_addoption(parser, pluginmanager):
    # pytest_addoption is a historic hook: the plugin registered here still gets to add its options.
    if not pluginmanager.has_plugin("xenrace_pytest"):
        pluginmanager.register(xenrace_pytest, "xenrace_pytest")
