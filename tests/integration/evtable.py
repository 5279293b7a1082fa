"""The event table (sim/core/evtable.c) as the tests read it, and the check
of an event-log line against it: the four header fields first (t_ms,
height, node, event), then the fields of the event's entry for that node,
in the table's order (an optional one may be missing), each of its type.

support.py checks every event log a test reads (read_events), every
--events file an `ampsim run` writes, and both daemons' logs of every
Daemons fixture; test_source_rules.py checks that the sources and
docs/protocol.md name the events the table has."""
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE_C = os.path.join(ROOT, "sim", "core", "evtable.c")

STREAMS = {"EVS_ALICE": ("alice",), "EVS_BOB": ("bob",), "EVS_BOTH": ("alice", "bob"),
           "EVS_BOB_DEBUG": ("bob",)}
HEADER = ("t_ms", "height", "node", "event")
HEX = re.compile(r"(?:[0-9a-f]{2})*\Z")


def balanced(text, i):
    """The text between the '(' at text[i] and its ')', and the index after
    it; string literals may hold parentheses."""
    assert text[i] == "("
    depth, j, n = 0, i, len(text)
    while j < n:
        c = text[j]
        if c == '"':
            j += 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[i + 1:j], j + 1
        j += 1
    raise ValueError("unbalanced parentheses")


def split_args(args):
    """A call's arguments, split at the commas outside parentheses and strings."""
    out, depth, cur, i = [], 0, "", 0
    while i < len(args):
        c = args[i]
        if c == '"':
            j = i + 1
            while args[j] != '"':
                j += 2 if args[j] == "\\" else 1
            cur += args[i:j + 1]
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out


def calls(text, fn):
    """(index, [arguments]) of every call fn(...) in text."""
    for m in re.finditer(r"\b%s\s*\(" % re.escape(fn), text):
        args, _end = balanced(text, m.end() - 1)
        yield m.start(), split_args(args)


FIELD = re.compile(r'(F|OPT|ALT)\(\s*"(\w+)"\s*,\s*(?:"(\w+)"\s*,\s*)?(\w+)\s*\)')
_entries = None


def entries():
    """[{name, stream, nodes, fields: [(key, alt, type, optional)]}], in the
    table's order."""
    global _entries
    if _entries is None:
        with open(TABLE_C, encoding="utf-8") as f:
            text = f.read()
        body = text[text.index("table[] = {"):]
        out = []
        for _at, args in calls(body, "EV"):
            name, stream = json.loads(args[0]), args[1]
            fields = []
            for a in args[2:]:
                m = FIELD.fullmatch(a)
                assert m, "%s: a field evtable.py cannot read: %s" % (name, a)
                fields.append((m.group(2), m.group(3), m.group(4).lower(), m.group(1) == "OPT"))
            out.append({"name": name, "stream": stream, "nodes": STREAMS[stream],
                        "fields": fields})
        _entries = out
    return _entries


def find(name, node):
    for e in entries():
        if e["name"] == name and node in e["nodes"]:
            return e
    return None


def _type_fits(v, t):
    if t == "str":
        return isinstance(v, str)
    if t == "hex":
        return isinstance(v, str) and HEX.match(v) is not None
    if t == "u64":
        # json_set_u64 writes a real above 2^63 - 1
        return (isinstance(v, int) and not isinstance(v, bool) and v >= 0) or \
            (isinstance(v, float) and v >= 2.0 ** 63)
    if t == "i64":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "bool":
        return isinstance(v, bool)
    if t == "real":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    raise ValueError(t)


def problem(ev):
    """Why the parsed event ev (a dict in the line's order) does not match
    the table, or None."""
    keys = list(ev)
    if tuple(keys[:4]) != HEADER:
        return "the line does not start with %s" % ", ".join(HEADER)
    if not isinstance(ev["t_ms"], float) or not isinstance(ev["height"], int):
        return "t_ms or height of the wrong type"
    e = find(ev["event"], ev["node"])
    if e is None:
        return "%s: no such event of %s in the table" % (ev["event"], ev["node"])
    if e["stream"] == "EVS_BOB_DEBUG":
        return "%s: bob's diagnostics, not an event-log line" % ev["event"]
    fields, k = e["fields"], 0
    for key in keys[4:]:
        while k < len(fields) and fields[k][3] and key not in fields[k][:2]:
            k += 1
        if k == len(fields) or key not in fields[k][:2]:
            return "%s: field %s is not where the table has %s" % (
                ev["event"], key, fields[k][0] if k < len(fields) else "no more fields")
        if not _type_fits(ev[key], fields[k][2]):
            return "%s: field %s is not %s" % (ev["event"], key, fields[k][2])
        k += 1
    missing = [f[0] for f in fields[k:] if not f[3]]
    if missing:
        return "%s: field %s is missing" % (ev["event"], missing[0])
    return None


def check_lines(lines, what):
    """Every line of an event log that parses (a killed daemon may leave a
    torn one) matches the table; AssertionError naming the first that does
    not."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        why = problem(ev) if isinstance(ev, dict) else "not an object"
        assert why is None, "%s:%d: not as the event table has it: %s\n  %s" % (
            what, n, why, line.rstrip())


def check_file(path):
    """check_lines over the file at path, if there is one."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    check_lines(lines, path)


# ---- event names in the sources (test_source_rules.py) ---------------------

