"""The comparison of a two-daemon run with the in-process one (docs/world.md):
each node's events, the merged file and the --json summary must be the same
but for the wall clock and the OS's addresses. Used by test_world.py and by
every test that compares a scenario both ways."""
import json
import os
import re

from support import run

# what the world does not play yet: refused with exit 2 and a message
NOT_YET = ("crash=", "restart=")


def needs_processes_text(text):
    return any("action = " + k in text or "action=" + k in text for k in NOT_YET)


def needs_processes(path):
    with open(path) as f:
        return needs_processes_text(f.read())


def normalized(lines):
    """Event lines without what the OS decides: a peer's address."""
    out = []
    for line in lines:
        ev = json.loads(line)
        if "peer" in ev:
            ev["peer"] = ""
        out.append(json.dumps(ev, sort_keys=False))
    return out


def summary(text):
    """A --json summary without what differs between any two runs: the wall
    clock, and the run directory named in a problem."""
    j = json.loads(text)
    j.get("metrics", {}).pop("wall", None)
    j["problems"] = [re.sub(r"\(see [^)]*\)", "(see LOG)", p) for p in j.get("problems", [])]
    return j


def play(build, path, tmp, *extra, in_process):
    events = os.path.join(tmp, ("inproc" if in_process else "daemons") + ".jsonl")
    args = [build.exe("ampsim"), "run", path, "--json", "--events", events] + list(extra)
    if in_process:
        args.insert(2, "--in-process")
    r = run(args, timeout=180)
    with open(events) as f:
        lines = f.read().splitlines()
    return r, lines


def assert_same_events(two_lines, one_lines, what=""):
    a, b = normalized(two_lines), normalized(one_lines)
    for i, (x, y) in enumerate(zip(a, b)):
        assert x == y, "%sevent %d differs:\n daemons:    %s\n in-process: %s" % (what, i, x, y)
    assert len(a) == len(b), "%s%d events from the daemons, %d in-process" % (what, len(a), len(b))


def assert_same_run(build, path, tmp, *extra):
    """Play path both ways and compare; returns (two-process result, its events)."""
    two, two_lines = play(build, path, tmp, *extra, in_process=False)
    one, one_lines = play(build, path, tmp, *extra, in_process=True)
    assert two.returncode == one.returncode, (two.stderr, one.stderr)
    assert len(one_lines) > 5
    assert_same_events(two_lines, one_lines)
    assert summary(two.stdout) == summary(one.stdout)
    return two, two_lines
