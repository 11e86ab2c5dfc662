"""End-to-end tests of usbtidy: organize and undo on trees made in tmp_path (collisions, odd
names, hidden and read-only files, a crash injected between journal and rename with strace,
corrupt and foreign journals)."""
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import mounted_tmpfs, run_tool, tool_env, tool_path

USBTIDY = os.fspath(tool_path("usbtidy"))


def usbtidy(*args, **kw):
    return run_tool("usbtidy", *args, **kw)


def snapshot(root: Path) -> dict:
    """Every entry below root, as bytes relative paths, with its mode, size and inode."""
    out = {}
    broot = os.fsencode(root)
    for dp, dns, fns in os.walk(broot):
        for n in dns + fns:
            p = os.path.join(dp, n)
            st = os.lstat(p)
            out[os.path.relpath(p, broot)] = (st.st_mode, st.st_size, st.st_ino)
    return out


def odd_tree(tree) -> None:
    tree.file("a.jpg", data=b"1")
    tree.file("B.JPG", data=b"22")
    tree.file("jpg/a.jpg", data=b"old")  # taken: a.jpg becomes "a (1).jpg"
    tree.file("notes", data=b"333")
    tree.file("readonly.txt", mode=0o444, data=b"4")
    tree.file(".hidden.txt", data=b"5")
    tree.file(b"new\nline.txt", data=b"6")
    tree.file(b"latin1-\xe9t\xe9.PNG", data=b"7")
    tree.file(b"space in name.tar.gz", data=b"8")
    tree.dir("System Volume Information")
    tree.file(".Trashes/x.jpg")
    tree.dir("photos.d")
    tree.symlink("link.jpg", "a.jpg")


def test_organize_then_undo_restores_exactly(tree):
    odd_tree(tree)
    before = snapshot(tree.root)
    r = usbtidy("organize", "--format", "json", tree.root)
    assert r.rc == 0, r
    moves = {m["from"].encode("utf-8", "surrogateescape"): m["to"].encode("utf-8", "surrogateescape")
             for m in r.json_lines()}
    assert moves == {
        b"a.jpg": b"jpg/a (1).jpg",
        b"B.JPG": b"jpg/B.JPG",
        b"notes": b"other/notes",
        b"readonly.txt": b"txt/readonly.txt",
        b"new\nline.txt": b"txt/new\nline.txt",
        b"latin1-\xe9t\xe9.PNG": b"png/latin1-\xe9t\xe9.PNG",
        b"space in name.tar.gz": b"gz/space in name.tar.gz",
    }
    after = snapshot(tree.root)
    for src, dst in moves.items():
        assert after[dst][2] == before[src][2], (src, dst)  # the same inode: renamed, not copied
        assert src not in after
    assert stat.S_IMODE(after[b"txt/readonly.txt"][0]) == 0o444
    for kept in (b".hidden.txt", b".Trashes/x.jpg", b"System Volume Information", b"photos.d", b"link.jpg",
                 b"jpg/a.jpg"):
        assert after[kept] == before[kept]

    u = usbtidy("undo", tree.root)
    assert u.rc == 0, u
    assert len(u.lines()) == 9  # seven moves; a name with a newline takes two lines, twice
    assert snapshot(tree.root) == before


def test_dry_run_changes_nothing(tree):
    odd_tree(tree)
    before = snapshot(tree.root)
    r = usbtidy("organize", "--dry-run", tree.root)
    assert r.rc == 0, r
    assert "a.jpg -> jpg/a (1).jpg" in r.lines()
    assert snapshot(tree.root) == before


def test_rules_groups(tree):
    for n in ("x.jpg", "y.PNG", "z.pdf", "song.mp3", "data.bin", "README"):
        tree.file(n)
    rules = tree.file("../rules.txt", data=b"# groups\nimages: jpg png\ndocuments: pdf txt\naudio: mp3 flac\n")
    r = usbtidy("organize", "--rules", rules, tree.root)
    assert r.rc == 0, r
    assert sorted(r.lines()) == ["README -> other/README", "data.bin -> other/data.bin", "song.mp3 -> audio/song.mp3",
                                 "x.jpg -> images/x.jpg", "y.PNG -> images/y.PNG", "z.pdf -> documents/z.pdf"]


def test_bad_rules_named_with_their_line(tree):
    tree.file("x.jpg")
    rules = tree.file("../rules.txt", data=b"images: jpg\nphotos: JPG\n")
    r = usbtidy("organize", "--rules", rules, tree.root)
    assert r.rc == 2
    assert r.err == f"usbtidy: --rules: {rules}: line 2: extension 'jpg' is already in group 'images'\n"
    assert (tree.root / "x.jpg").exists()


