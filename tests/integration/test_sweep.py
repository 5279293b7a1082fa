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
