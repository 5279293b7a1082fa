"""Group commit: what one turn of a daemon's event loop decides is committed
in one transaction before any of it leaves the process. A daemon killed
between the commit and the send loses nothing: its peer never saw what it
had not stored, and what it stored it sends again after the restart."""
import hashlib
import json
import os
import shutil
import socket
import sqlite3

import pytest

from support import node_key, payment_summary, read_json, rpc, run, wait_for

PAYMENTS = [("s%d" % i, "single") for i in range(3)] + [("m%d" % i, "amp") for i in range(3)]


def pay(sock, pid, mode):
    params = {"id": pid, "amount": "0.1btc", "mode": mode}
    if mode == "amp":
        params["shards"] = 2
    return rpc(sock, "pay", params)


def connected(sock):
    try:           # a killed daemon leaves its socket file behind
        return rpc(sock, "getinfo")["result"]["connected"]
    except OSError:
        return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("victim,commit", [("bob", 2), ("bob", 5), ("alice", 2), ("alice", 5)])
def test_a_kill_between_the_commit_and_the_send_loses_nothing(build, processes, tmp_path, victim, commit):
    d = str(tmp_path)
    port = free_port()
    bsock, asock = os.path.join(d, "b.sock"), os.path.join(d, "a.sock")
    bob_key = os.path.join(d, "bob.key")
    bob_id = node_key(build, bob_key)
    bob_argv = [build.exe("bob"), "--listen", "127.0.0.1:%d" % port, "--control", bsock,
                "--state", os.path.join(d, "bs"), "--key", bob_key]
    alice_argv = [build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (bob_id, port), "--control", asock,
                  "--state", os.path.join(d, "as"),
                  "--channel", "id=a,capacity=1btc", "--channel", "id=b,capacity=1btc"]
    kill = {"AMPSIM_KILL_AFTER_COMMIT": str(commit)}
    logs = {n: os.path.join(d, n + ".log") for n in ("bob", "alice")}
    procs = {"bob": processes.spawn(bob_argv, logs["bob"], env=kill if victim == "bob" else None)}
    wait_for(lambda: os.path.exists(bsock), what="bob's socket")
    procs["alice"] = processes.spawn(alice_argv, logs["alice"], env=kill if victim == "alice" else None)
    # the victim may die before every payment is in: they go in while it lives
    wait_for(lambda: procs[victim].poll() is not None or connected(asock), what="alice connected")
    for pid, mode in PAYMENTS:
        try:
            if "result" not in pay(asock, pid, mode):
                break
        except (OSError, ValueError):
            break
    wait_for(lambda: procs[victim].poll() is not None, what=victim + " to be killed")
    assert procs[victim].returncode == -9
    with open(logs[victim]) as f:
        assert "killed after the commit, before the send" in f.read()
    # the same daemon on the same state, without the kill
    procs[victim] = processes.spawn(bob_argv if victim == "bob" else alice_argv, logs[victim])
    wait_for(lambda: connected(asock), what="alice connected again")
    for pid, mode in PAYMENTS:      # those she had not taken are asked again
        if pid not in payment_summary(asock):
            assert "result" in pay(asock, pid, mode)
    wait_for(lambda: "pending" not in payment_summary(asock).values(), timeout=30,
             what="every payment to end")
    assert payment_summary(asock) == {pid: "settled" for pid, _ in PAYMENTS}
    wait_for(lambda: rpc(asock, "channels")["result"] == rpc(bsock, "channels")["result"],
             what="the two views to agree")
    chans = rpc(bsock, "channels")["result"]
    # not a millisatoshi lost or created: bob holds exactly what was paid
    assert sum(c["bob_msat"] for c in chans.values()) == len(PAYMENTS) * 10_000_000_000, chans
    for c in chans.values():
        assert c["alice_msat"] + c["bob_msat"] == c["capacity_msat"] and c["htlcs"] == 0, c
    assert rpc(asock, "getinfo")["result"]["violations"] == 0
    assert rpc(bsock, "getinfo")["result"]["violations"] == 0


