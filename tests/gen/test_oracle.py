"""Tests of the episode model (oracle.py) on small hand-made sequences.

The integration tests take oracle.py's reading of a capture as the truth about its probes, so the
model gets tests of its own. Each sequence is what a Linux stack sends in the situation the test
names (tcp_xmit_probe_skb's probe: a zero-length ACK at SND.UNA - 1; the persist timer backing off
from 200 ms; keep-alives at a constant interval; a reply per probe unless the receiver's
tcp_invalid_ratelimit holds it back), and the expected episodes follow from the rules oracle.py
states at its top. Standard library only:

    cd tests/gen && python3 -m unittest -v test_oracle

(`cargo test --test oracle` runs exactly that.)
"""

import unittest

import struct

from oracle import (ACK, FIN, RST, SYN, URG, CaptureError, UnknownStream, analyse_segments,
                    read_pcap)

CLIENT_PORT, SERVER_PORT = 40000, 5201
T0 = 100.0  # the first segment's timestamp; the model reports times relative to it
OPEN = 65535


def peer_of(side):
    return "server" if side == "client" else "client"


class Conn:
    """One hand-made connection. Each side's next sequence number is tracked, so every segment
    carries the seq and ack a real stack would put in it; the receiver acknowledges all it got."""

    def __init__(self, prober="client", expect="persist", family=4, isn=(1000, 7000),
                 ports=(CLIENT_PORT, SERVER_PORT), probers=None):
        self.stream = {"family": family, "client_port": ports[0], "server_port": ports[1],
                       "prober": prober, "expect": expect}
        if probers is not None:
            self.stream["probers"] = probers
        self.nxt = {"client": isn[0], "server": isn[1]}
        self.segments = []

    def _add(self, side, t, seq, ack, flags, window=OPEN, plen=0):
        ports = (self.stream["client_port"], self.stream["server_port"])
        sport, dport = ports if side == "client" else ports[::-1]
        frame = len(self.segments) + 1
        self.segments.append((frame, T0 + t, self.stream["family"], sport, dport,
                              seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, flags, window, plen))
        return frame

    def handshake(self, t, server_window=OPEN):
        self._add("client", t, self.nxt["client"], 0, SYN)
        self.nxt["client"] += 1
        self._add("server", t, self.nxt["server"], self.nxt["client"], SYN | ACK, server_window)
        self.nxt["server"] += 1
        return self.ack("client", t)

    def data(self, side, t, n, window=OPEN):
        frame = self._add(side, t, self.nxt[side], self.nxt[peer_of(side)], ACK, window, n)
        self.nxt[side] += n
        return frame

    def ack(self, side, t, window=OPEN):
        """A pure ACK of everything the peer sent: a plain ACK, a probe's reply, a window update."""
        return self._add(side, t, self.nxt[side], self.nxt[peer_of(side)], ACK, window)

    def probe(self, side, t, window=OPEN):
        """A persist probe or keep-alive: every byte sent is acknowledged, so SND.UNA - 1."""
        return self._add(side, t, self.nxt[side] - 1, self.nxt[peer_of(side)], ACK, window)

    def fin(self, side, t, window=OPEN):
        frame = self._add(side, t, self.nxt[side], self.nxt[peer_of(side)], FIN | ACK, window)
        self.nxt[side] += 1
        return frame

    def rst(self, side, t):
        """A RST as Linux sends it for a segment that reaches no socket (no ACK flag, window 0)."""
        return self._add(side, t, self.nxt[side], 0, RST, 0)

    def cut_windows(self):
        """Every window unknown, as a snap length that cuts each TCP header before its window
        field leaves it (IPv6 over Ethernet at 68 bytes)."""
        self.segments = [seg[:8] + (None,) + seg[9:] for seg in self.segments]

    def analyse(self):
        packets, t0 = analyse_segments(self.segments, [self.stream])
        self.returned = (packets, t0)
        return self.stream["capture"]


def probe(frame, time, answered=None, lookahead=False):
    return {"frame": frame, "time": time, "answered_frame": answered, "lookahead": lookahead}


