"""End-to-end tests of dupfind: the built binary against trees each test makes in tmp_path,
compared with jdupes(1) on the same trees (the issue's contract: the same groups as `jdupes -r`,
compared per inode) and with digests computed here.

Options are passed before a "--" and the trees after it, so that a repeatable option
(--exclude, --include) cannot take a tree for one of its values.  A file changed between
hashing and acting has no hook at this level: tests/unit/test_dupfind_act.cpp covers it."""
import ctypes
import hashlib
import os
import random
import re
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import (NOBODY, Tree, bind_mounted, can_run_as_nobody, make_deep, mounted_tmpfs, run_tool, tool_env,
                      tool_path)

JDUPES = shutil.which("jdupes")
# Long enough for the sanitizer build on a loaded machine; a run that opens a FIFO blocks forever.
TIMEOUT = 30


def dupfind(*args, roots=(), **kw):
    """dupfind ARGS -- ROOTS."""
    kw.setdefault("timeout", TIMEOUT)
    return run_tool("dupfind", *args, *(["--", *roots] if roots else []), **kw)


def blob(n: int, seed: int) -> bytes:
    """n bytes of reproducible noise: files that differ from the first byte on."""
    return random.Random(seed).randbytes(n)


def text_groups(r) -> list:
    """The default output (fdupes/jdupes format: a path per line, a blank line after each
    group) as a list of groups of paths (str); names must not hold newlines."""
    out = r.out
    if not out:
        return []
    assert out.endswith(b"\n\n"), f"the last group is not followed by a blank line: {out[-80:]!r}"
    return [[os.fsdecode(p) for p in g.split(b"\n")] for g in out[:-2].split(b"\n\n")]


def null_groups(r) -> list:
    """-0 output (each path followed by a NUL, an empty record after each group) as a list of
    groups of paths (bytes)."""
    out = r.out
    if not out:
        return []
    assert out.endswith(b"\0\0"), f"the last group is not followed by an empty record: {out[-80:]!r}"
    groups = [g.split(b"\0") for g in out[:-2].split(b"\0\0")]
    assert all(p for g in groups for p in g), f"an empty path inside a group: {out!r}"
    return groups


def rel_groups(groups, root) -> list:
    """Groups of paths under root as paths relative to it, each group and the list kept in order."""
    root = os.fsencode(root)
    out = []
    for g in groups:
        rg = []
        for p in g:
            p = os.fsencode(p)
            assert p.startswith(root + b"/"), f"{p!r} is not under {root!r}"
            rg.append(os.fsdecode(p[len(root) + 1:]))
        out.append(rg)
    return out


def as_sets(groups) -> set:
    return {frozenset(g) for g in groups}


def per_inode(groups) -> set:
    """Groups as a set of sets of (st_dev, st_ino): the issue's comparison with jdupes."""
    out = set()
    for g in groups:
        ids = frozenset((st.st_dev, st.st_ino) for st in (os.lstat(p) for p in g))
        out.add(ids)
    return out


