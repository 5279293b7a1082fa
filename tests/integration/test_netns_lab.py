"""scripts/netns-lab: bob and alice in two network namespaces joined by a
veth pair, the story's payment across it, the chain served from bob's host
over TCP (and with --lose-fulfill, bob's claim on it). Needs root, ip
(iproute2) and network namespaces (a lab VM, this CI); elsewhere it says
which is missing and is skipped."""
import os
import subprocess

import pytest

from support import ROOT, netns_unavailable, run

LAB = os.path.join(ROOT, "scripts", "netns-lab")


def test_the_story_across_two_namespaces(build):
    why = netns_unavailable()
    if why:
        pytest.skip(why)
    r = run([LAB, "--build", build.dir], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert '"outcome": "settled"' in r.stdout and "both hosts agree" in r.stdout, r.stdout
    assert '"peer":"10.231.0.1:' in r.stdout, r.stdout          # alice came from host A
    assert "the simulated chain served on 10.231.0.2:9736" in r.stdout, r.stdout
    leftover = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "ampsim-a-" not in leftover and "ampsim-b-" not in leftover, leftover


def test_a_lost_fulfill_is_claimed_on_the_chain_served_from_host_b(build):
    why = netns_unavailable()
    if why:
        pytest.skip(why)
    r = run([LAB, "--build", build.dir, "--lose-fulfill"], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert '"outcome": "settled"' in r.stdout and "both hosts agree" in r.stdout, r.stdout
    # bob's claim crossed to the server on his host; alice read it across the veth
    assert "on chain: claim from 10.231.0.2:" in r.stdout and "c1/0 spent" in r.stdout, r.stdout
    assert "alice learned c1's preimage from the chain served on host B" in r.stdout, r.stdout
    leftover = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "ampsim-a-" not in leftover and "ampsim-b-" not in leftover, leftover


def test_netns_lab_refuses_what_it_cannot_do(build, tmp_path):
    r = run([LAB, "--build", str(tmp_path)])
    assert r.returncode == 2 and "is not built" in r.stderr, r.stderr
    r = run([LAB, "--version"])
    assert r.returncode == 0 and "netns-lab" in r.stdout


def test_a_missing_ip_is_named_rather_than_a_crash(monkeypatch, tmp_path):
    # a bare Debian without iproute2: the probe says what to install
    monkeypatch.setenv("PATH", str(tmp_path))
    why = netns_unavailable()
    assert why is not None
    assert "iproute2" in why or "root" in why, why
