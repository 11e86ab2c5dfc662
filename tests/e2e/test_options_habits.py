"""The shared -q/--quiet and --color of the tools that had neither (fdlock, logroll, pipekit,
sockkit, cachenode, usbtidy, btprox): -q silent when all is well and never on failure, --color
painting only when asked or on a terminal, never with NO_COLOR or on a pipe."""
import signal
import subprocess
import time

import pytest

from conftest import run_on_terminal, run_tool, tool_env, tool_path, wait_until

ESC = "\x1b["
RED_PREFIX = "\x1b[1;31m{}:\x1b[0m"


def assert_colours_only_when_asked(tool, *args, cwd=None, env=None):
    """TOOL ARGS: escapes with --color=always; none with --color=never, on a pipe (auto), or
    on a terminal with NO_COLOR set; some on a terminal without it."""
    env = env or {}
    r = run_tool(tool, "--color=always", *args, cwd=cwd, env=env)
    assert ESC in r.text + r.err, r
    for variant in (["--color=never"], []):
        r = run_tool(tool, *variant, *args, cwd=cwd, env=env)
        assert ESC not in r.text + r.err, r
    assert ESC.encode() in run_on_terminal(tool, *args, cwd=cwd, env=env)
    assert ESC.encode() not in run_on_terminal(tool, *args, cwd=cwd, env={**env, "NO_COLOR": "1"})


# --- fdlock -----------------------------------------------------------------------------------

def test_fdlock_quiet_undoes_verbose_and_keeps_errors(tmp_path):
    lock = tmp_path / "lock"
    r = run_tool("fdlock", "--verbose", lock, "true")
    assert r.rc == 0 and "got an exclusive OFD lock" in r.err, r
    for args in (["-q"], ["--verbose", "-q"]):
        r = run_tool("fdlock", *args, lock, "true")
        assert r.rc == 0 and r.err == "" and r.out == b"", r
    r = run_tool("fdlock", "-q", "--verbose", lock, "true")
    assert r.rc == 0 and "got an exclusive OFD lock" in r.err, r
    r = run_tool("fdlock", "-q", tmp_path / "none" / "lock", "true")
    assert r.rc == 2 and f"fdlock: {tmp_path}/none/lock:" in r.err, r


def test_fdlock_colours_its_listing_and_its_errors(tmp_path):
    lock = tmp_path / "lock"
    holder = subprocess.Popen([str(tool_path("fdlock")), lock, "sleep", "30"], env=tool_env())
    try:
        assert wait_until(lambda: run_tool("fdlock", "--holder", lock).rc == 1, 10, "the lock held")
        r = run_tool("fdlock", "--color=always", "--holder", lock)
        assert r.rc == 1 and " \x1b[31mWRITE\x1b[0m " in r.text, r
        assert ESC not in run_tool("fdlock", "--holder", lock).text
        assert ESC not in run_tool("fdlock", "--color=always", "--holder", "--format", "json", lock).text
    finally:
        holder.terminate()
        holder.wait(timeout=10)
    r = run_tool("fdlock", "--color=always", tmp_path / "none" / "lock", "true")
    assert r.rc == 2 and r.err.startswith(RED_PREFIX.format("fdlock")), r
    assert_colours_only_when_asked("fdlock", tmp_path / "none" / "lock", "true")


# --- logroll ----------------------------------------------------------------------------------

def test_logroll_once_quiet_from_cron_is_silent_unless_it_fails(tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"a line\n" * 1000)
    r = run_tool("logroll", "--once", "--size", "1K", "-q", log)
    assert r.rc == 0 and r.err == "" and r.out == b"", r
    assert not log.exists() and len(list(tmp_path.glob("app.log.*"))) == 1
    log.write_bytes(b"a line\n" * 1000)
    r = run_tool("logroll", "--once", "--size", "1K", log)
    assert r.rc == 0 and "msg=rotated" in r.err, r
    # The dry run's lines are its result.
    log.write_bytes(b"a line\n" * 1000)
    r = run_tool("logroll", "--once", "--size", "1K", "--dry-run", "-q", log)
    assert r.rc == 0 and "would rotate" in r.err, r
    r = run_tool("logroll", "--once", "-q", tmp_path / "missing.log")
    assert r.rc == 2 and f"logroll: {tmp_path}/missing.log: No such file or directory" in r.err, r


