"""BOLT #8 between the daemons and an implementation that is not ours
(tests/integration/bolt8.py, written from the spec): first checked
against the spec's test vectors, then each way over a real socket."""
import os
import re
import socket
import struct

from bolt8 import Conn, Handshake, HandshakeFailed, pubkey
from stranger import (drain, field, open_channel, rss_kb, sender_sig,
                      stranger_with_the_runs_clock)
from support import node_key, read_events, read_json, rpc, run, wait_for

# BOLT #8 Appendix A
I_LS, I_E = bytes.fromhex("11" * 32), bytes.fromhex("12" * 32)
R_LS, R_E = bytes.fromhex("21" * 32), bytes.fromhex("22" * 32)
R_PUB = "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7"
ACT1 = ("00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7"
        "0df6086551151f58b8afe6c195782c6a")
ACT2 = ("0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27"
        "6e2470b93aac583c9ef6eafca3f730ae")
ACT3 = ("00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355"
        "361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba")
MSGS = {0: "cf2b30ddf0cf3f80e7c35a6e6730b59fe802473180f396d88a8fb0db8cbcf25d2f214cf9ea1d95",
        1: "72887022101f0b6753e0c7de21657d35a4cb2a1f5cde2650528bbc8f837d0f0d7ad833b1a256a1",
        500: "178cb9d7387190fa34db9c2d50027d21793c9bc2d40b1e14dcf30ebeeeb220f48364f7a4c68bf8",
        501: "1b186c57d44eb6de4c057c49940d79bb838a145cb528d6e8fd26dbe50a60ca2c104b56b60e45bd",
        1000: "4a2f3cc3b5e78ddb83dcb426d9863d9d9a723b0337c89dd0b005d89f8d3c05c52b76b29b740f09",
        1001: "2ecd8c8a5629d0d02ab457a0fdd0f7b90a192cd46be5ecb6ca570bfc5e268338b1a16cf4ef2d36"}
PING = b"\x52\x00"          # Envelope{ping: {}}: field 10, empty


def test_the_tests_implementation_meets_the_spec_vectors():
    i = Handshake(I_LS, bytes.fromhex(R_PUB))
    r = Handshake(R_LS)
    assert pubkey(R_LS).hex() == R_PUB
    a1 = i.act1(I_E)
    assert a1.hex() == ACT1
    r.read_act1(a1)
    a2 = r.act2(R_E)
    assert a2.hex() == ACT2
    i.read_act2(a2)
    a3, ci = i.act3()
    assert a3.hex() == ACT3
    rs, cr = r.read_act3(a3)
    assert rs == pubkey(I_LS)
    for n in range(1002):
        out = ci.encrypt_msg(b"hello")
        if n in MSGS:
            assert out.hex() == MSGS[n], n
        assert cr.decrypt_body(out[18:]) == b"hello" if cr.decrypt_len(out[:18]) == 5 else False
    # a flipped bit in act two is refused
    i2 = Handshake(I_LS, bytes.fromhex(R_PUB))
    i2.act1(I_E)
    bad = bytearray(bytes.fromhex(ACT2))
    bad[-1] ^= 1
    try:
        i2.read_act2(bytes(bad))
        assert False, "a bad MAC was accepted"
    except HandshakeFailed:
        pass


def test_bob_answers_a_foreign_initiator_encrypted(dm):
    """Another implementation connects to bob: the handshake completes and
    bob's answer to its first message comes back encrypted and readable."""
    c = Conn.connect(dm.port, dm.node_id, bytes.fromhex("31" * 32), bytes.fromhex("32" * 32))
    c.send(PING)                     # a message before init: bob says so and closes
    body = c.recv()
    assert body[:1] == b"\x4a" and b"before init" in body, body   # Envelope{error}
    c.close()
    ev = wait_for(lambda: [e for e in dm.events("bob") if e["event"] == "peer_connected"] or None,
                  what="alice's connection in bob's log")
    assert ev                        # alice, meanwhile, is connected as ever


