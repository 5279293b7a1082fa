"""[workload] sections under ampsim run: many payments from one description,
summarised per workload, checked by [expect] shares, and the same for the
same seed."""
import json

from support import run, write


def comparable(summary):
    """A --json summary without its one machine-dependent part."""
    summary.get("metrics", {}).pop("wall", None)
    return summary


def scenario(tmp_path, count=300, expect="settled >= 99%", drop="0"):
    return write(str(tmp_path), "w.ini", """
[sim]
seed = 5
[channel c1]
capacity = 1000btc
delay = 50ms
drop = %s
[channel c2]
capacity = 1000btc
delay = 80ms
[workload w1]
count = %d
start = 1s
arrival = poisson:50/s
amount = uniform:1000sat,0.01btc
mode = amp:0.5,mpp:0.5
shards = 2
timeout = 10s
[expect]
w1 = %s
""" % (drop, count, expect))


def test_a_workload_runs_and_is_summarised(build, tmp_path):
    path = scenario(tmp_path)
    r = run([build.exe("ampsim"), "run", path])
    assert r.returncode == 0, r.stdout + r.stderr
    # the text summary aggregates: no line per payment
    assert "w1-1 " not in r.stdout and "w1-150" not in r.stdout
    assert "w1         300 payments: 300 settled" in r.stdout
    assert "settle time p50" in r.stdout
    # and how fast this machine played it
    assert "simulated s per wall s" in r.stdout and "ms per payment" in r.stdout
    assert "ok   w1 = settled >= 99%" in r.stdout
    rj = run([build.exe("ampsim"), "run", path, "--json"])
    wall = json.loads(rj.stdout)["metrics"]["wall"]
    assert wall["simulated_per_wall_s"] > 0 and wall["ms_per_payment"] > 0, wall
    s = comparable(json.loads(rj.stdout))
    w = s["workloads"]["w1"]
    assert w["count"] == 300 and w["outcomes"]["settled"] == 300
    # the slower channel's round trip bounds an AMP/MPP settle: 2 x 80 ms
    assert w["settle_ms"]["p50"] >= 160 and w["settle_ms"]["p99"] >= w["settle_ms"]["p50"]
    # --json keeps every payment
    assert sum(1 for k in s["payments"] if k.startswith("w1-")) == 300
    modes = {p["mode"] for p in s["payments"].values()}
    assert modes == {"amp", "mpp"}
    # and the same seed gives the same run
    again = comparable(json.loads(run([build.exe("ampsim"), "run", path, "--json"]).stdout))
    assert again == s


def test_a_share_that_does_not_hold_exits_1(build, tmp_path):
    path = scenario(tmp_path, count=100, drop="0.5", expect="settled >= 100%")
    r = run([build.exe("ampsim"), "run", path])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL w1 = settled >= 100%" in r.stdout and "got settled" in r.stdout


def test_more_than_512_payments_in_one_run(build, tmp_path):
    path = scenario(tmp_path, count=1500, expect="settled = 100%")
    r = run([build.exe("ampsim"), "run", path, "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["workloads"]["w1"]["outcomes"]["settled"] == 1500


def test_a_run_of_a_million_blocks_says_so_before_it_starts(build, tmp_path, processes):
    import signal
    import subprocess
    w = write(str(tmp_path), "slow.ini", "[channel c1]\ncapacity = 1btc\ndelay = 10ms\n"
              "[workload w1]\ncount = 2\narrival = poisson:0.000001/s\namount = 1000sat\n"
              "mode = single\n")
    p = subprocess.Popen([build.exe("ampsim"), "run", w], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    processes.procs.append(p)
    line = p.stderr.readline()                        # the first thing it says
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    assert "note: this run spans up to" in line and "blocks of block_interval" in line, line
    # an ordinary workload says nothing of the kind
    r = run([build.exe("ampsim"), "run", scenario(tmp_path, count=20)])
    assert r.returncode == 0 and "note:" not in r.stderr, r.stderr


def test_workload_payments_start_at_their_instant_stepped_or_not(build, tmp_path, processes):
    """alice starts a workload's payments herself, each at its planned
    instant (handed to her ahead of time); one that shares its instant
    with a fault goes through the run's steps, and starts there too. A
    stepped run, driven by ampsim continue, replays the same events."""
    import os
    import subprocess
    from support import wait_for
    path = write(str(tmp_path), "every.ini", """
[sim]
seed = 9
[channel c1]
capacity = 1000btc
delay = 50ms
[channel c2]
capacity = 1000btc
delay = 80ms
[workload w1]
count = 40
start = 1s
arrival = every:25ms
amount = 0.01btc
mode = amp:0.5,mpp:0.5
shards = 2
[fault slow]
at = 1.5s
channel = c1
action = delay=10ms
""")
    ev = str(tmp_path / "plain.events")
    r = run([build.exe("ampsim"), "run", path, "--events", ev])
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [json.loads(l) for l in open(ev)]
    started = {e["payment"]: e["t_ms"] for e in lines
               if e["event"] == "payment_started" and e["node"] == "alice"}
    assert len(started) == 40
    for k in range(1, 41):                       # w1-21 starts with the fault, at 1.5 s
        assert started["w1-%d" % k] == 1000 + (k - 1) * 25, (k, started["w1-%d" % k])
    sock = str(tmp_path / "step.sock")
    ev2 = str(tmp_path / "stepped.events")
    with open(str(tmp_path / "run.out"), "w") as o, open(str(tmp_path / "run.err"), "w") as e:
        p = subprocess.Popen([build.exe("ampsim"), "run", path, "--step", "--control", sock,
                              "--events", ev2], stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    processes.procs.append(p)
    wait_for(lambda: os.path.exists(sock), what="the run's step socket")
    assert run([build.exe("ampsim"), "continue", "--control", sock]).returncode == 0
    assert p.wait(timeout=60) == 0
    strip = lambda path: [{k: v for k, v in json.loads(l).items() if k != "peer"}
                          for l in open(path)]
    assert strip(ev2) == strip(ev)
