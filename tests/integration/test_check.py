"""ampsim check (docs/check.md): every timed execution of a scenario's
payments explored over the world. The seed's two invoices break atomicity
with one lost message and the counterexample replays to the same partial
payment on the two daemons and in-process; an eager Bob breaks MPP and not
AMP; --depth cuts the search and says so; bad input exits 2."""
import json
import os
import re

from support import ROOT, run

TWO_INVOICES = os.path.join(ROOT, "scenarios", "02-two-invoices.ini")
MPP_EAGER = os.path.join(ROOT, "scenarios", "check", "mpp-eager.ini")
AMP_EAGER = os.path.join(ROOT, "scenarios", "check", "amp-eager.ini")
AMP = os.path.join(ROOT, "scenarios", "03-amp.ini")


def check(build, *args, timeout=300):
    return run([build.exe("ampsim"), "check"] + list(args), timeout=timeout)


def outcome(build, path, *extra):
    r = run([build.exe("ampsim"), "run", "--json"] + list(extra) + [path], timeout=300)
    out = json.loads(r.stdout)
    return {pid: p["outcome"] for pid, p in out["payments"].items()}, out


def replays_to_partial(build, cx):
    """The counterexample, played on the two daemons and in-process,
    ends with the payment partial on both."""
    two, out = outcome(build, cx)
    one, _ = outcome(build, cx, "--in-process")
    assert two == {"p1": "partial"}, out
    assert one == two
    paid = [p for p in out["payments"]["p1"]["parts"] if p["result"] == "fulfilled"]
    assert len(paid) == 1   # bob kept one part and not the other


def test_two_invoices_one_lost_message_is_a_partial_payment(build, tmp_path):
    cx = str(tmp_path / "cx.ini")
    r = check(build, TWO_INVOICES, "--faults", "1", "--counterexample", cx)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"^VIOLATION of atomicity: invoices payment p1 paid bob "
                     r"100000000000 of 200000000000 msat \(partial\)$", r.stdout, re.M), r.stdout
    # the steps, numbered, in words; the fault among them
    assert re.search(r"^  1\. at \d+ms: ", r.stdout, re.M), r.stdout
    assert "is lost (a fault)" in r.stdout
    with open(cx) as f:
        text = f.read()
    assert re.search(r"action = drop=add#1", text), text
    assert "[expect]" not in text
    replays_to_partial(build, cx)


def test_without_faults_the_two_invoices_hold(build):
    r = check(build, TWO_INVOICES)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^every property holds in every execution: \d+ distinct states, "
                     r"\d+ executions?, depth \d+, ", r.stdout, re.M), r.stdout


def test_an_eager_bob_breaks_mpp_with_one_fault(build, tmp_path):
    cx = str(tmp_path / "cx.ini")
    r = check(build, MPP_EAGER, "--faults", "1", "--counterexample", cx)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "VIOLATION of atomicity: mpp payment p1" in r.stdout
    replays_to_partial(build, cx)


def test_an_eager_bob_cannot_break_amp_with_two_faults(build):
    r = check(build, AMP_EAGER, "--faults", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"every property holds in every execution: (\d+) distinct states, "
                  r"(\d+) executions", r.stdout)
    assert m and int(m.group(1)) > 1000 and int(m.group(2)) > 100, r.stdout


def test_jitter_orders_and_order_invariance(build, tmp_path):
    # c1's jitter lets either shard arrive first: more states than without
    # it, every execution with the same outcome
    with open(AMP) as f:
        text = f.read().replace("delay = 20ms", "delay = 20ms\njitter = 40ms", 1)
    path = tmp_path / "jitter.ini"
    path.write_text(text)
    states = []
    for p in (AMP, str(path)):
        r = check(build, p)
        assert r.returncode == 0, r.stdout + r.stderr
        states.append(int(re.search(r"(\d+) distinct states", r.stdout).group(1)))
    assert states[1] > states[0], states
    assert "order invariance" in r.stdout   # named among the properties


def test_depth_cuts_and_says_so(build):
    r = check(build, TWO_INVOICES, "--faults", "1", "--depth", "3")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "no violation up to depth 3" in r.stdout
    assert "every property holds" not in r.stdout


def test_bad_input(build, tmp_path):
    r = check(build, str(tmp_path / "missing.ini"))
    assert r.returncode == 2 and "missing.ini" in r.stderr
    r = check(build, TWO_INVOICES, "--faults", "many")
    assert r.returncode == 2 and "--faults" in r.stderr
    r = check(build)
    assert r.returncode == 2
    bad = tmp_path / "bad.ini"
    bad.write_text("[sim]\nseed = x\n")
    r = check(build, str(bad))
    assert r.returncode == 2 and re.search(r"bad\.ini:2: ", r.stderr), r.stderr
    # a workload is too large to explore whole: refused, with its line
    work = tmp_path / "work.ini"
    work.write_text("[channel c1]\ncapacity = 1btc\nalice = 1btc\n\n"
                    "[workload w1]\ncount = 1000\nstart = 0s\narrival = every:10ms\n"
                    "amount = 1000sat\nmode = amp\n")
    r = check(build, str(work))
    assert r.returncode == 2 and re.search(r"work\.ini:5: workload w1: too large", r.stderr), r.stderr
    # the checker chooses faults itself
    r = check(build, os.path.join(ROOT, "scenarios", "04-amp-timeout-refund.ini"))
    assert r.returncode == 2 and "--faults" in r.stderr
    r = check(build, TWO_INVOICES, "--counterexample", str(tmp_path / "no" / "such" / "x.ini"),
              "--faults", "1")
    assert r.returncode == 2 and "x.ini" in r.stderr


