"""Runs of `ampsim run`: every shipped scenario, and a few written here."""
import os

import pytest

from support import BASE, ROOT, check_run_json, run, write

SCENARIOS = os.path.join(ROOT, "scenarios")


def scenario_files():
    out = []
    for d, _, files in os.walk(SCENARIOS):
        out += [os.path.join(d, f) for f in files if f.endswith(".ini")]
    return sorted(out)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: os.path.relpath(p, SCENARIOS))
def test_scenario(build, path):
    r = run([build.exe("ampsim"), "run", path, "--json"])
    assert r.returncode == 0, "exit %d\n%s\n%s" % (r.returncode, r.stdout, r.stderr)
    doc = check_run_json(r.stdout, os.path.basename(path))
    assert doc["expectations"]["failed"] == 0
    assert doc["expectations"]["held"] > 0, "scenario has no [expect]"
    for pid, p in doc["payments"].items():
        paid = sum(x["amount_msat"] for x in p["parts"] if x["result"] == "fulfilled")
        if p["mode"] in ("mpp", "amp"):
            assert paid in (0, p["amount_msat"]), "%s settled in part" % pid
    if path.endswith("drop-fulfill.ini"):
        # the lost fulfill's part was settled through the chain
        assert any(x.get("onchain") for x in doc["payments"]["p1"]["parts"]), doc["payments"]


def test_wrong_expectation_exits_1(build, tmp_path):
    p = write(tmp_path, "wrong.ini", BASE + "[payment p1]\nat = 0s\namount = 2btc\nmode = amp\n"
              "[expect]\np1 = failed\nc1 = alice:1btc bob:0\n")
    r = run([build.exe("ampsim"), "run", p])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL" in r.stdout and "got settled" in r.stdout, r.stdout


def test_unlisted_scenario_three_channels_uneven(build, tmp_path):
    # not in scenarios/: uneven channels, 3 shards, 2.5btc
    p = write(tmp_path, "uneven.ini", """[sim]
seed = 11
time_scale = 20
[channel a]
capacity = 2btc
alice = 1.5btc
delay = 5ms
[channel b]
capacity = 1btc
alice = 0.7btc
delay = 15ms
[channel c]
capacity = 3btc
alice = 0.4btc
delay = 25ms
[payment p1]
at = 0s
amount = 2.5btc
mode = amp
[payment p2]
at = 1s
amount = 1000sat
mode = mpp
[expect]
p1 = settled
p2 = settled
""")
    r = run([build.exe("ampsim"), "run", p, "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    doc = check_run_json(r.stdout, "uneven")
    paid = sum(ch["alice_view"]["bob_msat"] for ch in doc["channels"].values())
    # bob started with 0.5 + 0.3 + 2.6 btc and was paid 2.5btc + 1000sat
    assert paid == (50000000000 + 30000000000 + 260000000000 + 250000000000 + 1000000), paid


def test_single_payment_that_fits_settles(build, tmp_path):
    p = write(tmp_path, "s.ini", BASE + "[payment p1]\nat = 0s\namount = 0.4btc\nmode = single\n"
              "[expect]\np1 = settled\n")
    r = run([build.exe("ampsim"), "run", p, "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    doc = check_run_json(r.stdout, "single")
    parts = doc["payments"]["p1"]["parts"]
    assert len(parts) == 1 and parts[0]["result"] == "fulfilled"


def test_too_many_shards_for_channels_fails_cleanly(build, tmp_path):
    p = write(tmp_path, "s.ini", BASE.replace("capacity = 1btc\nalice = 1btc\ndelay = 10ms",
                                              "capacity = 1btc\nalice = 1btc\ndelay = 10ms\nmax_htlcs = 1")
              .replace("delay = 30ms", "delay = 30ms\nmax_htlcs = 1") +
              "[payment p1]\nat = 0s\namount = 1btc\nmode = amp\nshards = 3\n[expect]\np1 = failed\n")
    r = run([build.exe("ampsim"), "run", p, "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    doc = check_run_json(r.stdout, "slots")
    assert doc["payments"]["p1"]["parts"] == []