def jdupes_groups(*roots) -> list:
    if JDUPES is None:
        pytest.skip("jdupes is not installed")
    p = subprocess.run([JDUPES, "-r", "-q", *map(os.fspath, roots)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr
    if not p.stdout:
        return []
    return [[os.fsdecode(x) for x in g.split(b"\n")] for g in p.stdout.rstrip(b"\n").split(b"\n\n")]


def snapshot(root: Path, dir_mtimes: bool = True) -> dict:
    """Everything below root: type, inode, mode, size, mtime, content or link target.
    dir_mtimes=False: a directory's mtime left out (a failed action made and removed a name in it)."""
    out = {}
    for dp, dns, fns in os.walk(root):
        for n in dns + fns:
            p = os.path.join(dp, n)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                what = Path(p).read_bytes()
            elif stat.S_ISLNK(st.st_mode):
                what = os.readlink(p)
            else:
                what = None
            mtime = st.st_mtime_ns if dir_mtimes or not stat.S_ISDIR(st.st_mode) else None
            out[os.path.relpath(p, root)] = (st.st_mode, st.st_ino, st.st_size, mtime, what)
    return out


def leftovers(root: Path) -> list:
    """Temporary names dupfind may have left behind."""
    return [os.path.join(dp, n) for dp, dns, fns in os.walk(root) for n in dns + fns if n.startswith(".dupfind-")]


def xxh3_128(data: bytes) -> str:
    """XXH3-128 of data in canonical (big-endian) hex, from libxxhash itself."""
    class Hash128(ctypes.Structure):
        _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]
    try:
        lib = ctypes.CDLL("libxxhash.so.0")
    except OSError:
        pytest.skip("libxxhash.so.0 cannot be loaded")
    lib.XXH3_128bits.restype = Hash128
    lib.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    h = lib.XXH3_128bits(data, len(data))
    return f"{h.high64:016x}{h.low64:016x}"


# --- the standard tree ------------------------------------------------------------------

A = blob(5000, 1)        # larger than the 4 KiB prefix
SMALL = b"hello\n"
LAST = blob(20000, 2)    # its copies differ from it in the last byte only
HARD = blob(3000, 3)
D = blob(700, 4)


def mixed_tree(t: Tree) -> None:
    """Every case of the issue's list in one tree (see EXPECTED)."""
    t.file("a1", data=A)
    t.file("dup/a2", data=A)
    t.file("dup/sub/a3", data=A)
    t.file("small/s1", data=SMALL)
    t.file("small/s2", data=SMALL)
    t.file("small/s3", data=b"hellp\n")                   # same size, other content
    t.file("last/l1", data=LAST)
    t.file("last/l2", data=LAST)
    t.file("last/l3", data=LAST[:-1] + bytes([LAST[-1] ^ 1]))  # differs in the last byte only
    t.file("last/l4", data=blob(20000, 5))                # same size, differs everywhere
    t.file("hard/h1", data=HARD)
    os.link(t.path("hard/h1"), t.path("hard/h1.link"))    # one file, two names
    t.file("hard/h2", data=HARD)
    t.file("hardonly/x", data=D)
    os.link(t.path("hardonly/x"), t.path("hardonly/x.link"))  # never a duplicate of itself
    t.file("empty/e1")
    t.file("empty/e2")
    t.file("unique", data=b"one of a kind")
    t.dir("special")
    os.mkfifo(t.path("special/fifo"))                      # no writer: opening it would block
    os.mknod(t.path("special/sock"), stat.S_IFSOCK | 0o644)
    os.mknod(t.path("special/null"), stat.S_IFCHR | 0o644, os.makedev(1, 3))
    t.symlink("special/link", "../a1")                     # not followed without -L
    t.symlink("special/dangling", "nowhere")


EXPECTED = [["a1", "dup/a2", "dup/sub/a3"], ["hard/h1", "hard/h2"], ["last/l1", "last/l2"],
            ["small/s1", "small/s2"]]


def test_groups(tree):
    mixed_tree(tree)
    r = dupfind(roots=[tree.root])
    assert r.rc == 1, r
    assert r.err == "", r
    assert rel_groups(text_groups(r), tree.root) == EXPECTED, r


def test_groups_equal_jdupes_per_inode(tree):
    mixed_tree(tree)
    r = dupfind(roots=[tree.root])
    assert r.rc == 1, r
    ours = per_inode(text_groups(r))
    theirs = per_inode(jdupes_groups(tree.root))
    assert ours == theirs, f"dupfind: {ours}\njdupes: {theirs}\n{r}"
    assert len(ours) == len(EXPECTED)


def test_text_format_exact(tree):
    tree.file("b", data=SMALL)
    tree.file("a", data=SMALL)
    tree.file("c/x", data=A)
    tree.file("c/y", data=A)
    r = dupfind(".", cwd=tree.root)
    assert r.rc == 1, r
    assert r.out == b"./a\n./b\n\n./c/x\n./c/y\n\n", r


@pytest.mark.parametrize("size", [4097, 8193, 300_000])
def test_last_byte_differs(tree, size):
    data = blob(size, size)
    tree.file("x", data=data)
    tree.file("y", data=data[:-1] + bytes([data[-1] ^ 0x80]))
    for args in ([], ["--verify"], ["--hash", "md5"]):
        r = dupfind(*args, roots=[tree.root])
        assert (r.rc, r.out, r.err) == (0, b"", ""), r
    tree.file("z", data=data)
    r = dupfind(roots=[tree.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), tree.root) == [["x", "z"]], r


def test_same_size_different_content(tree):
    for i in range(5):
        tree.file(f"f{i}", data=blob(6000, 100 + i))
        tree.file(f"s{i}", data=bytes([65 + i]) * 100)
    r = dupfind(roots=[tree.root])
    assert (r.rc, r.out, r.err) == (0, b"", ""), r


# --- hard links -------------------------------------------------------------------------

def test_hardlinks_listed_once_by_default(tree):
    tree.file("a", data=A)
    os.link(tree.path("a"), tree.path("a.2"))
    os.link(tree.path("a"), tree.path("sub.a.3"))
    tree.file("b", data=A)
    r = dupfind(roots=[tree.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), tree.root) == [["a", "b"]], r


def test_hardlinks_all_names(tree):
    tree.file("a", data=A)
    os.link(tree.path("a"), tree.path("a.2"))
    tree.file("b", data=A)
    os.link(tree.path("b"), tree.path("0b"))
    r = dupfind("--hardlinks", roots=[tree.root])
    assert r.rc == 1, r
    # The file that comes first is the one whose first name sorts first; its names stay together.
    assert rel_groups(text_groups(r), tree.root) == [["0b", "b", "a", "a.2"]], r


def test_hardlinks_are_not_duplicates_of_themselves(tree):
    tree.file("a", data=A)
    os.link(tree.path("a"), tree.path("b"))
    os.link(tree.path("a"), tree.path("sub-c"))
    for args in ([], ["--hardlinks"], ["--summary"]):
        r = dupfind(*args, roots=[tree.root])
        assert r.rc == 0, r
        assert r.err == "", r
    assert dupfind("--hardlinks", roots=[tree.root]).out == b""


def test_same_file_under_two_roots(tree):
    tree.file("sub/a", data=A)
    r = dupfind(roots=[tree.root, tree.path("sub")])
    assert (r.rc, r.out) == (0, b""), r


# --- empty files, special files, symlinks -----------------------------------------------

def test_empty_files_skipped(tree):
    tree.file("e1")
    tree.file("e2")
    tree.file("sub/e3")
    r = dupfind(roots=[tree.root])
    assert (r.rc, r.out, r.err) == (0, b"", ""), r


def test_empty_files_grouped_with_empty(tree):
    tree.file("e1")
    tree.file("e2")
    tree.file("sub/e3")
    os.mkfifo(tree.path("fifo"))  # size 0 too, but not a file
    os.mknod(tree.path("sock"), stat.S_IFSOCK | 0o644)
    r = dupfind("--empty", roots=[tree.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), tree.root) == [["e1", "e2", "sub/e3"]], r
    obj = dupfind("--empty", "--format", "json", "--hash", "sha256", roots=[tree.root]).json_lines()
    assert [(o["size"], o["hash"]) for o in obj] == [(0, hashlib.sha256(b"").hexdigest())]


def special_tree(t: Tree) -> None:
    t.file("a", data=SMALL)
    t.file("b", data=SMALL)
    os.mkfifo(t.path("fifo"))
    os.mknod(t.path("sock"), stat.S_IFSOCK | 0o644)
    os.mknod(t.path("null"), stat.S_IFCHR | 0o644, os.makedev(1, 3))
    t.symlink("to-fifo", "fifo")
    t.symlink("to-a", "a")
    t.symlink("dangling", "nowhere")


@pytest.mark.parametrize("args", [[], ["--empty"], ["-L"], ["-L", "--empty"], ["-L", "--hardlinks"],
                                  ["--verify", "--hardlinks"]],
                         ids=["default", "empty", "follow", "follow-empty", "follow-hardlinks", "verify"])
def test_special_files_never_opened(tree, args):
    special_tree(tree)
    # A FIFO without a writer blocks an open(O_RDONLY) forever: the timeout catches that.
    r = dupfind(*args, roots=[tree.root])
    assert r.rc == 1, r
    groups = rel_groups(text_groups(r), tree.root)
    # Followed, to-a is one more name of a.
    want = [["a", "to-a", "b"]] if "--hardlinks" in args and "-L" in args else [["a", "b"]]
    assert groups == want, r
    assert r.err == "", r


def test_special_files_as_roots(tree):
    special_tree(tree)
    r = dupfind("--empty", "-L", roots=[tree.path("fifo"), tree.path("to-fifo"), tree.path("sock"),
                                        tree.path("null")])
    assert (r.rc, r.out, r.err) == (0, b"", ""), r


def test_symlinks_not_followed_by_default(tree, tmp_path):
    outside = Tree(tmp_path / "outside")
    outside.file("o", data=A)
    outside.file("d/p", data=A)
    tree.file("a", data=A)
    tree.symlink("link-to-file", str(outside.path("o")))
    tree.symlink("link-to-dir", str(outside.path("d")))
    r = dupfind(roots=[tree.root])
    assert (r.rc, r.out, r.err) == (0, b"", ""), r
    r = dupfind("--follow", roots=[tree.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), tree.root) == [["a", "link-to-dir/p", "link-to-file"]], r
    # followed names stand for their targets: compare what they point to
    assert {frozenset((os.stat(p).st_dev, os.stat(p).st_ino) for p in g) for g in text_groups(r)} == {frozenset(
        (st.st_dev, st.st_ino) for st in map(os.stat, [tree.path("a"), outside.path("o"), outside.path("d/p")]))}


def test_follow_symlink_loop_terminates(tree):
    tree.file("a", data=A)
    tree.file("sub/b", data=A)
    tree.symlink("sub/up", "..")
    tree.symlink("self", ".")
    tree.symlink("ping", "pong")
    tree.symlink("pong", "ping")
    r = dupfind("-L", roots=[tree.root])
    assert r.rc == 2, r
    assert rel_groups(text_groups(r), tree.root) == [["a", "sub/b"]], r
    err = r.err_lines()
    assert f"dupfind: {tree.root}/sub/up: Too many levels of symbolic links" in err, r
    assert f"dupfind: {tree.root}/self: Too many levels of symbolic links" in err, r
    assert f"dupfind: {tree.root}/ping: Too many levels of symbolic links" in err, r
    assert f"dupfind: {tree.root}/pong: Too many levels of symbolic links" in err, r


def test_follow_names_each_symlink_loop_as_find_does(tree):
    """The issue's case: loops of links are errors with -L (exit 2), named as find -L names
    them; a dangling link is not."""
    tree.file("a", data=A)
    tree.file("b", data=A)
    tree.symlink("l1", "l2")
    tree.symlink("l2", "l1")
    tree.symlink("self", "self")
    tree.symlink("dangling", "nowhere")
    r = dupfind("-q", "-L", roots=[tree.root])
    assert r.rc == 2, r
    assert rel_groups(text_groups(r), tree.root) == [["a", "b"]], r
    want = sorted(f"dupfind: {tree.root}/{n}: Too many levels of symbolic links" for n in ("l1", "l2", "self"))
    assert sorted(r.err_lines()) == want, r
    find = subprocess.run(["find", "-L", tree.root], capture_output=True, text=True, env={"LC_ALL": "C"})
    assert sorted(find.stderr.splitlines()) == [f"find: '{tree.root}/{n}': Too many levels of symbolic links"
                                                for n in ("l1", "l2", "self")], find
    # A loop given as the root is named too; without -L a link is not followed, and no error.
    r = dupfind("-L", roots=[tree.path("self")])
    assert (r.rc, r.err_lines()) == (2, [f"dupfind: {tree.path('self')}: Too many levels of symbolic links"]), r
    r = dupfind(roots=[tree.root])
    assert (r.rc, r.err) == (1, ""), r


def test_bind_mount_of_an_ancestor_is_skipped_with_a_warning(tree):
    """In a tmpfs: t/sub/loop is t again.  Walked once, named in a warning, not an error."""
    with mounted_tmpfs(tree.dir("mnt", 0o755), "4m") as mnt:
        t = Tree(mnt / "t")
        t.file("a", data=A)
        t.file("sub/b", data=A)
        t.dir("sub/loop", 0o755)
        with bind_mounted(t.root, t.path("sub/loop")):
            r = dupfind(roots=[t.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), t.root) == [["a", "sub/b"]], r
    assert r.err_lines() == [f"dupfind: {t.root}/sub/loop: File system loop detected; it is {t.root} again"], r


# --- names that are not text ------------------------------------------------------------

ODD = [b"new\nline", b"bad\xff\xfeutf8", b"tab\tand space", b"q\"uo'te\\", b"\xc3\xa9t\xc3\xa9", b"-dash"]


def odd_tree(t: Tree) -> None:
    for n in ODD:
        t.file(n, data=SMALL)
    t.file(b"d\nir/x", data=A)
    t.file(b"d\nir/\x80y", data=A)


def test_null_output_byte_exact(tree):
    odd_tree(tree)
    r = dupfind("-0", ".", cwd=tree.root)
    assert r.rc == 1, r
    # Names in byte order within a group, groups in the order of their first names.
    groups = sorted([sorted(b"./" + n for n in ODD), sorted([b"./d\nir/x", b"./d\nir/\x80y"])])
    assert r.out == b"".join(b"".join(p + b"\0" for p in g) + b"\0" for g in groups), r
    assert null_groups(r) == groups, r


def test_null_output_groups_jdupes(tree):
    odd_tree(tree)
    r = dupfind("-0", roots=[tree.root])
    assert r.rc == 1, r
    ours = per_inode(null_groups(r))
    want = {frozenset(os.lstat(tree.path(n)).st_ino for n in ODD),
            frozenset(os.lstat(tree.path(n)).st_ino for n in (b"d\nir/x", b"d\nir/\x80y"))}
    assert {frozenset(i for _, i in g) for g in ours} == want, r


def test_json_fields_and_escaping(tree):
    odd_tree(tree)
    r = dupfind("--format", "json", ".", cwd=tree.root)
    assert r.rc == 1, r
    objs = r.json_lines()
    assert len(objs) == 2, r
    for o in objs:
        assert set(o) == {"size", "hash", "algorithm", "paths"}, o
        assert o["algorithm"] == "xxh3-128", o
        assert len(o["hash"]) == 32 and all(c in "0123456789abcdef" for c in o["hash"]), o
    by_size = {o["size"]: o for o in objs}
    paths = [p.encode("utf-8", "surrogateescape") for p in by_size[len(SMALL)]["paths"]]
    assert paths == [b"./" + n for n in sorted(ODD)], r
    assert by_size[len(SMALL)]["hash"] == xxh3_128(SMALL), r
    assert sorted(p.encode("utf-8", "surrogateescape") for p in by_size[len(A)]["paths"]) == \
        sorted([b"./d\nir/x", b"./d\nir/\x80y"]), r
    # Lossless: an invalid byte is \udcXX in the text itself, valid UTF-8 stays as it is.
    assert b'"./bad\\udcff\\udcfeutf8"' in r.out, r
    assert "./\u00e9t\u00e9".encode() in r.out, r
    assert b'"./new\\nline"' in r.out, r


def test_dry_run_commands_run_in_sh(tree):
    odd_tree(tree)
    r = dupfind("--delete", ".", cwd=tree.root)
    assert r.rc == 1, r
    p = subprocess.run(["sh", "-e"], input=r.out, cwd=tree.root, capture_output=True, timeout=30)
    assert p.returncode == 0, (p.stderr, r)
    left = sorted(os.listdir(os.fsencode(tree.root)))
    assert left == sorted([b"d\nir", sorted(ODD)[0]]), left
    assert len(os.listdir(tree.path(b"d\nir"))) == 1


# --- unreadable files -------------------------------------------------------------------

@pytest.fixture
def as_nobody():
    if not can_run_as_nobody(tool_path("dupfind")):
        pytest.skip("cannot run dupfind as uid 65534 here (setpriv, or the build is not reachable)")


def test_unreadable_file(tree, as_nobody):
    tree.file("a", data=A)
    tree.file("b", 0o000, A)
    tree.file("c", data=A)
    tree.file("s1", data=SMALL)
    tree.file("s2", 0o200, SMALL)  # small files are hashed during the walk: the same message
    tree.file("s3", data=SMALL)
    tree.file("locked/x", data=A)
    os.chmod(tree.path("locked"), 0o000)
    # Run from inside the tree: pytest's tmp_path ancestors are closed to other users.
    r = dupfind(".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    assert text_groups(r) == [["./a", "./c"], ["./s1", "./s3"]], r
    assert sorted(r.err_lines()) == ["dupfind: ./b: Permission denied", "dupfind: ./locked: Permission denied",
                                     "dupfind: ./s2: Permission denied"], r


def test_unreadable_file_json_and_summary(tree, as_nobody):
    tree.file("a", data=A)
    tree.file("b", 0o000, A)
    tree.file("c", data=A)
    r = dupfind("--format", "json", ".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    assert [o["paths"] for o in r.json_lines()] == [["./a", "./c"]], r
    assert r.err_lines() == ["dupfind: ./b: Permission denied"], r
    r = dupfind("--summary", ".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    assert r.lines() == [f"1 duplicate group, 1 duplicate file, {len(A)} bytes (4.9K) reclaimable"], r


# --- hashes and --verify ----------------------------------------------------------------

DIGESTS = {"sha256": hashlib.sha256, "blake2b": hashlib.blake2b, "md5": hashlib.md5}


@pytest.mark.parametrize("name", ["sha256", "blake2b", "md5", "xxh3-128"])
def test_hash_algorithms(tree, name):
    mixed_tree(tree)
    r = dupfind("--hash", name, "--format", "json", roots=[tree.root])
    assert r.rc == 1, r
    objs = r.json_lines()
    assert rel_groups([o["paths"] for o in objs], tree.root) == EXPECTED, r
    content = {len(A): A, len(SMALL): SMALL, len(LAST): LAST, len(HARD): HARD}
    for o in objs:
        assert o["algorithm"] == name, o
        want = xxh3_128(content[o["size"]]) if name == "xxh3-128" else DIGESTS[name](content[o["size"]]).hexdigest()
        assert o["hash"] == want, o
    # the text output holds the same groups whatever the hash
    assert rel_groups(text_groups(dupfind("--hash", name, roots=[tree.root])), tree.root) == EXPECTED


def test_default_hash_is_xxh3_128(tree):
    tree.file("a", data=A)
    tree.file("b", data=A)
    o = dupfind("--format", "json", roots=[tree.root]).json_lines()
    assert [(x["algorithm"], x["hash"]) for x in o] == [("xxh3-128", xxh3_128(A))]


@pytest.mark.parametrize("bad", ["sha1", "SHA256", "", "xxh64"])
def test_unknown_hash(tree, bad):
    tree.file("a", data=A)
    r = dupfind(f"--hash={bad}", roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err_lines()[0].startswith("dupfind: --hash: "), r


def test_verify_same_groups(tree):
    mixed_tree(tree)
    r = dupfind("--verify", roots=[tree.root])
    assert r.rc == 1, r
    assert r.err == "", r
    assert rel_groups(text_groups(r), tree.root) == EXPECTED, r


# --- --keep -----------------------------------------------------------------------------

def keep_tree(t: Tree) -> None:
    for rel, mtime in (("a-long-file-name", 2000), ("m/x", 3000), ("z/yy", 1000)):
        t.file(rel, data=A)
        os.utime(t.path(rel), (mtime, mtime))


@pytest.mark.parametrize("keep,order", [
    ("first", ["a-long-file-name", "m/x", "z/yy"]),
    ("oldest", ["z/yy", "a-long-file-name", "m/x"]),
    ("newest", ["m/x", "a-long-file-name", "z/yy"]),
    ("shortest-path", ["m/x", "z/yy", "a-long-file-name"]),
    ("yy", ["z/yy", "a-long-file-name", "m/x"]),
    ("*/m/*", ["m/x", "a-long-file-name", "z/yy"]),
    ("no-match-*", ["a-long-file-name", "m/x", "z/yy"]),
])
def test_keep_order(tree, keep, order):
    keep_tree(tree)
    r = dupfind("--keep", keep, roots=[tree.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), tree.root) == [order], r


def test_keep_ties_in_first_order(tree):
    keep_tree(tree)
    os.utime(tree.path("m/x"), (1000, 1000))  # as old as z/yy
    r = dupfind("--keep", "oldest", roots=[tree.root])
    assert rel_groups(text_groups(r), tree.root) == [["m/x", "z/yy", "a-long-file-name"]], r


def test_keep_first_follows_root_order(tree):
    keep_tree(tree)
    r = dupfind(roots=[tree.path("z"), tree.path("m"), tree.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), tree.root) == [["z/yy", "m/x", "a-long-file-name"]], r


def test_keep_decides_what_is_kept(tree):
    keep_tree(tree)
    r = dupfind("--keep", "newest", "--delete", ".", cwd=tree.root)
    assert r.rc == 1, r
    assert r.lines() == ["rm ./a-long-file-name", "rm ./z/yy"], r
    r = dupfind("--keep", "newest", "--delete", "--apply", ".", cwd=tree.root)
    assert r.rc == 1, r
    assert sorted(snapshot(tree.root)) == ["m", "m/x", "z"], r


# --- --summary --------------------------------------------------------------------------

def summary_tree(t: Tree) -> None:
    for n in ("a", "b", "c"):
        t.file(f"small/{n}", data=b"x" * 100)
    t.file("big/a", data=A)
    t.file("big/b", data=A)
    os.link(t.path("big/b"), t.path("big/b.link"))  # one file: reclaimed once
    t.file("e1")
    t.file("e2")


def test_summary_text(tree):
    summary_tree(tree)
    r = dupfind("--summary", roots=[tree.root])
    assert r.rc == 1, r
    assert r.out == b"2 duplicate groups, 3 duplicate files, 5200 bytes (5.1K) reclaimable\n", r
    r = dupfind("--summary", "--empty", roots=[tree.root])
    assert r.out == b"3 duplicate groups, 4 duplicate files, 5200 bytes (5.1K) reclaimable\n", r


def test_summary_json(tree):
    summary_tree(tree)
    r = dupfind("--summary", "--format", "json", roots=[tree.root])
    assert r.rc == 1, r
    assert r.json_lines() == [{"groups": 2, "duplicates": 3, "reclaimable_bytes": 5200}], r


def test_summary_nothing(tree):
    tree.file("a", data=A)
    r = dupfind("--summary", roots=[tree.root])
    assert r.rc == 0, r
    assert r.out == b"0 duplicate groups, 0 duplicate files, 0 bytes (0) reclaimable\n", r
    r = dupfind("--summary", "--format", "json", roots=[tree.root])
    assert (r.rc, r.json_lines()) == (0, [{"groups": 0, "duplicates": 0, "reclaimable_bytes": 0}]), r


# --- size and name filters --------------------------------------------------------------

SIZES = [1000, 1024, 2000, 10240, 1 << 20]


def sizes_tree(t: Tree) -> None:
    for n in SIZES:
        t.file(f"p{n}/a", data=blob(n, n))
        t.file(f"p{n}/b", data=blob(n, n))
    t.file("e/a")
    t.file("e/b")


@pytest.mark.parametrize("args,sizes", [
    ([], SIZES),
    (["--min-size", "1K"], [1024, 2000, 10240, 1 << 20]),
    (["--min-size", "1024"], [1024, 2000, 10240, 1 << 20]),
    (["--min-size", "1025"], [2000, 10240, 1 << 20]),
    (["--max-size", "2000"], [1000, 1024, 2000]),
    (["--max-size", "1k"], [1000, 1024]),
    (["--min-size", "1.5K", "--max-size", "10KiB"], [2000, 10240]),
    (["--min-size", "1M"], [1 << 20]),
    (["--max-size", "1MB"], SIZES),
    (["--min-size", "0"], SIZES),
    (["--empty", "--max-size", "1000"], [0, 1000]),
    (["--min-size", "2G"], []),
], ids=["none", "min-1K", "min-1024", "min-1025", "max-2000", "max-1k", "range", "min-1M", "max-1MB",
        "min-0", "empty-max", "min-2G"])
def test_size_filters(tree, args, sizes):
    sizes_tree(tree)
    r = dupfind(*args, "--format", "json", roots=[tree.root])
    assert r.rc == (1 if sizes else 0), r
    assert sorted(o["size"] for o in r.json_lines()) == sorted(sizes), r


@pytest.mark.parametrize("opt", ["--min-size", "--max-size"])
@pytest.mark.parametrize("bad", ["10X", "K", "1.5", "-1", "", "16E", "1 K", "0x10"])
def test_bad_size(tree, opt, bad):
    tree.file("a", data=A)
    tree.file("b", data=A)
    r = dupfind(f"{opt}={bad}", roots=[tree.root])
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err_lines()[0].startswith(f"dupfind: {opt}: "), r
    assert repr(bad)[1:-1] in r.err, r


def name_tree(t: Tree) -> None:
    t.file("p/a.jpg", data=A)
    t.file("q/b.jpg", data=A)
    t.file("q/b.txt", data=A)
    t.file("skip/c.jpg", data=A)
    t.file("p/x.txt", data=SMALL)
    t.file("skip/y.txt", data=SMALL)


@pytest.mark.parametrize("args,expected", [
    ([], [["p/a.jpg", "q/b.jpg", "q/b.txt", "skip/c.jpg"], ["p/x.txt", "skip/y.txt"]]),
    (["--include", "*.jpg"], [["p/a.jpg", "q/b.jpg", "skip/c.jpg"]]),
    (["--include", "*.txt"], [["p/x.txt", "skip/y.txt"]]),
    (["--include", "*.jpg", "--include", "b.*"], [["p/a.jpg", "q/b.jpg", "q/b.txt", "skip/c.jpg"]]),
    (["--exclude", "skip"], [["p/a.jpg", "q/b.jpg", "q/b.txt"]]),
    (["--exclude", "*.txt"], [["p/a.jpg", "q/b.jpg", "skip/c.jpg"]]),
    (["--exclude", "skip", "--exclude", "q"], []),
    (["--exclude", "*/q/*"], [["p/a.jpg", "skip/c.jpg"], ["p/x.txt", "skip/y.txt"]]),
    (["--include", "*.jpg", "--exclude", "skip"], [["p/a.jpg", "q/b.jpg"]]),
], ids=["none", "include-jpg", "include-txt", "include-two", "exclude-dir", "exclude-name", "exclude-two",
        "exclude-path", "include-exclude"])
def test_name_filters(tree, args, expected):
    name_tree(tree)
    r = dupfind(*args, roots=[tree.root])
    assert r.rc == (1 if expected else 0), r
    assert rel_groups(text_groups(r), tree.root) == expected, r


def test_one_file_system(tree, tmpfs):
    tree.file("a", data=A)
    tree.file("b", data=A)
    Tree(tmpfs).file("c", data=A)
    Tree(tmpfs).file("d", data=SMALL)
    tree.file("e", data=SMALL)
    r = dupfind(roots=[tree.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), tree.root) == [["a", "b", "mnt/c"], ["e", "mnt/d"]], r
    for opt in ("-x", "--one-file-system"):
        r = dupfind(opt, roots=[tree.root])
        assert r.rc == 1, r
        assert rel_groups(text_groups(r), tree.root) == [["a", "b"]], r


@pytest.mark.parametrize("depth,expected", [
    ("0", []), ("1", [["a", "b"]]), ("2", [["a", "b", "x/c"]]), ("3", [["a", "b", "x/c", "x/y/d"]]),
    ("100", [["a", "b", "x/c", "x/y/d"]])])
def test_max_depth(tree, depth, expected):
    tree.file("a", data=A)
    tree.file("b", data=A)
    tree.file("x/c", data=A)
    tree.file("x/y/d", data=A)
    r = dupfind("--max-depth", depth, roots=[tree.root])
    assert r.rc == (1 if expected else 0), r
    assert rel_groups(text_groups(r), tree.root) == expected, r


@pytest.mark.parametrize("args", [["--max-depth", "-1"], ["--max-depth", "x"], ["-j", "0"], ["--threads", "many"]])
def test_bad_numbers(tree, args):
    tree.file("a", data=A)
    r = dupfind(*args, roots=[tree.root])
    assert (r.rc, r.out) == (2, b""), r
    assert r.err.startswith("dupfind: "), r


@pytest.mark.parametrize("threads", ["1", "3"])
def test_threads_same_result(tree, threads):
    mixed_tree(tree)
    r = dupfind("-j", threads, roots=[tree.root])
    assert r.rc == 1, r
    assert rel_groups(text_groups(r), tree.root) == EXPECTED, r


# --- exit status ------------------------------------------------------------------------

def test_exit_0_nothing_found(tree):
    tree.file("a", data=A)
    tree.file("b", data=SMALL)
    tree.file("c", data=LAST)
    r = dupfind(roots=[tree.root])
    assert (r.rc, r.out, r.err) == (0, b"", ""), r


def test_exit_1_found(tree):
    tree.file("a", data=SMALL)
    tree.file("b", data=SMALL)
    r = dupfind(roots=[tree.root])
    assert (r.rc, r.err) == (1, ""), r


def test_exit_2_missing_root_still_prints(tree, tmp_path):
    tree.file("a", data=SMALL)
    tree.file("b", data=SMALL)
    missing = tmp_path / "missing"
    r = dupfind(roots=[missing, tree.root])
    assert r.rc == 2, r
    assert rel_groups(text_groups(r), tree.root) == [["a", "b"]], r
    assert r.err_lines() == [f"dupfind: {missing}: No such file or directory"], r


def test_exit_2_no_path():
    r = dupfind()
    assert (r.rc, r.out) == (2, b""), r
    assert r.err.startswith("dupfind: "), r


# --- actions: dry run -------------------------------------------------------------------

def action_tree(t: Tree) -> None:
    t.file("a", data=A)
    t.file("b", data=A)
    t.file("sub/c", data=A)
    t.file("sub/d", data=A)
    os.link(t.path("sub/d"), t.path("sub/d.link"))  # a copy with two names: both are acted on
    t.file("s1", data=SMALL)
    t.file("s2", 0o600, SMALL)
    t.file("unique", data=b"u")
    t.symlink("link", "a")


def expected_commands(kind: str, root: Path) -> list:
    abs_a, abs_s1 = f"{root}/a", f"{root}/s1"
    cmd = {"delete": lambda keep, target, p: f"rm {p}",
           "hardlink": lambda keep, target, p: f"ln -f {keep} {p}",
           "symlink": lambda keep, target, p: f"ln -sf {target} {p}",
           "reflink": lambda keep, target, p: f"cp --reflink=always {keep} {p}"}[kind]
    return [cmd("./a", abs_a, p) for p in ("./b", "./sub/c", "./sub/d", "./sub/d.link")] + \
        [cmd("./s1", abs_s1, "./s2")]


ACTIONS = ["delete", "hardlink", "symlink", "reflink"]


@pytest.mark.parametrize("kind", ACTIONS)
def test_action_dry_run(tree, kind):
    action_tree(tree)
    before = snapshot(tree.root)
    r = dupfind(f"--{kind}", ".", cwd=tree.root)
    assert r.rc == 1, r
    assert r.err == "", r
    assert r.lines() == expected_commands(kind, tree.root.resolve()), r
    assert snapshot(tree.root) == before


@pytest.mark.parametrize("kind", ACTIONS)
def test_action_dry_run_json(tree, kind):
    action_tree(tree)
    before = snapshot(tree.root)
    r = dupfind(f"--{kind}", "--format", "json", ".", cwd=tree.root)
    assert r.rc == 1, r
    objs = r.json_lines()
    assert [o["command"] for o in objs] == expected_commands(kind, tree.root.resolve()), r
    assert all(o["applied"] is False for o in objs), r
    assert [(o["path"], o["keep"]) for o in objs] == [("./b", "./a"), ("./sub/c", "./a"), ("./sub/d", "./a"),
                                                      ("./sub/d.link", "./a"), ("./s2", "./s1")], r
    assert snapshot(tree.root) == before


# --- actions: --apply -------------------------------------------------------------------

COPIES = ["b", "sub/c", "sub/d", "sub/d.link"]


def assert_untouched(tree, before, names):
    after = snapshot(tree.root)
    for n in names:
        assert after[n] == before[n], n


def test_apply_delete(tree):
    action_tree(tree)
    before = snapshot(tree.root)
    r = dupfind("--delete", "--apply", ".", cwd=tree.root)
    assert r.rc == 1, r
    assert r.err == "", r
    assert r.lines() == expected_commands("delete", tree.root), r
    after = snapshot(tree.root)
    assert sorted(after) == ["a", "link", "s1", "sub", "unique"], after
    assert_untouched(tree, before, ["a", "s1", "unique", "link"])
    assert leftovers(tree.root) == []
    assert dupfind(roots=[tree.root]).rc == 0


def test_apply_hardlink(tree):
    action_tree(tree)
    before = snapshot(tree.root)
    r = dupfind("--hardlink", "--apply", "--format", "json", ".", cwd=tree.root)
    assert r.rc == 1, r
    assert r.err == "", r
    assert all(o["applied"] is True for o in r.json_lines()), r
    kept = os.lstat(tree.path("a"))
    for n in COPIES:
        st = os.lstat(tree.path(n))
        assert (st.st_dev, st.st_ino) == (kept.st_dev, kept.st_ino), n
        assert tree.path(n).read_bytes() == A
    assert os.lstat(tree.path("a")).st_nlink == 5
    assert os.lstat(tree.path("s2")).st_ino == os.lstat(tree.path("s1")).st_ino
    assert_untouched(tree, before, ["unique", "link"])
    assert tree.path("a").read_bytes() == A
    assert leftovers(tree.root) == []
    r = dupfind(roots=[tree.root])
    assert (r.rc, r.out) == (0, b""), r


def test_apply_symlink(tree):
    action_tree(tree)
    before = snapshot(tree.root)
    r = dupfind("--symlink", "--apply", ".", cwd=tree.root)
    assert r.rc == 1, r
    assert r.err == "", r
    target = f"{tree.root.resolve()}/a"
    for n in COPIES:
        assert os.readlink(tree.path(n)) == target, n
        assert tree.path(n).read_bytes() == A
    assert os.readlink(tree.path("s2")) == f"{tree.root.resolve()}/s1"
    assert_untouched(tree, before, ["a", "s1", "unique", "link"])
    assert leftovers(tree.root) == []
    r = dupfind(roots=[tree.root])
    assert (r.rc, r.out) == (0, b""), r


def exchange(a: Path, b: Path) -> None:
    """renameat2(RENAME_EXCHANGE): a and b swap places in one step."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a))


def test_apply_symlink_with_a_path_component_swapped_during_the_run(tmp_path):
    """The issue's race, made to happen: while dupfind --symlink --apply runs on base/mid/tree,
    base/mid is swapped again and again with a symbolic link to a directory whose tree/
    holds hard links to the same files (so every identity check passes on either side).
    Each run, every link made must point into the directory it was made in: the tree held
    since the start, never the other one.  Before the fix, the target came from realpath at
    start and the directory from the path at action time, and most runs mixed them."""
    base, victim = tmp_path / "base", tmp_path / "victim"
    n, runs, made, bad = 20, 0, 0, []
    deadline = time.monotonic() + 8
    while runs < 15 and time.monotonic() < deadline:
        runs += 1
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(victim, ignore_errors=True)
        tree = base / "mid" / "tree"
        tree.mkdir(parents=True)
        (victim / "tree").mkdir(parents=True)
        for i in range(n):
            for name in (f"a{i:02}", f"b{i:02}"):
                (tree / name).write_bytes(b"content %d\n" % i)
                os.link(tree / name, victim / "tree" / name)
        os.symlink(victim, base / "swap")
        stop = threading.Event()

        def swap():
            while not stop.is_set():
                exchange(base / "mid", base / "swap")

        flipper = threading.Thread(target=swap)
        flipper.start()
        try:
            r = dupfind("--symlink", "--apply", "-q", roots=[tree])
        finally:
            stop.set()
            flipper.join()
        if (base / "mid").is_symlink():
            exchange(base / "mid", base / "swap")
        assert r.rc in (0, 1, 2), r
        for d in (tree, victim / "tree"):
            for name in os.listdir(d):
                if (d / name).is_symlink():
                    made += 1
                    target = os.readlink(d / name)
                    if os.path.dirname(target) != os.path.realpath(d):
                        bad.append(f"run {runs}: {d / name} -> {target}")
                    assert (d / name).read_bytes() == b"content %d\n" % int(name[1:]), d / name
    assert not bad, f"{len(bad)} of {made} links point out of the directory they are in, in {runs} runs: {bad[:5]}"
    assert made > 0, f"no link made in {runs} runs: the test shows nothing"


def test_apply_reflink_unsupported(tree):
    """ext4 (tmp_path here) cannot share extents: a clear message, exit 2, nothing changed."""
    action_tree(tree)
    fs_type = subprocess.run(["stat", "-f", "-c", "%T", str(tree.root)], capture_output=True, text=True).stdout
    if "btrfs" in fs_type or "xfs" in fs_type:
        pytest.skip(f"tmp_path is on {fs_type.strip()}, which can share extents")
    before = snapshot(tree.root, dir_mtimes=False)
    r = dupfind("--reflink", "--apply", ".", cwd=tree.root)
    assert r.rc == 2, r
    assert r.out == b"", r
    err = r.err_lines()
    assert len(err) == 5, r
    for line, path in zip(err, ["./b", "./sub/c", "./sub/d", "./sub/d.link", "./s2"]):
        assert line.startswith(f"dupfind: {path}: reflink: "), r
        assert "cannot share extents" in line, r
    assert snapshot(tree.root, dir_mtimes=False) == before
    assert leftovers(tree.root) == []


def test_apply_reflink_tmpfs(tree, tmpfs):
    t = Tree(tmpfs)
    t.file("a", data=A)
    t.file("b", data=A)
    before = snapshot(tmpfs, dir_mtimes=False)
    r = dupfind("--reflink", "--apply", roots=[tmpfs])
    assert r.rc == 2, r
    assert r.out == b"", r
    err = r.err_lines()
    assert len(err) == 1 and err[0].startswith(f"dupfind: {tmpfs}/b: reflink: the file system cannot share "
                                               "extents here ("), r
    assert snapshot(tmpfs, dir_mtimes=False) == before
    assert leftovers(tmpfs) == []


@pytest.fixture
def btrfs(tmp_path):
    if shutil.which("mkfs.btrfs") is None:
        pytest.skip("mkfs.btrfs (btrfs-progs) is not installed")
    img, mnt = tmp_path / "btrfs.img", tmp_path / "btrfs"
    with open(img, "wb") as f:
        f.truncate(300 << 20)
    mnt.mkdir()
    p = subprocess.run(["mkfs.btrfs", "-q", str(img)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"mkfs.btrfs failed: {p.stderr.strip()}")
    p = subprocess.run(["mount", "-o", "loop", str(img), str(mnt)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a btrfs image here: {p.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def shared_extents(path: Path) -> bool:
    p = subprocess.run(["filefrag", "-v", str(path)], capture_output=True, text=True)
    return p.returncode == 0 and "shared" in p.stdout


def test_apply_reflink_btrfs(btrfs):
    t = Tree(btrfs / "tree")
    big = blob(1 << 20, 7)
    t.file("a", data=big)
    t.file("b", 0o600, big)
    t.file("sub/c", data=big)
    t.file("other", data=blob(1 << 20, 8))
    os.sync()  # real extents, not delayed allocation, for filefrag
    ino_b = os.lstat(t.path("b")).st_ino
    r = dupfind("--reflink", "--apply", roots=[t.root])
    assert r.rc == 1, r
    assert r.err == "", r
    assert r.lines() == [f"cp --reflink=always {t.root}/a {t.root}/b", f"cp --reflink=always {t.root}/a {t.root}/sub/c"]
    for n in ("a", "b", "sub/c"):
        assert t.path(n).read_bytes() == big, n
    # Each copy is a file of its own (not a link) that shares the kept file's extents,
    # with the copy's mode.
    assert os.lstat(t.path("b")).st_ino != os.lstat(t.path("a")).st_ino
    assert os.lstat(t.path("b")).st_ino != ino_b
    assert stat.S_IMODE(os.lstat(t.path("b")).st_mode) == 0o600
    assert os.lstat(t.path("a")).st_nlink == 1
    os.sync()
    if shutil.which("filefrag"):
        assert shared_extents(t.path("b")) and shared_extents(t.path("sub/c")), \
            subprocess.run(["filefrag", "-v", str(t.path("b"))], capture_output=True, text=True).stdout
    assert leftovers(t.root) == []
    # Still duplicates by content: dupfind finds them again.
    assert rel_groups(text_groups(dupfind(roots=[t.root])), t.root) == [["a", "b", "sub/c"]]


def test_apply_without_action(tree):
    action_tree(tree)
    before = snapshot(tree.root)
    r = dupfind("--apply", roots=[tree.root])
    assert (r.rc, r.out) == (2, b""), r
    assert r.err_lines()[0].startswith("dupfind: --apply: "), r
    assert snapshot(tree.root) == before


@pytest.mark.parametrize("pair", [("--delete", "--hardlink"), ("--hardlink", "--symlink"),
                                  ("--symlink", "--reflink"), ("--delete", "--reflink")])
def test_two_actions(tree, pair):
    action_tree(tree)
    before = snapshot(tree.root)
    for args in (pair, (*pair, "--apply")):
        r = dupfind(*args, roots=[tree.root])
        assert (r.rc, r.out) == (2, b""), r
        assert r.err.startswith("dupfind: "), r
    assert snapshot(tree.root) == before


@pytest.mark.parametrize("other", ["--summary", "-0"])
def test_action_with_summary_or_null(tree, other):
    action_tree(tree)
    before = snapshot(tree.root)
    r = dupfind("--delete", "--apply", other, roots=[tree.root])
    assert (r.rc, r.out) == (2, b""), r
    assert snapshot(tree.root) == before


def test_apply_roots_are_files(tree):
    tree.file("a", data=A)
    tree.file("b", data=A)
    r = dupfind("--delete", "--apply", "a", "b", cwd=tree.root)
    assert r.rc == 1, r
    assert r.lines() == ["rm b"], r
    assert sorted(os.listdir(tree.root)) == ["a"]


def test_apply_odd_names(tree):
    odd_tree(tree)
    r = dupfind("--hardlink", "--apply", roots=[tree.root])
    assert r.rc == 1, r
    assert r.err == "", r
    inos = {os.lstat(tree.path(n)).st_ino for n in ODD}
    assert len(inos) == 1
    assert all(tree.path(n).read_bytes() == SMALL for n in ODD)
    assert leftovers(tree.root) == []


def test_apply_unwritable_directory(tree, as_nobody):
    tree.file("a", data=A)
    tree.file("ro/b", data=A)
    tree.file("rw/c", data=A)
    for dp, dns, fns in os.walk(tree.root):
        for n in [dp] + [os.path.join(dp, f) for f in fns]:
            os.chown(n, NOBODY, NOBODY)
    os.chmod(tree.path("ro"), 0o555)
    r = dupfind("--delete", "--apply", ".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    assert r.lines() == ["rm ./rw/c"], r
    assert r.err_lines() == ["dupfind: ./ro/b: Permission denied"], r
    assert tree.path("ro/b").read_bytes() == A
    assert not os.path.lexists(tree.path("rw/c"))
    assert leftovers(tree.root) == []


# --- the less common paths through the finder ------------------------------------------

def test_many_files_of_one_size(tree):
    """More files of one size than the finder keeps open at once (64), all with the same
    4 KiB prefix: each is opened again for its full hash."""
    prefix = blob(4096, 11)
    for i in range(40):
        tail = blob(2000, 1000 + i)
        tree.file(f"d{i % 4}/x{i:02}", data=prefix + tail)
        tree.file(f"e{i % 3}/y{i:02}", data=prefix + tail)
    tree.file("lonely", data=prefix + blob(2000, 999))
    r = dupfind("--format", "json", roots=[tree.root])
    assert r.rc == 1, r
    assert r.err == "", r
    groups = rel_groups([o["paths"] for o in r.json_lines()], tree.root)
    assert as_sets(groups) == {frozenset({f"d{i % 4}/x{i:02}", f"e{i % 3}/y{i:02}"}) for i in range(40)}, r


def test_deep_tree_beyond_path_max(tree):
    fd, deep = make_deep(tree.root, 110)
    try:
        assert len(deep) > 4096
        for name, data in (("x", A), ("y", A), ("s1", SMALL), ("s2", SMALL)):
            f = os.open(name, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd)
            os.write(f, data)
            os.close(f)
        tree.file("top", data=A)
        r = dupfind("-0", "--verify", roots=[tree.root])
        assert (r.rc, r.err) == (1, ""), r
        root = os.fsencode(tree.root)
        assert null_groups(r) == [[deep + b"/s1", deep + b"/s2"], [deep + b"/x", deep + b"/y", root + b"/top"]], r
        r = dupfind("--hardlink", "--apply", roots=[tree.root])
        assert (r.rc, r.err) == (1, ""), r
        ino = os.stat("x", dir_fd=fd).st_ino
        assert os.stat("y", dir_fd=fd).st_ino == ino and os.lstat(tree.path("top")).st_ino == ino
        assert os.stat("s2", dir_fd=fd).st_ino == os.stat("s1", dir_fd=fd).st_ino
    finally:
        os.close(fd)


def test_path_inside_another_path(tree):
    """A PATH inside another reaches the same names twice: they are one name of one file,
    acted on once."""
    tree.file("a", data=A)
    tree.file("sub/b", data=A)
    r = dupfind("--hardlink", "--apply", ".", "sub", cwd=tree.root)
    assert (r.rc, r.err) == (1, ""), r
    assert os.lstat(tree.path("sub/b")).st_ino == os.lstat(tree.path("a")).st_ino


# The hash cache (--cache): each test keeps its own under tmp_path through XDG_CACHE_HOME.

def cache_env(tmp_path) -> dict:
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg")}


def cache_file(tmp_path) -> Path:
    return tmp_path / "xdg" / "syskit" / "dupfind.cache"


def cache_records(tmp_path) -> int:
    """The record count in the cache file's header."""
    data = cache_file(tmp_path).read_bytes()
    assert data[:8] == b"SYSKDUPC", data[:16]
    return int.from_bytes(data[16:24], "little")


def files_read(tmp_path, *args) -> list:
    """dupfind ARGS run under strace: the paths it opened for reading that are not
    directories (a name relative to a directory descriptor, as the walk opens a small file,
    counts as one), and the run's exit status."""
    log = tmp_path / "strace.log"
    # LeakSanitizer cannot run under ptrace: the sanitizer build checks the rest.
    asan = tool_env()["ASAN_OPTIONS"].replace("detect_leaks=1", "detect_leaks=0")
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", str(log), str(tool_path("dupfind")),
                        *args], env=tool_env({**cache_env(tmp_path), "ASAN_OPTIONS": asan}),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    opened = [line for line in log.read_text().splitlines()
              if "O_DIRECTORY" not in line and "O_PATH" not in line and "= -1" not in line
              and (f'"{tmp_path}/t' in line or re.search(r'openat\(\d+, "[^/"]', line))]
    return p.returncode, opened


def rewrite_keeping_mtime(path: Path, data: bytes, replace: bool = False):
    """Gives path new bytes of the same length and its old mtime back: in place, or through a
    new file renamed over it."""
    st = path.stat()
    assert len(data) == st.st_size
    if replace:
        tmp = path.with_name(path.name + ".new")
        tmp.write_bytes(data)
        os.rename(tmp, path)
    else:
        with open(path, "r+b") as f:
            f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns


def test_cache_second_run_reads_no_file(tree, tmp_path):
    tree.file("a1", data=A)
    tree.file("a2", data=A)
    tree.file("s1", data=SMALL)
    tree.file("s2", data=SMALL)
    tree.file("odd", data=blob(5000, 9))
    r = dupfind("--cache", roots=[tree.root], env=cache_env(tmp_path))
    assert (r.rc, r.err) == (1, ""), r
    first = text_groups(r)
    assert first == [[str(tree.path("a1")), str(tree.path("a2"))], [str(tree.path("s1")), str(tree.path("s2"))]], r
    assert cache_records(tmp_path) == 5
    assert oct(cache_file(tmp_path).parent.stat().st_mode & 0o777) == "0o700"
    rc, opened = files_read(tmp_path, "--cache", "--", tree.root)
    assert rc == 1 and opened == [], opened
    # Without --cache (or with --no-cache after it) every candidate is read again.
    rc, opened = files_read(tmp_path, "--cache", "--no-cache", "--", tree.root)
    assert rc == 1 and len({line.split('"')[1] for line in opened}) == 5, opened
    r = dupfind("--cache", roots=[tree.root], env=cache_env(tmp_path))
    assert (r.rc, r.err, text_groups(r)) == (1, "", first), r


@pytest.mark.parametrize("how", ["in place", "rename", "truncate"])
def test_cache_sees_a_change_that_keeps_size_and_mtime(tree, tmp_path, how):
    """The key holds the inode and ctime: a file rewritten with its mtime put back, replaced
    by rename, or truncated and refilled, is hashed again."""
    tree.file("a1", data=A)
    tree.file("a2", data=A)
    tree.file("s1", data=SMALL)
    tree.file("s2", data=SMALL)
    env = cache_env(tmp_path)
    r = dupfind("--cache", roots=[tree.root], env=env)
    assert len(text_groups(r)) == 2, r
    other, small = A[:-1] + bytes([A[-1] ^ 1]), SMALL[:-1] + b"!"
    for name, data in (("a2", other), ("s2", small)):
        path = Path(tree.path(name))
        if how == "truncate":
            st = path.stat()
            os.truncate(path, 0)
            with open(path, "r+b") as f:
                f.write(data)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        else:
            rewrite_keeping_mtime(path, data, replace=how == "rename")
    r = dupfind("--cache", roots=[tree.root], env=env)
    assert (r.rc, r.out, r.err) == (0, b"", ""), r
    # And back: equal again, found equal.
    for name, data in (("a2", A), ("s2", SMALL)):
        rewrite_keeping_mtime(Path(tree.path(name)), data)
    r = dupfind("--cache", roots=[tree.root], env=env)
    assert len(text_groups(r)) == 2, r


def test_cache_shared_by_concurrent_runs(tmp_path):
    """Runs at once over different trees each add their records: none is lost to another's
    rename."""
    roots = []
    for i in range(6):
        t = Tree(tmp_path / f"t{i}")
        for j in range(4):
            t.file(f"f{j}", data=blob(5000, 100 + i))
        roots.append(t.root)
    env = tool_env(cache_env(tmp_path))
    procs = [subprocess.Popen([str(tool_path("dupfind")), "--cache", "--", root], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for root in roots]
    for p in procs:
        assert p.wait(timeout=TIMEOUT) == 1 and p.stderr.read() == b""
        p.stderr.close()
    assert cache_records(tmp_path) == 24
    rc, opened = files_read(tmp_path, "--cache", "--", *roots)
    assert rc == 1 and opened == [], opened


def test_cache_of_random_bytes_is_ignored_with_a_warning(tree, tmp_path):
    tree.file("a1", data=A)
    tree.file("a2", data=A)
    cache_file(tmp_path).parent.mkdir(parents=True)
    cache_file(tmp_path).write_bytes(random.Random(5).randbytes(70000))
    r = dupfind("--cache", roots=[tree.root], env=cache_env(tmp_path))
    assert r.rc == 1 and text_groups(r) == [[str(tree.path("a1")), str(tree.path("a2"))]], r
    assert r.err == (f"dupfind: {cache_file(tmp_path)}: ignoring the cache: not a dupfind cache file; "
                     "it will be rewritten\n"), r
    assert cache_records(tmp_path) == 2
    # -q keeps the warning to itself; the run is the same.
    cache_file(tmp_path).write_bytes(b"SYSKDUPC" + bytes(40))
    r = dupfind("-q", "--cache", roots=[tree.root], env=cache_env(tmp_path))
    assert (r.rc, r.err) == (1, ""), r
    assert cache_records(tmp_path) == 2


def test_cache_apply_compares_bytes_whatever_the_cache_says(tree, tmp_path):
    """--apply never trusts a hash alone: the kept file and each copy are compared byte by
    byte before anything is replaced, cache or not."""
    tree.file("a1", data=A)
    tree.file("a2", data=A)
    env = cache_env(tmp_path)
    assert dupfind("--cache", roots=[tree.root], env=env).rc == 1
    rc, opened = files_read(tmp_path, "--cache", "--hardlink", "--apply", "--", tree.root)
    assert rc == 1
    assert sorted({line.split('"')[1] for line in opened}) == [str(tree.path("a1")), str(tree.path("a2"))], opened
    assert os.lstat(str(tree.path("a1"))).st_ino == os.lstat(str(tree.path("a2"))).st_ino


def test_cache_clear(tree, tmp_path):
    tree.file("a1", data=A)
    tree.file("a2", data=A)
    env = cache_env(tmp_path)
    assert dupfind("--cache", roots=[tree.root], env=env).rc == 1
    assert cache_file(tmp_path).exists()
    r = dupfind("--cache-clear", env=env)
    assert (r.rc, r.out, r.err) == (0, b"", ""), r
    assert not cache_file(tmp_path).exists()
    r = dupfind("--cache-clear", env=env)  # nothing to clear
    assert (r.rc, r.err) == (0, ""), r
    # With a PATH: cleared, then the run, which without --cache writes none.
    r = dupfind("--cache-clear", roots=[tree.root], env=env)
    assert (r.rc, len(text_groups(r))) == (1, 1), r
    assert not cache_file(tmp_path).exists()
    r = dupfind(env=env)
    assert r.rc == 2 and r.err.startswith("dupfind: PATH: at least one tree to search is required\n"), r


def test_recursive_flag_and_color(tree):
    """-r as jdupes and fdupes take it (dupfind always recurses); --color=always shows the
    kept file of each group in bold, NO_COLOR and --color=never do not."""
    tree.file("a1", data=A)
    tree.file("sub/a2", data=A)
    plain = dupfind(roots=[tree.root])
    assert dupfind("-r", roots=[tree.root]).out == plain.out
    r = dupfind("--color=always", roots=[tree.root])
    assert r.out == f"\033[1m{str(tree.path('a1'))}\033[0m\n{str(tree.path('sub/a2'))}\n\n".encode(), r
    assert dupfind("--color=never", roots=[tree.root]).out == plain.out
    assert dupfind("--color=auto", roots=[tree.root], env={"NO_COLOR": "1"}).out == plain.out


def not_cached(path: Path) -> bool:
    """Whether the first page of path is out of the page cache (mincore of a mapping: a read,
    even one with RWF_NOWAIT, would start reading it in)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, 1, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
        assert addr not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        vec = ctypes.c_ubyte()
        rc = libc.mincore(addr, 1, ctypes.byref(vec))
        libc.munmap(addr, 1)
        assert rc == 0, os.strerror(ctypes.get_errno())
        return not vec.value & 1
    finally:
        os.close(fd)


def drop_from_cache(paths: list) -> None:
    """Writes the files out and drops their pages from the page cache."""
    os.sync()
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)


@pytest.mark.parametrize("uring", [True, False], ids=["io_uring", "no-io_uring"])
def test_cold_cache_walk_stops_reading(tree, tmp_path, uring):
    """Small files out of the page cache: the walk gives up reading them after a few tries
    (RWF_NOWAIT), the passes start their read-ahead a batch at a time with io_uring (or, where
    io_uring_setup fails, file by file with POSIX_FADV_WILLNEED), drop what they brought in,
    and the groups are the same."""
    paths = []
    for i in range(60):
        for copy in "ab":
            paths.append(tree.file(f"d{i % 6}/{copy}{i}", data=blob(100 + i, i)))
    paths += [tree.file("big1", data=A), tree.file("big2", data=A)]
    drop_from_cache(paths)
    if sum(not_cached(p) for p in paths) < len(paths) - 4:
        pytest.skip("this file system keeps its files in the page cache (tmpfs?)")
    log = tmp_path / "strace.log"
    asan = tool_env()["ASAN_OPTIONS"].replace("detect_leaks=1", "detect_leaks=0")
    inject = [] if uring else ["-e", "inject=io_uring_setup:error=ENOSYS"]
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=preadv2,fadvise64,io_uring_setup,io_uring_enter", *inject,
                        "-o", str(log), str(tool_path("dupfind")), "--", str(tree.root)],
                       env=tool_env({"ASAN_OPTIONS": asan}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    assert (p.returncode, p.stderr) == (1, b""), p
    groups = [g.split(b"\n") for g in p.stdout[:-2].split(b"\n\n")]
    assert len(groups) == 61, p.stdout
    lines = log.read_text().splitlines()
    # The walk reads a whole small file (its size and one byte more); the passes' probe, one byte.
    walk_misses = [line for line in lines if "RWF_NOWAIT" in line and "iov_len=1}" not in line and "EAGAIN" in line]
    assert 32 <= len(walk_misses) <= 40, walk_misses
    started = [line for line in lines if line.split(None, 1)[1].startswith("io_uring_enter(")]
    advised = [line for line in lines if "POSIX_FADV_WILLNEED" in line]
    if uring and any("io_uring_setup(" in line and "= -1" not in line for line in lines):
        assert started, lines
    elif not uring:
        assert advised and not started, lines
    # What was not cached is dropped again once hashed.
    assert any("POSIX_FADV_DONTNEED" in line for line in lines), lines


@pytest.mark.parametrize("uring", [True, False], ids=["io_uring", "no-io_uring"])
def test_cold_prefix_reads_read_the_prefix_only(tree, uring):
    """Larger files out of the page cache, equal in size and not in their first 4 KiB: the
    first pass reads their prefixes and nothing after them, where the kernel's read-ahead
    took 16 KiB of each (the process's block input, getrusage's ru_inblock, in 512-byte
    units)."""
    paths = [tree.file(f"{copy}{i}", data=bytes([i, ord(copy)]) * 32768) for i in range(40) for copy in "ab"]
    drop_from_cache(paths)
    if sum(not_cached(p) for p in paths) < len(paths):
        pytest.skip("this file system keeps its files in the page cache (tmpfs?)")
    inject = [] if uring else ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "inject=io_uring_setup:error=ENOSYS"]
    asan = tool_env()["ASAN_OPTIONS"].replace("detect_leaks=1", "detect_leaks=0")
    with open(tree.root.parent / "out", "w+b") as out:
        proc = subprocess.Popen([*inject, str(tool_path("dupfind")), "--", str(tree.root)],
                                env=tool_env({"ASAN_OPTIONS": asan}), stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # the usage of what it ran too (strace's dupfind)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        assert (proc.returncode, out.read()) == (0, b"")
    # Each prefix from the disk, and not twice as much (4 times as much before).
    assert len(paths) * 4096 <= usage.ru_inblock * 512 < 2 * len(paths) * 4096
