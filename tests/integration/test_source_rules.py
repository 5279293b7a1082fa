"""Rules of the source tree that the compiler cannot check (docs/architecture.md):
money is only added, subtracted, multiplied or divided inside proto/amount.c,
no file outside tests is longer than 700 lines, pure layers (the world
among them) include no runtime library, docs/architecture.md names every
source file, there is no include circle, and no doc or comment cites a
file outside the project."""
import os
import re

import evtable
from support import ROOT

SOURCE_DIRS = ("proto", "sim", "sender", "receiver")


def sources(exts=(".c", ".h")):
    for top in SOURCE_DIRS:
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith(exts):
                    yield os.path.join(dirpath, f)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


# `x.millisatoshis + y`, `a -= b.millisatoshis`, `p->amount.millisatoshis / 2`:
# arithmetic with a millisatoshi field on either side of the operator.
OPS = r"(?:\+|-(?!>)|\*|/|%|<<|>>)=?"
RAW_MONEY = re.compile(
    r"millisatoshis\s*" + OPS + r"(?!=)"
    r"|" + OPS + r"\s*(?:\(\s*uint64_t\s*\)\s*)?[A-Za-z_][\w.>\-\[\]]*(?:\.|->)millisatoshis\b"
    r"|\+\+\s*[\w.>\-]*millisatoshis|millisatoshis\s*(?:\+\+|--)")


def raw_money_lines(path):
    with open(path, encoding="utf-8") as f:
        text = strip_comments(f.read())
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
        if RAW_MONEY.search(code):
            out.append("%s:%d: %s" % (os.path.relpath(path, ROOT), n, line.strip()))
    return out


def test_money_arithmetic_only_in_amount_c():
    amount_c = os.path.join(ROOT, "proto", "amount.c")
    bad = []
    for path in sources():
        if path != amount_c:
            bad += raw_money_lines(path)
    assert not bad, "raw arithmetic on millisatoshis outside proto/amount.c:\n" + "\n".join(bad)


def test_the_money_rule_sees_raw_arithmetic(tmp_path):
    # the check itself: each of these must be caught, comparisons must not
    p = tmp_path / "x.c"
    p.write_text("a = b.millisatoshis + c;\n"
                 "a.millisatoshis -= 5;\n"
                 "x = y / p->amount.millisatoshis;\n"
                 "t.millisatoshis++;\n"
                 "if (a.millisatoshis > b.millisatoshis) f(a.millisatoshis);\n"
                 "/* a.millisatoshis + 1 in a comment */\n")
    found = raw_money_lines(str(p))
    assert [l.split(":")[1] for l in found] == ["1", "2", "3", "4"]


def test_architecture_names_every_source_file():
    # docs/architecture.md is the map: a file it does not name is one a
    # newcomer cannot find the job of
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as f:
        doc = f.read()
    missing = [os.path.relpath(p, ROOT) for p in sources((".c",))
               if os.path.basename(p) not in doc]
    assert not missing, "docs/architecture.md does not name:\n" + "\n".join(missing)


# Functions over 100 lines, outside tests, as they were when the rule came
# (ten of them now)
# (STYLE: a daemon's main is about forty lines). Each may only shrink; a
# new one may not appear. Take a function off the list once it is short.
LONG_FUNCTIONS = {
}


