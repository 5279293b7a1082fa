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
    ("payment_id_taken_by_a_workload", BASE + "[workload w]\ncount = 3\nstart = 1s\narrival = poisson:5/s\namount = uniform:1sat,10sat\nmode = single\n[payment w-2]\nat = 0s\namount = 1sat\n", 18),
    ("stray_comma_in_mode_mix", BASE + "[workload w]\ncount = 3\nstart = 1s\narrival = poisson:5/s\namount = uniform:1sat,10sat\nmode = amp:0.5,mpp:0.5,\n", 17),
]


@pytest.mark.parametrize("name,text,line", BAD, ids=[b[0] for b in BAD])
def test_bad_scenario(build, tmp_path, name, text, line):
    p = write(tmp_path, name + ".ini", text)
    r = run([build.exe("ampsim"), "run", p])
    assert r.returncode == 2, "exit %d: %s%s" % (r.returncode, r.stdout, r.stderr)
    want = "%s:%d:" % (p, line)
    assert want in r.stderr, "expected %r in %r" % (want, r.stderr)


@pytest.mark.parametrize("section", ["payment p1", "workload w"])
def test_shards_on_a_single_payment_is_ignored_with_a_warning(build, tmp_path, section):
    """A grid over modes can include single: its shards are ignored, and
    the run says so with FILE:LINE."""
    body = ("at = 0s\namount = 0.1btc\n" if section.startswith("payment") else
            "count = 2\nstart = 0s\narrival = every:1s\namount = 0.1btc\n")
    p = write(tmp_path, "single.ini", BASE + "[%s]\n%smode = single\nshards = 2\n" % (section, body))
    line = BASE.count("\n") + 3 + body.count("\n")
    r = run([build.exe("ampsim"), "run", p, "--check"])
    assert r.returncode == 0, r.stderr
    assert "warning: %s:%d: [%s] shards:" % (p, line, section) in r.stderr, r.stderr
    assert "shards = 2 is ignored" in r.stderr, r.stderr
    r = run([build.exe("ampsim"), "run", p, "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "shards = 2 is ignored" in r.stderr, r.stderr


def test_missing_scenario_file_exits_2(build):
    r = run([build.exe("ampsim"), "run", "/nonexistent/x.ini"])
    assert r.returncode == 2 and "/nonexistent/x.ini" in r.stderr, r.stderr


def test_state_and_chain_paths_are_checked(build, tmp_path):
    f = tmp_path / "afile"
    f.write_text("")
    r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--state", str(f)], timeout=20)
    assert r.returncode == 2 and "not a directory" in r.stderr, r.stderr
    r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--chain",
             str(tmp_path / "missing" / "chain.db")], timeout=20)
    assert r.returncode == 2 and "folder does not exist" in r.stderr, r.stderr
    assert not (tmp_path / "missing").exists()


def test_a_daemon_that_stays_down_has_no_view(build, tmp_path):
    from support import write
    p = write(tmp_path, "down.ini", "[channel c1]\ncapacity = 1btc\n[payment p1]\nat = 0s\n"
              "amount = 0.1btc\nmode = amp\n[fault f1]\nat = 1s\naction = crash=bob\n"
              "[expect]\nc1 = alice:0.9btc bob:0.1btc\n")
    r = run([build.exe("ampsim"), "run", p])
    assert r.returncode == 1
    assert "no view from bob" in r.stdout and "alice:0 bob:0" not in r.stdout, r.stdout
    # and the run says why: the scenario's own crash, never followed by a restart
    assert "bob is down at the end: [fault f1] crashed it at 1.000 s" in r.stdout, r.stdout
