//! What the classifier decides about a segment, and why.

/// The class of a segment. Everything else gets no verdict at all.
///
/// The discriminants are part of the C ABI (`tcpprobe.h`) and of the plugin's `tcpprobe.verdict`
/// field: never renumber them.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A persist-timer probe into a peer's zero window.
    ZeroWindowProbe = 1,
    /// The probed side's reply to a zero-window probe.
    ZeroWindowProbeAck = 2,
    /// A keep-alive probe of an idle connection.
    KeepAlive = 3,
    /// The reply to a keep-alive.
    KeepAliveAck = 4,
}

impl Class {
    pub const ALL: [Class; 4] = [
        Class::ZeroWindowProbe,
        Class::ZeroWindowProbeAck,
        Class::KeepAlive,
        Class::KeepAliveAck,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::ZeroWindowProbe => "Zero-window probe",
            Class::ZeroWindowProbeAck => "Zero-window probe ACK",
            Class::KeepAlive => "Keep-alive",
            Class::KeepAliveAck => "Keep-alive ACK",
        }
    }

    /// The class of the reply to a segment of this class.
    pub fn reply(self) -> Class {
        match self {
            Class::ZeroWindowProbe | Class::ZeroWindowProbeAck => Class::ZeroWindowProbeAck,
            Class::KeepAlive | Class::KeepAliveAck => Class::KeepAliveAck,
        }
    }

    pub fn from_u8(v: u8) -> Option<Class> {
        Class::ALL.into_iter().find(|c| *c as u8 == v)
    }
}

/// How the probe is built on the wire; it tells which kind of stack sent it.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeStyle {
    /// Zero-length ACK with seq = SND.UNA-1 (Linux persist probes and keep-alives, BSD keep-alives).
    ZeroLengthBelowUna = 1,
    /// One byte of new data at the first unacknowledged sequence number (RFC 9293 / BSD / Windows
    /// persist probes).
    OneNewByte = 2,
    /// One already-acknowledged garbage byte at SND.NXT-1 (Windows keep-alives).
    OneOldByte = 3,
    /// Zero-length with URG at SND.UNA: the first of the two probes Linux sends per persist
    /// expiry while urgent data waits behind the zero window.
    UrgentAtUna = 4,
}

impl ProbeStyle {
    pub const ALL: [ProbeStyle; 4] = [
        ProbeStyle::ZeroLengthBelowUna,
        ProbeStyle::OneNewByte,
        ProbeStyle::OneOldByte,
        ProbeStyle::UrgentAtUna,
    ];

    pub fn description(self) -> &'static str {
        match self {
            ProbeStyle::ZeroLengthBelowUna => "zero length, seq = SND.UNA-1 (Linux style)",
            ProbeStyle::OneNewByte => "1 byte of new data (RFC/BSD/Windows style)",
            ProbeStyle::OneOldByte => "1 already-acknowledged byte (Windows keep-alive style)",
            ProbeStyle::UrgentAtUna => {
                "zero length with URG, seq = SND.UNA (Linux, urgent data queued)"
            }
        }
    }
}

/// Why the classifier decided what it did. Part of the C ABI: never renumber.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The peer advertised a zero window and the sender probes it.
    PeerWindowZero = 1,
    /// A keep-alive cannot come this soon after the peer's last segment (Linux's minimum
    /// keep-alive idle time is 1 s), so it is the persist timer.
    TooSoonForKeepAlive = 2,
    /// The probe interval doubled, as a persist timer backs off.
    IntervalDoubled = 3,
    /// Same class as the previous probe of this zero-window episode.
    SameSeriesAsPrevious = 4,
    /// The peer's window was zero, but the sender let it stay closed far longer than its persist
    /// timer allows before sending this: it had nothing queued, so this is its keep-alive timer.
    LongIdleInZeroWindow = 5,
    /// The interval stayed constant, as a keep-alive timer does (a persist timer doubles it).
    IntervalConstant = 6,
    /// The peer's window is open and nothing is in flight: the connection is idle.
    IdleOpenWindow = 7,
    /// One byte of new data sent into a zero window.
    NewByteIntoZeroWindow = 8,
    /// One already-acknowledged byte re-sent on an idle connection.
    OldByteOnIdleConnection = 9,
    /// The segment acknowledges the pending probe or keep-alive of the other side.
    AnswersPendingProbe = 10,
    /// Zero length, URG, at SND.UNA into a zero window: urgent data waits behind the window, and
    /// only the persist timer sends this (a keep-alive never runs with data queued).
    UrgentBehindZeroWindow = 11,
    /// Recognised only by the peer's reply: a zero-length ACK seen before anything told its
    /// sender's SND.UNA (the capture began mid-stream), which the peer then acknowledged one past
    /// its sequence number. The reply's window tells the class; a zero window stays tentative
    /// until the series' timing settles it (it may be a keep-alive sent into the zero window).
    RecognisedByReply = 12,
    /// The peer's window is unknown (the capture cut the TCP header before it): the class rests
    /// on the timing alone, tentative until the series' intervals settle it.
    WindowUnknown = 13,
}

