"""scripts/sweep: a grid of values and seeds through GNU parallel, checked
before the first run, resumable, with a per-run CSV and a summary CSV of
means and medians with their 95 % intervals (bootstrap percentile for the
mean, order statistics for the median)."""
import csv
import importlib.machinery
import importlib.util
import math
import os
import random
import statistics
import subprocess

from support import ROOT, run

SWEEP = os.path.join(ROOT, "scripts", "sweep")
SCENARIO = os.path.join(ROOT, "scenarios", "faults", "jitter.ini")


def sweep(build, *args):
    return run([SWEEP, SCENARIO, "--ampsim", build.exe("ampsim")] + list(args), timeout=300)


def sweep_module():
    """scripts/sweep as a module, for its statistics."""
    loader = importlib.machinery.SourceFileLoader("ampsim_sweep", SWEEP)
    spec = importlib.util.spec_from_loader("ampsim_sweep", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_runs_and_summary_with_confidence_intervals(build, tmp_path):
    out = str(tmp_path / "runs.csv")
    r = sweep(build, "--set", "channel c1.delay=50ms,200ms", "--seeds", "5", "--jobs", "2",
              "--out", out)
    assert r.returncode == 0, r.stderr
    rows = read(out)
    assert len(rows) == 10
    assert {x["channel c1.delay"] for x in rows} == {"50ms", "200ms"}
    assert all(x["problems"] == "0" and x["views_agree"] == "True" for x in rows)
    summary = read(str(tmp_path / "runs.summary.csv"))
    assert len(summary) == 2
    for s in summary:
        xs = [float(x["settle_p50_ms"]) for x in rows
              if x["channel c1.delay"] == s["channel c1.delay"]]
        assert int(s["n"]) == 5
        assert math.isclose(float(s["settle_p50_ms_mean"]), statistics.mean(xs))
        assert math.isclose(float(s["settle_p50_ms_sd"]), statistics.stdev(xs), abs_tol=1e-9)
        assert math.isclose(float(s["settle_p50_ms_median"]), statistics.median(xs))
        assert float(s["settle_p50_ms_min"]) == min(xs) and float(s["settle_p50_ms_max"]) == max(xs)
        # each interval holds its estimate and lies within what the runs took
        for stat in ("mean", "median"):
            lo, mid, hi = (float(s["settle_p50_ms_%s%s" % (stat, suffix)])
                           for suffix in ("_lo95", "", "_hi95"))
            assert min(xs) <= lo <= mid <= hi <= max(xs), (stat, lo, mid, hi, xs)
        # with 5 runs no pair of order statistics covers the median with
        # 95 %: its interval is the whole range
        assert float(s["settle_p50_ms_median_lo95"]) == min(xs)
        assert float(s["settle_p50_ms_median_hi95"]) == max(xs)
        assert "settle_p50_ms_ci95" not in s      # no t interval any more
    # the slower channel makes the set complete later, whatever the jitter
    by = {s["channel c1.delay"]: float(s["settle_p50_ms_mean"]) for s in summary}
    assert by["200ms"] > by["50ms"]


def test_a_bad_value_stops_the_sweep_before_any_run(build, tmp_path):
    out = str(tmp_path / "runs.csv")
    r = sweep(build, "--set", "channel c1.delay=1ms,banana", "--seeds", "2", "--out", out)
    assert r.returncode == 2
    assert "'banana'" in r.stderr and "channel c1.delay" in r.stderr and "expected" in r.stderr
    assert "tmp" not in r.stderr.split("refused:")[1]      # no temporary file named
    # nothing was run: no work directory is left behind, no CSV written
    assert not os.path.exists(str(tmp_path / "runs.csv.d"))
    assert not os.path.exists(out)
    r = sweep(build, "--seeds", "0")
    assert r.returncode == 2 and "--seeds" in r.stderr
    r = sweep(build, "--set", "channel c9.delay=1ms")
    assert r.returncode == 2 and "no section [channel c9]" in r.stderr


def test_an_interrupted_sweep_resumes_without_redoing_runs(build, tmp_path):
    out = str(tmp_path / "runs.csv")
    args = ("--set", "channel c2.delay=100ms,300ms", "--seeds", "3", "--out", out)
    assert sweep(build, *args).returncode == 0
    work = tmp_path / "runs.csv.d"
    runs = str(work / "runs")
    kept = {f: os.stat(os.path.join(runs, f)).st_mtime_ns for f in os.listdir(runs)}
    assert len(kept) == 6
    # as if it had been stopped before the last two runs of the 300ms point
    slow = next(f[:-4] for f in os.listdir(str(work / "points"))
                if "delay = 300ms" in (work / "points" / f).read_text())
    lost = ("%s-2.json" % slow, "%s-3.json" % slow)
    for f in lost:
        os.remove(os.path.join(runs, f))
    first = read(out)
    assert sweep(build, *args).returncode == 0
    for f, t in kept.items():
        if f not in lost:
            assert os.stat(os.path.join(runs, f)).st_mtime_ns == t, f   # not run again
        assert os.path.exists(os.path.join(runs, f))
    # the same rows: the runs it did again repeat the ones it lost (only the
    # wall-clock rate may differ)
    strip = lambda rows: [{k: v for k, v in x.items() if k != "simulated_per_wall_s"} for x in rows]
    assert strip(read(out)) == strip(first)


def test_runs_spread_through_a_parallel_sshlogin(build, tmp_path):
    # ":" is GNU parallel's name for this machine; other logins work the same
    # way when ampsim is installed at the same path and the work is shared
    out = str(tmp_path / "runs.csv")
    r = sweep(build, "--set", "channel c2.delay=100ms", "--seeds", "2", "--sshlogin", ":",
              "--out", out)
    assert r.returncode == 0, r.stderr
    assert len(read(out)) == 2


def test_a_changed_grid_never_takes_another_points_results(build, tmp_path):
    out = str(tmp_path / "runs.csv")
    assert sweep(build, "--set", "channel c1.delay=50ms,400ms", "--seeds", "2",
                 "--out", out).returncode == 0
    before = {x["channel c1.delay"]: x["settle_p50_ms"] for x in read(out) if x["seed"] == "1"}
    # the same values in the other order, into the same --out
    assert sweep(build, "--set", "channel c1.delay=400ms,50ms", "--seeds", "2",
                 "--out", out).returncode == 0
    after = {x["channel c1.delay"]: x["settle_p50_ms"] for x in read(out) if x["seed"] == "1"}
    assert before == after and before["400ms"] != before["50ms"]


def test_a_run_that_gave_no_summary_is_run_again(build, tmp_path):
    import json
    out = str(tmp_path / "runs.csv")
    args = ("--set", "channel c1.delay=50ms", "--seeds", "2", "--out", out)
    assert sweep(build, *args).returncode == 0
    runs = tmp_path / "runs.csv.d" / "runs"
    victim = sorted(os.listdir(str(runs)))[0]
    (runs / victim).write_text(json.dumps({"exit": -11, "doc": None, "stderr": "Segmentation fault"}))
    assert sweep(build, *args).returncode == 0
    assert json.loads((runs / victim).read_text())["doc"] is not None


def test_points_are_judged_whole_and_the_file_as_written(build, tmp_path):
    from support import write
    # each value alone would clash with the file's shards = 2; every point is valid
    p = write(tmp_path, "s.ini", "[channel c1]\ncapacity = 1btc\n  delay = 30ms\n"
              "[payment p1]\nat = 0s\namount = 0.1btc\nmode = amp\nshards = 2\n")
    r = run([SWEEP, p, "--ampsim", build.exe("ampsim"), "--set", "payment p1.mode=single,amp",
             "--set", "payment p1.shards=1", "--seeds", "1"], timeout=120)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(r.stdout.splitlines()))
    # the indented delay was kept: an AMP round trip over a 30 ms link
    assert all(float(x["settle_p50_ms"]) >= 60 for x in rows), rows
    # an error names the user's file and line, and the --set value
    r = run([SWEEP, p, "--ampsim", build.exe("ampsim"), "--set", "channel c1.delay=20mss"],
            timeout=60)
    assert r.returncode == 2 and "s.ini, line 3" in r.stderr and "'20mss'" in r.stderr, r.stderr