def test_help(build):
    r = check(build, "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: ampsim check FILE")


def test_a_hold_shorter_than_the_jitter_breaks_order_invariance(build, tmp_path):
    # the counterexample fixes c2's add at 70 ms (after Bob's 50 ms hold):
    # a delay rule, and the run on both sides fails where another order
    # settles
    cx = str(tmp_path / "cx.ini")
    path = os.path.join(ROOT, "scenarios", "check", "amp-short-hold.ini")
    r = check(build, path, "--counterexample", cx)
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"^VIOLATION of order invariance: .*p1 settled.*p1 failed", r.stdout,
                     re.M), r.stdout
    assert "mpp_timeout" in r.stdout
    with open(cx) as f:
        text = f.read()
    assert "action = delay=add#1:70ms" in text and "jitter" not in text.split("[channel c2]")[1]
    two, out = outcome(build, cx)
    one, _ = outcome(build, cx, "--in-process")
    assert two == one == {"p1": "failed"}, out


def faults_tried(out):
    m = re.search(r"^faults tried: (\d+) losses, (\d+) duplicates, (\d+) disconnects, "
                  r"(\d+) crashes", out, re.M)
    assert m, out
    return [int(x) for x in m.groups()]


def states_of(out):
    return int(re.search(r"(\d+) distinct states", out).group(1))


def test_amp_holds_with_a_crash_among_the_faults(build):
    # one fault, a crash of alice or bob (restarted at once) among them:
    # every property holds, in more states than without crashes
    r = check(build, AMP, "--faults", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "every property holds in every execution" in r.stdout
    tried = faults_tried(r.stdout)
    assert tried[3] > 0 and tried[0] > 0, tried
    rn = check(build, AMP, "--faults", "1", "--no-crashes")
    assert rn.returncode == 0, rn.stdout + rn.stderr
    assert faults_tried(rn.stdout)[3] == 0 and "(--no-crashes)" in rn.stdout
    assert states_of(r.stdout) > states_of(rn.stdout), (r.stdout, rn.stdout)
    # and with two
    r2 = check(build, AMP, "--faults", "2")
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert states_of(r2.stdout) > states_of(r.stdout)


def test_crashes_alone_break_nothing(build):
    # a restarted alice sends again what a crash lost: two crashes and no
    # other fault leave every payment whole, even to an eager bob with mpp
    # (one lost part is enough for him otherwise)
    for path in (AMP, MPP_EAGER, TWO_INVOICES):
        r = check(build, path, "--faults", "2", "--only-crashes")
        assert r.returncode == 0, r.stdout + r.stderr
        tried = faults_tried(r.stdout)
        assert tried[:3] == [0, 0, 0] and tried[3] > 0, tried
    r = check(build, MPP_EAGER, "--faults", "1")
    assert r.returncode == 1 and "is lost (a fault)" in r.stdout, r.stdout
    r = check(build, AMP, "--no-crashes", "--only-crashes")
    assert r.returncode == 2 and "not both" in r.stderr


def test_a_crash_in_the_two_invoices_counterexample_replays(build, tmp_path):
    # with two faults the shortest break loses c2's add and then crashes
    # alice: restarted, she sends it again, and bob refuses it as too close
    # to its expiry. The counterexample crashes and restarts her at one
    # time, and plays to the same partial payment on the daemons and
    # in-process.
    cx = str(tmp_path / "cx.ini")
    r = check(build, TWO_INVOICES, "--faults", "2", "--counterexample", cx)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "VIOLATION of atomicity: invoices payment p1" in r.stdout
    m = re.search(r"^  (\d+)\. at (\d+)ms: alice crashes \(a fault\) and restarts at once",
                  r.stdout, re.M)
    assert m, r.stdout
    steps = int(re.search(r"the shortest execution that breaks it, (\d+) steps", r.stdout).group(1))
    with open(cx) as f:
        text = f.read()
    at = m.group(2)
    assert re.search(r"\[fault x\d+\]\nat = %sms\naction = crash=alice\n\n"
                     r"\[fault x\d+\]\nat = %sms\naction = restart=alice\n" % (at, at), text), text
    assert "action = drop=add#1" in text
    replays_to_partial(build, cx)
    # without crashes nothing breaks in as few steps
    rn = check(build, TWO_INVOICES, "--faults", "2", "--no-crashes", "--depth", str(steps))
    assert rn.returncode == 3, rn.stdout + rn.stderr


def test_a_rule_at_a_restart_reaches_the_new_life(build, tmp_path):
    # what a counterexample writes after a crash: a restarted daemon's
    # links count from 1 again and it gets rules given at its restart;
    # 'other' (an acknowledgement) is a kind a rule may name
    with open(AMP) as f:
        text = f.read()
    text = text.split("[expect]")[0] + (
        "\n[fault k]\nat = 30ms\naction = crash=alice\n"
        "\n[fault r]\nat = 30ms\naction = restart=alice\n"
        "\n[fault d]\nat = 30ms\nchannel = c1\ndirection = to_bob\naction = drop=other#1\n")
    path = tmp_path / "restart-rule.ini"
    path.write_text(text)
    for extra in ([], ["--in-process"]):
        r = run([build.exe("ampsim"), "run", "--json"] + extra + [str(path)], timeout=300)
        out = json.loads(r.stdout)
        assert out["payments"]["p1"]["outcome"] == "settled", out
        assert out["metrics"]["messages_dropped"] == 1, (extra, out["metrics"])
