"""The episode model: what a capture's TCP segments say about probes, independently of Wireshark.

This is the truth the integration tests compare tcpprobe's output with (tests/common/oracle.rs
reads what gen_captures.py wrote from it), so it is kept apart from the capture machinery: pure
functions over a pcap's bytes and over a list of segment records, no I/O, tested on hand-made
sequences by test_oracle.py (run by `cargo test`, tests/oracle.rs).

read_pcap turns a pcap file's bytes (link types Ethernet, Linux cooked v1 and v2, whatever the
snap length) into segment records, each the tuple
    (frame, timestamp, family, sport, dport, seq, ack, flags, window, payload_len)
with frames numbered from 1, as Wireshark numbers them. A segment's payload length comes from its
IP header, never from the captured bytes, so a short snap length changes no length. A snap length
that cuts the TCP header before its window field (IPv6 over Ethernet at 68 bytes keeps 14 bytes of
it) leaves the window unknown: window is None then, never a guess; a frame cut before its flags
cannot be read and is refused (CaptureError).

A stream is the generator's dict with at least family, client_port, server_port and either
`probers` ({side: kind}, side "client" or "server", kind "persist" or "keepalive"; both sides
may probe, each its own kind) or the older single prober ("client", "server" or None) with expect
("persist", "keepalive" or "none"); the analysis adds stream["capture"].

A probe-shaped segment is a zero-length pure ACK whose sequence number is one below the last
ACK the peer sent. Linux sends that segment only as a keep-alive or a zero-window persist
probe (tcp_xmit_probe_skb), and those are exactly what the two kernel counters count, so their
sums must match the counters. In a capture that starts mid-connection the first probe comes
before any segment of the peer; it is recognised by the peer's next ACK instead ("lookahead").

Episodes (capture.episodes) group one prober's probes (episode "prober": its side); their kind
follows the kernel's ground truth for that side (persist: "zero_window", keepalive: "keepalive"):
- zero_window: opens at the first segment of the probed side that advertises window 0 (not
  SYN/RST), or at a probe if the window closed before the capture or the probed side's windows
  are unknown; ends at the probed side's next segment with window > 0 ("reopened"), at a RST or
  FIN from either side, or at the end of the capture. A closed window that ends before any probe
  is not an episode. When the probed side's window is unknown (cut by the snap length), the
  episode says so ("window_unknown": true) and cannot see the reopening: then the prober's
  first segment with payload ends it ("data": Linux sends new data only into an open window).
- keepalive: opens at a keep-alive (whatever the window); ends at a RST or FIN from either side,
  at the first segment with payload from either side ("data"), or at the end of the capture.
A probe's answered_frame is the probed side's first zero-length pure ACK with ack = probe seq + 1
that follows it before the prober's next probe (a window update can qualify; the probed side's
own probe cannot, when both sides probe).

With urgent data pending, each persist expiry sends a zero-length ACK with URG at SND.UNA (= the
peer's last ACK) just before the usual probe; the kernel counts it in TCPWinProbe, so it is a
probe here too ("urgent": true, counted in capture.urgent_probes). It lies inside the window, so
the receiver takes it without a reply.
"""

import struct

FIN, SYN, RST, ACK, URG = 0x01, 0x02, 0x04, 0x10, 0x20
SEQ_MASK = 0xFFFFFFFF
KIND_OF = {"persist": "zero_window", "keepalive": "keepalive"}

# pcap link types this reader knows, with the length of their link-layer header and where in it
# the EtherType (or the cooked header's protocol field, which holds the same value) lies.
LINKTYPES = {1: ("EN10MB", 14, 12), 113: ("LINUX_SLL", 16, 14), 276: ("LINUX_SLL2", 20, 0)}
# Bytes of the TCP header the model needs: ports, seq, ack, data offset and flags (14), and the
# window (16).
TCP_NEEDED, TCP_WITH_WINDOW = 14, 16


class CaptureError(ValueError):
    """A pcap this model cannot read truthfully."""


class UnknownStream(ValueError):
    """A segment whose addresses match none of the streams; .segment is its record."""

    def __init__(self, segment):
        super().__init__(f"segment {segment[3]}->{segment[4]} belongs to no known stream")
        self.segment = segment