def test_logroll_config_quiet_says_only_what_failed(tmp_path):
    (tmp_path / "a.log").write_text("a\n")
    conf = tmp_path / "c.conf"
    conf.write_text(f"{tmp_path}/a.log {{\n rotate 1\n weekly 3\n}}\n")
    r = run_tool("logroll", "--config", conf, "--state", tmp_path / "st", "--force")
    assert r.rc == 0 and "warning: weekly 3" in r.err and "msg=rotated" in r.err, r
    (tmp_path / "a.log").write_text("a\n")
    r = run_tool("logroll", "--config", conf, "--state", tmp_path / "st", "--force", "-q")
    assert r.rc == 0 and r.err == "" and r.out == b"", r
    assert [f.name for f in tmp_path.glob("a.log.*")] == ["a.log.2"]  # newest highest, rotate 1
    conf.write_text(f"{tmp_path}/a.log {{\n rotate 1\n}}\n{tmp_path}/b.log {{\n rotate 1\n}}\n")
    (tmp_path / "a.log").write_text("a\n")
    r = run_tool("logroll", "--config", conf, "--state", tmp_path / "st", "--force", "-q")
    assert r.rc == 2 and f"logroll: {tmp_path}/b.log: no such log file" in r.err and "msg=" not in r.err, r


