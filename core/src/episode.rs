//! Episodes: the story around the individual verdicts.
//!
//! A zero-window episode starts when one side advertises a zero window and the other side probes
//! it; it ends when the window reopens, when the connection ends, or with the capture. A
//! keep-alive series is the run of keep-alives one side sends into an open, idle connection; it
//! ends when data flows again or the connection ends. Both are reported as an [`Episode`], whose
//! latest snapshot the classifier hands out through [`Event::Episode`] whenever it changes.

use crate::segment::Timestamp;
use crate::verdict::{Class, Reason, Verdict};

/// What kind of run of probes an episode is.
///
/// Part of the C ABI: never renumber.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpisodeKind {
    /// Probes (or keep-alives) sent while the peer advertises a zero window.
    ZeroWindow = 1,
    /// Keep-alives on an idle connection whose peer window is open.
    KeepAlive = 2,
}

impl EpisodeKind {
    pub const ALL: [EpisodeKind; 2] = [EpisodeKind::ZeroWindow, EpisodeKind::KeepAlive];

    pub fn description(self) -> &'static str {
        match self {
            EpisodeKind::ZeroWindow => "zero-window episode",
            EpisodeKind::KeepAlive => "keep-alive series",
        }
    }
}

/// How an episode ended. An episode without an end was still open when the capture ended.
///
/// Part of the C ABI: never renumber.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndCause {
    /// The probed side advertised a non-zero window again.
    WindowReopened = 1,
    /// The probing side sent a RST.
    RstFromProber = 2,
    /// The probed side sent a RST.
    RstFromProbed = 3,
    /// The probing side sent a FIN.
    FinFromProber = 4,
    /// The probed side sent a FIN.
    FinFromProbed = 5,
    /// Data flowed again on the idle connection (keep-alive series only).
    DataResumed = 6,
    /// tcpprobe stopped following the connection: more connections than its limit
    /// ([`Config::max_connections`](crate::Config::max_connections)), this one the least
    /// recently active.
    Evicted = 7,
}

impl EndCause {
    pub const ALL: [EndCause; 7] = [
        EndCause::WindowReopened,
        EndCause::RstFromProber,
        EndCause::RstFromProbed,
        EndCause::FinFromProber,
        EndCause::FinFromProbed,
        EndCause::DataResumed,
        EndCause::Evicted,
    ];

    pub fn description(self) -> &'static str {
        match self {
            EndCause::WindowReopened => "window reopened",
            EndCause::RstFromProber => "RST from the probing side",
            EndCause::RstFromProbed => "RST from the probed side",
            EndCause::FinFromProber => "FIN from the probing side",
            EndCause::FinFromProbed => "FIN from the probed side",
            EndCause::DataResumed => "data flowed again",
            EndCause::Evicted => {
                "no longer followed: connection limit reached (this one the least recently active)"
            }
        }
    }
}

/// The end of an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpisodeEnd {
    /// The packet that ended it.
    pub packet: u64,
    pub time: Timestamp,
    pub cause: EndCause,
}

/// Why a probe got no reply, as far as the packets tell.
///
/// Part of the C ABI: never renumber.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unanswered {
    /// The probed side had answered another probe less than its rate-limit interval before
    /// (Linux answers out-of-window segments at most once per tcp_invalid_ratelimit, 500 ms).
    RateLimited = 1,
    /// No reply and no rate limit to explain it: lost, or the peer is gone.
    NoReply = 2,
}

impl Unanswered {
    pub const ALL: [Unanswered; 2] = [Unanswered::RateLimited, Unanswered::NoReply];

    /// Why a probe got no reply, as the end of a sentence ("Probe unanswered: ...").
    pub fn description(self) -> &'static str {
        match self {
            Unanswered::RateLimited => {
                "the peer answered a probe less than its rate-limit interval before (Linux: tcp_invalid_ratelimit, 500 ms)"
            }
            Unanswered::NoReply => "lost, or the peer is unreachable",
        }
    }
}

