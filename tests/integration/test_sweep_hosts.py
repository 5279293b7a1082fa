"""scripts/sweep --sshlogin over two real hosts: two network namespaces,
each running its own sshd (Debian's openssh-server) on its own address,
reached from a third namespace where the sweep runs, with key-based
authentication by a throwaway key. GNU parallel spreads the runs over the
two hosts through ssh; the hosts share the file system (as machines sharing
the work folder over NFS would), so the same build path works there and
each run's result lands in the sweep's work folder, from which the rows are
collected. Needs root, ip (iproute2) and network namespaces; elsewhere it
says which is missing and is skipped, as test_netns_lab.py is."""
import csv
import os
import shutil
import subprocess

import pytest

from support import ROOT, netns_unavailable, wait_for

SWEEP = os.path.join(ROOT, "scripts", "sweep")
SCENARIO = os.path.join(ROOT, "scenarios", "faults", "jitter.ini")
SSHD = "/usr/sbin/sshd"


def sh(*args, ns=None):
    argv = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, "%s: %s" % (" ".join(argv), r.stderr)
    return r.stdout


class Hosts:
    """Namespace ctl (where the sweep runs) joined by a veth pair to each of
    host a (10.231.1.2) and host b (10.231.2.2), each running an sshd."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        tag = os.getpid()
        self.ctl = "ampsim-swc-%d" % tag
        self.hosts = {"a": ("ampsim-swa-%d" % tag, "10.231.1"),
                      "b": ("ampsim-swb-%d" % tag, "10.231.2")}
        self.made = []
        self.sshd = []

    def up(self):
        sh("ip", "netns", "add", self.ctl)
        self.made.append(self.ctl)
        sh("ip", "-n", self.ctl, "link", "set", "lo", "up")
        # the client's key, authorized on both hosts
        key = os.path.join(self.tmp, "id")
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ampsim-sweep-test", "-f", key)
        shutil.copy(key + ".pub", os.path.join(self.tmp, "authorized_keys"))
        known, config = [], ["Host *", "  User root", "  IdentityFile " + key,
                             "  IdentitiesOnly yes", "  BatchMode yes", "  ConnectTimeout 10",
                             "  StrictHostKeyChecking yes",
                             "  UserKnownHostsFile " + os.path.join(self.tmp, "known_hosts")]
        # sshd checks for its privilege separation folder (Debian's service
        # makes it when it starts; ours is started by hand)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        for name, (ns, net) in self.hosts.items():
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            here, there = "sw%s%d" % (name, os.getpid()), "sw%sh%d" % (name, os.getpid())
            sh("ip", "link", "add", here, "netns", self.ctl, "type", "veth", "peer", "name", there,
               "netns", ns)
            sh("ip", "-n", self.ctl, "addr", "add", net + ".1/24", "dev", here)
            sh("ip", "-n", self.ctl, "link", "set", here, "up")
            sh("ip", "-n", ns, "addr", "add", net + ".2/24", "dev", there)
            sh("ip", "-n", ns, "link", "set", there, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")   # ampsim run talks on loopback
            hostkey = os.path.join(self.tmp, "host-%s" % name)
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostkey)
            with open(hostkey + ".pub") as f:
                known.append("%s.2 %s" % (net, " ".join(f.read().split()[:2])))
            cfg = os.path.join(self.tmp, "sshd-%s.conf" % name)
            with open(cfg, "w") as f:
                f.write("\n".join([
                    "ListenAddress %s.2:22" % net, "HostKey " + hostkey, "PidFile none",
                    "AuthorizedKeysFile " + os.path.join(self.tmp, "authorized_keys"),
                    "StrictModes no", "UsePAM no", "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
                    "LogLevel INFO", ""]))
            log = os.path.join(self.tmp, "sshd-%s.log" % name)
            with open(log, "w") as out:
                # a non-daemon child (-D), logging to its stderr (-e)
                self.sshd.append(subprocess.Popen(
                    ["ip", "netns", "exec", ns, SSHD, "-D", "-e", "-f", cfg],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
            wait_for(lambda: "Server listening on %s.2 port 22" % net in self.log(name)
                     or self.sshd[-1].poll() is not None, what="sshd on host " + name)
            assert self.sshd[-1].poll() is None, self.log(name)
            config += ["Host host-" + name, "  HostName %s.2" % net]
        with open(os.path.join(self.tmp, "known_hosts"), "w") as f:
            f.write("\n".join(known) + "\n")
        self.ssh_config = os.path.join(self.tmp, "ssh_config")
        with open(self.ssh_config, "w") as f:
            f.write("\n".join(config) + "\n")

    def log(self, name):
        with open(os.path.join(self.tmp, "sshd-%s.log" % name)) as f:
            return f.read()

    def down(self):
        for p in self.sshd:
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ns in self.made:
            # a session still open in it (there should be none) goes with it
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (OSError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.fixture
def hosts(tmp_path):
    why = netns_unavailable()
    if why:
        pytest.skip(why)
    assert os.access(SSHD, os.X_OK) and shutil.which("ssh") and shutil.which("ssh-keygen"), \
        "needs sshd and ssh (openssh-server, openssh-client: scripts/install-deps installs them)"
    h = Hosts(tmp_path)
    try:
        h.up()
        yield h
    finally:
        h.down()
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(ns in left for ns in h.made), left


def test_a_sweep_spreads_over_two_ssh_hosts_and_collects_every_row(build, hosts, tmp_path):
    # each run says in which namespace (host) it ran, through a wrapper
    # around ampsim at a path both hosts see
    trace = str(tmp_path / "where.log")
    wrapper = str(tmp_path / "ampsim")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\necho "$(ip netns identify $$) $*" >> %s\nexec %s "$@"\n'
                % (trace, build.exe("ampsim")))
    os.chmod(wrapper, 0o755)
    out = str(tmp_path / "runs.csv")
    logins = ["1/ssh -F %s host-%s" % (hosts.ssh_config, n) for n in ("a", "b")]
    argv = [SWEEP, SCENARIO, "--ampsim", wrapper, "--set", "channel c2.delay=100ms,300ms",
            "--seeds", "3", "--out", out]
    for login in logins:
        argv += ["--sshlogin", login]
    r = subprocess.run(["ip", "netns", "exec", hosts.ctl] + argv, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr + hosts.log("a") + hosts.log("b")
    with open(out) as f:
        rows = list(csv.DictReader(f))
    # every run's row, collected from both hosts
    assert len(rows) == 6, rows
    assert sorted((x["channel c2.delay"], x["seed"]) for x in rows) == \
        sorted((d, s) for d in ("100ms", "300ms") for s in ("1", "2", "3"))
    assert all(x["problems"] == "0" and x["views_agree"] == "True" for x in rows), rows
    # the runs themselves ran on the two hosts, none where the sweep ran
    with open(trace) as f:
        runs = [l.split() for l in f if " --seed " in l]
    where = [l[0] if l[0] != "run" else "" for l in runs]
    assert len(where) == 6, runs
    assert set(where) == {hosts.hosts["a"][0], hosts.hosts["b"][0]}, where
    # over ssh, with the throwaway key
    for name in ("a", "b"):
        assert "Accepted publickey for root" in hosts.log(name), hosts.log(name)
