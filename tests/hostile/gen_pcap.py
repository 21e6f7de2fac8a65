#!/usr/bin/env python3
"""Writes the large captures of the hostile-input campaign's memory part (python3 stdlib only).

  gen_pcap.py scan --connections N OUT.pcap
      N scan-like connections: a SYN and one data segment each, every one a distinct 4-tuple, none
      ever closed: what a port scan or a SYN flood leaves in every connection table.

  gen_pcap.py probes --probe-frames N [--connections K] [--probes P] OUT.pcap
      K connections (default 64) whose receiver closes its window again and again: per stall, one
      data segment, the zero window, P Linux persist probes (zero length at SND.UNA-1, intervals
      from 200 ms doubling) each answered with the zero window, then the window reopens. N is the
      number of probe and reply frames (rounded up to whole stalls): the frames that get a verdict.

Both are Ethernet/IPv4 pcap, microsecond timestamps, snap length 128 (as `tcpdump -s 128`; the
IP header keeps each segment's real length). Prints one line of JSON: frames, connections and
the probe and reply frames written (the frames a classifier should give a verdict).
"""

import argparse
import json
import struct
import sys

SYN, RST, PSH, ACK = 0x02, 0x04, 0x08, 0x10
SNAPLEN = 128
MSS = 1448
# 2025-10-09, so timestamps look like a real capture's.
EPOCH_US = 1_760_000_000 * 1_000_000
ETH = bytes.fromhex("020000000002" "020000000001" "0800")


def ipv4(a):
    return struct.pack("!I", a)


class Writer:
    """pcap records into a file, buffered."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, 1))
        self.buf = bytearray()
        self.frames = 0

    def tcp(self, t_us, src, dst, sport, dport, seq, ack, flags, win, payload_len):
        total = 20 + 20 + payload_len
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, ipv4(src), ipv4(dst))
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                          flags, win, 0, 0)
        frame = ETH + ip + tcp
        orig = len(frame) + payload_len
        frame += bytes(min(payload_len, SNAPLEN - len(frame)))
        t = EPOCH_US + t_us
        self.buf += struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), orig)
        self.buf += frame
        self.frames += 1
        if len(self.buf) > 1 << 22:
            self.f.write(self.buf)
            self.buf.clear()

    def close(self):
        self.f.write(self.buf)
        self.f.close()


def scan(out, connections):
    w = Writer(out)
    t = 0
    for i in range(connections):
        # (client, port) is a bijection of i: every connection is its own 4-tuple. Ephemeral
        # client ports and servers on 9000-9019 (plain data to Wireshark), so that no port-based
        # dissector of Wireshark's takes the payload.
        client = 0x0A000001 + i // 28000
        cport = 32768 + i % 28000
        server = 0xC6120000 + i % 65536  # 198.18.0.0/15, the benchmarking range
        sport = 9000 + i % 20
        isn = (i * 2654435761) & 0xFFFFFFFF
        w.tcp(t, client, server, cport, sport, isn, 0, SYN, 64240, 0)
        w.tcp(t + 10, client, server, cport, sport, isn + 1, 1, PSH | ACK, 502, 32)
        t += 20
    w.close()
    return {"frames": w.frames, "connections": connections, "probe_frames": 0}


def probes(out, probe_frames, connections, per_stall):
    """Stalls in lockstep: stall c of every connection at c * cycle, connection k k*2 us later, so
    frames stay in time order without sorting (k*2 us < the 1 ms round trip, the closest gap)."""
    assert connections * 2 < 1000, "at most 499 connections"
    rtt = 1000
    offsets = []  # (time offset in the stall, what)
    t = 0
    offsets.append((t, "data"))
    t += rtt
    offsets.append((t, "zero"))
    interval = 200_000
    for _ in range(per_stall):
        t += interval
        offsets.append((t, "probe"))
        offsets.append((t + rtt, "reply"))
        interval = min(interval * 2, 120_000_000)
    t += rtt + 1_000_000
    offsets.append((t, "open"))
    cycle = t + 2 * rtt
    stalls = -(-probe_frames // (2 * per_stall))
    rounds = -(-stalls // connections)

    w = Writer(out)
    conns = []
    for k in range(connections):
        client, server = 0x0A000001 + k, 0x0A010001
        c_isn, s_isn = (k * 2654435761) & 0xFFFFFFFF, (k * 40503 + 7) & 0xFFFFFFFF
        # [client, server, client port, server port, client's next seq, server's next seq]
        conns.append([client, server, 40000 + k, 9000, c_isn, s_isn])
    # The handshakes, in lockstep like the stalls.
    for step in range(3):
        for k, (client, server, cport, sport, cs, ss) in enumerate(conns):
            t = step * rtt // 2 + k * 2
            if step == 0:
                w.tcp(t, client, server, cport, sport, cs, 0, SYN, 64240, 0)
            elif step == 1:
                w.tcp(t, server, client, sport, cport, ss, cs + 1, SYN | ACK, 65160, 0)
            else:
                w.tcp(t, client, server, cport, sport, cs + 1, ss + 1, ACK, 502, 0)
    for c in conns:
        c[4] += 1
        c[5] += 1
    start = 2 * rtt + connections * 2
    written = 0
    for r in range(rounds):
        for off, what in offsets:
            for k, c in enumerate(conns):
                if r * connections + k >= stalls:
                    break
                client, server, cport, sport, cs, ss = c
                t = start + r * cycle + off + k * 2
                if what == "data":
                    w.tcp(t, server, client, sport, cport, ss, cs, PSH | ACK, 509, MSS)
                    c[5] = ss + MSS
                elif what == "zero":
                    w.tcp(t, client, server, cport, sport, cs, ss, ACK, 0, 0)
                elif what == "probe":
                    w.tcp(t, server, client, sport, cport, ss - 1, cs, ACK, 509, 0)
                    written += 1
                elif what == "reply":
                    w.tcp(t, client, server, cport, sport, cs, ss, ACK, 0, 0)
                    written += 1
                else:
                    w.tcp(t, client, server, cport, sport, cs, ss, ACK, 1024, 0)
    w.close()
    return {"frames": w.frames, "connections": connections, "probe_frames": written}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["scan", "probes"])
    p.add_argument("out")
    p.add_argument("--connections", type=int)
    p.add_argument("--probe-frames", type=int, default=5_000_000)
    p.add_argument("--probes", type=int, default=8, help="probes per stall (default 8)")
    a = p.parse_args()
    if a.kind == "scan":
        facts = scan(a.out, a.connections or 1_000_000)
    else:
        facts = probes(a.out, a.probe_frames, a.connections or 64, a.probes)
    json.dump(facts, sys.stdout)
    print()


if __name__ == "__main__":
    main()