def test_the_bench_counts_fsyncs_and_commits_once_per_turn(build, tmp_path):
    r = run([build.exe("ampsim"), "bench", "--payments", "2000", "--concurrency", "50", "--channels", "4",
             "--pings", "1000", "--state", str(tmp_path / "st"), "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["durable"] is True and doc["settled"] == 2000, doc
    # one commit per turn, many payments per turn: far fewer fsyncs than
    # payments (a transaction per record took about nine per payment)
    for node in ("alice", "bob"):
        assert 0 < doc[node + "_fsyncs"] and doc[node + "_fsyncs_per_payment"] < 1, doc
        assert doc[node + "_commits"] < 2000, doc
    assert 0 < doc["durable_vs_in_memory"] and doc["in_memory"]["settled"] == 2000, doc
    assert doc["in_memory"]["wire_vs_pingpong"] > 0 and doc["in_memory"]["messages"] >= 5 * 2000, doc
    # a second bench on the same folder would restart on the first one's payments
    r = run([build.exe("ampsim"), "bench", "--payments", "10", "--state", str(tmp_path / "st")])
    assert r.returncode == 2 and "already holds a benchmark's state" in r.stderr, r.stderr


def test_state_written_by_an_earlier_layout_is_carried_over(build, processes, tmp_path):
    """bob's invoices keyed by their hash and alice's payments keyed by id
    (the layout before group commit) are renumbered in place on start."""
    bs = tmp_path / "bs"
    bs.mkdir(mode=0o700)
    db = sqlite3.connect(str(bs / "bob.db"))
    db.executescript(
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);"
        "CREATE TABLE invoices (hash BLOB PRIMARY KEY, preimage BLOB, secret BLOB,"
        " amount INTEGER, paid INTEGER, created INTEGER, min_cltv INTEGER, description TEXT);"
        "CREATE TABLE settled_sets (setkey BLOB PRIMARY KEY);")
    for i in (3, 1, 2):     # rowid order is the order they were made
        pre = bytes([i + 10]) * 32
        db.execute("INSERT INTO invoices VALUES (?,?,?,?,0,0,18,?)",
                   (hashlib.sha256(pre).digest(), pre, bytes([i + 20]) * 32, i * 1000, "inv%d" % i))
    db.execute("INSERT INTO settled_sets VALUES (?)", (b"\x07" * 32,))
    db.commit()
    db.close()
    # a preimage that does not hash to its invoice's hash is damage, refused
    bad = tmp_path / "bad"
    bad.mkdir(mode=0o700)
    shutil.copy(str(bs / "bob.db"), str(bad / "bob.db"))
    db = sqlite3.connect(str(bad / "bob.db"))
    db.execute("UPDATE invoices SET preimage = ? WHERE description = 'inv1'", (b"\x01" * 32,))
    db.commit()
    db.close()
    r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--state", str(bad)], timeout=20)
    assert r.returncode == 2 and "does not hash to its payment hash" in r.stderr, r.stderr
    bsock = str(tmp_path / "b.sock")
    processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0", "--control", bsock, "--state", str(bs)])
    wait_for(lambda: os.path.exists(bsock), what="bob's socket")
    invs = rpc(bsock, "listinvoices")["result"]
    invs = invs.get("invoices", invs) if isinstance(invs, dict) else invs
    assert [i["description"] for i in invs] == ["inv3", "inv1", "inv2"], invs
    db = sqlite3.connect(str(bs / "bob.db"))
    assert db.execute("SELECT seq, description FROM invoices ORDER BY seq").fetchall() == \
        [(1, "inv3"), (2, "inv1"), (3, "inv2")]
    assert db.execute("SELECT setkey FROM settled_sets").fetchall() == [(b"\x07" * 32,)]
    db.close()


def test_finished_payments_and_paid_invoices_are_forgotten_and_totals_kept(build, processes, tmp_path):
    """A daemon that has run many payments keeps the newest finished ones
    (--keep-payments, --keep-invoices) in memory and in its state; the
    totals still count every payment, across a restart."""
    d = str(tmp_path)
    port = free_port()
    bsock, asock = os.path.join(d, "b.sock"), os.path.join(d, "a.sock")
    bob_key = os.path.join(d, "bob.key")
    bob_id = node_key(build, bob_key)
    processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:%d" % port, "--control", bsock,
                     "--state", os.path.join(d, "bs"), "--keep-invoices", "5", "--key", bob_key])
    wait_for(lambda: os.path.exists(bsock), what="bob's socket")
    alice_argv = [build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (bob_id, port), "--control", asock,
                  "--state", os.path.join(d, "as"), "--keep-payments", "5",
                  "--channel", "id=a,capacity=10btc", "--channel", "id=b,capacity=10btc"]
    alice = processes.spawn(alice_argv)
    wait_for(lambda: connected(asock), what="alice connected")
    n = 2500
    r = rpc(asock, "bench", {"payments": n, "concurrency": 20, "mode": "single", "amount": "1000sat"})
    assert "result" in r, r
    wait_for(lambda: "wall_us" in rpc(asock, "benchstatus")["result"], timeout=60, what="the payments")
    info = rpc(asock, "getinfo")["result"]
    assert info["settled"] == n, info
    kept = info["payments"]
    assert kept < n - 1000 and kept >= 5, info          # forgotten a batch at a time
    invoices = rpc(bsock, "listinvoices")["result"]
    invoices = invoices.get("invoices", invoices) if isinstance(invoices, dict) else invoices
    assert 5 <= len(invoices) < n - 1000, len(invoices)
    # the state holds what memory holds
    alice.kill()
    alice.wait()
    db = sqlite3.connect(os.path.join(d, "as", "alice.db"))
    assert db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == kept
    db.close()
    db = sqlite3.connect(os.path.join(d, "bs", "bob.db"))
    assert db.execute("SELECT COUNT(*) FROM invoices").fetchone()[0] < n - 1000
    assert db.execute("SELECT COUNT(*) FROM htlcs").fetchone()[0] == 0     # all acknowledged
    db.close()
    # after a restart the totals still count every payment
    processes.spawn(alice_argv)
    wait_for(lambda: connected(asock), what="alice connected again")
    info = rpc(asock, "getinfo")["result"]
    # (and on start, what is past the limit goes at once)
    assert info["settled"] == n and info["payments"] == 5, info
    wait_for(lambda: rpc(asock, "channels")["result"] == rpc(bsock, "channels")["result"],
             what="the two views to agree")
    chans = rpc(bsock, "channels")["result"]
    assert sum(c["bob_msat"] for c in chans.values()) == n * 1_000_000, chans
