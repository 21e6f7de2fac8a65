"""The episode model: what a capture's TCP segments say about probes, independently of Wireshark.

This is the truth the integration tests compare tcpprobe's output with (tests/common/oracle.rs
reads what gen_captures.py wrote from it), so it is kept apart from the capture machinery: pure
functions over a list of segment records, no I/O, tested on hand-made sequences by
test_oracle.py (run by `cargo test`, tests/oracle.rs).

A segment record is the tuple
    (frame, timestamp, family, sport, dport, seq, ack, flags, window, payload_len)
with frames numbered from 1, as Wireshark numbers them (gen_captures.pcap_segments makes them
from a pcap). A stream is the generator's dict with at least family, client_port, server_port,
prober ("client", "server" or None) and expect ("persist", "keepalive" or "none"); the analysis
adds stream["capture"].

A probe-shaped segment is a zero-length pure ACK whose sequence number is one below the last
ACK the peer sent. Linux sends that segment only as a keep-alive or a zero-window persist
probe (tcp_xmit_probe_skb), and those are exactly what the two kernel counters count, so their
sums must match the counters. In a capture that starts mid-connection the first probe comes
before any segment of the peer; it is recognised by the peer's next ACK instead ("lookahead").

Episodes (capture.episodes) group the prober's probes; their kind follows the kernel's ground
truth for the stream (expect persist: "zero_window", expect keepalive: "keepalive"):
- zero_window: opens at the first segment of the probed side that advertises window 0 (not
  SYN/RST), or at a probe if the window closed before the capture; ends at the probed side's
  next segment with window > 0 ("reopened"), at a RST or FIN from either side, or at the end
  of the capture. A closed window that ends before any probe is not an episode.
- keepalive: opens at a keep-alive (whatever the window); ends at a RST or FIN from either side,
  at the first segment with payload from either side ("data"), or at the end of the capture.
A probe's answered_frame is the probed side's first zero-length pure ACK with ack = probe seq + 1
that follows it before the prober's next probe (a window update can qualify).

With urgent data pending, each persist expiry sends a zero-length ACK with URG at SND.UNA (= the
peer's last ACK) just before the usual probe; the kernel counts it in TCPWinProbe, so it is a
probe here too ("urgent": true, counted in capture.urgent_probes). It lies inside the window, so
the receiver takes it without a reply.
"""

FIN, SYN, RST, ACK, URG = 0x01, 0x02, 0x04, 0x10, 0x20
SEQ_MASK = 0xFFFFFFFF


class UnknownStream(ValueError):
    """A segment whose addresses match none of the streams; .segment is its record."""

    def __init__(self, segment):
        super().__init__(f"segment {segment[3]}->{segment[4]} belongs to no known stream")
        self.segment = segment


def is_pure_ack(flags, plen):
    return (flags & (SYN | FIN | RST | ACK)) == ACK and plen == 0


def analyse_segments(segments, streams):
    """Per stream: packets, SYNs, RSTs, zero-window segments, 'seq_minus_one_acks' and the probe
    episodes, into stream["capture"]. Returns (total packets, timestamp of the first packet).
    Raises UnknownStream for a segment of no stream."""
    index = {}
    for s in streams:
        s["capture"] = {"packets": 0, "syn": 0, "rst": 0,
                        "zero_window_segments": {"client": 0, "server": 0},
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
    prober = s["prober"]
    kind = "zero_window" if s["expect"] == "persist" else "keepalive"
    last_ack = {}
    cur = None          # the open episode
    awaiting = None     # the last probe while it can still be answered

    def finish(end, frame):
        nonlocal cur, awaiting
        if cur["probes"]:
            cur["end"], cur["end_frame"] = end, frame
            cap["episodes"].append(cur)
        cur = awaiting = None

    def new_episode(closed_frame):
        return {"kind": kind, "closed_frame": closed_frame, "reopened_frame": None, "probes": [],
                "end": None, "end_frame": None}

    for i, (seg, side) in enumerate(segs):
        frame, ts, _, _, _, seq, ack, flags, window, plen = seg
        peer = "server" if side == "client" else "client"
        cap["packets"] += 1
        cap["syn"] += bool(flags & SYN)
        if flags & RST:
            cap["rst"] += 1
            cap["rst_frames"].append({"frame": frame, "from": side, "time": round(ts - t0, 6)})
        if window == 0 and not flags & (SYN | RST):
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
        if prober is None:
            continue
        from_prober = side == prober
        who = "prober" if from_prober else "probed"
        if (not from_prober and awaiting is not None and is_pure_ack(flags, plen)
                and ack == (awaiting["seq"] + 1) & SEQ_MASK):
            awaiting["answered_frame"] = frame
            awaiting = None
        ended = False
        if cur is not None:
            ended = True
            if flags & RST:
                finish(f"rst_from_{who}", frame)
            elif flags & FIN:
                finish(f"fin_from_{who}", frame)
            elif kind == "zero_window" and not from_prober and window > 0 and not flags & SYN:
                cur["reopened_frame"] = frame
                finish("reopened", frame)
            elif kind == "keepalive" and plen > 0:
                finish("data", frame)
            else:
                ended = False
        if (not ended and cur is None and kind == "zero_window" and not from_prober and window == 0
                and not flags & (SYN | RST)):
            cur = new_episode(frame)
        if (probe or urgent) and from_prober:
            if cur is None:
                cur = new_episode(None)
            awaiting = {"frame": frame, "time": round(ts - t0, 6), "answered_frame": None,
                        "lookahead": lookahead, "seq": seq}
            if urgent:
                awaiting["urgent"] = True  # in the window: the receiver takes it silently
            cur["probes"].append(awaiting)
    if cur is not None:
        finish("capture_end", None)
    for ep in cap["episodes"]:
        for p in ep["probes"]:
            del p["seq"]
