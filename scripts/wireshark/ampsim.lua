-- Wireshark dissector for ampsim captures (--pcap): each packet is a small
-- ampsim header (who captured it, the direction, the channel) followed by
-- one ampsim.Envelope, which is handed to Wireshark's own protobuf
-- dissector with proto/ampsim.proto. The header layout is in
-- sim/runtime/capture.h. Load it with
--
--   tshark -X lua_script:scripts/wireshark/ampsim.lua \
--          -o protobuf.preload_protos:TRUE -o protobuf.pbf_as_hf:TRUE \
--          -o 'uat:protobuf_search_paths:"proto","TRUE"' -r run.pcapng
--
-- or scripts/wireshark/ampsim-tshark, which adds those options; in the
-- Wireshark GUI see docs/labs/09-wireshark.md.

local ampsim = Proto("ampsim", "ampsim simulated payment channel")

local nodes = { [0] = "alice", [1] = "bob" }
local directions = { [0] = "alice -> bob", [1] = "bob -> alice" }

local f_version = ProtoField.uint8("ampsim.version", "Capture version")
local f_node = ProtoField.uint8("ampsim.node", "Captured by", base.DEC, nodes)
local f_dir = ProtoField.uint8("ampsim.direction", "Direction", base.DEC, directions)
local f_channel = ProtoField.string("ampsim.channel", "Channel")
ampsim.fields = { f_version, f_node, f_dir, f_channel }

local protobuf = Dissector.get("protobuf")

-- the Envelope's oneof, by field number (proto/ampsim.proto)
local messages = {
    [1] = "Init", [2] = "OpenChannel", [3] = "AcceptChannel", [4] = "InvoiceRequest",
    [5] = "Invoice", [6] = "UpdateAddHtlc", [7] = "UpdateFulfillHtlc", [8] = "UpdateFailHtlc",
    [9] = "Error", [10] = "Ping", [11] = "Pong", [12] = "ResolveAck", [13] = "Reestablish",
    [14] = "HtlcSigned",
}

function ampsim.dissector(tvb, pinfo, tree)
    if tvb:len() < 4 then
        return 0
    end
    local version = tvb(0, 1):uint()
    local clen = tvb(3, 1):uint()
    local hlen = 4 + clen
    if version ~= 1 or tvb:len() < hlen then
        return 0
    end
    local dir = tvb(2, 1):uint()
    local channel = clen > 0 and tvb(4, clen):string() or ""

    pinfo.cols.protocol = "ampsim"
    local src, dst = "alice", "bob"
    if dir == 1 then
        src, dst = "bob", "alice"
    end
    pinfo.cols.src = src
    pinfo.cols.dst = dst

    local sub = tree:add(ampsim, tvb(0, hlen), "ampsim, " .. directions[dir] ..
        (clen > 0 and (", channel " .. channel) or ""))
    sub:add(f_version, tvb(0, 1))
    sub:add(f_node, tvb(1, 1))
    sub:add(f_dir, tvb(2, 1))
    if clen > 0 then
        sub:add(f_channel, tvb(4, clen))
    end

    -- the Envelope's first key names its message: (field << 3) | 2
    local name = "?"
    if tvb:len() > hlen then
        local key = tvb(hlen, 1):uint()
        name = messages[bit.rshift(key, 3)] or "?"
    end
    local info = name .. "  " .. directions[dir] .. (clen > 0 and ("  [" .. channel .. "]") or "")
    if tvb:len() > hlen then
        pinfo.private["pb_msg_type"] = "message,ampsim.Envelope"
        protobuf:call(tvb(hlen):tvb(), pinfo, tree)
    end
    -- after the protobuf dissector, which writes its own summary there
    pinfo.cols.info:set(info)
    return tvb:len()
end

-- LINKTYPE_USER0 (147), the link type of ampsim's capture interface
DissectorTable.get("wtap_encap"):add(wtap_encaps.USER0, ampsim)
