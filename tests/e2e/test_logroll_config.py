"""End-to-end tests of logroll --config and --convert: logrotate's own configuration files run
by logroll and by logrotate side by side on identical scratch trees, and what logrotate does
not promise (no line lost with copytruncate, the other logs done when one fails)."""
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import mounted_tmpfs
from logroll_writers import SteadyWriters

LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"
# Debian's own files: apt and dpkg are on every Debian system; the others where installed.
DEBIAN_FILES = ["apt", "dpkg", "rsyslog", "alternatives", "btmp", "wtmp"]
LOG_UID = 1  # daemon: the owner the scratch logs start with, so create's owner shows


def need_root():
    if os.geteuid() != 0:
        pytest.skip("needs root: chown, su and logrotate's own checks")


def logrotate(state: Path, conf: Path) -> subprocess.CompletedProcess:
    assert os.path.exists(LOGROTATE), "logrotate is missing: scripts/install-deps installs it"
    return subprocess.run([LOGROTATE, "-s", state, "-f", conf], capture_output=True, text=True)


def log_paths(conf_text: str) -> list[str]:
    """The log file names of a logrotate file: what stands before each '{'."""
    names = []
    pending: list[str] = []
    depth = 0
    for line in conf_text.splitlines():
        t = line.strip()
        if not t or t.startswith("#"):
            continue
        if depth == 0:
            words = t.replace("{", " { ").split()
            for w in words:
                if w == "{":
                    names += pending
                    pending = []
                    depth = 1
                    break
                pending.append(w.strip('"'))
        elif t.startswith("}"):
            depth = 0
    return names


def scratch(root: Path, files: list[str]) -> tuple[Path, list[Path]]:
    """root/etc/logrotate.d with Debian's files, their paths pointed into root; the logs."""
    confd = root / "etc" / "logrotate.d"
    confd.mkdir(parents=True)
    logs = []
    for name in files:
        text = Path("/etc/logrotate.d", name).read_text().replace("/var/log", f"{root}/var/log")
        (confd / name).write_text(text)
        logs += [Path(p) for p in log_paths(text)]
    for p in logs:
        p.parent.mkdir(parents=True, exist_ok=True)
    return confd, logs


def write_round(logs: list[Path], n: int) -> None:
    """Round n's lines: appended to each log (created 0600, owned by LOG_UID, where rotation
    left none), except the first log, left empty in odd rounds (notifempty's case)."""
    for i, p in enumerate(logs):
        if not p.exists():
            fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
            os.fchown(fd, LOG_UID, LOG_UID)
            os.close(fd)
        if i == 0 and n % 2:
            continue
        with open(p, "a") as f:
            f.write(f"round {n} of {p.name}\n")


def outcome(logs: list[Path]) -> dict:
    """Per log: whether it exists, its mode and owner, how many rotated copies it has and how
    many of them are compressed (names without the stamp or number, which differ by design)."""
    out = {}
    for p in logs:
        pat = re.compile(rf"{re.escape(p.name)}\.(\d+)(\.gz)?$")
        rotated = [m for m in (pat.match(q.name) for q in p.parent.iterdir()) if m]
        st = p.stat() if p.exists() else None
        out[p.name] = {
            "exists": st is not None,
            "mode": oct(st.st_mode & 0o7777) if st else None,
            "owner": (st.st_uid, st.st_gid) if st else None,
            "rotated": len(rotated),
            "compressed": sum(1 for m in rotated if m[2]),
        }
    return out


