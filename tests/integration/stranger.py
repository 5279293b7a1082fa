"""An authenticated stranger for the attack tests: a node of the tests'
own (tests/integration/bolt8.py) that speaks raw protobuf to bob."""
import os
import struct

from bolt8 import Conn
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
