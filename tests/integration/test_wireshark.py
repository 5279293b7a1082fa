"""The wire in Wireshark: a run's --pcap capture decoded by tshark through
scripts/wireshark/ampsim.lua and Wireshark's own protobuf dissector, under
Wireshark's standard field names."""
import json
import os
import shutil

from support import ROOT, run

TSHARK = os.path.join(ROOT, "scripts", "wireshark", "ampsim-tshark")


def capture(build, tmp_path, scenario):
    pcap, ev = str(tmp_path / "run.pcapng"), str(tmp_path / "run.events")
    r = run([build.exe("ampsim"), "run", os.path.join(ROOT, "scenarios", scenario),
             "--pcap", pcap, "--events", ev])
    assert r.returncode == 0, r.stderr
    with open(ev) as f:
        events = [json.loads(l) for l in f]
    return pcap, events


def fields(pcap, display_filter, *names):
    assert shutil.which("tshark"), "tshark is not installed (scripts/install-deps installs it)"
    args = [TSHARK, "-r", pcap, "-Y", display_filter, "-T", "fields"]
    for n in names:
        args += ["-e", n]
    r = run(args)
    assert r.returncode == 0, r.stderr
    return [l.split("\t") for l in r.stdout.splitlines() if l.strip()]


ADD = "pbf.ampsim.UpdateAddHtlc."


def test_amp_shards_carry_distinct_hashes(build, tmp_path):
    pcap, events = capture(build, tmp_path, "03-amp.ini")
    adds = fields(pcap, "pbm.ampsim.UpdateAddHtlc", "ampsim.channel", "ampsim.direction",
                  ADD + "payment_hash", ADD + "amount_msat", "pbf.ampsim.AmpRecord.set_id",
                  "pbf.ampsim.AmpRecord.child_index")
    offered = [e for e in events if e["node"] == "alice" and e["event"] == "htlc_offered"]
    # every add the event log says alice sent is in the capture, on its channel
    assert len(adds) == len(offered) == 2, adds
    assert sorted(a[0] for a in adds) == sorted(e["channel"] for e in offered)
    assert all(a[1] == "0" for a in adds)                 # alice -> bob
    assert sorted(a[2] for a in adds) == sorted(e["hash"] for e in offered)
    # AMP: one set id, a hash per shard
    assert len({a[2] for a in adds}) == 2
    assert len({a[4] for a in adds}) == 1
    fulfills = fields(pcap, "pbm.ampsim.UpdateFulfillHtlc", "ampsim.direction",
                      "pbf.ampsim.UpdateFulfillHtlc.payment_preimage")
    assert len(fulfills) == 2 and all(f[0] == "1" for f in fulfills)  # bob -> alice
    assert len({f[1] for f in fulfills}) == 2


def test_mpp_parts_share_one_hash(build, tmp_path):
    pcap, events = capture(build, tmp_path, "06-mpp.ini")
    adds = fields(pcap, "pbm.ampsim.UpdateAddHtlc", "ampsim.channel", ADD + "payment_hash",
                  "pbf.ampsim.MppRecord.total_msat")
    offered = [e for e in events if e["node"] == "alice" and e["event"] == "htlc_offered"]
    assert len(adds) == len(offered) == 3
    assert len({a[1] for a in adds}) == 1
    assert {a[1] for a in adds} == {e["hash"] for e in offered}
    assert len({a[0] for a in adds}) == 3                 # one part per channel
    # every message type the run used decodes as a message of the schema
    every = fields(pcap, "ampsim", "pbm.ampsim.Envelope")
    assert every and len(every) == len(fields(pcap, "frame", "frame.number"))
