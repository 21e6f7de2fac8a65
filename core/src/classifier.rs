//! The classifier: follows each connection and hands every segment to the decision and then to
//! the bookkeeping, in that order. Data flows one way: [`decide`] reads the state and returns a
//! verdict; [`series`](crate::series) and the trackers update the state from it.
//!
//! Where things live: [`config`](crate::config) holds every tunable; [`direction`](crate::direction)
//! tracks what one side sends; [`rtt`](crate::rtt) estimates the round trip; [`timers`](crate::timers)
//! models the persist and keep-alive timers; [`decide`](crate::decide) maps each
//! [`Reason`](crate::Reason) to its rule; [`series`](crate::series) keeps runs and episodes.

use std::collections::VecDeque;

use crate::config::Config;
use crate::decide::{decide, recognise, Decision};
use crate::episode::{notes, EndCause, Event};
use crate::run::Unjudged;
use crate::segment::{Segment, TcpFlags, Timestamp};
use crate::series::{self, Ctx};
use crate::stream::{pair_mut, Stream};
use crate::table::Streams;
use crate::verdict::Verdict;

/// Follows TCP connections and classifies each segment.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    config: Config,
    streams: Streams,
    evicted: u64,
    last_episode: u64,
    events: VecDeque<Event>,
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
        self.evicted = 0;
    }

    /// Forget every connection but keep counting episodes and evictions: what a caller does
    /// after a panic left the state half-updated. Later segments start over as in a capture that
    /// begins mid-stream.
    pub fn forget_connections(&mut self) {
        self.streams.clear();
        self.events.clear();
    }

    /// Connections currently tracked; closed and reset ones are dropped, and beyond
    /// [`Config::max_connections`] the least recently active ones.
    pub fn tracked_connections(&self) -> usize {
        self.streams.len()
    }

    /// Connections forgotten to stay within [`Config::max_connections`], since the last reset.
    pub fn evicted_connections(&self) -> u64 {
        self.evicted
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
            evicted: &mut self.evicted,
        };
        if seg.flags.rst() {
            // A reset ends the connection and its episodes: a RST is never a probe, whatever its
            // window says.
            if let Some(mut stream) = self.streams.remove(seg.conn) {
                if let (Some(dir), Some(extra)) = (stream.direction(seg), stream.extra.as_mut()) {
                    let last_sent = stream.dir[dir].last_time();
                    let (me, peer) = pair_mut(&mut extra.probing, dir);
                    series::reset_after_reopen(&mut ctx, me, last_sent);
                    series::end_run(&mut ctx, me, peer, seg, EndCause::RstFromProber);
                    series::end_run(&mut ctx, peer, me, seg, EndCause::RstFromProbed);
                }
            }
            return None;
        }
        let limit = self.config.max_connections.clamp(1, Streams::MAX);
        if self.streams.len() >= limit && !self.streams.contains(seg.conn) {
            evict(&mut self.streams, &mut ctx, seg);
        }
        let stream = self
            .streams
            .get_or_insert_with(seg.conn, || Stream::new(seg.src, seg.dst));
        // Start over when the caller reused a connection id for other endpoints, or when a SYN
        // that is not a retransmission of this side's own SYN opens a new connection on the same
        // port pair (a caller that ids connections by their endpoints cannot tell).
        let new_syn = |stream: &Stream, dir: usize| {
            seg.flags.syn()
                && !seg.flags.ack()
                && stream.dir[dir].next_seq().is_some_and(|n| n != seg.seq + 1)
        };
        let dir = match stream.direction(seg) {
            Some(dir) if !new_syn(stream, dir) => dir,
            _ => {
                *stream = Stream::new(seg.src, seg.dst);
                0
            }
        };
        // A segment identical to this side's previous one is the same frame seen twice, unless
        // the other side probed in between and this answers it: a reply that keeps the window
        // closed repeats the segment that closed it, often within milliseconds.
        let answers_newer_probe = stream
            .probing(1 - dir)
            .pending
            .is_some_and(|p| p.answered_by(seg.ack) && !p.probed_sent_since);
        if !answers_newer_probe && stream.dir[dir].is_capture_duplicate(ctx.cfg, seg) {
            return None;
        }
        if let Some((u, found)) = recognise(stream, dir, seg, *ctx.last_episode + 1) {
            record_recognised(&mut ctx, stream, dir, seg, u, &found);
        }
        let decision = decide(ctx.cfg, stream, dir, seg, *ctx.last_episode + 1);
        #[cfg(feature = "panic-switch")]
        crate::panic_switch::maybe_panic(seg.packet);
        update(&mut ctx, stream, dir, seg, decision.as_ref());
        if stream.finished() {
            self.streams.remove(seg.conn);
        }
        decision.map(|d| d.verdict)
    }
}

