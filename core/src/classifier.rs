//! Per-connection state and the decision for each segment.
//!
//! The classifier sees segments in capture order. For each connection and direction it tracks the
//! highest sequence number sent, the highest ACK sent, the last advertised window and when that
//! window went to zero. A segment is a probe candidate when it carries no new data and sits just
//! below what the peer has acknowledged (or carries one byte into a zero window); which timer sent
//! it is then decided from the peer's window and the timing of the series.

use std::collections::HashMap;

use crate::segment::{Endpoint, Segment, Timestamp};
use crate::verdict::{Class, ProbeStyle, Reason, Verdict};
use crate::SeqNumber;

const MS: u64 = 1_000_000;

/// Tunables of the decision. The defaults follow Linux; see each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Shortest gap between the peer's last segment and a keep-alive. Linux's smallest
    /// TCP_KEEPIDLE is 1 s; timers run in jiffies, so allow a few percent early.
    pub min_keepalive_idle_ns: u64,
    /// Linux's TCP_RTO_MIN: the persist timer never fires sooner than this.
    pub rto_min_ns: u64,
    /// How many estimated persist intervals may pass before a first probe-like segment into a zero
    /// window is taken for a keep-alive. Generous, because the RTO seen from a capture point is
    /// only an estimate.
    pub persist_slack: u64,
    /// Identical segments in one direction closer than this are capture duplicates (the same
    /// frame seen twice, e.g. on two VLANs), not new probes. Probe timers never fire this fast.
    pub duplicate_window_ns: u64,
    /// A persist timer's interval stops doubling at TCP_RTO_MAX (120 s by default); constant
    /// intervals at or above this are no evidence of a keep-alive timer.
    pub persist_cap_region_ns: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            min_keepalive_idle_ns: 900 * MS,
            rto_min_ns: 200 * MS,
            persist_slack: 3,
            duplicate_window_ns: 50 * MS,
            persist_cap_region_ns: 100_000 * MS,
        }
    }
}

/// The moment one side advertised a zero window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WindowClosed {
    packet: u64,
    time: Timestamp,
}

/// A prober's run of probe-like segments into one zero-window episode of its peer.
#[derive(Debug, Clone, Copy)]
struct Series {
    /// The packet that closed the window: identifies the episode.
    closed_in: u64,
    last_time: Timestamp,
    /// Interval before the last probe (for the first probe: since the peer's last segment).
    last_interval_ns: u64,
    class: Class,
    /// Whether the intervals ever doubled: a persist timer at its cap keeps a constant interval,
    /// which must then not be read as a keep-alive timer.
    doubled: bool,
}

/// A probe or keep-alive still waiting for its reply.
#[derive(Debug, Clone, Copy)]
struct Pending {
    packet: u64,
    seq: SeqNumber,
    class: Class,
    style: ProbeStyle,
    window_closed_in: Option<u64>,
    window_closed_at: Option<Timestamp>,
}

impl Pending {
    fn answered_by(&self, ack: SeqNumber) -> bool {
        match self.style {
            // The receiver acks what it had: SND.UNA, one past the probe's sequence number.
            ProbeStyle::ZeroLengthBelowUna | ProbeStyle::OneOldByte => ack == self.seq + 1,
            // The probe byte is either refused (ack stays) or accepted (ack + 1).
            ProbeStyle::OneNewByte => ack == self.seq || ack == self.seq + 1,
        }
    }
}

/// Segment fields that make two segments indistinguishable to the classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Signature {
    seq: SeqNumber,
    ack: SeqNumber,
    flags: u16,
    window: u16,
    payload_len: u32,
}

impl From<&Segment> for Signature {
    fn from(s: &Segment) -> Signature {
        Signature {
            seq: s.seq,
            ack: s.ack,
            flags: s.flags.0,
            window: s.window,
            payload_len: s.payload_len,
        }
    }
}

/// What is known of one direction: the segments one side sends.
#[derive(Debug, Clone, Default)]
struct Half {
    /// One past the highest sequence number sent (SYN and FIN included).
    next_seq: Option<SeqNumber>,
    /// Highest acknowledgment number sent, i.e. what this side has received of the other.
    last_ack: Option<SeqNumber>,
    /// Last advertised raw window.
    window: Option<u16>,
    /// Window scale shift from this side's SYN, when seen. Kept for the evidence of later issues;
    /// a zero window is zero whatever the scale.
    window_scale: Option<u8>,
    zero_window: Option<WindowClosed>,
    fin_seq: Option<SeqNumber>,
    last_time: Option<Timestamp>,
    last_signature: Option<Signature>,
    series: Option<Series>,
    pending: Option<Pending>,
    /// The oldest new data still waiting for an ACK, for an RTT estimate.
    rtt_sample: Option<(SeqNumber, Timestamp)>,
    /// Delay from this side's data to the other side's ACK, as seen at the capture point.
    ack_delay_ns: Option<u64>,
}

