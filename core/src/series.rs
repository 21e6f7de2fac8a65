//! Bookkeeping of one side's probes: the current run (its [`Episode`]), the probe still waiting
//! for a reply, and how a run ends. It consumes the verdicts [`decide`](crate::decide) returns and
//! emits [`Event`]s; it never changes a verdict.
//!
//! [`Event`]: crate::Event

use std::collections::VecDeque;

use crate::config::Config;
use crate::direction::WindowClosed;
use crate::episode::{
    mismatch, notes, EndCause, Episode, EpisodeEnd, EpisodeKind, Event, Unanswered,
};
use crate::segment::{Segment, Timestamp};
use crate::timers;
use crate::verdict::{Class, ProbeStyle, Reason, Verdict};
use crate::SeqNumber;

/// Most verdicts of one episode that may wait for its timing to settle. A series that gives no
/// timing evidence for this long keeps the tentative class for the rest.
const MAX_TENTATIVE: usize = 32;

/// How a probe extends its sender's series of probes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeriesStep {
    /// The probe starts a new episode (`verdict.episode` is its new id) rather than continuing
    /// the open one.
    pub new_episode: bool,
    /// Interval before this probe; for the first probe of an episode, the gap since the peer's
    /// last segment (for a persist timer, the zero window that armed it).
    pub interval_ns: u64,
    /// Time since the peer's last segment, when the capture saw one.
    pub idle_ns: Option<u64>,
    /// When the peer's window closed, for a probe into a zero window.
    pub window_closed: Option<WindowClosed>,
}

/// Where the events of one segment go.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub events: &'a mut VecDeque<Event>,
    pub last_episode: &'a mut u64,
}

/// One side's current run of probes: the episode so far plus what its timing rules need.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub ep: Episode,
    /// Interval before the last probe (for the first probe: the gap since the peer's last
    /// segment, or since the window closed).
    pub last_interval_ns: u64,
    /// Class of the last probe; a probe without new evidence inherits it.
    pub class: Class,
    /// Whether the intervals ever doubled (see [`timers::SeriesTiming::doubled`]).
    pub doubled: bool,
    /// Whether the timing has decided the class, rather than a single gap.
    pub settled: bool,
    /// Verdicts waiting for the timing to settle: (packet, is the reply to a probe).
    tentative: Vec<(u64, bool)>,
    /// Whether the last probe got its reply.
    pub last_answered: bool,
}

impl Run {
    fn start(id: u64, seg: &Segment, step: &SeriesStep, class: Class) -> Run {
        let closed = step.window_closed;
        Run {
            ep: Episode {
                id,
                kind: if closed.is_some() {
                    EpisodeKind::ZeroWindow
                } else {
                    EpisodeKind::KeepAlive
                },
                window_closed_in: closed.map(|c| c.packet),
                window_closed_at: closed.map(|c| c.time),
                window_reopened_in: None,
                first_probe: seg.packet,
                first_probe_at: seg.time,
                idle_before_first_ns: step.idle_ns,
                last_probe: seg.packet,
                last_probe_at: seg.time,
                last_packet: seg.packet,
                last_packet_at: seg.time,
                zero_window_probes: 0,
                keep_alives: 0,
                answered: 0,
                unanswered_in_a_row: 0,
                rate_limited: 0,
                no_reply: 0,
                max_interval_ns: 0,
                overdue_at: seg.time,
                end: None,
                notes: 0,
                keepalive_mismatch: 0,
            },
            last_interval_ns: step.interval_ns,
            class,
            doubled: false,
            settled: false,
            tentative: Vec::new(),
            last_answered: false,
        }
    }

    pub fn open_zero_window(&self, closed_in: u64) -> bool {
        self.ep.end.is_none()
            && self.ep.kind == EpisodeKind::ZeroWindow
            && self.ep.window_closed_in == Some(closed_in)
    }

    pub fn open_keepalive(&self) -> bool {
        self.ep.end.is_none() && self.ep.kind == EpisodeKind::KeepAlive
    }

