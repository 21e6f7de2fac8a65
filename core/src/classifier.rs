//! Per-connection state and the decision for each segment.
//!
//! The classifier sees segments in capture order. For each connection and direction it tracks the
//! highest sequence number sent, the highest ACK sent, the last advertised window and when that
//! window went to zero. A segment is a probe candidate when it carries no new data and sits just
//! below what the peer has acknowledged (or carries one byte into a zero window); which timer sent
//! it is then decided from the peer's window and the timing of the series.

use std::collections::{HashMap, VecDeque};

use crate::episode::{
    mismatch, notes, EndCause, Episode, EpisodeEnd, EpisodeKind, Event, Unanswered,
};
use crate::segment::{Endpoint, Segment, Timestamp};
use crate::verdict::{Class, ProbeStyle, Reason, Verdict};
use crate::SeqNumber;

const MS: u64 = 1_000_000;

/// The keep-alive settings the user expects the prober to run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveSettings {
    /// Idle time before the first keep-alive (Linux tcp_keepalive_time, 7200 s).
    pub time_ns: u64,
    /// Interval between unanswered keep-alives (Linux tcp_keepalive_intvl, 75 s).
    pub interval_ns: u64,
    /// Unanswered keep-alives before the connection is reset (Linux tcp_keepalive_probes, 9).
    pub probes: u32,
}

impl Default for KeepAliveSettings {
    fn default() -> KeepAliveSettings {
        KeepAliveSettings {
            time_ns: 7200 * 1000 * MS,
            interval_ns: 75 * 1000 * MS,
            probes: 9,
        }
    }
}

impl KeepAliveSettings {
    /// Keep-alive timers fire late, never early: timer-wheel granularity grows with the timeout
    /// (up to ~12%), and the capture point adds little. Early by more than 5% is a mismatch.
    fn matches(&self, expected_ns: u64, observed_ns: u64) -> bool {
        let lo = (expected_ns / 20 * 19).saturating_sub(50 * MS);
        let hi = expected_ns + expected_ns / 20 * 3 + 1000 * MS;
        (lo..=hi).contains(&observed_ns)
    }
}

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
    /// The probed side's rate limit on replies to out-of-window segments (Linux
    /// tcp_invalid_ratelimit, 500 ms): a probe sooner than this after its previous reply may go
    /// unanswered on purpose.
    pub invalid_ratelimit_ns: u64,
    /// What keep-alive timing to expect; series that differ are flagged.
    pub keepalive: KeepAliveSettings,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            min_keepalive_idle_ns: 900 * MS,
            rto_min_ns: 200 * MS,
            persist_slack: 3,
            duplicate_window_ns: 50 * MS,
            persist_cap_region_ns: 100_000 * MS,
            invalid_ratelimit_ns: 500 * MS,
            keepalive: KeepAliveSettings::default(),
        }
    }
}

/// The moment one side advertised a zero window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WindowClosed {
    packet: u64,
    time: Timestamp,
}

/// Most verdicts of one episode that may wait for its timing to settle. A series that gives no
/// timing evidence for this long keeps the tentative class for the rest.
const MAX_TENTATIVE: usize = 32;

/// One side's current run of probes: the episode so far plus what its timing rules need.
#[derive(Debug, Clone)]
struct Run {
    ep: Episode,
    /// Interval before the last probe (for the first probe: the gap since the peer's last
    /// segment, or since the window closed).
    last_interval_ns: u64,
    /// Class of the last probe; a probe without new evidence inherits it.
    class: Class,
    /// Whether the intervals ever doubled: a persist timer at its cap keeps a constant interval,
    /// which must then not be read as a keep-alive timer.
    doubled: bool,
    /// Whether the timing has decided the class, rather than a single gap.
    settled: bool,
    /// Verdicts waiting for the timing to settle: (packet, is the reply to a probe).
    tentative: Vec<(u64, bool)>,
    /// Whether the last probe got its reply.
    last_answered: bool,
}

impl Run {
    fn open_zero_window(&self, closed_in: u64) -> bool {
        self.ep.end.is_none()
            && self.ep.kind == EpisodeKind::ZeroWindow
            && self.ep.window_closed_in == Some(closed_in)
    }