#[derive(Debug, Clone)]
struct Stream {
    ends: [Endpoint; 2],
    half: [Half; 2],
    syn_time: Option<Timestamp>,
    syn_ack_seen: bool,
    /// Full round trip from the handshake (SYN to the ACK of the SYN-ACK): valid from any
    /// capture point.
    handshake_rtt_ns: Option<u64>,
}

impl Stream {
    fn new(src: Endpoint, dst: Endpoint) -> Stream {
        Stream {
            ends: [src, dst],
            half: Default::default(),
            syn_time: None,
            syn_ack_seen: false,
            handshake_rtt_ns: None,
        }
    }

    /// The round-trip time, when the capture shows all of it.
    fn rtt_ns(&self) -> Option<u64> {
        self.handshake_rtt_ns.or_else(|| {
            // Each direction's data-to-ACK delay covers the path on one side of the capture
            // point; only both together make the round trip. One alone can be microseconds
            // at a receiver-side capture while the sender's RTO is seconds.
            match (self.half[0].ack_delay_ns, self.half[1].ack_delay_ns) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            }
        })
    }

    /// Both FINs sent and acknowledged: nothing more can be classified.
    fn finished(&self) -> bool {
        let acked = |me: usize| match (self.half[me].fin_seq, self.half[1 - me].last_ack) {
            (Some(fin), Some(ack)) => ack > fin,
            _ => false,
        };
        acked(0) && acked(1)
    }
}

/// Follows TCP connections and classifies each segment.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    config: Config,
    streams: HashMap<u64, Stream>,
}