def episode(kind, probes, end, end_frame, closed=None, reopened=None, prober="client",
            window_unknown=False):
    return {"kind": kind, "prober": prober, "closed_frame": closed, "reopened_frame": reopened,
            "window_unknown": window_unknown, "probes": probes, "end": end, "end_frame": end_frame}


def stall(c, t, probe_offsets, replied=None):
    """The client's data fills the server's window; the server's ACK closes it (window 0) while
    more is queued, so the persist timer probes at t + each offset, each reply saying window 0
    (replied: which probes get one, all by default). Returns (closed frame, probe frames,
    reply frames, or None for unanswered probes)."""
    c.data("client", t, 1024)
    closed = c.ack("server", t, window=0)
    probes, replies = [], []
    for n, dt in enumerate(probe_offsets):
        probes.append(c.probe("client", t + dt))
        answered = replied is None or n in replied
        replies.append(c.ack("server", t + dt, window=0) if answered else None)
    return closed, probes, replies


class PersistEpisodes(unittest.TestCase):
    def test_persist_series_with_doubling_intervals(self):
        """The window closes with data queued; probes 0.2, 0.6, 1.4, 3.0 s later (the timer starts
        at the 200 ms minimum RTO and doubles), each answered; the server reads and its window
        update reopens the window, which ends the episode on that frame."""
        c = Conn()
        c.handshake(0.0)
        closed, probes, replies = stall(c, 0.1, [0.2, 0.6, 1.4, 3.0])
        reopened = c.ack("server", 3.5, window=2048)
        c.data("client", 3.5, 1024)
        cap = c.analyse()
        times = [0.3, 0.7, 1.5, 3.1]
        self.assertEqual(cap["episodes"], [episode(
            "zero_window", [probe(f, t, r) for f, t, r in zip(probes, times, replies)],
            "reopened", reopened, closed=closed, reopened=reopened)])
        self.assertEqual(cap["seq_minus_one_acks"], {"client": 4, "server": 0})
        # The closing ACK and the four replies; the window update is open again.
        self.assertEqual(cap["zero_window_segments"], {"client": 0, "server": 5})
        self.assertEqual((cap["packets"], cap["syn"], cap["rst"], cap["rst_frames"]),
                         (len(c.segments), 2, 0, []))
        self.assertEqual(c.returned, (len(c.segments), T0))

    def test_urgent_data_adds_a_probe_at_snd_una_per_expiry(self):
        """Urgent data queued behind the zero window: each expiry sends a zero-length URG segment
        at SND.UNA, then the usual probe at SND.UNA - 1 (with URG too); the kernel counts both.
        The receiver takes the first silently (it is in the window) and answers the second."""
        c = Conn()
        c.handshake(0.0)
        c.data("client", 0.1, 1024)
        closed = c.ack("server", 0.1, window=0)
        frames = []
        for t in (0.3, 0.7):
            una = c.nxt["client"]
            urg = c._add("client", t, una, c.nxt["server"], ACK | URG)
            plain = c._add("client", t, una - 1, c.nxt["server"], ACK | URG)
            reply = c.ack("server", t, window=0)
            frames += [(urg, t, None), (plain, t, reply)]
        cap = c.analyse()
        ep = cap["episodes"][0]
        self.assertEqual([(p["frame"], p["answered_frame"], p.get("urgent", False))
                          for p in ep["probes"]],
                         [(f, r, r is None) for f, _, r in frames])
        self.assertEqual(ep["closed_frame"], closed)
        self.assertEqual(cap["seq_minus_one_acks"], {"client": 2, "server": 0})
        self.assertEqual(cap["urgent_probes"], {"client": 2, "server": 0})

    def test_unanswered_probes(self):
        """The receiver's rate limit holds back the replies to probes 2 and 3 (ratelimit.pcap):
        those stay unanswered; a reply belongs to the last probe before it."""
        c = Conn()
        c.handshake(0.0)
        closed, probes, replies = stall(c, 0.0, [0.2, 0.6, 1.4, 3.0], replied={0, 3})
        reopened = c.ack("server", 3.5, window=2048)
        (e,) = c.analyse()["episodes"]
        self.assertEqual([p["answered_frame"] for p in e["probes"]],
                         [replies[0], None, None, replies[3]])
        self.assertEqual((e["end"], e["end_frame"], e["closed_frame"]),
                         ("reopened", reopened, closed))

    def test_window_update_answers_an_unanswered_probe_and_ends_the_episode(self):
        """A window update is a pure ACK of SND.UNA, so it also answers the probe before it."""
        c = Conn()
        c.handshake(0.0)
        closed, probes, _ = stall(c, 0.0, [0.2], replied=set())
        update = c.ack("server", 0.3, window=2048)
        self.assertEqual(c.analyse()["episodes"], [episode(
            "zero_window", [probe(probes[0], 0.2, update)], "reopened", update, closed=closed,
            reopened=update)])

    def test_two_stalls_are_two_episodes(self):
        """stall_twice: the window reopens, closes again, and the probes start over."""
        c = Conn()
        c.handshake(0.0)
        closed1, probes1, replies1 = stall(c, 0.0, [0.2, 0.6])
        reopened1 = c.ack("server", 1.0, window=2048)
        closed2, probes2, replies2 = stall(c, 2.0, [0.2, 0.6])
        reopened2 = c.ack("server", 3.0, window=2048)
        self.assertEqual(c.analyse()["episodes"], [
            episode("zero_window", [probe(probes1[0], 0.2, replies1[0]),
                                    probe(probes1[1], 0.6, replies1[1])],
                    "reopened", reopened1, closed=closed1, reopened=reopened1),
            episode("zero_window", [probe(probes2[0], 2.2, replies2[0]),
                                    probe(probes2[1], 2.6, replies2[1])],
                    "reopened", reopened2, closed=closed2, reopened=reopened2)])

    def test_rst_ends_the_episode(self):
        """A RST from either side ends it and names the side; the RST is recorded with its time."""
        for side, end in (("client", "rst_from_prober"), ("server", "rst_from_probed")):
            with self.subTest(side=side):
                c = Conn()
                c.handshake(0.0)
                stall(c, 0.0, [0.2, 0.6])
                rst = c.rst(side, 2.5)
                cap = c.analyse()
                (e,) = cap["episodes"]
                self.assertEqual((e["end"], e["end_frame"], e["reopened_frame"]), (end, rst, None))
                self.assertEqual(cap["rst_frames"], [{"frame": rst, "from": side, "time": 2.5}])
                # The closing ACK and two replies; a RST's window 0 is no closed window.
                self.assertEqual(cap["zero_window_segments"], {"client": 0, "server": 3})

    def test_rst_after_the_window_update_comes_after_the_episode(self):
        """user_timeout: the client aborted silently, so the server's window update (which ends
        the episode as reopened) gets a RST from the client's kernel."""
        c = Conn()
        c.handshake(0.0)
        stall(c, 0.0, [0.2, 0.6, 1.4])
        update = c.ack("server", 2.7, window=2048)
        rst = c.rst("client", 2.7)
        cap = c.analyse()
        (e,) = cap["episodes"]
        self.assertEqual((e["end"], e["end_frame"]), ("reopened", update))
        self.assertEqual(cap["rst"], 1)
        self.assertEqual(cap["rst_frames"][0]["frame"], rst)

    def test_fin_ends_the_episode(self):
        """A FIN from either side ends it, even a FIN that also opens the window."""
        for side, end in (("client", "fin_from_prober"), ("server", "fin_from_probed")):
            with self.subTest(side=side):
                c = Conn()
                c.handshake(0.0)
                stall(c, 0.0, [0.2])
                fin = c.fin(side, 1.0, window=2048)
                (e,) = c.analyse()["episodes"]
                self.assertEqual((e["end"], e["end_frame"], e["reopened_frame"]), (end, fin, None))

    def test_capture_end_leaves_the_episode_open(self):
        c = Conn()
        c.handshake(0.0)
        closed, probes, replies = stall(c, 0.0, [0.2, 0.6])
        self.assertEqual(c.analyse()["episodes"], [episode(
            "zero_window", [probe(probes[0], 0.2, replies[0]), probe(probes[1], 0.6, replies[1])],
            "capture_end", None, closed=closed)])

    def test_a_closed_window_without_probes_is_no_episode(self):
        """The server reads before the persist timer fires."""
        c = Conn()
        c.handshake(0.0)
        c.data("client", 0.0, 1024)
        c.ack("server", 0.0, window=0)
        c.ack("server", 0.1, window=2048)
        cap = c.analyse()
        self.assertEqual(cap["episodes"], [])
        self.assertEqual(cap["zero_window_segments"]["server"], 1)

    def test_only_the_probed_side_closes_the_window(self):
        """The prober's own window 0 and a SYN's window 0 open no episode and are not counted."""
        c = Conn()
        c.handshake(0.0, server_window=0)
        c.ack("client", 0.1, window=0)
        probe_frame = c.probe("client", 0.3)
        cap = c.analyse()
        self.assertEqual(cap["zero_window_segments"], {"client": 1, "server": 0})
        # The probe itself opens the episode; nothing says when the window closed.
        (e,) = cap["episodes"]
        self.assertEqual((e["closed_frame"], e["probes"][0]["frame"]), (None, probe_frame))

    def test_sequence_numbers_wrap(self):
        """SND.UNA = 0: the probe's sequence number is 2^32 - 1, and its reply acks 0."""
        c = Conn(isn=(0xFFFFFFFF - 1024, 7000))
        c.handshake(0.0)  # the client's SYN takes 2^32 - 1025; its data ends at 2^32 = 0
        closed, probes, replies = stall(c, 0.0, [0.2])
        self.assertEqual(c.segments[probes[0] - 1][5], 0xFFFFFFFF)
        (e,) = c.analyse()["episodes"]
        self.assertEqual(e["probes"], [probe(probes[0], 0.2, replies[0])])
        self.assertEqual(e["closed_frame"], closed)


