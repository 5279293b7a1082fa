"""Every shell command README.md, docs/*.md and docs/labs/*.md show is run,
as written, and must exit as the document says (0 unless marked), so that
an example cannot rot. A command that only makes sense by hand is marked
in the document with its reason (tests/README.md, "Commands in the
documentation") and listed in the test output as not run.

The commands of one document run in order in one bash, as a reader would
type them into one terminal (a `cd`, a variable or a daemon started with
`&` carries over), in a scratch folder that looks like the top of the
repository: a symbolic link to each of its entries, with `build` pointing
at the build directory under test, and the build's ampsim, alice and bob
first on PATH. What a command writes (runs.csv, lab3.jsonl) lands in the
scratch folder. Whatever the document's shell started is killed when it
ends.

A lab handout (docs/labs/NN-name.md with its key in docs/labs/answers/) is
run by scripts/lab-check, the way the labs are meant to be played: it runs
the handout's `$ ` lines (the two-host lab on one machine, its placeholders
filled in) and checks every answer of the key against them.
"""
import importlib.machinery
import importlib.util
import os
import signal
import subprocess

import pytest

import doc_commands
from support import ROOT, wait_for

DOC_TIMEOUT = 240        # seconds for all the commands of one document
LAB_CHECK = os.path.join(ROOT, "scripts", "lab-check")


def all_commands():
    out = {}
    for doc in doc_commands.documents():
        out[doc] = doc_commands.parse(doc)
    return out


PARSED = all_commands()
RUNNABLE = [doc for doc, (cmds, _) in PARSED.items() if any(c.not_run is None for c in cmds)]


def scratch_root(tmp_path, build):
    root = tmp_path / "root"
    root.mkdir()
    for name in os.listdir(ROOT):
        if name.startswith(".") or name == "build":
            continue
        os.symlink(os.path.join(ROOT, name), str(root / name))
    os.symlink(build.dir, str(root / "build"))
    return root


def script_of(cmds, logs):
    lines = ["set +e"]
    for k, c in enumerate(cmds):
        lines += ["{ %s" % c.to_run(), '} >"%s/out.%d" 2>&1 </dev/null' % (logs, k),
                  'echo $? >"%s/rc.%d"' % (logs, k)]
    return "\n".join(lines) + "\n"


def group_gone(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def kill_group(proc):
    """End the document's shell and everything it started (they share its
    process group): TERM, then KILL what is left after 5 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        wait_for(lambda: group_gone(proc.pid), timeout=5, what="the document's processes to end")
    except ProcessLookupError:
        return
    except AssertionError:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_markers_are_well_formed():
    problems = [p for _, (_, ps) in PARSED.items() for p in ps]
    assert not problems, "\n".join(problems)


def test_every_command_not_run_says_why(capsys):
    """Lists, in the test output, every command the suite does not run and
    why, and every command it runs with a reduction."""
    not_run, reduced = [], []
    for doc, (cmds, _) in PARSED.items():
        for c in cmds:
            if c.not_run is not None:
                assert c.not_run.strip(), "%s: not run without a reason" % c.where()
                not_run.append("%s: %s  -- not run: %s" % (c.where(), c.text[:70], c.not_run))
            elif c.replaced:
                reduced.append("%s: %s  -- run with %s" % (c.where(), c.text[:70], "; ".join(
                    "%r as %r (%s)" % r for r in c.replaced)))
    total = sum(len(cmds) for cmds, _ in PARSED.values())
    assert total > 0
    with capsys.disabled():     # shown whatever pytest's capture, passed or not
        print("\ndocumentation: %d commands, %d not run, %d run reduced" % (
            total, len(not_run), len(reduced)))
        for line in not_run + reduced:
            print("  " + line)


def lab_key(doc):
    """The answer key of a lab handout, or None for any other document."""
    if os.path.dirname(doc) != os.path.join("docs", "labs"):
        return None
    key = os.path.join(ROOT, "docs", "labs", "answers", os.path.basename(doc))
    return key if os.path.isfile(key) else None


def lab_check_commands(doc):
    """The commands scripts/lab-check runs for a lab handout."""
    loader = importlib.machinery.SourceFileLoader("ampsim_lab_check", LAB_CHECK)
    spec = importlib.util.spec_from_loader("ampsim_lab_check", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod.parse_lab(os.path.join(ROOT, doc))[1]


@pytest.mark.parametrize("doc", RUNNABLE)
def test_doc_commands_run(build, tmp_path, doc):
    cmds = [c for c in PARSED[doc][0] if c.not_run is None]
    if lab_key(doc):
        # a lab handout: scripts/lab-check runs its commands as a student
        # would (its placeholders stand in for the second host) and checks
        # the answer key against what they did; every command shown must
        # be one it runs
        assert [c.text for c in PARSED[doc][0]] == lab_check_commands(doc), (
            "%s: scripts/lab-check runs a lab's indented `$ ` lines only; show every command "
            "that way" % doc)
        name = os.path.basename(doc)[:-len(".md")]
        r = subprocess.run([LAB_CHECK, "--build", build.dir, "--lab", name], capture_output=True,
                           text=True, timeout=DOC_TIMEOUT)
        assert r.returncode == 0 and "1 labs" in r.stdout, r.stdout + r.stderr
        return
    root = scratch_root(tmp_path, build)
    logs = tmp_path / "logs"
    logs.mkdir()
    script = tmp_path / "doc.sh"
    script.write_text(script_of(cmds, str(logs)))
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.join(build.dir, "sim"), os.path.join(build.dir, "sender"),
                                   os.path.join(build.dir, "receiver"), env.get("PATH", "")])
    proc = subprocess.Popen(["bash", str(script)], cwd=str(root), env=env, start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=DOC_TIMEOUT)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        kill_group(proc)        # and the daemons the document started
        proc.wait()
    failures = []
    for k, c in enumerate(cmds):
        rc_file, out_file = logs / ("rc.%d" % k), logs / ("out.%d" % k)
        output = out_file.read_text(errors="replace") if out_file.exists() else ""
        if not rc_file.exists():
            failures.append("%s: never finished%s: %s\n%s" % (
                c.where(), " (the document's commands took over %d s)" % DOC_TIMEOUT
                if timed_out else "", c.to_run(), output[-2000:]))
            break
        rc = int(rc_file.read_text())
        if rc != c.exit:
            failures.append("%s: exit %d, the document expects %d: %s\n%s" % (
                c.where(), rc, c.exit, c.to_run(), output[-2000:]))
    assert not failures, "\n\n".join(failures)
