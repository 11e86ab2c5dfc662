#!/usr/bin/env python3
"""The tree usbtidy's benchmark organizes: a drive's top level of N files.

  usbtidy_tree.py make DIR N     N empty files in DIR (created), extensions mixed in case,
                                 a tenth without one, a few names with spaces
  usbtidy_tree.py reset DIR      every file in DIR's folders moved back to DIR's top, the
                                 folders and usbtidy's journal removed: the tree as made
  usbtidy_tree.py layout DIR     prints "FOLDER/NAME" for every file below DIR, sorted (to
                                 compare what two organizers made)
"""
import os
import sys

EXTENSIONS = ["jpg", "JPG", "png", "txt", "pdf", "mp3", "docx", "MOV", "heic", "zip"]


def make(d: str, n: int) -> None:
    os.makedirs(d)
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i in range(n):
            name = f"file {i:06d}" if i % 97 == 0 else f"f{i:06d}"
            if i % 10 != 9:
                name += "." + EXTENSIONS[i % len(EXTENSIONS)]
            os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644, dir_fd=fd))
    finally:
        os.close(fd)


def reset(d: str) -> None:
    for entry in os.scandir(d):
        if entry.is_dir(follow_symlinks=False):
            for f in os.scandir(entry.path):
                os.rename(f.path, os.path.join(d, f.name))
            os.rmdir(entry.path)
    try:
        os.unlink(os.path.join(d, ".usbtidy-journal"))
    except FileNotFoundError:
        pass


def layout(d: str) -> None:
    out = []
    for dp, _, fns in os.walk(d):
        for n in fns:
            if n != ".usbtidy-journal":
                out.append(os.path.relpath(os.path.join(dp, n), d))
    sys.stdout.write("\n".join(sorted(out)) + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif cmd == "reset":
        reset(sys.argv[2])
    elif cmd == "layout":
        layout(sys.argv[2])
    else:
        sys.exit(f"usbtidy_tree.py: unknown command {cmd!r}")
