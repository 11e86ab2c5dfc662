"""The shell completions the build generates from each tool's options ($SYSKIT_BUILD/completions):
bash's, sourced and run as bash runs them, complete every option --help lists, the values of an
enumerated option and file names; zsh's parse; fish's complete an option and a value list."""
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, available_tools, tool_path

COMPLETIONS = BUILD / "completions"
TOOLS = [t for t in available_tools() if (COMPLETIONS / t).is_file()]

# Enumerated options and the values their completion must offer.
VALUE_LISTS = {
    ("permscan", "--format"): ["json", "text"],
    ("permscan", "--color"): ["always", "auto", "never"],
    ("dirsize", "--format"): ["json", "text"],
    ("dupfind", "--format"): ["json", "text"],
    ("fdlock", "--format"): ["json", "text"],
    ("cachenode", "--log-format"): ["json", "logfmt"],
}


def test_every_tool_has_completions():
    assert TOOLS == available_tools()
    for tool in TOOLS:
        for f in (tool, "_" + tool, tool + ".fish"):
            assert (COMPLETIONS / f).is_file(), f


def bash_complete(tool: str, *words: str, cwd=None) -> list[str]:
    """What bash offers for the command line `tool WORDS...`, the last word being completed:
    the completion file sourced, its function called as `complete -F` calls it."""
    script = (f'source "{COMPLETIONS / tool}"\n'
              f'fn=$(complete -p {tool} | sed -n "s/.* -F \\([^ ]*\\) .*/\\1/p")\n'
              'COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))\n'
              '"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", tool, *words],
                       cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return sorted(line for line in r.stdout.splitlines() if line)


def help_option_names(tool: str) -> set[str]:
    """Every option name --help lists: the names that open each option line (CLI11's "-q,--quiet"
    or util-linux's " -q, --quiet")."""
    out = subprocess.run([tool_path(tool), "--help"], check=True, stdout=subprocess.PIPE, text=True).stdout
    names = set()
    for line in out.splitlines():
        m = re.match(r"\s+(-[\w-]+(?:,\s*-[\w-]+)*)", line)
        if m:
            names.update(n.strip() for n in m.group(1).split(","))
    return names


@pytest.mark.parametrize("tool", TOOLS)
def test_bash_completes_every_option_of_help(tool):
    # Every name --help shows, and aliases it does not show (fdlock's --nb, as flock has).
    offered = set(bash_complete(tool, "-"))
    assert help_option_names(tool) <= offered
    assert bash_complete(tool, "--vers") == ["--version"]


@pytest.mark.parametrize("tool,option", sorted(VALUE_LISTS))
def test_bash_completes_value_list(tool, option):
    values = VALUE_LISTS[(tool, option)]
    assert bash_complete(tool, option, "") == values
    assert bash_complete(tool, option, values[0][:2]) == [v for v in values if v.startswith(values[0][:2])]
    # --option=value, which bash splits into "--option" "=" "value"
    assert bash_complete(tool, option, "=", "") == values


def test_bash_completes_file_names(tmp_path):
    (tmp_path / "alpha.log").write_text("")
    (tmp_path / "beta").mkdir()
    assert bash_complete("permscan", "al", cwd=tmp_path) == ["alpha.log"]
    assert bash_complete("logroll", "--pidfile", "be", cwd=tmp_path) == ["beta"]
    assert bash_complete("permscan", "-q", "", cwd=tmp_path) == ["alpha.log", "beta"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
@pytest.mark.parametrize("tool", TOOLS)
def test_zsh_completion_parses(tool):
    r = subprocess.run(["zsh", "-n", COMPLETIONS / f"_{tool}"], stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = (COMPLETIONS / f"_{tool}").read_text()
    assert text.startswith(f"#compdef {tool}\n")
    for name in help_option_names(tool):
        assert f"'*{name}" in text, name


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_option_and_values(tmp_path):
    def complete(line: str) -> list[str]:
        r = subprocess.run(["fish", "--no-config", "-c", f"source {COMPLETIONS / 'permscan.fish'}; "
                            f"complete -C '{line}'"], env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert r.returncode == 0, r.stderr
        return sorted(line.split("\t")[0] for line in r.stdout.splitlines())
    assert complete("permscan --for") == ["--format"]
    assert complete("permscan --format ") == ["json", "text"]
