"""Fixtures for the integration tests: real alice and bob processes on
loopback.

    /usr/bin/python3 -m pytest tests/integration --build BUILD_DIR [-k NAME]

The build directory comes from --build, else from $AMPSIM_BUILD, else
build-test/ at the top of the repository. Every test starts what it needs,
waits on ready files, control-socket answers or event-log lines (never a
fixed sleep, every wait bounded), and whatever it started is killed when it
ends, passed or not. When a test that started daemons fails, their output is
shown with the failure.
"""
import os

import pytest

import same_run
import support
from support import ROOT, Build, Daemons, Processes


def pytest_addoption(parser):
    parser.addoption("--build", metavar="DIR", default=None,
                     help="meson build directory holding ampsim, alice and bob "
                          "(default: $AMPSIM_BUILD, else build-test/)")


def pytest_configure(config):
    path = (config.getoption("--build") or os.environ.get("AMPSIM_BUILD")
            or os.path.join(ROOT, "build-test"))
    build = Build(path)
    missing = build.missing()
    if missing:
        raise pytest.UsageError("--build %s: no executable %s (build first: scripts/test, "
                                "or meson setup DIR && ninja -C DIR)" % (build.dir, ", ".join(missing)))
    config.ampsim_build = build


support.RUN_OBSERVERS.append(same_run.note)


def pytest_report_header(config):
    return "ampsim build: %s" % config.ampsim_build.dir


@pytest.fixture(scope="session")
def build(pytestconfig):
    """The build directory: build.dir, and build.exe("ampsim"|"alice"|"bob")."""
    return pytestconfig.ampsim_build


@pytest.fixture
def processes(request):
    """Start processes with processes.spawn(argv[, log]); all killed at the end."""
    procs = Processes()
    yield procs
    procs.kill_all()


@pytest.fixture
def start_daemons(build, processes, request):
    """start_daemons(channels=..., bob_args=..., alice_args=..., start_alice=True,
    bob_wrap=...: a command bob runs under, such as prlimit)
    starts bob on 127.0.0.1:0 and alice connected to him, and returns a
    Daemons once both have written their ready files. Killed at the end."""
    started = []
    request.node.ampsim_daemons = started

    def start(**kw):
        dm = Daemons(build, processes, **kw)
        started.append(dm)
        return dm

    yield start
    for dm in started:
        dm.cleanup()


@pytest.fixture
def dm(start_daemons):
    """bob and alice with two 1btc channels."""
    return start_daemons()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when == "call":
        for dm in getattr(item, "ampsim_daemons", ()):
            rep.sections.append(("daemon output (%s)" % dm.dir, dm.logs()))


@pytest.fixture(autouse=True)
def the_same_run_in_process(request, pytestconfig):
    """After each test, every scenario it wrote and played with the two
    daemons on the virtual clock is played in-process too, and must give
    the same events and summary (same_run.py, docs/world.md)."""
    del same_run.PENDING[:]
    yield
    same_run.compare_pending(pytestconfig.ampsim_build, request.node.nodeid)


def pytest_terminal_summary(terminalreporter):
    if not (same_run.COMPARED or same_run.NOT_COMPARED):
        return
    terminalreporter.write_line(
        "in-process: %d scenarios the tests wrote played both ways, the same run; "
        "%d not compared" % (len(same_run.COMPARED), len(same_run.NOT_COMPARED)))
    for what, why in same_run.NOT_COMPARED:
        terminalreporter.write_line("  not compared: %s: %s" % (what, why))
