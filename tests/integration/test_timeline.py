"""The HTML timeline (ampsim run --timeline), rendered in headless Chromium.

Each test runs one scenario family, opens the page in Debian's chromium
(scripts/install-deps installs it), and reads the page's self-check (what it
drew: arrows by fate, labels, overlapping label pairs, errors) from the
dumped DOM. The arrows are compared with the messages the event log says
were sent and received, and a screenshot must not be blank.
"""
import json
import os
import re
from collections import Counter

from browser import SIZES, diagram, render, screenshot
from support import ROOT, run

HTLC_MESSAGES = ("update_add_htlc", "update_fulfill_htlc", "update_fail_htlc")


def run_scenario(build, tmp_path, scenario, timeout=120):
    ev, tl = tmp_path / "ev.jsonl", tmp_path / "t.html"
    r = run([build.exe("ampsim"), "run", scenario, "--events", str(ev), "--timeline", str(tl),
             "--json"], timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(ev) as f:
        events = [json.loads(line) for line in f]
    return events, tl


def log_messages(events):
    """What the event log says was sent and what it says arrived."""
    c = Counter()
    for e in events:
        n, name = e["node"], e["event"]
        if n == "alice" and name == "htlc_offered":
            c["sent"] += 1
        elif n == "alice" and name == "reestablished":
            c["sent"] += e["adds_replayed"]
            c["replayed"] += e["adds_replayed"]
        elif n == "bob" and name in ("htlc_fulfilled", "htlc_failed", "greedy_claim_attempt",
                                     "late_claim_attempt"):
            c["sent"] += 1
        elif n == "bob" and name == "resolution_deferred":
            c["sent"] -= 1
        elif name == "message_duplicated" and e["message"] in HTLC_MESSAGES:
            c["sent"] += 1
            c["duplicated"] += 1
        elif name == "message_dropped" and e["message"] in HTLC_MESSAGES:
            c["dropped"] += 1
        if n == "bob" and name in ("htlc_received", "duplicate_ignored"):
            c["arrived"] += 1
        elif n == "bob" and name == "resolution_resent":
            c["arrived"] += 1  # the repeated add that it answers
            c["sent"] += 1
        elif n == "alice" and name in ("htlc_fulfilled", "htlc_failed") and e.get("source") == "message":
            c["arrived"] += 1
        elif n == "alice" and name in ("fulfill_ignored", "fulfill_rejected", "fulfill_refused",
                                       "fail_ignored"):
            c["arrived"] += 1
    return c


def check_page(tmp_path, events, tl, shot=True):
    full, sc = render(tmp_path, tl)
    dom = diagram(full)
    assert sc["errors"] == [], sc["errors"]
    assert sc["overlaps"] == 0, sc
    assert sc["labels"] > 0
    if not sc["aggregate"]:
        c = log_messages(events)
        assert sc["arrows"] == c["sent"], (sc, c)
        assert sc["fates"].get("delivered", 0) == c["arrived"], (sc, c)
        assert sc["fates"].get("dropped", 0) == c["dropped"], (sc, c)
        assert sc["copies"].get("duplicate", 0) == c["duplicated"], (sc, c)
        assert sc["copies"].get("replay", 0) == c["replayed"], (sc, c)
        # an arrowhead on every arrow that arrived, none on the others
        assert dom.count('marker-end="url(#head)"') == sc["arrowheads"]
        assert sc["arrowheads"] == sc["arrows"] - sum(sc["fates"].get(f, 0) for f in
                                                      ("dropped", "lost", "unanswered"))
    # the channels' balances at the end of the run, beside the diagram
    assert "Final balances (end of the run)" in full
    if shot:
        screenshot(tmp_path, tl)
    return dom, sc


def arrows(dom):
    """Each message arrow's data attributes, from the rendered DOM."""
    out = []
    for m in re.finditer(r'<g class="arrow"([^>]*)>', dom):
        out.append(dict(re.findall(r'data-(\w+)="([^"]*)"', m.group(1))))
    return out


def scenario(*parts):
    return os.path.join(ROOT, "scenarios", *parts)


def test_timeline_plain_amp(build, tmp_path):
    events, tl = run_scenario(build, tmp_path, scenario("03-amp.ini"))
    html = tl.read_text()
    # one self-contained file: no address outside it
    assert html.startswith("<!doctype html>") and "set_complete" in html
    assert not re.search(r'(src|href)=["\']?(https?:)?//', html)
    dom, sc = check_page(tmp_path, events, tl)
    # the sequence diagram: two adds to bob and two fulfills back, as arrows
    assert sc["arrows"] == 4 and dom.count('marker-end="url(#head)"') == 4
    assert "add c1 #0 1btc" in dom and "fulfill c2 #0" in dom
    assert {a["pay"] for a in arrows(dom)} == {"p1"}
    # times and block heights are said as such, and the final balances shown
    assert "block 0" in dom


def test_timeline_mpp_and_partial(build, tmp_path):
    events, tl = run_scenario(build, tmp_path, scenario("06-mpp.ini"))
    dom, sc = check_page(tmp_path, events, tl)
    assert sc["arrows"] == 6 and sorted(a["ch"] for a in arrows(dom)) == ["c1", "c1", "c2", "c2", "c3", "c3"]
    events, tl = run_scenario(build, tmp_path, scenario("02b-two-invoices-partial.ini"))
    check_page(tmp_path, events, tl, shot=False)


def test_timeline_five_payments_one_colour_each(build, tmp_path):
    ini = tmp_path / "five.ini"
    text = "[sim]\nseed = 5\nblock_interval = 1s\n"
    for c, d in (("c1", 20), ("c2", 30), ("c3", 50)):
        text += "[channel %s]\ncapacity = 1btc\nalice = 1btc\ndelay = %dms\n" % (c, d)
    for i, (at, amt, mode) in enumerate(((0, "0.6btc", "amp"), (10, "0.5btc", "mpp"), (20, "0.4btc", "amp"),
                                         (25, "0.3btc", "amp"), (40, "0.2btc", "mpp")), 1):
        text += "[payment p%d]\nat = %dms\namount = %s\nmode = %s\n" % (i, at, amt, mode)
    ini.write_text(text)
    events, tl = run_scenario(build, tmp_path, str(ini))
    dom, sc = check_page(tmp_path, events, tl)
    assert sc["payments"] == 5
    assert {a["pay"] for a in arrows(dom)} == {"p1", "p2", "p3", "p4", "p5"}
    colours = {}
    for m in re.finditer(r'<g class="arrow"[^>]*data-pay="(\w+)"[^>]*><line [^>]*stroke="([^"]+)"', dom):
        colours.setdefault(m.group(1), set()).add(m.group(2))
    assert all(len(c) == 1 for c in colours.values()), colours
    assert len({next(iter(c)) for c in colours.values()}) == 5, colours


def test_timeline_lossy(build, tmp_path):
    events, tl = run_scenario(build, tmp_path, scenario("faults", "drop.ini"))
    dom, sc = check_page(tmp_path, events, tl)
    assert sc["fates"].get("dropped", 0) >= 1
    assert "dropped" in dom
    events, tl = run_scenario(build, tmp_path, scenario("faults", "duplicate.ini"))
    dom, sc = check_page(tmp_path, events, tl, shot=False)
    assert sc["copies"].get("duplicate", 0) >= 2 and "dup add c1 #0" in dom


def test_timeline_crash_restart(build, tmp_path):
    events, tl = run_scenario(build, tmp_path, scenario("faults", "crash-bob.ini"))
    dom, sc = check_page(tmp_path, events, tl)
    crash = next(e["t_ms"] for e in events if e["event"] == "crash")
    restart = next(e["t_ms"] for e in events if e["event"] == "restart")
    # the add on c2 was on its way when bob crashed (its link takes 1 s):
    # drawn lost in the crash, and arriving only as Alice's replay
    received = [e for e in events if e["event"] == "htlc_received" and e["channel"] == "c2"]
    assert received and received[0]["t_ms"] > restart
    c2 = [a for a in arrows(dom) if a["ch"] == "c2" and a["k"] == "add"]
    assert [a["fate"] for a in c2 if a["copy"] == "first"] == ["lost"], c2
    assert [a["fate"] for a in c2 if a["copy"] == "replay"] == ["delivered"], c2
    assert "lost: bob crashed" in dom
    assert sc["copies"]["replay"] == 2 and sc["marks"] >= 2
    assert 'data-kind="crash"' in dom and 'data-kind="restart"' in dom
    assert crash < restart


def test_timeline_onchain_claim(build, tmp_path):
    events, tl = run_scenario(build, tmp_path, scenario("faults", "drop-fulfill.ini"))
    dom, sc = check_page(tmp_path, events, tl)
    # the lost fulfill, Bob's claim transaction and the preimage Alice reads on chain
    assert sc["fates"]["dropped"] == 1
    assert sc["chain_arrows"] == 2
    assert re.search(r'<g class="chaintx" data-from="bob" data-to="chain"', dom)
    assert re.search(r'<g class="chaintx" data-from="chain" data-to="alice"', dom)
    assert "claim tx c1 #0" in dom


def test_timeline_play_pause_step(build, tmp_path):
    events, tl = run_scenario(build, tmp_path, scenario("faults", "crash-bob.ini"))
    _, sc = render(tmp_path, tl, "?selftest=1")
    st = sc["selftest"]
    assert sc["errors"] == [] and sc["steps"] > 4
    assert (st["start"], st["after_3_forward"], st["after_1_back"]) == (0, 3, 2), st
    assert st["playing"] and st["paused"], st
    assert st["end"] == sc["steps"] - 1 and st["visible_at_end"] == sc["arrows"], st
    assert st["visible_at_start"] < sc["arrows"], st
    # hovering the first arrow (the add on c1) shows its events whole
    assert '"event": "htlc_offered"' in st["hover"] and '"event": "htlc_received"' in st["hover"], st
    assert '"cltv_expiry": 30' in st["hover"] and st["hover_hidden_after"], st
    _, sc = render(tmp_path, tl, "?step=2")
    assert sc["step"] == 2 and sc["errors"] == []
    assert 0 < sc["visible_arrows"] < sc["arrows"], sc


def test_timeline_ten_thousand_payments_aggregated(build, tmp_path):
    ini = tmp_path / "many.ini"
    ini.write_text("[sim]\nseed = 1\n[channel c1]\ncapacity = 1000btc\ndelay = 50ms\n"
                   "[channel c2]\ncapacity = 1000btc\ndelay = 80ms\n"
                   "[workload w1]\ncount = 10000\nstart = 0s\narrival = poisson:20/s\n"
                   "amount = uniform:1000sat,0.1btc\nmode = amp\nshards = 2\n")
    events, tl = run_scenario(build, tmp_path, str(ini), timeout=600)
    assert tl.stat().st_size < 5 * 1024 * 1024, tl.stat().st_size
    dom, sc = check_page(tmp_path, events, tl)
    assert sc["aggregate"] and sc["payments"] == 10000
    assert sc["arrows"] == 0 and 0 < sc["bars"] and sc["overlaps"] == 0
    offered = sum(1 for e in events if e["node"] == "alice" and e["event"] == "htlc_offered")
    fulfilled = sum(1 for e in events if e["node"] == "alice" and e["event"] == "htlc_fulfilled")
    assert sc["totals"]["add"] == offered and sc["totals"]["fulfill"] == fulfilled
    assert sc["render_ms"] < 10000, sc["render_ms"]
    # a step into a slice drills down: the payments that finished in it
    full, sc = render(tmp_path, tl, "?step=5")
    assert sc["step"] == 5 and sc["errors"] == []
    m = re.search(r"<h3>Finished in [0-9.]+ m?s \u2013 [0-9.]+ m?s \((\d+)\)</h3>", full)
    assert m and int(m.group(1)) > 0, full[-3000:]


# Bob is killed while adds of two payments are on their way and restarted
# 1.5 s later; two more payments follow, one while a fault slows c3 (it is
# lifted at 5 s).
CRASH_AND_PAYMENTS = """[sim]
seed = 11
block_interval = 1s
[channel c1]
capacity = 1btc
alice = 1btc
delay = 300ms
[channel c2]
capacity = 1btc
alice = 1btc
delay = 1s
[channel c3]
capacity = 2btc
alice = 2btc
delay = 100ms
[payment p1]
at = 0s
amount = 1.5btc
mode = amp
expiry = 30blocks
[payment p2]
at = 100ms
amount = 0.4btc
mode = mpp
shards = 2
expiry = 30blocks
[payment p3]
at = 3s
amount = 0.3btc
mode = single
expiry = 30blocks
[payment p4]
at = 3500ms
amount = 0.25btc
mode = amp
shards = 2
expiry = 30blocks
[fault kill]
at = 500ms
action = crash=bob
[fault back]
at = 2s
action = restart=bob
[fault slow]
at = 3s
until = 5s
channel = c3
action = delay=400ms
"""


def assert_laid_out(sc, size):
    """The page's own measures, in the browser's layout at that size."""
    g = sc["geometry"]
    where = (size, g["examples"], sc.get("overlapping"))
    assert sc["errors"] == [], sc["errors"]
    assert g["viewport"][0] == size[0], g
    assert g["under_panel"] == 0, where          # no part of the diagram under the panel
    assert g["outside"] == 0, where              # nor outside the diagram's visible box
    assert g["svg_width"] <= g["diagram_width"], g
    assert sc["overlaps"] == 0, where            # no label over another
    assert g["on_own_arrow"] == 0, where         # nor across its own arrow
    assert g["cut"] == 0, where                  # no text cut
    assert g["wrapped_ids"] == 0, where          # payment ids on one line


def test_timeline_layout_at_three_screen_sizes(build, tmp_path):
    ini = tmp_path / "crash-and-payments.ini"
    ini.write_text(CRASH_AND_PAYMENTS)
    events, tl = run_scenario(build, tmp_path, str(ini))
    assert [e["node"] for e in events if e["event"] in ("crash", "restart")] == ["bob", "bob"]
    dom, sc = check_page(tmp_path, events, tl, shot=False)
    assert sc["payments"] == 4 and sc["copies"].get("replay", 0) >= 1
    for size in SIZES:
        full, sc = render(tmp_path, tl, size=size)
        assert_laid_out(sc, size)
        assert sc["marks"] >= 2 and sc["geometry"]["spans"] == 1, sc
        # before the end, the end's balances are greyed as later numbers
        full, sc = render(tmp_path, tl, "?step=3", size=size)
        assert_laid_out(sc, size)
        assert sc["geometry"]["future_final"] == 1, sc
        assert "(after this step)" in full
    # a fault's span: from its start to its lift, as a band
    m = re.search(r'<g class="span" data-action="delay=400ms" data-channel="c3">.*?</g>', dom)
    assert m and "fault delay=400ms on c3 (both), 3 s \u2013 5 s" in m.group(0), dom[:400]


def test_timeline_a_replayed_add_bob_ignored(build, tmp_path):
    """After the crash Alice replays her add on c1, which Bob had stored:
    he logs duplicate_ignored, and the page says so on the arrow and in a
    note rather than drawing it as taken twice."""
    events, tl = run_scenario(build, tmp_path, scenario("faults", "crash-bob.ini"))
    ign = [e for e in events if e["event"] == "duplicate_ignored"]
    assert [(e["node"], e["channel"], e["htlc"]) for e in ign] == [("bob", "c1", 0)]
    dom, sc = check_page(tmp_path, events, tl, shot=False)
    replays = [a for a in arrows(dom) if a["copy"] == "replay"]
    assert [(a["ch"], a.get("arrival")) for a in replays] == [("c1", "ignored"), ("c2", None)], replays
    assert "replay add c1 #0 1btc \u2014 ignored: bob already had it" in dom
    assert 'data-kind="dup"' in dom
    # notes wrap over lines (tspans): read as words
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))
    assert "duplicate_ignored: update_add_htlc c1 #0 (already held: not taken again)" in words
    # the received add is counted once: one htlc_received for c1 #0
    assert len([e for e in events if e["event"] == "htlc_received" and e["channel"] == "c1"]) == 1