def test_alice_reaches_a_foreign_responder_and_only_the_node_she_names(build, processes, tmp_path):
    key = str(tmp_path / "alice.key")
    alice_id = node_key(build, key)
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    port = lst.getsockname()[1]
    try:
        alice = processes.spawn([build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (R_PUB, port),
                                 "--key", key, "--channel", "1btc"], str(tmp_path / "alice.log"))
        c = Conn.accept(lst, R_LS, R_E)
        assert c.remote.hex() == alice_id          # act three told us who she is
        first = c.recv()
        assert first[:1] == b"\x0a", first.hex()   # Envelope{init}: her first message
        c.close()
        alice.kill()
        alice.wait()
        # someone else at that address, answering act one with an act two
        # of its own: alice's check of act two fails, she sends nothing
        # and says why
        other = processes.spawn([build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (R_PUB, port),
                                 "--key", key, "--channel", "1btc"], str(tmp_path / "alice2.log"))
        lst.settimeout(10)
        s, _ = lst.accept()
        s.settimeout(10)
        assert len(s.recv(50)) > 0
        s.sendall(bytes.fromhex(ACT2))
        assert s.recv(100) == b""                  # nothing more from her: closed
        s.close()
        wait_for(lambda: "act two failed" in open(str(tmp_path / "alice2.log")).read(),
                 what="alice's word on the failed handshake")
        other.kill()
        other.wait()
    finally:
        lst.close()


def test_alice_given_another_nodes_id_backs_off_then_stops_and_says_why(build, start_daemons, tmp_path):
    # the lab's mistake: alice told to expect a node that is not the bob
    # listening there. Bob cannot read her act one (it is encrypted to the
    # key she expects), so every handshake fails; she must not hammer him
    # but back off, name the mismatch, and stop with the bad-input status.
    dm = start_daemons(start_alice=False)
    other = node_key(build, str(tmp_path / "other.key"))
    assert other != dm.node_id
    events = str(tmp_path / "alice.jsonl")
    r = run([build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (other, dm.port),
             "--channel", "1btc", "--events", events], timeout=60)
    where = "127.0.0.1:%d" % dm.port
    assert r.returncode == 2, r.stderr
    assert "bob at %s is not node %s" % (where, other) in r.stderr, r.stderr
    assert "handshake failed 5 times in a row" in r.stderr, r.stderr
    # every try but the last waits twice as long as the one before
    waits = [int(w) for w in re.findall(r"trying again in (\d+) ms", r.stderr)]
    tries = [int(t) for t in re.findall(r"failed \(.*\), (\d+) of 5:", r.stderr)]
    assert tries == [1, 2, 3, 4], r.stderr
    assert waits == [20, 40, 80, 160], r.stderr
    # five attempts, as bob saw them: each failed at act one
    failed = wait_for(lambda: [e for e in dm.events("bob") if e["event"] == "peer_error"
                               and "act one" in e["reason"]] or None, what="bob's act one failures")
    assert len(failed) == 5, failed
    gone = [e for e in read_events(events) if e["event"] == "peer_disconnected"]
    assert len(gone) == 5 and all(e["reason"].startswith("BOLT #8 handshake failed")
                                  for e in gone), gone
    # bob is unharmed: the right alice still gets in
    dm.start_alice(("1btc",))
    assert dm.alice.poll() is None


def test_bob_allows_only_the_nodes_given(build, processes, tmp_path):
    akey = str(tmp_path / "alice.key")
    alice_id = node_key(build, akey)
    ready, ev = str(tmp_path / "bob.ready"), str(tmp_path / "bob.jsonl")
    processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0", "--ready-file", ready,
                     "--events", ev, "--allow", alice_id])
    info = wait_for(lambda: read_json(ready), what="bob's ready file")
    # a stranger completes the handshake and is closed right after it
    c = Conn.connect(info["port"], info["node_id"], bytes.fromhex("51" * 32), bytes.fromhex("52" * 32))
    c.sock.settimeout(5)
    try:
        assert c.sock.recv(100) == b""
    except ConnectionResetError:
        pass
    refused = wait_for(lambda: [e for e in read_events(ev) if e["event"] == "peer_refused"] or None,
                       what="bob's peer_refused")
    assert refused[0]["node_id"] == pubkey(bytes.fromhex("51" * 32)).hex()
    # alice, allowed, gets in and pays
    asock = str(tmp_path / "a.sock")
    processes.spawn([build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (info["node_id"], info["port"]),
                     "--key", akey, "--control", asock, "--channel", "1btc", "--channel", "1btc"])
    wait_for(lambda: os.path.exists(asock) and rpc(asock, "getinfo")["result"]["connected"],
             what="alice connected")
    r = run([build.exe("ampsim"), "pay", "--control", asock, "--amount", "1.5btc", "--mode", "amp", "--wait"])
    assert r.returncode == 0 and '"settled"' in r.stdout, r.stdout + r.stderr


