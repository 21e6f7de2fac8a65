//! Behaviour tests of the classifier on scripted connections. Real kernel captures are tested
//! end to end in the workspace's `tests/`; these pin each rule on its own.

use crate::*;

const MS: u64 = 1_000_000;
const ACK: u16 = TcpFlags::ACK;
const SYN: u16 = TcpFlags::SYN;
const FIN: u16 = TcpFlags::FIN;
const RST: u16 = TcpFlags::RST;

/// A scripted connection between a client and a server.
struct Conv {
    cls: Classifier,
    packet: u64,
    now_ns: u64,
    conn: u64,
    client: Endpoint,
    server: Endpoint,
}

impl Conv {
    fn new() -> Conv {
        Conv {
            cls: Classifier::default(),
            packet: 0,
            now_ns: 0,
            conn: 7,
            client: Endpoint::v4([10, 0, 0, 1], 40000),
            server: Endpoint::v4([10, 0, 0, 2], 80),
        }
    }

    fn at(&mut self, ms: u64) -> &mut Conv {
        self.now_ns = ms * MS;
        self
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        from_client: bool,
        flags: u16,
        seq: u32,
        ack: u32,
        window: u16,
        len: u32,
    ) -> Option<Verdict> {
        self.packet += 1;
        let (src, dst) = if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        self.cls.classify(&Segment {
            packet: self.packet,
            time: Timestamp(self.now_ns),
            conn: self.conn,
            src,
            dst,
            seq: SeqNumber(seq),
            ack: SeqNumber(ack),
            flags: TcpFlags(flags),
            window,
            window_scale: (flags & SYN != 0).then_some(7),
            payload_len: len,
        })
    }

    fn c(&mut self, seq: u32, ack: u32, window: u16, len: u32) -> Option<Verdict> {
        self.send(true, ACK, seq, ack, window, len)
    }

    fn s(&mut self, seq: u32, ack: u32, window: u16, len: u32) -> Option<Verdict> {
        self.send(false, ACK, seq, ack, window, len)
    }

    /// Client ISN `ci`, server ISN `si`; after it the client's next seq is ci+1, the server's si+1.
    fn handshake(&mut self, ci: u32, si: u32, rtt_ms: u64) {
        let t = self.now_ns / MS;
        self.at(t);
        assert_eq!(self.send(true, SYN, ci, 0, 64240, 0), None);
        self.at(t + rtt_ms / 2);
        assert_eq!(self.send(false, SYN | ACK, si, ci + 1, 65160, 0), None);
        self.at(t + rtt_ms);
        assert_eq!(self.c(ci + 1, si + 1, 502, 0), None);
    }
}

impl Conv {
    /// The events of the last segment.
    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.cls.poll_event()).collect()
    }

    /// The newest snapshot among the last segment's events.
    fn episode(&mut self) -> Option<Episode> {
        newest_episode(&self.events())
    }
}

fn newest_episode(events: &[Event]) -> Option<Episode> {
    events.iter().rev().find_map(|e| match e {
        Event::Episode(ep) => Some(*ep),
        _ => None,
    })
}

fn class(v: Option<Verdict>) -> Option<Class> {
    v.map(|v| v.class)
}

// ---- Linux persist probes ----

