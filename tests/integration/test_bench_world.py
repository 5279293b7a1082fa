"""scripts/bench-world, at a size that takes seconds: the figures it
prints are the ones docs/performance.md quotes, so its output and its
--against leg are checked here (the figures themselves are benchmarks,
never asserted)."""
import json
import os
import subprocess
import sys

from support import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "bench-world")


def bench(build, *args):
    return subprocess.run([sys.executable, SCRIPT, "--build", build.dir] + list(args),
                          capture_output=True, text=True, timeout=300)


def test_bench_world_measures_both_runs_and_another_build(build):
    r = bench(build, "--runs", "2", "--payments", "200", "--daemon-payments", "30",
              "--against", build.dir, "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["daemons"]["payments"] == 30 and s["world"]["payments"] == 200
    for leg in ("daemons", "world", "against"):
        assert len(s[leg]["rates"]) == 2 and all(x > 0 for x in s[leg]["rates"]), s
    assert abs(s["ratio"] - s["world"]["median_rate"] / s["daemons"]["median_rate"]) < 1e-9
    assert abs(s["against"]["ratio"]
               - s["daemons"]["median_rate"] / s["against"]["median_rate"]) < 1e-9
    assert s["daemons"]["peak_rss_kb"] > 0 and s["world"]["peak_rss_kb"] > 0


def test_bench_world_text_names_each_run_and_the_ratios(build):
    r = bench(build, "--runs", "1", "--payments", "100", "--daemon-payments", "20",
              "--against", build.dir)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [l.split()[0] for l in lines[:3]] == ["daemons", "against", "world"], r.stdout
    assert "20 payments (20 settled)" in lines[0], r.stdout
    assert lines[3].startswith("median: two daemons") and "ratio" in lines[3], r.stdout
    assert lines[-1].startswith("two daemons against %s:" % build.dir), r.stdout


def test_bench_world_refuses_a_build_without_ampsim(build, tmp_path):
    r = bench(build, "--runs", "1", "--against", str(tmp_path))
    assert r.returncode != 0 and "--against %s: no " % tmp_path in r.stderr, r.stderr
    r = bench(build, "--runs", "0")
    assert r.returncode != 0 and "at least 1" in r.stderr, r.stderr