def test_crash_between_journal_and_rename(tree):
    """strace kills usbtidy as it enters its fourth renameat2 (B.JPG moved, a.jpg found its
    name taken, "a (1).jpg" moved): the journal of the whole batch is on the drive, two
    files have moved, the rest have not."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    odd_tree(tree)
    before = snapshot(tree.root)
    p = subprocess.run(["strace", "-qq", "-o", "/dev/null", "-e", "inject=renameat2:signal=SIGKILL:when=4",
                        USBTIDY, "organize", os.fspath(tree.root)], env=tool_env(), capture_output=True)
    assert p.returncode == -9 or p.returncode == 137, p
    moved = sorted(set(snapshot(tree.root)) - set(before))
    assert moved == [b".usbtidy-journal", b"gz", b"jpg/B.JPG", b"jpg/a (1).jpg", b"other", b"png", b"txt"]
    u = usbtidy("undo", tree.root)
    assert u.rc == 0, u
    assert snapshot(tree.root) == before


def test_corrupt_or_foreign_journal_refused(tree):
    tree.file("a.jpg", data=b"1")
    tree.file("b.txt", data=b"2")
    r = usbtidy("organize", tree.root)
    assert r.rc == 0, r
    journal = tree.root / ".usbtidy-journal"
    good = journal.read_bytes()
    lines = good.split(b"\n")
    lines[2] = lines[2].replace(b"mkdir", b"rmdir")  # damaged in the middle, not a crash's tail
    journal.write_bytes(b"\n".join(lines))
    after = snapshot(tree.root)
    u = usbtidy("undo", tree.root)
    assert u.rc == 2
    assert u.err == f"usbtidy: {tree.root}/.usbtidy-journal: line 3: bad checksum; nothing moved\n"
    assert snapshot(tree.root) == after

    journal.write_bytes(b"#!/bin/sh\nrm -rf ~\n")
    u = usbtidy("undo", tree.root)
    assert u.rc == 2
    assert u.err == f"usbtidy: {tree.root}/.usbtidy-journal: not a usbtidy journal; nothing moved\n"
    tree.file("c.png")
    o = usbtidy("organize", tree.root)
    assert o.rc == 2
    assert "not a usbtidy journal; refusing to add to it" in o.err
    assert (tree.root / "c.png").exists()
    assert u.out == o.out == b""


def test_journal_from_another_file_system(tree):
    """A journal copied off the drive, to a directory on another kind of file system."""
    tree.file("a.jpg", data=b"1")
    mnt = tree.dir("mnt")
    with mounted_tmpfs(mnt, "1m"):
        (mnt / "a.jpg").write_bytes(b"1")
        assert usbtidy("organize", mnt).rc == 0
        shutil.copy(mnt / ".usbtidy-journal", tree.root / "copy")
    os.rename(tree.root / "copy", tree.root / ".usbtidy-journal")
    os.mkdir(tree.root / "jpg")
    os.rename(tree.root / "a.jpg", tree.root / "jpg/a.jpg")
    u = usbtidy("undo", tree.root)
    if u.rc == 0:
        pytest.skip("the test directory is on a tmpfs too")
    assert u.rc == 2
    assert "written on another file system (type 1021994;" in u.err
    assert (tree.root / "jpg/a.jpg").exists()


def test_write_protected_drive_moves_nothing(tree):
    mnt = tree.dir("mnt")
    with mounted_tmpfs(mnt, "1m"):
        (mnt / "a.jpg").write_bytes(b"1")
        subprocess.run(["mount", "-o", "remount,ro", os.fspath(mnt)], check=True)
        before = snapshot(mnt)
        r = usbtidy("organize", mnt)
        assert r.rc == 2
        assert r.err == f"usbtidy: {mnt}: openat(.usbtidy-journal): Read-only file system\n"
        assert snapshot(mnt) == before


def test_undo_without_journal(tree):
    r = usbtidy("undo", tree.root)
    assert r.rc == 2
    assert r.err == f"usbtidy: {tree.root}/.usbtidy-journal: no journal: nothing was organized here\n"


def test_usage_errors(tree):
    r = usbtidy()
    assert r.rc == 2
    assert r.err.splitlines() == ["usbtidy: a command is missing: organize, undo, list or watch",
                                  "Try 'usbtidy --help' for more information."]
    r = usbtidy("watch", "--any", "--label", "X")
    assert r.rc == 2
    assert r.err.splitlines()[0] == "usbtidy: --any: choose one of --label, --uuid and --any"
    r = usbtidy("organize", tree.root / "missing")
    assert r.rc == 2
    assert r.err == f"usbtidy: {tree.root}/missing: No such file or directory\n"


def test_many_files(tree):
    """100,000 files organized and put back, on a tmpfs as a drive of their own."""
    names = [f"f{i:06d}.{('jpg', 'png', 'txt', 'pdf', 'mp3')[i % 5]}" for i in range(100_000)]
    mnt = tree.dir("mnt")
    with mounted_tmpfs(mnt, "16m"):
        fd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for n in names:
                os.close(os.open(n, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
        finally:
            os.close(fd)
        r = usbtidy("organize", mnt, timeout=120)
        assert r.rc == 0, r
        assert len(r.out.splitlines()) == 100_000
        assert sorted(os.listdir(mnt)) == [".usbtidy-journal", "jpg", "mp3", "pdf", "png", "txt"]
        assert len(os.listdir(mnt / "jpg")) == 20_000
        u = usbtidy("undo", mnt, timeout=120)
        assert u.rc == 0, u
        assert sorted(os.listdir(mnt)) == names
