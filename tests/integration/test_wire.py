"""A peer that sends garbage to bob: only that peer is disconnected."""
import socket
import struct

from bolt8 import Conn
from support import payment_summary, rpc, wait_for


def raw_connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def closed_by_peer(s):
    s.settimeout(5)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_malformed_frames_disconnect_only_that_peer(dm):
    # bytes that are not a BOLT #8 handshake: an oversized plaintext frame
    s = raw_connect(dm.port)
    s.sendall(struct.pack(">I", 0xFFFFFFF0) + b"x" * 46)
    assert closed_by_peer(s), "bob kept a connection that is not BOLT #8"
    s.close()
    # an authenticated peer whose message is not a protobuf
    c = Conn.connect(dm.port, dm.node_id, b"\x31" * 32, b"\x32" * 32)
    c.send(b"\xff" * 8)
    assert closed_by_peer(c.sock), "bob kept a connection that sent garbage"
    c.close()
    # an authenticated peer with a valid envelope before init: Ping{}
    c = Conn.connect(dm.port, dm.node_id, b"\x33" * 32, b"\x34" * 32)
    c.send(b"\x52\x00")
    assert closed_by_peer(c.sock), "bob accepted a message before init"
    c.close()
    # an empty message: not one envelope
    c = Conn.connect(dm.port, dm.node_id, b"\x35" * 32, b"\x36" * 32)
    c.send(b"")
    assert closed_by_peer(c.sock), "bob kept a connection that sent an empty message"
    c.close()

    def peer_errors():
        errs = [e for e in dm.events("bob") if e["event"] == "peer_error"]
        return errs if len(errs) >= 3 else None

    errs = wait_for(peer_errors, what="peer_error events")
    reasons = " | ".join(e["reason"] for e in errs)
    assert "BOLT #8 act one failed" in reasons and "protobuf" in reasons, reasons
    assert "not one envelope" in reasons, reasons
    assert "before init" in dm.log("bob")
    # bob goes on serving alice
    r = rpc(dm.alice_sock, "pay", {"id": "after", "amount": "1.5btc", "mode": "amp"})
    assert "result" in r, r
    out = wait_for(lambda: (lambda p: p if p["after"] != "pending" else None)(payment_summary(dm.alice_sock)),
                   what="payment outcome")
    assert out["after"] == "settled", out
    codes = dm.stop()
    assert codes == [0, 0], "daemons exited with %s" % codes


def test_truncated_frame_then_close_is_harmless(dm):
    s = raw_connect(dm.port)
    s.sendall(struct.pack(">I", 100) + b"\x0a")   # half an act one, then gone
    s.close()
    c = Conn.connect(dm.port, dm.node_id, b"\x37" * 32, b"\x38" * 32)
    c.sock.sendall(c.cipher.encrypt_msg(b"\x52\x00")[:10])   # half a message, then gone
    c.close()
    wait_for(lambda: any(e["event"] == "peer_disconnected" for e in dm.events("bob")),
             what="bob to notice the close")
    info = rpc(dm.bob_sock, "getinfo")["result"]
    assert info["violations"] == 0 and info["channels"] == 2
    assert dm.stop() == [0, 0]
