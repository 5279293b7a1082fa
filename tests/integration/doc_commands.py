"""The shell commands the documentation shows, found the way a reader finds
them, with the markers that say how the suite runs them (tests/README.md,
"Commands in the documentation").

A command is
- a line of a fenced block tagged sh, bash, shell or console (when the block
  has lines starting with `$ `, only those: the others are its output);
- a line starting with `$ ` in a fenced block without a tag, or in an
  indented block (4 spaces);
- an inline span that starts with `$ ` (`$ ampsim run x.ini`);
with the lines a trailing backslash continues. Lines that start with `#`
are comments.

Markers are HTML comments (invisible in the rendered page) on the lines
right before a block (blank lines and other markers may come between):

    <!-- not run: REASON -->                  none of the block's commands
    <!-- not run "PREFIX": REASON -->         the block's commands that start with PREFIX
    <!-- run with "OLD" as "NEW": REASON -->  run with OLD replaced by NEW (a smaller grid)
    <!-- exit N: REASON -->                   the commands must exit N (default 0)
    <!-- exit N "PREFIX": REASON -->          the same for those that start with PREFIX
"""
import glob
import os
import re

from support import ROOT

SHELL_TAGS = {"sh", "bash", "shell", "console", "sh-session", "shell-session"}

MARKER = re.compile(
    r'<!--\s*(?P<kind>not run|run with "(?P<old>[^"]+)" as "(?P<new>[^"]*)"|exit (?P<status>\d+))'
    r'\s*(?:"(?P<prefix>[^"]+)")?\s*:\s*(?P<reason>\S.*?)\s*-->')
LOOKS_LIKE_MARKER = re.compile(r"<!--\s*(not run|run with|exit\b)")
INLINE = re.compile(r"`\$ ([^`]+)`")


class Command:
    def __init__(self, doc, line, text):
        self.doc, self.line, self.text = doc, line, text
        self.not_run = None          # the reason, when it is not run
        self.exit = 0
        self.replaced = []           # (old, new, reason)

    def where(self):
        return "%s:%d" % (self.doc, self.line)

    def to_run(self):
        text = self.text
        for old, new, _ in self.replaced:
            text = text.replace(old, new)
        return text

    def __repr__(self):
        return "%s: %s" % (self.where(), self.text)


def documents():
    """The documents whose commands the suite runs, relative to the root."""
    paths = ["README.md"] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + \
        sorted(glob.glob(os.path.join(ROOT, "docs", "labs", "*.md")))
    return [os.path.relpath(os.path.join(ROOT, p), ROOT) for p in paths]


def _join(lines, start):
    """The command starting at lines[start] and its backslash continuations:
    (text, index after it)."""
    parts = []
    i = start
    while i < len(lines):
        line = lines[i].rstrip()
        if line.endswith("\\"):
            parts.append(line[:-1].strip())
            i += 1
            continue
        parts.append(line.strip())
        i += 1
        break
    return " ".join(p for p in parts if p), i


def _block_commands(doc, lines, first_line, console):
    """Commands of a block whose lines (without indentation or fence) are
    lines; first_line is the number of lines[0] in the file."""
    out = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if console:
            if not line.startswith("$ "):
                i += 1
                continue
            lines[i] = line[2:]
        elif not line or line.startswith("#"):
            i += 1
            continue
        text, j = _join(lines, i)
        out.append(Command(doc, first_line + i, text))
        i = j
    return out


class DocError(Exception):
    pass


def parse(doc):
    """(commands, problems) of one document: every command with its
    markers applied; problems lists markers that are malformed or mark
    nothing."""
    with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
        lines = f.read().split("\n")
    commands, problems = [], []
    pending = []                     # markers waiting for their block: (line, match)
    i = 0

    def attach(block):
        for n, m in pending:
            prefix = m.group("prefix")
            hit = [c for c in block if prefix is None or c.text.startswith(prefix)]
            if not hit:
                problems.append("%s:%d: the marker %r matches no command of the block "
                                "after it" % (doc, n, m.group(0)))
                continue
            kind = m.group("kind")
            for c in hit:
                if kind == "not run":
                    c.not_run = m.group("reason")
                elif kind.startswith("exit"):
                    c.exit = int(m.group("status"))
                elif m.group("old") in c.text:
                    c.replaced.append((m.group("old"), m.group("new"), m.group("reason")))
            if kind.startswith("run with") and not any(m.group("old") in c.text for c in hit):
                problems.append("%s:%d: %r: no command of the block contains %r" % (
                    doc, n, m.group(0), m.group("old")))
        pending.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if LOOKS_LIKE_MARKER.search(line):
            m = MARKER.search(line)
            if not m:
                problems.append("%s:%d: a marker the suite cannot read (see tests/README.md): "
                                "%s" % (doc, i + 1, stripped))
            else:
                pending.append((i + 1, m))
            i += 1
            continue
        if stripped.startswith("```"):
            tag = stripped[3:].strip().split()[0].lower() if stripped[3:].strip() else ""
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            body = lines[i + 1:j]
            console = any(b.strip().startswith("$ ") for b in body)
            if tag in SHELL_TAGS or (tag == "" and console):
                block = _block_commands(doc, list(body), i + 2, console)
                attach(block)
                commands += block
            i = j + 1
            continue
        if line.startswith("    ") and stripped.startswith("$ "):
            # an indented block: its lines up to the first that is not indented
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                if not lines[j].strip() and (j + 1 >= len(lines) or not lines[j + 1].startswith("    ")):
                    break
                j += 1
            block = _block_commands(doc, list(lines[i:j]), i + 1, True)
            attach(block)
            commands += block
            i = j
            continue
        spans = [s.strip() for s in INLINE.findall(line) if s.strip()]
        if spans:
            block = [Command(doc, i + 1, s) for s in spans]
            attach(block)
            commands += block
        elif stripped and pending and not stripped.startswith("<!--"):
            for n, m in pending:
                problems.append("%s:%d: the marker %r is followed by text, not by a block of "
                                "commands" % (doc, n, m.group(0)))
            pending.clear()
        i += 1
    for n, m in pending:
        problems.append("%s:%d: the marker %r has no block after it" % (doc, n, m.group(0)))
    return commands, problems
