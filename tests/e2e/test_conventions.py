"""The command-line conventions every syskit tool shares (DESIGN.md, "Conventions"), checked
on every tool binary the build holds, so later tools are covered without a new test."""
import re

import pytest

from conftest import BUILD, available_tools, run_tool

TOOLS = available_tools()


def test_build_has_tools():
    assert "permscan" in TOOLS, f"no permscan binary under {BUILD}/tools (found: {TOOLS})"


@pytest.mark.parametrize("tool", TOOLS)
def test_help(tool):
    r = run_tool(tool, "--help")
    assert r.rc == 0, r
    assert re.search(r"^Usage: ", r.text, re.M), r
    assert tool in r.text, r
    assert r.err == "", r


@pytest.mark.parametrize("tool", TOOLS)
def test_version(tool):
    r = run_tool(tool, "--version")
    assert r.rc == 0, r
    assert re.fullmatch(rf"{re.escape(tool)} \(syskit\) \d+\.\d+\.\d+\n", r.text), r
    assert r.err == "", r


@pytest.mark.parametrize("tool", TOOLS)
def test_unknown_option(tool):
    r = run_tool(tool, "--no-such-option-xyzzy")
    assert r.rc == 2, r
    assert r.out == b"", r
    lines = r.err_lines()
    assert lines and lines[0].startswith(f"{tool}: "), r
    assert "--no-such-option-xyzzy" in lines[0], r
    assert any(line.startswith("Usage:") for line in lines), r
