"""scripts/sweep: a grid of values and seeds through GNU parallel, checked
before the first run, resumable, with a per-run CSV and a summary CSV of
means, standard deviations and 95 % confidence intervals."""
import csv
import math
import os
import statistics

from support import ROOT, run

SWEEP = os.path.join(ROOT, "scripts", "sweep")
SCENARIO = os.path.join(ROOT, "scenarios", "faults", "jitter.ini")


def sweep(build, *args):
    return run([SWEEP, SCENARIO, "--ampsim", build.exe("ampsim")] + list(args), timeout=300)


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
        # Student t with 4 degrees of freedom, two-sided 95 %: 2.776
        want = 2.776 * statistics.stdev(xs) / math.sqrt(5)
        assert math.isclose(float(s["settle_p50_ms_ci95"]), want, abs_tol=1e-9)
    # the slower channel makes the set complete later, whatever the jitter
    by = {s["channel c1.delay"]: float(s["settle_p50_ms_mean"]) for s in summary}
    assert by["200ms"] > by["50ms"]


def test_a_bad_value_stops_the_sweep_before_any_run(build, tmp_path):
    out = str(tmp_path / "runs.csv")
    r = sweep(build, "--set", "channel c1.delay=1ms,banana", "--seeds", "2", "--out", out)
    assert r.returncode == 2
    assert "'banana'" in r.stderr and "channel c1.delay" in r.stderr and "expected" in r.stderr
    assert "tmp" not in r.stderr.split("refused:")[1]      # no temporary file named
    assert not os.listdir(str(tmp_path / "runs.csv.d" / "runs"))
    assert not os.path.exists(out)
    r = sweep(build, "--seeds", "0")
    assert r.returncode == 2 and "--seeds" in r.stderr
    r = sweep(build, "--set", "channel c9.delay=1ms")
    assert r.returncode == 2 and "no section [channel c9]" in r.stderr


def test_an_interrupted_sweep_resumes_without_redoing_runs(build, tmp_path):
    out = str(tmp_path / "runs.csv")
    args = ("--set", "channel c2.delay=100ms,300ms", "--seeds", "3", "--out", out)
    assert sweep(build, *args).returncode == 0
    runs = str(tmp_path / "runs.csv.d" / "runs")
    kept = {f: os.stat(os.path.join(runs, f)).st_mtime_ns for f in os.listdir(runs)}
    assert len(kept) == 6
    # as if it had been stopped before its last two runs
    os.remove(os.path.join(runs, "1-2.json"))
    os.remove(os.path.join(runs, "1-3.json"))
    first = read(out)
    assert sweep(build, *args).returncode == 0
    for f, t in kept.items():
        if f not in ("1-2.json", "1-3.json"):
            assert os.stat(os.path.join(runs, f)).st_mtime_ns == t, f   # not run again
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
