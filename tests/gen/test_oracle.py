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

from oracle import ACK, FIN, RST, SYN, URG, UnknownStream, analyse_segments

CLIENT_PORT, SERVER_PORT = 40000, 5201
T0 = 100.0  # the first segment's timestamp; the model reports times relative to it
OPEN = 65535


def peer_of(side):
    return "server" if side == "client" else "client"


class Conn:
    """One hand-made connection. Each side's next sequence number is tracked, so every segment
    carries the seq and ack a real stack would put in it; the receiver acknowledges all it got."""

    def __init__(self, prober="client", expect="persist", family=4, isn=(1000, 7000),
                 ports=(CLIENT_PORT, SERVER_PORT)):
        self.stream = {"family": family, "client_port": ports[0], "server_port": ports[1],
                       "prober": prober, "expect": expect}
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

    def analyse(self):
        packets, t0 = analyse_segments(self.segments, [self.stream])
        self.returned = (packets, t0)
        return self.stream["capture"]


def probe(frame, time, answered=None, lookahead=False):
    return {"frame": frame, "time": time, "answered_frame": answered, "lookahead": lookahead}


def episode(kind, probes, end, end_frame, closed=None, reopened=None):
    return {"kind": kind, "closed_frame": closed, "reopened_frame": reopened, "probes": probes,
            "end": end, "end_frame": end_frame}


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


if __name__ == "__main__":
    unittest.main()
