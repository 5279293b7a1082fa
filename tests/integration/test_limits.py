"""bob's connection limits against strangers, with a real bob and a real
alice: a peer that does not read, a peer that says nothing, a flood of
connections that never finish their handshake, with descriptors running
out. Each ends with alice's payment settled."""
import os
import shutil
import signal
import struct
import socket

import pytest

from bolt8 import Conn, pubkey
from stranger import (drain, field, open_channel, rss_allowance_kb, rss_kb, sender_sig,
                      stranger_with_the_runs_clock)
from support import node_key, read_json, rpc, wait_for


def _alice_pays(dm, pid="after", amount="1.5btc"):
    r = rpc(dm.alice_sock, "pay", {"id": pid, "amount": amount, "mode": "amp"})
    assert "result" in r, r
    wait_for(lambda: rpc(dm.alice_sock, "listpayments", {"summary": True})["result"][pid] == "settled",
             what="alice's payment after the attack")


def _peer_errors(dm, text):
    return [e for e in dm.events("bob") if e["event"] == "peer_error" and text in e.get("reason", "")]


def test_a_peer_that_does_not_read_is_disconnected(start_daemons):
    """Pings asking for 65,000-byte pongs, never reading them: once 2 MB of
    pings made bob hold 241 MB. Now bob stops reading it at 1 MiB of
    output and closes it after --write-timeout."""
    dm = start_daemons(bob_args=["--write-timeout", "1s"])
    c = stranger_with_the_runs_clock(dm, 0x31)
    before = rss_kb(dm.bob.pid)
    ping = field(10, field(1, 65000))
    c.sock.settimeout(15)
    try:
        for _ in range(4000):                  # 260 MB of pongs asked for
            c.send(ping)
    except OSError:
        pass                                   # bob stopped reading, then closed it
    err = wait_for(lambda: _peer_errors(dm, "does not read"), what="bob closing the non-reader")
    assert "after 1000 ms" in err[0]["reason"]
    # 260 MB were asked for; what bob holds stays far below
    assert rss_kb(dm.bob.pid) - before < rss_allowance_kb(16 * 1024), (before, rss_kb(dm.bob.pid))
    c.close()
    _alice_pays(dm)


def test_an_idle_stranger_is_closed_and_a_quiet_alice_is_not(start_daemons):
    dm = start_daemons(bob_args=["--idle-timeout", "1s"])
    c = stranger_with_the_runs_clock(dm, 0x35)
    c.sock.settimeout(15)
    assert b"idle: no message for 1000 ms" in c.recv()
    assert c.sock.recv(100) == b""             # then closed
    c.close()
    # alice said nothing for as long (her channels were open before the
    # stranger came) and keeps her connection: it carries her channels
    gone = [e for e in dm.events("bob") if e["event"] == "peer_disconnected"]
    assert len(gone) == 1 and "idle" in gone[0]["reason"], gone
    _alice_pays(dm)
    assert len([e for e in dm.events("bob") if e["event"] == "peer_disconnected"]) == 1


def test_silent_connections_cannot_lock_a_node_out(start_daemons):
    """100 connections that never start their handshake, with bob short of
    descriptors: the oldest are closed for newer ones, accepting never
    spins, and an honest node still gets in well before the strangers'
    10-second deadline would have freed anything."""
    if not shutil.which("prlimit"):
        pytest.fail("prlimit (util-linux) is needed for this test")
    dm = start_daemons(bob_wrap=["prlimit", "--nofile=28"])
    flood = []
    try:
        for _ in range(100):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", dm.port))
            except OSError:
                s.close()
                continue
            flood.append(s)
        assert len(flood) >= 60
        wait_for(lambda: "closing the oldest connection in its handshake" in dm.log("bob") or
                 "in their handshake: closing the oldest" in dm.log("bob"),
                 what="bob closing the oldest silent connection")
        # an honest node (the tests' own BOLT #8) connects behind them all;
        # its handshake must finish within 5 s (the strangers' deadline is 10)
        c = Conn.connect(dm.port, dm.node_id, bytes([0x45]) * 32, bytes([0x46]) * 32, timeout=5.0)
        c.send(b"\x52\x00")                    # a ping before init: answered
        assert b"before init" in c.recv()
        c.close()
    finally:
        for s in flood:
            s.close()
    log = dm.log("bob")
    assert "out of descriptors: closing the oldest" in log
    # a warning, not one per failed accept()
    assert log.count("accept:") <= 2, log.count("accept:")
    _alice_pays(dm)


