"""The comparison of a two-daemon run with the in-process one (docs/world.md):
each node's events, the merged file and the --json summary must be the same
but for the wall clock and the OS's addresses. Used by test_world.py and by
every test that compares a scenario both ways."""
import json
import os
import re
import shutil
import tempfile

import evtable
from support import ROOT, run

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
    global _playing
    _playing = True            # a comparison's own runs are compared already
    try:
        r = run(args, timeout=180)
    finally:
        _playing = False
    with open(events) as f:
        lines = f.read().splitlines()
    return r, lines


def assert_same_events(two_lines, one_lines, what=""):
    evtable.check_lines(two_lines, what + "the daemons' events")
    evtable.check_lines(one_lines, what + "the in-process events")
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


# ---------------------------------------------------------------------------
# Every scenario a test plays on the virtual clock with the two daemons is
# played in-process too (conftest.py, after the test): the same events and
# summary. scenarios/ is test_world.py's; a run that options or the file put
# elsewhere (the wall clock, --in-process itself, --step) is not a
# two-daemon virtual run.

# options of `ampsim run` that take a value, and those that change the run
# and are passed on to both replays
VALUE_OPTS = {"--seed", "--time-scale", "--events", "--timeline", "--pcap", "--clock", "--speed",
              "--control", "--keep-payments"}
PASSED_ON = {"--seed", "--time-scale"}
FLAGS = {"--json", "--keep", "--progress", "-v", "--verbose"}
NOT_A_DAEMON_RUN = {"--in-process", "--check", "--step", "--control", "--help", "--version"}

_playing = False
PENDING = []           # (name, text, options, its run or None) noted during the current test
SEEN = set()           # (text, options) already compared or counted
COMPARED = []          # what, for the summary at the end
NOT_COMPARED = []      # (what, why)


def _parse(argv):
    """(scenario path, options passed on, its --events file, --json) of
    `ampsim run ARGS`, or None when it is not a two-daemon run on the
    virtual clock."""
    path, passed, events, i = None, [], None, 0
    while i < len(argv):
        a = argv[i]
        if a in NOT_A_DAEMON_RUN:
            return None
        if a in VALUE_OPTS:
            if i + 1 >= len(argv):
                return None
            if a == "--clock" and argv[i + 1] != "virtual":
                return None
            if a in PASSED_ON:
                passed += [a, argv[i + 1]]
            if a == "--events":
                events = argv[i + 1]
            i += 2
            continue
        if a in FLAGS:
            i += 1
            continue
        if a.startswith("-") or path is not None:
            return None        # an option this does not know: leave it alone
        path = a
        i += 1
    return (path, passed, events, "--json" in argv) if path else None


def _sim_key(text, key):
    """The value of a key of [sim], or None."""
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            section = line.strip("[]").strip()
        elif section == "sim" and "=" in line:
            k, v = (x.strip() for x in line.split("=", 1))
            if k == key:
                return v
    return None


def note(args, cwd, result):
    """support.run's observer: keep a two-daemon virtual run of a written
    scenario that ran to its end (exit 0 or 1; 2 is bad input)."""
    args = [str(a) for a in args]
    if _playing or len(args) < 3 or os.path.basename(args[0]) != "ampsim" or args[1] != "run":
        return
    if result.returncode not in (0, 1):
        return
    parsed = _parse(args[2:])
    if not parsed:
        return
    path, passed, events, as_json = parsed
    full = os.path.join(cwd or os.getcwd(), path)
    if not passed and os.path.realpath(full).startswith(
            os.path.join(os.path.realpath(ROOT), "scenarios") + os.sep):
        return                 # test_world.py plays every file there both ways
    try:
        with open(full) as f:
            text = f.read()
    except OSError:
        return
    if _sim_key(text, "clock") == "wall" or _sim_key(text, "processes") == "1":
        return
    # the test's own run, when it kept both its events and its summary:
    # then only the in-process side needs playing
    own = None
    if events and as_json:
        try:
            with open(os.path.join(cwd or os.getcwd(), events)) as f:
                own = (result, f.read().splitlines())
        except OSError:
            own = None
    PENDING.append((os.path.basename(path), text, tuple(passed), own))


def compare_pending(build, nodeid):
    """Play the scenarios the test noted both ways and compare them; each
    (text, options) once a session."""
    pending = list(PENDING)
    del PENDING[:]
    for name, text, passed, own in pending:
        if (text, passed) in SEEN:
            continue
        SEEN.add((text, passed))
        what = "%s (%s%s)" % (name, nodeid, " " + " ".join(passed) if passed else "")
        d = tempfile.mkdtemp(prefix="ampsim-same-run-")
        try:
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(text)
            two, two_lines = own or play(build, path, d, *passed, in_process=False)
            one, one_lines = play(build, path, d, *passed, in_process=True)
            where = "the scenario %s played by this test, in-process: " % name
            assert two.returncode == one.returncode, (where + "exit %d, daemons %d" % (
                one.returncode, two.returncode), two.stderr, one.stderr)
            assert_same_events(two_lines, one_lines, where)
            assert summary(two.stdout) == summary(one.stdout), where + "the --json summaries differ"
            COMPARED.append(what)
        finally:
            shutil.rmtree(d, ignore_errors=True)
