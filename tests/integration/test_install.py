"""meson install: ampsim, alice and bob and their manual pages land where a
shell and man(1) look for them under the prefix, each page renders without
a warning, and the installed programs work together (ampsim finds the
daemons installed beside it). Installed with DESTDIR into a scratch folder,
from the build under test."""
import json
import os
import shutil
import subprocess

import pytest

from support import ROOT, run

PROGRAMS = ("ampsim", "alice", "bob")


def install(build, dest):
    """meson install under dest; (bindir, mandir) as installed there."""
    r = run(["meson", "install", "-C", build.dir, "--no-rebuild", "--destdir", str(dest)],
            timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    # where the build's install data put each file (its own prefix, bindir
    # and mandir), under dest
    r = run(["meson", "introspect", build.dir, "--installed"])
    assert r.returncode == 0, r.stderr
    where = {os.path.basename(dst): os.path.join(str(dest), dst.lstrip("/"))
             for dst in json.loads(r.stdout).values()}
    assert "ampsim" in where and "ampsim.1" in where, where
    return (os.path.dirname(where["ampsim"]), os.path.dirname(os.path.dirname(where["ampsim.1"])))


@pytest.fixture(scope="module")
def installed(build, tmp_path_factory):
    """(bindir, mandir) of the build installed once under a scratch DESTDIR."""
    return install(build, tmp_path_factory.mktemp("dest"))


def lint(page):
    """Problems a man page renderer reports for page ('' when none)."""
    if shutil.which("mandoc"):
        # mandoc's own checker; STYLE notes (pages it cannot find yet, as
        # they are not installed on this system) are below -W warning
        r = run(["mandoc", "-T", "lint", "-W", "warning", page])
        return (r.stdout + r.stderr).strip() or ("" if r.returncode == 0 else "exit %d" % r.returncode)
    assert shutil.which("man"), "neither mandoc nor man: run scripts/install-deps"
    r = run(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="80"))
    return r.stderr.strip() or ("" if r.returncode == 0 and r.stdout else "exit %d" % r.returncode)


def test_meson_install_puts_the_programs_and_their_man_pages_in_place(installed):
    bindir, mandir = installed
    for name in PROGRAMS:
        exe = os.path.join(bindir, name)
        assert os.access(exe, os.X_OK), "%s not installed (in %s: %s)" % (exe, bindir, os.listdir(bindir))
        r = run([exe, "--version"])
        assert r.returncode == 0 and r.stdout.split()[-1] == project_version(), r.stdout + r.stderr
        page = os.path.join(mandir, "man1", name + ".1")
        assert os.path.isfile(page), "%s not installed" % page
        assert lint(page) == "", "%s: %s" % (page, lint(page))
        # the layout man(1) searches: found by name under the installed tree
        r = run(["man", "-w", name], env=dict(os.environ, MANPATH=mandir))
        assert r.returncode == 0 and r.stdout.strip() == page, r.stdout + r.stderr


def project_version():
    with open(os.path.join(ROOT, "meson.build")) as f:
        for line in f:
            if line.strip().startswith("version :"):
                return line.split("'")[1]
    raise AssertionError("no version in meson.build")


def test_the_installed_ampsim_runs_a_scenario_with_the_installed_daemons(installed, tmp_path):
    bindir, _ = installed
    # nothing of the build tree on the way: the daemons must be found next
    # to the installed ampsim
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMPSIM_")}
    env["PATH"] = bindir + ":/usr/bin:/bin"
    r = subprocess.run(["ampsim", "run", os.path.join(ROOT, "scenarios", "03-amp.ini"), "--json"],
                       capture_output=True, text=True, timeout=120, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["payments"]["p1"]["outcome"] == "settled"


def test_every_program_has_its_page_in_the_source_tree():
    # one page per installed program, in mdoc, listed in meson.build
    with open(os.path.join(ROOT, "meson.build")) as f:
        meson = f.read()
    for name in PROGRAMS:
        page = os.path.join(ROOT, "man", name + ".1")
        with open(page) as f:
            text = f.read()
        assert ".Dt %s 1" % name.upper() in text and ".Sh NAME" in text, page
        assert "'man/%s.1'" % name in meson, "man/%s.1 is not installed by meson.build" % name
