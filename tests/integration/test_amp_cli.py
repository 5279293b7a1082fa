"""`ampsim amp`: the AMP arithmetic on the command line, against an
independent model of lnd's construction."""
import hashlib
import json
import struct

from support import run


def model_derive(root, share, index):
    pre = hashlib.sha256(root + share + struct.pack(">I", index)).digest()
    return pre, hashlib.sha256(pre).digest()


def test_amp_derive_matches_lnd_construction(build):
    cases = [
        (bytes(32), bytes(32), 0),
        (bytes(32), bytes(32), 0xFFFFFFFF),
        (bytes(range(32)), bytes(range(32, 64)), 1),
        (hashlib.sha256(b"root").digest(), hashlib.sha256(b"share").digest(), 123456),
    ]
    for root, share, idx in cases:
        r = run([build.exe("ampsim"), "amp", "derive", "--root", root.hex(), "--share", share.hex(),
                 "--index", str(idx), "--json"])
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        pre, h = model_derive(root, share, idx)
        assert got["preimage"] == pre.hex() and got["hash"] == h.hex(), (idx, got)


def test_amp_combine_and_split_round_trip(build):
    ampsim = build.exe("ampsim")
    shares = [hashlib.sha256(bytes([i])).digest() for i in range(3)]
    root = bytes(a ^ b ^ c for a, b, c in zip(*shares))
    r = run([ampsim, "amp", "combine"] + [s.hex() for s in shares] + ["--json"])
    assert r.returncode == 0 and json.loads(r.stdout)["root"] == root.hex(), r.stdout + r.stderr
    r = run([ampsim, "amp", "split", "--root", root.hex(), "--shares", "5", "--json"])
    got = json.loads(r.stdout)["shares"]
    assert len(got) == 5 and len(set(got)) == 5
    r = run([ampsim, "amp", "combine"] + got)
    assert r.stdout.split()[-1] == root.hex(), r.stdout


def test_amp_cli_rejects_bad_hex(build):
    ampsim = build.exe("ampsim")
    r = run([ampsim, "amp", "derive", "--root", "zz", "--share", "00" * 32, "--index", "1"])
    assert r.returncode == 2 and "--root" in r.stderr
    r = run([ampsim, "amp", "derive", "--root", "00" * 32, "--share", "00" * 32, "--index", "4294967296"])
    assert r.returncode == 2 and "--index" in r.stderr