class KeepAliveSeries(unittest.TestCase):
    def request_response(self, c):
        c.handshake(0.0)
        c.data("client", 0.0, 5)
        c.data("server", 0.0, 5)
        c.ack("client", 0.0)

    def test_keepalive_series_with_constant_interval(self):
        """TCP_KEEPIDLE = TCP_KEEPINTVL = 1 s: keep-alives every second, each answered; the
        client's FIN ends the series on that frame."""
        c = Conn(expect="keepalive")
        self.request_response(c)
        kas = [(c.probe("client", t), c.ack("server", t), t) for t in (1.0, 2.0, 3.0)]
        fin = c.fin("client", 3.5)
        c.fin("server", 3.5)
        c.ack("client", 3.5)
        cap = c.analyse()
        self.assertEqual(cap["episodes"], [episode(
            "keepalive", [probe(k, t, r) for k, r, t in kas], "fin_from_prober", fin)])
        self.assertEqual(cap["seq_minus_one_acks"], {"client": 3, "server": 0})
        self.assertEqual(cap["zero_window_segments"], {"client": 0, "server": 0})

    def test_keepalives_into_an_exactly_filled_window(self):
        """keepalive_zero_window: the client filled the window exactly and has nothing queued, so
        no persist timer runs; its keep-alives meet window 0. The kind follows the kernel's
        counters (expect keepalive), the zero window opens nothing, and the window update does
        not end the series (only data, FIN or RST do)."""
        c = Conn(expect="keepalive")
        c.handshake(0.0, server_window=2048)
        c.data("client", 0.0, 2048)
        c.ack("server", 0.0, window=0)
        kas = [(c.probe("client", t), c.ack("server", t, window=0), t) for t in (1.0, 2.0, 3.0)]
        c.ack("server", 3.5, window=2048)
        fin = c.fin("client", 3.5)
        cap = c.analyse()
        self.assertEqual(cap["episodes"], [episode(
            "keepalive", [probe(k, t, r) for k, r, t in kas], "fin_from_prober", fin)])
        self.assertEqual(cap["zero_window_segments"]["server"], 4)

    def test_the_same_segments_are_persist_probes_when_the_kernel_says_so(self):
        """The model does not guess the kind from the segments: the kernel's counters decide it
        (expect), and the same bytes read as a zero-window episode that the update ends."""
        c = Conn(expect="persist")
        c.handshake(0.0, server_window=2048)
        c.data("client", 0.0, 2048)
        closed = c.ack("server", 0.0, window=0)
        for t in (1.0, 2.0, 3.0):
            c.probe("client", t)
            c.ack("server", t, window=0)
        update = c.ack("server", 3.5, window=2048)
        (e,) = c.analyse()["episodes"]
        self.assertEqual((e["kind"], e["closed_frame"], e["end"], e["end_frame"]),
                         ("zero_window", closed, "reopened", update))

    def test_data_ends_the_series(self):
        c = Conn(expect="keepalive")
        self.request_response(c)
        c.probe("client", 1.0)
        c.ack("server", 1.0)
        data = c.data("server", 1.5, 100)
        (e,) = c.analyse()["episodes"]
        self.assertEqual((e["end"], e["end_frame"]), ("data", data))

    def test_unanswered_keepalives_then_rst(self):
        """keepalive_abort: TCP_KEEPCNT 3 keep-alives reach no one; the client's kernel gives up
        with a RST; later the server's FIN gets a RST too (after the series)."""
        c = Conn(expect="keepalive")
        self.request_response(c)
        kas = [c.probe("client", t) for t in (1.0, 2.0, 3.0)]
        rst = c.rst("client", 4.0)
        c.fin("server", 4.5)
        c.rst("client", 4.5)
        cap = c.analyse()
        self.assertEqual(cap["episodes"], [episode(
            "keepalive", [probe(k, t) for k, t in zip(kas, (1.0, 2.0, 3.0))], "rst_from_prober",
            rst)])
        self.assertEqual(cap["rst"], 2)

    def test_capture_that_starts_with_a_keepalive(self):
        """keepalive_midstream: before any segment of the server nothing tells SND.UNA; the
        server's reply (ack = probe seq + 1) shows it was a keep-alive ("lookahead")."""
        c = Conn(expect="keepalive")
        kas = [(c.probe("client", t), c.ack("server", t, window=0), t) for t in (0.0, 1.0, 2.0)]
        fin = c.fin("client", 2.5)
        self.assertEqual(c.analyse()["episodes"], [episode(
            "keepalive", [probe(k, t, r, lookahead=(t == 0.0)) for k, r, t in kas],
            "fin_from_prober", fin)])


