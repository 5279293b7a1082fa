"""The check conftest.py runs after every test (same_run.py): each scenario a
test wrote and played with the two daemons on the virtual clock is played
in-process too and must be the same run. These tests check that it picks
the right runs and that a difference fails."""
import json
import os

import pytest

import same_run
from support import ROOT, run

SCENARIO = """[sim]
seed = 2

[channel c1]
capacity = 1btc
alice = 1btc
delay = 10ms

[payment p1]
amount = 0.5btc
mode = amp
shards = 2
"""


@pytest.fixture
def fresh():
    """same_run's session state, emptied for the test and put back after."""
    saved = (list(same_run.PENDING), set(same_run.SEEN), list(same_run.COMPARED),
             list(same_run.NOT_COMPARED))
    for x in (same_run.PENDING, same_run.COMPARED, same_run.NOT_COMPARED):
        del x[:]
    same_run.SEEN.clear()
    yield same_run
    del same_run.PENDING[:]
    same_run.SEEN.clear()
    same_run.PENDING += saved[0]
    same_run.SEEN.update(saved[1])
    same_run.COMPARED[:] = saved[2]
    same_run.NOT_COMPARED[:] = saved[3]


def test_which_runs_are_two_daemon_virtual_runs():
    p = same_run._parse
    assert p(["x.ini"]) == ("x.ini", [], None, False)
    assert p(["x.ini", "--seed", "3", "--json", "--events", "e", "--timeline", "t"]) == \
        ("x.ini", ["--seed", "3"], "e", True)
    assert p(["x.ini", "--clock", "virtual", "--time-scale", "5"])[1] == ["--time-scale", "5"]
    for other in (["--in-process"], ["--clock", "wall"], ["--check"], ["--step"],
                  ["--control", "s"], ["--no-such-option"], ["y.ini"], ["--seed"]):
        assert p(["x.ini"] + other) is None, other


def test_it_notes_written_scenarios_and_compares_each_once(build, tmp_path, fresh):
    ini = tmp_path / "w.ini"
    ini.write_text(SCENARIO)
    ampsim = build.exe("ampsim")
    r = run([ampsim, "run", str(ini)])
    assert r.returncode == 0, r.stderr
    assert [(n, t, o, own) for n, t, o, own in fresh.PENDING] == [("w.ini", SCENARIO, (), None)]
    # scenarios/ is test_world.py's, unless an option makes it another run
    amp = os.path.join(ROOT, "scenarios", "03-amp.ini")
    run([ampsim, "run", amp])
    assert len(fresh.PENDING) == 1
    run([ampsim, "run", amp, "--seed", "9"])
    assert fresh.PENDING[-1][0] == "03-amp.ini" and fresh.PENDING[-1][2] == ("--seed", "9")
    # the wall clock, one process, and bad input are not such runs
    run([ampsim, "run", str(ini), "--clock", "wall", "--time-scale", "50"])
    run([ampsim, "run", "--in-process", str(ini)])
    (tmp_path / "bad.ini").write_text("[channel c1]\n")
    assert run([ampsim, "run", str(tmp_path / "bad.ini")]).returncode == 2
    assert len(fresh.PENDING) == 2
    crash = tmp_path / "crash.ini"
    crash.write_text(SCENARIO + "[fault k]\nat = 5ms\naction = crash=bob\n"
                     "[fault r]\nat = 50ms\naction = restart=bob\n")
    run([ampsim, "run", str(crash)])
    fresh.compare_pending(build, "here")
    # a crash and a restart are compared too (the world plays them)
    assert len(fresh.COMPARED) == 3, fresh.COMPARED
    assert "crash.ini (here)" in fresh.COMPARED and not fresh.NOT_COMPARED
    # each scenario once a session
    run([ampsim, "run", str(ini)])
    fresh.compare_pending(build, "here")
    assert len(fresh.COMPARED) == 3


def test_a_difference_fails(build, tmp_path, fresh):
    ini = tmp_path / "w.ini"
    ini.write_text(SCENARIO)
    ev = tmp_path / "ev.jsonl"
    r = run([build.exe("ampsim"), "run", str(ini), "--json", "--events", str(ev)])
    assert r.returncode == 0, r.stderr
    name, text, passed, own = fresh.PENDING.pop()
    assert own is not None           # its own events and summary are reused
    lines = list(own[1])
    e = json.loads(lines[-1])
    e["t_ms"] += 1
    lines[-1] = json.dumps(e)
    fresh.PENDING.append((name, text, passed, (own[0], lines)))
    with pytest.raises(AssertionError, match="event %d differs" % (len(lines) - 1)):
        fresh.compare_pending(build, "here")
    # and with the true events it holds
    fresh.SEEN.clear()
    fresh.PENDING.append((name, text, passed, own))
    fresh.compare_pending(build, "here")
    assert fresh.COMPARED == ["w.ini (here)"]
