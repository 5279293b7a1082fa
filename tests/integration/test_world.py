"""The world: `ampsim run --in-process` plays a scenario with both engines in
one process, and must give the same run as the two daemons, line for line
and hash for hash (docs/world.md). Every scenario in scenarios/ is played
both ways and compared: each node's event log, the merged file, and the
--json summary (all but the wall-clock metrics and the OS's addresses)."""
import glob
import json
import os
import re

import pytest

# normalized, play and summary stay importable from here too
from same_run import assert_same_run, normalized, play, summary  # noqa: F401
from support import ROOT, run

SCENARIOS = sorted(glob.glob(os.path.join(ROOT, "scenarios", "**", "*.ini"), recursive=True))

@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: os.path.relpath(p, ROOT))
def test_in_process_is_the_run_of_the_two_daemons(build, tmp_path, path):
    assert_same_run(build, path, str(tmp_path))


# Crashes and restarts of either side, compared both ways: mid-payment,
# restarted before or after the HTLCs' expiry, both down at once, a
# restart of a node that is up (killed and started: no crash is logged),
# with a channel down across a restart and a payment asked for while
# alice is down.
CRASHES = {
    "bob-held-set-back-after-expiry": """[sim]
block_interval = 1s
seed = 5

[channel c1]
capacity = 1btc
delay = 100ms

[channel c2]
capacity = 1btc
delay = 3s

[payment p1]
at = 0s
amount = 1.5btc
mode = mpp
expiry = 4blocks

[fault kill]
at = 1s
action = crash=bob

[fault back]
at = 12s
action = restart=bob
""",
    "alice-inflight-back-after-expiry": """[sim]
block_interval = 1s
seed = 6

[channel c1]
capacity = 1btc
delay = 200ms

[payment p1]
at = 0s
amount = 0.3btc
mode = amp
shards = 3
expiry = 5blocks

[payment p2]
at = 3s
amount = 0.1btc
mode = single

[fault kill]
at = 250ms
action = crash=alice

[fault back]
at = 9s
action = restart=alice
""",
    "both-down-channel-down": """[sim]
block_interval = 1s
seed = 7

[channel c1]
capacity = 1btc
delay = 100ms

[channel c2]
capacity = 1btc
delay = 400ms

[payment p1]
at = 0s
amount = 1.2btc
mode = amp
expiry = 20blocks

[fault cut]
at = 50ms
until = 3050ms
action = down
channel = c2

[fault kb]
at = 300ms
action = crash=bob

[fault ka]
at = 500ms
action = crash=alice

[fault bb]
at = 1s
action = restart=bob

[fault ba]
at = 2s
action = restart=alice
""",
    "restart-while-up": """[sim]
seed = 8

[channel c1]
capacity = 1btc
delay = 300ms

[payment p1]
at = 0s
amount = 0.5btc
mode = mpp
shards = 2

[fault again]
at = 400ms
action = restart=bob

[fault again2]
at = 2s
action = restart=alice
""",
}


@pytest.mark.parametrize("name", sorted(CRASHES))
def test_crashes_and_restarts_in_process_are_the_daemons_run(build, tmp_path, name):
    path = tmp_path / (name + ".ini")
    path.write_text(CRASHES[name])
    _, lines = assert_same_run(build, str(path), str(tmp_path))
    events = [json.loads(l)["event"] for l in lines]
    assert "restart" in events, events
    assert ("crash" in events) == (name != "restart-while-up"), events


def test_a_node_left_down_at_the_end_is_the_same_run(build, tmp_path):
    # a crash with no restart after it: the node answers nothing at the
    # end, and the summary says so, as for a killed daemon
    for node in ("alice", "bob"):
        path = tmp_path / ("down-%s.ini" % node)
        path.write_text(CRASHES["restart-while-up"].replace("restart=" + node, "crash=" + node))
        assert_same_run(build, str(path), str(tmp_path))
        r = run([build.exe("ampsim"), "run", "--in-process", str(path), "--json"], timeout=60)
        assert r.returncode == 1, r.stderr
        problems = json.loads(r.stdout)["problems"]
        assert any(p.startswith(node + " is down at the end") for p in problems), problems