class Streams(unittest.TestCase):
    def test_a_stream_without_prober_has_no_episodes(self):
        """bulk: a plain transfer; nothing probe-shaped, no episode."""
        c = Conn(prober=None, expect="none")
        c.handshake(0.0)
        for t in (0.1, 0.2):
            c.data("client", t, 1000)
            c.ack("server", t)
        cap = c.analyse()
        self.assertEqual((cap["episodes"], cap["seq_minus_one_acks"], cap["packets"]),
                         ([], {"client": 0, "server": 0}, 7))

    def test_streams_are_told_apart_by_family_and_ports(self):
        """multi_stream: one capture, several streams; IPv4 and IPv6 with the same ports too."""
        v4 = Conn(expect="keepalive", family=4)
        v6 = Conn(expect="keepalive", family=6)
        v4.handshake(0.0)
        v6.handshake(0.0)
        v6.probe("client", 1.0)
        v6.ack("server", 1.0)
        segments = sorted(v4.segments + v6.segments, key=lambda s: (s[1], s[2]))
        segments = [(n,) + s[1:] for n, s in enumerate(segments, 1)]
        self.assertEqual(analyse_segments(segments, [v4.stream, v6.stream]), (8, T0))
        self.assertEqual(v4.stream["capture"]["episodes"], [])
        (e,) = v6.stream["capture"]["episodes"]
        self.assertEqual([(p["frame"], p["answered_frame"]) for p in e["probes"]], [(7, 8)])
        self.assertEqual((v4.stream["capture"]["packets"], v6.stream["capture"]["packets"]),
                         (3, 5))

    def test_a_segment_of_no_stream_is_refused(self):
        c = Conn()
        c.handshake(0.0)
        stranger = Conn(ports=(40001, SERVER_PORT))
        stranger.handshake(0.0)
        with self.assertRaises(UnknownStream) as caught:
            analyse_segments(c.segments + stranger.segments, [c.stream])
        self.assertIn("40001->5201", str(caught.exception))

    def test_an_empty_capture(self):
        c = Conn()
        self.assertEqual(analyse_segments([], [c.stream]), (0, 0.0))
        self.assertEqual(c.stream["capture"]["episodes"], [])