def test_logroll_colours_levels_and_messages(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(f"{tmp_path}/a.log {{\n rotate 1\n weekly 3\n}}\n{tmp_path}/b.log {{\n rotate 1\n}}\n")
    (tmp_path / "a.log").write_text("a\n")
    r = run_tool("logroll", "--color=always", "--config", conf, "--state", tmp_path / "st", "--dry-run")
    assert r.rc == 2, r
    assert "\x1b[1;33mwarning:\x1b[0m weekly 3" in r.err and RED_PREFIX.format("logroll") in r.err, r
    assert_colours_only_when_asked("logroll", "--once", tmp_path / "missing.log")


# --- pipekit ----------------------------------------------------------------------------------

def test_pipekit_quiet_before_or_after_the_command(tmp_path):
    data = b"x" * 100000
    for args in (["-q", "pump"], ["pump", "-q"], ["pump", "--quiet"]):
        r = run_tool("pipekit", *args, input=data)
        assert r.rc == 0 and r.out == data and r.err == "", r
    r = run_tool("pipekit", "-q", "filter", tmp_path / "missing")
    assert r.rc == 2 and f"pipekit: {tmp_path}/missing:" in r.err, r


def test_pipekit_filter_colours_lines_by_level():
    lines = b"<3>disk failed\n<4>disk slow\nlevel=info msg=fine\n<7>probe\n"
    r = run_tool("pipekit", "filter", "--level", "all", "--color=always", input=lines)
    assert r.rc == 0, r
    assert r.lines() == ["\x1b[31m<3>disk failed\x1b[0m", "\x1b[33m<4>disk slow\x1b[0m", "level=info msg=fine",
                         "\x1b[36m<7>probe\x1b[0m"], r
    r = run_tool("pipekit", "filter", "--color=always", "--level", "all", "--count", input=lines)
    assert ESC not in r.text, r
    for args in (["--color=never"], []):
        assert run_tool("pipekit", "filter", "--level", "all", *args, input=lines).out == lines


def test_pipekit_colours_its_errors():
    assert_colours_only_when_asked("pipekit", "filter", "/nonexistent/source")


# --- sockkit ----------------------------------------------------------------------------------

def serve_and_stop(tmp_path, *args) -> str:
    """sockkit echo serve on a fresh Unix socket with args, stopped with SIGTERM: its stderr."""
    sock = tmp_path / f"s{time.monotonic_ns()}"
    p = subprocess.Popen([str(tool_path("sockkit")), *args, "echo", "serve", f"unix:{sock}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=tool_env())
    try:
        assert wait_until(sock.exists, 10, "the echo server listening")
        r = run_tool("sockkit", "echo", "send", f"unix:{sock}", input=b"hi\n")
        assert r.rc == 0 and r.out == b"hi\n", r
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    return err.decode()


def test_sockkit_quiet_server_logs_nothing_when_all_is_well(tmp_path):
    assert "msg=listening" in serve_and_stop(tmp_path)
    assert serve_and_stop(tmp_path, "-q") == ""
    r = run_tool("sockkit", "-q", "echo", "serve", f"unix:{tmp_path}/none/s")
    assert r.rc == 2 and r.err != "", r


def test_sockkit_colours_its_errors(tmp_path):
    assert_colours_only_when_asked("sockkit", "echo", "send", f"unix:{tmp_path}/none")


# --- cachenode --------------------------------------------------------------------------------

def test_cachenode_check_config_quiet_as_nginx_t_q(tmp_path):
    r = run_tool("cachenode", "--check-config", "--port", "0")
    assert r.rc == 0 and r.text.startswith("configuration ok:"), r
    r = run_tool("cachenode", "--check-config", "--port", "0", "-q")
    assert r.rc == 0 and r.out == b"" and r.err == "", r
    r = run_tool("cachenode", "--check-config", "-q", "--token-file", tmp_path / "missing")
    assert r.rc == 2 and f"cachenode: {tmp_path}/missing:" in r.err, r


def test_cachenode_colours_its_errors(tmp_path):
    assert_colours_only_when_asked("cachenode", "--check-config", "--token-file", tmp_path / "missing")


# --- usbtidy ----------------------------------------------------------------------------------

def test_usbtidy_organize_quiet_makes_the_moves_unsaid(tmp_path):
    for name in ("a.jpg", "b.txt"):
        (tmp_path / name).write_text(name)
    r = run_tool("usbtidy", "organize", "-n", "-q", tmp_path)
    assert r.rc == 0 and len(r.lines()) == 2, r
    r = run_tool("usbtidy", "-q", "organize", tmp_path)
    assert r.rc == 0 and r.out == b"" and r.err == "", r
    assert not (tmp_path / "a.jpg").exists()
    r = run_tool("usbtidy", "undo", tmp_path, "--quiet")
    assert r.rc == 0 and r.out == b"" and (tmp_path / "a.jpg").exists(), r
    r = run_tool("usbtidy", "-q", "organize", tmp_path / "missing")
    assert r.rc == 2 and f"usbtidy: {tmp_path}/missing:" in r.err, r


def test_usbtidy_colours_where_files_went(tmp_path):
    (tmp_path / "a.jpg").write_text("a")
    r = run_tool("usbtidy", "organize", "-n", tmp_path, "--color=always")
    assert r.rc == 0 and r.lines() == ["a.jpg -> \x1b[32mjpg/a.jpg\x1b[0m"], r
    assert ESC not in run_tool("usbtidy", "organize", "-n", "--format", "json", "--color=always", tmp_path).text
    assert_colours_only_when_asked("usbtidy", "organize", "-n", tmp_path)


# --- btprox -----------------------------------------------------------------------------------

NO_BUS = {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/bus"}


def test_btprox_quiet_keeps_errors_and_refuses_verbose():
    r = run_tool("btprox", "-q", "scan", env=NO_BUS)
    assert r.rc == 2 and r.err.startswith("btprox: "), r
    r = run_tool("btprox", "watch", "--name", "p", "-v", "-q")
    assert r.rc == 2 and r.err.startswith("btprox: --quiet: cannot be combined with --verbose\n"), r


def test_btprox_colours_its_errors():
    r = run_tool("btprox", "--color=always", "scan", env=NO_BUS)
    assert r.rc == 2 and r.err.startswith(RED_PREFIX.format("btprox")), r
    assert_colours_only_when_asked("btprox", "scan", env=NO_BUS)


@pytest.mark.parametrize("tool", ["fdlock", "logroll", "pipekit", "sockkit", "cachenode", "usbtidy", "btprox"])
def test_color_takes_only_its_three_words(tool):
    r = run_tool(tool, "--color=sometimes")
    assert r.rc == 2 and "--color: 'sometimes' is not one of: auto, always, never" in r.err, r
