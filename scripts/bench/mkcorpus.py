#!/usr/bin/env python3
"""mkcorpus: builds syskit's corpus, a deterministic file tree with a manifest of the truth.

The tree holds what the file system tools meet on real disks: directories up to about ten
levels deep, mostly small files with a few large ones, empty files, planted duplicates (one
to three copies of a file, elsewhere in the tree), unrelated files of the same size, large
files that differ in a single byte (first, middle or last: head-and-tail sampling cannot
tell them apart), hard links, symlinks (a quarter of them dangling) and permission problems:
world-writable files, world-writable directories with and without the sticky bit, setuid
and setgid files, and private keys, some readable by others.

OUT/tree is the tree and OUT/manifest.json the truth, read back from the finished tree
(not from what was planted: hard links share a mode, random picks can meet).  Its paths
are relative to OUT ("tree/..."), every list sorted:
  total_files, total_bytes     regular files (each inode once) and their size
  dup_groups                   distinct inodes with equal content, each inode as the
                               sorted list of its names; empty files are not duplicates
  hardlink_sets                the names of each inode that has more than one
  empty_files, world_writable_files, world_writable_dirs_no_sticky, setuid, setgid,
  private_keys_readable        private keys (by name: id_rsa, id_ed25519, *.key or *.pem
                               holding a PEM private key) open to group or others
  dangling_symlinks            symlinks whose target does not resolve

The standard corpus (about 2 GiB): mkcorpus.py OUT --files 100000 --dirs 10000 --scale 0.25
Usage: mkcorpus.py OUT [--files N] [--dirs N] [--scale F] [--seed N]
"""
import argparse
import hashlib
import json
import os
import random
import stat
import sys

MAX_DEPTH = 10
EXTENSIONS = ("txt", "log", "csv", "png", "gz", "o", "json", "mp3", "html")
# Sizes many unrelated files share, so that size alone never decides a duplicate.
COMMON_SIZES = (512, 4096, 16384, 65536)
PEM_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY")