class CutWindows(unittest.TestCase):
    """A snap length that cuts the TCP header before the window field: the model says the window
    is unknown and never guesses it."""

    def test_persist_stall_with_every_window_cut(self):
        """persist_v6_s68: the probes are read as before (their flags, seq and ack are there),
        but nothing shows the window close or reopen: the episode opens at its first probe, says
        window_unknown, and ends at the prober's first data, which Linux sends only into an open
        window. The window update before it ends nothing."""
        c = Conn(family=6)
        c.handshake(0.0)
        _, probes, replies = stall(c, 0.1, [0.2, 0.6, 1.4])
        c.ack("server", 2.0, window=2048)
        data = c.data("client", 2.0, 1024)
        c.cut_windows()
        cap = c.analyse()
        self.assertEqual(cap["episodes"], [episode(
            "zero_window", [probe(f, t, r) for f, t, r in zip(probes, (0.3, 0.7, 1.5), replies)],
            "data", data, window_unknown=True)])
        self.assertEqual(cap["zero_window_segments"], {"client": 0, "server": 0})
        # SYNs and RSTs are not counted, as for zero windows.
        self.assertEqual(cap["window_unknown_segments"],
                         {"client": len(probes) + 3, "server": len(replies) + 2})
        self.assertEqual(cap["seq_minus_one_acks"], {"client": 3, "server": 0})

    def test_a_fin_still_ends_the_episode(self):
        c = Conn(family=6)
        c.handshake(0.0)
        stall(c, 0.0, [0.2])
        fin = c.fin("server", 1.0, window=2048)
        c.cut_windows()
        (e,) = c.analyse()["episodes"]
        self.assertEqual((e["end"], e["end_frame"], e["window_unknown"]),
                         ("fin_from_probed", fin, True))

    def test_known_windows_still_decide_and_data_alone_does_not_end(self):
        """With windows known, only the reopening ends the episode: a data segment of the prober
        inside the closed window (a tail loss probe's retransmission) does not."""
        c = Conn()
        c.handshake(0.0)
        closed, probes, _ = stall(c, 0.0, [0.2, 0.6])
        c._add("client", 0.7, c.nxt["client"] - 100, c.nxt["server"], ACK, OPEN, 100)
        reopened = c.ack("server", 1.0, window=2048)
        (e,) = c.analyse()["episodes"]
        self.assertEqual((e["end"], e["end_frame"], e["closed_frame"], e["window_unknown"]),
                         ("reopened", reopened, closed, False))

    def test_keepalive_series_does_not_need_the_window(self):
        c = Conn(expect="keepalive", family=6)
        c.handshake(0.0)
        kas = [(c.probe("client", t), c.ack("server", t), t) for t in (1.0, 2.0)]
        fin = c.fin("client", 2.5)
        c.cut_windows()
        self.assertEqual(c.analyse()["episodes"], [episode(
            "keepalive", [probe(k, t, r) for k, r, t in kas], "fin_from_prober", fin,
            window_unknown=True)])


