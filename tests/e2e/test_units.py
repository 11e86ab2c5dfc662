"""The systemd units meson generates (tools/*/*.in, @bindir@ filled in) and installs: under the
prefix of the build under test (/usr/local by default) and under --prefix=/usr, each unit names
the binary where it is installed, passes `systemd-analyze verify` with that binary and its man
page in place, and scores at most 2.0 in `systemd-analyze security --offline=yes`.

The binaries and pages are put in place for systemd-analyze alone: in a mount namespace of its
own, PREFIX/bin and PREFIX/share/man are overlays of the real ones and of the build's files, so
nothing is installed on the machine.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, REPO, tool_path

ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze (systemd) is not installed")

# Each unit file meson installs, and the instance the tests give a template.
UNITS = {
    "cachenode.service": None,
    "permscan.service": None,
    "permscan.timer": None,
    "logroll@.service": "myapp",
    "logroll@.socket": "myapp",
    "logroll-once@.service": "var-log-app.log",
    "logroll-once@.timer": "var-log-app.log",
    "logroll.service": None,
    "logroll.timer": None,
    "inwatch@.service": "www",
}
# The user units (run by a user's own systemd), and their test instances.
USER_UNITS = {
    "usbtidy@.service": "MY-STICK",
    "btprox@.service": "phone",
}
MAX_EXPOSURE = 2.0


def installed_units(build: Path) -> dict[str, tuple[Path, Path]]:
    """The units among what `meson install` would install from build: name -> (file, destination)."""
    installed = json.loads((build / "meson-info" / "intro-installed.json").read_text())
    return {Path(dest).name: (Path(source), Path(dest)) for source, dest in installed.items()
            if re.search(r"\.(service|timer|socket)$", dest)}


def prefix_of(build: Path) -> str:
    options = json.loads((build / "meson-info" / "intro-buildoptions.json").read_text())
    return next(o["value"] for o in options if o["name"] == "prefix")


def instance_dir(units: dict, where: Path) -> dict[str, Path]:
    """Copies of the units in where, a template also under its test instance's name (as
    systemd finds a template for an instance); returns the units to check by unit name."""
    where.mkdir()
    checked = {}
    for name, (source, _) in units.items():
        shutil.copy(source, where / name)
        instance = UNITS.get(name, USER_UNITS.get(name))
        if instance is None:
            checked[name] = where / name
        else:
            linked = where / name.replace("@.", f"@{instance}.")
            linked.symlink_to(name)
            checked[name] = linked
    return checked


def check_installed_with_bindir(prefix: str, units: dict) -> None:
    assert set(units) == set(UNITS) | set(USER_UNITS)
    for name, (source, dest) in units.items():
        kind = "user" if name in USER_UNITS else "system"
        assert dest.parent == Path(prefix) / "lib/systemd" / kind, name
        text = source.read_text()
        assert "@" + "bindir@" not in text, name
        if name.endswith(".service"):
            starts = [line for line in text.splitlines() if line.startswith("ExecStart=")]
            tools = re.findall(r"(/\S+)/(cachenode|permscan|logroll|inwatch|usbtidy|btprox) ", "\n".join(starts))
            assert len(starts) == 1 and tools, (name, starts)
            assert all(d == f"{prefix}/bin" for d, _ in tools), (name, starts)


def check_security_exposure(units: dict, tmp_path: Path) -> None:
    for unit in instance_dir(units, tmp_path / "security").values():
        if unit.suffix != ".service":
            continue
        r = subprocess.run([ANALYZE, "security", "--offline=yes", str(unit)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", r.stdout)
        assert m, r.stdout
        assert float(m.group(1)) <= MAX_EXPOSURE, f"{unit.name}: {m.group(1)}\n{r.stdout}"


def check_verify_where_installed(prefix: str, units: dict, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the overlays of PREFIX/bin and PREFIX/share/man need root")
    checked = instance_dir(units, tmp_path / "verify")
    bin_dir, man_dir = tmp_path / "bin", tmp_path / "man"
    bin_dir.mkdir()
    for tool in ("cachenode", "permscan", "logroll", "inwatch", "usbtidy", "btprox"):
        shutil.copy(tool_path(tool), bin_dir / tool)
    for section in ("1", "7"):
        (man_dir / f"man{section}").mkdir(parents=True)
        for page in (REPO / "man").glob(f"*.{section}"):
            shutil.copy(page, man_dir / f"man{section}" / page.name)
    script = (f'mount -t overlay overlay -o lowerdir={bin_dir}:{prefix}/bin {prefix}/bin && '
              f'mount -t overlay overlay -o lowerdir={man_dir}:{prefix}/share/man {prefix}/share/man && '
              f'exec {ANALYZE} "$@"')
    # A user manager's units are verified as one (--user), which wants a runtime directory.
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    for scope, names in (([], UNITS), (["--user"], USER_UNITS)):
        paths = [str(path) for name, path in checked.items() if name in names]
        r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *scope, "verify", *paths],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
        assert r.returncode == 0 and r.stdout == "", (scope, r.stdout)


def check_units(build: Path, tmp_path: Path) -> None:
    prefix, units = prefix_of(build), installed_units(build)
    check_installed_with_bindir(prefix, units)
    check_security_exposure(units, tmp_path)
    check_verify_where_installed(prefix, units, tmp_path)


def test_units_of_the_build(tmp_path):
    """The units of the build under test, under its prefix (/usr/local by default)."""
    check_units(BUILD, tmp_path)


def test_units_under_prefix_usr(tmp_path):
    """A tree configured with --prefix=/usr: configure_file writes the units at set-up."""
    build = tmp_path / "build"
    subprocess.run(["meson", "setup", str(build), "--prefix=/usr", "-Dtests=false"], cwd=REPO,
                   check=True, stdout=subprocess.DEVNULL)
    assert prefix_of(build) == "/usr"
    check_units(build, tmp_path)
