"""What a run writes besides its summary: the event log and the timeline."""
import json
import os

from browser import diagram, render
from support import ROOT, run


def test_events_and_timeline_are_written(build, tmp_path):
    ev = os.path.join(tmp_path, "ev.jsonl")
    tl = os.path.join(tmp_path, "t.html")
    r = run([build.exe("ampsim"), "run", os.path.join(ROOT, "scenarios", "03-amp.ini"), "--events", ev,
             "--timeline", tl])
    assert r.returncode == 0, r.stderr
    with open(ev) as f:
        events = [json.loads(l) for l in f]
    names = {e["event"] for e in events}
    for want in ("channel_open", "htlc_offered", "htlc_received", "set_complete", "htlc_fulfilled",
                 "payment_outcome"):
        assert want in names, want
    ts = [e["t_ms"] for e in events]
    assert ts == sorted(ts)
    assert all({"t_ms", "height", "node", "event"} <= set(e) for e in events)
    with open(tl) as f:
        html = f.read()
    assert html.startswith("<!doctype html>") and "set_complete" in html
    # the sequence diagram, as the browser draws it: two adds to bob and two
    # fulfills back, as arrows
    dom, selfcheck = render(tmp_path, tl)
    dom = diagram(dom)
    assert "<svg" in dom and dom.count('marker-end="url(#head)"') == 4, dom.count("marker-end")
    assert "add c1 #0 1btc" in dom and "fulfill c2 #0" in dom
    assert selfcheck["arrows"] == 4 and selfcheck["overlaps"] == 0 and selfcheck["errors"] == []
