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
    """The version, then the build's features (as jdupes -v lists them), under 80 columns."""
    r = run_tool(tool, "--version")
    assert r.rc == 0, r
    lines = r.text.splitlines()
    assert re.fullmatch(rf"{re.escape(tool)} \(syskit\) \d+\.\d+\.\d+", lines[0]), r
    features = " ".join(line.strip() for line in lines[1:])
    assert features.startswith("features: "), r
    for feature in ("TLS (OpenSSL ", "zstd ", "gzip (zlib ", "libuv ", "io: "):
        assert feature in features, (feature, r)
    assert all(len(line) < 80 for line in lines), r
    assert r.err == "", r


# Every usage error has one shape: "TOOL: SUBJECT: what is wrong", then the pointer to --help,
# exit 2, nothing on stdout, and none of the parser's own words.
PARSER_WORDS = re.compile(r"Could not convert|FAILED|->|\{|Value |not in range|required \S+ missing|"
                          r"The following argument|is required|excludes|requires|INT|UINT|TEXT")


def assert_usage_error(tool, r, first):
    assert r.rc == 2, r
    assert r.out == b"", r
    lines = r.err_lines()
    assert len(lines) == 2, r
    assert re.fullmatch(first, lines[0]), (first, r)
    assert lines[1] == f"Try '{tool} --help' for more information.", r
    assert not PARSER_WORDS.search(lines[0]), r


@pytest.mark.parametrize("tool", TOOLS)
def test_unknown_option(tool, tmp_path):
    r = run_tool(tool, "--no-such-option-xyzzy", cwd=tmp_path)
    assert_usage_error(tool, r, f"{tool}: --no-such-option-xyzzy: unknown option")


# For each tool: an option with a list of values given one it does not list, a number out of
# its range, and a word where a number goes.  A tool with commands takes them after one.
BAD_VALUES = {
    "permscan": (["--format", "xml", "."], ["-j", "0", "."], ["--max-depth", "x", "."]),
    "dirsize": (["--format", "xml", "."], ["-j", "2000", "."], ["-j", "x", "."]),
    "dupfind": (["--format", "xml", "."], ["-j", "0", "."], ["--max-depth", "x", "."]),
    "fdlock": (["--list", "--format", "xml"], ["-E", "256", "lock", "true"], ["-w", "x", "lock", "true"]),
    "inwatch": (None, ["--debounce", "86400001", "."], ["--debounce", "x", "."]),
    "logroll": (["--log-format", "xml", "log"], ["-k", "-1", "log"], ["-k", "x", "log"]),
    "cachenode": (["--log-format", "xml"], ["--port", "99999"], ["--max-clients", "x"]),
    "pipekit": (["filter", "--level", "xml"], None, ["pump", "-b", "x"]),
    "sockkit": (None, ["bench", "--count", "0"], ["bench", "--count", "x"]),
    "usbtidy": (["list", "--format", "xml"], None, None),
    "btprox": (["--format", "xml", "scan"], None, ["scan", "--timeout", "x"]),
}


def bad_value_cases(kind):
    index = {"list": 0, "range": 1, "word": 2}[kind]
    return [(tool, BAD_VALUES[tool][index]) for tool in TOOLS if tool in BAD_VALUES and BAD_VALUES[tool][index]]


@pytest.mark.parametrize("tool,args", bad_value_cases("list"))
def test_value_not_in_list(tool, args, tmp_path):
    """The values are named; a value's number (--format 1, CLI11's mapping) is not one."""
    r = run_tool(tool, *args, cwd=tmp_path)
    assert_usage_error(tool, r, rf"{tool}: --[-\w]+: 'xml' is not .*")
    numeric = [a if a != "xml" else "1" for a in args]
    assert_usage_error(tool, run_tool(tool, *numeric, cwd=tmp_path), rf"{tool}: --[-\w]+: '1' is not .*")


@pytest.mark.parametrize("tool,args", bad_value_cases("range"))
def test_number_out_of_range(tool, args, tmp_path):
    value = args[args.index(next(a for a in args if re.fullmatch(r"-?\d+", a)))]
    r = run_tool(tool, *args, cwd=tmp_path)
    assert_usage_error(tool, r, rf"{tool}: -[-\w]+: '{value}' is .*")


@pytest.mark.parametrize("tool,args", bad_value_cases("word"))
def test_word_for_a_number(tool, args, tmp_path):
    r = run_tool(tool, *args, cwd=tmp_path)
    assert_usage_error(tool, r, rf"{tool}: -[-\w]+: .*'x'.*")


# CLI11's own notation: requirement marks, exclusions, a check's description after the type
# (":{a,b}", ":INT in [0 - 9]"), its type names where a value's name goes.
HELP_ARTEFACTS = re.compile(r"REQUIRED|Excludes:|Needs:|:\{|:INT|\[Option Group|Positionals:|"
                            r"-[-\w]+ (TEXT|INT|UINT|FLOAT)\b")


def commands_of(help_text):
    """The commands --help lists under "Commands:", for their own --help."""
    if "\nCommands:\n" not in help_text:
        return []
    block = help_text.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.startswith(" ") and not line.startswith("  ")]


@pytest.mark.parametrize("tool", TOOLS)
def test_help_layout(tool):
    """One layout (util-linux's): usage, description, options, --help and --version last, the
    page; every line under 80 columns, none of CLI11's notation; the same for each command."""
    r = run_tool(tool, "--help")
    assert r.rc == 0, r
    texts = [r.text]
    assert "\nOptions:\n" in r.text, r
    assert re.search(r"(\n\n|Options:\n)( -h,|    ) --help", r.text), r
    assert r.text.endswith(f"\nFor more details see {tool}(1).\n"), r
    for command in commands_of(r.text):
        sub = run_tool(tool, command, "--help")
        assert sub.rc == 0, sub
        assert sub.text.startswith(f"Usage: {tool} {command}"), sub
        texts.append(sub.text)
    for text in texts:
        assert not HELP_ARTEFACTS.search(text), HELP_ARTEFACTS.search(text).group(0) + "\n" + text
        long = [line for line in text.splitlines() if len(line) >= 80]
        assert not long, long


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