    /// The series timing the interval rules need.
    pub fn timing(&self) -> timers::SeriesTiming {
        timers::SeriesTiming {
            last_interval_ns: self.last_interval_ns,
            doubled: self.doubled,
            class: self.class,
        }
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
pub(crate) struct Pending {
    pub packet: u64,
    pub time: Timestamp,
    pub seq: SeqNumber,
    pub class: Class,
    pub style: ProbeStyle,
    pub window_closed_in: Option<u64>,
    pub window_closed_at: Option<Timestamp>,
    pub episode: Option<u64>,
    pub probe_number: u32,
}

impl Pending {
    pub fn answered_by(&self, ack: SeqNumber) -> bool {
        match self.style {
            // The receiver acks what it had: SND.UNA, one past the probe's sequence number.
            ProbeStyle::ZeroLengthBelowUna | ProbeStyle::OneOldByte => ack == self.seq + 1,
            // The probe byte is either refused (ack stays) or accepted (ack + 1).
            ProbeStyle::OneNewByte => ack == self.seq || ack == self.seq + 1,
        }
    }
}

/// One side's probing: its run, its probe waiting for a reply, and when it last answered the
/// other side's probe.
#[derive(Debug, Clone, Default)]
pub(crate) struct Probing {
    /// This side's current (or last) run of probes into the other side.
    /// Boxed: most connections never probe, and a stream that stays small stays in cache.
    pub run: Option<Box<Run>>,
    pub pending: Option<Pending>,
    /// When this side last answered a probe of the other side: its rate limit counts from there.
    pub last_probe_reply: Option<Timestamp>,
}

impl Probing {
    /// The run a probe into a window closed since `closed` (or into an open window) continues.
    pub fn continued_run(&self, closed: Option<WindowClosed>) -> Option<&Run> {
        self.run.as_deref().filter(|r| match closed {
            Some(c) => r.open_zero_window(c.packet),
            None => r.open_keepalive(),
        })
    }
}

/// Record that `p` got no reply. `last_reply` is when the probed side last answered a probe.
pub(crate) fn mark_unanswered(
    ctx: &mut Ctx,
    run: Option<&mut Run>,
    p: Pending,
    last_reply: Option<Timestamp>,
) {
    let likely = if timers::rate_limited(ctx.cfg, p.time, last_reply) {
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

/// Both sides' pending probes are stale once `me` sent something that is no probe or reply: the
/// probed side moved on without answering, or the prober sent something else.
pub(crate) fn drop_stale(ctx: &mut Ctx, me: &mut Probing, peer: &mut Probing, seg: &Segment) {
    if let Some(p) = peer.pending.take() {
        mark_unanswered(ctx, peer.run.as_deref_mut(), p, me.last_probe_reply);
    }
    if seg.payload_len > 0 || seg.flags.syn() || seg.flags.fin() {
        if let Some(p) = me.pending.take() {
            mark_unanswered(ctx, me.run.as_deref_mut(), p, peer.last_probe_reply);
        }
    }
}

/// A RST from a prober whose zero-window episode just ended by the window reopening, with nothing
/// sent in between: the reopened window found no socket, so the prober had given up silently.
/// `last_sent` is when the prober last sent anything.
pub(crate) fn reset_after_reopen(
    ctx: &mut Ctx,
    prober: &mut Probing,
    last_sent: Option<Timestamp>,
) {
    let Some(run) = prober.run.as_mut() else {
        return;
    };
    let Some(end) = run.ep.end else {
        return;
    };
    let silent_since = last_sent.is_none_or(|t| t <= end.time);
    if end.cause == EndCause::WindowReopened && silent_since {
        run.ep.notes |= notes::RST_AFTER_REOPEN;
        ctx.events.push_back(Event::Episode(run.ep));
    }
}

/// End `prober`'s open run, if any, at `seg`.
pub(crate) fn end_run(
    ctx: &mut Ctx,
    prober: &mut Probing,
    probed: &Probing,
    seg: &Segment,
    cause: EndCause,
) {
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

/// Bookkeeping of a probe or keep-alive `v` that `me` just sent, extending its series by `step`.
pub(crate) fn record_probe(
    ctx: &mut Ctx,
    me: &mut Probing,
    peer: &Probing,
    seg: &Segment,
    v: &Verdict,
    step: &SeriesStep,
) {
    if let Some(p) = me.pending.take() {
        mark_unanswered(ctx, me.run.as_deref_mut(), p, peer.last_probe_reply);
    }
    let id = v.episode.unwrap_or(*ctx.last_episode);
    if step.new_episode {
        *ctx.last_episode = id;
        me.run = Some(Box::new(Run::start(id, seg, step, v.class)));
    }
    let Some(run) = me.run.as_mut() else {
        return;
    };
    if !step.new_episode {
        run.ep.max_interval_ns = run.ep.max_interval_ns.max(step.interval_ns);
    }
    run.ep.keepalive_mismatch |= v.keepalive_mismatch;
    match v.class {
        Class::KeepAlive => run.ep.keep_alives += 1,
        _ => run.ep.zero_window_probes += 1,
    }
    if v.reason == Reason::IntervalDoubled {
        run.doubled = true;
    }
    if !v.tentative && !run.settled {
        // The first verdict with timing evidence decides the earlier tentative ones.
        run.settled = true;
        for (packet, is_reply) in run.tentative.drain(..) {
            ctx.events.push_back(Event::Settled {
                packet,
                class: if is_reply { v.class.reply() } else { v.class },
                reason: v.reason,
            });
        }
    }
    if v.tentative && run.tentative.len() < MAX_TENTATIVE {
        run.tentative.push((seg.packet, false));
    }

    let ep = &mut run.ep;
    ep.last_probe = seg.packet;
    ep.last_probe_at = seg.time;
    ep.last_packet = seg.packet;
    ep.last_packet_at = seg.time;
    ep.overdue_at = timers::overdue_at(ctx.cfg, v.class, seg.time, step.interval_ns);
    run.last_interval_ns = step.interval_ns;
    run.class = v.class;
    run.last_answered = false;
    run.refresh_notes();
    ctx.events.push_back(Event::Episode(run.ep));

    me.pending = Some(Pending {
        packet: seg.packet,
        time: seg.time,
        seq: seg.seq,
        class: v.class,
        style: v.style,
        window_closed_in: v.window_closed_in,
        window_closed_at: step.window_closed.map(|c| c.time),
        episode: v.episode,
        probe_number: v.probe_number,
    });
}

/// Bookkeeping of `me`'s reply `v` to the other side's pending probe.
pub(crate) fn record_reply(
    ctx: &mut Ctx,
    me: &mut Probing,
    peer: &mut Probing,
    seg: &Segment,
    v: &Verdict,
) {
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