def test_strangers_that_hold_no_channel_make_room_at_the_cap(start_daemons):
    """64 authenticated strangers, each with its own node and its init, fill
    every slot; the 65th connection closes the oldest of them (it holds no
    channel) instead of being refused. alice's connection is never chosen."""
    dm = start_daemons()
    conns = [stranger_with_the_runs_clock(dm, 0x10 + 2 * i) for i in range(64)]
    wait_for(lambda: "holds no channel" in dm.log("bob"), what="bob making room at the cap")
    first = conns[0]
    first.sock.settimeout(10)
    assert b"closing the oldest that holds no channel" in first.recv()
    for c in conns:
        c.close()
    gone = [e for e in dm.events("bob") if e["event"] == "peer_disconnected"]
    assert all("idle" not in e["reason"] for e in gone)
    _alice_pays(dm)


def test_sets_that_never_complete_are_bounded_and_cost_alice_nothing(start_daemons):
    """A stranger fills 20 channels with AMP parts of sets it never
    completes (set ids alike in their first 24 bytes). bob holds each, up
    to the channel's 483 HTLCs and no further, his control socket answers,
    his memory stays bounded, and alice's payment settles meanwhile."""
    dm = start_daemons(bob_args=["--hold", "600m"])
    c = stranger_with_the_runs_clock(dm, 0x51)
    nch, per = 20, 483
    for k in range(nch):
        c.send(open_channel("s%d" % k, 100000000000))
    assert all(a[:1] == b"\x1a" for a in drain(c, nch))                # AcceptChannel
    before = rss_kb(dm.bob.pid)
    mpp = field(1, b"\x07" * 32) + field(2, 2000)

    def add(k, i):
        set_id = b"\xaa" * 24 + struct.pack(">II", k, i)
        amp = field(1, b"\x01" * 32) + field(2, set_id) + field(3, i)
        h = bytes([k, i & 0xFF]) * 16
        return field(6, field(1, "s%d" % k) + field(2, i) + field(3, 1000) +
                     field(4, h) + field(5, 10**6) + field(6, mpp) + field(7, amp) +
                     sender_sig(0x51, dm.node_id, "s%d" % k, i, h, 1000, 10**6))

    for k in range(nch):
        for i in range(per):
            c.send(add(k, i))
        # bob countersigns each part he holds (htlc_signed): read them as
        # they come, as alice does
        assert all(a[:1] == b"\x72" for a in drain(c, per))
    held = wait_for(lambda: (lambda n: n if n == nch * per else None)(
        rpc(dm.bob_sock, "getinfo")["result"]["sets_holding"]), timeout=60,
        what="bob holding every part")
    assert held == nch * per
    c.send(add(0, per))                       # a 484th HTLC on s0: over max_accepted_htlcs
    c.sock.settimeout(10)
    answer = c.recv()
    assert answer[:1] == b"\x42", answer      # UpdateFailHtlc
    assert rss_kb(dm.bob.pid) - before < rss_allowance_kb(48 * 1024), (before, rss_kb(dm.bob.pid))
    _alice_pays(dm)
    assert rpc(dm.bob_sock, "getinfo")["result"]["sets_holding"] == nch * per
    c.close()


def test_a_stranger_that_says_init_first_cannot_lock_alice_out(start_daemons):
    """A stranger reaches bob before alice and sends init with a clock of its
    own (once, that fixed bob's clock for good, even across a restart). As
    it opens no channel, alice's init replaces that clock, the stranger may
    say nothing more, and alice pays."""
    dm = start_daemons(start_alice=False)
    init = field(1, 1) + field(3, 123456789) + field(4, 1000000) + field(5, 1e9) + field(6, 9)
    c = Conn.connect(dm.port, dm.node_id, bytes([0x5a]) * 32, bytes([0x5b]) * 32)
    c.send(field(1, init))
    assert c.recv()[:1] == b"\x0a"                # taken: bob's init comes back
    dm.start_alice(("1btc", "1btc"))
    wait_for(lambda: [e for e in dm.events("bob") if e["event"] == "clock_replaced"],
             what="alice's clock replacing the stranger's")
    c.sock.settimeout(10)
    c.send(b"\x52\x00")                           # a ping on the old clock
    assert b"new run since this connection's init" in c.recv()
    c.close()
    _alice_pays(dm)


