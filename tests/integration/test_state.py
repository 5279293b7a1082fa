"""Durable state: a daemon killed by hand comes back from its state."""
import os
import signal
import socket

from support import node_key, payment_summary, read_events, rpc, run, wait_for


def test_state_survives_kill_between_runs_of_a_daemon(build, processes, tmp_path):
    # a lab user kills bob by hand mid-payment and starts him again
    d = str(tmp_path)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    bsock, asock = os.path.join(d, "b.sock"), os.path.join(d, "a.sock")
    bob_key = os.path.join(d, "bob.key")
    bob_id = node_key(build, bob_key)
    bob_argv = [build.exe("bob"), "--listen", "127.0.0.1:%d" % port, "--control", bsock,
                "--state", os.path.join(d, "bs"), "--events", os.path.join(d, "b.ev"), "--key", bob_key]
    bob = processes.spawn(bob_argv)
    wait_for(lambda: os.path.exists(bsock), what="bob's socket")
    processes.spawn([build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (bob_id, port), "--control", asock,
                     "--state", os.path.join(d, "as"), "--time-scale", "20",
                     "--channel", "id=a,capacity=1btc,delay=2s", "--channel", "id=b,capacity=1btc,delay=2s"])
    wait_for(lambda: (lambda i: i and i.get("result", {}).get("connected"))(
        rpc(asock, "getinfo") if os.path.exists(asock) else None), what="alice connected")
    rpc(asock, "pay", {"id": "x", "amount": "2btc", "mode": "amp"})
    bob.send_signal(signal.SIGKILL)
    bob.wait()
    processes.spawn(bob_argv)
    wait_for(lambda: payment_summary(asock)["x"] != "pending", timeout=30, what="payment outcome")
    assert payment_summary(asock)["x"] == "settled"
    wait_for(lambda: rpc(asock, "channels")["result"] == rpc(bsock, "channels")["result"],
             what="views to agree")
    names = [e["event"] for e in read_events(os.path.join(d, "b.ev"))]
    assert "restart" in names and "channel_reestablish" in names, names


def test_a_fresh_alice_stops_when_bob_keeps_another_run(build, processes, tmp_path):
    import os
    from support import read_json, wait_for
    d = str(tmp_path)
    ready = os.path.join(d, "bob.ready")
    processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0", "--state",
                     os.path.join(d, "bob-state"), "--ready-file", ready])
    info = wait_for(lambda: read_json(ready), what="bob's ready file")
    port, bob_id = info["port"], info["node_id"]
    first_ready = os.path.join(d, "alice1.ready")
    a1 = processes.spawn([build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (bob_id, port),
                          "--channel", "1btc", "--ready-file", first_ready])
    wait_for(lambda: read_json(first_ready), what="the first alice")
    a1.kill()
    a1.wait()
    # another alice, another run: bob refuses her; she stops and says why
    r = run([build.exe("alice"), "--connect", "%s@127.0.0.1:%d" % (bob_id, port), "--channel", "1btc"],
            timeout=60)
    assert r.returncode == 1
    assert "refused this alice 3 times" in r.stderr and "another run" in r.stderr, r.stderr


def test_an_emptied_state_file_is_refused_not_taken_as_fresh(build, processes, tmp_path):
    """A daemon's state file truncated to 0 bytes (a disk fault, a careless
    redirect) is damaged state: the daemon refuses it and changes nothing,
    instead of starting over and forgetting its channels and HTLCs. A new
    file never appears empty, so this never refuses a genuine first start."""
    bs, as_ = tmp_path / "bs", tmp_path / "as"
    bsock = str(tmp_path / "b.sock")
    bob = processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0", "--control", bsock,
                           "--state", str(bs)])
    wait_for(lambda: os.path.exists(bsock), what="bob's socket")
    assert (bs / "bob.db").stat().st_size > 0            # a first start writes it whole
    assert not [n for n in os.listdir(bs) if ".new." in n]
    bob.send_signal(signal.SIGKILL)
    bob.wait()
    (bs / "bob.db").write_bytes(b"")
    r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--state", str(bs)], timeout=20)
    assert r.returncode == 2, r.stderr
    assert "bob.db: the state file is empty (0 bytes)" in r.stderr, r.stderr
    assert (bs / "bob.db").stat().st_size == 0           # nothing was changed
    as_.mkdir(mode=0o700)
    (as_ / "alice.db").write_bytes(b"")
    r = run([build.exe("alice"), "--connect", "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798@127.0.0.1:9", "--state", str(as_),
             "--channel", "id=a,capacity=1btc"], timeout=20)
    assert r.returncode == 2 and "alice.db: the state file is empty" in r.stderr, r.stderr


