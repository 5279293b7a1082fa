"""The virtual clock: a run depends only on its scenario and seed. The same
scenario and seed give the same event log line for line (every field but
the addresses the OS assigns) and the same --json summary, hashes included,
at any --speed and with another process eating both cores; and every
message is applied exactly at its send time plus its link's delay."""
import json
import os
import subprocess

import pytest

from support import ROOT, run


def comparable(summary):
    """A --json summary without its one machine-dependent part."""
    summary.get("metrics", {}).pop("wall", None)
    return summary

# lossy, bursty-lossy, jittery, crash-and-restart, adversarial, and the story
SCENARIOS = ["faults/drop.ini", "faults/loss-ge.ini", "faults/jitter.ini",
             "faults/crash-bob.ini", "faults/crash-alice.ini", "faults/bob-greedy.ini",
             "faults/bob-hold.ini", "03-amp.ini"]

# fields the operating system chooses: a peer's address and port
OS_FIELDS = ("peer", "wall_ms")


def play(build, tmp_path, scenario, tag, *extra):
    ev = str(tmp_path / ("%s.events" % tag))
    r = run([build.exe("ampsim"), "run", os.path.join(ROOT, "scenarios", scenario), "--json",
             "--events", ev] + list(extra))
    assert r.returncode == 0, (scenario, tag, r.stderr)
    lines = []
    with open(ev) as f:
        for line in f:
            e = json.loads(line)
            for k in OS_FIELDS:
                e.pop(k, None)
            lines.append(json.dumps(e, sort_keys=True))
    return lines, comparable(json.loads(r.stdout))


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "line %d:\n  %s\n  %s" % (i + 1, x, y)
    return "lengths %d and %d" % (len(a), len(b))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_seed_same_run_line_for_line(build, tmp_path, scenario):
    events, summary = play(build, tmp_path, scenario, "first")
    assert len(events) > 5
    for tag, extra in (("again", ()), ("paced", ("--speed", "2000"))):
        e2, s2 = play(build, tmp_path, scenario, tag, *extra)
        assert e2 == events, "%s (%s): %s" % (scenario, tag, first_difference(events, e2))
        assert s2 == summary, (scenario, tag)


def test_same_run_with_both_cores_busy(build, tmp_path):
    events, summary = play(build, tmp_path, "faults/jitter.ini", "quiet")
    hogs = [subprocess.Popen(["python3", "-c", "while True: pass"]) for _ in range(2)]
    try:
        e2, s2 = play(build, tmp_path, "faults/jitter.ini", "loaded")
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    assert e2 == events, first_difference(events, e2)
    assert s2 == summary


def test_another_seed_is_another_run(build, tmp_path):
    a, sa = play(build, tmp_path, "03-amp.ini", "one")
    b, sb = play(build, tmp_path, "03-amp.ini", "two", "--seed", "99")
    hashes = lambda s: sorted(p["hash"] for p in s["payments"]["p1"]["parts"])
    assert hashes(sa) != hashes(sb)


def test_every_message_arrives_after_exactly_its_delay(build, tmp_path):
    # 05: c1 has a 2 s delay and c2 50 ms, no jitter, no loss
    events, _ = play(build, tmp_path, "05-order-invariance.ini", "delays")
    delay_ms = {"c1": 2000.0, "c2": 50.0}
    evs = [json.loads(l) for l in events]
    offered = {(e["channel"], e["htlc"]): e["t_ms"] for e in evs
               if e["node"] == "alice" and e["event"] == "htlc_offered"}
    received = {(e["channel"], e["htlc"]): e["t_ms"] for e in evs
                if e["node"] == "bob" and e["event"] == "htlc_received"}
    fulfilled_bob = {(e["channel"], e["htlc"]): e["t_ms"] for e in evs
                     if e["node"] == "bob" and e["event"] == "htlc_fulfilled"}
    fulfilled_alice = {(e["channel"], e["htlc"]): e["t_ms"] for e in evs
                       if e["node"] == "alice" and e["event"] == "htlc_fulfilled"}
    assert offered and set(offered) == set(received) == set(fulfilled_alice)
    for key, t in offered.items():
        assert received[key] == t + delay_ms[key[0]], (key, t, received[key])
        assert fulfilled_alice[key] == fulfilled_bob[key] + delay_ms[key[0]], key
    # the slow shard decides when the set completes: bob settles at 2 s
    assert max(received.values()) == 2000.0


def test_many_payments_at_one_instant_replay_the_same(build, tmp_path):
    """Twelve payments and a link fault at the same instant, and a crash of
    bob with a restart while they are in flight: everything that happens
    at one simulated instant is still applied in one order, run after run."""
    text = ["[sim]\nseed = 3\n[channel c1]\ncapacity = 1btc\nalice = 1btc\ndelay = 20ms\n"
            "[channel c2]\ncapacity = 1btc\nalice = 1btc\ndelay = 20ms\n"]
    for i in range(12):
        mode = ("amp", "mpp", "single")[i % 3]
        text.append("[payment p%d]\nat = 100ms\namount = %dsat\nmode = %s\n%s"
                    % (i, 10000000 + i, mode, "" if mode == "single" else "shards = 2\n"))
    text.append("[fault f1]\nat = 100ms\nchannel = c2\naction = delay=40ms\n"
                "[fault f2]\nat = 120ms\naction = crash=bob\n"
                "[fault f3]\nat = 1s\naction = restart=bob\n")
    path = tmp_path / "same-instant.ini"
    path.write_text("".join(text))
    events, summary = play(build, tmp_path, str(path), "first")
    assert len(summary["payments"]) == 12
    assert sum(len(p["parts"]) for p in summary["payments"].values()) == 20
    for tag in ("second", "third"):
        e2, s2 = play(build, tmp_path, str(path), tag)
        assert e2 == events, "%s: %s" % (tag, first_difference(events, e2))
        assert s2 == summary, tag


def test_payments_queued_while_alice_is_down_replay_the_same(build, tmp_path):
    """Payments due while alice is crashed wait for her restart; they are
    then handed to her one at a time, after she has reconnected, so their
    HTLC ids and order are the same in every run."""
    path = tmp_path / "queued.ini"
    path.write_text("[sim]\nseed = 9\n[channel c1]\ncapacity = 1btc\ndelay = 10ms\n"
                    "[channel c2]\ncapacity = 1btc\ndelay = 50ms\ndrop = 0.02\n"
                    "[fault ca]\nat = 1s\naction = crash=alice\n"
                    "[fault ra]\nat = 2s\naction = restart=alice\n"
                    "[workload w1]\ncount = 120\narrival = poisson:50/s\n"
                    "amount = uniform:1000sat,100000sat\nmode = amp:0.6,mpp:0.4\nshards = 2\n")
    events, summary = play(build, tmp_path, str(path), "first")
    started = [json.loads(l) for l in events]
    late = [e for e in started if e["event"] == "payment_started" and e["t_ms"] == 2000.0]
    assert len(late) > 10, "payments queued during the crash: %d" % len(late)
    for tag in ("second", "third"):
        e2, s2 = play(build, tmp_path, str(path), tag)
        assert e2 == events, "%s: %s" % (tag, first_difference(events, e2))
        assert s2 == summary, tag