/// Bookkeeping of the other side's segment `u`, which `seg` (sent in direction `dir`) just showed
/// to be a probe whose decision is `found`: reported, then recorded as if decided in its time.
fn record_recognised(
    ctx: &mut Ctx,
    stream: &mut Stream,
    dir: usize,
    seg: &Segment,
    u: Unjudged,
    found: &Decision,
) {
    let Some(step) = found.step.as_ref() else {
        return;
    };
    ctx.events.push_back(Event::Recognised {
        packet: u.packet,
        at: u.time,
        by: seg.packet,
        verdict: found.verdict,
    });
    let probe = Segment {
        packet: u.packet,
        time: u.time,
        src: seg.dst,
        dst: seg.src,
        seq: u.seq,
        ack: seg.seq,
        flags: TcpFlags(TcpFlags::ACK),
        window_scale: None,
        payload_len: 0,
        ..*seg
    };
    let (prober, probed) = pair_mut(&mut stream.extra_mut().probing, 1 - dir);
    prober.unjudged = None;
    series::record_probe(ctx, prober, probed, &probe, &found.verdict, step);
    if let Some(run) = prober.run.as_mut() {
        run.ep.notes |= notes::BEGAN_BEFORE_CAPTURE;
        run.refresh_notes();
    }
}

/// Advance `stream`'s state by `seg`, sent in direction `dir`, whose decision is `decision`.
fn update(
    ctx: &mut Ctx,
    stream: &mut Stream,
    dir: usize,
    seg: &Segment,
    decision: Option<&Decision>,
) {
    stream.observe_round_trip(dir, seg);

    // A zero-length ACK before any ACK of the peer cannot be judged now; the peer's next
    // segment may show what it was.
    let unjudged =
        decision.is_none() && seg.is_pure_ack() && stream.dir[1 - dir].last_ack().is_none();
    if decision.is_some() || unjudged {
        stream.extra_mut();
    }
    if let Some(extra) = stream.extra.as_mut() {
        let (me, peer) = pair_mut(&mut extra.probing, dir);
        me.unjudged = unjudged.then_some(Unjudged {
            packet: seg.packet,
            time: seg.time,
            seq: seg.seq,
        });
        // The peer's own unjudged segment is answerable by this side's next segment only.
        peer.unjudged = None;
        match decision {
            Some(Decision {
                verdict,
                step: Some(step),
            }) => series::record_probe(ctx, me, peer, seg, verdict, step),
            Some(Decision { verdict, .. }) => series::record_reply(ctx, me, peer, seg, verdict),
            None => series::drop_stale(ctx, me, peer, seg),
        }
        if let Some(p) = peer.pending.as_mut() {
            p.probed_sent_since = true;
        }
    }

    if let Some(closed) = stream.observe_window(dir, seg) {
        if let Some(extra) = stream.extra.as_mut() {
            let (me, peer) = pair_mut(&mut extra.probing, dir);
            if peer
                .run
                .as_ref()
                .is_some_and(|r| r.open_zero_window(closed.packet))
            {
                series::end_run(ctx, peer, me, seg, EndCause::WindowReopened);
            }
        }
    }
    if let Some(extra) = stream.extra.as_mut() {
        let (me, peer) = pair_mut(&mut extra.probing, dir);
        if seg.flags.fin() {
            series::end_run(ctx, me, peer, seg, EndCause::FinFromProber);
            series::end_run(ctx, peer, me, seg, EndCause::FinFromProbed);
        } else if seg.payload_len > 0 && decision.is_none() {
            if me.run.as_deref().is_some_and(|r| r.open_without_closing()) {
                series::end_run(ctx, me, peer, seg, EndCause::DataResumed);
            }
            if peer
                .run
                .as_deref()
                .is_some_and(|r| r.open_without_closing())
            {
                series::end_run(ctx, peer, me, seg, EndCause::DataResumed);
            }
        }
        // A run that ended before this segment of its prober has nothing more to tell.
        if me.pending.is_none()
            && me
                .run
                .as_ref()
                .is_some_and(|r| r.ep.end.is_some_and(|e| e.packet != seg.packet))
        {
            me.run = None;
        }
    }

    stream.dir[dir].observe_sequence(seg);
    stream.release_idle_extra();
}

/// Make room for one more connection: forget the least recently active eighth of them (at least
/// one), so that eviction costs a pass over the table once per many new connections. Their
/// open episodes end as evicted; their later segments start over, as in a capture that begins
/// mid-stream, so nothing about them is wrongly sure.
fn evict(streams: &mut Streams, ctx: &mut Ctx, seg: &Segment) {
    let mut by_activity: Vec<(Timestamp, u64)> = streams
        .iter()
        .map(|(conn, s)| (s.last_activity(), conn))
        .collect();
    let n = (by_activity.len() / 8).max(1);
    by_activity.select_nth_unstable(n - 1);
    for &(_, conn) in &by_activity[..n] {
        let Some(mut stream) = streams.remove(conn) else {
            continue;
        };
        if let Some(extra) = stream.extra.as_mut() {
            for dir in 0..2 {
                let (me, peer) = pair_mut(&mut extra.probing, dir);
                series::end_run(ctx, me, peer, seg, EndCause::Evicted);
            }
        }
    }
    *ctx.evicted = ctx.evicted.saturating_add(n as u64);
    ctx.events.push_back(Event::Evicted {
        connections: n as u64,
        total: *ctx.evicted,
    });
}
