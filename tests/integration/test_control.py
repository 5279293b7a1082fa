"""The control socket (JSON-RPC 2.0) and the lab commands that use it."""
import json
import socket

from support import payment_summary, rpc, run, wait_for


def test_control_socket_speaks_jsonrpc(dm):
    h = rpc(dm.alice_sock, "help")
    assert h["jsonrpc"] == "2.0" and "pay" in h["result"], h
    u = rpc(dm.alice_sock, "frobnicate")
    assert u["error"]["code"] == -32601, u
    bad = rpc(dm.alice_sock, "pay", {"amount": "12 apples"})
    assert bad["error"]["code"] == -32602 and "amount" in bad["error"]["message"], bad
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(dm.alice_sock)
    s.sendall(b"{not json\n")
    resp = json.loads(s.makefile().readline())
    s.close()
    assert resp["error"]["code"] == -32700, resp
    assert dm.stop() == [0, 0]


def test_an_invoice_of_another_bob_is_refused(build, dm, start_daemons):
    """Invoices are signed by Bob's node key: alice pays only those of the
    node she is connected to."""
    ampsim = build.exe("ampsim")
    other = start_daemons(start_alice=False)
    r = run([ampsim, "invoice", "--control", other.bob_sock, "--amount", "0.3btc"])
    assert r.returncode == 0, r.stderr
    foreign = json.loads(r.stdout)["invoice"]
    r = run([ampsim, "pay", "--control", dm.alice_sock, "--invoice", foreign, "--id", "x"])
    assert r.returncode != 0 and "not signed by the bob this alice is connected to" in r.stderr, r.stderr
    # bob's own invoice is paid
    r = run([ampsim, "invoice", "--control", dm.bob_sock, "--amount", "0.3btc"])
    own = json.loads(r.stdout)["invoice"]
    r = run([ampsim, "pay", "--control", dm.alice_sock, "--invoice", own, "--id", "y"])
    assert r.returncode == 0, r.stderr


def test_lab_flow_invoice_then_pay_with_cli(build, dm):
    ampsim = build.exe("ampsim")
    r = run([ampsim, "invoice", "--control", dm.bob_sock, "--amount", "0.3btc",
             "--description", "coffee"])
    assert r.returncode == 0, r.stderr
    inv = json.loads(r.stdout)["invoice"]
    assert inv.startswith("lnsim1")
    r = run([ampsim, "pay", "--control", dm.alice_sock, "--invoice", inv, "--id", "coffee"])
    assert r.returncode == 0, r.stderr
    wait_for(lambda: payment_summary(dm.alice_sock)["coffee"] != "pending", what="coffee outcome")
    r = run([ampsim, "payments", "--control", dm.alice_sock])
    pays = json.loads(r.stdout)
    assert pays["coffee"]["outcome"] == "settled", pays
    invs = rpc(dm.bob_sock, "listinvoices")["result"]
    assert [i["status"] for i in invs] == ["paid"], invs
    # paying the same invoice again is refused by bob
    run([ampsim, "pay", "--control", dm.alice_sock, "--invoice", inv, "--id", "again"])
    wait_for(lambda: payment_summary(dm.alice_sock)["again"] != "pending", what="second outcome")
    assert payment_summary(dm.alice_sock)["again"] == "failed"
    a = rpc(dm.alice_sock, "channels")["result"]
    b = rpc(dm.bob_sock, "channels")["result"]
    assert a == b, (a, b)
    assert sum(c["bob_msat"] for c in a.values()) == 30000000000
    assert dm.stop() == [0, 0]


def test_fault_requests_that_make_no_sense_are_refused(build, dm):
    ampsim = build.exe("ampsim")
    # partition acts on every channel: naming one is a mistake, not a hint
    r = run([ampsim, "fault", "--control", dm.alice_sock, "--action", "partition",
             "--channel", "c1"])
    assert r.returncode == 2 and "every channel" in r.stderr, (r.returncode, r.stderr)
    # "up" is not a window: lifting it means nothing
    r = run([ampsim, "fault", "--control", dm.alice_sock, "--action", "up", "--channel", "c1",
             "--lift"])
    assert r.returncode == 2 and "cannot be lifted" in r.stderr, (r.returncode, r.stderr)
    # what makes sense still works
    r = run([ampsim, "fault", "--control", dm.alice_sock, "--action", "down", "--channel", "c1"])
    assert r.returncode == 0, r.stderr
    assert dm.stop() == [0, 0]


def test_pay_wait_returns_the_outcome(build, dm):
    ampsim = build.exe("ampsim")
    r = run([ampsim, "pay", "--control", dm.alice_sock, "--amount", "0.5btc", "--mode", "amp",
             "--id", "w1", "--wait"], timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["id"] == "w1" and out["outcome"] == "settled" and out["parts"], out
    # more than both channels hold: it fails at once, exit 1 with the reason
    r = run([ampsim, "pay", "--control", dm.alice_sock, "--amount", "5btc", "--mode", "amp",
             "--id", "big", "--wait"], timeout=120)
    assert r.returncode == 1
    assert "big failed" in r.stderr and "carry" in r.stderr, r.stderr
    # without --wait a payment that failed at once still says so
    r = run([ampsim, "pay", "--control", dm.alice_sock, "--amount", "5btc", "--mode", "amp",
             "--id", "big2"], timeout=60)
    assert r.returncode == 1 and "big2 failed" in r.stderr, r.stderr
    r = run([ampsim, "channels", "--control", dm.alice_sock, "--wait"])
    assert r.returncode == 2 and "--wait is for pay" in r.stderr
    assert dm.stop() == [0, 0]


def test_alice_starts_payments_handed_ahead_at_their_time(dm):
    """schedule: payments alice starts herself at a simulated instant; the
    list is checked whole before any is queued."""
    now = rpc(dm.alice_sock, "getinfo")["result"]["t_ms"]
    at = int((now + 3000) * 1000)                 # 3 simulated s ahead: 150 ms of wall time
    bad = [["s1", at, 100000000, "amp", 2, 40, 60000000],
           ["s2", at - 1, 100000000, "amp", 2, 40, 60000000]]       # before the one before
    r = rpc(dm.alice_sock, "schedule", {"payments": bad})
    assert r["error"]["code"] == -32602 and "in the order they start" in r["error"]["message"], r
    for junk in ([["x", at, 0, "amp", 2, 40, 1]], [["x", at, 1, "teleport", 2, 40, 1]],
                 [["x y", at, 1, "amp", 2, 40, 1]], [["x", at, 1, "amp"]], "nope"):
        r = rpc(dm.alice_sock, "schedule", {"payments": junk})
        assert "error" in r, (junk, r)
    assert rpc(dm.alice_sock, "getinfo")["result"]["scheduled"] == 0    # none of them
    good = [["s1", at, 100000000, "amp", 2, 40, 60000000],
            ["s2", at + 1000, 100000000, "mpp", 2, 40, 60000000]]
    r = rpc(dm.alice_sock, "schedule", {"payments": good})
    assert r["result"]["scheduled"] == 2, r
    wait_for(lambda: (lambda s: s.get("s1") == "settled" and s.get("s2") == "settled")(
        rpc(dm.alice_sock, "listpayments", {"summary": True})["result"]), what="both settled")
    started = {e["payment"]: e["t_ms"] for e in dm.events("alice") if e["event"] == "payment_started"}
    # on the wall clock a timer fires at its time or a little after, never before
    assert at / 1000 <= started["s1"] < at / 1000 + 2000, (at, started)
    assert started["s2"] >= started["s1"] + 1
    assert rpc(dm.alice_sock, "getinfo")["result"]["scheduled"] == 0