def read_pcap(data):
    """A pcap file's bytes -> (info, segments). info: "linktype" (name), "snaplen" (from the
    file header), "frames", "cut_frames" (captured fewer bytes than were on the wire),
    "tcp_header_cut_frames" (the TCP header itself, options included, is incomplete),
    "syn_header_cut_frames" (those of them with SYN, whose options are longer than any other
    segment's) and "window_unknown_frames" (cut before the window field). Raises CaptureError
    for anything else than TCP over IPv4/IPv6 on a known link type, and for a frame cut before
    the TCP flags."""
    if len(data) < 24:
        raise CaptureError("no pcap header")
    endian, tick = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
                    b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)
                    }.get(data[:4], (None, None))
    if endian is None:
        raise CaptureError("not a pcap file")
    snaplen, linktype = struct.unpack_from(endian + "II", data, 16)
    linktype &= 0x0FFFFFFF
    if linktype not in LINKTYPES:
        raise CaptureError(f"link type {linktype}; known: "
                           + ", ".join(f"{n} ({v[0]})" for n, v in LINKTYPES.items()))
    name, link_len, proto_at = LINKTYPES[linktype]
    info = {"linktype": name, "snaplen": snaplen, "frames": 0, "cut_frames": 0,
            "tcp_header_cut_frames": 0, "syn_header_cut_frames": 0, "window_unknown_frames": 0}
    segments = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise CaptureError(f"truncated record header at offset {off}")
        sec, frac, incl, orig = struct.unpack_from(endian + "IIII", data, off)
        frame = data[off + 16:off + 16 + incl]
        if len(frame) != incl:
            raise CaptureError(f"truncated record at offset {off}")
        off += 16 + incl
        n = len(segments) + 1
        info["frames"] += 1
        info["cut_frames"] += incl < orig
        if incl < link_len + 20:
            raise CaptureError(f"frame {n}: {incl} bytes captured, no room for an IP header")
        ethertype = struct.unpack_from("!H", frame, proto_at)[0]
        ip = frame[link_len:]
        if ethertype == 0x0800 and ip[9] == 6:
            family, ihl = 4, (ip[0] & 0x0F) * 4
            ip_payload = struct.unpack_from("!H", ip, 2)[0] - ihl
        elif ethertype == 0x86DD and len(ip) >= 40 and ip[6] == 6:
            family, ihl = 6, 40
            ip_payload = struct.unpack_from("!H", ip, 4)[0]
        else:
            raise CaptureError(f"frame {n}: not TCP over IP (ethertype {ethertype:#06x})")
        tcp = ip[ihl:]
        if len(tcp) < TCP_NEEDED:
            raise CaptureError(f"frame {n}: only {len(tcp)} bytes of the TCP header captured; "
                               f"at least {TCP_NEEDED} (up to the flags) are needed")
        sport, dport, seq, ack, offx, flags = struct.unpack_from("!HHIIBB", tcp, 0)
        header_len = (offx >> 4) * 4
        window = None
        if len(tcp) >= TCP_WITH_WINDOW:
            window = struct.unpack_from("!H", tcp, 14)[0]
        else:
            info["window_unknown_frames"] += 1
        info["tcp_header_cut_frames"] += len(tcp) < header_len
        info["syn_header_cut_frames"] += len(tcp) < header_len and bool(flags & SYN)
        segments.append((n, sec + frac * tick, family, sport, dport, seq, ack, flags, window,
                         ip_payload - header_len))
    return info, segments


def is_pure_ack(flags, plen):
    return (flags & (SYN | FIN | RST | ACK)) == ACK and plen == 0


def stream_probers(s):
    """{side: "persist" or "keepalive"} for the sides of stream s that probe."""
    if "probers" in s:
        return dict(s["probers"])
    return {s["prober"]: s["expect"]} if s.get("prober") else {}


def analyse_segments(segments, streams):
    """Per stream: packets, SYNs, RSTs, zero-window and unknown-window segments,
    'seq_minus_one_acks' and the probe episodes, into stream["capture"]. Returns (total packets,
    timestamp of the first packet). Raises UnknownStream for a segment of no stream."""
    index = {}
    for s in streams:
        s["capture"] = {"packets": 0, "syn": 0, "rst": 0,
                        "zero_window_segments": {"client": 0, "server": 0},
                        "window_unknown_segments": {"client": 0, "server": 0},
                        "seq_minus_one_acks": {"client": 0, "server": 0},
                        "rst_frames": [], "episodes": []}
        index[(s["family"], s["client_port"], s["server_port"])] = (s, "client")
        index[(s["family"], s["server_port"], s["client_port"])] = (s, "server")
    t0 = segments[0][1] if segments else 0.0
    per_stream = {id(s): [] for s in streams}
    for seg in segments:
        hit = index.get(seg[2:5])
        if hit is None:
            raise UnknownStream(seg)
        per_stream[id(hit[0])].append((seg, hit[1]))
    for s in streams:
        analyse_stream(s, per_stream[id(s)], t0)
    return len(segments), t0