def test_timeline_aggregated_at_three_screen_sizes(build, tmp_path):
    ini = tmp_path / "agg.ini"
    ini.write_text("[sim]\nseed = 2\n[channel c1]\ncapacity = 1000btc\ndelay = 50ms\ndrop = 0.05\n"
                   "[channel c2]\ncapacity = 1000btc\ndelay = 80ms\n"
                   "[workload w1]\ncount = 400\nstart = 0s\narrival = poisson:20/s\n"
                   "amount = uniform:1000sat,0.1btc\nmode = amp\nshards = 2\n"
                   "[fault f1]\nat = 5s\nuntil = 8s\nchannel = c2\naction = down\n")
    events, tl = run_scenario(build, tmp_path, str(ini))
    dom, sc = check_page(tmp_path, events, tl, shot=False)
    assert sc["aggregate"]
    # a slice's notes say what they count, apart from the channels' numbers
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))
    assert "notes: 1 fault applied" in words and "messages held by a down link" in words, words[:2000]
    assert "fault / held / released" not in dom
    assert re.search(r"c1: \d+ adds [^<]* \d+ messages? dropped", words)
    for size in SIZES:
        full, sc = render(tmp_path, tl, "?step=5", size=size)
        assert_laid_out(sc, size)
        # the slices after the current one, numbers included, are greyed
        later = diagram(full)
        assert sc["geometry"]["future_final"] == 1
        assert re.search(r'<text [^>]*class="lbl future"[^>]*>[^<]*adds', later), later[:300]