/// Client fills the server's window; the server stops reading. Probes at 200, 400, 800 ms.
#[test]
fn linux_persist_probes_and_their_acks() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    assert_eq!(cv.at(1).c(1001, 5001, 502, 1000), None);
    assert_eq!(cv.at(2).s(5001, 2001, 0, 0), None); // window closes in packet 5
    let closed_in = cv.packet;

    let p1 = cv.at(202).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(p1.class, Class::ZeroWindowProbe);
    assert_eq!(p1.style, ProbeStyle::ZeroLengthBelowUna);
    assert_eq!(p1.reason, Reason::TooSoonForKeepAlive);
    assert_eq!(p1.window_closed_in, Some(closed_in));
    assert_eq!(p1.since_window_closed_ns, Some(200 * MS));
    assert!(p1.peer_window_zero);
    let p1_packet = cv.packet;

    let a1 = cv.at(202).s(5001, 2001, 0, 0).unwrap();
    assert_eq!(a1.class, Class::ZeroWindowProbeAck);
    assert_eq!(a1.answers, Some(p1_packet));
    assert_eq!(a1.window_closed_in, Some(closed_in));

    let p2 = cv.at(602).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(p2.class, Class::ZeroWindowProbe);
    assert_eq!(p2.reason, Reason::IntervalDoubled);
    assert_eq!(p2.since_previous_probe_ns, Some(400 * MS));
    assert_eq!(
        class(cv.at(602).s(5001, 2001, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );

    assert_eq!(
        class(cv.at(1402).c(2000, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
    // This reply reopens the window: still the probe's ACK.
    let a3 = cv.at(1402).s(5001, 2001, 300, 0).unwrap();
    assert_eq!(a3.class, Class::ZeroWindowProbeAck);
    assert!(!a3.peer_window_zero);
    // A second, unprompted window update is nothing.
    assert_eq!(cv.at(1403).s(5001, 2001, 500, 0), None);
    assert_eq!(cv.at(1404).c(2001, 5001, 502, 1000), None);
}

/// The probe goes out while part of the sent data is still unacknowledged at the capture point;
/// Wireshark's own check (seq == nextseq-1) misses it entirely.
#[test]
fn linux_probe_with_data_unacknowledged() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(1).c(2001, 5001, 502, 1000);
    // The server acks only the first segment and closes its window.
    cv.at(2).s(5001, 2001, 0, 0);
    let p = cv.at(210).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(p.class, Class::ZeroWindowProbe);
    assert_eq!(
        class(cv.at(210).s(5001, 2001, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );
}

/// With a large RTT the first probe comes after a second or more: still the persist timer.
#[test]
fn slow_path_first_probe_after_rto() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 800);
    cv.at(900).c(1001, 5001, 502, 1000);
    cv.at(1300).s(5001, 2001, 0, 0);
    let p1 = cv.at(2300).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(
        (p1.class, p1.reason),
        (Class::ZeroWindowProbe, Reason::PeerWindowZero)
    );
    cv.at(2700).s(5001, 2001, 0, 0);
    assert_eq!(
        class(cv.at(4300).c(2000, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
}

/// Once the backoff reaches TCP_RTO_MAX the interval stays constant: still a persist timer.
#[test]
fn persist_at_backoff_cap_stays_a_probe() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    let mut t = 2;
    let mut interval = 200;
    for _ in 0..12 {
        t += interval;
        let v = cv.at(t).c(1010, 5001, 502, 0).unwrap();
        assert_eq!(v.class, Class::ZeroWindowProbe, "at {t} ms");
        cv.at(t).s(5001, 1011, 0, 0);
        interval = (interval * 2).min(120_000);
    }
}

/// Linux answers at most one out-of-window segment per 500 ms: an unanswered probe stays
/// unanswered and the next reply belongs to the next probe.
#[test]
fn unanswered_probe_then_answered_one() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    cv.at(202).c(1010, 5001, 502, 0);
    let second = cv.at(602).c(1010, 5001, 502, 0).unwrap();
    assert_eq!(second.class, Class::ZeroWindowProbe);
    let reply = cv.at(602).s(5001, 1011, 0, 0).unwrap();
    assert_eq!(reply.answers, Some(cv.packet - 1));
}

// ---- keep-alives ----

#[test]
fn linux_keep_alive_on_idle_open_window() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 509, 20);
    cv.at(3).c(1011, 5021, 502, 0);
    let ka = cv.at(1003).c(1010, 5021, 502, 0).unwrap();
    assert_eq!(ka.class, Class::KeepAlive);
    assert_eq!(ka.reason, Reason::IdleOpenWindow);
    assert_eq!(ka.window_closed_in, None);
    let ack = cv.at(1003).s(5021, 1011, 509, 0).unwrap();
    assert_eq!(
        (ack.class, ack.answers),
        (Class::KeepAliveAck, Some(cv.packet - 1))
    );
    // The server's own keep-alive, answered by the client.
    assert_eq!(
        class(cv.at(1500).s(5020, 1011, 509, 0)),
        Some(Class::KeepAlive)
    );
    assert_eq!(
        class(cv.at(1500).c(1011, 5021, 502, 0)),
        Some(Class::KeepAliveAck)
    );
}

/// Windows: one garbage byte at SND.NXT-1, a byte the peer has already acknowledged.
#[test]
fn windows_keep_alive_with_one_old_byte() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 509, 0);
    let ka = cv.at(5000).c(1010, 5001, 502, 1).unwrap();
    assert_eq!(
        (ka.class, ka.style),
        (Class::KeepAlive, ProbeStyle::OneOldByte)
    );
    assert_eq!(
        class(cv.at(5001).s(5001, 1011, 509, 0)),
        Some(Class::KeepAliveAck)
    );
}

