"""ampsim swarm: random scenarios played in-process with the state checker
after every event (docs/world.md). The default swarm holds every invariant;
an eager Bob breaks MPP's atomicity and the swarm finds it, makes the
scenario smaller and writes it where ampsim run replays it, on the world
and on the two daemons; and random scenarios are the same run both ways."""
import glob
import json
import os
import re

from support import run
from same_run import normalized, summary


def swarm(build, *args, timeout=120):
    return run([build.exe("ampsim"), "swarm"] + list(args), timeout=timeout)


def test_a_swarm_holds_every_invariant(build, tmp_path):
    r = swarm(build, "--count", "300", "--seed", "5", "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"^(\d+) scenarios played, (\d+) events checked, in [0-9.]+ s "
                  r"\((\d+) scenarios per minute\): every invariant held$", r.stdout, re.M)
    assert m, r.stdout
    assert int(m.group(1)) == 300 and int(m.group(2)) > 300 * 20
    assert not glob.glob(str(tmp_path / "*.ini"))   # nothing broke, nothing written


def test_an_eager_bob_breaks_mpp_and_the_swarm_shows_how(build, tmp_path):
    r = swarm(build, "--count", "2000", "--seed", "1", "--bob", "eager", "--out", str(tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    m = re.search(r"^scenario (\d+) of seed 1: (atomicity: mpp payment \S+ .*)$", r.stdout, re.M)
    assert m, r.stdout
    path = tmp_path / ("swarm-1-%s.ini" % m.group(1))
    text = path.read_text()
    assert "behaviour = eager" in text and "broken: atomicity" in text
    # made smaller: one channel and one payment source are enough
    assert text.count("[channel ") == 1, text
    assert text.count("[payment ") + text.count("[workload ") == 1, text
    # it replays, on the world and on the two daemons, to the same break
    for extra in (["--in-process"], []):
        rr = run([build.exe("ampsim"), "run"] + extra + [str(path), "--json"], timeout=120)
        assert rr.returncode == 1, rr.stderr
        j = json.loads(rr.stdout)
        outcomes = [p["outcome"] for p in j["payments"].values()]
        if j.get("workloads"):
            outcomes += [o for w in j["workloads"].values() for o, n in w["outcomes"].items()
                         if n and o == "partial"]
        assert "partial" in outcomes, j
        assert any("invariant violation" in p for p in j["problems"]), j["problems"]


def test_random_scenarios_are_the_same_run_in_one_process_or_two(build, tmp_path):
    r = swarm(build, "--count", "8", "--seed", "21", "--keep", "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout
    files = sorted(glob.glob(str(tmp_path / "swarm-21-*.ini")))
    assert len(files) == 8
    for f in files:
        outs = []
        for extra in (["--in-process"], []):
            ev = str(tmp_path / "events.jsonl")
            rr = run([build.exe("ampsim"), "run"] + extra + [f, "--json", "--events", ev],
                     timeout=120)
            with open(ev) as fh:
                outs.append((rr.returncode, summary(rr.stdout), normalized(fh.read().splitlines())))
        assert outs[0][0] == outs[1][0], f
        assert outs[0][2] == outs[1][2], "events differ: " + f
        assert outs[0][1] == outs[1][1], "summaries differ: " + f


def test_the_swarm_crashes_either_side_and_replays_it_on_the_daemons(build, tmp_path):
    # crashes and restarts of alice and of bob are drawn; the scenarios
    # that have them are the same run in one process or two
    r = swarm(build, "--count", "60", "--seed", "11", "--keep", "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout
    crashed = {"alice": [], "bob": []}
    for f in sorted(glob.glob(str(tmp_path / "swarm-11-*.ini"))):
        text = open(f).read()
        for node in crashed:
            if "action = crash=" + node in text:
                assert "action = restart=" + node in text, f
                crashed[node].append(f)
    assert crashed["alice"] and crashed["bob"], crashed
    for f in crashed["alice"][:2] + crashed["bob"][:2]:
        outs = []
        for extra in (["--in-process"], []):
            ev = str(tmp_path / "events.jsonl")
            rr = run([build.exe("ampsim"), "run"] + extra + [f, "--json", "--events", ev],
                     timeout=120)
            with open(ev) as fh:
                lines = fh.read().splitlines()
            outs.append((rr.returncode, summary(rr.stdout), normalized(lines)))
        assert any('"event": "restart"' in l for l in outs[0][2]), f
        assert outs[0][0] == outs[1][0], f
        assert outs[0][2] == outs[1][2], "events differ: " + f
        assert outs[0][1] == outs[1][1], "summaries differ: " + f


def test_swarm_bad_usage(build, tmp_path):
    for args, what in ((["--count", "0"], "--count"), (["--bob", "nobody"], "--bob"),
                       (["--out", str(tmp_path / "missing")], "--out"), (["extra"], "extra")):
        r = swarm(build, *args)
        assert r.returncode == 2 and what in r.stderr, (args, r.stderr)
