//! The decision: one function, [`decide`], reads a connection's state and returns a segment's
//! verdict whole. Nothing changes a verdict after it; bookkeeping ([`crate::series`]) only
//! consumes it. A tentative verdict can later be settled by the series' timing, which the
//! classifier reports as a separate [`Event::Settled`](crate::Event::Settled).
//!
//! Each [`Reason`] and the rule that produces it, in the order [`decide`] tries them:
//!
//! | Reason | Rule | Where |
//! |---|---|---|
//! | [`AnswersPendingProbe`](Reason::AnswersPendingProbe) | a pure ACK whose ack number answers the other side's pending probe (SND.UNA for a zero-length probe, ack or ack+1 for a one-byte probe), not itself at SND.UNA-1 of its own sender (that is its own keep-alive) | [`reply`] |
//! | [`OldByteOnIdleConnection`](Reason::OldByteOnIdleConnection) | one byte at SND.NXT-1 that the peer has already acknowledged | [`probe`] |
//! | [`NewByteIntoZeroWindow`](Reason::NewByteIntoZeroWindow) | one byte at the peer's ACK while the peer's window is zero | [`probe`] |
//! | [`UrgentBehindZeroWindow`](Reason::UrgentBehindZeroWindow) | a zero-length segment with URG at SND.UNA into a zero window (urgent data queued: Linux sends it before the usual probe) | [`probe`] |
//! | [`TooSoonForKeepAlive`](Reason::TooSoonForKeepAlive) | first zero-length probe at SND.UNA-1 into a zero window, sooner after the peer's last segment than `min_keepalive_idle_ns` | [`timers::first_probe`] |
//! | [`LongIdleInZeroWindow`](Reason::LongIdleInZeroWindow) | the same, but later than `persist_slack` × (RTT + `rto_min_ns`): the keep-alive timer | [`timers::first_probe`] |
//! | [`PeerWindowZero`](Reason::PeerWindowZero) | the same, in between (or with the RTT unknown): the persist timer | [`timers::first_probe`] |
//! | [`IntervalDoubled`](Reason::IntervalDoubled) | a later probe of the zero-window series, its interval at least `doubled_at_least` × the previous one (at the second probe: × the gap before the first, tentative) | [`timers::next_probe`] |
//! | [`IntervalConstant`](Reason::IntervalConstant) | the interval within `constant_within` of the previous one, at least `min_keepalive_idle_ns`, below `persist_cap_region` (a fraction) of `rto_max_ns`, in a series whose intervals between probes never doubled | [`timers::next_probe`] |
//! | [`SameSeriesAsPrevious`](Reason::SameSeriesAsPrevious) | any other later probe of the series: the previous probe's class | [`timers::next_probe`] |
//! | [`IdleOpenWindow`](Reason::IdleOpenWindow) | a zero-length segment at SND.NXT-1 with the peer's window open and nothing in flight | [`probe`] |
//! | [`RecognisedByReply`](Reason::RecognisedByReply) | an earlier zero-length ACK, sent before anything told its sender's SND.UNA, that the peer's first ACK acknowledges one past: a zero-window probe if that ACK's window is zero (tentative), else a keep-alive | [`recognise`] |
//!
//! A verdict whose reason rests on one gap ([`timers::tentative`]) is tentative until a probe of
//! the same series brings timing evidence.

use crate::config::Config;
use crate::direction::{PeerWindow, WindowClosed};
use crate::run::{SeriesStep, Unjudged};
use crate::segment::{Segment, Timestamp};
use crate::stream::Stream;
use crate::timers;
use crate::verdict::{Class, ProbeStyle, Reason, Verdict};

/// A verdict plus what the bookkeeping of a probe needs that the verdict does not carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    pub verdict: Verdict,
    /// For probes (not replies): how the probe extends its sender's series.
    pub step: Option<SeriesStep>,
}

/// The verdict for `seg`, sent in direction `dir` of `stream`, or `None` for a segment that is
/// neither a probe nor a reply to one. `next_episode` is the id a new episode would get.
pub(crate) fn decide(
    cfg: &Config,
    stream: &Stream,
    dir: usize,
    seg: &Segment,
    next_episode: u64,
) -> Option<Decision> {
    if let Some(verdict) = reply(stream, dir, seg) {
        return Some(Decision {
            verdict,
            step: None,
        });
    }
    let (class, style, reason) = probe(cfg, stream, dir, seg)?;
    Some(in_series(
        cfg,
        stream,
        dir,
        seg,
        next_episode,
        class,
        style,
        reason,
    ))
}