impl Classifier {
    pub fn new(config: Config) -> Classifier {
        Classifier {
            config,
            streams: HashMap::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Forget every connection (a new capture file).
    pub fn reset(&mut self) {
        self.streams.clear();
    }

    /// Connections currently tracked; closed and reset ones are dropped.
    pub fn tracked_connections(&self) -> usize {
        self.streams.len()
    }

    /// Classify one segment, in capture order, and advance the connection's state.
    pub fn classify(&mut self, seg: &Segment) -> Option<Verdict> {
        if seg.flags.rst() {
            // A reset ends the connection: a RST is never a probe, whatever its window says.
            self.streams.remove(&seg.conn);
            return None;
        }
        let stream = self
            .streams
            .entry(seg.conn)
            .or_insert_with(|| Stream::new(seg.src, seg.dst));
        let dir = if stream.ends == [seg.src, seg.dst] {
            0
        } else if stream.ends == [seg.dst, seg.src] {
            1
        } else {
            // The caller reused a connection id for other endpoints: start over.
            *stream = Stream::new(seg.src, seg.dst);
            0
        };
        let me = &stream.half[dir];
        if me.last_signature == Some(Signature::from(seg))
            && me
                .last_time
                .is_some_and(|t| seg.time.nanos_since(t) < self.config.duplicate_window_ns)
        {
            return None;
        }
        let verdict = decide(&self.config, stream, dir, seg);
        update(stream, dir, seg, verdict.as_ref());
        if stream.finished() {
            self.streams.remove(&seg.conn);
        }
        verdict
    }
}

fn is_pure_ack(seg: &Segment) -> bool {
    seg.payload_len == 0 && seg.flags.ack() && !seg.flags.syn() && !seg.flags.fin()
}

fn decide(cfg: &Config, stream: &Stream, dir: usize, seg: &Segment) -> Option<Verdict> {
    let me = &stream.half[dir];
    let peer = &stream.half[1 - dir];

    // A reply to the other side's pending probe?
    if let Some(p) = peer
        .pending
        .filter(|p| is_pure_ack(seg) && p.answered_by(seg.ack))
    {
        let class = match p.class {
            Class::ZeroWindowProbe | Class::ZeroWindowProbeAck => Class::ZeroWindowProbeAck,
            Class::KeepAlive | Class::KeepAliveAck => Class::KeepAliveAck,
        };
        return Some(Verdict {
            class,
            style: p.style,
            reason: Reason::AnswersPendingProbe,
            window_closed_in: p.window_closed_in,
            answers: Some(p.packet),
            since_window_closed_ns: p.window_closed_at.map(|t| seg.time.nanos_since(t)),
            since_previous_probe_ns: None,
            peer_window_zero: seg.window == 0,
        });
    }

    if seg.flags.syn() || seg.flags.fin() || !seg.flags.ack() || seg.payload_len > 1 {
        return None;
    }
    let next = me.next_seq?;
    let peer_zero = peer.window == Some(0);
    let closed = peer.zero_window.filter(|_| peer_zero);
    let verdict = |class, style, reason, since_previous_probe_ns| Verdict {
        class,
        style,
        reason,
        window_closed_in: closed.map(|c| c.packet),
        answers: None,
        since_window_closed_ns: closed.map(|c| seg.time.nanos_since(c.time)),
        since_previous_probe_ns,
        peer_window_zero: peer_zero,
    };

    if seg.payload_len == 1 {
        let peer_ack = peer.last_ack?;
        if seg.seq == next - 1 && peer_ack == next {
            return Some(verdict(
                Class::KeepAlive,
                ProbeStyle::OneOldByte,
                Reason::OldByteOnIdleConnection,
                None,
            ));
        }
        if peer_zero && seg.seq == peer_ack {
            return Some(verdict(
                Class::ZeroWindowProbe,
                ProbeStyle::OneNewByte,
                Reason::NewByteIntoZeroWindow,
                None,
            ));
        }
        return None;
    }

    // Zero length: a probe sits at SND.UNA-1, just below what the peer has acknowledged. Without
    // any ACK from the peer yet, fall back to the sender's own SND.NXT.
    let una = peer.last_ack.unwrap_or(next);
    if seg.seq != una - 1 && seg.seq != next - 1 {
        return None;
    }
    // After a FIN, a pure ACK at the FIN's sequence number that acknowledges something new is
    // an ordinary ACK, not a probe.
    let ack_advanced = me.last_ack.is_some_and(|a| seg.ack > a);
    if ack_advanced && (me.fin_seq.is_some() || peer.fin_seq.is_some()) {
        return None;
    }

    if let Some(closed) = closed {
        if seg.seq != una - 1 {
            return None;
        }
        let (class, reason, interval) = zero_window_timer(cfg, stream, dir, closed, seg.time);
        let since_previous = me
            .series
            .filter(|s| s.closed_in == closed.packet)
            .map(|_| interval);
        return Some(verdict(
            class,
            ProbeStyle::ZeroLengthBelowUna,
            reason,
            since_previous,
        ));
    }

    // Open (or unknown) window: a keep-alive, unless data is still in flight, when no timer of a
    // Linux or BSD stack would send this.
    let in_flight = peer.last_ack.is_some_and(|a| next > a);
    if in_flight || seg.seq != next - 1 {
        return None;
    }
    Some(verdict(
        Class::KeepAlive,
        ProbeStyle::ZeroLengthBelowUna,
        Reason::IdleOpenWindow,
        None,
    ))
}

/// Which timer sent a zero-length probe into a zero window: the persist timer (zero-window probe)
/// or the keep-alive timer (the sender filled the window exactly and has nothing queued).
/// Returns the class, the reason and the interval the decision used.
fn zero_window_timer(
    cfg: &Config,
    stream: &Stream,
    dir: usize,
    closed: WindowClosed,
    now: Timestamp,
) -> (Class, Reason, u64) {
    let me = &stream.half[dir];
    let peer = &stream.half[1 - dir];
    match me.series.filter(|s| s.closed_in == closed.packet) {
        None => {
            // Keep-alive idle time runs from the last segment received; the persist timer is
            // armed when the zero window arrives and fires after max(RTO, 200 ms).
            // Without the RTT the persist timer's delay is unknown, and a persist probe is far
            // more likely than a keep-alive after an exact fill.
            let gap = now.nanos_since(peer.last_time.unwrap_or(closed.time));
            let persist_delay_bound = stream
                .rtt_ns()
                .map(|rtt| cfg.persist_slack.saturating_mul(rtt + cfg.rto_min_ns));
            if gap < cfg.min_keepalive_idle_ns {
                (Class::ZeroWindowProbe, Reason::TooSoonForKeepAlive, gap)
            } else if persist_delay_bound.is_some_and(|bound| gap > bound) {
                (Class::KeepAlive, Reason::LongIdleInZeroWindow, gap)
            } else {
                (Class::ZeroWindowProbe, Reason::PeerWindowZero, gap)
            }
        }
        Some(s) => {
            let interval = now.nanos_since(s.last_time);
            let prev = s.last_interval_ns.max(1) as u128;
            let i = interval as u128;
            if 2 * i >= 3 * prev {
                (Class::ZeroWindowProbe, Reason::IntervalDoubled, interval)
            } else if !s.doubled
                && 5 * i >= 4 * prev
                && 4 * i <= 5 * prev
                && interval >= cfg.min_keepalive_idle_ns
                && interval < cfg.persist_cap_region_ns
            {
                (Class::KeepAlive, Reason::IntervalConstant, interval)
            } else {
                (s.class, Reason::SameSeriesAsPrevious, interval)
            }
        }
    }
}

fn update(stream: &mut Stream, dir: usize, seg: &Segment, verdict: Option<&Verdict>) {
    let now = seg.time;

    // Handshake RTT: SYN, SYN-ACK, then the SYN sender's first ACK.
    if seg.flags.syn() && !seg.flags.ack() {
        stream.syn_time = Some(now);
    } else if seg.flags.syn() {
        stream.syn_ack_seen = true;
    } else if stream.syn_ack_seen && stream.handshake_rtt_ns.is_none() && seg.flags.ack() {
        if let Some(t) = stream.syn_time {
            stream.handshake_rtt_ns = Some(now.nanos_since(t));
        }
    }

    let (first, second) = stream.half.split_at_mut(1);
    let (me, peer) = if dir == 0 {
        (&mut first[0], &mut second[0])
    } else {
        (&mut second[0], &mut first[0])
    };

    match verdict {
        Some(v) if v.answers.is_some() => peer.pending = None,
        Some(v) => {
            me.pending = Some(Pending {
                packet: seg.packet,
                seq: seg.seq,
                class: v.class,
                style: v.style,
                window_closed_in: v.window_closed_in,
                window_closed_at: peer.zero_window.map(|c| c.time),
            });
            if let (Some(closed), ProbeStyle::ZeroLengthBelowUna) = (peer.zero_window, v.style) {
                if v.peer_window_zero {
                    let previous = me.series.filter(|s| s.closed_in == closed.packet);
                    let interval = v
                        .since_previous_probe_ns
                        .unwrap_or_else(|| now.nanos_since(peer.last_time.unwrap_or(closed.time)));
                    me.series = Some(Series {
                        closed_in: closed.packet,
                        last_time: now,
                        last_interval_ns: interval,
                        class: v.class,
                        doubled: previous.is_some_and(|s| s.doubled)
                            || v.reason == Reason::IntervalDoubled,
                    });
                }
            }
        }
        None => {
            // The probed side moved on without answering, or the prober sent something else:
            // a later ACK must not be matched to a stale probe.
            peer.pending = None;
            if seg.payload_len > 0 || seg.flags.syn() || seg.flags.fin() {
                me.pending = None;
            }
        }
    }

    if seg.flags.syn() {
        me.window_scale = seg.window_scale;
    }
    if seg.flags.ack() || seg.flags.syn() {
        me.window = Some(seg.window);
        if seg.window == 0 {
            me.zero_window.get_or_insert(WindowClosed {
                packet: seg.packet,
                time: now,
            });
        } else {
            me.zero_window = None;
        }
    }

    let end = seg.seq + seg.seq_len();
    let new_data = me.next_seq.is_none_or(|n| end > n);
    if seg.payload_len > 0 && new_data && me.rtt_sample.is_none() {
        me.rtt_sample = Some((end, now));
    }
    me.next_seq = Some(me.next_seq.map_or(end, |n| n.max(end)));
    if seg.flags.fin() {
        me.fin_seq = Some(seg.seq + seg.payload_len);
    }
    if seg.flags.ack() {
        me.last_ack = Some(me.last_ack.map_or(seg.ack, |a| a.max(seg.ack)));
        if let Some((sample_end, sent)) = peer.rtt_sample {
            if seg.ack >= sample_end {
                peer.ack_delay_ns = Some(now.nanos_since(sent));
                peer.rtt_sample = None;
            }
        }
    }
    me.last_time = Some(now);
    me.last_signature = Some(Signature::from(seg));
}