/// The hard case: the client filled the window exactly and has nothing queued; its keep-alive
/// timer fires while the server's window is zero. Same bytes as a persist probe.
#[test]
fn keep_alive_into_zero_window_after_exact_fill() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let k1 = cv.at(1003).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(
        (k1.class, k1.reason),
        (Class::KeepAlive, Reason::LongIdleInZeroWindow)
    );
    assert!(k1.peer_window_zero);
    assert_eq!(
        class(cv.at(1003).s(5001, 2001, 0, 0)),
        Some(Class::KeepAliveAck)
    );
    let k2 = cv.at(2004).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(
        (k2.class, k2.reason),
        (Class::KeepAlive, Reason::IntervalConstant)
    );
    assert_eq!(
        class(cv.at(2004).s(5001, 2001, 0, 0)),
        Some(Class::KeepAliveAck)
    );
    assert_eq!(
        class(cv.at(3005).c(2000, 5001, 502, 0)),
        Some(Class::KeepAlive)
    );
}

/// A persist series whose first probe was ambiguous is confirmed by its constant interval being
/// absent; and a keep-alive series misjudged as persist at first is corrected by its constant
/// interval.
#[test]
fn constant_interval_turns_series_into_keep_alives() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 600); // RTO estimate 800 ms: a 1 s first gap looks like persist
    cv.at(700).c(1001, 5001, 502, 100);
    cv.at(1000).s(5001, 1101, 0, 0);
    assert_eq!(
        class(cv.at(2000).c(1100, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
    let second = cv.at(3000).c(1100, 5001, 502, 0).unwrap();
    assert_eq!(
        (second.class, second.reason),
        (Class::KeepAlive, Reason::IntervalConstant)
    );
}

/// A receiver-side capture that starts mid-stream sees only its own, instant ACKs: the sender's
/// RTO is unknown, so a first probe seconds after the window closed is still a persist probe
/// (a real Linux capture: probes at 3.4 s, then 6.8 s, 13.5 s apart).
#[test]
fn unknown_rtt_first_probe_late_is_still_a_probe() {
    let mut cv = Conv::new();
    cv.at(0).s(1, 1, 108, 1344);
    cv.at(0).c(1, 1345, 0, 0);
    let p1 = cv.at(3410).s(1344, 1, 108, 0).unwrap();
    assert_eq!(
        (p1.class, p1.reason),
        (Class::ZeroWindowProbe, Reason::PeerWindowZero)
    );
    cv.at(3410).c(1, 1345, 0, 0);
    let p2 = cv.at(10194).s(1344, 1, 108, 0).unwrap();
    assert_eq!(
        (p2.class, p2.reason),
        (Class::ZeroWindowProbe, Reason::IntervalDoubled)
    );
}

// ---- RFC / BSD / Windows persist probes ----

#[test]
fn one_new_byte_probe_refused_then_accepted() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let p = cv.at(5002).c(2001, 5001, 502, 1).unwrap();
    assert_eq!(
        (p.class, p.style),
        (Class::ZeroWindowProbe, ProbeStyle::OneNewByte)
    );
    // Refused: the ACK stays at the probe byte.
    assert_eq!(
        class(cv.at(5003).s(5001, 2001, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );
    // The same byte again, after backoff.
    assert_eq!(
        class(cv.at(15003).c(2001, 5001, 502, 1)),
        Some(Class::ZeroWindowProbe)
    );
    // Accepted: ACK + 1, window still zero.
    let a = cv.at(15004).s(5001, 2002, 0, 0).unwrap();
    assert_eq!(a.class, Class::ZeroWindowProbeAck);
    // The next byte into the still-closed window is a probe too.
    assert_eq!(
        class(cv.at(25004).c(2002, 5001, 502, 1)),
        Some(Class::ZeroWindowProbe)
    );
}

// ---- look-alikes that are neither ----

#[test]
fn ack_after_own_fin_is_not_a_keep_alive() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 509, 0);
    assert_eq!(cv.at(3).send(true, FIN | ACK, 1011, 5001, 502, 0), None);
    assert_eq!(cv.at(4).s(5001, 1012, 509, 20), None);
    // Some stacks ack the peer's data at their FIN's sequence number.
    assert_eq!(cv.at(5).c(1011, 5021, 502, 0), None);
    assert_eq!(cv.at(6).send(false, FIN | ACK, 5021, 1012, 509, 0), None);
    assert_eq!(cv.at(7).c(1011, 5022, 502, 0), None);
}

#[test]
fn rst_with_zero_window_is_nothing_and_ends_the_connection() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    assert_eq!(cv.cls.tracked_connections(), 1);
    assert_eq!(cv.at(3).send(true, RST | ACK, 1011, 5001, 0, 0), None);
    assert_eq!(cv.cls.tracked_connections(), 0);
}