def function_lengths(path):
    """(name, lines of its body) of each function defined in path: a body
    is what lies between a '{' and a '}' alone at the start of a line."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out, start, name = [], None, None
    for i, line in enumerate(lines):
        if line == "{" and i > 0:
            j = i - 1
            while j > 0 and not re.match(r"[a-z]", lines[j]):
                j -= 1
            m = re.search(r"(\w+)\(", lines[j])
            start, name = i, m.group(1) if m else lines[j]
        elif line == "}" and start is not None:
            out.append((name, i - start - 1))
            start = None
    return out


def test_no_function_over_100_lines():
    bad = []
    for path in sources((".c",)):
        rel = os.path.relpath(path, ROOT)
        for name, n in function_lengths(path):
            allowed = LONG_FUNCTIONS.get((rel, name), 100)
            if n > allowed:
                bad.append("%s: %s() is %d lines (at most %d)" % (rel, name, n, allowed))
    assert not bad, "functions too long:\n" + "\n".join(bad)


def test_the_function_rule_sees_a_long_function(tmp_path):
    path = tmp_path / "long.c"
    path.write_text("int f(void)\n{\n" + "\tx++;\n" * 101 + "}\n")
    assert function_lengths(str(path)) == [("f", 101)]


def test_no_file_over_700_lines():
    long = []
    for path in sources((".c", ".h", ".proto")):
        with open(path, encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > 700:
            long.append("%s: %d lines" % (os.path.relpath(path, ROOT), n))
    assert not long, "files over 700 lines:\n" + "\n".join(long)


# A file the project does not have: the contract and style notes it was
# written from, the seed's text, another project's source files by path.
FOREIGN_FILE = re.compile(r"DESIGN\.md|STYLE\.md|\.\./shared|amp-seed|"
                          r"\b[a-z_]+/[a-z_]+\.go\b|\bcommon/[a-z_]+\.[ch]\b")


def project_texts():
    """Every tracked text a reader of the project meets: sources, tests,
    scripts, docs (not the fuzz corpora, which are data)."""
    import subprocess
    files = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True,
                           check=True).stdout.split()
    for f in files:
        if f.startswith("tests/fuzz/corpus/") or f.endswith((".png", ".pcap", ".pcapng")):
            continue
        path = os.path.join(ROOT, f)
        if os.path.isfile(path):
            yield f, path


def cited_foreign_files(texts):
    found = []
    for name, path in texts:
        try:
            with open(path, encoding="utf-8") as f:
                for i, line in enumerate(f, 1):
                    if FOREIGN_FILE.search(line):
                        found.append("%s:%d: %s" % (name, i, line.strip()))
        except UnicodeDecodeError:
            continue
    return found


def test_docs_and_comments_cite_no_file_outside_the_project():
    found = [x for x in cited_foreign_files(project_texts())
             if not x.startswith("tests/integration/test_source_rules.py:")]
    assert not found, "files outside the project cited:\n" + "\n".join(found)


def test_the_citation_rule_sees_a_citation(tmp_path):
    t = tmp_path / "x.c"
    t.write_text("/* as DESIGN.md says */\n/* see amp/child.go */\nint x;\n")
    assert len(cited_foreign_files([("x.c", str(t))])) == 2


PURE_DIRS = ("proto", os.path.join("sim", "core"), os.path.join("sender", "engine"),
             os.path.join("receiver", "engine"), os.path.join("sim", "world"))
RUNTIME_HEADERS = re.compile(r'#\s*include\s*[<"](event2/|sqlite3|jansson|ini\.h|sys/socket|'
                             r'netinet/|arpa/|poll\.h|peer\.h|rpc\.h|events\.h|store\.h|'
                             r'chain\.h|daemon\.h)')


def test_pure_layers_include_no_runtime_header():
    bad = []
    for path in sources():
        rel = os.path.relpath(path, ROOT)
        if not rel.startswith(PURE_DIRS):
            continue
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if RUNTIME_HEADERS.search(line):
                    bad.append("%s:%d: %s" % (rel, n, line.strip()))
    assert not bad, "pure files including runtime headers:\n" + "\n".join(bad)


ENGINE_DIRS = (os.path.join("sender", "engine"), os.path.join("receiver", "engine"))


def test_engines_speak_their_vocabulary_not_the_scenario_file():
    """The engines take modes, outcomes, behaviours and a channel's
    parameters from sim/core/vocab.h; the scenario-file model (scenario.h)
    is for what reads files and runs them."""
    bad = []
    for path in sources():
        rel = os.path.relpath(path, ROOT)
        if not rel.startswith(ENGINE_DIRS):
            continue
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if re.search(r'#\s*include\s*"scenario\.h"', line):
                    bad.append("%s:%d: %s" % (rel, n, line.strip()))
    assert not bad, "engine files including the scenario model:\n" + "\n".join(bad)


def test_no_circle_between_files(build):
    """No two source files depend on each other, directly or around a loop.
    Read from the objects the build made: file A depends on file B when A
    uses a symbol that B defines (nm), which sees through shared headers."""
    import subprocess
    objs = []
    for dirpath, _dirs, files in os.walk(build.dir):
        if os.sep + "tests" + os.sep in dirpath + os.sep:
            continue
        objs += [os.path.join(dirpath, f) for f in files if f.endswith(".c.o")]
    assert objs, "no object files under " + build.dir
    # a symbol resolves inside the object's own target (program or
    # library) first, then in the static libraries
    defined, used = {}, {}
    for o in objs:
        target = os.path.basename(os.path.dirname(o))   # e.g. alice.p, libampcore.a.p
        name = target + ":" + re.sub(r"^.*\.p/", "", o)[:-2]
        out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True,
                             text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3:
                defined.setdefault(parts[2], []).append(name)
        out = subprocess.run(["nm", "-u", o], capture_output=True, text=True,
                             check=True).stdout
        used[name] = {l.split()[-1] for l in out.splitlines() if l.strip()}
    edges = {}
    for name, syms in used.items():
        target = name.split(":")[0]
        for sym in syms:
            cands = defined.get(sym, [])
            own = [d for d in cands if d.split(":")[0] == target]
            libs = [d for d in cands if d.split(":")[0].endswith(".a.p")]
            for d in own or libs:
                if d != name and "pb-c" not in d:
                    edges.setdefault(name, set()).add(d)
    seen, stack, circles = set(), [], []

    def visit(u):
        if u in stack:
            circles.append(stack[stack.index(u):] + [u])
            return
        if u in seen:
            return
        seen.add(u)
        stack.append(u)
        for v in sorted(edges.get(u, ())):
            visit(v)
        stack.pop()

    for u in sorted(edges):
        visit(u)
    assert not circles, "files that depend on each other:\n" + "\n".join(
        " -> ".join(c) for c in circles)


# What a pure library must not call: output (the engines report through
# their actions, the world through its sink), the environment, clocks, and
# randomness other than what is injected (secrets and hash keys alike).
IMPURE_SYMBOLS = {
    "printf", "fprintf", "vfprintf", "dprintf", "puts", "fputs", "fputc", "putc",
    "putchar", "fwrite", "perror", "stderr", "stdout", "log_warn", "log_info",
    "getenv", "secure_getenv", "time", "clock_gettime", "gettimeofday", "clock",
    "rand", "random", "srand", "srandom", "randombytes_buf", "randombytes_random",
    "randombytes_uniform", "system_secrets_bytes", "fopen", "open", "read",
    "write", "socket", "connect",
}
PURE_LIBRARIES = ["sender/libpayengine.a", "receiver/libbobengine.a", "sim/libampworld.a"]


def impure_calls(lib):
    """The symbols of IMPURE_SYMBOLS that lib's objects use (nm -u)."""
    import subprocess
    out = subprocess.run(["nm", "-u", lib], capture_output=True, text=True, check=True).stdout
    return sorted({l.split()[-1] for l in out.splitlines()
                   if l.strip() and not l.endswith(":")} & IMPURE_SYMBOLS)


