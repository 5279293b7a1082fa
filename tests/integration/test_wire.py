"""A peer that sends garbage to bob: only that peer is disconnected."""
import socket
import struct

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
    # an oversized length header
    s = raw_connect(dm.port)
    s.sendall(struct.pack(">I", 0xFFFFFFF0) + b"x" * 16)
    assert closed_by_peer(s), "bob kept a connection that sent an oversized frame"
    s.close()
    # a frame of the right length whose payload is not a protobuf
    s = raw_connect(dm.port)
    s.sendall(struct.pack(">I", 8) + b"\xff" * 8)
    assert closed_by_peer(s), "bob kept a connection that sent garbage"
    s.close()
    # a valid envelope before init: Ping{} is field 10, empty
    s = raw_connect(dm.port)
    s.sendall(struct.pack(">I", 2) + b"\x52\x00")
    assert closed_by_peer(s), "bob accepted a message before init"
    s.close()

    def peer_errors():
        errs = [e for e in dm.events("bob") if e["event"] == "peer_error"]
        return errs if len(errs) >= 2 else None

    errs = wait_for(peer_errors, what="peer_error events")
    reasons = " | ".join(e["reason"] for e in errs)
    assert "frame length" in reasons and "protobuf" in reasons, reasons
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
    s.sendall(struct.pack(">I", 100) + b"\x0a")   # promises 100 bytes, sends 1
    s.close()
    wait_for(lambda: any(e["event"] == "peer_disconnected" for e in dm.events("bob")),
             what="bob to notice the close")
    info = rpc(dm.bob_sock, "getinfo")["result"]
    assert info["violations"] == 0 and info["channels"] == 2
    assert dm.stop() == [0, 0]
