"""Node key files: a key that group or others may read (or write) is
refused with exit 2 and the chmod that fixes it, as ssh refuses such a
private key; every key a daemon, `ampsim key` or `ampsim run` makes is
0600 whatever the umask."""
import os
import re
import shutil
import stat

import pytest

from support import ROOT, read_json, run, wait_for

# a valid secp256k1 private key
KEY = "11" * 32 + "\n"
# a node id no daemon holds: alice refuses or accepts her key before she connects
SOMEONE = "02" + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def key_file(tmp_path, mode):
    p = tmp_path / ("node-%o.key" % mode)
    p.write_text(KEY)
    os.chmod(p, mode)
    return str(p)


def assert_refused(r, path, who):
    assert r.returncode == 2, (who, r.returncode, r.stdout, r.stderr)
    assert "chmod 600 %s" % path in r.stderr, (who, r.stderr)
    assert "too open" in r.stderr, (who, r.stderr)


@pytest.mark.parametrize("mode", [0o644, 0o666, 0o640, 0o604])
def test_a_key_others_may_read_is_refused_by_ampsim_key_bob_and_alice(build, tmp_path, mode):
    path = key_file(tmp_path, mode)
    assert_refused(run([build.exe("ampsim"), "key", path], timeout=20), path, "ampsim key")
    assert_refused(run([build.exe("bob"), "--listen", "127.0.0.1:0", "--key", path,
                        "--ready-file", str(tmp_path / "bob.ready")], timeout=20), path, "bob")
    assert not os.path.exists(tmp_path / "bob.ready"), "bob started on a key others can read"
    assert_refused(run([build.exe("alice"), "--connect", SOMEONE + "@127.0.0.1:9",
                        "--key", path, "--channel", "1btc",
                        "--ready-file", str(tmp_path / "alice.ready")], timeout=20), path, "alice")
    assert not os.path.exists(tmp_path / "alice.ready"), "alice started on a key others can read"
    # refused, not rewritten: the file and its mode are the user's to fix
    assert mode_of(path) == mode
    with open(path) as f:
        assert f.read() == KEY
    # the fix the message gives works
    os.chmod(path, 0o600)
    r = run([build.exe("ampsim"), "key", path], timeout=20)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"0[23][0-9a-f]{64}\n", r.stdout), r.stdout


def test_a_key_in_a_state_directory_is_checked_too(build, tmp_path):
    state = tmp_path / "bs"
    state.mkdir(mode=0o700)
    (state / "bob.key").write_text(KEY)
    os.chmod(state / "bob.key", 0o644)
    path = str(state / "bob.key")
    assert_refused(run([build.exe("bob"), "--listen", "127.0.0.1:0", "--state", str(state)],
                       timeout=20), path, "bob --state")


def test_keys_made_are_private_under_umask_000(build, processes, tmp_path):
    old = os.umask(0)
    try:
        made = tmp_path / "made.key"
        r = run([build.exe("ampsim"), "key", str(made)], timeout=20)
        assert r.returncode == 0, r.stderr
        # bob makes his --key when it is missing, and his key in --state
        ready = tmp_path / "bob.ready"
        bob = processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0",
                               "--key", str(tmp_path / "bob.key"), "--ready-file", str(ready)],
                              str(tmp_path / "bob.log"))
        info = wait_for(lambda: read_json(str(ready)), what="bob's ready file")
        ready2 = tmp_path / "bob2.ready"
        bob2 = processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0",
                                "--state", str(tmp_path / "bs"), "--ready-file", str(ready2)],
                               str(tmp_path / "bob2.log"))
        wait_for(lambda: read_json(str(ready2)), what="the second bob's ready file")
        # alice makes her --key when it is missing
        aready = tmp_path / "alice.ready"
        alice = processes.spawn([build.exe("alice"), "--connect",
                                 "%s@127.0.0.1:%d" % (info["node_id"], info["port"]),
                                 "--key", str(tmp_path / "alice.key"),
                                 "--state", str(tmp_path / "as"), "--channel", "1btc",
                                 "--ready-file", str(aready)], str(tmp_path / "alice.log"))
        wait_for(lambda: read_json(str(aready)), what="alice's ready file")
        # ampsim run makes both keys in its run directory
        r = run([build.exe("ampsim"), "run", os.path.join(ROOT, "scenarios", "03-amp.ini"),
                 "--keep"])
        assert r.returncode == 0, r.stderr
    finally:
        os.umask(old)
    m = re.search(r"run directory kept: (\S+)", r.stderr)
    assert m, r.stderr
    rundir = m.group(1)
    try:
        keys = [made, tmp_path / "bob.key", tmp_path / "bs" / "bob.key", tmp_path / "alice.key",
                os.path.join(rundir, "bob.key"), os.path.join(rundir, "alice.key")]
        for k in keys:
            assert os.path.exists(k), k
            assert mode_of(k) == 0o600, "%s is %o" % (k, mode_of(k))
    finally:
        shutil.rmtree(rundir, ignore_errors=True)
    for p in (alice, bob2, bob):
        p.terminate()
        assert p.wait(timeout=10) == 0