def _open_many(c, name, n):
    """n channels from stranger c: (accepted, refused with the strangers' reason)."""
    for i in range(n):
        c.send(open_channel("%s-%d" % (name, i), 100000))
    answers = drain(c, n)
    return (sum(1 for a in answers if a[:1] == b"\x1a"),                # AcceptChannel
            sum(1 for a in answers if b"too many channels from strangers" in a))


def test_throwaway_keys_fill_only_the_strangers_half_of_bobs_channels(start_daemons, build,
                                                                      processes, tmp_path):
    """Five throwaway node keys of 64 channels each once filled all 256 of
    bob's channel slots. Nodes not in --allow (alice too, here) hold at
    most half together; a bob restarted with --allow then has room for his
    nodes."""
    akey = str(tmp_path / "alice.key")
    alice_id = node_key(build, akey)
    state = str(tmp_path / "bs")
    dm = start_daemons(bob_args=["--state", state], alice_args=["--key", akey])
    accepted = refused = 0
    for k in range(5):
        c = stranger_with_the_runs_clock(dm, 0x30 + 2 * k)
        a, r = _open_many(c, "s%d" % k, 64)
        accepted += a
        refused += r
        c.close()
    assert accepted == 128 - 2, accepted          # alice's two are strangers' too
    assert refused == 5 * 64 - accepted
    assert rpc(dm.bob_sock, "getinfo")["result"]["channels"] == 128
    _alice_pays(dm, "before", "0.25btc")
    # bob restarted on his state with --allow, on the same port: alice
    # reconnects, and a node he lists finds room although strangers are at
    # their half
    listed = pubkey(bytes([0x70]) * 32).hex()
    dm.bob.send_signal(signal.SIGTERM)
    assert dm.bob.wait(timeout=10) == 0
    os.unlink(os.path.join(dm.dir, "bob.ready"))
    ready = os.path.join(dm.dir, "bob.ready")
    dm.bob = processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:%d" % dm.port,
                              "--control", dm.bob_sock, "--events", dm.bob_events,
                              "--ready-file", ready, "--state", state,
                              "--allow", alice_id, "--allow", listed],
                             os.path.join(dm.dir, "bob.log"))
    dm.procs.append(dm.bob)
    wait_for(lambda: read_json(ready), what="the restarted bob's ready file")
    c = stranger_with_the_runs_clock(dm, 0x70)      # the key listed above
    a, r = _open_many(c, "listed", 64)
    c.close()
    assert (a, r) == (64, 0)
    assert rpc(dm.bob_sock, "getinfo")["result"]["channels"] == 128 + 64
    _alice_pays(dm, "after", "0.25btc")


def test_bob_counts_a_frame_deadline_only_while_he_reads(start_daemons):
    """Bob once closed honest-looking connections with "frame incomplete
    for 10000 ms" while he himself had stopped reading them (his output to
    them was over 1 MiB: his backpressure). A peer that takes its answers
    late, but within --write-timeout, now keeps its connection."""
    import threading
    import time
    dm = start_daemons(bob_args=["--write-timeout", "60s"])
    c = stranger_with_the_runs_clock(dm, 0x3b)
    ping = field(10, field(1, 1024))
    n = 12000                                  # 12 MB of pongs: bob stops reading us
    blob = b"".join(c.cipher.encrypt_msg(ping) for _ in range(n))
    c.sock.settimeout(60)
    sender = threading.Thread(target=c.sock.sendall, args=(blob,), daemon=True)
    sender.start()
    # more than the 10 s deadline passes while bob does not read our pings
    start = time.monotonic()
    wait_for(lambda: _peer_errors(dm, "frame incomplete") or time.monotonic() - start > 12,
             timeout=30, what="12 s to pass")
    assert not _peer_errors(dm, "frame incomplete"), _peer_errors(dm, "frame incomplete")
    # we read: bob reads again and answers every ping
    got = drain(c, n)
    sender.join(timeout=30)
    assert not sender.is_alive()
    assert len(got) == n and all(len(g) > 1024 for g in got)
    c.send(ping)
    assert len(c.recv()) > 1024                # still connected
    assert not _peer_errors(dm, "")
    c.close()
    _alice_pays(dm)
