"""scripts/plot: a sweep summary CSV drawn as PNG and SVG with gnuplot."""
import os
import shutil
import struct
import sys
import xml.etree.ElementTree as ET

import pytest

from support import ROOT, run

PLOT = os.path.join(ROOT, "scripts", "plot")

pytestmark = pytest.mark.skipif(shutil.which("gnuplot") is None, reason="gnuplot not installed (gnuplot-nox)")

HEADER = ("channel c1.drop,workload w1.mode,n,n_settled_mean,n_settled_sd,n_settled_ci95,"
          "settle_p50_ms_mean,settle_p50_ms_sd,settle_p50_ms_ci95\n")

# two series (fast, slow) over a numeric x; settle_p50_ms undefined at one point
ROWS = ("0,fast,5,10,0,0,120.5,3,4.1\n"
        "0.1,fast,5,9,1,1.2,150,5,6.2\n"
        "0.2,fast,5,0,0,0,,,\n"
        "0,slow,5,10,0,0,220,3,4.1\n"
        "0.1,slow,5,8,1,1.2,260.25,5,6.2\n"
        "0.2,slow,1,6,0,,300,0,\n")


def write(tmp_path, text, name="sum.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def svg_text(path):
    root = ET.parse(path).getroot()
    assert root.tag.rsplit("}", 1)[-1] == "svg", root.tag
    return " ".join(t.strip() for t in root.itertext() if t.strip())


def check_png(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    assert len(data) > 2000, len(data)
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (800, 500)


def test_plot_numeric_x_by_series(build, tmp_path):
    csv_path = write(tmp_path, HEADER + ROWS)
    r = run([PLOT, csv_path, "--x", "channel c1.drop", "--y", "settle_p50_ms", "--by", "workload w1.mode"])
    assert r.returncode == 0, r.stderr
    prefix = str(tmp_path / "sum-settle_p50_ms-vs-channel-c1-drop")
    assert r.stdout.split() == [prefix + ".png", prefix + ".svg"], r.stdout
    check_png(prefix + ".png")
    text = svg_text(prefix + ".svg")
    for label in ("channel c1.drop", "settle_p50_ms [ms (simulated)]", "workload w1.mode", "fast", "slow",
                  "settle_p50_ms against channel c1.drop by workload w1.mode"):
        assert label in text, (label, text)
    # nothing but the CSV and the two plots: no temporary files left behind
    assert sorted(os.listdir(tmp_path)) == sorted(["sum.csv", os.path.basename(prefix) + ".png",
                                                   os.path.basename(prefix) + ".svg"])


def test_plot_categorical_x_and_labels(build, tmp_path):
    csv_path = write(tmp_path, HEADER + ROWS)
    out = str(tmp_path / "out" / "cat")
    os.mkdir(tmp_path / "out")
    r = run([PLOT, csv_path, "--x", "workload w1.mode", "--y", "n_settled", "--by", "channel c1.drop",
             "--out", out, "--ylabel", "payments settled", "--title", "Settled by mode"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [out + ".png", out + ".svg"]
    check_png(out + ".png")
    text = svg_text(out + ".svg")
    for label in ("fast", "slow", "payments settled", "Settled by mode", "workload w1.mode"):
        assert label in text, (label, text)


def test_plot_single_line_and_units(build, tmp_path):
    csv_path = write(tmp_path, HEADER + ROWS)
    out = str(tmp_path / "one")
    r = run([PLOT, csv_path, "--x", "channel c1.drop", "--y", "n_settled", "--out", out, "--logx"])
    assert r.returncode == 0, r.stderr
    text = svg_text(out + ".svg")
    assert "n_settled [payments]" in text and "n_settled against channel c1.drop" in text, text


def test_plot_version(build):
    r = run([PLOT, "--version"])
    assert r.returncode == 0 and r.stdout.startswith("plot (ampsim) "), r


def test_plot_bad_column_exits_2(build, tmp_path):
    csv_path = write(tmp_path, HEADER + ROWS)
    r = run([PLOT, csv_path, "--x", "channel c9.drop", "--y", "n_settled"])
    assert r.returncode == 2
    assert "channel c9.drop" in r.stderr and "channel c1.drop" in r.stderr, r.stderr
    r = run([PLOT, csv_path, "--x", "channel c1.drop", "--y", "n_settled", "--by", "nope"])
    assert r.returncode == 2 and "nope" in r.stderr, r.stderr
    r = run([PLOT, csv_path, "--x", "channel c1.drop", "--y", "bogus_metric"])
    assert r.returncode == 2 and "bogus_metric" in r.stderr and "settle_p50_ms" in r.stderr, r.stderr
    assert sorted(os.listdir(tmp_path)) == ["sum.csv"]


def test_plot_no_rows_exits_2(build, tmp_path):
    csv_path = write(tmp_path, HEADER)
    r = run([PLOT, csv_path, "--x", "channel c1.drop", "--y", "n_settled"])
    assert r.returncode == 2 and "no rows" in r.stderr, r.stderr
    # rows, but the metric is empty everywhere
    csv_path = write(tmp_path, HEADER + "0,fast,5,10,0,0,,,\n", "empty-metric.csv")
    r = run([PLOT, csv_path, "--x", "channel c1.drop", "--y", "settle_p50_ms"])
    assert r.returncode == 2 and "settle_p50_ms_mean" in r.stderr, r.stderr
    r = run([PLOT, str(tmp_path / "missing.csv"), "--x", "a", "--y", "b"])
    assert r.returncode == 2 and "missing.csv" in r.stderr, r.stderr


def test_plot_without_gnuplot_exits_2(build, tmp_path):
    csv_path = write(tmp_path, HEADER + ROWS)
    r = run([sys.executable, PLOT, csv_path, "--x", "channel c1.drop", "--y", "n_settled"],
            env=dict(os.environ, PATH=str(tmp_path / "nothing-here")))
    assert r.returncode == 2 and "gnuplot-nox" in r.stderr, r.stderr


# what scripts/sweep writes now: mean and median, each with its 95 % interval;
# mpp and amp lose exactly the same payments (the case that hid MPP)
NEW_HEADER = ("channel c1.drop,workload w1.mode,n,"
              "n_settled_mean,n_settled_mean_lo95,n_settled_mean_hi95,"
              "n_settled_median,n_settled_median_lo95,n_settled_median_hi95,n_settled_sd,"
              "n_settled_min,n_settled_max\n")
NEW_ROWS = ("0,single,30,10,10,10,10,10,10,0,10,10\n"
            "0.3,single,30,6.8,6.3,7.3,7,6,8,1.2,4,9\n"
            "0,mpp,30,10,10,10,10,10,10,0,10,10\n"
            "0.3,mpp,30,4.3,3.8,4.9,4,3,5,1.5,1,7\n"
            "0,amp,30,10,10,10,10,10,10,0,10,10\n"
            "0.3,amp,30,4.3,3.8,4.9,4,3,5,1.5,1,7\n")


def read_data(path):
    import csv
    with open(path) as f:
        return list(csv.DictReader(f))


def test_identical_series_are_drawn_side_by_side_with_their_own_markers(build, tmp_path):
    csv_path = write(tmp_path, NEW_HEADER + NEW_ROWS)
    data = str(tmp_path / "drawn.csv")
    r = run([PLOT, csv_path, "--x", "channel c1.drop", "--y", "n_settled", "--by", "workload w1.mode",
             "--out", str(tmp_path / "p"), "--data", data])
    assert r.returncode == 0, r.stderr
    assert "'mpp' and 'amp' have the same values" in r.stderr, r.stderr
    drawn = read_data(data)
    assert len(drawn) == 6
    by = {}
    for d in drawn:
        by.setdefault(d["series"], []).append(d)
    # one marker per line, all different
    markers = {s: {d["marker"] for d in ds} for s, ds in by.items()}
    assert all(len(m) == 1 for m in markers.values())
    assert len({m.pop() for m in markers.values()}) == 3
    # at each x the three lines are drawn at three different places, close
    # to the true x and on both sides of it
    for x in ("0", "0.29999999999999999"):
        at = sorted(float(d["x_drawn"]) for d in drawn if d["x"] == x)
        assert len(set(at)) == 3, at
        assert at[0] < float(x) < at[2] and at[2] - at[0] < 0.3 * 0.2, at
    # the error bars are the mean's interval, as the summary gives it
    amp = [d for d in by["amp"] if d["x"].startswith("0.2")][0]
    assert (float(amp["mean"]), float(amp["low95"]), float(amp["high95"])) == (4.3, 3.8, 4.9)
    text = svg_text(str(tmp_path / "p.svg"))
    for label in ("single", "mpp", "amp"):
        assert label in text


def test_plot_draws_medians_on_request(build, tmp_path):
    csv_path = write(tmp_path, NEW_HEADER + NEW_ROWS)
    data = str(tmp_path / "drawn.csv")
    r = run([PLOT, csv_path, "--x", "channel c1.drop", "--y", "n_settled", "--by", "workload w1.mode",
             "--stat", "median", "--out", str(tmp_path / "m"), "--data", data])
    assert r.returncode == 0, r.stderr
    single = [d for d in read_data(data) if d["series"] == "single" and d["x"].startswith("0.2")][0]
    assert (float(single["median"]), float(single["low95"]), float(single["high95"])) == (7, 6, 8)
    text = svg_text(str(tmp_path / "m.svg"))
    assert "median of n_settled" in text, text
    # an old summary has no medians: said, exit 2
    old = write(tmp_path, HEADER + ROWS, "old.csv")
    r = run([PLOT, old, "--x", "channel c1.drop", "--y", "n_settled", "--stat", "median"])
    assert r.returncode == 2 and "n_settled_median" in r.stderr, r.stderr
