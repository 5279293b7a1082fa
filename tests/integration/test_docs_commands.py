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


def lab_key(doc):
    """The answer key of a lab handout, or None for any other document."""
    if os.path.dirname(doc) != os.path.join("docs", "labs"):
        return None
    key = os.path.join(ROOT, "docs", "labs", "answers", os.path.basename(doc))
    return key if os.path.isfile(key) else None


PARSED = all_commands()
RUNNABLE = [doc for doc, (cmds, _) in PARSED.items()
            if lab_key(doc) or any(c.not_run is None for c in cmds)]


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
    except ProcessLookupError:
        proc.wait()
        return
    try:
        proc.wait(timeout=5)     # reaped: a zombie would still count in its group
        wait_for(lambda: group_gone(proc.pid), timeout=5, what="the document's processes to end")
    except (subprocess.TimeoutExpired, AssertionError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


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


def lab_check_commands(doc):
    """The commands scripts/lab-check runs for a lab handout."""
    loader = importlib.machinery.SourceFileLoader("ampsim_lab_check", LAB_CHECK)
    spec = importlib.util.spec_from_loader("ampsim_lab_check", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod.parse_lab(os.path.join(ROOT, doc))[1]


def run_commands(build, tmp_path, cmds, timeout=DOC_TIMEOUT):
    """Run cmds in order in one bash in a scratch root; kill what is left
    of it at the end. The list of failures (empty when each command exited
    as expected)."""
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
        proc.wait(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        kill_group(proc)        # and the daemons the document started
    failures = []
    for k, c in enumerate(cmds):
        rc_file, out_file = logs / ("rc.%d" % k), logs / ("out.%d" % k)
        output = out_file.read_text(errors="replace") if out_file.exists() else ""
        if not rc_file.exists():
            failures.append("%s: never finished%s: %s\n%s" % (
                c.where(), " (the document's commands took over %d s)" % timeout
                if timed_out else "", c.to_run(), output[-2000:]))
            break
        rc = int(rc_file.read_text())
        if rc != c.exit:
            failures.append("%s: exit %d, the document expects %d: %s\n%s" % (
                c.where(), rc, c.exit, c.to_run(), output[-2000:]))
    return failures


@pytest.mark.parametrize("doc", RUNNABLE)
def test_doc_commands_run(build, tmp_path, doc):
    cmds = [c for c in PARSED[doc][0] if c.not_run is None]
    if lab_key(doc):
        # a lab handout: scripts/lab-check runs its indented `$ ` lines as a
        # student would (its placeholders stand in for the second host) and
        # checks the answer key against what they did
        by_lab_check = lab_check_commands(doc)
        marked = [c for c in PARSED[doc][0] if c.text in by_lab_check
                  and (c.not_run is not None or c.replaced or c.exit)]
        assert not marked, "%s: scripts/lab-check runs a lab's `$ ` lines itself, as written: " \
            "a marker has no effect on them (%s)" % (doc, ", ".join(c.where() for c in marked))
        name = os.path.basename(doc)[:-len(".md")]
        r = subprocess.run([LAB_CHECK, "--build", build.dir, "--lab", name], capture_output=True,
                           text=True, timeout=DOC_TIMEOUT)
        assert r.returncode == 0 and "1 labs" in r.stdout, r.stdout + r.stderr
        # anything else the handout shows runs as in any other document
        cmds = [c for c in cmds if c.text not in by_lab_check]
    failures = run_commands(build, tmp_path, cmds) if cmds else []
    assert not failures, "\n\n".join(failures)


def test_the_runner_checks_exit_statuses_and_ends_daemons(build, tmp_path):
    """The runner itself: one shell for a document's commands, the expected
    exit status checked, and what a command left running killed."""
    Command = doc_commands.Command
    ok = Command("x.md", 1, "X=5; test -d scenarios && test -x build/sim/ampsim")
    bg = Command("x.md", 2, "sleep 600 & echo $! > daemon.pid")      # stands for a daemon
    same_shell = Command("x.md", 3, 'test "$X" = 5 && command -v ampsim | grep -q "^%s"' % build.dir)
    fails = Command("x.md", 4, "false")
    marked = Command("x.md", 5, "exit_two() { return 2; }; exit_two")
    marked.exit = 2
    failures = run_commands(build, tmp_path, [ok, bg, same_shell, fails, marked])
    assert len(failures) == 1 and failures[0].startswith("x.md:4: exit 1, the document expects 0"), \
        failures
    pid = int((tmp_path / "root" / "daemon.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # a command that does not end is cut at the time limit and said so
    (tmp_path / "slow").mkdir()
    failures = run_commands(build, tmp_path / "slow", [Command("y.md", 7, "sleep 600")], timeout=1)
    assert len(failures) == 1 and "y.md:7: never finished" in failures[0], failures


def test_the_finder_reads_every_way_a_command_is_written(tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("""# A document

Inline: `$ ampsim run a.ini` and `not a command`.

```sh
# a comment
scripts/sweep x.ini \\
    --seeds 2
ampsim bench   # a benchmark
```

```console
$ ampsim amp combine A B
root  C
```

```ini
[sim]
seed = 1
```

```
a diagram, no commands
```

<!-- not run "ampsim bench": a benchmark -->
<!-- run with "--seeds 30" as "--seeds 1": fewer seeds -->

```sh
ampsim bench
scripts/sweep y.ini --seeds 30
```

    $ ampsim run b.ini
    $ ampsim key k

<!-- exit 2: a bad file -->

    $ ampsim run bad.ini
""")
    cmds, problems = doc_commands.parse(str(doc))
    assert problems == []
    assert [(c.line, c.text) for c in cmds] == [
        (3, "ampsim run a.ini"), (7, "scripts/sweep x.ini --seeds 2"),
        (9, "ampsim bench   # a benchmark"), (13, "ampsim amp combine A B"),
        (30, "ampsim bench"), (31, "scripts/sweep y.ini --seeds 30"),
        (34, "ampsim run b.ini"), (35, "ampsim key k"), (39, "ampsim run bad.ini")]
    by = {c.line: c for c in cmds}
    assert by[30].not_run == "a benchmark" and by[31].not_run is None
    assert by[31].to_run() == "scripts/sweep y.ini --seeds 1" and by[7].to_run() == by[7].text
    assert by[39].exit == 2 and by[34].exit == 0


def test_the_finder_refuses_markers_it_cannot_apply(tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("""<!-- not run, because -->

```sh
ampsim run a.ini
```

<!-- not run "scripts/": nothing starts so -->

```sh
ampsim run b.ini
```

<!-- run with "--seeds 9" as "--seeds 1": not there -->

```sh
ampsim run c.ini
```

<!-- not run: followed by prose -->

Some text.

<!-- exit 1: at the end -->
""")
    _, problems = doc_commands.parse(str(doc))
    text = "\n".join(problems)
    assert len(problems) == 5, text
    for want in (":1: a marker the suite cannot read", ":7: the marker", "matches no command",
                 ":13: ", "no command of the block contains '--seeds 9'",
                 ":19: the marker", "followed by text", ":23: the marker", "has no block after it"):
        assert want in text, (want, text)