PRODUCERS = ("act_log", "evrec_init")   # (list or record, NAME): a record named NAME
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def functions(text):
    """(name, [parameter names], body start, body end) of every function
    defined in text (the tree's style: '{' and '}' alone at the start of a
    line), offsets into text."""
    out, offset, starts = [], 0, []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        starts.append(offset)
        offset += len(line) + 1
    opened = None
    for i, line in enumerate(lines):
        if line == "{" and i > 0:
            j = i - 1
            while j > 0 and not re.match(r"[A-Za-z_]", lines[j]):
                j -= 1
            opened = (j, i)
        elif line == "}" and opened:
            j, b = opened
            header = "\n".join(lines[j:b])
            for m in re.finditer(r"(\w+)\s*\(", header):
                params, _ = balanced(header, m.end() - 1)
                names = [re.findall(r"\w+", re.sub(r"\[[^]]*\]", "", p))[-1:]
                         for p in split_args(params)]
                out.append((m.group(1), [n[0] if n else "" for n in names], starts[b],
                            starts[i]))
            opened = None
    return out


def _literals(arg):
    return LITERAL.findall(arg)


def _is_declaration(args):
    return any(re.search(r"\bconst\s+char\b|\bchar\s*\*", a) for a in args)


def names_in_sources(texts):
    """{(path, name)} for every event name given to a record in texts
    ({path: comment-free C}), and [(path, why)] for each name argument it
    cannot tell: a literal, literals in an expression, a macro, a local
    variable assigned literals, or a parameter given literals by every
    call of its function."""
    macros = {}
    for text in texts.values():
        for m in re.finditer(r'#\s*define\s+(\w+)\s+"(\w+)"', text):
            macros[m.group(1)] = m.group(2)
    found, unknown = set(), []
    for path, text in texts.items():
        funcs = None
        for fn in PRODUCERS:
            for at, args in calls(text, fn):
                if len(args) != 2 or _is_declaration(args):
                    continue
                arg = args[1]
                lits = _literals(arg)
                if not lits and arg in macros:
                    lits = [macros[arg]]
                if not lits and re.fullmatch(r"\w+", arg):
                    if funcs is None:
                        funcs = functions(text)
                    lits = _resolve(arg, at, text, funcs, texts)
                if not lits:
                    line = text.count("\n", 0, at) + 1
                    unknown.append((path, "%d: %s(..., %s): cannot tell the event name" %
                                    (line, fn, arg)))
                for name in lits:
                    if name is not None:
                        found.add((path, name))
    return found, unknown


def _resolve(ident, at, text, funcs, texts):
    """The literals an identifier naming an event holds at offset at."""
    for name, params, start, end in funcs:
        if not start <= at < end:
            continue
        if name in PRODUCERS:
            return [None]      # act_log handing its name on: its callers are read
        body = text[start:end]
        lits = []
        for m in re.finditer(r"\b%s\s*(?<![=!<>])=(?!=)([^;]*);" % re.escape(ident), body):
            lits += _literals(m.group(1))
        if lits:
            return lits
        if ident in params:
            k = params.index(ident)
            for other in texts.values():
                for _at, args in calls(other, name):
                    if _is_declaration(args) or k >= len(args):
                        continue
                    got = _literals(args[k])
                    if not got:
                        return []      # a call this cannot read: say so
                    lits += got
            return lits
    return []


# What reads event logs in sim/cmd: the timeline, its script, the summary.
CONSUMERS = ("timeline_ledger.c", "timeline_model.c", "timeline_agg.c", "timeline.c",
             "timeline.js", "run_metrics.c", "run_report.c", "run_inproc.c")


def consumer_names(path, text):
    """(name, node or None) for each event name the timeline, the summary or
    the timeline's script compares an event with."""
    out = []
    if os.path.basename(path) not in CONSUMERS:
        return out
    if path.endswith(".js"):
        for m in re.finditer(r"\.event\s*[!=]==\s*'(\w+)'", text):
            out.append((m.group(1), None))
        for var in ("AGG_NOTES", "LINK_EVENTS"):
            m = re.search(r"\bvar %s = \{(.*?)\};" % var, text, re.S)
            if m:
                inner = re.sub(r"\[[^]]*\]", "", m.group(1))
                out += [(k, None) for k in re.findall(r"(\w+)\s*:", inner)]
        return out
    for _at, args in calls(text, "tl_is"):
        node = _literals(args[1])
        out += [(n, node[0] if node else None) for n in _literals(args[2])]
    for m in re.finditer(r"\bstrcmp\(\s*(?:e|name)\s*,\s*\"(\w+)\"\s*\)", text):
        out.append((m.group(1), None))
    m = re.search(r"\bsummary_events\[\]\s*=\s*\{(.*?)\};", text, re.S)
    if m:
        out += [(n, None) for n in _literals(m.group(1))]
    m = re.search(r"const char \*event, \*kind;\s*\}\s*table\[\]\s*=\s*\{(.*?)\};", text, re.S)
    if m:
        out += [(p, None) for p in re.findall(r'\{\s*"(\w+)"\s*,', m.group(1))]
    return out


def documented(doc):
    """{name: (section, fields text)} of docs/protocol.md's event tables
    (section 12), and the section's text."""
    sec = doc[doc.index("## 12. The event log"):]
    sec = sec[:sec.index("\n## ", 1)]
    out, section = {}, None
    for line in sec.splitlines():
        m = re.match(r"\*\*(Both daemons|Alice only|Bob only)\*\*", line)
        if m:
            section = m.group(1)
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if section and line.startswith("| `") and len(cells) == 3:
            for name in re.findall(r"`(\w+)`", cells[0]):
                out[name] = (section, cells[1])
    return out, sec
