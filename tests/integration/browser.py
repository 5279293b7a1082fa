"""Headless Chromium for the tests of the HTML timeline: Debian's chromium
(scripts/install-deps installs it), run once per page with a profile of its
own, its process group killed if it outlives its timeout; the page's
self-check read from the dumped DOM; a screenshot's colours counted.
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import zlib


def chromium():
    exe = shutil.which("chromium")
    assert exe, "chromium is not installed (scripts/install-deps installs it)"
    return exe


def browse(tmp_path, args, timeout=120):
    """Run headless chromium once (a profile of its own under tmp_path);
    its whole process group is killed if it outlives the timeout."""
    argv = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=" + str(tmp_path / "chromium-profile"),
            "--virtual-time-budget=10000"] + args
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return out, err


# what a laptop shows; the layout checks also use a projector's 1024x768 and
# a large screen
DEFAULT_SIZE = (1280, 800)
SIZES = ((1024, 768), (1280, 800), (1920, 1080))


def render(tmp_path, html, query="", size=DEFAULT_SIZE):
    """The rendered DOM and the page's self-check, in a window of size
    (width, height): the page lays the diagram out for it."""
    dom, err = browse(tmp_path, ["--window-size=%d,%d" % size, "--dump-dom",
                                 "file://" + str(html) + query])
    m = re.search(r'<script type="application/json" id="selfcheck">(.*?)</script>', dom, re.S)
    assert m, "no self-check in the rendered page; chromium said:\n" + err[-2000:]
    return dom, json.loads(m.group(1))


def png_colours(path):
    """The number of distinct pixel colours of an 8-bit RGB(A) PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, colours = zlib.decompress(idat), w * bpp, bytearray(w * bpp), set()
    for y in range(h):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 4 == 0:
            for x in range(0, stride, bpp * 2):
                colours.add(bytes(line[x:x + 3]))
        prev = line
    return len(colours)


def screenshot(tmp_path, html):
    png = tmp_path / "shot.png"
    browse(tmp_path, ["--screenshot=" + str(png), "--window-size=1400,900", "file://" + str(html)])
    assert png.exists() and png.stat().st_size > 0, "no screenshot"
    assert png_colours(png) > 8, "the screenshot is blank"


def diagram(dom):
    """The drawn diagram alone, out of a rendered page (whose script and
    model also hold the words the diagram uses)."""
    start = dom.index('<div id="diagram">')
    return dom[start:dom.index('<aside id="state">', start)]
