"""A run started with --step waits before each instant, says what comes
next in plain words, and is driven from another terminal by ampsim step and
ampsim continue; the run it plays is the same as without --step."""
import json
import os
import subprocess

import pytest

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


@pytest.mark.parametrize("sig,name", [("SIGINT", "Ctrl-C"), ("SIGTERM", "SIGTERM")])
def test_ctrl_c_at_the_terminal_keeps_the_report(build, tmp_path, processes, sig, name):
    """A terminal's Ctrl-C reaches the whole foreground process group: the
    run still collects both daemons' views, reports what had happened and
    when it stopped, then stops the daemons."""
    import signal
    w = tmp_path / "long.ini"
    w.write_text("[channel c1]\ncapacity = 1000btc\ndelay = 50ms\n[workload w1]\n"
                 "count = 100000\narrival = poisson:20/s\namount = 1000sat\nmode = amp\n")
    ev = str(tmp_path / "events")
    out = tmp_path / "out"
    with open(out, "w") as o:
        p = subprocess.Popen([build.exe("ampsim"), "run", str(w), "--json", "--events", ev],
                             stdin=subprocess.DEVNULL, stdout=o, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    processes.procs.append(p)
    def alice_events():
        # alice's own event log, in the run's directory, named on her command line
        ps = subprocess.run(["pgrep", "-a", "-P", str(p.pid)], capture_output=True, text=True)
        for line in ps.stdout.splitlines():
            args = line.split()
            if "--events" in args and args[args.index("--events") + 1].endswith("alice.events"):
                return args[args.index("--events") + 1]
    log = wait_for(alice_events, timeout=30, what="alice started by the run")
    wait_for(lambda: os.path.exists(log) and open(log).read().count('"payment_outcome"') >= 20,
             timeout=60, what="some payments settled")
    os.killpg(p.pid, getattr(signal, sig))            # as a terminal or timeout(1) does
    assert p.wait(timeout=60) == 1
    doc = json.loads(out.read_text())
    settled = [k for k, v in doc["payments"].items() if v["outcome"] == "settled"]
    assert len(settled) >= 5, doc["problems"]
    assert any(q.startswith("interrupted (%s) at t = " % name) for q in doc["problems"]), doc["problems"]
    assert not any("stalled" in q or "stopped answering" in q for q in doc["problems"])
    assert subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True).stdout == b""


def test_a_prompt_names_every_timer_of_the_instant(build, tmp_path, processes):
    """At t = 1 s both adds reach bob (one delivery timer, two messages) and
    block 1 comes for both daemons: the prompt before that instant says all
    of it, each on its own line."""
    path = str(tmp_path / "same.ini")
    with open(path, "w") as f:
        f.write("[channel c1]\ncapacity = 1btc\ndelay = 50ms\n"
                "[channel c2]\ncapacity = 1btc\ndelay = 50ms\n"
                "[payment p1]\nat = 950ms\namount = 1.5btc\nmode = amp\nshards = 2\n")
    sock = str(tmp_path / "step.sock")
    log = str(tmp_path / "run.log")
    with open(str(tmp_path / "run.out"), "w") as o, open(log, "w") as e:
        p = subprocess.Popen([build.exe("ampsim"), "run", path, "--step", "--control", sock],
                             stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    processes.procs.append(p)
    wait_for(lambda: os.path.exists(sock), what="the run's step socket")
    for _ in range(3):                      # t = 0, then 950 ms, then the prompt for 1 s
        if "next instant: t = 1.000 s" in open(log).read():
            break
        assert run([build.exe("ampsim"), "step", "--control", sock]).returncode == 0
        wait_for(lambda: open(log).read().count("Enter: go on") >= 2, what="a prompt")
    text = wait_for(lambda: (lambda t: t if "next instant: t = 1.000 s" in t else None)(
        open(log).read()), what="the prompt before t = 1 s")
    prompt = text[text.index("next instant: t = 1.000 s"):].split("Enter: go on")[0]
    assert "reaches bob (and 1 more message)" in prompt, prompt
    assert "\n  alice: block 1" in prompt and "\n  bob: block 1" in prompt, prompt
    assert run([build.exe("ampsim"), "continue", "--control", sock]).returncode == 0
    assert p.wait(timeout=60) == 0
