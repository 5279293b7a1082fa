"""Rules on one message of a link (docs/faults.md): delay=KIND#N:D and
duplicate=KIND#N[:D] fix when the Nth message of a kind arrives, so a
scenario can fix an order of deliveries; the two daemons and the in-process
world play them to the same run."""
import json

import pytest

from same_run import assert_same_run
from support import run

BASE = """[sim]
seed = 4

[channel c1]
capacity = 2btc
alice = 2btc
delay = 20ms
jitter = 4ms

[payment p1]
at = 0s
amount = 2btc
mode = amp
shards = 2
"""

SLOW_SECOND_ADD = """
[fault slow]
channel = c1
direction = to_bob
action = delay=add#2:30ms
"""


def received(lines):
    """(t_ms, htlc) of each HTLC Bob received, in order."""
    return [(e["t_ms"], e["htlc"]) for e in map(json.loads, lines)
            if e["node"] == "bob" and e["event"] == "htlc_received"]


def test_a_delay_rule_swaps_two_shards_the_same_both_ways(build, tmp_path):
    plain = tmp_path / "plain.ini"
    plain.write_text(BASE)
    ruled = tmp_path / "ruled.ini"
    ruled.write_text(BASE + SLOW_SECOND_ADD)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, before = assert_same_run(build, str(plain), str(tmp_path / "a"))
    two, after = assert_same_run(build, str(ruled), str(tmp_path / "b"))
    assert two.returncode == 0, two.stderr
    # the channel's delay is 20 ms plus up to 4 ms of jitter, and the
    # seed's jitter lets the second add (htlc 1) overtake the first
    assert [h for _, h in received(before)] == [1, 0], received(before)
    assert all(20 <= t <= 24 for t, _ in received(before)), received(before)
    # with the rule, htlc 1 arrives exactly 30 ms after it was sent, last
    assert [h for _, h in received(after)] == [0, 1], received(after)
    assert received(after)[1] == (30.0, 1)
    # the other add met the fate it met without the rule: its own draw
    assert received(after)[0] == received(before)[1]
    assert json.loads(two.stdout)["payments"]["p1"]["outcome"] == "settled"


def test_a_duplicate_rule_delivers_one_message_twice(build, tmp_path):
    path = tmp_path / "dup.ini"
    path.write_text(BASE + """
[fault twice]
channel = c1
direction = to_alice
action = duplicate=fulfill#2:1s
""")
    two, lines = assert_same_run(build, str(path), str(tmp_path))
    assert two.returncode == 0, two.stderr
    evs = [json.loads(x) for x in lines]
    dups = [e for e in evs if e["event"] == "message_duplicated"]
    assert [(e["node"], e["message"]) for e in dups] == [("bob", "update_fulfill_htlc")], dups
    # its second copy was on its way for a second after bob sent it: the
    # run ends only once it has arrived (nothing is in flight at the end)
    sent = dups[0]["t_ms"]
    assert evs[-1]["t_ms"] >= sent + 1000, (sent, evs[-1])


@pytest.mark.parametrize("action,frag", [
    ("delay=add#0:5ms", "from 1"),
    ("delay=add#1", "delay=KIND#N:D needs the delay"),
    ("delay=bogus#1:5ms", "add, fulfill, fail or other"),
    ("delay=add#1:-5ms", "action"),
    ("delay=add#1:99999999999999999999s", "action"),
    ("duplicate=add#1:", "action"),
    ("drop=add#1:5ms", "takes no delay"),
])
def test_a_bad_rule_is_refused_at_its_line(build, tmp_path, action, frag):
    path = tmp_path / "bad.ini"
    path.write_text(BASE + "\n[fault f]\nchannel = c1\naction = %s\n" % action)
    line = (BASE + "\n[fault f]\nchannel = c1\n").count("\n") + 1
    for extra in ([], ["--in-process"]):
        r = run([build.exe("ampsim"), "run"] + extra + [str(path)], timeout=30)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert "bad.ini:%d: [fault f] action:" % line in r.stderr, r.stderr
        assert frag in r.stderr, r.stderr


def test_two_rules_on_one_message_and_too_many_rules(build, tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text(BASE + SLOW_SECOND_ADD + "\n[fault again]\nchannel = c1\naction = drop=add#2\n")
    r = run([build.exe("ampsim"), "run", str(path)], timeout=30)
    assert r.returncode == 2, r.stderr
    line = (BASE + SLOW_SECOND_ADD + "\n[fault again]\nchannel = c1\n").count("\n") + 1
    assert "bad.ini:%d: [fault again] action:" % line in r.stderr, r.stderr
    assert "otherwise than" in r.stderr and "[fault slow]" in r.stderr, r.stderr
    many = BASE + "".join("\n[fault r%d]\nchannel = c1\naction = delay=add#%d:%dms\n" % (i, i, i)
                          for i in range(1, 66))
    path.write_text(many)
    r = run([build.exe("ampsim"), "run", str(path)], timeout=30)
    assert r.returncode == 2, r.stderr
    assert "[fault r65] action: more than 64 message rules" in r.stderr, r.stderr
    path.write_text(BASE + "".join("\n[fault r%d]\nchannel = c1\naction = delay=add#%d:%dms\n"
                                   % (i, i, 30 + i) for i in range(1, 65)))
    r = run([build.exe("ampsim"), "run", "--in-process", str(path)], timeout=60)
    assert r.returncode == 0, r.stderr


def test_a_daemon_refuses_a_rule_its_link_cannot_take(build, dm):
    # over the control socket, rule by rule: what a file's check refuses
    # as a whole, each daemon refuses for its own link
    ampsim = build.exe("ampsim")

    def fault(sock, action, *extra):
        return run([ampsim, "fault", "--control", sock, "--channel", "c1", "--action", action]
                   + list(extra), timeout=30)

    for sock in (dm.alice_sock, dm.bob_sock):
        assert fault(sock, "delay=add#1:5ms").returncode == 0
        assert fault(sock, "duplicate=add#1:9ms").returncode == 0   # combines with it
        r = fault(sock, "drop=add#1")
        assert r.returncode == 2 and "drop=add#1: another rule" in r.stderr \
            and "on c1" in r.stderr, r.stderr
        r = fault(sock, "delay=add#1:6ms")
        assert r.returncode == 2 and "another rule" in r.stderr, r.stderr
        # c2 has its own rules; lifting frees the message
        assert run([ampsim, "fault", "--control", sock, "--channel", "c2", "--action",
                    "drop=add#1"], timeout=30).returncode == 0
        assert fault(sock, "delay=add#1:5ms", "--lift").returncode == 0
        assert fault(sock, "duplicate=add#1:9ms", "--lift").returncode == 0
        assert fault(sock, "drop=add#1").returncode == 0
    # a full table: 64 rules, then no more
    for n in range(2, 65):
        assert fault(dm.alice_sock, "drop=fail#%d" % n).returncode == 0
    r = fault(dm.alice_sock, "drop=fail#99")
    assert r.returncode == 2 and "too many message rules" in r.stderr, r.stderr
    # a direction the daemon does not send on is not its link's to refuse
    assert fault(dm.alice_sock, "drop=fail#99", "--direction", "to_alice").returncode == 0
    assert dm.stop() == [0, 0]