    fn open_keepalive(&self) -> bool {
        self.ep.end.is_none() && self.ep.kind == EpisodeKind::KeepAlive
    }

    fn refresh_notes(&mut self) {
        let ep = &mut self.ep;
        let mut n =
            ep.notes & (notes::PROBES_STOPPED | notes::KEEPALIVE_ABORT | notes::RST_AFTER_REOPEN);
        if self.doubled {
            n |= notes::PERSIST_BACKOFF;
        }
        if ep.zero_window_probes > 0 && ep.answered == ep.probes() {
            n |= notes::ALL_ANSWERED;
        }
        if self.settled && self.class == Class::KeepAlive && ep.keep_alives > 1 {
            n |= notes::KEEPALIVE_CONSTANT;
        }
        if ep.keepalive_mismatch != 0 {
            n |= notes::KEEPALIVE_SETTINGS_DIFFER;
        }
        if ep.rate_limited > 0 {
            n |= notes::RATE_LIMITED_REPLIES;
        }
        if ep.no_reply > 0 {
            n |= notes::UNANSWERED_PROBES;
        }
        ep.notes = n;
    }
}

/// A probe or keep-alive still waiting for its reply.
#[derive(Debug, Clone, Copy)]
struct Pending {
    packet: u64,
    time: Timestamp,
    seq: SeqNumber,
    class: Class,
    style: ProbeStyle,
    window_closed_in: Option<u64>,
    window_closed_at: Option<Timestamp>,
    episode: Option<u64>,
    probe_number: u32,
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
    /// This side's current (or last) run of probes into the other side.
    /// Boxed: most connections never probe, and a stream that stays small stays in cache.
    run: Option<Box<Run>>,
    pending: Option<Pending>,
    /// When this side last answered a probe of the other side: its rate limit counts from there.
    last_probe_reply: Option<Timestamp>,
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

    fn direction(&self, seg: &Segment) -> Option<usize> {
        if self.ends == [seg.src, seg.dst] {
            Some(0)
        } else if self.ends == [seg.dst, seg.src] {
            Some(1)
        } else {
            None
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

    /// (sender's half, other half), mutably.
    fn halves(&mut self, dir: usize) -> (&mut Half, &mut Half) {
        let (first, second) = self.half.split_at_mut(1);
        if dir == 0 {
            (&mut first[0], &mut second[0])
        } else {
            (&mut second[0], &mut first[0])
        }
    }
}

/// Follows TCP connections and classifies each segment.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    config: Config,
    streams: HashMap<u64, Stream, foldhash::quality::RandomState>,
    last_episode: u64,
    events: VecDeque<Event>,
}

/// Where the events of one segment go.
struct Ctx<'a> {
    cfg: &'a Config,
    events: &'a mut VecDeque<Event>,
    last_episode: &'a mut u64,
}