def test_a_damaged_state_file_is_refused(build, processes, tmp_path):
    """Pages of bob.db overwritten with junk: bob exits 2 naming the file,
    and does not start with whatever part of it still reads."""
    bs = tmp_path / "bs"
    bsock = str(tmp_path / "b.sock")
    bob = processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0", "--control", bsock,
                           "--state", str(bs)])
    wait_for(lambda: os.path.exists(bsock), what="bob's socket")
    bob.send_signal(signal.SIGKILL)
    bob.wait()
    db = bs / "bob.db"
    data = bytearray(db.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)        # every page after the first
    db.write_bytes(bytes(data))
    r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--state", str(bs)], timeout=20)
    assert r.returncode == 2, r.stderr
    assert "bob.db: the state file is damaged" in r.stderr, r.stderr
    assert db.read_bytes() == bytes(data)               # nothing was written


def test_a_lost_or_damaged_write_ahead_log_is_refused(start_daemons, build, tmp_path):
    """After kill -9 bob's last commits live in bob.db-wal. Deleting that
    log, cutting it, emptying it or writing junk into it once made bob start
    with 0 channels and say nothing. Now each is refused (exit 2, naming the
    files) and nothing is changed; the untouched state restarts whole."""
    import shutil
    dm = start_daemons(bob_args=["--state", str(tmp_path / "bs")])
    r = rpc(dm.alice_sock, "pay", {"id": "p1", "amount": "1.5btc", "mode": "amp"})
    assert "result" in r, r
    wait_for(lambda: payment_summary(dm.alice_sock)["p1"] == "settled", what="the payment")
    dm.bob.send_signal(signal.SIGKILL)
    dm.bob.wait()
    wal = tmp_path / "bs" / "bob.db-wal"
    assert wal.stat().st_size > 0
    pristine = tmp_path / "pristine"
    shutil.copytree(tmp_path / "bs", pristine)
    size = wal.stat().st_size

    def damage_cut(w):
        with open(w, "r+b") as f:
            f.truncate(size // 2)

    def damage_junk(w):
        with open(w, "r+b") as f:
            f.seek(size // 3)
            f.write(os.urandom(8192))

    cases = {"deleted": lambda w: os.unlink(w), "emptied": lambda w: open(w, "wb").close(),
             "cut": damage_cut, "junk": damage_junk}
    for what, damage in cases.items():
        case = tmp_path / ("bs-" + what)
        shutil.copytree(pristine, case)
        damage(case / "bob.db-wal")
        def files():
            # the database and its log (-shm is SQLite's rebuilt index)
            return [(case / n).read_bytes() if (case / n).exists() else b""
                    for n in ("bob.db", "bob.db-wal")]
        before = files()
        r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--state", str(case)], timeout=20)
        assert r.returncode == 2, (what, r.stderr)
        assert "the last ones are lost" in r.stderr and "bob.db-wal" in r.stderr, (what, r.stderr)
        assert files() == before, what                # nothing was changed
    # the untouched copy starts, with both channels
    sock = str(tmp_path / "again.sock")
    bob = dm.processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0", "--control", sock,
                              "--state", str(pristine)])
    wait_for(lambda: os.path.exists(sock), what="bob restarted")
    assert rpc(sock, "getinfo")["result"]["channels"] == 2
    bob.send_signal(signal.SIGTERM)


