"""bob's connection limits against strangers, with a real bob and a real
alice: a peer that does not read, a peer that says nothing, a flood of
connections that never finish their handshake, with descriptors running
out. Each ends with alice's payment settled."""
import shutil
import socket

import pytest

from bolt8 import Conn
from stranger import field, rss_kb, stranger_with_the_runs_clock
from support import rpc, wait_for


def _alice_pays(dm, pid="after"):
    r = rpc(dm.alice_sock, "pay", {"id": pid, "amount": "1.5btc", "mode": "amp"})
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
    assert rss_kb(dm.bob.pid) - before < 16 * 1024, (before, rss_kb(dm.bob.pid))
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
