"""btprox against BlueZ, logind and a screensaver mocked by python3-dbusmock on private buses.

Each test starts its own dbus-daemon for the "system" bus (and one for the session bus when
it needs one), points btprox at them with DBUS_SYSTEM_BUS_ADDRESS and
DBUS_SESSION_BUS_ADDRESS, and drives the device's RSSI over D-Bus the way bluetoothd
announces it: a PropertiesChanged signal from the device's object.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import (Result, assert_no_sanitizer_report, generated_unit, run_tool, tool_env, tool_path,
                      unit_settings, wait_until)

dbus = pytest.importorskip("dbus")
pytest.importorskip("dbusmock")

PHONE = "11:22:33:44:55:66"
PHONE_PATH = "/org/bluez/hci0/dev_11_22_33_44_55_66"
MOCK = "org.freedesktop.DBus.Mock"
SESSION_IFACE = "org.freedesktop.login1.Session"

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>{kind}</type><listen>unix:path={socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/></policy></busconfig>
"""


class Bus:
    """A private dbus-daemon, and the mocks started on it."""

    def __init__(self, tmp_path, kind):
        self.dir = tmp_path
        self.kind = kind
        conf = tmp_path / f"{kind}.conf"
        conf.write_text(BUS_CONF.format(kind=kind, socket=tmp_path / f"{kind}.sock"))
        self.daemon = subprocess.Popen(["dbus-daemon", f"--config-file={conf}", "--nofork", "--print-address=1"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.address = self.daemon.stdout.readline().decode().strip()
        assert self.address, "dbus-daemon did not start"
        self.conn = dbus.bus.BusConnection(self.address)
        self.mocks = []

    def start_mock(self, template, name, parameters=None):
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS" if self.kind == "system" else "DBUS_SESSION_BUS_ADDRESS"] = self.address
        argv = [sys.executable, "-m", "dbusmock", "--system" if self.kind == "system" else "--session",
                "--template", template]
        if parameters:
            argv += ["--parameters", parameters]
        log = open(self.dir / f"mock-{template}.log", "wb")
        p = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.mocks.append(p)
        wait_until(lambda: self.conn.name_has_owner(name) or p.poll() is not None, 20, f"{name} on the bus")
        assert p.poll() is None, (self.dir / f"mock-{template}.log").read_text()
        return p

    def obj(self, service, path, iface):
        return dbus.Interface(self.conn.get_object(service, path), iface)

    def prop(self, service, path, iface, name):
        return self.obj(service, path, "org.freedesktop.DBus.Properties").Get(iface, name)

    def stop(self):
        for p in self.mocks:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        self.conn.close()
        self.daemon.terminate()
        self.daemon.wait(10)


@pytest.fixture
def system(tmp_path):
    d = tmp_path / "system"
    d.mkdir()
    bus = Bus(d, "system")
    yield bus
    bus.stop()


@pytest.fixture
def session(tmp_path):
    d = tmp_path / "session"
    d.mkdir()
    bus = Bus(d, "session")
    yield bus
    bus.stop()


@pytest.fixture
def bluez(system):
    """bluetoothd with adapter hci0 and one unpaired phone."""
    system.start_mock("bluez5", "org.bluez")
    m = system.obj("org.bluez", "/org/bluez", "org.bluez.Mock")
    m.AddAdapter("hci0", "laptop")
    m.AddDevice("hci0", PHONE, "My Phone")
    return system


def set_rssi(bus, rssi, path=PHONE_PATH):
    bus.obj("org.bluez", path, MOCK).UpdateProperties("org.bluez.Device1", {"RSSI": dbus.Int16(rssi)})


def env_for(system, session=None, **extra):
    env = {"DBUS_SYSTEM_BUS_ADDRESS": system.address,
           "DBUS_SESSION_BUS_ADDRESS": session.address if session else "unix:path=/nonexistent/session-bus"}
    env.update(extra)
    return env


class Watch:
    """btprox watch running in the background, its log lines read as they come."""

    def __init__(self, tmp_path, env, *args):
        self.log = tmp_path / "watch.log"
        self.argv = [os.fspath(tool_path("btprox")), "watch", *map(str, args)]
        e = tool_env(env)
        e.pop("XDG_SESSION_ID", None)
        e.update({k: v for k, v in env.items()})
        with open(self.log, "wb") as f:
            self.p = subprocess.Popen(self.argv, env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=f)

    def lines(self, msg=None):
        text = self.log.read_text(errors="replace")
        lines = text.splitlines()
        if msg is None:
            return lines
        return [ln for ln in lines if f" msg={msg} " in ln + " " or f' msg="{msg}"' in ln]

    def wait_for(self, msg, count=1, timeout=10):
        wait_until(lambda: len(self.lines(msg)) >= count or self.p.poll() is not None, timeout)
        assert len(self.lines(msg)) >= count, f"no {count} line(s) msg={msg}:\n" + "\n".join(self.lines())

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        out, _ = self.p.communicate(timeout=15)
        r = Result(self.argv, self.p.returncode, out, self.log.read_text(errors="surrogateescape"))
        assert_no_sanitizer_report(r)
        return r


@pytest.fixture
def watcher(tmp_path):
    started = []

    def start(env, *args):
        w = Watch(tmp_path, env, *args)
        started.append(w)
        w.wait_for("watching")
        return w

    yield start
    for w in started:
        if w.p.poll() is None:
            w.p.kill()
            w.p.wait()


# --- scan -------------------------------------------------------------------------------------

def test_scan_lists_devices_with_rssi_and_stops_discovery(bluez):
    set_rssi(bluez, -48)
    r = run_tool("btprox", "scan", "--timeout", "0.2", env=env_for(bluez))
    assert r.rc == 0, r
    assert r.lines() == ["ADDRESS            RSSI  PAIRED  CONNECTED  NAME",
                         "11:22:33:44:55:66   -48  no      no         My Phone"]
    adapter = ("org.bluez", "/org/bluez/hci0", "org.bluez.Adapter1")
    f = bluez.prop(*adapter, "DiscoveryFilter")
    assert f["DuplicateData"] is True or f["DuplicateData"] == 1
    assert f["Transport"] == "auto"
    assert not bluez.prop(*adapter, "Discovering")

    r = run_tool("btprox", "scan", "--timeout", "0.2", "--format", "json", env=env_for(bluez))
    assert r.rc == 0, r
    assert r.json_lines() == [{"address": PHONE, "address_type": "public", "name": "My Phone", "rssi": -48,
                               "paired": False, "connected": False, "adapter": "hci0"}]


def test_scan_shows_paired_and_connected(bluez):
    m = bluez.obj("org.bluez", "/org/bluez", "org.bluez.Mock")
    m.AddDevice("hci0", "AA:BB:CC:DD:EE:FF", "Headset")
    bluez.obj("org.bluez", "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF", MOCK).UpdateProperties(
        "org.bluez.Device1", {"Paired": True, "Connected": True, "Alias": "My Headset"})
    r = run_tool("btprox", "scan", "--timeout", "0.1", "--format", "json", env=env_for(bluez))
    assert r.rc == 0, r
    rows = {d["address"]: d for d in r.json_lines()}
    assert list(rows) == ["11:22:33:44:55:66", "AA:BB:CC:DD:EE:FF"]
    assert rows["AA:BB:CC:DD:EE:FF"]["paired"] is True
    assert rows["AA:BB:CC:DD:EE:FF"]["connected"] is True
    assert rows["AA:BB:CC:DD:EE:FF"]["name"] == "My Headset", "the Alias, which the user may have set"
    assert rows[PHONE]["paired"] is False


def test_no_bluetoothd(system):
    r = run_tool("btprox", "scan", "--timeout", "0.1", env=env_for(system))
    assert r.rc == 2, r
    assert r.err_lines() == ["btprox: org.bluez: bluetoothd is not running (no owner of org.bluez on the system bus)"]


def test_no_system_bus(tmp_path):
    r = run_tool("btprox", "scan", env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/none"})
    assert r.rc == 2, r
    assert r.err_lines() == [f"btprox: system bus (DBUS_SYSTEM_BUS_ADDRESS=unix:path={tmp_path}/none): connect: "
                             "No such file or directory"]


def test_no_adapter_or_the_wrong_one(system):
    system.start_mock("bluez5", "org.bluez")
    r = run_tool("btprox", "scan", env=env_for(system))
    assert r.rc == 2, r
    assert r.err_lines() == ["btprox: no Bluetooth adapter (bluetoothd has none)"]
    system.obj("org.bluez", "/org/bluez", "org.bluez.Mock").AddAdapter("hci0", "laptop")
    r = run_tool("btprox", "--adapter", "hci1", "watch", "--name", "x", env=env_for(system))
    assert r.rc == 2, r
    assert r.err_lines() == ["btprox: hci1: no such adapter (hci0 is there)"]


def test_powered_off_adapter(bluez):
    adapter = ("org.bluez", "/org/bluez/hci0", "org.bluez.Adapter1")
    bluez.obj("org.bluez", "/org/bluez/hci0", MOCK).UpdateProperties("org.bluez.Adapter1", {"Powered": False})
    r = run_tool("btprox", "scan", "--timeout", "0.1", env=env_for(bluez))
    assert r.rc == 2, r
    assert r.err_lines() == ["btprox: hci0: the adapter is powered off (--power-on turns it on)"]
    assert not bluez.prop(*adapter, "Powered")
    r = run_tool("btprox", "scan", "--power-on", "--timeout", "0.1", env=env_for(bluez))
    assert r.rc == 0, r
    assert bluez.prop(*adapter, "Powered")


@pytest.mark.parametrize("args,message", [
    (["watch"], "btprox: watch: needs the device: --device ADDR or --name NAME"),
    (["watch", "--device", "11:22:33"], "btprox: --device: '11:22:33' is not a Bluetooth address (11:22:33:AA:BB:CC)"),
    (["watch", "--name", "p", "--away", "loud"], "btprox: --away: 'loud' is not an RSSI in whole dBm from -127 to 20"),
    (["watch", "--name", "p", "--away", "-60", "--near", "-70"], "btprox: --near: must not be below --away (-70 < -60)"),
    (["watch", "--name", "p", "--window", "0"], "btprox: --window: '0' is not a count of samples from 1 to 1000"),
    (["watch", "--name", "p", "--smooth", "mode"], "btprox: --smooth: 'mode' is not median or mean"),
    (["watch", "--name", "p", "--lost", "0"], "btprox: --lost: '0' is not a number of seconds above 0, up to 86400"),
    (["--transport", "usb", "scan"], "btprox: --transport: 'usb' is not auto, le or bredr"),
    (["scan", "--timeout", "-1"], "btprox: --timeout: '-1' is not a number of seconds from 0 to 3600"),
    (["--format", "json", "watch", "--name", "p"],
     "btprox: --format: watch writes no records, only log lines (--log-format json)"),
])
def test_usage_errors(args, message):
    r = run_tool("btprox", *args)
    assert r.rc == 2, r
    assert r.err_lines() == [message, "Try 'btprox --help' for more information."]


# --- watch ------------------------------------------------------------------------------------

def feed(bus, values, pause=0.03, path=PHONE_PATH):
    for v in values:
        set_rssi(bus, v, path)
        time.sleep(pause)


def test_watch_hysteresis_acts_once_per_transition(bluez, watcher, tmp_path):
    events = tmp_path / "events"
    w = watcher(env_for(bluez), "--device", PHONE.lower(), "--window", "3", "--lost", "30",
                "--on-away", f"echo away $BTPROX_RSSI >> {events}", "--on-near", f"echo near >> {events}")
    adapter = ("org.bluez", "/org/bluez/hci0", "org.bluez.Adapter1")
    assert bluez.prop(*adapter, "Discovering")
    f = bluez.prop(*adapter, "DiscoveryFilter")
    assert f["Transport"] == "le" and f["DuplicateData"]

    feed(bluez, [-50, -52, -51])
    w.wait_for("near")
    # One sample far below the threshold is noise: the median of three ignores it.
    feed(bluez, [-95, -50, -52, -90, -51])
    # Between --away and --near the state holds.
    feed(bluez, [-65, -66, -64, -67, -65])
    time.sleep(0.3)
    assert len(w.lines("away")) == 0
    feed(bluez, [-80, -82, -85, -84, -90])
    w.wait_for("away")
    feed(bluez, [-62, -61, -58, -61, -63])
    time.sleep(0.3)
    assert len(w.lines("near")) == 1, "a median of -61 is not above --near -60"
    feed(bluez, [-55, -54, -53])
    w.wait_for("near", 2)
    wait_until(lambda: events.exists() and len(events.read_text().splitlines()) == 3, 5, "three commands")
    assert events.read_text().splitlines() == ["near", "away -84.0", "near"]
    r = w.stop()
    assert r.rc == 0, r
    assert len(w.lines("away")) == 1 and len(w.lines("near")) == 2
    assert "cause=rssi smoothed_rssi=-84.0" in w.lines("away")[0]
    assert not bluez.prop(*adapter, "Discovering"), "SIGTERM stops discovery"


def test_watch_mean_smoothing(bluez, watcher):
    w = watcher(env_for(bluez), "--device", PHONE, "--window", "4", "--smooth", "mean", "--lost", "30", "--verbose")
    feed(bluez, [-50, -50, -50, -70])
    w.wait_for("near")
    assert [ln.split(" rssi=")[1] for ln in w.lines("rssi")] == ["-50", "-50", "-50", "-70"]
    assert "smoothed_rssi=-55.0" in w.lines("near")[0]
    # Away once the mean has stayed below -70 for the window, four samples in a row: the
    # means are -67, -79, -91, -98, -98.
    feed(bluez, [-98, -98, -98])
    time.sleep(0.3)
    assert len(w.lines("away")) == 0
    feed(bluez, [-98, -98])
    w.wait_for("away")
    assert "smoothed_rssi=-98.0" in w.lines("away")[0]


def test_watch_device_not_heard_is_lost(bluez, watcher):
    w = watcher(env_for(bluez), "--device", PHONE, "--window", "2", "--lost", "1")
    feed(bluez, [-50, -50])
    w.wait_for("near")
    t0 = time.monotonic()
    # bluetoothd removes a device it no longer hears; silence is what btprox acts on.
    bluez.obj("org.bluez", "/org/bluez/hci0", "org.bluez.Adapter1").RemoveDevice(dbus.ObjectPath(PHONE_PATH))
    w.wait_for("device removed by bluetoothd")
    w.wait_for("away", timeout=5)
    assert 0.5 < time.monotonic() - t0 < 3
    assert "cause=lost" in w.lines("away")[0]
    assert f"address={PHONE}" in w.lines("away")[0]
    time.sleep(1.2)
    assert len(w.lines("away")) == 1, "lost once, not at every --lost interval"


def test_watch_by_name_follows_a_rotating_address(bluez, watcher):
    w = watcher(env_for(bluez), "--name", "My Phone", "--window", "2", "--lost", "30")
    feed(bluez, [-50, -50])
    w.wait_for("near")
    # An unpaired phone's next private address is a new device object with the same name.
    new = bluez.obj("org.bluez", "/org/bluez", "org.bluez.Mock").AddDevice("hci0", "5A:00:00:00:00:01", "My Phone")
    w.wait_for("device found", 2)
    feed(bluez, [-90, -91, -92], path=new)
    w.wait_for("away")
    assert "address=5A:00:00:00:00:01" in w.lines("away")[0]


def test_watch_paired_device_by_identity_address(bluez, watcher):
    m = bluez.obj("org.bluez", "/org/bluez", "org.bluez.Mock")
    m.PairDevice("hci0", PHONE, dbus.UInt32(5898764))
    w = watcher(env_for(bluez), "--device", PHONE, "--window", "2", "--lost", "30")
    assert "paired=true" in w.lines("device found")[0]
    # Another device nearby with a strong signal changes nothing.
    other = m.AddDevice("hci0", "5A:00:00:00:00:02", "Tablet")
    feed(bluez, [-40, -40], path=other)
    feed(bluez, [-80, -80, -80])
    w.wait_for("away")
    assert len(w.lines("near")) == 0


def test_watch_restarts_discovery_stopped_by_someone_else(bluez, watcher):
    w = watcher(env_for(bluez), "--device", PHONE, "--lost", "30")
    adapter = bluez.obj("org.bluez", "/org/bluez/hci0", "org.bluez.Adapter1")
    adapter.StopDiscovery()
    w.wait_for("restarting discovery")
    wait_until(lambda: bluez.prop("org.bluez", "/org/bluez/hci0", "org.bluez.Adapter1", "Discovering"), 5,
               "discovery on again")


def test_watch_bluetoothd_going_away_is_trouble(bluez, watcher):
    w = watcher(env_for(bluez), "--device", PHONE, "--lost", "30")
    bluez.mocks[0].terminate()
    w.p.wait(10)
    r = w.stop()
    assert r.rc == 2, r
    assert 'msg="org.bluez: bluetoothd went away"' in r.err


# --- locking ----------------------------------------------------------------------------------

@pytest.fixture
def logind(system):
    system.start_mock("logind", "org.freedesktop.login1")
    # The template's GetUser adds a number to a string; the real logind returns this path.
    system.obj("org.freedesktop.login1", "/org/freedesktop/login1", MOCK).AddMethod(
        "org.freedesktop.login1.Manager", "GetUser", "u", "o", 'ret = "/org/freedesktop/login1/user/%d" % args[0]')
    path = system.obj("org.freedesktop.login1", "/org/freedesktop/login1", MOCK).AddSession(
        "c1", "seat0", dbus.UInt32(os.getuid()), "me", True)
    return path


def lock_calls(bus, path):
    return [c for c in bus.obj("org.freedesktop.login1", path, MOCK).GetCalls() if c[1] == "Lock"]


def test_lock_through_logind(bluez, logind, watcher):
    # A desktop that locks when logind tells it to, and says so with SetLockedHint.
    bluez.obj("org.freedesktop.login1", logind, MOCK).AddMethod(
        SESSION_IFACE, "Lock", "", "", 'self.UpdateProperties("", {"LockedHint": dbus.Boolean(True)})')
    w = watcher(env_for(bluez, XDG_SESSION_ID="c1"), "--device", PHONE, "--window", "2", "--lost", "30", "--lock")
    feed(bluez, [-90, -90, -90])
    w.wait_for("locked")
    assert "via=logind" in w.lines("locked")[0]
    assert f"session={logind}" in w.lines("locked")[0]
    assert len(lock_calls(bluez, logind)) == 1
    assert bluez.prop("org.freedesktop.login1", logind, SESSION_IFACE, "LockedHint")


def test_lock_finds_the_users_session_without_xdg_session_id(bluez, logind, watcher):
    bluez.obj("org.freedesktop.login1", logind, MOCK).AddMethod(
        SESSION_IFACE, "Lock", "", "", 'self.UpdateProperties("", {"LockedHint": dbus.Boolean(True)})')
    w = watcher(env_for(bluez), "--device", PHONE, "--window", "1", "--lost", "30", "--lock")
    feed(bluez, [-90])
    w.wait_for("locked")
    assert "via=logind" in w.lines("locked")[0]


def test_lock_falls_back_when_nothing_sets_locked_hint(bluez, logind, session, watcher):
    session.start_mock("gnome_screensaver", "org.gnome.ScreenSaver")
    w = watcher(env_for(bluez, session, XDG_SESSION_ID="c1"), "--device", PHONE, "--window", "1", "--lost", "30",
                "--lock", "--lock-wait", "0.3")
    feed(bluez, [-90])
    w.wait_for("locked", timeout=15)
    assert "via=org.gnome.ScreenSaver" in w.lines("locked")[0]
    assert len(lock_calls(bluez, logind)) == 1, "logind was tried first"
    assert session.obj("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver").GetActive()


def test_lock_failure_says_why_for_each_way(bluez, logind, watcher, tmp_path):
    # No screensaver on the session bus, and an xdg-screensaver that fails.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "xdg-screensaver").write_text("#!/bin/sh\nexit 4\n")
    (fake_bin / "xdg-screensaver").chmod(0o755)
    session_bus = Bus(tmp_path, "session")
    try:
        w = watcher(env_for(bluez, session_bus, XDG_SESSION_ID="c1", PATH=f"{fake_bin}:{os.environ['PATH']}"),
                    "--device", PHONE, "--window", "1", "--lost", "30", "--lock", "--lock-wait", "0.2")
        feed(bluez, [-90])
        w.wait_for("lock failed")
        line = w.lines("lock failed")[0]
        assert "logind: Session.Lock succeeded but LockedHint stayed false for 200 ms" in line
        assert "org.gnome.ScreenSaver /org/gnome/ScreenSaver org.gnome.ScreenSaver.Lock: " \
               "org.freedesktop.DBus.Error.ServiceUnknown" in line
        assert "xdg-screensaver lock: exit status 4" in line
    finally:
        session_bus.stop()


def test_lock_without_a_session_is_trouble(bluez, system):
    system.start_mock("logind", "org.freedesktop.login1")
    r = run_tool("btprox", "watch", "--device", PHONE, "--lock", env=env_for(bluez, XDG_SESSION_ID="c9"))
    assert r.rc == 2, r
    assert r.err_lines()[0].startswith("btprox: --lock: logind: no session to lock (XDG_SESSION_ID=c9): ")
    env = env_for(bluez)
    r = run_tool("btprox", "watch", "--device", PHONE, "--lock", env=env)
    assert r.rc == 2, r
    assert r.err_lines()[0].startswith(f"btprox: --lock: logind: no session to lock (user {os.getuid()})")


# --- the systemd user unit ------------------------------------------------------------------

UNIT = generated_unit("btprox", "btprox@.service")


def test_systemd_user_unit(tmp_path):
    text = UNIT.read_text()
    unit = unit_settings(text)
    service = unit["Service"]
    assert service["Type"] == ["notify"]
    exec_start = service["ExecStart"][0].split()
    assert exec_start[1:] == ["watch", "--device", "%i", "--lock"]
    assert exec_start[0].endswith("/bin/btprox"), exec_start
    assert unit["Install"]["WantedBy"] == ["graphical-session.target"]
    # The command line the unit runs is one btprox accepts, up to needing a bus.
    r = run_tool("btprox", *[PHONE if word == "%i" else word for word in exec_start[1:]],
                 env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/none"})
    assert r.rc == 2 and "system bus" in r.err and "Try" not in r.err, r
    analyze = shutil.which("systemd-analyze")
    if analyze:
        # systemd's own parser, as the user manager would read it, on a copy that starts the
        # binary under test.  (An instance named with colons is fine for systemctl; verify's
        # alias check stumbles on it, so the copy's instance is a plain word.)
        copy = tmp_path / "btprox@x.service"
        copy.write_text(text.replace(exec_start[0], str(tool_path("btprox"))))
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700)
        p = subprocess.run([analyze, "--user", "verify", "--man=no", str(copy)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
        assert p.returncode == 0 and p.stdout == b"", p.stdout.decode()