impl Reason {
    pub const ALL: [Reason; 13] = [
        Reason::PeerWindowZero,
        Reason::TooSoonForKeepAlive,
        Reason::IntervalDoubled,
        Reason::SameSeriesAsPrevious,
        Reason::LongIdleInZeroWindow,
        Reason::IntervalConstant,
        Reason::IdleOpenWindow,
        Reason::NewByteIntoZeroWindow,
        Reason::OldByteOnIdleConnection,
        Reason::AnswersPendingProbe,
        Reason::UrgentBehindZeroWindow,
        Reason::RecognisedByReply,
        Reason::WindowUnknown,
    ];

    pub fn description(self) -> &'static str {
        match self {
            Reason::PeerWindowZero => "the peer advertises a zero window",
            Reason::TooSoonForKeepAlive => {
                "sent sooner after the peer's last segment than any keep-alive could be (< 0.9 s)"
            }
            Reason::IntervalDoubled => "interval doubled: persist timer backoff",
            Reason::SameSeriesAsPrevious => "continues the series of the previous probe",
            Reason::LongIdleInZeroWindow => {
                "window stayed closed far longer than a persist timer waits: sender had nothing queued"
            }
            Reason::IntervalConstant => "interval constant: keep-alive timer (persist would double)",
            Reason::IdleOpenWindow => "peer window open and nothing in flight: idle connection",
            Reason::NewByteIntoZeroWindow => "one new byte sent into the peer's zero window",
            Reason::OldByteOnIdleConnection => "one acknowledged byte re-sent on an idle connection",
            Reason::AnswersPendingProbe => "acknowledges the other side's pending probe",
            Reason::UrgentBehindZeroWindow => {
                "zero-length URG segment at SND.UNA: urgent data queued behind the zero window"
            }
            Reason::RecognisedByReply => {
                "recognised by the peer's reply, which acknowledged one past it (capture began mid-stream)"
            }
            Reason::WindowUnknown => {
                "the peer's window is unknown (the capture cut the TCP header): timing alone, no persist-like gap"
            }
        }
    }
}

/// The classifier's answer for one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    pub style: ProbeStyle,
    pub reason: Reason,
    /// The packet in which the receiving side of the probe closed its window (zero-window probes
    /// and their ACKs, and keep-alives sent into a zero window).
    pub window_closed_in: Option<u64>,
    /// For ACKs: the packet of the probe or keep-alive this answers.
    pub answers: Option<u64>,
    /// Nanoseconds since the window closed (when `window_closed_in` is set).
    pub since_window_closed_ns: Option<u64>,
    /// Nanoseconds since the previous probe of the same series, if there was one.
    pub since_previous_probe_ns: Option<u64>,
    /// Whether the probed side still advertised a zero window when this was sent; None when the
    /// capture does not show its window (cut by a small snap length).
    pub peer_window_zero: Option<bool>,
    /// The episode this probe (or the probe this ACK answers) belongs to.
    pub episode: Option<u64>,
    /// 1-based number of the probe within its episode; for ACKs, the number of the probe answered.
    pub probe_number: u32,
    /// This interval divided by the previous one, in thousandths (a persist timer doubles:
    /// about 2000). From the second probe of an episode on.
    pub interval_ratio_milli: Option<u32>,
    /// The class rests on one gap only, not yet on the series' timing: later packets may change
    /// it (see [`Event::Settled`](crate::Event::Settled)).
    pub tentative: bool,
    /// For keep-alives: bits of [`mismatch`](crate::mismatch) where the observed timing
    /// contradicts the configured keep-alive settings.
    pub keepalive_mismatch: u8,
}