EDITS = {
    # daemon, SQL on its database, what the refusal must say
    "bob: an HTLC on an unknown channel": (
        "bob", "UPDATE htlcs SET channel = 'nope' WHERE rowid = (SELECT MIN(rowid) FROM htlcs)",
        "unknown channel"),
    "bob: a NULL channel id": ("bob", "UPDATE channels SET id = NULL WHERE rowid = 1",
                               "channel (null) does not load"),
    "bob: an edited balance": ("bob", "UPDATE channels SET bob = bob + 1000", "does not add up"),
    "bob: an HTLC id of 2^62": (
        "bob", "UPDATE htlcs SET id = 4611686018427387904 WHERE rowid = (SELECT MIN(rowid) FROM htlcs)",
        "id above every id its channel has seen"),
    "bob: a payment hash of one byte": (
        "bob", "UPDATE htlcs SET hash = x'00' WHERE rowid = (SELECT MIN(rowid) FROM htlcs)",
        "is not 32 bytes"),
    "bob: a channel copied without its HTLCs": (
        "bob", "INSERT INTO channels SELECT 'c9', capacity, alice, bob, max_htlcs, htlc_min, delay,"
               " jitter, jitter_dist, drop_p, dup, htlc_next, htlc_done, owner FROM channels LIMIT 1",
        "does not add up"),
    "bob: HTLCs kept before their terms were signed": (
        "bob", "ALTER TABLE htlcs DROP COLUMN sigs", "HTLC terms were not signed"),
    "bob: signed terms cut short": ("bob", "UPDATE htlcs SET sigs = x'00'", "not two signatures"),
    "alice: a payment record from before signed terms": (
        "alice", "UPDATE payments SET doc = CAST(x'01' || substr(doc, 2) AS BLOB)",
        "HTLC terms were not signed"),
    "alice: an edited balance": ("alice", "UPDATE channels SET bob = bob + 1000", "does not add up"),
    "alice: a balance above the capacity": ("alice", "UPDATE channels SET alice = capacity + 1",
                                            "does not load"),
}


def test_edited_states_are_refused_with_the_file_and_the_problem(start_daemons, build, tmp_path):
    """Rows edited by hand (or by a disk): each daemon exits 2 naming its
    state and what does not hold, never starts, never aborts."""
    import shutil
    import sqlite3
    dm = start_daemons(bob_args=["--state", str(tmp_path / "bs"), "--behaviour", "hold"],
                       alice_args=["--state", str(tmp_path / "as")])
    r = rpc(dm.alice_sock, "pay", {"id": "p1", "amount": "1.5btc", "mode": "amp"})
    assert "result" in r, r
    wait_for(lambda: rpc(dm.bob_sock, "getinfo")["result"]["htlcs_received"] == 2,
             what="bob holding both parts")
    for p in (dm.bob, dm.alice):
        p.send_signal(signal.SIGKILL)
        p.wait()
    for name, (node, sql, said) in EDITS.items():
        src = tmp_path / ("bs" if node == "bob" else "as")
        case = tmp_path / "case"
        shutil.rmtree(case, ignore_errors=True)
        shutil.copytree(src, case)
        con = sqlite3.connect(str(case / (node + ".db")))
        con.execute(sql)
        con.commit()
        con.close()
        os.unlink(case / (node + ".lock"))          # edited by hand, not lost commits
        if node == "bob":
            argv = [build.exe("bob"), "--listen", "127.0.0.1:0", "--state", str(case)]
        else:
            argv = [build.exe("alice"), "--connect", "%s@127.0.0.1:9" % dm.node_id,
                    "--state", str(case), "--channel", "1btc", "--channel", "1btc"]
        r = run(argv, timeout=20)
        assert r.returncode == 2, (name, r.returncode, r.stderr)
        assert said in r.stderr and str(case) in r.stderr, (name, r.stderr)
        assert "BUG" not in r.stderr and "Abort" not in r.stderr, (name, r.stderr)
