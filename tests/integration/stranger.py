"""An authenticated stranger for the attack tests: a node of the tests'
own (tests/integration/bolt8.py) that speaks raw protobuf to bob."""
import hashlib
import os
import struct

from bolt8 import Conn, pubkey, sign
from support import read_json


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, value):
    """A protobuf field: int (varint), float (double), bytes or str."""
    if isinstance(value, float):
        return varint(num << 3 | 1) + struct.pack("<d", value)
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def _u64(v):
    return struct.pack(">Q", v)


def terms_digest(channel, htlc, payment_hash, amount, expiry, sender, receiver):
    """What both nodes sign of an HTLC (docs/protocol.md, "Signed terms"),
    written again here from the document."""
    ch = channel.encode()
    return hashlib.sha256(b"ampsim htlc terms v1" + bytes([len(ch)]) + ch + _u64(htlc) +
                          payment_hash + _u64(amount) + _u64(expiry) + sender +
                          receiver).digest()


def spend_digest(channel, htlc, kind, preimage=b""):
    """What the spender signs of a claim (with its preimage) or a refund."""
    ch = channel.encode()
    return hashlib.sha256(b"ampsim chain spend v1" + bytes([len(ch)]) + ch + _u64(htlc) +
                          bytes([0 if kind == "claim" else 1]) +
                          (preimage if kind == "claim" else b"")).digest()


def sender_sig(seed_byte, bob_id_hex, channel, htlc, payment_hash, amount, expiry):
    """update_add_htlc's field 8: the terms signed by the stranger's node
    (its key is seed_byte repeated, as stranger_with_the_runs_clock's)."""
    priv = bytes([seed_byte]) * 32
    return field(8, sign(priv, terms_digest(channel, htlc, payment_hash, amount, expiry,
                                            pubkey(priv), bytes.fromhex(bob_id_hex))))


def stranger_with_the_runs_clock(dm, seed_byte):
    """A node of its own, authenticated as itself, that sends an init with
    the run's very clock (an attacker who learnt it)."""
    info = read_json(os.path.join(dm.dir, "alice.ready"))
    init = (field(1, 1) + field(3, info["epoch_unix_us"]) + field(4, 1000000) +
            field(5, 20.0) + field(6, 1))
    c = Conn.connect(dm.port, dm.node_id, bytes([seed_byte]) * 32, bytes([seed_byte + 1]) * 32)
    c.send(field(1, init))
    assert c.recv()[:1] == b"\x0a"                 # bob took the init: his own comes back
    return c


def rss_allowance_kb(kb):
    """A bound on memory a daemon may grow by. AddressSanitizer (scripts/test
    --sanitize) puts redzones around every block and keeps freed ones in
    quarantine: several times the memory for the same work."""
    return kb * 4 if "ASAN_OPTIONS" in os.environ else kb


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_channel(channel, capacity_msat):
    return field(2, field(1, channel) + field(2, capacity_msat) + field(3, capacity_msat) +
                  field(4, 483) + field(5, 1))


def drain(c, n):
    """Read n of bob's answers (accepts, errors), whatever they are."""
    return [c.recv() for _ in range(n)]
