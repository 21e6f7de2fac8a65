//! One side's run of probes and the probe waiting for its reply: the state the bookkeeping
//! ([`series`](crate::series)) keeps and the decision ([`decide`](crate::decide)) reads.

use crate::direction::{PeerWindow, WindowClosed};
use crate::episode::{notes, EndCause, Episode, EpisodeKind};
use crate::segment::{Segment, Timestamp};
use crate::timers;
use crate::verdict::{Class, ProbeStyle};
use crate::SeqNumber;

/// How a probe extends its sender's series of probes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeriesStep {
    /// The probe starts a new episode (`verdict.episode` is its new id) rather than continuing
    /// the open one.
    pub new_episode: bool,
    /// Interval before this probe; for the first probe of an episode, the gap since the peer's
    /// last segment (for a persist timer, the zero window that armed it). None when the capture
    /// does not tell (a probe recognised by its reply, the capture's first segment).
    pub interval_ns: Option<u64>,
    /// Time since the peer's last segment, when the capture saw one.
    pub idle_ns: Option<u64>,
    /// When the peer's window closed, for a probe into a zero window.
    pub window_closed: Option<WindowClosed>,
}

/// One side's current run of probes: the episode so far plus what its timing rules need.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub ep: Episode,
    /// Interval before the last probe (for the first probe: the gap since the peer's last
    /// segment, or since the window closed); None when the capture does not tell.
    pub last_interval_ns: Option<u64>,
    /// Class of the last probe; a probe without new evidence inherits it.
    pub class: Class,
    /// Whether the intervals ever doubled (persist backoff, for the episode's notes).
    pub doubled: bool,
    /// Whether an interval between probes doubled (see
    /// [`timers::SeriesTiming::doubled_between_probes`]).
    pub doubled_between_probes: bool,
    /// Whether the timing has decided the class, rather than a single gap.
    pub settled: bool,
    /// Verdicts waiting for the timing to settle: (packet, the tentative class).
    pub tentative: Vec<(u64, Class)>,
    /// Whether the last probe got its reply.
    pub last_answered: bool,
}

impl Run {
    pub fn start(id: u64, seg: &Segment, step: &SeriesStep, class: Class) -> Run {
        let closed = step.window_closed;
        Run {
            ep: Episode {
                window_closed_in: closed.map(|c| c.packet),
                window_closed_at: closed.map(|c| c.time),
                idle_before_first_ns: step.idle_ns,
                ..Episode::begin(
                    id,
                    // A persist probe into a window the capture cut meets a zero window too.
                    if closed.is_some() || class == Class::ZeroWindowProbe {
                        EpisodeKind::ZeroWindow
                    } else {
                        EpisodeKind::KeepAlive
                    },
                    seg.packet,
                    seg.time,
                )
            },
            last_interval_ns: step.interval_ns,
            class,
            doubled: false,
            doubled_between_probes: false,
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

    /// Open, and not tied to a window closing the capture saw: a keep-alive series, or probes
    /// into a window the capture cut. Data flowing again ends it.
    pub fn open_without_closing(&self) -> bool {
        self.ep.end.is_none() && self.ep.window_closed_in.is_none()
    }

    pub fn open_keepalive(&self) -> bool {
        self.ep.end.is_none() && self.ep.kind == EpisodeKind::KeepAlive
    }

    /// The series timing the interval rules need.
    pub fn timing(&self) -> timers::SeriesTiming {
        timers::SeriesTiming {
            last_interval_ns: self.last_interval_ns,
            doubled_between_probes: self.doubled_between_probes,
            class: self.class,
        }
    }

    pub fn refresh_notes(&mut self) {
        let ep = &mut self.ep;
        let mut n = ep.notes
            & (notes::PROBES_STOPPED
                | notes::KEEPALIVE_ABORT
                | notes::RST_AFTER_REOPEN
                | notes::BEGAN_BEFORE_CAPTURE);
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
    /// The probed side sent something since (then a segment of it like its previous one is no
    /// reply to this probe but a capture duplicate).
    pub probed_sent_since: bool,
}

impl Pending {
    pub fn answered_by(&self, ack: SeqNumber) -> bool {
        match self.style {
            // The receiver acks what it had: SND.UNA, one past the probe's sequence number.
            ProbeStyle::ZeroLengthBelowUna | ProbeStyle::OneOldByte => ack == self.seq + 1,
            // The probe byte is either refused (ack stays) or accepted (ack + 1).
            ProbeStyle::OneNewByte => ack == self.seq || ack == self.seq + 1,
            // In the window: the receiver takes it without a reply.
            ProbeStyle::UrgentAtUna => false,
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
    /// This side's last segment, when it was a zero-length ACK that could not be judged because
    /// nothing had told its SND.UNA yet (the capture began mid-stream, before any ACK of the
    /// other side). The other side's next segment may still show it was a probe.
    pub unjudged: Option<Unjudged>,
}

/// A zero-length ACK sent before anything told its sender's SND.UNA: a probe if the other side's
/// reply acknowledges one past its sequence number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unjudged {
    pub packet: u64,
    pub time: Timestamp,
    pub seq: SeqNumber,
}

impl Probing {
    pub const NONE: Probing = Probing {
        run: None,
        pending: None,
        last_probe_reply: None,
        unjudged: None,
    };

    /// Nothing a later segment needs: no open run, no probe waiting, nothing unjudged. (When
    /// this side last answered a probe matters only while the other side probes.)
    pub fn is_idle(&self) -> bool {
        // A run that ended by the window reopening is kept until its prober sends again: a RST
        // then tells that it had aborted silently.
        self.pending.is_none()
            && self.unjudged.is_none()
            && self.run.as_ref().is_none_or(|r| {
                r.ep.end
                    .is_some_and(|e| e.cause != EndCause::WindowReopened)
            })
    }

    /// The run a probe into `window` continues: into a zero window, the run into that closing;
    /// into an open one, the keep-alive series; into an unknown one, whichever run is open.
    pub fn continued_run(&self, window: PeerWindow) -> Option<&Run> {
        self.run.as_deref().filter(|r| match window {
            PeerWindow::Zero(c) => r.open_zero_window(c.packet),
            PeerWindow::Open => r.open_keepalive(),
            PeerWindow::Unknown => r.ep.end.is_none(),
        })
    }
}
