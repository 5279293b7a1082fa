"""Helpers for the integration tests: running commands, waiting on
conditions, talking JSON-RPC over a control socket, starting bob and alice
by hand, reading their event logs, and checking a run's --json.

The fixtures that hand these to tests live in conftest.py; this module is
plain functions so that test files can import them.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import evtable

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# where meson puts each program, relative to the build directory
PROGRAMS = {"ampsim": "sim", "alice": "sender", "bob": "receiver"}


class Build:
    """A meson build directory holding ampsim, alice and bob."""

    def __init__(self, path):
        self.dir = os.path.abspath(path)

    def exe(self, name):
        return os.path.join(self.dir, PROGRAMS[name], name)

    def missing(self):
        return [self.exe(n) for n in PROGRAMS if not os.access(self.exe(n), os.X_OK)]


def check_run_events(args, cwd, result):
    """The --events file of an `ampsim run`, line by line against the event
    table (evtable.py)."""
    args = [str(a) for a in args]
    if len(args) < 3 or os.path.basename(args[0]) != "ampsim" or args[1] != "run":
        return
    for i, a in enumerate(args[:-1]):
        if a == "--events":
            evtable.check_file(os.path.join(cwd or os.getcwd(), args[i + 1]))


# Called with (args, cwd, result) after every command run() runs: conftest.py
# registers same_run.note, which keeps the `ampsim run`s of scenarios the
# tests wrote, to play them in-process too.
RUN_OBSERVERS = [check_run_events]


def run(args, timeout=120, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    for observe in RUN_OBSERVERS:
        observe(args, kw.get("cwd"), r)
    return r


def wait_for(pred, timeout=20.0, what="condition"):
    """Poll pred() until it returns a true value and return that; bounded."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.005)


def rpc(sock, method, params=None, timeout=5.0):
    """One JSON-RPC 2.0 request over a control socket; the decoded answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        req = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return json.loads(buf)


def payment_summary(sock):
    """{payment id: outcome} from a daemon's listpayments."""
    return rpc(sock, "listpayments", {"summary": True})["result"]


def node_key(build, path):
    """The node id of the key in path (made when missing): what alice's
    --connect NODEID@HOST:PORT needs before bob has started."""
    r = subprocess.run([build.exe("ampsim"), "key", path], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def read_json(path):
    """The JSON document in path, or None while it is missing or incomplete."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_events(path):
    """The events of a JSON-lines event log; [] while it does not exist.
    Each must be as the event table has it (evtable.py)."""
    try:
        with open(path) as f:
            events = [json.loads(l) for l in f if l.strip()]
    except OSError:
        return []
    for n, ev in enumerate(events, 1):
        why = evtable.problem(ev)
        assert why is None, "%s: event %d is not as the event table has it: %s\n  %s" % (
            path, n, why, ev)
    return events


def write(dirname, name, text):
    p = os.path.join(str(dirname), name)
    with open(p, "w") as f:
        f.write(text)
    return p


# two 1btc channels, all Alice's, for scenarios written by the tests
BASE = """[sim]
seed = 9
time_scale = 20
[channel c1]
capacity = 1btc
alice = 1btc
delay = 10ms
[channel c2]
capacity = 1btc
alice = 1btc
delay = 30ms
"""


def check_run_json(out, label):
    """Both daemons' views agree, conserve money and hold nothing in flight."""
    doc = json.loads(out)
    assert doc["problems"] == [], "%s: problems: %s" % (label, doc["problems"])
    for cid, ch in doc["channels"].items():
        cap = ch["capacity_msat"]
        for side in ("alice_view", "bob_view"):
            v = ch[side]
            assert v["alice_msat"] + v["bob_msat"] + v["inflight_msat"] == cap, \
                "%s: %s %s does not conserve: %s" % (label, cid, side, v)
            assert v["inflight_msat"] == 0, "%s: %s %s still in flight" % (label, cid, side)
        assert ch["alice_view"] == ch["bob_view"], "%s: views of %s differ" % (label, cid)
    return doc


class Processes:
    """Every process a test starts; kill_all() ends those still running."""

    def __init__(self):
        self.procs = []

    def spawn(self, args, log=None, env=None):
        """Start args, its output appended to the file log (or discarded),
        with env added to the environment."""
        full = dict(os.environ, **env) if env else None
        if log is None:
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL, env=full)
        else:
            with open(log, "a") as f:
                p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=full)
        self.procs.append(p)
        return p

    def kill_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()


class Daemons:
    """bob and alice started by hand on loopback, as a lab user would.

    bob listens on port 0 and writes the port he bound to his ready file;
    alice connects to it. Both are waited on through their ready files."""

    def __init__(self, build, procs, channels=("1btc", "1btc"), bob_args=(), alice_args=(),
                 start_alice=True, bob_wrap=()):
        self.build = build
        self.processes = procs
        self.dir = tempfile.mkdtemp(prefix="ampsim-it-")
        self.procs = []
        self.bob_sock = os.path.join(self.dir, "bob.sock")
        self.alice_sock = os.path.join(self.dir, "alice.sock")
        self.bob_events = os.path.join(self.dir, "bob.events")
        self.alice_events = os.path.join(self.dir, "alice.events")
        ready = os.path.join(self.dir, "bob.ready")
        self.bob = self._spawn(list(bob_wrap) + [build.exe("bob"), "--listen", "127.0.0.1:0", "--control", self.bob_sock,
                                "--events", self.bob_events, "--ready-file", ready] + list(bob_args),
                               "bob.log")
        info = wait_for(lambda: read_json(ready), what="bob's ready file")
        self.port = info["port"]
        self.node_id = info["node_id"]
        self.alice = None
        if start_alice:
            self.start_alice(channels, alice_args)

    def start_alice(self, channels, alice_args=()):
        ready = os.path.join(self.dir, "alice.ready")
        args = [self.build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (self.node_id, self.port),
                "--control", self.alice_sock, "--events", self.alice_events,
                "--ready-file", ready, "--time-scale", "20"]
        for c in channels:
            args += ["--channel", c]
        self.alice = self._spawn(args + list(alice_args), "alice.log")
        wait_for(lambda: read_json(ready), what="alice's ready file")

    def _spawn(self, args, log):
        p = self.processes.spawn(args, os.path.join(self.dir, log))
        self.procs.append(p)
        return p

    def events(self, node):
        return read_events(self.bob_events if node == "bob" else self.alice_events)

    def log(self, node):
        with open(os.path.join(self.dir, node + ".log")) as f:
            return f.read()

    def logs(self):
        """Both daemons' output, for a failure report."""
        out = []
        for node in ("bob", "alice"):
            try:
                out.append("---- %s.log\n%s" % (node, self.log(node)))
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        """Stop both with SIGTERM; return their exit codes, alice's first
        (non-zero: a crash, a sanitizer's leak report or an invariant violation)."""
        codes = []
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            try:
                codes.append(p.wait(timeout=10))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                codes.append(-9)
        return codes

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        try:
            for path in (self.bob_events, self.alice_events):
                evtable.check_file(path)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def netns_unavailable():
    """Why network namespaces cannot be made here (None: they can). The
    tests that need them skip with this reason, as scripts/netns-lab
    refuses with it."""
    if os.geteuid() != 0:
        return "needs root to make network namespaces (ip netns add), as in a lab VM"
    if not shutil.which("ip"):
        return "needs ip from iproute2 (scripts/install-deps installs it)"
    name = "ampsim-probe-%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return "network namespaces are not allowed here (ip netns add: %s)" % r.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None