class Corpus:
    """The tree being built: its directories, its regular files and the random source."""

    def __init__(self, out: str, seed: int, scale: float):
        self.out = out
        self.tree = os.path.join(out, "tree")
        self.rng = random.Random(seed)
        self.scale = scale
        self.dirs = []   # (path, depth)
        self.files = []  # regular files made here, each once (not their hard links)
        self.count = 0   # names handed out, so each is unique

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count:06d}"

    def some_dir(self) -> str:
        return self.rng.choice(self.dirs)[0]

    def make_dirs(self, n: int) -> None:
        os.mkdir(self.tree, 0o755)
        os.chmod(self.tree, 0o755)
        self.dirs.append((self.tree, 0))
        for i in range(n):
            # Mostly below a recent directory, which grows chains; sometimes anywhere.
            pool = self.dirs[-64:] if self.rng.random() < 0.6 else self.dirs
            parent, depth = self.rng.choice(pool)
            if depth >= MAX_DEPTH:
                parent, depth = self.tree, 0
            path = os.path.join(parent, f"dir{i:05d}")
            os.mkdir(path)
            os.chmod(path, 0o755)
            self.dirs.append((path, depth + 1))

    def size(self) -> int:
        r = self.rng.random()
        if r < 0.05:
            return 0
        if r < 0.60:
            return int(self.rng.lognormvariate(8.0, 1.2) * self.scale)   # median about 3 KiB
        if r < 0.97:
            return int(self.rng.lognormvariate(10.4, 1.0) * self.scale)  # median about 32 KiB
        return int(self.rng.lognormvariate(13.9, 0.8) * self.scale)      # median about 1 MiB

    def write(self, path: str, data: bytes, mode: int = 0o644) -> str:
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)  # whatever the umask
        self.files.append(path)
        return path

    def regular_files(self, n: int, dup_ratio: float) -> None:
        """n files: fresh ones, ones of a common size, and copies of earlier ones."""
        originals = []  # (path, data) not copied yet
        made = 0
        while made < n:
            r = self.rng.random()
            if originals and r < dup_ratio:
                src, data = originals.pop(self.rng.randrange(len(originals)))
                ext = src.rsplit(".", 1)[1]
                for _ in range(min(self.rng.randint(1, 3), n - made)):
                    self.write(os.path.join(self.some_dir(), self.name("copy") + "." + ext), data)
                    made += 1
                continue
            size = self.rng.choice(COMMON_SIZES) if r < dup_ratio + 0.08 else self.size()
            data = self.rng.randbytes(size)
            path = self.write(os.path.join(self.some_dir(), self.name("file") + "." + self.rng.choice(EXTENSIONS)),
                              data)
            made += 1
            if 0 < size <= 4 << 20 and self.rng.random() < 0.1:
                originals.append((path, data))

    def near_duplicates(self) -> None:
        """Pairs of large files equal but for one byte: the first, one in the middle, the last."""
        size = max(4096, int(3_000_000 * self.scale))
        for where in (0, size // 2, size - 1):
            for _ in range(2):
                data = bytearray(self.rng.randbytes(size))
                for flip in range(2):
                    data[where] = flip
                    self.write(os.path.join(self.some_dir(), self.name("image") + ".img"), bytes(data))

    def hard_links(self, n: int) -> None:
        """n second names, each beside its file: which directory du(1) charges a file with
        names in two directories for depends on the order it walks them in."""
        for src in self.rng.sample(self.files, min(n, len(self.files))):
            os.link(src, os.path.join(os.path.dirname(src), self.name("hardlink")))

    def symlinks(self, n: int) -> None:
        """n relative symlinks to files; every fourth dangles: its target is gone, or is
        reached through a regular file as if it were a directory."""
        for i in range(n):
            link = os.path.join(self.some_dir(), self.name("link"))
            target = self.rng.choice(self.files)
            if i % 4 == 0:
                target += ".gone" if i % 8 == 0 else "/below"
            os.symlink(os.path.relpath(target, os.path.dirname(link)), link)

    def permissions(self, n_files: int, n_dirs: int) -> None:
        """Problems on distinct files and directories, and harmless modes beside them."""
        files = self.rng.sample(self.files, min(len(self.files), 4 * n_files))
        quarter = len(files) // 4
        for path, mode in zip(files, [0o666] * quarter + [0o4755] * (quarter // 2) + [0o2755] * (quarter // 2)
                              + [0o755] * quarter):
            os.chmod(path, mode)
        dirs = self.rng.sample(self.dirs[1:], min(len(self.dirs) - 1, 3 * n_dirs))
        third = len(dirs) // 3
        for (path, _), mode in zip(dirs, [0o777] * third + [0o1777] * third + [0o700] * third):
            os.chmod(path, mode)

    def private_keys(self, n: int) -> None:
        """n private keys, most of them open to group or others (exposed), the rest 0600."""
        for i in range(n):
            label = PEM_LABELS[i % len(PEM_LABELS)]
            body = self.rng.randbytes(96).hex().encode()
            data = b"-----BEGIN " + label.encode() + b"-----\n" + body + b"\n-----END " + label.encode() + b"-----\n"
            d = self.some_dir()
            name = ("id_rsa", "id_ed25519", self.name("server") + ".key", self.name("tls") + ".pem")[i % 4]
            while os.path.lexists(os.path.join(d, name)):
                d = self.some_dir()
            self.write(os.path.join(d, name), data, 0o600 if i % 4 == 3 else (0o644, 0o640, 0o604)[i % 3])


def holds_private_key(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    return any(line.startswith(b"-----BEGIN ") and line.rstrip().endswith(b"PRIVATE KEY-----")
               for line in head.splitlines())


def is_private_key(name: str, path: str) -> bool:
    if name in ("id_rsa", "id_ed25519", "id_ecdsa", "id_dsa"):
        return True
    return name.endswith((".key", ".pem")) and holds_private_key(path)


def content_hash(path: str) -> bytes:
    h = hashlib.blake2b()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.digest()


def truth(out: str) -> dict:
    """Everything a tool is expected to report, read back from the tree below out."""
    t = {k: [] for k in ("empty_files", "world_writable_files", "world_writable_dirs_no_sticky", "setuid",
                         "setgid", "private_keys_readable", "dangling_symlinks")}
    names = {}     # (dev, ino) -> names
    sizes = {}     # (dev, ino) -> size
    for dp, dns, fns in os.walk(os.path.join(out, "tree")):
        for n in dns:
            st = os.lstat(os.path.join(dp, n))
            if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_IWOTH and not st.st_mode & stat.S_ISVTX:
                t["world_writable_dirs_no_sticky"].append(os.path.relpath(os.path.join(dp, n), out))
        for n in fns:
            path = os.path.join(dp, n)
            rel = os.path.relpath(path, out)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                if not os.path.exists(path):
                    t["dangling_symlinks"].append(rel)
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            for key, bit in (("world_writable_files", stat.S_IWOTH), ("setuid", stat.S_ISUID),
                             ("setgid", stat.S_ISGID)):
                if st.st_mode & bit:
                    t[key].append(rel)
            if st.st_size == 0:
                t["empty_files"].append(rel)
            if st.st_mode & 0o077 and is_private_key(n, path):
                t["private_keys_readable"].append(rel)
            names.setdefault((st.st_dev, st.st_ino), []).append(rel)
            sizes[(st.st_dev, st.st_ino)] = st.st_size
    by_content = {}
    for inode, size in sizes.items():
        if size > 0:
            by_content.setdefault((size, content_hash(os.path.join(out, names[inode][0]))), []).append(inode)
    t["dup_groups"] = sorted(sorted(sorted(names[i]) for i in inodes)
                             for inodes in by_content.values() if len(inodes) > 1)
    t["hardlink_sets"] = sorted(sorted(v) for v in names.values() if len(v) > 1)
    for v in t.values():
        v.sort()
    t["total_files"] = len(sizes)
    t["total_bytes"] = sum(sizes.values())
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=20000, help="regular files to make (default 20000)")
    ap.add_argument("--dirs", type=int, default=2000, help="directories below tree/ (default 2000)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every file size (default 1.0)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-ratio", type=float, default=0.12, help="share of draws that copy an earlier file")
    args = ap.parse_args()
    if args.files < 100 or args.dirs < 10:
        print("mkcorpus: at least 100 files and 10 directories", file=sys.stderr)
        return 2

    out = os.path.abspath(args.out)
    if os.path.exists(out) and os.listdir(out):
        print(f"mkcorpus: {out}: exists and is not empty", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)

    c = Corpus(out, args.seed, args.scale)
    c.make_dirs(args.dirs)
    c.regular_files(args.files, args.dup_ratio)
    c.near_duplicates()
    c.hard_links(max(10, args.files // 400))
    c.symlinks(max(20, args.files // 100))
    c.permissions(max(10, args.files // 2500), max(5, args.dirs // 500))
    c.private_keys(8)

    manifest = {"seed": args.seed, "files": args.files, "dirs": args.dirs, "scale": args.scale}
    manifest.update(truth(out))
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"mkcorpus: {manifest['total_files']} files, {manifest['total_bytes'] / 2**20:.1f} MiB, "
          f"{len(manifest['dup_groups'])} duplicate groups in {c.tree}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