class BothSidesProbe(unittest.TestCase):
    """Class 5: the receiver whose window is zero sends keep-alives of its own while the sender
    persist-probes it. One stream, two probers, each with its own episodes."""

    def test_persist_probes_and_keepalives_in_one_stream(self):
        c = Conn(probers={"client": "persist", "server": "keepalive"}, prober=None,
                 expect="none")
        c.handshake(0.0)
        closed, (p1, p2), (r1, _) = stall(c, 0.0, [0.2, 0.6], replied={0})
        # The server's keep-alive acks what the client's unanswered probe p2 needs (SND.UNA), but
        # it is a probe of its own, not p2's answer; the client's ACK answers it.
        k1, a1 = c.probe("server", 1.0, window=0), c.ack("client", 1.0)
        p3, r3 = c.probe("client", 1.4), c.ack("server", 1.4, window=0)
        k2, a2 = c.probe("server", 2.0, window=0), c.ack("client", 2.0)
        reopened = c.ack("server", 2.5, window=2048)
        data = c.data("client", 2.5, 1024)
        cap = c.analyse()
        self.assertEqual(cap["episodes"], [
            episode("zero_window", [probe(p1, 0.2, r1), probe(p2, 0.6), probe(p3, 1.4, r3)],
                    "reopened", reopened, closed=closed, reopened=reopened),
            episode("keepalive", [probe(k1, 1.0, a1), probe(k2, 2.0, a2)], "data", data,
                    prober="server")])
        self.assertEqual(cap["seq_minus_one_acks"], {"client": 3, "server": 2})

    def test_the_older_single_prober_form_means_the_same(self):
        """`prober` and `expect` name one prober; `probers` the same one gives the same."""
        for stream_form in ({}, {"probers": {"client": "persist"}}):
            with self.subTest(stream_form=stream_form):
                c = Conn(**({"probers": stream_form["probers"]} if stream_form else {}))
                c.handshake(0.0)
                stall(c, 0.0, [0.2, 0.6])
                (e,) = c.analyse()["episodes"]
                self.assertEqual((e["prober"], e["kind"], len(e["probes"])),
                                 ("client", "zero_window", 2))