def test_debian_files_match_logrotate(run, tmp_path):
    """Debian's own /etc/logrotate.d files, pointed into two identical scratch roots, run 14
    times: by logroll --config -f and by logrotate -f.  After every run the same logs exist,
    with the same modes and owners (create), the same number of rotated copies (rotate 12),
    as many of them compressed (compress, delaycompress); --dry-run says beforehand which logs
    it would rotate, exactly the ones that then are, and changes no log."""
    need_root()
    files = [f for f in DEBIAN_FILES if Path("/etc/logrotate.d", f).is_file()]
    assert "apt" in files and "dpkg" in files, files
    ours_conf, ours = scratch(tmp_path / "ours", files)
    theirs_conf, theirs = scratch(tmp_path / "theirs", files)
    assert len(ours) >= 3
    for n in range(14):
        write_round(ours, n)
        write_round(theirs, n)
        before = {p: (p.read_bytes() if p.exists() else None) for p in ours}
        dry = run("logroll", "--config", ours_conf, "--state", tmp_path / "ours.state", "-f", "--dry-run")
        assert dry.rc == 0, dry
        assert {p: (p.read_bytes() if p.exists() else None) for p in ours} == before
        would = {Path(m[1]) for m in re.finditer(r"^(\S+): would rotate to ", dry.text, re.M)}
        r = run("logroll", "--config", ours_conf, "--state", tmp_path / "ours.state", "-f")
        assert r.rc == 0, r
        assert "level=error" not in r.err, r
        rotated = {Path(m[1]) for m in re.finditer(r"msg=rotated file=(\S+)", r.err)}
        assert rotated == would, (dry.text, r.err)
        p = logrotate(tmp_path / "theirs.state", theirs_conf)
        assert p.returncode == 0, p
        assert outcome(ours) == outcome(theirs), f"after run {n + 1}"
    final = outcome(ours)
    assert max(v["rotated"] for v in final.values()) == 12
    assert any(v["owner"] == (0, 0) and v["mode"] == "0o644" for v in final.values())


