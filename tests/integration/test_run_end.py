"""How a run ends: at quiescence. A run goes on until nothing is on its way
between the daemons, or names exactly what still was (which message, which
channel and HTLC, to whom); an interrupted run does not call messages on
their way a disagreement; each table of the text summary uses one unit."""
import json
import os
import re
import signal
import subprocess

from support import run, wait_for

# Bob refuses the add (its expiry is too soon) and his fail is held by the
# down direction to alice until the scenario's last step lifts it, half a
# block before the run's horizon; the fail then needs a whole second on the
# link, so it is still on its way when the horizon has passed.
FAIL_HELD = """[sim]
seed = 3
block_interval = 1s

[channel c1]
capacity = 1btc
alice = 1btc
delay = 1s

[payment p1]
at = 0s
amount = 0.5btc
mode = single
expiry = 10blocks
timeout = 1s

[fault f1]
at = 50ms
channel = c1
direction = to_alice
action = down
"""

LIFTED = """
[fault f2]
at = 20500ms
channel = c1
direction = to_alice
action = up
"""


def test_a_fail_still_on_the_link_after_the_last_step_is_waited_for(build, tmp_path):
    ini = tmp_path / "fail-on-the-link.ini"
    ini.write_text(FAIL_HELD + LIFTED)
    ev = tmp_path / "ev.jsonl"
    r = run([build.exe("ampsim"), "run", str(ini), "--events", str(ev)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "c1         capacity 1btc     alice 1btc     bob 0        in flight 0      | same" in r.stdout
    assert "problem" not in r.stdout and "DISAGREE" not in r.stdout, r.stdout
    # the run went on until the released fail reached alice, after the last step
    events = [json.loads(line) for line in open(ev)]
    up = next(e["t_ms"] for e in events if e["event"] == "fault_applied" and e["action"] == "up"
              and e["node"] == "alice")
    got = [e for e in events if e["node"] == "alice" and e["event"] == "fail_ignored"]
    assert got and got[0]["t_ms"] == up + 1000.0, got
    doc = json.loads(run([build.exe("ampsim"), "run", str(ini), "--json"]).stdout)
    assert doc["problems"] == [] and doc["on_the_way"] == []
    assert doc["channels"]["c1"]["agree"] is True


def test_a_message_held_at_the_end_is_named(build, tmp_path):
    ini = tmp_path / "held.ini"
    ini.write_text(FAIL_HELD)          # the down direction is never lifted
    r = run([build.exe("ampsim"), "run", str(ini)])
    assert ("on its way at the end: update_fail_htlc c1 #0 from bob to alice "
            "(held: its direction of the channel is down)") in r.stdout, r.stdout
    doc = json.loads(run([build.exe("ampsim"), "run", str(ini), "--json"]).stdout)
    assert doc["on_the_way"] == [{"message": "update_fail_htlc", "channel": "c1", "to": "alice",
                                  "htlc": 0, "held": True, "from": "bob"}], doc["on_the_way"]


def test_an_interrupted_run_names_what_was_on_its_way(build, tmp_path, processes):
    """Stopped (Ctrl-C at the terminal) while Bob's fulfill is on the link:
    the two views differ only by that message, which the table names instead
    of calling it a disagreement."""
    ini = tmp_path / "slow.ini"
    ini.write_text("[channel c1]\ncapacity = 1btc\nalice = 1btc\ndelay = 1s\n"
                   "[payment p1]\nat = 0s\namount = 0.5btc\nmode = single\n")
    sock, out, log = str(tmp_path / "step.sock"), tmp_path / "out", tmp_path / "log"
    with open(out, "w") as o, open(log, "w") as e:
        p = subprocess.Popen([build.exe("ampsim"), "run", str(ini), "--step", "--control", sock],
                             stdin=subprocess.DEVNULL, stdout=o, stderr=e, start_new_session=True)
    processes.procs.append(p)
    wait_for(lambda: os.path.exists(sock), what="the run's step socket")
    # the run waits before t = 1 s (t = 0 played: the add left); one step
    # on, bob has it and fulfills
    wait_for(lambda: "update_add_htlc on c1 reaches bob" in log.read_text(),
             what="the prompt before the add arrives")
    assert run([build.exe("ampsim"), "step", "--control", sock]).returncode == 0
    # bob's countersignature (htlc_signed) and his fulfill are due together
    wait_for(lambda: "htlc_signed on c1 reaches alice (and 1 more message)" in log.read_text(),
             what="the prompt before the fulfill arrives")
    os.killpg(p.pid, signal.SIGINT)   # as a terminal's Ctrl-C does
    assert p.wait(timeout=60) == 1
    text = out.read_text()
    assert "DISAGREE" not in text, text
    assert re.search(r"c1 +capacity 1btc +alice 0\.5btc +bob 0 +in flight 0\.5btc +\| alice 0\.5btc "
                     r"bob 0\.5btc in flight 0  \(still on its way: htlc_signed #0 to alice, "
                     r"update_fulfill_htlc #0 to alice\)", text), text
    assert ("on its way at the end: update_fulfill_htlc c1 #0 from bob to alice "
            "(due at t = 2.000 s)") in text, text
    assert "problem: interrupted (Ctrl-C) at t = 1.000 s" in text, text
    assert "did not agree" not in text, text


def test_an_interrupted_run_in_json(build, tmp_path, processes):
    ini = tmp_path / "slow.ini"
    ini.write_text("[channel c1]\ncapacity = 1btc\nalice = 1btc\ndelay = 1s\n"
                   "[payment p1]\nat = 0s\namount = 0.5btc\nmode = single\n")
    sock, out, log = str(tmp_path / "step.sock"), tmp_path / "out", tmp_path / "log"
    with open(out, "w") as o, open(log, "w") as e:
        p = subprocess.Popen([build.exe("ampsim"), "run", str(ini), "--step", "--control", sock,
                              "--json"], stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                             start_new_session=True)
    processes.procs.append(p)
    wait_for(lambda: os.path.exists(sock), what="the run's step socket")
    # the run waits before t = 1 s, with t = 0 played: the add is on its way
    wait_for(lambda: "update_add_htlc on c1 reaches bob" in log.read_text(),
             what="the prompt before the add arrives")
    os.killpg(p.pid, signal.SIGINT)
    assert p.wait(timeout=60) == 1
    doc = json.loads(out.read_text())
    c1 = doc["channels"]["c1"]
    assert c1["alice_view"]["inflight_msat"] == 50000000000 and c1["bob_view"]["inflight_msat"] == 0
    assert c1["agree"] is False and c1["on_the_way"] == 1, c1
    assert doc["on_the_way"] == [{"message": "update_add_htlc", "channel": "c1", "to": "bob", "htlc": 0,
                                  "due_ms": 1000.0, "from": "alice"}], doc["on_the_way"]
    assert any(q.startswith("interrupted (Ctrl-C)") for q in doc["problems"]), doc["problems"]


def amounts(line):
    return re.findall(r"\b(\d+(?:\.\d+)?(?:btc|sat|msat)|0)\b", line)


def test_each_table_uses_one_unit(build, tmp_path):
    ini = tmp_path / "small.ini"
    ini.write_text("[channel c1]\ncapacity = 1btc\nalice = 1btc\ndelay = 10ms\n"
                   "[payment p1]\nat = 0s\namount = 1000sat\nmode = single\n"
                   "[payment p2]\nat = 1s\namount = 1500msat\nmode = single\n")
    r = run([build.exe("ampsim"), "run", str(ini)])
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    pays = lines[lines.index("payments") + 1:lines.index("channels (as alice sees them | as bob sees them)")]
    chans = lines[lines.index("channels (as alice sees them | as bob sees them)") + 1:]
    # the payments: 1000 sat and 1.5 sat, so all in msat
    units = {re.sub(r"[\d.]", "", a) for l in pays for a in amounts(l) if a != "0"}
    assert units == {"msat"}, pays
    assert "1000000msat" in pays[0] and "1500msat" in pays[1], pays
    # the channel: 1 btc of capacity, so every amount in btc, to the msat
    units = {re.sub(r"[\d.]", "", a) for l in chans for a in amounts(l) if a != "0"}
    assert units == {"btc"}, chans
    assert "alice 0.999989985btc" in chans[0] and "bob 0.000010015btc" in chans[0], chans