/// What the timing of an episode is consistent with: bits of [`Episode::notes`].
///
/// Part of the C ABI: never renumber.
pub mod notes {
    /// The probe interval doubled: exponential backoff of a persist timer.
    pub const PERSIST_BACKOFF: u32 = 1 << 0;
    /// Every probe was answered: a persist timer never expires while the peer answers (on Linux
    /// only TCP_USER_TIMEOUT can end such a stall).
    pub const ALL_ANSWERED: u32 = 1 << 1;
    /// The prober went quiet well before the episode ended and sent no RST: consistent with a
    /// silent abort (TCP_USER_TIMEOUT, tcp_retries2 or the orphan limit; Linux sends no RST).
    pub const PROBES_STOPPED: u32 = 1 << 2;
    /// A RST from the prober after unanswered keep-alives: the keep-alive timer gave up.
    pub const KEEPALIVE_ABORT: u32 = 1 << 3;
    /// The keep-alive interval stayed constant: a keep-alive timer (no backoff).
    pub const KEEPALIVE_CONSTANT: u32 = 1 << 4;
    /// The keep-alive timing differs from the configured expectation.
    pub const KEEPALIVE_SETTINGS_DIFFER: u32 = 1 << 5;
    /// Some probes went unanswered within the peer's rate-limit interval.
    pub const RATE_LIMITED_REPLIES: u32 = 1 << 6;
    /// Some probes got no reply at all (no rate limit explains them).
    pub const UNANSWERED_PROBES: u32 = 1 << 7;
    /// The prober answered the reopened window with a RST before sending anything else: its
    /// socket was already gone, aborted silently (TCP_USER_TIMEOUT, tcp_retries2 or the orphan
    /// limit; Linux sends no RST at that abort).
    pub const RST_AFTER_REOPEN: u32 = 1 << 8;
    /// The episode had begun before the capture: its first captured probe came before anything
    /// of the probed side, and only the reply showed what it was. Where the window closed, and
    /// how long the prober had waited, the capture does not tell.
    pub const BEGAN_BEFORE_CAPTURE: u32 = 1 << 9;

    /// Every bit with its English text, in display order.
    pub const ALL: [(u32, &str); 10] = [
        (PERSIST_BACKOFF, "persist timer backoff (intervals doubled)"),
        (
            ALL_ANSWERED,
            "all probes answered: a persist timer never expires while the peer answers",
        ),
        (
            PROBES_STOPPED,
            "probes stopped without a RST: TCP_USER_TIMEOUT, tcp_retries2 or orphan abort",
        ),
        (
            KEEPALIVE_ABORT,
            "keep-alive abort (RST after unanswered keep-alives)",
        ),
        (KEEPALIVE_CONSTANT, "constant interval: keep-alive timer"),
        (
            KEEPALIVE_SETTINGS_DIFFER,
            "keep-alive timing differs from the expected settings",
        ),
        (
            RATE_LIMITED_REPLIES,
            "replies held back by the peer's rate limit",
        ),
        (
            UNANSWERED_PROBES,
            "probes without reply: lost, or the peer is unreachable",
        ),
        (
            RST_AFTER_REOPEN,
            "prober answered the reopened window with a RST: it had aborted silently (TCP_USER_TIMEOUT, tcp_retries2 or orphan)",
        ),
        (
            BEGAN_BEFORE_CAPTURE,
            "began before the capture: how it started (for a zero window, where it closed) is not in the capture",
        ),
    ];
}

/// Bits of [`Verdict::keepalive_mismatch`](crate::Verdict::keepalive_mismatch): which part of the
/// configured keep-alive settings the observed timing contradicts.
pub mod mismatch {
    /// Idle time before the keep-alive differs from the configured keep-alive time.
    pub const IDLE: u8 = 1 << 0;
    /// Interval after an unanswered keep-alive differs from the configured interval.
    pub const INTERVAL: u8 = 1 << 1;
    /// Number of unanswered keep-alives before the abort differs from the configured count.
    pub const COUNT: u8 = 1 << 2;
}