class MidStream(unittest.TestCase):
    def test_capture_that_starts_inside_a_persist_stall(self):
        """persist_midstream: the window closed and probing began before the capture; its first
        frame is a probe, recognised by the server's next ACK ("lookahead"); nothing says when
        the window closed."""
        c = Conn()
        p1, r1 = c.probe("client", 0.0), c.ack("server", 0.0, window=0)
        p2, r2 = c.probe("client", 1.6), c.ack("server", 1.6, window=0)
        reopened = c.ack("server", 2.0, window=2048)
        self.assertEqual(c.analyse()["episodes"], [episode(
            "zero_window", [probe(p1, 0.0, r1, lookahead=True), probe(p2, 1.6, r2)],
            "reopened", reopened, reopened=reopened)])


# ---- read_pcap: bytes as tcpdump writes them ----

TS_OPTION = b"\x01\x01\x08\x0a" + bytes(8)  # NOP, NOP, timestamps: Linux's options here
LINK_HEADER = {1: 14, 113: 16, 276: 20}


def tcp_header(sport, dport, seq, ack, flags, window, options=TS_OPTION):
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0,
                       0) + options


def ip_packet(family, tcp, payload):
    if family == 4:
        lo = bytes([127, 0, 0, 1])
        return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64,
                           6, 0, lo, lo) + tcp + payload
    lo = bytes(15) + b"\x01"
    return struct.pack("!IHBB16s16s", 0x60000000, len(tcp) + len(payload), 6, 64, lo,
                       lo) + tcp + payload


def on_link(linktype, family, packet):
    proto = 0x0800 if family == 4 else 0x86DD
    if linktype == 1:  # Ethernet: lo's all-zero addresses
        return bytes(12) + struct.pack("!H", proto) + packet
    if linktype == 113:  # Linux cooked v1: packet type, ARPHRD_LOOPBACK, address, protocol
        return struct.pack("!HHH8sH", 0, 772, 6, bytes(8), proto) + packet
    # Linux cooked v2: protocol, reserved, interface index, ARPHRD_LOOPBACK, type, address
    return struct.pack("!HHIHBB8s", proto, 0, 1, 772, 0, 6, bytes(8)) + packet


def pcap_file(linktype, snaplen, frames, magic=0xA1B2C3D4):
    """A little-endian pcap; frames are (timestamp, bytes on the wire), each cut to snaplen as
    tcpdump -s cuts it (captured length below the original length)."""
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for ts, wire in frames:
        cut = wire[:snaplen]
        usec = round((ts - int(ts)) * 1e6)
        out += struct.pack("<IIII", int(ts), usec, len(cut), len(wire)) + cut
    return out