/// A reply to the other side's pending probe?
fn reply(stream: &Stream, dir: usize, seg: &Segment) -> Option<Verdict> {
    let peer = &stream.probing(1 - dir);
    // A reply is sent at its sender's SND.NXT, which the prober has acknowledged; a segment one
    // below that is this side's own probe (its keep-alive while the other side probes it), even
    // when its ACK number is the one a reply would carry.
    let own_probe = stream.dir[1 - dir]
        .last_ack()
        .is_some_and(|a| seg.seq == a - 1);
    let p = peer
        .pending
        .filter(|p| seg.is_pure_ack() && !own_probe && p.answered_by(seg.ack))?;
    let tentative = peer
        .run
        .as_ref()
        .is_some_and(|r| Some(r.ep.id) == p.episode && !r.settled);
    Some(Verdict {
        class: p.class.reply(),
        style: p.style,
        reason: Reason::AnswersPendingProbe,
        window_closed_in: p.window_closed_in,
        answers: Some(p.packet),
        since_window_closed_ns: p.window_closed_at.map(|t| seg.time.nanos_since(t)),
        since_previous_probe_ns: None,
        peer_window_zero: seg.window.map(|w| w == 0),
        episode: p.episode,
        probe_number: p.probe_number,
        interval_ratio_milli: None,
        tentative,
        keepalive_mismatch: 0,
    })
}

/// Whether `seg` is shaped like a probe, and if so which timer sent it.
fn probe(
    cfg: &Config,
    stream: &Stream,
    dir: usize,
    seg: &Segment,
) -> Option<(Class, ProbeStyle, Reason)> {
    let me = &stream.dir[dir];
    let peer = &stream.dir[1 - dir];
    if seg.flags.syn() || seg.flags.fin() || !seg.flags.ack() || seg.payload_len > 1 {
        return None;
    }
    // SND.NXT: at least what this side sent, and at least what the peer has acknowledged (in a
    // capture that began mid-stream this side's first segment may be a probe below it).
    let next = match (me.next_seq(), peer.last_ack()) {
        (Some(n), Some(a)) => n.max(a),
        (n, a) => n.or(a)?,
    };
    let window = stream.window_state(1 - dir);

    if seg.payload_len == 1 {
        let peer_ack = peer.last_ack()?;
        if seg.seq == next - 1 && peer_ack == next {
            return Some((
                Class::KeepAlive,
                ProbeStyle::OneOldByte,
                Reason::OldByteOnIdleConnection,
            ));
        }
        if window.is_zero() == Some(true) && seg.seq == peer_ack {
            return Some((
                Class::ZeroWindowProbe,
                ProbeStyle::OneNewByte,
                Reason::NewByteIntoZeroWindow,
            ));
        }
        return None;
    }

    // Zero length: a probe sits at SND.UNA-1, just below what the peer has acknowledged. Without
    // any ACK from the peer yet, fall back to the sender's own SND.NXT.
    let una = peer.last_ack().unwrap_or(next);
    // With urgent data queued (SND.UP above SND.UNA), Linux's tcp_write_wakeup sends a first probe
    // at SND.UNA with URG, then the usual one; the kernel counts both. An ordinary ACK carries
    // URG only while urgent data is unacknowledged, so with the window closed this is the probe.
    if seg.flags.urg() && peer.last_ack() == Some(seg.seq) && window.closed().is_some() {
        return Some((
            Class::ZeroWindowProbe,
            ProbeStyle::UrgentAtUna,
            Reason::UrgentBehindZeroWindow,
        ));
    }
    if seg.seq != una - 1 && seg.seq != next - 1 {
        return None;
    }
    // After a FIN, a pure ACK at the FIN's sequence number that acknowledges something new is
    // an ordinary ACK, not a probe.
    let ack_advanced = me.last_ack().is_some_and(|a| seg.ack > a);
    if ack_advanced && (me.fin_seq().is_some() || peer.fin_seq().is_some()) {
        return None;
    }

    // Neither timer sends this while data is in flight (Linux arms both only with nothing
    // outstanding); a zero window holds new data back, so nothing is in flight then either.
    let in_flight = peer.last_ack().is_some_and(|a| next > a);
    match window {
        PeerWindow::Zero(closed) => {
            if seg.seq != una - 1 {
                return None;
            }
            let (class, reason) = zero_window_timer(cfg, stream, dir, closed, seg.time);
            Some((class, ProbeStyle::ZeroLengthBelowUna, reason))
        }
        PeerWindow::Unknown => {
            if in_flight || seg.seq != una - 1 {
                return None;
            }
            let (class, reason) = unknown_window_timer(cfg, stream, dir, seg.time);
            Some((class, ProbeStyle::ZeroLengthBelowUna, reason))
        }
        PeerWindow::Open => {
            if in_flight || seg.seq != next - 1 {
                return None;
            }
            Some((
                Class::KeepAlive,
                ProbeStyle::ZeroLengthBelowUna,
                Reason::IdleOpenWindow,
            ))
        }
    }
}

/// Which timer sent a zero-length probe into a window the capture does not show: the timing
/// alone tells. Sooner after the peer's last segment than any keep-alive can come, the persist
/// timer; otherwise a keep-alive until the series' intervals say (a persist timer doubles them).
fn unknown_window_timer(
    cfg: &Config,
    stream: &Stream,
    dir: usize,
    now: Timestamp,
) -> (Class, Reason) {
    match stream.probing(dir).continued_run(PeerWindow::Unknown) {
        None => {
            let gap = stream.dir[1 - dir].last_time().map(|t| now.nanos_since(t));
            if gap.is_some_and(|g| g < cfg.min_keepalive_idle_ns) {
                (Class::ZeroWindowProbe, Reason::TooSoonForKeepAlive)
            } else {
                (Class::KeepAlive, Reason::WindowUnknown)
            }
        }
        Some(run) => timers::next_probe(cfg, run.timing(), now.nanos_since(run.ep.last_probe_at)),
    }
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
    match stream.probing(dir).continued_run(PeerWindow::Zero(closed)) {
        None => {
            let since = stream.dir[1 - dir].last_time().unwrap_or(closed.time);
            timers::first_probe(cfg, now.nanos_since(since), stream.round_trip_ns())
        }
        Some(run) => timers::next_probe(cfg, run.timing(), now.nanos_since(run.ep.last_probe_at)),
    }
}

