"""End-to-end tests of dirsize: the built binary against trees each test makes in tmp_path,
compared with GNU du(1) run on the same trees (the issue's contract: totals byte-identical to
`du -s` and `du -sb`), and with sizes computed here from lstat where du cannot say."""
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import NOBODY, Tree, bind_mounted, can_run_as_nobody, mounted_tmpfs, run_tool, tool_env, tool_path

DU = shutil.which("du") or "/usr/bin/du"


def dirsize(*args, **kw):
    return run_tool("dirsize", *args, **kw)


def du(*args, cwd=None, user=None) -> subprocess.CompletedProcess:
    """GNU du with args, stdout as bytes, in the C locale."""
    argv = [DU, *[a if isinstance(a, bytes) else os.fspath(a) for a in args]]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"] + argv
    return subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env(), timeout=60)


def du_out(*args, **kw) -> bytes:
    p = du(*args, **kw)
    assert p.returncode == 0, f"du {args} exited {p.returncode}: {p.stderr!r}"
    return p.stdout


def line_set(out: bytes, sep: bytes = b"\n") -> set:
    assert out == b"" or out.endswith(sep), out[-80:]
    return set(out[:-1].split(sep)) if out else set()


def size_of(out: bytes, path) -> int:
    """The size on the line of path in SIZE<TAB>PATH output."""
    path = os.fsencode(path)
    for line in out.splitlines():
        size, _, p = line.partition(b"\t")
        if p == path:
            return int(size)
    raise AssertionError(f"{path!r} not in {out!r}")