#[test]
fn retransmissions_are_not_probes() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).c(2001, 5001, 502, 1);
    // The last 1-byte segment, not yet acknowledged, retransmitted: data, not a keep-alive.
    assert_eq!(cv.at(300).c(2001, 5001, 502, 1), None);
    cv.at(301).s(5001, 1501, 0, 0);
    // Old data retransmitted into the zero window.
    assert_eq!(cv.at(500).c(1501, 5001, 502, 500), None);
}

#[test]
fn capture_duplicates_are_not_new_probes() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    assert_eq!(
        class(cv.at(202).c(1010, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
    // The same frame seen again on a second VLAN a few microseconds later.
    assert_eq!(cv.at(202).c(1010, 5001, 502, 0), None);
    assert_eq!(
        class(cv.at(202).s(5001, 1011, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );
    assert_eq!(cv.at(202).s(5001, 1011, 0, 0), None);
}

// ---- captures that start mid-stream ----

#[test]
fn mid_stream_start_without_syn() {
    let mut cv = Conv::new();
    // The first segment seen from a side tells nothing about its sequence space.
    assert_eq!(cv.at(0).c(70000, 90000, 1000, 0), None);
    assert_eq!(cv.at(1).s(90000, 70000, 0, 0), None);
    // Unknown window scale does not matter: zero is zero.
    assert_eq!(
        class(cv.at(201).c(69999, 90000, 1000, 0)),
        Some(Class::ZeroWindowProbe)
    );
    assert_eq!(
        class(cv.at(201).s(90000, 70000, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );
}

#[test]
fn mid_stream_keep_alive_before_any_peer_ack() {
    let mut cv = Conv::new();
    assert_eq!(cv.at(0).c(70000, 90000, 1000, 5), None);
    // No ACK from the peer seen yet: fall back to the sender's own next sequence number.
    assert_eq!(
        class(cv.at(5000).c(70004, 90000, 1000, 0)),
        Some(Class::KeepAlive)
    );
}

// ---- sequence wraparound ----

#[test]
fn probes_across_sequence_wrap() {
    let mut cv = Conv::new();
    cv.handshake(u32::MAX - 500, 5000, 0);
    // 1000 bytes from u32::MAX-499 end at 500 after the wrap.
    cv.at(1).c(u32::MAX - 499, 5001, 502, 1000);
    cv.at(2).s(5001, 500, 0, 0);
    assert_eq!(
        class(cv.at(202).c(499, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
    assert_eq!(
        class(cv.at(202).s(5001, 500, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );

    // The probe exactly at the wrap: SND.UNA = 0, probe seq = u32::MAX.
    let mut cv = Conv::new();
    cv.handshake(u32::MAX - 100, 5000, 0);
    cv.at(1).c(u32::MAX - 99, 5001, 502, 100);
    cv.at(2).s(5001, 0, 0, 0);
    assert_eq!(
        class(cv.at(202).c(u32::MAX, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
}

// ---- connection bookkeeping ----

#[test]
fn closed_connections_are_forgotten() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).send(true, FIN | ACK, 1001, 5001, 502, 0);
    cv.at(2).send(false, FIN | ACK, 5001, 1002, 509, 0);
    assert_eq!(cv.cls.tracked_connections(), 1);
    cv.at(3).c(1002, 5002, 502, 0);
    assert_eq!(cv.cls.tracked_connections(), 0);
}

#[test]
fn reused_connection_id_with_other_endpoints_starts_over() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    cv.client = Endpoint::v6([0xfe; 16], 1234);
    // Same id, other endpoints: nothing known, so no verdict for what would have been a probe.
    assert_eq!(cv.at(202).c(1010, 5001, 502, 0), None);
}

#[test]
fn new_syn_on_the_same_port_pair_starts_over() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    // The old connection vanished without FIN or RST; the client reconnects from the same port.
    // Its ISN lies below the old connection's sequence numbers.
    cv.at(3000).handshake(500, 70_000, 0);
    // seq = SND.NXT-1 of the new connection on an idle, open window: a keep-alive, which the
    // old connection's state (SND.NXT 1011) would have hidden.
    assert_eq!(
        class(cv.at(9000).c(500, 70_001, 502, 0)),
        Some(Class::KeepAlive)
    );
    // A retransmitted SYN is not a new connection.
    let mut cv = Conv::new();
    cv.at(0).send(true, SYN, 1000, 0, 502, 0);
    cv.at(1000).send(true, SYN, 1000, 0, 502, 0);
    cv.at(1001).send(false, SYN | ACK, 5000, 1001, 509, 0);
    cv.at(1002).c(1001, 5001, 502, 10);
    cv.at(1003).s(5001, 1011, 0, 0);
    assert_eq!(
        class(cv.at(1300).c(1010, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
}

#[test]
fn reset_forgets_everything() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.cls.reset();
    assert_eq!(cv.cls.tracked_connections(), 0);
}

// ---- episodes: numbering, intervals, replies and how they end ----

/// Probes at 200, 400 and 800 ms intervals, all answered; the window reopens in a reply.
#[test]
fn persist_episode_numbers_intervals_and_reopen() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let closed_in = cv.packet;
    let mut numbers = Vec::new();
    for (t, ratio) in [(202, None), (602, Some(2000)), (1402, Some(2000))] {
        let p = cv.at(t).c(2000, 5001, 502, 0).unwrap();
        assert_eq!(p.interval_ratio_milli, ratio);
        assert!(!p.tentative, "first gap under 0.9 s settles the class");
        numbers.push(p.probe_number);
        let a = cv.at(t).s(5001, 2001, 0, 0).unwrap();
        assert_eq!(a.probe_number, p.probe_number);
        assert_eq!(a.episode, p.episode);
    }
    assert_eq!(numbers, [1, 2, 3]);
    let reopen = cv.at(2000).s(5001, 2001, 300, 0);
    assert_eq!(reopen, None);
    let ep = cv.episode().expect("reopening ends the episode");
    assert_eq!(ep.kind, EpisodeKind::ZeroWindow);
    assert_eq!(ep.window_closed_in, Some(closed_in));
    assert_eq!(ep.window_reopened_in, Some(cv.packet));
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::WindowReopened));
    assert_eq!((ep.zero_window_probes, ep.answered), (3, 3));
    assert_eq!(ep.max_interval_ns, 800 * MS);
    assert_eq!(ep.duration_ns(Timestamp(0)), 1998 * MS);
    assert_eq!(
        ep.notes,
        notes::PERSIST_BACKOFF | notes::ALL_ANSWERED,
        "{:#x}",
        ep.notes
    );
}

/// A second stall in the same connection is a new episode; its probes count from 1 again.
#[test]
fn second_stall_is_a_new_episode() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let first = cv.at(202).c(2000, 5001, 502, 0).unwrap();
    cv.at(300).s(5001, 2001, 1000, 0);
    cv.at(301).c(2001, 5001, 502, 1000);
    cv.at(302).s(5001, 3001, 0, 0);
    let second = cv.at(502).c(3000, 5001, 502, 0).unwrap();
    assert_eq!((first.probe_number, second.probe_number), (1, 1));
    assert_ne!(first.episode, second.episode);
    assert_eq!(second.window_closed_in, Some(cv.packet - 1));
}

/// Linux answers at most one out-of-window segment per 500 ms: a probe 400 ms after the last
/// reply goes unanswered on purpose, a probe with no reply 2 s later does not.
#[test]
fn unanswered_probes_rate_limited_or_not() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    cv.at(202).c(2000, 5001, 502, 0);
    cv.at(202).s(5001, 2001, 0, 0);
    cv.at(602).c(2000, 5001, 502, 0);
    let rate_limited = cv.packet;
    cv.at(1402).c(2000, 5001, 502, 0);
    let lost = cv.packet;
    let ev = cv.events();
    assert!(ev.contains(&Event::Unanswered {
        packet: rate_limited,
        likely: Unanswered::RateLimited
    }));
    cv.at(3002).c(2000, 5001, 502, 0);
    let ev = cv.events();
    assert!(ev.contains(&Event::Unanswered {
        packet: lost,
        likely: Unanswered::NoReply
    }));
    let ep = newest_episode(&ev).unwrap();
    assert_eq!(
        (ep.rate_limited, ep.no_reply, ep.unanswered_in_a_row),
        (1, 1, 2)
    );
    assert_ne!(ep.notes & notes::RATE_LIMITED_REPLIES, 0);
}

/// Probes stop, no RST; much later the window reopens: the prober had given up silently.
#[test]
fn probes_that_stop_before_the_end_are_noted() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    for t in [202, 602] {
        cv.at(t).c(2000, 5001, 502, 0);
        cv.at(t).s(5001, 2001, 0, 0);
    }
    let ep = cv.episode().unwrap();
    assert_eq!(ep.notes_at_capture_end(Timestamp(1000 * MS)), ep.notes);
    assert_ne!(
        ep.notes_at_capture_end(Timestamp(10_000 * MS)) & notes::PROBES_STOPPED,
        0
    );
    cv.at(10_000).s(5001, 2001, 1000, 0);
    let ep = cv.episode().unwrap();
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::WindowReopened));
    assert_ne!(ep.notes & notes::PROBES_STOPPED, 0);
    // The aborted prober answers the reopened window with a RST: the ended episode learns why.
    assert_eq!(cv.at(10_000).send(true, RST, 2000, 0, 0, 0), None);
    let ep = cv.episode().unwrap();
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::WindowReopened));
    assert_ne!(ep.notes & notes::RST_AFTER_REOPEN, 0);
}

// ---- keep-alive series ----

fn keepalive_abort(settings: KeepAliveSettings) -> (Vec<Verdict>, Episode) {
    let mut cv = Conv::new();
    cv.cls = Classifier::new(Config {
        keepalive: settings,
        ..Config::default()
    });
    cv.handshake(1000, 5000, 0);
    cv.at(10).c(1001, 5001, 502, 5);
    cv.at(11).s(5001, 1006, 502, 0);
    let mut kas = Vec::new();
    for t in [1011, 2011, 3011] {
        kas.push(cv.at(t).c(1005, 5001, 502, 0).unwrap());
    }
    assert_eq!(cv.at(4011).send(true, RST | ACK, 1006, 5001, 0, 0), None);
    let ev = cv.events();
    let unanswered = ev
        .iter()
        .filter(|e| matches!(e, Event::Unanswered { .. }))
        .count();
    assert_eq!(
        unanswered, 1,
        "the last keep-alive is found unanswered at the RST"
    );
    (kas, newest_episode(&ev).unwrap())
}

#[test]
fn keep_alive_abort_with_rst() {
    let (kas, ep) = keepalive_abort(KeepAliveSettings {
        time_ns: 1000 * MS,
        interval_ns: 1000 * MS,
        probes: 3,
    });
    assert_eq!(
        kas.iter().map(|v| v.probe_number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(kas
        .iter()
        .all(|v| v.class == Class::KeepAlive && v.keepalive_mismatch == 0));
    assert_eq!(kas[1].since_previous_probe_ns, Some(1000 * MS));
    assert_eq!(ep.kind, EpisodeKind::KeepAlive);
    assert_eq!(ep.idle_before_first_ns, Some(1000 * MS));
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::RstFromProber));
    assert_eq!(
        (ep.keep_alives, ep.answered, ep.unanswered_in_a_row),
        (3, 0, 3)
    );
    assert_ne!(ep.notes & notes::KEEPALIVE_ABORT, 0);
    assert_eq!(ep.keepalive_mismatch, 0);
}

/// The same series against Linux's defaults (7200 s, 75 s, 9): every part differs.
#[test]
fn keep_alive_series_that_differs_from_the_settings() {
    let (kas, ep) = keepalive_abort(KeepAliveSettings::default());
    assert_eq!(kas[0].keepalive_mismatch, mismatch::IDLE);
    assert_eq!(kas[1].keepalive_mismatch, mismatch::INTERVAL);
    assert_eq!(
        ep.keepalive_mismatch,
        mismatch::IDLE | mismatch::INTERVAL | mismatch::COUNT
    );
    assert_ne!(ep.notes & notes::KEEPALIVE_SETTINGS_DIFFER, 0);
}

/// Data after keep-alives ends the series; the next keep-alive starts a new one.
#[test]
fn data_ends_a_keep_alive_series() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(10).c(1001, 5001, 502, 5);
    cv.at(11).s(5001, 1006, 502, 0);
    let first = cv.at(1011).c(1005, 5001, 502, 0).unwrap();
    cv.at(1011).s(5001, 1006, 502, 0);
    cv.at(1500).s(5001, 1006, 502, 10);
    let ep = cv.episode().unwrap();
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::DataResumed));
    assert_eq!(ep.answered, 1);
    cv.at(1501).c(1006, 5011, 502, 0);
    let next = cv.at(2501).c(1005, 5011, 502, 0).unwrap();
    assert_eq!(next.probe_number, 1);
    assert_ne!(next.episode, first.episode);
}