def test_engines_and_world_call_nothing_impure(build):
    """The engines and the world write nothing to stderr, read no clock,
    environment or file, and draw randomness only from what is injected
    (docs/architecture.md): checked on the built libraries' undefined
    symbols. fatal() stays: it is for the code's own bugs and aborts."""
    bad = []
    for rel in PURE_LIBRARIES:
        lib = os.path.join(build.dir, rel)
        assert os.path.exists(lib), lib
        bad += ["%s calls %s" % (rel, s) for s in impure_calls(lib)]
    assert not bad, "\n".join(bad)


def test_the_purity_rule_sees_a_call(tmp_path):
    import subprocess
    src = tmp_path / "x.c"
    src.write_text("#include <stdio.h>\n#include <stdlib.h>\n"
                   "int f(int n) { return fprintf(stderr, \"%d\\n\", n) + (getenv(\"X\") != 0); }\n")
    obj = tmp_path / "x.o"
    subprocess.run(["cc", "-c", str(src), "-o", str(obj)], check=True)
    lib = tmp_path / "libx.a"
    subprocess.run(["ar", "rcs", str(lib), str(obj)], check=True)
    assert impure_calls(str(lib)) == ["fprintf", "getenv", "stderr"]


# ---- the event table (sim/core/evtable.c, tests/integration/evtable.py) ----

def _texts():
    out = {}
    for path in sources():
        with open(path, encoding="utf-8") as f:
            out[os.path.relpath(path, ROOT)] = evtable.strip_comments(f.read())
    return out


