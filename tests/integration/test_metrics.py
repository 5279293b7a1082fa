"""The metrics of a run, in ampsim run --json: what an experiment collects."""
import json
import os

from support import ROOT, run


def play(build, tmp_path, scenario):
    ev = str(tmp_path / "run.events")
    r = run([build.exe("ampsim"), "run", os.path.join(ROOT, "scenarios", scenario), "--json",
             "--events", ev])
    assert r.returncode == 0, r.stderr
    with open(ev) as f:
        events = [json.loads(l) for l in f]
    return json.loads(r.stdout)["metrics"], events


def test_a_lost_fulfill_claimed_on_chain(build, tmp_path):
    m, events = play(build, tmp_path, "faults/drop-fulfill.ini")
    assert m["payments"] == 1 and m["outcomes"]["settled"] == 1
    assert m["messages_dropped"] == sum(e["event"] == "message_dropped" for e in events) == 1
    assert m["onchain_claims"] == 1 and m["onchain_refunds"] == 0
    assert m["htlcs_per_payment"] == 2.0 and m["retries"] == 0
    start = next(e["t_ms"] for e in events if e["event"] == "payment_started")
    end = next(e["t_ms"] for e in events if e["event"] == "payment_outcome")
    assert m["settle_ms"]["p50"] == m["settle_ms"]["p99"] == end - start
    assert m["simulated_s"] == max(e["t_ms"] for e in events) / 1000.0
    assert m["wall"]["seconds"] > 0 and m["wall"]["simulated_per_wall_s"] > 0


def test_refunds_and_duplicates_are_counted(build, tmp_path):
    m, _ = play(build, tmp_path, "faults/bob-hold.ini")
    assert m["outcomes"]["refunded"] == 1 and m["onchain_refunds"] == 2
    assert "settle_ms" not in m                       # nothing settled
    m, events = play(build, tmp_path, "faults/duplicate.ini")
    assert m["messages_duplicated"] == sum(e["event"] == "message_duplicated" for e in events) > 0


def test_liquidity_locked_is_amount_times_time_in_flight(build, tmp_path):
    m, events = play(build, tmp_path, "05-order-invariance.ini")
    offered = {(e["channel"], e["htlc"]): e for e in events
               if e["node"] == "alice" and e["event"] == "htlc_offered"}
    resolved = {(e["channel"], e["htlc"]): e["t_ms"] for e in events
                if e["node"] == "alice" and e["event"] in ("htlc_fulfilled", "htlc_failed",
                                                          "htlc_refunded")}
    want = sum(o["amount_msat"] * (resolved[k] - o["t_ms"]) / 1000.0 for k, o in offered.items())
    assert want > 0 and abs(m["liquidity_locked_msat_s"] - want) < 1e-3 * want
