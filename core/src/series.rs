//! Bookkeeping of one side's probes: the current run (its [`Episode`]), the probe still waiting
//! for a reply, and how a run ends. It consumes the verdicts [`decide`](crate::decide) returns and
//! emits [`Event`]s; it never changes a verdict.
//!
//! [`Event`]: crate::Event

use std::collections::VecDeque;

use crate::config::Config;
use crate::episode::{mismatch, notes, EndCause, EpisodeEnd, Event, Unanswered};
use crate::run::{Pending, Probing, Run, SeriesStep};
use crate::segment::{Segment, Timestamp};
use crate::timers;
use crate::verdict::{Class, ProbeStyle, Reason, Verdict};

/// Most verdicts of one episode that may wait for its timing to settle. A series that gives no
/// timing evidence for this long keeps the tentative class for the rest.
const MAX_TENTATIVE: usize = 32;

/// Where the events of one segment go.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub events: &'a mut VecDeque<Event>,
    pub last_episode: &'a mut u64,
    /// Connections evicted so far.
    pub evicted: &'a mut u64,
}

/// Record that `p` got no reply. `last_reply` is when the probed side last answered a probe.
pub(crate) fn mark_unanswered(
    ctx: &mut Ctx,
    run: Option<&mut Run>,
    p: Pending,
    last_reply: Option<Timestamp>,
) {
    // An urgent probe lies inside the window: no reply was due, rate limit or not.
    let urgent = p.style == ProbeStyle::UrgentAtUna;
    let likely = if !urgent && timers::rate_limited(ctx.cfg, p.time, last_reply) {
        Unanswered::RateLimited
    } else {
        Unanswered::NoReply
    };
    ctx.events.push_back(Event::Unanswered {
        packet: p.packet,
        likely,
    });
    if let Some(run) = run.filter(|r| Some(r.ep.id) == p.episode) {
        run.ep.unanswered_in_a_row = run.ep.unanswered_in_a_row.saturating_add(1);
        match likely {
            Unanswered::RateLimited => run.ep.rate_limited = run.ep.rate_limited.saturating_add(1),
            Unanswered::NoReply => run.ep.no_reply = run.ep.no_reply.saturating_add(1),
        }
        run.refresh_notes();
        // A probe kept past its sender's FIN (see `end_run`) is found unanswered after its
        // episode ended: the ended episode's summary changes.
        if run.ep.end.is_some() {
            ctx.events.push_back(Event::Episode(run.ep));
        }
    }
}

/// Both sides' pending probes are stale once `me` sent something that is no probe or reply: the
/// probed side moved on without answering, or the prober sent something else.
pub(crate) fn drop_stale(ctx: &mut Ctx, me: &mut Probing, peer: &mut Probing, seg: &Segment) {
    if let Some(p) = peer.pending.take() {
        mark_unanswered(ctx, peer.run.as_deref_mut(), p, me.last_probe_reply);
    }
    // The prober's own FIN does not make its probe stale: the reply may still come, carrying
    // the FIN's sequence number as its ACK (it was sent before the FIN arrived).
    if seg.payload_len > 0 || seg.flags.syn() {
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
    let reply_may_follow = cause == EndCause::FinFromProber;
    if let Some(p) = prober
        .pending
        .filter(|p| p.episode == Some(run.ep.id) && !reply_may_follow)
    {
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
        run.ep.max_interval_ns = run.ep.max_interval_ns.max(step.interval_ns.unwrap_or(0));
    }
    run.ep.keepalive_mismatch |= v.keepalive_mismatch;
    match v.class {
        Class::KeepAlive => run.ep.keep_alives = run.ep.keep_alives.saturating_add(1),
        _ => run.ep.zero_window_probes = run.ep.zero_window_probes.saturating_add(1),
    }
    if v.reason == Reason::IntervalDoubled {
        run.doubled = true;
        run.doubled_between_probes |= v.probe_number > 2;
    }
    if !v.tentative && !run.settled {
        // The first verdict with timing evidence decides the earlier tentative ones.
        run.settled = true;
        // A keep-alive reading that did not stand leaves no keep-alive settings note.
        if v.class != Class::KeepAlive {
            run.ep.keepalive_mismatch = 0;
        }
        for (packet, was) in run.tentative.drain(..) {
            let is_reply = matches!(was, Class::ZeroWindowProbeAck | Class::KeepAliveAck);
            let class = if is_reply { v.class.reply() } else { v.class };
            // The episode counted the probe as its tentative class.
            if !is_reply && was != class {
                match was {
                    Class::KeepAlive => run.ep.keep_alives = run.ep.keep_alives.saturating_sub(1),
                    _ => run.ep.zero_window_probes = run.ep.zero_window_probes.saturating_sub(1),
                }
                match class {
                    Class::KeepAlive => run.ep.keep_alives = run.ep.keep_alives.saturating_add(1),
                    _ => run.ep.zero_window_probes = run.ep.zero_window_probes.saturating_add(1),
                }
            }
            ctx.events.push_back(Event::Settled {
                packet,
                class,
                reason: v.reason,
            });
        }
    }
    if v.tentative && run.tentative.len() < MAX_TENTATIVE {
        run.tentative.push((seg.packet, v.class));
    }

    let ep = &mut run.ep;
    ep.last_probe = seg.packet;
    ep.last_probe_at = seg.time;
    ep.last_packet = seg.packet;
    ep.last_packet_at = seg.time;
    // Without a known interval, the longest a persist timer waits.
    let basis = step.interval_ns.unwrap_or(ctx.cfg.rto_max_ns);
    ep.overdue_at = timers::overdue_at(ctx.cfg, v.class, seg.time, basis);
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
        probed_sent_since: false,
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
        .filter(|r| v.episode == Some(r.ep.id))
        .filter(|r| r.ep.end.is_none_or(|e| e.cause == EndCause::FinFromProber))
    else {
        return;
    };
    run.ep.answered = run.ep.answered.saturating_add(1);
    run.ep.unanswered_in_a_row = 0;
    run.ep.last_packet = seg.packet;
    run.ep.last_packet_at = seg.time;
    run.last_answered = true;
    if v.tentative && run.tentative.len() < MAX_TENTATIVE {
        run.tentative.push((seg.packet, v.class));
    }
    run.refresh_notes();
    ctx.events.push_back(Event::Episode(run.ep));
}
