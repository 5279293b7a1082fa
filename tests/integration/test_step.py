"""A run started with --step waits before each instant, says what comes
next in plain words, and is driven from another terminal by ampsim step and
ampsim continue; the run it plays is the same as without --step."""
import json
import os
import subprocess

from support import ROOT, rpc, run, wait_for


def comparable(summary):
    """A --json summary without its one machine-dependent part."""
    summary.get("metrics", {}).pop("wall", None)
    return summary

SCENARIO = os.path.join(ROOT, "scenarios", "05-order-invariance.ini")


def test_step_and_continue_from_another_terminal(build, tmp_path, processes):
    sock = str(tmp_path / "step.sock")
    ev_stepped = str(tmp_path / "stepped.events")
    log = str(tmp_path / "run.log")
    out = str(tmp_path / "run.out")
    with open(out, "w") as o, open(log, "w") as e:
        p = subprocess.Popen([build.exe("ampsim"), "run", SCENARIO, "--step", "--control", sock,
                              "--json", "--events", ev_stepped],
                             stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    processes.procs.append(p)
    wait_for(lambda: os.path.exists(sock), what="the run's step socket")
    r = run([build.exe("ampsim"), "step", "--control", sock])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["t_ms"] == 0.0          # it was waiting at t = 0
    # it says what the next instant holds: the add on the fast channel
    wait_for(lambda: "update_add_htlc on c2 reaches bob" in open(log).read(),
             what="the first prompt")
    r = run([build.exe("ampsim"), "step", "--control", sock])
    assert r.returncode == 0 and json.loads(r.stdout)["t_ms"] == 50.0, r.stdout
    r = run([build.exe("ampsim"), "continue", "--control", sock])
    assert r.returncode == 0, r.stderr
    assert p.wait(timeout=60) == 0
    stepped = comparable(json.load(open(out)))
    assert stepped["payments"]["p1"]["outcome"] == "settled"
    # stepping changes nothing in the run
    ev_plain = str(tmp_path / "plain.events")
    plain = comparable(json.loads(run([build.exe("ampsim"), "run", SCENARIO, "--json", "--events",
                                       ev_plain]).stdout))
    assert plain == stepped
    strip = lambda path: [{k: v for k, v in json.loads(l).items() if k != "peer"}
                          for l in open(path)]
    assert strip(ev_plain) == strip(ev_stepped)


def test_a_bad_request_on_the_step_socket(build, tmp_path, processes):
    sock = str(tmp_path / "step.sock")
    with open(str(tmp_path / "out"), "w") as o:
        p = subprocess.Popen([build.exe("ampsim"), "run", SCENARIO, "--step", "--control", sock],
                             stdin=subprocess.DEVNULL, stdout=o, stderr=subprocess.DEVNULL)
    processes.procs.append(p)
    wait_for(lambda: os.path.exists(sock), what="the run's step socket")
    r = rpc(sock, "dance")
    assert "error" in r and "step, continue, stop" in r["error"]["message"], r
    r = run([build.exe("ampsim"), "call", "--control", sock, "stop"])
    assert r.returncode == 0, r.stderr
    assert p.wait(timeout=60) == 1                     # stopped by the user: not a full run


def test_ctrl_c_stops_the_run_and_its_daemons(build, tmp_path, processes):
    import signal
    sock = str(tmp_path / "step.sock")
    out = str(tmp_path / "out")
    with open(out, "w") as o:
        p = subprocess.Popen([build.exe("ampsim"), "run", SCENARIO, "--step", "--control", sock],
                             stdin=subprocess.DEVNULL, stdout=o, stderr=subprocess.STDOUT)
    processes.procs.append(p)
    wait_for(lambda: os.path.exists(sock), what="the run's step socket")
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=60) == 1
    text = open(out).read()
    assert "interrupted (Ctrl-C)" in text, text
    assert not os.path.exists(sock)                   # cleaned up
    # its daemons are gone: nothing answers on the run's control sockets
    r = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True)
    assert r.stdout == b""


def test_control_without_step_is_refused(build, tmp_path):
    sock = str(tmp_path / "step.sock")
    r = run([build.exe("ampsim"), "run", SCENARIO, "--control", sock])
    assert r.returncode == 2 and "add --step" in r.stderr, r.stderr
    assert not os.path.exists(sock)
    r = run([build.exe("ampsim"), "step", "--control", sock])
    assert r.returncode == 1 and "no stepped run answers there" in r.stderr, r.stderr