impl Classifier {
    pub fn new(config: Config) -> Classifier {
        Classifier {
            config,
            ..Classifier::default()
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Forget every connection and episode (a new capture file). Episode ids start over.
    pub fn reset(&mut self) {
        self.streams.clear();
        self.events.clear();
        self.last_episode = 0;
    }

    /// Connections currently tracked; closed and reset ones are dropped.
    pub fn tracked_connections(&self) -> usize {
        self.streams.len()
    }

    /// The next event caused by the last segment classified, if any. Events not taken before the
    /// next call of [`classify`](Self::classify) are dropped, so memory stays bounded.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Classify one segment, in capture order, and advance the connection's state.
    pub fn classify(&mut self, seg: &Segment) -> Option<Verdict> {
        self.events.clear();
        let mut ctx = Ctx {
            cfg: &self.config,
            events: &mut self.events,
            last_episode: &mut self.last_episode,
        };
        if seg.flags.rst() {
            // A reset ends the connection and its episodes: a RST is never a probe, whatever its
            // window says.
            if let Some(mut stream) = self.streams.remove(&seg.conn) {
                if let Some(dir) = stream.direction(seg) {
                    let (me, peer) = stream.halves(dir);
                    reset_after_reopen(&mut ctx, me);
                    end_run(&mut ctx, me, peer, seg, EndCause::RstFromProber);
                    end_run(&mut ctx, peer, me, seg, EndCause::RstFromProbed);
                }
            }
            return None;
        }
        let stream = self
            .streams
            .entry(seg.conn)
            .or_insert_with(|| Stream::new(seg.src, seg.dst));
        // Start over when the caller reused a connection id for other endpoints, or when a SYN
        // that is not a retransmission of this side's own SYN opens a new connection on the same
        // port pair (a caller that ids connections by their endpoints cannot tell).
        let new_syn = |me: &Half| {
            seg.flags.syn() && !seg.flags.ack() && me.next_seq.is_some_and(|n| n != seg.seq + 1)
        };
        let dir = match stream.direction(seg) {
            Some(dir) if !new_syn(&stream.half[dir]) => dir,
            _ => {
                *stream = Stream::new(seg.src, seg.dst);
                0
            }
        };
        let me = &stream.half[dir];
        if me.last_signature == Some(Signature::from(seg))
            && me
                .last_time
                .is_some_and(|t| seg.time.nanos_since(t) < ctx.cfg.duplicate_window_ns)
        {
            return None;
        }
        let mut verdict = decide(ctx.cfg, stream, dir, seg);
        update(&mut ctx, stream, dir, seg, verdict.as_mut());
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
        let tentative = peer
            .run
            .as_ref()
            .is_some_and(|r| Some(r.ep.id) == p.episode && !r.settled);
        return Some(Verdict {
            class,
            style: p.style,
            reason: Reason::AnswersPendingProbe,
            window_closed_in: p.window_closed_in,
            answers: Some(p.packet),
            since_window_closed_ns: p.window_closed_at.map(|t| seg.time.nanos_since(t)),
            since_previous_probe_ns: None,
            peer_window_zero: seg.window == 0,
            episode: p.episode,
            probe_number: p.probe_number,
            interval_ratio_milli: None,
            tentative,
            keepalive_mismatch: 0,
        });
    }

    if seg.flags.syn() || seg.flags.fin() || !seg.flags.ack() || seg.payload_len > 1 {
        return None;
    }
    let next = me.next_seq?;
    let peer_zero = peer.window == Some(0);
    let closed = peer.zero_window.filter(|_| peer_zero);
    let verdict = |class, style, reason| Verdict {
        class,
        style,
        reason,
        window_closed_in: closed.map(|c| c.packet),
        answers: None,
        since_window_closed_ns: closed.map(|c| seg.time.nanos_since(c.time)),
        since_previous_probe_ns: None,
        peer_window_zero: peer_zero,
        episode: None,
        probe_number: 0,
        interval_ratio_milli: None,
        tentative: false,
        keepalive_mismatch: 0,
    };

    if seg.payload_len == 1 {
        let peer_ack = peer.last_ack?;
        if seg.seq == next - 1 && peer_ack == next {
            return Some(verdict(
                Class::KeepAlive,
                ProbeStyle::OneOldByte,
                Reason::OldByteOnIdleConnection,
            ));
        }
        if peer_zero && seg.seq == peer_ack {
            return Some(verdict(
                Class::ZeroWindowProbe,
                ProbeStyle::OneNewByte,
                Reason::NewByteIntoZeroWindow,
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
        let (class, reason) = zero_window_timer(cfg, stream, dir, closed, seg.time);
        return Some(verdict(class, ProbeStyle::ZeroLengthBelowUna, reason));
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
    ))
}

/// Which timer sent a zero-length probe into a zero window: the persist timer (zero-window probe)
/// or the keep-alive timer (the sender filled the window exactly and has nothing queued).
fn zero_window_timer(
    cfg: &Config,
    stream: &Stream,
    dir: usize,
    closed: WindowClosed,
    now: Timestamp,
) -> (Class, Reason) {
    let me = &stream.half[dir];
    let peer = &stream.half[1 - dir];
    match me
        .run
        .as_ref()
        .filter(|r| r.open_zero_window(closed.packet))
    {
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
                (Class::ZeroWindowProbe, Reason::TooSoonForKeepAlive)
            } else if persist_delay_bound.is_some_and(|bound| gap > bound) {
                (Class::KeepAlive, Reason::LongIdleInZeroWindow)
            } else {
                (Class::ZeroWindowProbe, Reason::PeerWindowZero)
            }
        }
        Some(r) => {
            let interval = now.nanos_since(r.ep.last_probe_at);
            let prev = r.last_interval_ns.max(1) as u128;
            let i = interval as u128;
            if 2 * i >= 3 * prev {
                (Class::ZeroWindowProbe, Reason::IntervalDoubled)
            } else if !r.doubled
                && 5 * i >= 4 * prev
                && 4 * i <= 5 * prev
                && interval >= cfg.min_keepalive_idle_ns
                && interval < cfg.persist_cap_region_ns
            {
                (Class::KeepAlive, Reason::IntervalConstant)
            } else {
                (r.class, Reason::SameSeriesAsPrevious)
            }
        }
    }
}

/// Whether a verdict with this reason rests on a single gap, so that the series' later timing
/// may overturn it.
fn tentative_reason(reason: Reason) -> bool {
    matches!(
        reason,
        Reason::PeerWindowZero | Reason::LongIdleInZeroWindow | Reason::SameSeriesAsPrevious
    )
}

fn reply_class(class: Class) -> Class {
    match class {
        Class::ZeroWindowProbe | Class::ZeroWindowProbeAck => Class::ZeroWindowProbeAck,
        Class::KeepAlive | Class::KeepAliveAck => Class::KeepAliveAck,
    }
}

/// Record that `p` got no reply. `last_reply` is when the probed side last answered a probe.
fn mark_unanswered(
    ctx: &mut Ctx,
    run: Option<&mut Run>,
    p: Pending,
    last_reply: Option<Timestamp>,
) {
    let rate_limited = last_reply
        .is_some_and(|r| p.time >= r && p.time.nanos_since(r) < ctx.cfg.invalid_ratelimit_ns);
    let likely = if rate_limited {
        Unanswered::RateLimited
    } else {
        Unanswered::NoReply
    };
    ctx.events.push_back(Event::Unanswered {
        packet: p.packet,
        likely,
    });
    if let Some(run) = run.filter(|r| Some(r.ep.id) == p.episode) {
        run.ep.unanswered_in_a_row += 1;
        match likely {
            Unanswered::RateLimited => run.ep.rate_limited += 1,
            Unanswered::NoReply => run.ep.no_reply += 1,
        }
        run.refresh_notes();
    }
}

/// A RST from a prober whose zero-window episode just ended by the window reopening, with nothing
/// sent in between: the reopened window found no socket, so the prober had given up silently.
fn reset_after_reopen(ctx: &mut Ctx, prober: &mut Half) {
    let Some(run) = prober.run.as_mut() else {
        return;
    };
    let Some(end) = run.ep.end else {
        return;
    };
    let silent_since = prober.last_time.is_none_or(|t| t <= end.time);
    if end.cause == EndCause::WindowReopened && silent_since {
        run.ep.notes |= notes::RST_AFTER_REOPEN;
        ctx.events.push_back(Event::Episode(run.ep));
    }
}

/// End `prober`'s open run, if any, at `seg`.
fn end_run(ctx: &mut Ctx, prober: &mut Half, probed: &Half, seg: &Segment, cause: EndCause) {
    let Some(run) = prober.run.as_mut().filter(|r| r.ep.end.is_none()) else {
        return;
    };
    if let Some(p) = prober.pending.filter(|p| p.episode == Some(run.ep.id)) {
        prober.pending = None;
        mark_unanswered(ctx, Some(&mut *run), p, probed.last_probe_reply);
    }
    let ep = &mut run.ep;
    ep.end = Some(EpisodeEnd {
        packet: seg.packet,
        time: seg.time,
        cause,
    });
    if cause == EndCause::WindowReopened {
        ep.window_reopened_in = Some(seg.packet);
    }
    if seg.time > ep.overdue_at && cause != EndCause::RstFromProber {
        ep.notes |= notes::PROBES_STOPPED;
    }
    if cause == EndCause::RstFromProber && ep.keep_alives > 0 && ep.unanswered_in_a_row > 0 {
        ep.notes |= notes::KEEPALIVE_ABORT;
        if ep.unanswered_in_a_row != ctx.cfg.keepalive.probes {
            ep.keepalive_mismatch |= mismatch::COUNT;
        }
    }
    run.refresh_notes();
    ctx.events.push_back(Event::Episode(run.ep));
}

/// Bookkeeping of a probe or keep-alive `v` that `me` just sent: its episode, number, interval,
/// whether it is tentative, and whether it matches the expected keep-alive settings.
fn record_probe(ctx: &mut Ctx, me: &mut Half, peer: &Half, seg: &Segment, v: &mut Verdict) {
    let now = seg.time;
    if let Some(p) = me.pending.take() {
        mark_unanswered(ctx, me.run.as_deref_mut(), p, peer.last_probe_reply);
    }
    let closed = peer.zero_window.filter(|_| v.peer_window_zero);
    let continues = me.run.as_ref().is_some_and(|r| match closed {
        Some(c) => r.open_zero_window(c.packet),
        None => r.open_keepalive(),
    });
    if !continues {
        *ctx.last_episode += 1;
        let idle = peer.last_time.map(|t| now.nanos_since(t));
        me.run = Some(Box::new(Run {
            ep: Episode {
                id: *ctx.last_episode,
                kind: if closed.is_some() {
                    EpisodeKind::ZeroWindow
                } else {
                    EpisodeKind::KeepAlive
                },
                window_closed_in: closed.map(|c| c.packet),
                window_closed_at: closed.map(|c| c.time),
                window_reopened_in: None,
                first_probe: seg.packet,
                first_probe_at: now,
                idle_before_first_ns: idle,
                last_probe: seg.packet,
                last_probe_at: now,
                last_packet: seg.packet,
                last_packet_at: now,
                zero_window_probes: 0,
                keep_alives: 0,
                answered: 0,
                unanswered_in_a_row: 0,
                rate_limited: 0,
                no_reply: 0,
                max_interval_ns: 0,
                overdue_at: now,
                end: None,
                notes: 0,
                keepalive_mismatch: 0,
            },
            // The first gap: from the peer's last segment (for a persist timer, the zero window
            // that armed it).
            last_interval_ns: idle
                .or(closed.map(|c| now.nanos_since(c.time)))
                .unwrap_or(0),
            class: v.class,
            doubled: false,
            settled: false,
            tentative: Vec::new(),
            last_answered: false,
        }));
    }
    let Some(run) = me.run.as_mut() else {
        return;
    };
    let first = !continues;
    let interval = if first {
        run.last_interval_ns
    } else {
        now.nanos_since(run.ep.last_probe_at)
    };
    if !first {
        v.since_previous_probe_ns = Some(interval);
        if run.last_interval_ns > 0 {
            let ratio = interval as u128 * 1000 / run.last_interval_ns as u128;
            v.interval_ratio_milli = Some(ratio.min(u32::MAX as u128) as u32);
        }
        run.ep.max_interval_ns = run.ep.max_interval_ns.max(interval);
    }

    // Keep-alive timing against the expected settings. After a reply the idle time starts over.
    if v.class == Class::KeepAlive {
        let ka = ctx.cfg.keepalive;
        let (expected, bit) = if first || run.last_answered {
            (ka.time_ns, mismatch::IDLE)
        } else {
            (ka.interval_ns, mismatch::INTERVAL)
        };
        let observed = if first {
            run.ep.idle_before_first_ns
        } else {
            Some(interval)
        };
        if observed.is_some_and(|o| !ka.matches(expected, o)) {
            v.keepalive_mismatch = bit;
            run.ep.keepalive_mismatch |= bit;
        }
    }

    match v.class {
        Class::KeepAlive => run.ep.keep_alives += 1,
        _ => run.ep.zero_window_probes += 1,
    }
    if v.reason == Reason::IntervalDoubled {
        run.doubled = true;
    }
    let evidence = !tentative_reason(v.reason);
    if evidence && !run.settled {
        run.settled = true;
        for (packet, is_reply) in run.tentative.drain(..) {
            ctx.events.push_back(Event::Settled {
                packet,
                class: if is_reply {
                    reply_class(v.class)
                } else {
                    v.class
                },
                reason: v.reason,
            });
        }
    }
    v.tentative = !run.settled;
    if v.tentative && run.tentative.len() < MAX_TENTATIVE {
        run.tentative.push((seg.packet, false));
    }

    let ep = &mut run.ep;
    ep.last_probe = seg.packet;
    ep.last_probe_at = now;
    ep.last_packet = seg.packet;
    ep.last_packet_at = now;
    // The next probe is due after one interval (keep-alive) or two (persist backoff, capped at
    // TCP_RTO_MAX); half as long again plus a second of slack before calling the prober silent.
    let next_due = match v.class {
        Class::KeepAlive => interval,
        _ => interval.saturating_mul(2).min(120_000 * MS),
    };
    ep.overdue_at = Timestamp(
        now.0
            .saturating_add(next_due.saturating_mul(3) / 2)
            .saturating_add(1000 * MS),
    );
    v.episode = Some(ep.id);
    v.probe_number = ep.probes();
    run.last_interval_ns = interval;
    run.class = v.class;
    run.last_answered = false;
    run.refresh_notes();
    ctx.events.push_back(Event::Episode(run.ep));

    me.pending = Some(Pending {
        packet: seg.packet,
        time: now,
        seq: seg.seq,
        class: v.class,
        style: v.style,
        window_closed_in: v.window_closed_in,
        window_closed_at: closed.map(|c| c.time),
        episode: v.episode,
        probe_number: v.probe_number,
    });
}

/// Bookkeeping of `me`'s reply `v` to the other side's pending probe.
fn record_reply(ctx: &mut Ctx, me: &mut Half, peer: &mut Half, seg: &Segment, v: &Verdict) {
    peer.pending = None;
    me.last_probe_reply = Some(seg.time);
    let Some(run) = peer
        .run
        .as_mut()
        .filter(|r| v.episode == Some(r.ep.id) && r.ep.end.is_none())
    else {
        return;
    };
    run.ep.answered += 1;
    run.ep.unanswered_in_a_row = 0;
    run.ep.last_packet = seg.packet;
    run.ep.last_packet_at = seg.time;
    run.last_answered = true;
    if v.tentative && run.tentative.len() < MAX_TENTATIVE {
        run.tentative.push((seg.packet, true));
    }
    run.refresh_notes();
    ctx.events.push_back(Event::Episode(run.ep));
}

fn update(
    ctx: &mut Ctx,
    stream: &mut Stream,
    dir: usize,
    seg: &Segment,
    verdict: Option<&mut Verdict>,
) {
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

    let (me, peer) = stream.halves(dir);
    let classified = verdict.is_some();
    match verdict {
        Some(v) if v.answers.is_some() => record_reply(ctx, me, peer, seg, v),
        Some(v) => record_probe(ctx, me, peer, seg, v),
        None => {
            // The probed side moved on without answering, or the prober sent something else:
            // a later ACK must not be matched to a stale probe.
            if let Some(p) = peer.pending.take() {
                mark_unanswered(ctx, peer.run.as_deref_mut(), p, me.last_probe_reply);
            }
            if seg.payload_len > 0 || seg.flags.syn() || seg.flags.fin() {
                if let Some(p) = me.pending.take() {
                    mark_unanswered(ctx, me.run.as_deref_mut(), p, peer.last_probe_reply);
                }
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
        } else if let Some(closed) = me.zero_window.take() {
            if peer
                .run
                .as_ref()
                .is_some_and(|r| r.open_zero_window(closed.packet))
            {
                end_run(ctx, peer, me, seg, EndCause::WindowReopened);
            }
        }
    }
    if seg.flags.fin() {
        end_run(ctx, me, peer, seg, EndCause::FinFromProber);
        end_run(ctx, peer, me, seg, EndCause::FinFromProbed);
    } else if seg.payload_len > 0 && !classified {
        if me.run.as_deref().is_some_and(Run::open_keepalive) {
            end_run(ctx, me, peer, seg, EndCause::DataResumed);
        }
        if peer.run.as_deref().is_some_and(Run::open_keepalive) {
            end_run(ctx, peer, me, seg, EndCause::DataResumed);
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