def test_settings_that_cannot_be_swept_are_refused(build, tmp_path):
    r = sweep(build, "--set", "sim.seed=1,2")
    assert r.returncode == 2 and "--seeds" in r.stderr
    r = sweep(build, "--set", "channel c1.delay=1ms", "--set", "channel c1.delay+channel c2.delay=2ms")
    assert r.returncode == 2 and "set by two --set options" in r.stderr
    r = sweep(build, "--set", "channel c1.delay=1ms", "--summary", str(tmp_path / "no" / "s.csv"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = sweep(build, "--set", "channel c1.delay=1ms", "--jobs", "abc")
    assert r.returncode == 2 and "--jobs" in r.stderr


def test_sigterm_stops_the_runs_too(build, tmp_path, processes):
    import signal
    import subprocess
    from support import wait_for
    out = str(tmp_path / "runs.csv")
    p = processes.spawn([SWEEP, SCENARIO, "--ampsim", build.exe("ampsim"), "--set",
                         "channel c1.delay=10ms,20ms,30ms,40ms", "--seeds", "30", "--out", out])
    runs = str(tmp_path / "runs.csv.d" / "runs")
    wait_for(lambda: os.path.isdir(runs) and len(os.listdir(runs)) >= 2, what="a few runs")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 143
    # nothing of the sweep goes on behind its back
    left = subprocess.run(["pgrep", "-f", str(tmp_path / "runs.csv.d")], capture_output=True)
    assert left.stdout == b"", left.stdout
    done = len(os.listdir(runs))
    assert done < 120 and not os.path.exists(out)


# 29 runs near 170 ms and one at 39 s: the skewed, bimodal shape of a
# settle time under loss, where mean ± t·sd/√n reached below zero
BIMODAL = [170.0 + (i % 7) * 0.5 for i in range(29)] + [39000.0]


def test_intervals_of_a_bimodal_metric_stay_within_the_runs():
    sw = sweep_module()
    st = sw.statistics_of(BIMODAL, random.Random("x"))
    assert min(BIMODAL) <= st["mean_lo95"] <= st["mean"] <= st["mean_hi95"] <= max(BIMODAL), st
    assert st["mean_lo95"] > 0
    # what the t interval gave for these runs, for contrast: below zero
    t_lo = statistics.mean(BIMODAL) - 2.045 * statistics.stdev(BIMODAL) / math.sqrt(30)
    assert t_lo < 0
    # the median sits with the 29, and so does its interval (x(10), x(21))
    assert 170 <= st["median_lo95"] <= st["median"] <= st["median_hi95"] <= 173.5, st
    ordered = sorted(BIMODAL)
    assert (st["median_lo95"], st["median_hi95"]) == (ordered[9], ordered[20])


def test_the_bootstrap_is_seeded_and_reproducible():
    sw = sweep_module()
    draw = random.Random(7)
    xs = [draw.expovariate(1 / 200.0) for _ in range(20)]
    a = sw.summarise([[{"problems": 0, "n_settled": 1, "settle_p50_ms": x} for x in xs]],
                     [("channel c1", "drop")], [("0.1",)], seed=1)
    b = sw.summarise([[{"problems": 0, "n_settled": 1, "settle_p50_ms": x} for x in xs]],
                     [("channel c1", "drop")], [("0.1",)], seed=1)
    c = sw.summarise([[{"problems": 0, "n_settled": 1, "settle_p50_ms": x} for x in xs]],
                     [("channel c1", "drop")], [("0.1",)], seed=2)
    key = ("settle_p50_ms_mean_lo95", "settle_p50_ms_mean_hi95")
    assert [a[0][k] for k in key] == [b[0][k] for k in key]
    assert [a[0][k] for k in key] != [c[0][k] for k in key]      # the seed is what decides
    lo, hi = (a[0][k] for k in key)
    # the same runs at two grid points (MPP and AMP losing the same
    # payments) get the same interval
    rows = [{"problems": 0, "n_settled": 1, "settle_p50_ms": x} for x in xs]
    two = sw.summarise([rows, list(rows)], [("workload w1", "mode")], [("mpp",), ("amp",)], seed=1)
    assert [two[0][k] for k in key] == [two[1][k] for k in key] == [a[0][k] for k in key]
    assert min(xs) <= lo < statistics.mean(xs) < hi <= max(xs)
    # constant runs: a point interval, no resampling noise
    st = sw.statistics_of([5.0] * 10, random.Random(1))
    assert (st["mean_lo95"], st["mean_hi95"], st["median_lo95"], st["median_hi95"]) == (5, 5, 5, 5)


def test_the_median_interval_is_the_order_statistics_pair():
    sw = sweep_module()
    # (l, n + 1 - l), 1-based, from the binomial(n, 1/2) tail
    for n, l in ((5, 1), (6, 1), (8, 1), (9, 2), (30, 10), (100, 40)):
        xs = list(range(1, n + 1))
        assert sw.median_interval(xs) == (l, n + 1 - l), n


def test_the_summary_intervals_are_the_same_on_a_second_summary(build, tmp_path):
    out = str(tmp_path / "runs.csv")
    args = ("--set", "channel c1.delay=50ms", "--seeds", "6", "--out", out)
    assert sweep(build, *args).returncode == 0
    first = (tmp_path / "runs.summary.csv").read_text()
    (tmp_path / "runs.summary.csv").unlink()
    assert sweep(build, *args).returncode == 0          # the runs are kept: summed up again
    assert (tmp_path / "runs.summary.csv").read_text().split("\n")[1].split(",")[:8] == \
        first.split("\n")[1].split(",")[:8]
    r = sweep(build, *args, "--bootstrap-seed", "9", "--summary", str(tmp_path / "s9.csv"))
    assert r.returncode == 0, r.stderr
    r = sweep(build, *args, "--resamples", "5")
    assert r.returncode == 2 and "--resamples" in r.stderr


def test_a_grid_over_modes_includes_single(build, tmp_path):
    """shards in the file and mode single from --set: the point runs, and
    the sweep says once that shards is ignored there, naming the --set."""
    scenario = os.path.join(ROOT, "scenarios", "experiments", "loss-by-mode.ini")
    r = run([SWEEP, scenario, "--ampsim", build.exe("ampsim"), "--set",
             "channel c1.drop=0,0.1", "--set", "workload w1.mode=single,amp", "--seeds", "1"],
            timeout=300)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(r.stdout.splitlines()))
    assert sorted(x["workload w1.mode"] for x in rows) == ["amp", "amp", "single", "single"]
    assert all(x["problems"] == "0" for x in rows), rows
    single = [x for x in rows if x["workload w1.mode"] == "single"]
    assert all(float(x["htlcs_per_payment"]) == 1 for x in single if x["htlcs_per_payment"])
    notes = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(notes) == 1, r.stderr
    assert "--set 'workload w1.mode=single'" in notes[0] and "loss-by-mode.ini, line" in notes[0]
    assert "shards = 2 is ignored" in notes[0], notes


def test_an_unquoted_set_hints_at_quoting(build):
    r = sweep(build, "--set", "channel", "c1.drop=0,0.1", "--seeds", "1")
    assert r.returncode == 2
    assert "split" in r.stderr and "quote" in r.stderr, r.stderr
    assert "--set 'channel c1.drop=0,0.1'" in r.stderr, r.stderr
    # the same before the scenario, where argparse would take it for the scenario
    r = run([SWEEP, "--set", "channel", "c1.drop=0", SCENARIO, "--ampsim", build.exe("ampsim")],
            timeout=60)
    assert r.returncode == 2 and "--set 'channel c1.drop=0'" in r.stderr, r.stderr
    # a section word alone, with a value
    r = sweep(build, "--set", "channel=0.1")
    assert r.returncode == 2 and "quote" in r.stderr, r.stderr


def test_a_value_with_a_comma_names_the_semicolon(build, tmp_path):
    scenario = os.path.join(ROOT, "scenarios", "experiments", "loss-by-mode.ini")
    r = run([SWEEP, scenario, "--ampsim", build.exe("ampsim"), "--set",
             "workload w1.amount=uniform:1000sat,0.05btc", "--seeds", "1"], timeout=60)
    assert r.returncode == 2
    assert "';'" in r.stderr and "'uniform:1000sat,0.05btc'" in r.stderr, r.stderr
    assert "workload w1.amount=uniform:1000sat,0.05btc;" in r.stderr, r.stderr
    # written with ';' it is one value, and the point is accepted
    out = str(tmp_path / "runs.csv")
    r = run([SWEEP, scenario, "--ampsim", build.exe("ampsim"), "--set",
             "workload w1.amount=uniform:1000sat,0.05btc;", "--seeds", "1", "--out", out],
            timeout=120)
    assert r.returncode == 0, r.stderr
    assert read(out)[0]["workload w1.amount"] == "uniform:1000sat,0.05btc"


def test_a_sweep_in_process_gives_the_daemons_rows(build, tmp_path):
    # --in-process is passed on to every run: the same rows, but for the
    # one column that measures the machine
    sweep = os.path.join(ROOT, "scripts", "sweep")
    scen = os.path.join(ROOT, "scenarios", "experiments", "loss-by-mode.ini")
    rows = []
    for extra in (["--in-process"], []):
        out = tmp_path / ("rows%d.csv" % len(rows))
        r = subprocess.run([sweep, scen, "--set", "channel c1.drop=0,0.1", "--seeds", "2",
                            "--ampsim", build.exe("ampsim"), "--out", str(out)] + extra,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        with open(out) as f:
            got = [{k: v for k, v in row.items() if "wall" not in k} for row in csv.DictReader(f)]
        rows.append(sorted(got, key=lambda d: (d["seed"], d["channel c1.drop"])))
    assert len(rows[0]) == 4 and rows[0] == rows[1]
    # the crash experiment's grid: the same rows in one process or two
    crash = os.path.join(ROOT, "scenarios", "experiments", "bob-crash.ini")
    rows = []
    for extra in (["--in-process"], []):
        out = tmp_path / ("crash%d.csv" % len(rows))
        r = subprocess.run([sweep, crash, "--set", "fault crash.at=500ms,2500ms", "--seeds", "2",
                            "--ampsim", build.exe("ampsim"), "--out", str(out)] + extra,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        with open(out) as f:
            got = [{k: v for k, v in row.items() if "wall" not in k} for row in csv.DictReader(f)]
        rows.append(sorted(got, key=lambda d: (d["seed"], d["fault crash.at"])))
    assert len(rows[0]) == 4 and rows[0] == rows[1]
