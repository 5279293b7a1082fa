"""Faults: applied by hand through the control socket, and the seeded
fault decisions of a scenario."""
import json
import os

from support import payment_summary, rpc, run, wait_for, write


def test_payment_waits_for_a_down_channel_within_its_timeout(start_daemons):
    dm = start_daemons(channels=("id=only,capacity=1btc",))
    for sock in (dm.alice_sock, dm.bob_sock):
        r = rpc(sock, "fault", {"channel": "only", "direction": "to_alice", "action": "down"})
        assert "result" in r, r
    # the only channel is down: a payment with a short timeout gives up...
    rpc(dm.alice_sock, "pay", {"id": "short", "amount": "0.1btc", "mode": "single", "timeout": "500ms"})
    wait_for(lambda: payment_summary(dm.alice_sock)["short"] != "pending", what="short outcome")
    short = rpc(dm.alice_sock, "listpayments", {"id": "short"})["result"]["short"]
    assert short["outcome"] == "failed" and "timed out" in short["why"], short
    assert short["parts"] == []
    # ...and one with time left waits for the channel to come back up
    rpc(dm.alice_sock, "pay", {"id": "patient", "amount": "0.1btc", "mode": "single", "timeout": "60s"})
    wait_for(lambda: any(e["event"] == "payment_deferred" and e["payment"] == "patient"
                         for e in dm.events("alice")), what="the payment to wait")
    assert payment_summary(dm.alice_sock)["patient"] == "pending"
    for sock in (dm.alice_sock, dm.bob_sock):
        rpc(sock, "fault", {"channel": "only", "direction": "to_alice", "action": "down", "lift": True})
    wait_for(lambda: payment_summary(dm.alice_sock)["patient"] != "pending", what="patient outcome")
    assert payment_summary(dm.alice_sock)["patient"] == "settled"
    # node faults are not a daemon's to apply to itself
    bad = rpc(dm.alice_sock, "fault", {"action": "crash=bob"})
    assert bad["error"]["code"] == -32602, bad
    assert dm.stop() == [0, 0]


LOSSY = """[sim]
seed = %d
time_scale = 20
[bob]
hold = 5s
[channel c1]
capacity = 2btc
alice = 2btc
delay = 10ms
[channel c2]
capacity = 2btc
alice = 2btc
delay = 10ms
[fault lossy1]
at = 0s
channel = c1
direction = to_bob
action = drop=0.3
[fault lossy2]
at = 0s
channel = c2
direction = to_bob
action = drop=0.3
""" + "".join("[payment p%d]\nat = %dms\namount = 0.5btc\nmode = amp\nexpiry = 20blocks\ntimeout = 2s\n" % (i, 200 * i)
              for i in range(1, 5))


def drop_pattern(events):
    # the seeded decisions, in order: which of its messages of each kind each
    # node dropped on each channel
    return [(e["node"], e["channel"], e["message"], e["kind_seq"]) for e in events
            if e["event"] == "message_dropped"]


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(l) for l in f]


def test_same_seed_same_fault_decisions(build, tmp_path):
    runs = []
    for k in range(2):
        p = write(tmp_path, "lossy.ini", LOSSY % 77)
        ev = os.path.join(tmp_path, "ev%d.jsonl" % k)
        r = run([build.exe("ampsim"), "run", p, "--json", "--events", ev])
        doc = json.loads(r.stdout)
        events = read_jsonl(ev)
        runs.append((drop_pattern(events), {k2: v["outcome"] for k2, v in doc["payments"].items()}))
    assert runs[0][0], "the lossy scenario dropped nothing"
    for node in ("alice", "bob"):
        for ch in ("c1", "c2"):
            a = sorted(x[2:] for x in runs[0][0] if x[0] == node and x[1] == ch)
            b = sorted(x[2:] for x in runs[1][0] if x[0] == node and x[1] == ch)
            assert a == b, "drops on %s by %s differ: %s vs %s" % (ch, node, a, b)
    assert runs[0][1] == runs[1][1], runs
    # a different seed makes different decisions
    p = write(tmp_path, "lossy.ini", LOSSY % 78)
    ev = os.path.join(tmp_path, "ev-other.jsonl")
    run([build.exe("ampsim"), "run", p, "--json", "--events", ev])
    other = drop_pattern(read_jsonl(ev))
    assert other != runs[0][0], "seed 78 dropped exactly what seed 77 did"


def test_a_message_caught_on_a_link_that_goes_down_is_held_and_logged(build, tmp_path):
    """faults/down-up.ini: c2 goes down while alice's add is on its way. The
    add is held (logged when it would have arrived), released when c2 comes
    up, and the set settles: nothing is lost and nothing goes unsaid."""
    from support import ROOT
    ev = str(tmp_path / "events")
    r = run([build.exe("ampsim"), "run", os.path.join(ROOT, "scenarios/faults/down-up.ini"),
             "--events", ev])
    assert r.returncode == 0, r.stdout + r.stderr
    events = read_jsonl(ev)
    held = [e for e in events if e["event"] == "message_held"]
    released = [e for e in events if e["event"] == "messages_released"]
    assert [(e["node"], e["channel"], e["message"]) for e in held] == \
        [("alice", "c2", "update_add_htlc")], held
    assert held[0]["t_ms"] == 100.0                  # sent at 0, 100 ms delay
    assert [(e["node"], e["channel"], e["count"]) for e in released] == [("alice", "c2", 1)]
    assert released[0]["t_ms"] == 2000.0
