#!/usr/bin/env python3
"""check_records.py RECORDS POLICY [PCAP] - validates selected records against the contract.

Every line is one JSON object with exactly the contract's keys and types; directions are the route's;
clear (not pseudonymized) addresses are covered by a criterion; with PCAP, no address of the capture
that is not an indicator appears anywhere in the records' text. Exits 1 with a reason on failure."""
import ipaddress, json, os, re, struct, sys

KEYS = {"policy_id": str, "route": str, "direction": str, "proto": int, "src_addr": str,
        "src_port": int, "src_pseudonymized": bool, "dst_addr": str, "dst_port": int,
        "dst_pseudonymized": bool, "packets": int, "bytes": int, "tcp_flags": int,
        "first_seen": str, "last_seen": str, "criteria": list}
ALLOWED = {"party_agreement": "foreign_to_domestic", "inbound": "foreign_to_domestic",
           "transit": "foreign_to_foreign", "outbound": "domestic_to_foreign"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

def fail(msg):
    print("check_records: " + msg, file=sys.stderr)
    sys.exit(1)

class Indicators:
    """Every address/prefix of the policy's criteria, indexed by prefix length for fast membership."""

    def __init__(self):
        self.by_len = {4: {}, 6: {}}

    def add(self, net):
        bits = 32 if net.version == 4 else 128
        self.by_len[net.version].setdefault(net.prefixlen, set()).add(
            int(net.network_address) >> (bits - net.prefixlen) if net.prefixlen else 0)

    def __contains__(self, addr):
        a = ipaddress.ip_address(addr)
        bits = 32 if a.version == 4 else 128
        v = int(a)
        return any((v >> (bits - plen) if plen else 0) in nets
                   for plen, nets in self.by_len[a.version].items())


def load_criteria(policy_path):
    pol = json.load(open(policy_path))
    base = os.path.dirname(policy_path)
    nets = Indicators()
    for c in pol["criteria"]:
        if "match" in c:
            nets.add(ipaddress.ip_network(c["match"]))
        else:
            for line in open(os.path.join(base, c["match_file"])):
                tok = line.split("#")[0].split(";")[0].split()
                if tok:
                    nets.add(ipaddress.ip_network(tok[0]))
    return pol, nets

def is_indicator(addr, nets):
    return addr in nets

def pcap_addresses(path):
    """Addresses of IPv4/IPv6 packets in a classic Ethernet pcap (with 802.1Q/802.1ad tags)."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off, out = 24, set()
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        p, et = 12, None
        while p + 2 <= len(frame):
            et = struct.unpack(">H", frame[p:p + 2])[0]
            if et in (0x8100, 0x88a8, 0x9100):
                p += 4
                continue
            p += 2
            break
        if et == 0x0800 and len(frame) >= p + 20:
            out.add(str(ipaddress.ip_address(frame[p + 12:p + 16])))
            out.add(str(ipaddress.ip_address(frame[p + 16:p + 20])))
        elif et == 0x86DD and len(frame) >= p + 40:
            out.add(str(ipaddress.ip_address(frame[p + 8:p + 24])))
            out.add(str(ipaddress.ip_address(frame[p + 24:p + 40])))
    return out

def main():
    records, policy_path = sys.argv[1], sys.argv[2]
    pol, nets = load_criteria(policy_path)
    text = open(records).read()
    if text and not text.endswith("\n"):
        fail("the last record is not a complete line")
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        try:
            r = json.loads(line)
        except ValueError as e:
            fail(f"line {i}: not JSON: {e}")
        if set(r) != set(KEYS):
            fail(f"line {i}: keys {sorted(r)} differ from the contract")
        for k, t in KEYS.items():
            if type(r[k]) is not t:
                fail(f"line {i}: {k} is {type(r[k]).__name__}, expected {t.__name__}")
        if r["direction"] != ALLOWED[pol["route"]]:
            fail(f"line {i}: direction {r['direction']} not allowed on route {pol['route']}")
        if not TIME.match(r["first_seen"]) or not TIME.match(r["last_seen"]):
            fail(f"line {i}: times not RFC 3339 UTC with microseconds")
        if not r["criteria"] or r["criteria"] != sorted(r["criteria"]):
            fail(f"line {i}: criteria empty or unsorted")
        for side in ("src", "dst"):
            clear = not r[side + "_pseudonymized"]
            if clear and not is_indicator(r[side + "_addr"], nets):
                fail(f"line {i}: {side}_addr {r[side + '_addr']} in clear but not an indicator")
        if not (r["src_pseudonymized"] is False or r["dst_pseudonymized"] is False):
            fail(f"line {i}: neither endpoint is an indicator")
    if len(sys.argv) > 3:
        tokens = set(re.findall(r'"(?:src|dst)_addr":"([^"]+)"', text))
        for a in pcap_addresses(sys.argv[3]):
            if a in tokens and not is_indicator(a, nets):
                fail(f"non-indicator address {a} of the capture appears in clear in the records")
    print(f"check_records: {len(lines)} records conform")

main()