def test_a_channel_belongs_to_the_node_that_opened_it(dm):
    """A stranger who knows the run's clock and the channel ids can neither
    take alice's channel over nor acknowledge for it; alice pays on."""
    c = stranger_with_the_runs_clock(dm, 0x61)
    c.send(field(2, field(1, "c1") + field(2, 100000000000) + field(3, 100000000000) +
                  field(4, 483) + field(5, 1)))
    assert b"belongs to another node" in c.recv()
    c.close()
    c = stranger_with_the_runs_clock(dm, 0x71)
    c.send(field(12, field(1, "c1") + field(2, 0)))
    assert b"which this connection did not open" in c.recv()
    c.close()
    refused = wait_for(lambda: [e for e in dm.events("bob") if e["event"] == "message_refused"]
                       if len([e for e in dm.events("bob") if e["event"] == "message_refused"]) >= 2
                       else None, what="bob's message_refused events")
    assert {e["message"] for e in refused} == {"open_channel", "resolve_ack"}
    r = rpc(dm.alice_sock, "pay", {"id": "after", "amount": "1.5btc", "mode": "amp"})
    assert "result" in r, r
    wait_for(lambda: rpc(dm.alice_sock, "listpayments", {"summary": True})["result"]["after"] == "settled",
             what="alice's payment after the attack")


def test_a_strangers_junk_channels_are_bounded(dm):
    c = stranger_with_the_runs_clock(dm, 0x81)
    c.send(open_channel("junk-max", 2**64 - 1))
    assert b"capacity above 21 million BTC" in c.recv()
    for i in range(70):
        c.send(open_channel("junk%d" % i, 100000))
    answers = drain(c, 70)
    assert sum(1 for a in answers if a[:1] == b"\x1a") == 64            # AcceptChannel
    assert sum(1 for a in answers if b"too many channels from this node" in a) == 6
    c.close()
    assert rpc(dm.bob_sock, "getinfo")["result"]["channels"] == 2 + 64
    r = rpc(dm.alice_sock, "pay", {"id": "after", "amount": "1.5btc", "mode": "amp"})
    assert "result" in r, r
    wait_for(lambda: rpc(dm.alice_sock, "listpayments", {"summary": True})["result"]["after"] == "settled",
             what="alice's payment after the junk")


def test_far_htlc_ids_cost_bob_no_memory(dm):
    """An add with htlc_id 999,999 once made bob allocate a table sized by
    the id (+164 MB a message). Now it costs one record."""
    c = stranger_with_the_runs_clock(dm, 0x91)
    c.send(open_channel("far", 10 * 100000000000))
    assert c.recv()[:1] == b"\x1a"
    before = rss_kb(dm.bob.pid)
    mpp = field(1, b"\x07" * 32) + field(2, 1000)
    for k in range(40):
        hid = 999999 + k * 20011
        c.send(field(6, field(1, "far") + field(2, hid) + field(3, 1000) +
                      field(4, bytes([k]) * 32) + field(5, 500) + field(6, mpp) +
                      sender_sig(0x91, dm.node_id, "far", hid, bytes([k]) * 32, 1000, 500)))
    fails = [a for a in drain(c, 40) if a[:1] == b"\x42"]               # UpdateFailHtlc
    assert len(fails) == 40                                              # no such invoice
    c.close()
    assert rss_kb(dm.bob.pid) - before < 8 * 1024, (before, rss_kb(dm.bob.pid))
    r = rpc(dm.alice_sock, "pay", {"id": "after", "amount": "1.5btc", "mode": "amp"})
    assert "result" in r, r
    wait_for(lambda: rpc(dm.alice_sock, "listpayments", {"summary": True})["result"]["after"] == "settled",
             what="alice's payment after the far ids")


def test_one_node_holds_only_a_few_connections(dm):
    key = bytes([0xa1]) * 32
    conns = [Conn.connect(dm.port, dm.node_id, key, bytes([0xb0 + i]) * 32) for i in range(4)]
    extra = Conn.connect(dm.port, dm.node_id, key, bytes([0xc0]) * 32)
    extra.sock.settimeout(5)
    try:
        assert extra.sock.recv(100) == b""        # closed right after the handshake
    except ConnectionResetError:
        pass
    for c in conns:                               # the first four stay
        c.send(PING)
        assert b"before init" in c.recv()
        c.close()
    assert "too many connections from one node" in dm.log("bob")