class ReadPcap(unittest.TestCase):
    """read_pcap on every link type tcpdump writes for lo and at every snap length the generator
    uses: lengths from the IP header, the window unknown exactly when it was cut."""

    def frames(self, linktype, family):
        data = tcp_header(40000, 5201, 1001, 7001, ACK, 2048)
        ack = tcp_header(5201, 40000, 7001, 2001, ACK, 0)
        return [(T0, on_link(linktype, family, ip_packet(family, data, b"p" * 1000))),
                (T0 + 0.25, on_link(linktype, family, ip_packet(family, ack, b"")))]

    def test_every_link_type_family_and_snap_length(self):
        for linktype, family, snaplen in [(lt, f, s) for lt in (1, 113, 276) for f in (4, 6)
                                          for s in (68, 96, 160, 262144)]:
            with self.subTest(linktype=linktype, family=family, snaplen=snaplen):
                data = pcap_file(linktype, snaplen, self.frames(linktype, family))
                tcp_at = LINK_HEADER[linktype] + (20 if family == 4 else 40)
                if snaplen < tcp_at + 14:
                    with self.assertRaises(CaptureError) as caught:
                        read_pcap(data)
                    self.assertIn("frame 1:", str(caught.exception))
                    continue
                info, segs = read_pcap(data)
                window_known = snaplen >= tcp_at + 16
                self.assertEqual(segs, [
                    (1, T0, family, 40000, 5201, 1001, 7001, ACK, 2048 if window_known else None,
                     1000),
                    (2, T0 + 0.25, family, 5201, 40000, 7001, 2001, ACK,
                     0 if window_known else None, 0)])
                header_cut = snaplen < tcp_at + 32
                self.assertEqual(info, {
                    "linktype": {1: "EN10MB", 113: "LINUX_SLL", 276: "LINUX_SLL2"}[linktype],
                    "snaplen": snaplen, "frames": 2,
                    "cut_frames": (snaplen < tcp_at + 1032) + header_cut,
                    "tcp_header_cut_frames": 2 * header_cut, "syn_header_cut_frames": 0,
                    "window_unknown_frames": 0 if window_known else 2})

    def test_byte_order_and_nanosecond_timestamps(self):
        frames = self.frames(1, 4)
        little = pcap_file(1, 160, frames)
        # The same file big-endian, with nanosecond timestamps.
        header = struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 160, 1)
        body, off = b"", 24
        while off < len(little):
            sec, usec, incl, orig = struct.unpack_from("<IIII", little, off)
            record = little[off + 16:off + 16 + incl]
            body += struct.pack(">IIII", sec, usec * 1000, incl, orig) + record
            off += 16 + incl
        self.assertEqual(read_pcap(header + body)[1], read_pcap(little)[1])

    def test_what_cannot_be_read_truthfully_is_refused(self):
        udp = on_link(1, 4, ip_packet(4, b"", b""))
        udp = udp[:23] + b"\x11" + udp[24:]  # IP protocol 17
        for what, data in [
                ("not a pcap", b"\x00" * 24),
                ("raw IP link type", pcap_file(101, 160, [])),
                ("UDP", pcap_file(1, 160, [(T0, udp)])),
                ("record cut short", pcap_file(1, 160, self.frames(1, 4))[:-10])]:
            with self.subTest(what=what):
                with self.assertRaises(CaptureError):
                    read_pcap(data)

    def test_segments_read_from_a_pcap_give_the_episodes(self):
        """The reader's records are what analyse_segments takes: a stall written as a pcap over
        IPv6 at snap length 68 reads back with every window unknown and the same probes."""
        c = Conn(family=6)
        c.handshake(0.0)
        stall(c, 0.0, [0.2, 0.6])
        frames = []
        for (_, ts, family, sport, dport, seq, ack, flags, window, plen) in c.segments:
            tcp = tcp_header(sport, dport, seq, ack, flags, window)
            frames.append((ts, on_link(1, family, ip_packet(family, tcp, b"x" * plen))))
        info, segs = read_pcap(pcap_file(1, 68, frames))
        self.assertEqual(info["window_unknown_frames"], len(c.segments))
        c.cut_windows()
        self.assertEqual([s[:1] + s[2:] for s in segs], [s[:1] + s[2:] for s in c.segments])
        for got, want in zip(segs, c.segments):
            self.assertAlmostEqual(got[1], want[1], places=6)


if __name__ == "__main__":
    unittest.main()
