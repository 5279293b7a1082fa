"""Bad scenario files: `ampsim run` exits 2 and names FILE:LINE."""
import pytest

from support import BASE, run, write

BAD = [
    ("unknown_section", "[sim]\nseed = 1\n[wat]\nx = 1\n", 3),
    ("unknown_key", BASE + "[payment p1]\nat = 0s\namount = 1btc\ncolour = red\n", 15),
    ("bad_unit", BASE.replace("capacity = 1btc\nalice = 1btc\ndelay = 10ms", "capacity = 1bitcoin\nalice = 1btc\ndelay = 10ms"), 5),
    ("negative_amount", BASE + "[payment p1]\nat = 0s\namount = -1btc\n", 14),
    ("overflowing_amount", BASE + "[payment p1]\nat = 0s\namount = 999999999999btc\n", 14),
    ("probability_out_of_range", BASE.replace("delay = 30ms", "delay = 30ms\ndrop = 1.5"), 12),
    ("fault_on_missing_channel", BASE + "[fault f1]\nat = 0s\nchannel = c9\naction = down\n", 14),
    ("expect_on_missing_payment", BASE + "[expect]\np7 = settled\n", 13),
    ("bad_outcome", BASE + "[payment p1]\nat = 0s\namount = 1btc\n[expect]\np1 = maybe\n", 16),
    ("balance_over_capacity", BASE.replace("alice = 1btc\ndelay = 30ms", "alice = 2btc\ndelay = 30ms"), 10),
]


@pytest.mark.parametrize("name,text,line", BAD, ids=[b[0] for b in BAD])
def test_bad_scenario(build, tmp_path, name, text, line):
    p = write(tmp_path, name + ".ini", text)
    r = run([build.exe("ampsim"), "run", p])
    assert r.returncode == 2, "exit %d: %s%s" % (r.returncode, r.stdout, r.stderr)
    want = "%s:%d:" % (p, line)
    assert want in r.stderr, "expected %r in %r" % (want, r.stderr)


def test_missing_scenario_file_exits_2(build):
    r = run([build.exe("ampsim"), "run", "/nonexistent/x.ini"])
    assert r.returncode == 2 and "/nonexistent/x.ini" in r.stderr, r.stderr
