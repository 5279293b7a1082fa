"""The tools around the daemons: ampsim bench, scripts/chaos, scripts/sweep."""
import json
import os

from support import ROOT, run


def test_bench_runs_and_reports(build):
    r = run([build.exe("ampsim"), "bench", "--payments", "300", "--concurrency", "30", "--channels", "4",
             "--mode", "amp", "--shards", "2", "--pings", "2000", "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["settled"] == 300 and doc["payments_per_s"] > 0 and doc["pingpong_msgs_per_s"] > 0, doc
    assert doc["alice_peak_rss_kb"] > 0 and doc["bob_peak_rss_kb"] > 0


def test_bench_with_durable_state(build, tmp_path):
    r = run([build.exe("ampsim"), "bench", "--payments", "100", "--concurrency", "10", "--channels", "2",
             "--pings", "100", "--state", os.path.join(tmp_path, "st"), "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["durable"] is True and doc["settled"] == 100, doc
    assert os.path.exists(os.path.join(tmp_path, "st", "alice", "alice.db"))
    assert os.path.exists(os.path.join(tmp_path, "st", "bob", "bob.db"))


def test_chaos_kills_lose_nothing(build):
    r = run([os.path.join(ROOT, "scripts", "chaos"), "6", "--seed", "11", "--build", build.dir, "--json"],
            timeout=300)
    rep = json.loads(r.stdout)
    assert r.returncode == 0, rep["problems"]
    assert len(rep["kills"]) == 6 and {k["node"] for k in rep["kills"]} == {"alice", "bob"}, rep["kills"]
    assert rep["outcomes"].get("settled", 0) > 0, rep


def test_chaos_on_the_wall_clock_too(build):
    r = run([os.path.join(ROOT, "scripts", "chaos"), "4", "--seed", "3", "--build", build.dir, "--json",
             "--clock", "wall"], timeout=300)
    rep = json.loads(r.stdout)
    assert r.returncode == 0, rep["problems"]
    assert len(rep["kills"]) == 4 and rep["outcomes"].get("settled", 0) > 0, rep


def test_chaos_on_the_virtual_clock_repeats(build):
    args = [os.path.join(ROOT, "scripts", "chaos"), "12", "--seed", "21", "--build", build.dir, "--json"]
    first, second = json.loads(run(args, timeout=300).stdout), json.loads(run(args, timeout=300).stdout)
    assert first["clock"] == "virtual" and not first["problems"], first
    assert first == second


def test_sweep_writes_one_row_per_run(build):
    r = run([os.path.join(ROOT, "scripts", "sweep"), os.path.join(ROOT, "scenarios", "faults", "drop.ini"),
             "--set", "fault lossy.action=drop=0,drop=1", "--seeds", "2", "--ampsim", build.exe("ampsim")],
            timeout=300)
    assert r.returncode == 0, r.stderr
    rows = r.stdout.strip().splitlines()
    assert rows[0].startswith("seed,fault lossy.action,outcome.p1,settled"), rows[0]
    assert len(rows) == 5, rows
    # nothing lost: settled with no loss, refunded with total loss, every time
    assert all(",drop=0,settled," in x for x in rows[1:3]), rows
    assert all(",drop=1,refunded," in x for x in rows[3:5]), rows


def test_chaos_passes_in_process_on(build):
    # a plan without kills, then one with: the world's report is the daemons' report
    base = [os.path.join(ROOT, "scripts", "chaos"), "0", "--seed", "5", "--build", build.dir, "--json"]
    two, one = run(base, timeout=300), run(base + ["--in-process"], timeout=300)
    assert two.returncode == one.returncode == 0, (two.stdout, one.stdout, one.stderr)
    rep = json.loads(one.stdout)
    assert rep["outcomes"].get("settled", 0) > 0 and not rep["problems"], rep
    assert json.loads(two.stdout) == rep
    # kills: the world crashes and restarts a node as the daemons are
    # killed and started again, and the report is again the daemons'
    base[1] = "2"
    two, one = run(base, timeout=300), run(base + ["--in-process"], timeout=300)
    assert two.returncode == 0, two.stdout
    assert one.returncode == 0 and json.loads(one.stdout) == json.loads(two.stdout), one.stdout
    assert len(json.loads(one.stdout)["kills"]) == 2
    wall = run(base + ["--in-process", "--clock", "wall"], timeout=60)
    assert wall.returncode == 2 and "virtual clock only" in wall.stderr, wall.stderr