def test_the_summary_without_events_is_the_same(build, tmp_path):
    # without --events the in-process run writes no event file and reads
    # its metrics from the events as they happen: the figures must not move
    path = os.path.join(ROOT, "scenarios", "experiments", "loss-by-mode.ini")
    with_events = run([build.exe("ampsim"), "run", "--in-process", path, "--json", "--events",
                       str(tmp_path / "e.jsonl")])
    without = run([build.exe("ampsim"), "run", "--in-process", path, "--json"])
    daemons = run([build.exe("ampsim"), "run", path, "--json"])
    assert without.returncode == with_events.returncode == daemons.returncode
    assert summary(without.stdout) == summary(with_events.stdout) == summary(daemons.stdout)
    m = summary(without.stdout)["metrics"]
    assert m["htlcs_per_payment"] >= 1 and m["liquidity_locked_msat_s"] > 0, m
    assert m["settle_ms"]["p50"] > 0, m


def test_processes_key_and_what_the_world_refuses(build, tmp_path):
    src = os.path.join(ROOT, "scenarios", "03-amp.ini")
    with open(src) as f:
        text = f.read()
    one = tmp_path / "one.ini"
    one.write_text(text.replace("[sim]\n", "[sim]\nprocesses = 1\n"))
    r = run([build.exe("ampsim"), "run", str(one), "--json"])
    assert r.returncode == 0, r.stderr
    assert summary(r.stdout)["payments"]["p1"]["outcome"] == "settled"
    bad = tmp_path / "bad.ini"
    bad.write_text(text.replace("[sim]\n", "[sim]\nprocesses = 3\n"))
    r = run([build.exe("ampsim"), "run", str(bad)])
    assert r.returncode == 2 and "bad.ini:" in r.stderr and "processes" in r.stderr, r.stderr
    for opt in (["--clock", "wall"],):
        r = run([build.exe("ampsim"), "run", "--in-process", src] + opt)
        assert r.returncode == 2 and "--in-process" in r.stderr, (opt, r.stderr)


def test_the_timeline_in_process_is_the_daemons_timeline(build, tmp_path):
    # the page is drawn from the merged events: the same page but for the
    # peer's address, which the operating system picks for the daemons
    path = os.path.join(ROOT, "scenarios", "04-amp-timeout-refund.ini")
    pages = []
    for extra in (["--in-process"], []):
        out = tmp_path / ("t%d.html" % len(pages))
        r = run([build.exe("ampsim"), "run"] + extra + [path, "--timeline", str(out)])
        assert r.returncode == 0, r.stderr
        text = out.read_text()
        assert "onchain_refund_sent" in text or "htlc_refunded" in text
        pages.append(re.sub(r"(peer(=&quot;|\":\"))[^&\"]*", r"\1", text))
    assert pages[0] == pages[1]


@pytest.mark.parametrize("name", ["06-mpp.ini", "faults/crash-bob.ini"])
def test_the_capture_in_process_is_the_daemons_capture(build, tmp_path, name):
    # every frame bob sent and received, in order, with its message, as
    # tshark decodes them (a restarted bob's too); the init's epoch (wall
    # clock) is the one field that may differ
    tshark = os.path.join(ROOT, "scripts", "wireshark", "ampsim-tshark")
    path = os.path.join(ROOT, "scenarios", name)
    decoded = []
    for extra in (["--in-process"], []):
        cap = tmp_path / ("c%d.pcapng" % len(decoded))
        r = run([build.exe("ampsim"), "run"] + extra + [path, "--pcap", str(cap)])
        assert r.returncode == 0, r.stderr
        d = run([tshark, "-r", str(cap), "-T", "fields", "-e", "frame.number",
                 "-e", "frame.time_relative", "-e", "_ws.col.Info"], timeout=120)
        assert d.returncode == 0, d.stderr
        decoded.append(d.stdout.splitlines())
    assert len(decoded[0]) > 10
    assert any("UpdateAddHtlc" in line for line in decoded[0]), decoded[0]
    assert decoded[0] == decoded[1]


def test_the_text_summary_is_the_same(build):
    # without --json the in-process run reads less of each workload
    # payment: what it prints must not change (the speed line aside)
    path = os.path.join(ROOT, "scenarios", "experiments", "scale.ini")
    texts = []
    for extra in (["--in-process"], []):
        r = run([build.exe("ampsim"), "run"] + extra + [path], timeout=180)
        assert r.returncode == 0, r.stderr
        texts.append([l for l in r.stdout.splitlines() if not l.startswith("speed")])
    assert any("1000 payments" in l for l in texts[0]), texts[0]
    assert texts[0] == texts[1]