/// A snapshot of one episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Episode {
    /// Unique within one classifier (until reset), in order of the first probe.
    pub id: u64,
    pub kind: EpisodeKind,
    /// The packet in which the probed side closed its window (zero-window episodes).
    pub window_closed_in: Option<u64>,
    pub window_closed_at: Option<Timestamp>,
    /// The packet in which the probed side reopened its window, once it did.
    pub window_reopened_in: Option<u64>,
    pub first_probe: u64,
    pub first_probe_at: Timestamp,
    /// Time from the probed side's last segment to the first probe, when the capture saw it.
    pub idle_before_first_ns: Option<u64>,
    pub last_probe: u64,
    pub last_probe_at: Timestamp,
    /// The last packet that belongs to the episode (a probe or a reply).
    pub last_packet: u64,
    pub last_packet_at: Timestamp,
    pub zero_window_probes: u32,
    pub keep_alives: u32,
    pub answered: u32,
    /// Probes left unanswered since the last reply.
    pub unanswered_in_a_row: u32,
    /// Unanswered probes the peer's rate limit explains.
    pub rate_limited: u32,
    /// Unanswered probes nothing explains (lost, or the peer is unreachable).
    pub no_reply: u32,
    /// Largest interval between two probes of the episode (0 with a single probe).
    pub max_interval_ns: u64,
    /// When the prober is overdue: if nothing came from it by then, it stopped probing.
    pub overdue_at: Timestamp,
    pub end: Option<EpisodeEnd>,
    /// Bits of [`notes`].
    pub notes: u32,
    /// Bits of [`mismatch`] seen anywhere in the episode.
    pub keepalive_mismatch: u8,
}

impl Episode {
    /// An episode whose first probe is `packet`, sent at `time`, before anything else is known
    /// of it: no window closing, no idle time, no counts, no end.
    pub fn begin(id: u64, kind: EpisodeKind, packet: u64, time: Timestamp) -> Episode {
        Episode {
            id,
            kind,
            window_closed_in: None,
            window_closed_at: None,
            window_reopened_in: None,
            first_probe: packet,
            first_probe_at: time,
            idle_before_first_ns: None,
            last_probe: packet,
            last_probe_at: time,
            last_packet: packet,
            last_packet_at: time,
            zero_window_probes: 0,
            keep_alives: 0,
            answered: 0,
            unanswered_in_a_row: 0,
            rate_limited: 0,
            no_reply: 0,
            max_interval_ns: 0,
            overdue_at: time,
            end: None,
            notes: 0,
            keepalive_mismatch: 0,
        }
    }

    pub fn probes(&self) -> u32 {
        self.zero_window_probes.saturating_add(self.keep_alives)
    }

    /// From the window closing (or the first probe) to the end, or to `capture_end` for an
    /// episode still open.
    pub fn duration_ns(&self, capture_end: Timestamp) -> u64 {
        let start = self.window_closed_at.unwrap_or(self.first_probe_at);
        let end = self.end.map_or(capture_end, |e| e.time);
        end.nanos_since(start)
    }

    /// Notes that also depend on where the capture ended, for an episode still open then.
    pub fn notes_at_capture_end(&self, capture_end: Timestamp) -> u32 {
        let mut n = self.notes;
        if self.end.is_none() && capture_end > self.overdue_at {
            n |= notes::PROBES_STOPPED;
        }
        n
    }
}

/// Something the caller may want to record besides the verdict of the current segment. Drain
/// them with [`Classifier::poll_event`](crate::Classifier::poll_event) after each segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An episode began or changed: the newest snapshot replaces earlier ones with the same id.
    Episode(Episode),
    /// An earlier verdict that was tentative is now final, decided by the series' timing. The
    /// class may differ from the tentative one.
    Settled {
        packet: u64,
        class: Class,
        reason: Reason,
    },
    /// An earlier probe got no reply before the prober moved on or the episode ended.
    Unanswered { packet: u64, likely: Unanswered },
    /// The connection limit was reached: `connections` of the least recently active ones were
    /// forgotten (`total` since the last reset). Their later segments start over, as in a
    /// capture that begins mid-stream.
    Evicted { connections: u64, total: u64 },
    /// An earlier segment that got no verdict when it was classified is a probe after all: the
    /// segment just classified (`by`, its reply) showed it (a capture that began mid-stream).
    /// Its verdict is given whole, as if it had been known then.
    Recognised {
        packet: u64,
        /// When `packet` was sent.
        at: Timestamp,
        by: u64,
        verdict: Verdict,
    },
}
