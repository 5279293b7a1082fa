"""What other local users and other daemons can touch: control sockets and
every file a daemon writes are its own user's only, whatever the umask; a
second daemon cannot take over a running one's control socket or state."""
import os
import stat

from support import rpc, run


def private(path):
    mode = stat.S_IMODE(os.lstat(path).st_mode)
    return mode & 0o077 == 0, oct(mode)


def test_files_and_sockets_are_private_under_umask_000(start_daemons, tmp_path):
    old = os.umask(0)
    try:
        dm = start_daemons(bob_args=["--state", str(tmp_path / "bob-state")],
                           alice_args=["--state", str(tmp_path / "alice-state")])
    finally:
        os.umask(old)
    assert rpc(dm.alice_sock, "getinfo")
    paths = [dm.bob_sock, dm.alice_sock, dm.bob_events, dm.alice_events,
             os.path.join(dm.dir, "bob.ready"), os.path.join(dm.dir, "alice.ready")]
    for d in ("bob-state", "alice-state"):
        for f in os.listdir(tmp_path / d):
            paths.append(str(tmp_path / d / f))
    assert any(p.endswith(".db") for p in paths)
    for p in paths:
        ok, mode = private(p)
        assert ok, "%s is %s" % (p, mode)


def test_a_runs_event_log_timeline_and_capture_are_private(build, tmp_path):
    """They hold preimages and AMP roots: 0600 under umask 000, even over
    a file that was there with a wider mode."""
    from support import ROOT
    outs = {"--events": tmp_path / "run.events", "--timeline": tmp_path / "run.html",
            "--pcap": tmp_path / "run.pcap"}
    outs["--timeline"].write_text("old")
    os.chmod(outs["--timeline"], 0o644)
    args = [build.exe("ampsim"), "run", os.path.join(ROOT, "scenarios", "03-amp.ini")]
    for opt, path in outs.items():
        args += [opt, str(path)]
    old = os.umask(0)
    try:
        r = run(args)
    finally:
        os.umask(old)
    assert r.returncode == 0, r.stderr
    for path in outs.values():
        ok, mode = private(str(path))
        assert ok and path.stat().st_size > 0, "%s is %s" % (path, mode)


def test_a_second_bob_cannot_take_a_running_bobs_control_socket(dm, build):
    r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--control", dm.bob_sock], timeout=20)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "in use by a running daemon" in r.stderr, r.stderr
    # the first bob still has its socket and answers on it
    assert os.path.exists(dm.bob_sock)
    assert rpc(dm.bob_sock, "getinfo")


def test_a_second_daemon_on_the_same_state_is_refused(start_daemons, build, tmp_path):
    state = str(tmp_path / "bob-state")
    dm = start_daemons(bob_args=["--state", state])
    r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--state", state], timeout=20)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "in use by another running daemon" in r.stderr, r.stderr
    assert rpc(dm.bob_sock, "getinfo")


def test_a_stale_control_socket_is_replaced(build, processes, tmp_path):
    import socket
    from support import read_json, wait_for
    sock = str(tmp_path / "bob.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)            # a socket file nobody listens on: a dead daemon's
    s.close()
    ready = str(tmp_path / "bob.ready")
    processes.spawn([build.exe("bob"), "--listen", "127.0.0.1:0", "--control", sock,
                     "--ready-file", ready])
    wait_for(lambda: read_json(ready), what="bob's ready file")
    assert rpc(sock, "getinfo")


def test_a_control_path_that_is_not_a_socket_is_left_alone(build, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("mine\n")
    r = run([build.exe("bob"), "--listen", "127.0.0.1:0", "--control", str(path)], timeout=20)
    assert r.returncode == 2 and "not a socket" in r.stderr, r.stderr
    assert path.read_text() == "mine\n"