def write(t: Tree, rel, n: int, mode: int = 0o644) -> Path:
    """A file of n bytes of (non-zero) data, so that it takes blocks on disk."""
    return t.file(rel, mode, (b"syskit-dirsize\n" * (n // 15 + 1))[:n])


def sparse(t: Tree, rel, size: int, data_at: int = 0) -> Path:
    p = t.path(rel)
    t._parents(p)
    with open(p, "wb") as f:
        f.seek(data_at)
        f.write(b"x")
        f.truncate(size)
    return p


def sample_tree(t: Tree) -> None:
    """Files of sizes around block boundaries, nested and empty directories, a symlink,
    an empty file, and a sparse file."""
    for n in (0, 1, 511, 512, 4095, 4096, 4097, 12345, 100_000):
        write(t, f"sizes/f{n}", n)
    write(t, "a/b/c/deep", 70_000)
    write(t, "a/b/mid", 9_000)
    write(t, "a/top", 300)
    write(t, "a-b/x", 5_000)
    write(t, "ab/y", 2_000)
    t.dir("empty")
    t.dir("a/b/c/empty2")
    t.symlink("a/link", "../sizes/f4096")
    t.symlink("dangling", "no/such/file")
    sparse(t, "holes/sparse", 3 * 1024 * 1024, data_at=1024 * 1024)


def all_dirs(root: Path) -> list:
    out = [root]
    for dp, dns, _ in os.walk(root):
        out += [Path(dp) / n for n in dns if not os.path.islink(os.path.join(dp, n))]
    return out


def world_readable(root: Path) -> None:
    """Directories 0755, files 0644 below root, so uid 65534 can read all of it."""
    for dp, dns, fns in os.walk(root):
        os.chmod(dp, 0o755)
        for n in fns:
            p = os.path.join(dp, n)
            if not os.path.islink(p):
                os.chmod(p, 0o644)


# --- totals against du -s and du -sb ----------------------------------------------------

@pytest.mark.parametrize("opts,du_opts", [([], ["-s"]), (["-b"], ["-sb"]), (["--apparent"], ["-sb"])],
                         ids=["blocks", "apparent", "apparent-long"])
def test_total_matches_du(tree, opts, du_opts):
    sample_tree(tree)
    r = dirsize(*opts, tree.root)
    assert r.rc == 0, r
    assert r.err == "", r
    assert r.out == du_out(*du_opts, tree.root), r


@pytest.mark.parametrize("opts,du_opts", [([], ["-s"]), (["-b"], ["-sb"])], ids=["blocks", "apparent"])
def test_several_operands_match_du(tree, opts, du_opts):
    sample_tree(tree)
    ops = [tree.path("sizes"), tree.path("a"), tree.path("empty"), tree.path("sizes/f100000"), tree.path("ab")]
    r = dirsize(*opts, *ops)
    assert r.rc == 0, r
    assert r.out == du_out(*du_opts, *ops), r
    assert len(r.lines()) == 4, r  # sizes/f100000 is in sizes: counted, and printed, once


def test_default_path_is_dot(tree):
    sample_tree(tree)
    r = dirsize(cwd=tree.root)
    assert r.rc == 0, r
    assert r.out == du_out("-s", cwd=tree.root), r
    assert r.out.endswith(b"\t.\n"), r


def test_apparent_sizes_are_exact(tree):
    """-b against sizes computed here: the directories' st_size plus the files' and links'."""
    write(tree, "d/one", 1000)
    write(tree, "d/two", 234)
    tree.symlink("d/ln", "one")  # a symlink's size: its target's length, 3
    want = sum(os.lstat(p).st_size for p in (tree.root, tree.path("d"))) + 1000 + 234 + 3
    r = dirsize("-b", tree.root)
    assert r.rc == 0, r
    assert r.out == f"{want}\t{tree.root}\n".encode(), r


def test_root_is_a_file(tree):
    f = write(tree, "f", 10_000)
    for opts, du_opts in (([], ["-s"]), (["-b"], ["-sb"])):
        r = dirsize(*opts, f)
        assert r.rc == 0, r
        assert r.out == du_out(*du_opts, f), r


def test_symlink_root_is_not_followed(tree):
    write(tree, "real/big", 50_000)
    link = tree.symlink("link", "real")
    r = dirsize("-b", link)
    assert r.rc == 0, r
    assert r.out == du_out("-sb", link), r
    assert r.out == f"{len('real')}\t{link}\n".encode(), r


@pytest.mark.parametrize("threads", ["1", "2", "7"])
def test_threads_do_not_change_totals(tree, threads):
    sample_tree(tree)
    for i in range(30):
        write(tree, f"wide/d{i}/f", 1000 * i)
    os.link(tree.path("wide/d3/f"), tree.path("wide/d3/g"))  # in one directory: du's split is the same
    r = dirsize("-j", threads, "--depth", "2", tree.root)
    assert r.rc == 0, r
    assert line_set(r.out) == line_set(du_out("--max-depth", "2", tree.root)), r


# --- --depth ------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", ["0", "1", "2", "3", "10"])
@pytest.mark.parametrize("opts,du_opts", [([], []), (["-b"], ["-b"])], ids=["blocks", "apparent"])
def test_depth_matches_du_max_depth(tree, depth, opts, du_opts):
    sample_tree(tree)
    r = dirsize(*opts, "--depth", depth, tree.root)
    assert r.rc == 0, r
    assert r.err == "", r
    want = du_out(*du_opts, "--max-depth", depth, tree.root)
    assert line_set(r.out) == line_set(want), r
    assert len(r.lines()) == len(want.splitlines()), r


@pytest.mark.parametrize("form", [["-d", "1"], ["-d1"], ["--depth=1"]])
def test_depth_option_forms(tree, form):
    sample_tree(tree)
    r = dirsize(*form, tree.root)
    assert r.rc == 0, r
    assert line_set(r.out) == line_set(du_out("--max-depth=1", tree.root)), r


def test_depth_zero_is_the_total(tree):
    sample_tree(tree)
    assert dirsize("--depth", "0", tree.root).out == dirsize(tree.root).out == du_out("-s", tree.root)


def test_depth_prints_in_post_order(tree):
    """As du: a directory after everything it holds; siblings by name, byte order."""
    sample_tree(tree)
    r = dirsize("--depth", "5", tree.root)
    assert r.rc == 0, r
    paths = [line.split(b"\t", 1)[1] for line in r.out.splitlines()]
    assert paths[-1] == os.fsencode(tree.root), r
    for i, p in enumerate(paths):
        for q in paths[:i]:
            assert not p.startswith(q + b"/"), f"{q!r} printed before {p!r}, which it holds\n{r}"
    root = os.fsencode(tree.root)
    assert [p for p in paths if p.count(b"/") == root.count(b"/") + 1] == \
        [root + b"/" + n for n in (b"a", b"a-b", b"ab", b"empty", b"holes", b"sizes")], r


def test_depth_root_with_trailing_slash(tree):
    """du --max-depth 1 t/ prints t/a ... and t/ last."""
    sample_tree(tree)
    root = f"{tree.root}/"
    r = dirsize("--depth", "1", root)
    assert r.rc == 0, r
    assert line_set(r.out) == line_set(du_out("--max-depth", "1", root)), r
    assert r.lines()[-1].endswith(f"\t{root}"), r


def test_depth_of_a_file_root(tree):
    f = write(tree, "f", 10_000)
    r = dirsize("--depth", "1", f)
    assert r.rc == 0, r
    assert r.out == du_out("--max-depth", "1", f), r


def test_depth_with_exclude(tree):
    sample_tree(tree)
    r = dirsize("-b", "--depth", "2", "--exclude", "b", tree.root)
    assert r.rc == 0, r
    assert line_set(r.out) == line_set(du_out("-b", "--max-depth", "2", "--exclude", "b", tree.root)), r


# --- human sizes ----------------------------------------------------------------------------

HUMAN_SIZES = [0, 1, 1000, 1023, 1024, 1536, 10 * 1024 - 1, 10 * 1024 + 1, 999_999, 1024 * 1024,
               1024 * 1024 + 1, 5_500_000, 20 * 1024 * 1024 + 7]


@pytest.mark.parametrize("opt,du_opt", [("-h", "-h"), ("--human-readable", "-h"), ("--si", "--si")])
def test_human_sizes_match_du(tree, opt, du_opt):
    files = [write(tree, f"f{n}", n) for n in HUMAN_SIZES]
    # Disk usage, apparent sizes (exact byte counts around the unit boundaries), and a tree.
    for extra, du_extra in (([], []), (["-b"], ["--apparent-size"])):
        r = dirsize(*extra, opt, *files, tree.root)
        assert r.rc == 0, r
        assert r.out == du_out("-s", *du_extra, du_opt, *files, tree.root), r


@pytest.mark.parametrize("n", [1023, 1024, 1025, 999_999, 1_000_000, 1_000_001, 10**9, 5 * 2**30])
def test_human_apparent_sizes_of_sparse_files(tree, n):
    f = sparse(tree, "f", n, data_at=0)
    for opt in ("-h", "--si"):
        r = dirsize("-b", opt, f)
        assert r.out == du_out("-s", "--apparent-size", opt, f), r


# --- -c, several and nested operands ---------------------------------------------------------

@pytest.mark.parametrize("ops", [
    ["a", "ab"],
    ["a", "a/b", "a"],
    ["a/b", "a"],
    ["a/b/c", "a", "a/b"],
    ["a", "a"],
    [".", "a"],
    ["a", "."],
    ["sizes/f4096", "sizes", "sizes/f4096"],
], ids=["disjoint", "a-a/b-a", "a/b-a", "c-a-b", "a-a", "dot-a", "a-dot", "file-dir-file"])
@pytest.mark.parametrize("opts,du_opts", [(["-c"], ["-sc"]), (["-bc"], ["-sbc"]), (["--total", "-h"], ["-sch"])],
                         ids=["blocks", "apparent", "human"])
def test_grand_total_matches_du(tree, ops, opts, du_opts):
    sample_tree(tree)
    r = dirsize(*opts, *ops, cwd=tree.root)
    assert r.rc == 0, r
    assert r.out == du_out(*du_opts, *ops, cwd=tree.root), r
    assert r.lines()[-1].endswith("\ttotal"), r


def test_nested_operands_without_total(tree):
    sample_tree(tree)
    r = dirsize("a", "a/b", "a", cwd=tree.root)
    assert r.rc == 0, r
    assert r.out == du_out("-s", "a", "a/b", "a", cwd=tree.root), r
    assert len(r.lines()) == 1, r


# --- hard links -------------------------------------------------------------------------------

def test_hard_links_inside_one_tree_counted_once(tree):
    f = write(tree, "a/f", 100_000)
    os.link(f, tree.path("a/g"))
    tree.dir("b")
    os.link(f, tree.path("b/h"))
    write(tree, "b/other", 10)
    for opts, du_opts in (([], ["-s"]), (["-b"], ["-sb"])):
        r = dirsize(*opts, tree.root)
        assert r.rc == 0, r
        assert r.out == du_out(*du_opts, tree.root), r
    dirs = sum(os.lstat(d).st_size for d in (tree.root, tree.path("a"), tree.path("b")))
    assert size_of(dirsize("-b", tree.root).out, tree.root) == dirs + 100_000 + 10


def test_hard_links_across_operands_counted_once(tree):
    f = write(tree, "a/f", 100_000)
    tree.dir("b")
    os.link(f, tree.path("b/g"))
    write(tree, "b/other", 10)
    a, b = tree.path("a"), tree.path("b")
    for opts, du_opts in ((["-c"], ["-sc"]), (["-bc"], ["-sbc"])):
        for ops in ([a, b], [b, a]):
            r = dirsize(*opts, *ops)
            assert r.rc == 0, r
            assert r.out == du_out(*du_opts, *ops), r
    r = dirsize("-b", a, b)
    assert size_of(r.out, b) == os.lstat(b).st_size + 10, r


def test_hard_link_counted_under_the_name_that_sorts_first(tree):
    """With --depth, a file with names in two directories counts in the one whose name
    sorts first (dirsize's rule, which does not depend on thread timing)."""
    f = write(tree, "z/f", 100_000)
    tree.dir("m")
    os.link(f, tree.path("m/g"))
    root = tree.root
    want = {root / "m": os.lstat(root / "m").st_size + 100_000,
            root / "z": os.lstat(root / "z").st_size}
    want[root] = os.lstat(root).st_size + sum(want.values())
    for _ in range(3):
        r = dirsize("-b", "--depth", "1", "-j", "2", root)
        assert r.rc == 0, r
        assert {p: size_of(r.out, p) for p in want} == want, r
        assert len(r.lines()) == 3, r


# --- sparse files -----------------------------------------------------------------------------

def test_sparse_file_uses_less_disk_than_its_size(tree):
    f = sparse(tree, "holes/big", 64 * 1024 * 1024, data_at=32 * 1024 * 1024)
    if os.lstat(f).st_blocks * 512 >= 1024 * 1024:
        pytest.skip("this file system does not keep holes")
    used = dirsize(tree.root)
    app = dirsize("-b", tree.root)
    assert used.rc == app.rc == 0, (used, app)
    assert used.out == du_out("-s", tree.root), used
    assert app.out == du_out("-sb", tree.root), app
    assert size_of(app.out, tree.root) >= 64 * 1024 * 1024, app
    assert size_of(used.out, tree.root) * 1024 < 1024 * 1024, used  # KiB blocks


# --- -x ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("opt", ["-x", "--one-file-system"])
def test_one_file_system_matches_du(tree, tmpfs, opt):
    write(tree, "outside", 20_000)
    inside = Tree(tmpfs)
    write(inside, "inside", 1_000_000)
    write(inside, "sub/more", 300_000)
    r_all = dirsize(tree.root)
    r_x = dirsize(opt, tree.root)
    assert r_all.rc == r_x.rc == 0, (r_all, r_x)
    assert r_all.out == du_out("-s", tree.root), r_all
    assert r_x.out == du_out("-sx", tree.root), r_x
    assert size_of(r_all.out, tree.root) > size_of(r_x.out, tree.root) + 1000, (r_all, r_x)
    for extra in ([], ["-b"]):
        r = dirsize(opt, *extra, "--depth", "2", tree.root)
        assert line_set(r.out) == line_set(du_out("-x", *extra, "--max-depth", "2", tree.root)), r
    # Given as a root, the mount point is measured on its own file system.
    r = dirsize(opt, tmpfs)
    assert r.out == du_out("-sx", tmpfs), r


# --- directory loops made by bind mounts -------------------------------------------------------

def test_bind_mount_of_an_ancestor_is_a_loop_skipped_with_a_warning_as_du_skips_it(tree):
    with mounted_tmpfs(tree.dir("mnt", 0o755), "4m") as mnt:
        t = Tree(mnt / "tree")
        write(t, "f", 100_000)
        write(t, "sub/g", 50_000)
        t.dir("sub/loop", 0o755)
        with bind_mounted(t.root, t.path("sub/loop")):
            for opts, du_opts in (([], ["-s"]), (["-b"], ["-sb"]), (["--depth", "9"], [])):
                r = dirsize(*opts, t.root)
                assert r.rc == 0, r
                assert r.out == du_out(*du_opts, t.root), r
                assert r.err_lines() == [f"dirsize: {t.root}/sub/loop: File system loop detected; "
                                         f"it is {t.root} again"], r
            assert size_of(dirsize(t.root).out, t.root) < 2 * 150_000 // 1024


# --- --exclude -----------------------------------------------------------------------------------

def exclude_tree(t: Tree) -> None:
    write(t, "keep/a.txt", 10_000)
    write(t, "keep/b.log", 20_000)
    write(t, "logs/x.log", 30_000)
    write(t, "cache/blob", 400_000)
    write(t, "cache/inner/more", 50_000)
    write(t, "deep/cache/blob2", 60_000)
    write(t, "top.log", 7_000)


@pytest.mark.parametrize("patterns", [
    ["*.log"],
    ["cache"],
    ["cach?", "*.txt"],
    ["[kl]*"],
    ["no-match"],
], ids=["ext", "dir-name", "two", "bracket", "none"])
def test_exclude_name_glob_matches_du(tree, patterns):
    exclude_tree(tree)
    ex = [a for p in patterns for a in ("--exclude", p)]
    for opts, du_opts in (([], ["-s"]), (["-b"], ["-sb"])):
        r = dirsize(*opts, *ex, tree.root)
        assert r.rc == 0, r
        assert r.out == du_out(*du_opts, *ex, tree.root), r


def test_exclude_name_glob_exact_size(tree):
    exclude_tree(tree)
    r = dirsize("-b", "--exclude", "cache", tree.root)
    dirs = [tree.root, tree.path("keep"), tree.path("logs"), tree.path("deep")]
    want = sum(os.lstat(d).st_size for d in dirs) + 10_000 + 20_000 + 30_000 + 7_000
    assert r.out == f"{want}\t{tree.root}\n".encode(), r


def test_exclude_path_glob(tree):
    exclude_tree(tree)
    pattern = f"{tree.root}/cache/*"  # what cache holds, not cache itself
    r = dirsize("-b", "--exclude", pattern, tree.root)
    assert r.rc == 0, r
    assert r.out == du_out("-sb", "--exclude", pattern, tree.root), r
    full = size_of(dirsize("-b", tree.root).out, tree.root)
    cache_content = 400_000 + 50_000 + os.lstat(tree.path("cache/inner")).st_size
    assert size_of(r.out, tree.root) == full - cache_content, r
    # A path pattern's * also matches '/': */cache matches at any depth.
    r = dirsize("-b", "--exclude=*/cache", tree.root)
    assert r.out == du_out("-sb", "--exclude=*/cache", tree.root), r
    assert size_of(r.out, tree.root) == full - size_of(dirsize("-b", "-c", tree.path("cache"),
                                                               tree.path("deep/cache")).out, "total"), r


# --- --top ---------------------------------------------------------------------------------------

def top_tree(t: Tree) -> None:
    # Distinct sizes, so that the order is fixed.
    write(t, "big/a", 900_000)
    write(t, "big/sub/b", 500_000)
    write(t, "mid/c", 300_000)
    write(t, "small/d", 1_000)
    write(t, "small/deeper/e", 100)
    write(t, "f-top", 200_000)


def du_all_dirs(*args) -> list:
    """du's lines for every directory (no -s), as (size, path) pairs, largest first."""
    rows = [(int(line.split(b"\t")[0]), line.split(b"\t", 1)[1]) for line in du_out(*args).splitlines()]
    return sorted(rows, key=lambda x: (-x[0], x[1]))


@pytest.mark.parametrize("n", ["1", "3", "100"])
def test_top_directories_largest_first(tree, n):
    top_tree(tree)
    r = dirsize("-b", "--top", n, tree.root)
    assert r.rc == 0, r
    want = du_all_dirs("-b", tree.root)[:int(n)]
    assert r.out == b"".join(b"%d\t%s\n" % row for row in want), r


def test_top_directories_blocks(tree):
    top_tree(tree)
    r = dirsize("--top", "4", tree.root)
    assert r.rc == 0, r
    want = du_all_dirs("-B1", tree.root)[:4]
    assert [line.split(b"\t", 1)[1] for line in r.out.splitlines()] == [p for _, p in want], r
    assert [int(line.split(b"\t")[0]) for line in r.out.splitlines()] == [(s + 1023) // 1024 for s, _ in want], r


def test_top_files_largest_first(tree):
    top_tree(tree)
    os.link(tree.path("big/a"), tree.path("small/a-again"))  # one file: listed once
    r = dirsize("-b", "--top", "3", "--files", tree.root)
    assert r.rc == 0, r
    root = os.fsencode(tree.root)
    assert r.out == b"900000\t%s/big/a\n500000\t%s/big/sub/b\n300000\t%s/mid/c\n" % (root, root, root), r
    r = dirsize("-b", "--top", "100", "--files", tree.root)
    assert len(r.lines()) == 6, r


def test_top_over_several_roots_with_total(tree):
    top_tree(tree)
    r = dirsize("-b", "-c", "--top", "2", tree.path("small"), tree.path("mid"))
    assert r.rc == 0, r
    want = du_all_dirs("-b", tree.path("small"), tree.path("mid"))[:2]
    total = size_of(du_out("-sbc", tree.path("small"), tree.path("mid")), "total")
    assert r.out == b"".join(b"%d\t%s\n" % row for row in want) + b"%d\ttotal\n" % total, r


def test_top_of_a_file_root_has_no_empty_path(tree):
    f = write(tree, "f", 10_000)
    r = dirsize("--top", "5", f)
    assert r.rc == 0, r
    for line in r.lines():
        assert line.split("\t", 1)[1] != "", r


# --- JSON ------------------------------------------------------------------------------------------

def test_json_fields(tree):
    sample_tree(tree)
    for opts, apparent, du_opts in (([], False, ["-s", "-B1"]), (["-b"], True, ["-sb"])):
        r = dirsize("--format", "json", *opts, tree.root)
        assert r.rc == 0, r
        objs = r.json_lines()
        assert objs == [{"path": str(tree.root), "size": size_of(du_out(*du_opts, tree.root), tree.root),
                         "apparent": apparent, "depth": 0, "complete": True}], r


def test_json_depth_rows(tree):
    sample_tree(tree)
    r = dirsize("--format=json", "--depth", "2", tree.root)
    assert r.rc == 0, r
    objs = r.json_lines()
    want = du_out("-B1", "--max-depth", "2", tree.root)
    assert {(o["path"], o["size"]) for o in objs} == \
        {(p.decode(), int(s)) for s, p in (line.split(b"\t", 1) for line in want.splitlines())}, r
    root_slashes = str(tree.root).count("/")
    for o in objs:
        assert o["depth"] == o["path"].count("/") - root_slashes, o
        assert o["complete"] is True and o["apparent"] is False, o


def test_json_total_object(tree):
    sample_tree(tree)
    a, b = tree.path("a"), tree.path("sizes")
    r = dirsize("--format", "json", "-b", "-c", a, b)
    assert r.rc == 0, r
    objs = r.json_lines()
    assert [o["path"] for o in objs[:2]] == [str(a), str(b)], r
    total = objs[2]
    assert total["total"] is True, r
    assert "path" not in total, r
    assert total["size"] == objs[0]["size"] + objs[1]["size"] == size_of(du_out("-sbc", a, b), "total"), r
    assert total["apparent"] is True and total["complete"] is True, r


def test_json_top_files_depth(tree):
    top_tree(tree)
    os.link(tree.path("big/sub/b"), tree.path("big/sub/b2"))
    r = dirsize("--format", "json", "-b", "--top", "3", "--files", tree.root)
    assert r.rc == 0, r
    objs = r.json_lines()
    root = str(tree.root)
    assert [(o["path"], o["size"]) for o in objs] == [(root + "/big/a", 900_000), (root + "/big/sub/b", 500_000),
                                                       (root + "/mid/c", 300_000)], r
    assert [o["depth"] for o in objs] == [2, 3, 2], r


# --- -0 and hostile names -------------------------------------------------------------------------

def test_null_ends_records_with_nul(tree):
    sample_tree(tree)
    a, b = tree.path("a"), tree.path("ab")
    r = dirsize("-0", a, b)
    assert r.rc == 0, r
    assert b"\n" not in r.out, r
    assert r.null_records() == du_out("-s", a, b).splitlines(), r
    r = dirsize("--null", "-c", "--depth", "1", tree.root)
    assert r.rc == 0, r
    recs = r.null_records()
    assert recs[-1].endswith(b"\ttotal"), r
    assert set(recs[:-1]) == line_set(du_out("-0", "--max-depth", "1", tree.root), b"\0"), r


HOSTILE = [b"new\nline", b"bad\xff\xfeutf8", b"tab\there", b"back\\slash", b"quote\"d", b"caf\xc3\xa9", b" lead"]


def hostile_tree(t: Tree) -> None:
    root = os.fsencode(t.root)
    for i, name in enumerate(HOSTILE):
        d = root + b"/" + name
        os.mkdir(d)
        with open(d + b"/" + name, "wb") as f:
            f.write(b"z" * (1000 * (i + 1)))


def test_hostile_names_survive_null_byte_for_byte(tree):
    hostile_tree(tree)
    root = os.fsencode(tree.root)
    r = dirsize("-0", "-b", "--depth", "1", tree.root)
    assert r.rc == 0, r
    got = set(r.null_records())
    assert got == line_set(du_out("-0", "-b", "--max-depth", "1", tree.root), b"\0"), r
    assert {rec.split(b"\t", 1)[1] for rec in got} == {root + b"/" + n for n in HOSTILE} | {root}, r
    # The names as roots, too.
    ops = [root + b"/" + n for n in HOSTILE]
    r = dirsize("-0", "-b", *ops)
    assert r.null_records() == du_out("-0", "-sb", *ops)[:-1].split(b"\0"), r


def test_hostile_names_survive_json_losslessly(tree):
    hostile_tree(tree)
    root = os.fsencode(tree.root)
    r = dirsize("--format", "json", "-b", "--depth", "1", tree.root)
    assert r.rc == 0, r
    got = {}
    for line in r.out.split(b"\n")[:-1]:
        assert b"\n" not in line
        o = json.loads(line)
        got[o["path"].encode("utf-8", "surrogateescape")] = o["size"]
    want = {p: int(s) for s, p in (rec.split(b"\t", 1) for rec in
                                    du_out("-0", "-b", "--max-depth", "1", tree.root)[:-1].split(b"\0"))}
    assert got == want, r
    assert set(got) == {root + b"/" + n for n in HOSTILE} | {root}, r
    # --top --files names too.
    r = dirsize("--format", "json", "-b", "--top", "100", "--files", tree.root)
    names = {json.loads(line)["path"].encode("utf-8", "surrogateescape") for line in r.out.split(b"\n")[:-1]}
    assert names == {root + b"/" + n + b"/" + n for n in HOSTILE}, r


# --- FIFOs and sockets ------------------------------------------------------------------------------

def test_fifo_and_socket_do_not_hang(tree):
    write(tree, "d/file", 5_000)
    os.mkfifo(tree.path("d/fifo"))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(os.fspath(tree.path("d/sock")))
        s.listen(1)
        for args, du_args in (([tree.root], ["-s", tree.root]), (["-b", tree.root], ["-sb", tree.root]),
                              (["--top", "5", "--files", "-b", tree.root], None)):
            r = run_tool("dirsize", *args, timeout=20)
            assert r.rc == 0, r
            if du_args:
                assert r.out == du_out(*du_args), r
        r = dirsize("-b", tree.path("d/fifo"), tree.path("d/sock"), timeout=20)
        assert r.out == du_out("-sb", tree.path("d/fifo"), tree.path("d/sock")), r
    finally:
        s.close()


# --- errors ------------------------------------------------------------------------------------------

def test_missing_operand(tree):
    sample_tree(tree)
    missing = tree.path("no-such-dir")
    a, b = tree.path("a"), tree.path("ab")
    r = dirsize(a, missing, b)
    assert r.rc == 2, r
    assert r.err_lines() == [f"dirsize: {missing}: No such file or directory"], r
    assert r.out == du_out("-s", a, b), r
    r = dirsize("-c", a, missing, b)
    assert r.rc == 2, r
    assert r.out == du_out("-sc", a, b), r
    r = dirsize(missing)
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err_lines() == [f"dirsize: {missing}: No such file or directory"], r


def test_missing_operand_json_total(tree):
    write(tree, "a/f", 1000)
    missing = tree.path("gone")
    r = dirsize("--format", "json", "-c", tree.path("a"), missing)
    assert r.rc == 2, r
    objs = r.json_lines()
    assert [o.get("path") for o in objs] == [str(tree.path("a")), None], r
    assert objs[0]["complete"] is True, r
    assert objs[1]["total"] is True and objs[1]["complete"] is False, r


def unreadable_tree(t: Tree) -> None:
    write(t, "a/f", 10_000)
    write(t, "locked/inner/g", 50_000)
    write(t, "z/h", 3_000)
    world_readable(t.root)
    os.chmod(t.path("locked"), 0o000)


@pytest.fixture
def as_nobody():
    if not can_run_as_nobody(tool_path("dirsize")):
        pytest.skip("cannot run dirsize as uid 65534 here (setpriv, or the build is not reachable)")


def test_unreadable_subdirectory(tree, as_nobody):
    unreadable_tree(tree)
    # Run from inside the tree: pytest's tmp_path ancestors are closed to other users.
    r = dirsize(".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    lines = r.err_lines()
    assert lines[0] == "dirsize: ./locked: Permission denied", r
    assert len(lines) == 2, r
    assert lines[1].startswith("dirsize: .: ") and "incomplete" in lines[1], r
    # The total is still printed: what could be read, as du counts it (du exits 1 here).
    d = du("-s", ".", cwd=tree.root, user=NOBODY)
    assert d.returncode == 1, d
    assert r.out == d.stdout, r
    for opts, du_opts in ((["-b"], ["-sb"]), (["--depth", "1"], ["--max-depth", "1"])):
        r = dirsize(*opts, ".", cwd=tree.root, user=NOBODY)
        assert r.rc == 2, r
        d = du(*du_opts, ".", cwd=tree.root, user=NOBODY)
        assert line_set(r.out) == line_set(d.stdout), r


def test_unreadable_subdirectory_json_incomplete(tree, as_nobody):
    unreadable_tree(tree)
    r = dirsize("--format", "json", "-c", "-b", ".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    objs = r.json_lines()
    assert len(objs) == 2, r
    assert objs[0]["path"] == "." and objs[0]["complete"] is False, r
    assert objs[0]["size"] == size_of(du("-sb", ".", cwd=tree.root, user=NOBODY).stdout, "."), r
    assert objs[1]["total"] is True and objs[1]["complete"] is False, r
    r = dirsize("--format", "json", "--depth", "1", ".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    assert {o["complete"] for o in r.json_lines()} == {False}, r
    # Another root that could be read in full stays complete.
    r = dirsize("--format", "json", "./locked", "./a", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    objs = r.json_lines()
    assert [o["complete"] for o in objs] == [False, True], r


def test_unreadable_top_is_marked_incomplete(tree, as_nobody):
    unreadable_tree(tree)
    r = dirsize("--format", "json", "--top", "2", ".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    objs = r.json_lines()
    assert len(objs) == 2 and all(o["complete"] is False for o in objs), r


def test_unsearchable_directory_entries(tree, as_nobody):
    """A directory that can be listed but not searched (r--): its entries cannot be
    statx'ed; they are named on stderr and du's total is still printed."""
    write(tree, "listable/f", 20_000)
    write(tree, "other/g", 1_000)
    world_readable(tree.root)
    os.chmod(tree.path("listable"), 0o744)
    r = dirsize(".", cwd=tree.root, user=NOBODY)
    assert r.rc == 2, r
    assert r.err_lines()[0] == "dirsize: ./listable/f: Permission denied", r
    assert "incomplete" in r.err_lines()[1], r
    assert r.out == du("-s", ".", cwd=tree.root, user=NOBODY).stdout, r


# --- du's habits, each against du on the same tree ---------------------------------------

@pytest.mark.parametrize("opts", [["-s"], ["--summarize"], ["-s", "-d", "0"]], ids=" ".join)
def test_summarize_is_the_default_as_du_s(tree, opts):
    sample_tree(tree)
    r = dirsize(*opts, tree.root)
    assert (r.rc, r.err) == (0, ""), r
    assert r.out == du_out(*opts, tree.root), r


@pytest.mark.parametrize("opts", [["-sh"], ["-sb"], ["-s", "--si"], ["-sc"]], ids=" ".join)
def test_combined_short_flags_as_du(tree, opts):
    sample_tree(tree)
    ops = [tree.path("sizes"), tree.path("a")]
    r = dirsize(*opts, *ops)
    assert (r.rc, r.err) == (0, ""), r
    assert r.out == du_out(*opts, *ops), r


@pytest.mark.parametrize("opts", [["-a"], ["-ab"], ["-a", "-d", "1"], ["-a", "--max-depth=2"], ["-ah"]],
                         ids=" ".join)
def test_all_lists_every_entry_as_du_a(tree, opts):
    sample_tree(tree)
    r = dirsize(*opts, tree.root)
    assert (r.rc, r.err) == (0, ""), r
    want = du_out(*opts, tree.root)
    assert line_set(r.out) == line_set(want), r
    assert len(r.lines()) == len(want.splitlines()), r


def test_all_on_a_file_root_prints_it_once(tree):
    write(tree, "f", 5000)
    r = dirsize("-a", tree.path("f"))
    assert r.out == du_out("-a", tree.path("f")), r


@pytest.mark.parametrize("depth", ["0", "1", "3"])
def test_max_depth_is_depth_as_du(tree, depth):
    sample_tree(tree)
    r = dirsize("--max-depth", depth, tree.root)
    assert (r.rc, r.err) == (0, ""), r
    assert line_set(r.out) == line_set(du_out("--max-depth", depth, tree.root)), r


@pytest.mark.parametrize("size", ["1", "512", "1K", "1k", "4K", "1M", "2M", "M", "K", "KB", "1KB", "MB",
                                  "KiB", "MiB", "1000", "G"])
@pytest.mark.parametrize("apparent", [False, True], ids=["blocks", "apparent"])
def test_block_size_as_du_B(tree, size, apparent):
    sample_tree(tree)
    ops = [tree.path("sizes"), tree.path("a"), tree.path("holes")]
    mine, theirs = (["-b"], ["--apparent-size"]) if apparent else ([], [])
    r = dirsize(*mine, "-c", "-B", size, *ops)
    assert (r.rc, r.err) == (0, ""), r
    assert r.out == du_out(*theirs, "-s", "-c", "-B", size, *ops), r
    assert dirsize(*mine, f"-B{size}", *ops).out == du_out(*theirs, "-s", f"-B{size}", *ops)
    assert dirsize(*mine, f"--block-size={size}", *ops).out == du_out(*theirs, "-s", f"--block-size={size}", *ops)


def test_block_size_with_depth_as_du(tree):
    sample_tree(tree)
    r = dirsize("-B", "M", "-d", "2", tree.root)
    assert line_set(r.out) == line_set(du_out("-BM", "--max-depth=2", tree.root)), r


@pytest.mark.parametrize("size", ["0", "x", "-1", "1.5K", "1Q", "18446744073709551616"])
def test_block_size_refused_where_du_refuses_it(tree, size):
    r = dirsize("-B", size, tree.root)
    assert du("-s", "-B", size, tree.root).returncode == 1  # du refuses it too
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err_lines() == [f"dirsize: --block-size: '{size}' is not a block size (a number of bytes, 1K, 1M, M, "
                             "KB, MiB)", "Try 'dirsize --help' for more information."], r


def link_tree(t: Tree) -> None:
    """A tree whose links reach a directory, a file, an ancestor and another tree."""
    write(t, "in/d/f", 20_000)
    write(t, "in/d/sub/g", 3_000)
    write(t, "out/big", 50_000)
    t.symlink("in/dlink", "d")
    t.symlink("in/flink", "d/f")
    t.symlink("in/d/sub/up", "..")
    t.symlink("in/outside", "../out")


@pytest.mark.parametrize("opts", [["-sL"], ["-sbL"], ["-s", "--dereference"]], ids=" ".join)
def test_follow_counts_each_target_once_as_du_L(tree, opts):
    link_tree(tree)
    mine = [o.replace("--dereference", "--follow") for o in opts]
    for root in (tree.path("in"), tree.root):
        r = dirsize(*mine, root)
        assert (r.rc, r.err) == (0, ""), r
        assert r.out == du_out(*opts, root), r
    # without -L the links count as links, as du counts them
    assert dirsize("-s", tree.path("in")).out == du_out("-s", tree.path("in"))


def test_follow_a_dangling_link_is_an_error_as_du_L(tree):
    link_tree(tree)
    tree.symlink("in/dangling", "no/such")
    r = dirsize("-sL", tree.path("in"))
    d = du("-sL", tree.path("in"))
    assert d.returncode != 0 and r.rc == 2, (r, d)
    assert r.out == d.stdout, r
    assert r.err_lines()[0] == f"dirsize: {tree.path('in/dangling')}: No such file or directory", r


@pytest.mark.parametrize("opts", [["-j", "1"], ["--jobs", "1"], ["--jobs=3"], ["--threads", "2"]], ids=" ".join)
def test_jobs(tree, opts):
    sample_tree(tree)
    r = dirsize(*opts, tree.root)
    assert (r.rc, r.err) == (0, ""), r
    assert r.out == du_out("-s", tree.root), r


@pytest.mark.parametrize("args,err", [
    (["-s", "-a"], "dirsize: --summarize: cannot be combined with --all (a total alone, or every entry)"),
    (["-s", "--max-depth", "1"], "dirsize: --summarize: cannot be combined with --depth 1"),
    (["-h", "-B", "1K"], "dirsize: --block-size: cannot be combined with -h or --si"),
    (["-a", "--top", "2"], "dirsize: --all: cannot be combined with --top (--top N --files lists files)"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_du_habits_that_conflict(tree, args, err):
    r = dirsize(*args, tree.root)
    assert r.rc == 2, r
    assert r.err_lines() == [err, "Try 'dirsize --help' for more information."], r


@pytest.mark.parametrize("args", [
    ["--files"],
    ["--files", "."],
    ["--top", "3", "--depth", "1", "."],
    ["--depth", "1", "--top", "3", "."],
    ["--depth", "-1", "."],
    ["--depth", "x", "."],
    ["--depth", "1.5", "."],
    ["--depth", "99999999999999999999", "."],
    ["--depth"],
    ["--top", "0", "."],
    ["--top", "-2", "."],
    ["--top", "many", "."],
    ["--top"],
    ["-j", "0", "."],
    ["-j", "x", "."],
    ["--format", "xml", "."],
    ["--exclude"],
], ids=lambda a: " ".join(a))
def test_usage_errors(tree, args):
    r = dirsize(*args, cwd=tree.root)
    assert r.rc == 2, r
    assert r.out == b"", r
    assert r.err_lines() and r.err_lines()[0].startswith("dirsize: "), r


def test_write_error_on_stdout(tree):
    write(tree, "f", 100)
    with open("/dev/full", "wb") as full:
        p = subprocess.run([tool_path("dirsize"), tree.root], stdout=full, stderr=subprocess.PIPE,
                           env=tool_env(), timeout=30)
    assert p.returncode == 2, p
    assert p.stderr.decode() == "dirsize: stdout: No space left on device\n", p


def test_quiet_and_no_progress_off_a_terminal(tree):
    sample_tree(tree)
    r = dirsize("-q", tree.root)
    assert r.rc == 0, r
    assert r.err == "", r
    assert r.out == du_out("-s", tree.root), r


def test_color_marks_large_sizes_only_when_asked(tree):
    write(tree, "small/f", 5000)
    sparse(tree, "big/f", 3 * 1024 * 1024)
    write(tree, "mid/f", 2 * 1024 * 1024)
    plain = dirsize("-b", "-d", "1", tree.root).out
    r = dirsize("--color=always", "-b", "-d", "1", tree.root)
    assert r.rc == 0, r
    assert f"\x1b[33m{2 * 1024 * 1024 + 4096}\x1b[0m\t{tree.path('mid')}\n".encode() in r.out, r
    assert f"{5000 + 4096}\t{tree.path('small')}\n".encode() in r.out, r  # under a MiB: as it is
    assert r.out.replace(b"\x1b[33m", b"").replace(b"\x1b[0m", b"") == plain, r
    assert dirsize("--color=never", "-b", "-d", "1", tree.root).out == plain
    assert dirsize("--color=always", "-0", "-b", tree.root).out == dirsize("-0", "-b", tree.root).out
    assert dirsize("-b", "-d", "1", tree.root, env={"NO_COLOR": "1"}).out == plain  # auto, and not a terminal