/// Whether `seg`, sent in direction `dir`, shows that the other side's unjudged segment (see
/// [`Unjudged`]) was a probe: `seg` is a pure ACK of one past its sequence number, the first
/// segment of this side after it. Returns that segment's decision as it would have been, had its
/// SND.UNA been known; `seg` itself is then that probe's reply.
pub(crate) fn recognise(
    stream: &Stream,
    dir: usize,
    seg: &Segment,
    next_episode: u64,
) -> Option<(Unjudged, Decision)> {
    let u = stream.probing(1 - dir).unjudged?;
    if !seg.is_pure_ack() || seg.ack != u.seq + 1 {
        return None;
    }
    // The window the reply advertises is the one the probe met; where it closed, the capture
    // does not tell: the episode's window "closed" where it was first seen closed, in the reply.
    let zero = seg.window.map(|w| w == 0);
    let closed = (zero == Some(true)).then(|| {
        stream.window_state(dir).closed().unwrap_or(WindowClosed {
            packet: seg.packet,
            time: seg.time,
        })
    });
    let class = if zero == Some(true) {
        Class::ZeroWindowProbe
    } else {
        Class::KeepAlive
    };
    let verdict = Verdict {
        class,
        style: ProbeStyle::ZeroLengthBelowUna,
        reason: Reason::RecognisedByReply,
        window_closed_in: closed.map(|c| c.packet),
        answers: None,
        since_window_closed_ns: None,
        since_previous_probe_ns: None,
        peer_window_zero: zero,
        episode: Some(next_episode),
        probe_number: 1,
        interval_ratio_milli: None,
        // Into a zero window the timer is open (a keep-alive can meet a zero window too); into
        // an open one, only the keep-alive timer sends this; into an unknown one, either.
        tentative: zero != Some(false),
        keepalive_mismatch: 0,
    };
    let step = SeriesStep {
        new_episode: true,
        interval_ns: None,
        idle_ns: None,
        window_closed: closed,
    };
    Some((
        u,
        Decision {
            verdict,
            step: Some(step),
        },
    ))
}

/// The probe's place in its sender's series: episode, number, interval and its ratio, keep-alive
/// settings check, and whether the class still waits for timing evidence.
#[allow(clippy::too_many_arguments)]
fn in_series(
    cfg: &Config,
    stream: &Stream,
    dir: usize,
    seg: &Segment,
    next_episode: u64,
    class: Class,
    style: ProbeStyle,
    reason: Reason,
) -> Decision {
    let now = seg.time;
    let peer = &stream.dir[1 - dir];
    let window = stream.window_state(1 - dir);
    let closed = window.closed();
    let idle = peer.last_time().map(|t| now.nanos_since(t));
    let run = stream.probing(dir).continued_run(window);

    let (interval, since_previous, ratio) = match run {
        None => (
            idle.or(closed.map(|c| now.nanos_since(c.time)))
                .unwrap_or(0),
            None,
            None,
        ),
        Some(r) => {
            let interval = now.nanos_since(r.ep.last_probe_at);
            let ratio = r.last_interval_ns.filter(|&l| l > 0).map(|last| {
                let ratio = interval as u128 * 1000 / last as u128;
                ratio.min(u32::MAX as u128) as u32
            });
            (interval, Some(interval), ratio)
        }
    };
    let keepalive_mismatch = if class == Class::KeepAlive {
        let after_idle = run.is_none_or(|r| r.last_answered);
        timers::keepalive_mismatch(cfg, after_idle, idle, interval, run.is_none())
    } else {
        0
    };
    let probe_number = run.map_or(0, |r| r.ep.probes()).saturating_add(1);
    let settled = run.is_some_and(|r| r.settled) || !timers::tentative(reason, probe_number);
    let verdict = Verdict {
        class,
        style,
        reason,
        window_closed_in: closed.map(|c| c.packet),
        answers: None,
        since_window_closed_ns: closed.map(|c| now.nanos_since(c.time)),
        since_previous_probe_ns: since_previous,
        peer_window_zero: window.is_zero(),
        episode: Some(run.map_or(next_episode, |r| r.ep.id)),
        probe_number,
        interval_ratio_milli: ratio,
        tentative: !settled,
        keepalive_mismatch,
    };
    Decision {
        verdict,
        step: Some(SeriesStep {
            new_episode: run.is_none(),
            interval_ns: Some(interval),
            idle_ns: idle,
            window_closed: closed,
        }),
    }
}