// ---- tentative verdicts and how the series settles them ----

/// Mid-stream, no RTT: the first keep-alive into a zero window looks like a probe and is marked
/// tentative; the constant interval of the second settles it, and its ACK, as keep-alives.
#[test]
fn tentative_first_verdict_settled_by_the_series() {
    let mut cv = Conv::new();
    cv.at(0).c(1, 1, 502, 100);
    cv.at(1).s(1, 101, 0, 0);
    let first = cv.at(1001).c(100, 1, 502, 0).unwrap();
    let first_packet = cv.packet;
    assert_eq!(
        (first.class, first.tentative),
        (Class::ZeroWindowProbe, true)
    );
    let ack = cv.at(1001).s(1, 101, 0, 0).unwrap();
    let ack_packet = cv.packet;
    assert_eq!(
        (ack.class, ack.tentative),
        (Class::ZeroWindowProbeAck, true)
    );
    let second = cv.at(2002).c(100, 1, 502, 0).unwrap();
    assert_eq!((second.class, second.tentative), (Class::KeepAlive, false));
    let settled: Vec<_> = cv
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Settled { .. }))
        .collect();
    assert_eq!(
        settled,
        [
            Event::Settled {
                packet: first_packet,
                class: Class::KeepAlive,
                reason: Reason::IntervalConstant
            },
            Event::Settled {
                packet: ack_packet,
                class: Class::KeepAliveAck,
                reason: Reason::IntervalConstant
            },
        ]
    );
}

/// Events belong to the last segment only: nothing piles up when the caller ignores them.
#[test]
fn events_do_not_pile_up() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    cv.at(202).c(2000, 5001, 502, 0);
    cv.at(203).s(5001, 2001, 0, 0);
    assert_eq!(cv.events().len(), 1);
}