def test_every_event_the_sources_emit_is_in_the_table():
    """Every name a record is given (act_log, evrec_init) is an event of the
    table, of alice for alice's code and of bob for bob's; and the rule can
    tell every such name."""
    found, unknown = evtable.names_in_sources(_texts())
    assert not unknown, "event names this rule cannot tell:\n" + "\n".join(
        "%s:%s" % u for u in unknown)
    bad = []
    for path, name in sorted(found):
        node = "alice" if path.startswith("sender") else "bob" if path.startswith("receiver") \
            else None
        if not any(e["name"] == name and (node is None or node in e["nodes"])
                   for e in evtable.entries()):
            bad.append("%s: %s%s" % (path, name, " (of %s)" % node if node else ""))
    assert not bad, "events not in sim/core/evtable.c:\n" + "\n".join(bad)


def test_every_event_of_the_table_is_emitted():
    found, _unknown = evtable.names_in_sources(_texts())
    emitted = {name for _path, name in found}
    unused = sorted({e["name"] for e in evtable.entries()} - emitted)
    assert not unused, "table entries no source emits: " + ", ".join(unused)


def test_what_reads_events_names_events_of_the_table():
    """The timeline (and its script) and the summary compare events with
    names of the table, of the node they say."""
    bad, seen = [], 0
    for rel in sorted(os.listdir(os.path.join(ROOT, "sim", "cmd"))):
        if not (rel.endswith(".c") or rel.endswith(".js")):
            continue
        path = os.path.join(ROOT, "sim", "cmd", rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        text = evtable.strip_comments(text) if rel.endswith(".c") else text
        for name, node in evtable.consumer_names(rel, text):
            seen += 1
            if not any(e["name"] == name and (node is None or node in e["nodes"])
                       for e in evtable.entries()):
                bad.append("sim/cmd/%s: %s%s" % (rel, name, " of " + node if node else ""))
    assert seen > 50, seen
    assert not bad, "names of no event in the table:\n" + "\n".join(bad)


def test_the_event_rule_tells_the_names(tmp_path):
    # the rule itself: literals, expressions, a local, a helper's parameter,
    # a macro; an argument it cannot read is reported, not skipped
    text = evtable.strip_comments(
        '#define NAMED "from_macro"\n'
        "static void helper(struct actions *out, const char *event)\n{\n"
        "\tact_log(out, event);\n}\n\n"
        "void f(struct actions *out, bool x, const char *given)\n{\n"
        '\tact_log(out, "literal");\n'
        '\tevrec_str(act_log(out, x ? "yes" : "no"), "k", "v");\n'
        '\tconst char *name = x ? "local_a" : "local_b";\n'
        "\tact_log(out, name);\n"
        '\thelper(out, "via_helper");\n'
        "\tevrec_init(&r, NAMED);\n"
        "\tact_log(out, given);\n}\n")
    found, unknown = evtable.names_in_sources({"x.c": text})
    assert {n for _p, n in found} == {"literal", "yes", "no", "local_a", "local_b",
                                      "via_helper", "from_macro"}
    assert len(unknown) == 1 and "given" in unknown[0][1], unknown


def test_the_docs_list_the_events_of_the_table():
    """docs/protocol.md (section 12) lists every event of the table under
    the daemons whose logs it goes to, names each field of it, and nothing
    else; bob's diagnostics are named outside the tables."""
    with open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8") as f:
        doc, section12 = evtable.documented(f.read())
    want, bad = {}, []
    for e in evtable.entries():
        if e["stream"] == "EVS_BOB_DEBUG":
            if "`%s`" % e["name"] not in section12:
                bad.append("%s: not named in section 12" % e["name"])
            continue
        nodes, fields = want.get(e["name"], (set(), set()))
        nodes |= set(e["nodes"])
        fields |= {k for f in e["fields"] for k in f[:2] if k}
        want[e["name"]] = (nodes, fields)
    sections = {frozenset(("alice", "bob")): "Both daemons", frozenset(("alice",)): "Alice only",
                frozenset(("bob",)): "Bob only"}
    for name, (nodes, fields) in sorted(want.items()):
        if name not in doc:
            bad.append("%s: not in the docs' tables" % name)
            continue
        section, text = doc[name]
        if section != sections[frozenset(nodes)]:
            bad.append("%s: under %s, but the table has it %s" % (name, section,
                                                                  sections[frozenset(nodes)]))
        named = set(re.findall(r"`(\w+)`", text))
        bad += ["%s: field %s not in the docs" % (name, k) for k in sorted(fields - named)]
    bad += ["%s: in the docs, not in the table" % n for n in sorted(set(doc) - set(want))]
    assert not bad, "docs/protocol.md and sim/core/evtable.c differ:\n" + "\n".join(bad)