def test_forgetting_finished_payments_changes_no_figure(build, tmp_path):
    # a long run keeps alice's memory flat by forgetting finished payments
    # (--keep-payments; by default past 100,000): the summary is the same
    scen = tmp_path / "many.ini"
    scen.write_text("[sim]\nseed = 3\n\n[channel c1]\ncapacity = 1000btc\ndelay = 40ms\n"
                    "jitter = 10ms\ndrop = 0.01\n\n[channel c2]\ncapacity = 1000btc\n"
                    "delay = 70ms\n\n[workload w1]\ncount = 3000\nstart = 0s\n"
                    "arrival = poisson:40/s\namount = uniform:1000sat,0.01btc\nmode = amp\n"
                    "shards = 2\n")
    outs = {}
    for name, extra in (("all", []), ("forget", ["--keep-payments", "50"])):
        j = run([build.exe("ampsim"), "run", "--in-process", str(scen), "--json"] + extra)
        t = run([build.exe("ampsim"), "run", "--in-process", str(scen)] + extra)
        assert j.returncode == 0 and t.returncode == 0, j.stderr + t.stderr
        outs[name] = (summary(j.stdout), [l for l in t.stdout.splitlines()
                                          if not l.startswith("speed")])
    assert outs["all"][0]["workloads"]["w1"]["outcomes"]["settled"] > 2900
    assert len(outs["all"][0]["payments"]) == 3000
    assert outs["all"] == outs["forget"]
    r = run([build.exe("ampsim"), "run", str(scen), "--keep-payments", "50"])
    assert r.returncode == 2 and "--in-process" in r.stderr, r.stderr


def test_a_stepped_run_in_process_says_what_the_daemons_say(build):
    # --step: the same prompts, instant by instant, driven from the terminal
    path = os.path.join(ROOT, "scenarios", "05-order-invariance.ini")
    prompts = []
    for extra in (["--in-process"], []):
        r = run([build.exe("ampsim"), "run"] + extra + [path, "--step"], input="\n\n\n\nc\n")
        assert r.returncode == 0, r.stderr
        prompts.append([l for l in r.stderr.splitlines() if "step.sock" not in l])
    assert any("update_add_htlc on c2 reaches bob" in l for l in prompts[0]), prompts[0]
    assert any("bob: block 1: bob checks expiries and claims" in l for l in prompts[0])
    assert prompts[0] == prompts[1]


def test_a_stepped_crash_in_process_says_what_the_daemons_say(build):
    # a restarted bob joins the clock again after alice: the prompts name
    # the nodes' timers in that order, both ways
    path = os.path.join(ROOT, "scenarios", "faults", "crash-bob.ini")
    prompts = []
    for extra in (["--in-process"], []):
        r = run([build.exe("ampsim"), "run"] + extra + [path, "--step"], input="\n" * 30 + "c\n")
        assert r.returncode == 0, r.stderr
        prompts.append([l for l in r.stderr.splitlines() if "step.sock" not in l])
    assert any("fault back starts: restart=bob" in l for l in prompts[0]), prompts[0]
    assert any("alice tries to reconnect to bob" in l for l in prompts[0]), prompts[0]
    blocks = [l.strip() for l in prompts[0] if "block 3:" in l]
    assert blocks == ["alice: block 3: alice checks expiries",
                      "bob: block 3: bob checks expiries and claims"], blocks
    assert prompts[0] == prompts[1]


def test_speed_holds_an_in_process_run_to_the_pace_asked(build):
    # --speed X: at most X simulated seconds per wall second (for watching)
    import time
    path = os.path.join(ROOT, "scenarios", "03-amp.ini")   # its last instant is at 60 ms
    t0 = time.monotonic()
    r = run([build.exe("ampsim"), "run", "--in-process", path, "--speed", "0.2", "--json"])
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert took >= 0.25, took              # 60 ms simulated at 0.2x is 0.3 s of wall time
    plain = run([build.exe("ampsim"), "run", "--in-process", path, "--json"])
    assert summary(r.stdout) == summary(plain.stdout)