def write_conf(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def public_tmp():
    """A directory every user can enter (pytest's tmp_path is root's alone), removed after."""
    d = Path(tempfile.mkdtemp(prefix="logroll-su-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d)


def test_insecure_directory_is_refused_without_su_and_rotated_with_it(run, public_tmp):
    """A log in a world-writable directory is left alone, with logrotate's reason, unless
    its block says su; the other logs are still rotated; with su the rotation runs with that
    user's rights (the lock it makes is the user's; a directory the user cannot write fails)."""
    need_root()
    tmp_path = public_tmp
    open_dir, safe = tmp_path / "open", tmp_path / "safe"
    open_dir.mkdir()
    safe.mkdir()
    open_dir.chmod(0o777)
    (open_dir / "a.log").write_text("a\n")
    (safe / "b.log").write_text("b\n")
    conf = write_conf(tmp_path / "c.conf", f"{open_dir}/a.log {{\n rotate 2\n}}\n{safe}/b.log {{\n rotate 2\n}}\n")
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert r.rc == 2, r
    assert f"logroll: {open_dir}/a.log: skipped: its directory {open_dir} is writable by every user" in r.err, r
    assert "su USER GROUP" in r.err
    assert (open_dir / "a.log").read_text() == "a\n"
    assert (safe / "b.log.1").read_text() == "b\n"

    conf.write_text(f"{open_dir}/a.log {{\n su nobody nogroup\n rotate 2\n create\n}}\n")
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert r.rc == 0, r
    assert (open_dir / "a.log.1").read_text() == "a\n"
    assert (open_dir / ".logroll.lock").stat().st_uid == 65534
    # su's user cannot write a directory of root's: the rotation fails, as that user's would.
    (safe / "b.log").write_text("b2\n")
    conf.write_text(f"{safe}/b.log {{\n su nobody nogroup\n rotate 2\n}}\n")
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert r.rc == 2, r
    assert "Permission denied" in r.err, r
    assert (safe / "b.log").read_text() == "b2\n"


def test_a_failing_postrotate_does_not_stop_the_other_logs(run, tmp_path):
    """Three blocks; the second's postrotate fails and prints: every log is rotated, the
    script's output and failure are logged, and the exit status is 2."""
    for n in "abc":
        (tmp_path / f"{n}.log").write_text(f"{n}\n")
    conf = write_conf(tmp_path / "c.conf",
                      f"{tmp_path}/a.log {{\n rotate 1\n}}\n"
                      f"{tmp_path}/b.log {{\n rotate 1\n postrotate\n  echo \"oops $1\"\n  exit 3\n endscript\n}}\n"
                      f"{tmp_path}/c.log {{\n rotate 1\n}}\n")
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert r.rc == 2, r
    for n in "abc":
        assert (tmp_path / f"{n}.log.1").read_text() == f"{n}\n"
    assert f'msg="script output" script=postrotate arg={tmp_path}/b.log line="oops {tmp_path}/b.log"' in r.err, r
    assert 'msg="script failed" script=postrotate' in r.err and 'error="exited with status 3"' in r.err, r


def test_a_script_past_its_timeout_is_killed_and_its_log_left(run, tmp_path):
    (tmp_path / "a.log").write_text("a\n")
    (tmp_path / "b.log").write_text("b\n")
    conf = write_conf(tmp_path / "c.conf",
                      f"{tmp_path}/a.log {{\n scripttimeout 1s\n prerotate\n  sleep 30\n endscript\n}}\n"
                      f"{tmp_path}/b.log {{\n rotate 1\n}}\n")
    t0 = time.monotonic()
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert time.monotonic() - t0 < 10
    assert r.rc == 2, r
    assert "still running after 1 s: killed" in r.err, r
    assert (tmp_path / "a.log").read_text() == "a\n"
    assert (tmp_path / "b.log.1").read_text() == "b\n"


@pytest.mark.parametrize("shared", [True, False])
def test_sharedscripts_run_once_for_the_block(run, tmp_path, shared):
    for n in "xyz":
        (tmp_path / f"{n}.log").write_text(f"{n}\n")
    (tmp_path / "empty.log").write_text("")
    calls = tmp_path / "calls"
    conf = write_conf(tmp_path / "c.conf",
                      f"{tmp_path}/*.log {{\n rotate 3\n notifempty\n{' sharedscripts' if shared else ''}\n"
                      f" firstaction\n  echo first \"$1\" >> {calls}\n endscript\n"
                      f" prerotate\n  echo pre \"$1\" >> {calls}\n endscript\n"
                      f" postrotate\n  echo post \"$1\" >> {calls}\n endscript\n"
                      f" lastaction\n  echo last \"$1\" >> {calls}\n endscript\n}}\n")
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert r.rc == 0, r
    pattern = f"{tmp_path}/*.log"
    if shared:
        want = [f"first {pattern}", f"pre {pattern}", f"post {pattern}", f"last {pattern}"]
    else:
        want = [f"first {pattern}"]
        for n in "xyz":
            want += [f"pre {tmp_path}/{n}.log", f"post {tmp_path}/{n}.log"]
        want.append(f"last {pattern}")
    assert calls.read_text().splitlines() == want
    assert (tmp_path / "empty.log").exists() and not (tmp_path / "empty.log.1").exists()


def test_copytruncate_under_a_writer_loses_no_line_where_logrotate_does(run, tmp_path):
    """Two writers as fast as they can, one log rotated by logroll --config with copytruncate,
    the other by logrotate with the same block, five times each, turn about: logroll's files
    hold every line once and whole, and it loses fewer lines than logrotate (none, usually)."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for d in (ours, theirs):
        d.mkdir()
        write_conf(tmp_path / f"{d.name}.conf", f"{d}/app.log {{\n copytruncate\n rotate 1000\n}}\n")
    with SteadyWriters([ours, theirs]) as writers:
        for _ in range(5):
            time.sleep(0.2)
            r = run("logroll", "--config", tmp_path / "ours.conf", "--state", tmp_path / "st")
            assert r.rc == 0, r
            p = logrotate(tmp_path / "theirs.state", tmp_path / "theirs.conf")
            assert p.returncode == 0, p
        totals = writers.stop()

    def seqs(d: Path) -> list[int]:
        files = sorted((p for p in d.iterdir() if re.fullmatch(r"app\.log\.\d+", p.name)),
                       key=lambda p: int(p.name.split(".")[2]))
        assert len(files) == 5
        got = []
        for f in files + [d / "app.log"]:
            data = f.read_bytes()
            assert not data or data.endswith(b"\n"), f"{f} ends inside a line"
            got += [l for l in data.split(b"\n") if l]
        return got

    ours_lines = seqs(ours)
    assert all(re.fullmatch(rb"\d{8} seq", l) for l in ours_lines), "a line split or merged"
    n = [int(l[:8]) for l in ours_lines]
    assert len(set(n)) == len(n), "lines repeated"
    lost_ours = totals[0] - len(n)
    theirs_got = {l for l in (b"\n".join((theirs / f).read_bytes() for f in os.listdir(theirs)
                                          if f.startswith("app.log"))).split(b"\n")
                  if re.fullmatch(rb"\d{8} seq", l)}
    lost_theirs = totals[1] - len(theirs_got)
    print(f"lines lost in 5 rotations: logroll {lost_ours} of {totals[0]}, logrotate {lost_theirs} of {totals[1]}")
    assert lost_ours == 0 or lost_ours < lost_theirs, (lost_ours, lost_theirs)


def test_time_triggers_use_the_state_file(run, tmp_path):
    """daily: the first run records the log and rotates nothing; a record from yesterday makes
    it due; then it is not due until tomorrow.  A size-only log gets no record."""
    (tmp_path / "d.log").write_text("d\n")
    (tmp_path / "s.log").write_text("s" * 100 + "\n")
    state = tmp_path / "state"
    conf = write_conf(tmp_path / "c.conf",
                      f"{tmp_path}/d.log {{\n daily\n rotate 3\n create\n}}\n{tmp_path}/s.log {{\n size 1k\n}}\n")
    r = run("logroll", "--config", conf, "--state", state, "--dry-run")
    assert r.rc == 1, r
    assert f"{tmp_path}/d.log: not due: daily: no rotation recorded in the state file; the first day starts now" \
        in r.lines(), r
    assert f"{tmp_path}/s.log: not due: size: 101 bytes, less than 1024" in r.lines(), r
    assert not state.exists()
    r = run("logroll", "--config", conf, "--state", state)
    assert r.rc == 1, r
    records = state.read_text().splitlines()
    assert records[0].startswith("#") and len(records) == 2, records
    assert records[1].endswith(f" {tmp_path}/d.log")
    yesterday = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400 * 1.5))
    state.write_text(f"{yesterday} {tmp_path}/d.log\n")
    r = run("logroll", "--config", conf, "--state", state, "--dry-run")
    assert r.rc == 0, r
    assert f"{tmp_path}/d.log: would rotate to {tmp_path}/d.log.1: daily: last rotated {yesterday}, a new day since" \
        in r.lines(), r
    r = run("logroll", "--config", conf, "--state", state)
    assert r.rc == 0, r
    assert (tmp_path / "d.log.1").read_text() == "d\n"
    assert yesterday not in state.read_text()
    r = run("logroll", "--config", conf, "--state", state)
    assert r.rc == 1, r


def test_olddir_same_file_system_only(run, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "a.log").write_text("a\n")
    conf = write_conf(tmp_path / "c.conf", f"{tmp_path}/a.log {{\n olddir old\n rotate 2\n dateext\n create\n}}\n")
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert r.rc == 0, r
    moved = [p.name for p in (tmp_path / "old").iterdir()]
    assert len(moved) == 1 and re.fullmatch(r"a\.log\.\d{8}T\d{6}Z", moved[0]), moved
    assert (tmp_path / "a.log").read_text() == ""
    need_root()
    other = tmp_path / "other"
    other.mkdir()
    with mounted_tmpfs(other, "1m"):
        (tmp_path / "a.log").write_text("b\n")
        conf.write_text(f"{tmp_path}/a.log {{\n olddir {other}\n rotate 2\n}}\n")
        r = run("logroll", "--config", conf, "--state", tmp_path / "st")
        assert r.rc == 2, r
        assert "olddir is on another file system than the log" in r.err, r
        assert (tmp_path / "a.log").read_text() == "b\n"
        assert not list(other.iterdir())


def test_missing_logs_and_missingok(run, tmp_path):
    (tmp_path / "here.log").write_text("h\n")
    conf = write_conf(tmp_path / "c.conf",
                      f"{tmp_path}/gone.log {{\n rotate 1\n}}\n{tmp_path}/gone2.log {{\n missingok\n}}\n"
                      f"{tmp_path}/here.log {{\n rotate 1\n}}\n")
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert r.rc == 2, r
    assert f"logroll: {tmp_path}/gone.log: no such log file (missingok not given)" in r.err, r
    assert "gone2" not in r.err
    assert (tmp_path / "here.log.1").read_text() == "h\n"


def test_dateext_delaycompress_and_retention(run, tmp_path):
    """dateext maps to logroll's stamped names; delaycompress leaves the newest rotation
    uncompressed; rotate 2 keeps two."""
    log = tmp_path / "app.log"
    conf = write_conf(tmp_path / "c.conf",
                      f"{log} {{\n rotate 2\n dateext\n dateformat -%Y%m%d\n compress\n compresscmd zstd\n"
                      f" delaycompress\n}}\n")
    for i in range(4):
        log.write_text(f"{i}\n")
        r = run("logroll", "--config", conf, "--state", tmp_path / "st")
        assert r.rc == 0, r
        assert "dateformat -%Y%m%d: logroll names rotated files NAME.YYYYMMDDTHHMMSSZ (UTC) instead" in r.err
        time.sleep(1.05)  # a stamp of its own for each rotation
    names = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("app.log."))
    assert len(names) == 2, names
    assert re.fullmatch(r"app\.log\.\d{8}T\d{6}Z\.zst", names[0]), names
    assert re.fullmatch(r"app\.log\.\d{8}T\d{6}Z", names[1]), names
    assert (tmp_path / names[1]).read_text() == "3\n"


def test_rotate_0_keeps_no_copy(run, tmp_path):
    """logrotate's default: rotate 0 deletes the rotated copy at once."""
    log = tmp_path / "app.log"
    log.write_text("a\n")
    conf = write_conf(tmp_path / "c.conf", f"{log} {{\n create 0600\n}}\n")
    r = run("logroll", "--config", conf, "--state", tmp_path / "st")
    assert r.rc == 0, r
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("app.log")) == ["app.log"]
    assert log.read_text() == "" and (log.stat().st_mode & 0o777) == 0o600
    assert f"msg=deleted file={log}.1" in r.err, r


def test_convert_prints_what_logroll_reads(run, tmp_path):
    src = write_conf(tmp_path / "app",
                     "weekly\nrotate 4\n/var/log/app/*.log {\n  mail root\n  dateformat .%Y-%m-%d\n  compress\n"
                     "  postrotate\n    kill -HUP 1\n  endscript\n}\n/var/log/other.log {\n  copy\n}\n")
    r = run("logroll", "--convert", src)
    assert r.rc == 2, r
    text = r.text
    assert "# mail: ignored: logroll does not mail logs" in text
    assert "# dateformat .%Y-%m-%d: logroll names rotated files NAME.YYYYMMDDTHHMMSSZ (UTC) instead" in text
    assert f"# left out: {src}:12: copy: refused:" in text
    assert "/var/log/app/*.log {\n    weekly\n    rotate 4\n    compress\n" in text
    assert "    postrotate\n    kill -HUP 1\n    endscript\n" in text
    assert "other.log" not in text.split("# left out")[-1].split("\n", 1)[1]
    again = write_conf(tmp_path / "again", text)
    r2 = run("logroll", "--convert", again)
    assert r2.rc == 0, r2
    block = text[text.index("/var/log/app/*.log {"):]
    assert r2.text.endswith("\n\n" + block), r2.text


def test_usage_errors(run, tmp_path):
    r = run("logroll", "--config", tmp_path / "c", "--keep", "3")
    assert r.rc == 2 and "logroll: --keep: cannot be combined with --config: the configuration says it per log" in r.err
    r = run("logroll", "--config", tmp_path / "nothing-here")
    assert r.rc == 2 and f"logroll: {tmp_path}/nothing-here: No such file or directory" in r.err, r


def test_a_missing_state_directory_is_made_or_refused_before_anything_is_rotated(run, tmp_path):
    """The state file's own directory is made when missing (logrotate gives up there, exit 3,
    before rotating); one whose parent is missing too is refused, and no log is rotated."""
    (tmp_path / "d.log").write_text("d\n")
    conf = write_conf(tmp_path / "c.conf", f"{tmp_path}/d.log {{\n daily\n rotate 3\n}}\n")
    p = subprocess.run([LOGROTATE, "-f", "-s", tmp_path / "gone" / "deeper" / "status", conf], capture_output=True)
    assert p.returncode != 0 and not (tmp_path / "d.log.1").exists(), p
    r = run("logroll", "--config", conf, "--state", tmp_path / "gone" / "deeper" / "status", "-f",
            "--logrotate-state", tmp_path / "none")
    assert r.rc == 2, r
    assert "the state file cannot be written" in r.err and "nothing rotated" in r.err, r
    assert (tmp_path / "d.log").read_text() == "d\n" and not (tmp_path / "d.log.1").exists()
    r = run("logroll", "--config", conf, "--state", tmp_path / "gone" / "status", "-f",
            "--logrotate-state", tmp_path / "none")
    assert r.rc == 0, r
    assert "created the state file's directory" in r.err, r
    assert (tmp_path / "d.log.1").read_text() == "d\n"
    assert f" {tmp_path}/d.log" in (tmp_path / "gone" / "status").read_text()
    assert oct((tmp_path / "gone").stat().st_mode & 0o777) == "0o755"


def test_the_first_run_takes_logrotates_state(run, tmp_path):
    """With no state file of its own yet, logroll reads logrotate's: a log logrotate has just
    seen stays in its day, one it rotated last month is due, and the records carry over into
    logroll's state file; once that exists, logrotate's is not read again."""
    for n in ("seen", "old", "new"):
        (tmp_path / f"{n}.log").write_text(f"{n}\n")
    conf = write_conf(tmp_path / "c.conf", f"{tmp_path}/seen.log {{\n daily\n rotate 3\n}}\n"
                                           f"{tmp_path}/old.log {{\n monthly\n rotate 3\n create\n}}\n"
                                           f"{tmp_path}/new.log {{\n weekly\n rotate 3\n}}\n")
    theirs = tmp_path / "logrotate.status"
    only_seen = write_conf(tmp_path / "seen.conf", f"{tmp_path}/seen.log {{\n daily\n rotate 3\n}}\n")
    p = subprocess.run([LOGROTATE, "-s", theirs, only_seen], capture_output=True)
    assert p.returncode == 0 and not (tmp_path / "seen.log.1").exists(), p
    assert f'"{tmp_path}/seen.log" ' in theirs.read_text()
    last_month = time.localtime(time.time() - 40 * 86400)
    with theirs.open("a") as f:
        f.write(f'"{tmp_path}/old.log" {last_month.tm_year}-{last_month.tm_mon}-{last_month.tm_mday}-3:0:0\n')
    ours = tmp_path / "state" / "status"
    r = run("logroll", "--config", conf, "--state", ours, "--logrotate-state", theirs, "--dry-run")
    assert r.rc == 0, r
    lines = r.lines()
    assert any(l.startswith(f"{tmp_path}/seen.log: not due: daily: last rotated ") for l in lines), lines
    assert any(l.startswith(f"{tmp_path}/old.log: would rotate to ") and "a new month since" in l for l in lines), lines
    assert f"{tmp_path}/new.log: not due: weekly: no rotation recorded in the state file; the first week starts now" \
        in lines, lines
    r = run("logroll", "--config", conf, "--state", ours, "--logrotate-state", theirs)
    assert r.rc == 0, r
    assert "taken from logrotate's state file" in r.err and "records=2" in r.err, r
    assert (tmp_path / "old.log.1").read_text() == "old\n"
    assert not (tmp_path / "seen.log.1").exists() and not (tmp_path / "new.log.1").exists()
    records = {l.split(" ", 1)[1] for l in ours.read_text().splitlines()[1:]}
    assert records == {f"{tmp_path}/{n}.log" for n in ("seen", "old", "new")}, records
    # logroll's own state from now on: logrotate's, even saying the log is long overdue, is not read.
    theirs.write_text(f'logrotate state -- version 2\n"{tmp_path}/seen.log" 2000-1-1-0:0:0\n')
    r = run("logroll", "--config", conf, "--state", ours, "--logrotate-state", theirs)
    assert r.rc == 1, r
    assert "logrotate's state" not in r.err


def test_logrotate_state_names_are_read_as_logrotate_writes_them(run, tmp_path):
    """Quotes, backslashes, spaces and newlines in names, as logrotate 3.21 escapes them."""
    names = ['a"b.log', "c\\d.log", "sp ace.log", "nl\nx.log"]
    for n in names:
        (tmp_path / n).write_text("x\n")
    theirs = tmp_path / "logrotate.status"
    p = subprocess.run([LOGROTATE, "-s", theirs, write_conf(tmp_path / "lr.conf", f"{tmp_path}/*.log {{\n daily\n}}\n")],
                       capture_output=True)
    assert p.returncode == 0, p
    ours = tmp_path / "status"
    r = run("logroll", "--config", write_conf(tmp_path / "c.conf", f"{tmp_path}/*.log {{\n daily\n}}\n"),
            "--state", ours, "--logrotate-state", theirs, "--dry-run")
    assert r.rc == 1, r
    assert "records=4 lines_not_understood=0" in r.err, r
    assert sum(": not due: daily: last rotated " in l for l in r.lines()) == 4, r


def test_scripts_under_su_run_with_su_rights_where_logrotate_runs_them_as_root(run, public_tmp):
    """Side by side on one tree: logrotate 3.21 runs a su block's scripts as root; logroll
    runs them as su's user and group (its only group), so a script cannot write where the
    user cannot, unless the block says scriptsasroot.  The rotation is the same."""
    need_root()
    logs, root_only, out = public_tmp / "logs", public_tmp / "root-only", public_tmp / "out"
    for d in (logs, root_only, out):
        d.mkdir()
    os.chown(logs, 65534, 65534)
    root_only.chmod(0o700)
    out.chmod(0o777)
    scripts = "".join(f" {s}\n  echo {s} $(id -u) $(id -G) >> {out}/$(id -u).{s}\n  touch {root_only}/{s} || true\n"
                      " endscript\n" for s in ("firstaction", "prerotate", "postrotate", "lastaction"))
    block = f"{logs}/a.log {{\n su nobody nogroup\n rotate 2\n create\n{scripts}}}\n"

    def fresh():
        for p in (*logs.iterdir(), *root_only.iterdir(), *out.iterdir()):
            p.unlink()
        (logs / "a.log").write_text("a\n")
        os.chown(logs / "a.log", 65534, 65534)

    fresh()
    p = logrotate(public_tmp / "lr.state", write_conf(public_tmp / "lr.conf", block))
    assert p.returncode == 0, p
    theirs = sorted(p.name for p in out.iterdir())
    assert theirs == ["0.firstaction", "0.lastaction", "0.postrotate", "0.prerotate"], theirs
    assert sorted(p.name for p in root_only.iterdir()) == ["firstaction", "lastaction", "postrotate", "prerotate"]
    rotated_by_logrotate = sorted(p.name for p in logs.iterdir())

    fresh()
    conf = write_conf(public_tmp / "c.conf", block)
    r = run("logroll", "--config", conf, "--state", public_tmp / "st", "--logrotate-state", public_tmp / "none")
    assert r.rc == 0, r
    ours = sorted(p.name for p in out.iterdir())
    assert ours == ["65534.firstaction", "65534.lastaction", "65534.postrotate", "65534.prerotate"], ours
    assert (out / "65534.prerotate").read_text() == "prerotate 65534 65534\n"
    assert list(root_only.iterdir()) == []
    assert sorted(p.name for p in logs.iterdir() if p.name != ".logroll.lock") == rotated_by_logrotate
    assert (logs / "a.log.1").read_text() == "a\n"

    fresh()
    conf.write_text(block.replace(" su nobody nogroup\n", " su nobody nogroup\n scriptsasroot\n"))
    r = run("logroll", "--config", conf, "--state", public_tmp / "st", "--logrotate-state", public_tmp / "none")
    assert r.rc == 0, r
    assert sorted(p.name for p in out.iterdir()) == theirs
    assert (logs / "a.log.1").stat().st_uid == 65534

    # --convert says how it differs from logrotate, and keeps scriptsasroot.
    r = run("logroll", "--convert", conf)
    assert r.rc == 0 and "    scriptsasroot" in r.lines(), r
    conf.write_text(block)
    r = run("logroll", "--convert", conf)
    assert "# su nobody: the scripts run as nobody too (logrotate runs them as root); " \
           "'scriptsasroot' runs them as root" in r.lines(), r