class _Prober:
    """One probing side's episodes while a stream's segments are read."""

    def __init__(self, side, kind, cap):
        self.side, self.kind, self.cap = side, KIND_OF[kind], cap
        self.cur = None          # the open episode
        self.awaiting = None     # the last probe while it can still be answered
        self.peer_window_unknown = False  # the probed side's last window was cut

    def finish(self, end, frame):
        if self.cur["probes"]:
            self.cur["end"], self.cur["end_frame"] = end, frame
            self.cap["episodes"].append(self.cur)
        self.cur = self.awaiting = None

    def new_episode(self, closed_frame):
        return {"kind": self.kind, "prober": self.side, "closed_frame": closed_frame,
                "reopened_frame": None, "window_unknown": self.peer_window_unknown,
                "probes": [], "end": None, "end_frame": None}

    def segment(self, seg, side, shaped, any_probe, lookahead, t0):
        """seg from side; shaped: a probe (plain or urgent) of side's; any_probe: a probe of a
        side that probes."""
        frame, ts, _, _, _, seq, ack, flags, window, plen = seg
        from_prober = side == self.side
        who = "prober" if from_prober else "probed"
        if (not from_prober and self.awaiting is not None and is_pure_ack(flags, plen)
                and not any_probe and ack == (self.awaiting["seq"] + 1) & SEQ_MASK):
            self.awaiting["answered_frame"] = frame
            self.awaiting = None
        if not from_prober and not flags & (SYN | RST):
            self.peer_window_unknown = window is None
            if window is None and self.cur is not None:
                self.cur["window_unknown"] = True
        cur, ended = self.cur, False
        if cur is not None:
            ended = True
            if flags & RST:
                self.finish(f"rst_from_{who}", frame)
            elif flags & FIN:
                self.finish(f"fin_from_{who}", frame)
            elif (self.kind == "zero_window" and not from_prober and window is not None
                  and window > 0 and not flags & SYN):
                cur["reopened_frame"] = frame
                self.finish("reopened", frame)
            elif self.kind == "keepalive" and plen > 0:
                self.finish("data", frame)
            elif self.kind == "zero_window" and cur["window_unknown"] and from_prober and plen > 0:
                self.finish("data", frame)
            else:
                ended = False
        if (not ended and self.cur is None and self.kind == "zero_window" and not from_prober
                and window == 0 and not flags & (SYN | RST)):
            self.cur = self.new_episode(frame)
        if shaped and from_prober:
            if self.cur is None:
                self.cur = self.new_episode(None)
            self.awaiting = {"frame": frame, "time": round(ts - t0, 6), "answered_frame": None,
                             "lookahead": lookahead, "seq": seq}
            if shaped == "urgent":
                self.awaiting["urgent"] = True  # in the window: the receiver takes it silently
            self.cur["probes"].append(self.awaiting)


def analyse_stream(s, segs, t0):
    """One stream's segments, as (record, "client" or "server") in capture order, into
    s["capture"] (made by analyse_segments); times relative to t0."""
    cap = s["capture"]
    # next_ack[side][i]: the ACK number of side's first ACK segment at or after position i.
    next_ack = {"client": [None] * (len(segs) + 1), "server": [None] * (len(segs) + 1)}
    for i in range(len(segs) - 1, -1, -1):
        (seg, side) = segs[i]
        for sd in next_ack:
            next_ack[sd][i] = next_ack[sd][i + 1]
        if seg[7] & ACK:
            next_ack[side][i] = seg[6]
    probers = [_Prober(side, kind, cap) for side, kind in sorted(stream_probers(s).items())]
    last_ack = {}
    for i, (seg, side) in enumerate(segs):
        frame, ts, _, _, _, seq, ack, flags, window, plen = seg
        peer = "server" if side == "client" else "client"
        cap["packets"] += 1
        cap["syn"] += bool(flags & SYN)
        if flags & RST:
            cap["rst"] += 1
            cap["rst_frames"].append({"frame": frame, "from": side, "time": round(ts - t0, 6)})
        if not flags & (SYN | RST):
            if window is None:
                cap["window_unknown_segments"][side] += 1
            elif window == 0:
                cap["zero_window_segments"][side] += 1
        peer_ack, lookahead = last_ack.get(peer), False
        if peer_ack is None:
            peer_ack, lookahead = next_ack[peer][i + 1], True
        probe = is_pure_ack(flags, plen) and peer_ack is not None and seq == (peer_ack - 1) & SEQ_MASK
        if probe:
            cap["seq_minus_one_acks"][side] += 1
        # With urgent data pending, tcp_write_wakeup sends a zero-length URG segment at SND.UNA
        # before the usual probe; the kernel counts it as a probe too. Only here: no other
        # segment of Linux is zero-length, with URG, at exactly what the peer acknowledged.
        urgent = (is_pure_ack(flags, plen) and flags & URG and peer_ack is not None
                  and seq == peer_ack)
        if urgent:
            cap.setdefault("urgent_probes", {"client": 0, "server": 0})[side] += 1
        if flags & ACK:
            last_ack[side] = ack
        shaped = "urgent" if urgent else "plain" if probe else None
        any_probe = shaped is not None and any(p.side == side for p in probers)
        for p in probers:
            p.segment(seg, side, shaped, any_probe, lookahead, t0)
    for p in probers:
        if p.cur is not None:
            p.finish("capture_end", None)
    cap["episodes"].sort(key=lambda e: e["probes"][0]["frame"])
    for ep in cap["episodes"]:
        for p in ep["probes"]:
            del p["seq"]
