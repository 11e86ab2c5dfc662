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


# A value refused after parsing is named in words, with the option, on the one usage-error
# path: no parser internals ("Could not convert", a range of 300 digits) reach the user.
@pytest.mark.parametrize("tool,args,first", [
    ("inwatch", ["--debounce", "x", "."], "inwatch: --debounce: 'x' is not a number of milliseconds (0 to 86400000)"),
    ("inwatch", ["--debounce", "86400001", "."],
     "inwatch: --debounce: '86400001' is not a number of milliseconds (0 to 86400000)"),
    ("inwatch", ["-t", "0", "."], "inwatch: --timeout: '0' is not a number of seconds above 0"),
    ("fdlock", ["-E", "abc", "lock", "true"], "fdlock: --conflict-exit-code: 'abc' is not an exit status (0 to 255)"),
    ("fdlock", ["-E", "256", "lock", "true"], "fdlock: --conflict-exit-code: '256' is not an exit status (0 to 255)"),
    ("dupfind", ["--min-size", "1Q", "."],
     "dupfind: --min-size: '1Q' is not a size (a number of bytes, optionally followed by K, M, G, T, P or E: "
     "512, 64K, 1.5G)"),
])
def test_bad_values_are_named_in_words(tool, args, first, tmp_path):
    r = run_tool(tool, *args, cwd=tmp_path)
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err_lines() == [first, f"Try '{tool} --help' for more information."], r
