//! The C ABI's data: every type and constant of `include/tcpprobe.h`, which cbindgen generates
//! from this file (tests/header.rs). Their doc comments are the header's documentation.
//!
//! Enum values and bits are part of the ABI and never renumbered. The ones the core also has must
//! equal the core's: tests/c_abi.rs checks every value here, as a C compiler reads the header,
//! against the core's, and the layout of every struct field.
//!
//! The C enums' variants are spelled as their C names without the prefix that each enum's
//! `cbindgen:rename-all` adds: cbindgen cannot rename single variants, and the C prefixes
//! (`TCPPROBE_END_` for `tcpprobe_end_cause`) do not follow the enum names.
#![allow(non_camel_case_types)]

use tcpprobe_core::Classifier;

/// cbindgen:rename-all=prefix:TCPPROBE_
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpprobeStatus {
    OK = 0,
    NULL_ARGUMENT = 1,
    INTERNAL_ERROR = 2,
}

/// Values of tcpprobe_verdict.verdict_class.
/// cbindgen:rename-all=prefix:TCPPROBE_CLASS_
#[repr(u8)]
pub enum TcpprobeClass {
    NONE = 0,
    ZERO_WINDOW_PROBE = 1,
    ZERO_WINDOW_PROBE_ACK = 2,
    KEEP_ALIVE = 3,
    KEEP_ALIVE_ACK = 4,
}

/// Values of tcpprobe_verdict.style: how the probe is built on the wire.
/// cbindgen:rename-all=prefix:TCPPROBE_STYLE_
#[repr(u8)]
pub enum TcpprobeStyle {
    NONE = 0,
    /// seq = SND.UNA-1, no payload (Linux)
    ZERO_LENGTH_BELOW_UNA = 1,
    /// 1 byte of new data (RFC/BSD/Windows probe)
    ONE_NEW_BYTE = 2,
    /// 1 acknowledged byte (Windows keep-alive)
    ONE_OLD_BYTE = 3,
    /// zero length with URG at SND.UNA (Linux, urgent data queued)
    URGENT_AT_UNA = 4,
}

/// Values of tcpprobe_verdict.reason; tcpprobe_reason_description() explains each.
/// cbindgen:rename-all=prefix:TCPPROBE_REASON_
#[repr(u8)]
pub enum TcpprobeReason {
    NONE = 0,
    PEER_WINDOW_ZERO = 1,
    TOO_SOON_FOR_KEEP_ALIVE = 2,
    INTERVAL_DOUBLED = 3,
    SAME_SERIES_AS_PREVIOUS = 4,
    LONG_IDLE_IN_ZERO_WINDOW = 5,
    INTERVAL_CONSTANT = 6,
    IDLE_OPEN_WINDOW = 7,
    NEW_BYTE_INTO_ZERO_WINDOW = 8,
    OLD_BYTE_ON_IDLE_CONNECTION = 9,
    ANSWERS_PENDING_PROBE = 10,
    URGENT_BEHIND_ZERO_WINDOW = 11,
    RECOGNISED_BY_REPLY = 12,
    WINDOW_UNKNOWN = 13,
}

/// Values of tcpprobe_episode.kind.
/// cbindgen:rename-all=prefix:TCPPROBE_EPISODE_
#[repr(u8)]
pub enum TcpprobeEpisodeKind {
    /// probes while the peer advertises a zero window
    ZERO_WINDOW = 1,
    /// keep-alives on an idle connection with an open window
    KEEP_ALIVE = 2,
}

/// Values of tcpprobe_episode.end_cause; 0 = still open.
/// cbindgen:rename-all=prefix:TCPPROBE_END_
#[repr(u8)]
pub enum TcpprobeEndCause {
    OPEN = 0,
    WINDOW_REOPENED = 1,
    RST_FROM_PROBER = 2,
    RST_FROM_PROBED = 3,
    FIN_FROM_PROBER = 4,
    FIN_FROM_PROBED = 5,
    DATA_RESUMED = 6,
    EVICTED = 7,
}

/// Values of tcpprobe_event.unanswered: why a probe likely got no reply.
/// cbindgen:rename-all=prefix:TCPPROBE_UNANSWERED_
#[repr(u8)]
pub enum TcpprobeUnanswered {
    /// peer's rate limit on out-of-window replies
    RATE_LIMITED = 1,
    /// lost, or the peer is unreachable
    NO_REPLY = 2,
}

/// Values of tcpprobe_event.kind.
/// cbindgen:rename-all=prefix:TCPPROBE_EVENT_
#[repr(u8)]
pub enum TcpprobeEventKind {
    /// no more events for this segment
    NONE = 0,
    /// .episode began or changed
    EPISODE = 1,
    /// tentative verdict of .packet is final: .verdict_class, .reason
    SETTLED = 2,
    /// probe .packet got no reply: .unanswered
    UNANSWERED = 3,
    /// .packet, classified earlier without a verdict, is a probe: .verdict (as if known then).
    /// The segment just classified, its reply, showed it (a capture that began mid-stream).
    RECOGNISED = 4,
    /// the connection limit was reached: .evicted connections forgotten so far (the least
    /// recently active); their open episodes end with TCPPROBE_END_EVICTED
    EVICTED = 5,
}

/// Bits of tcpprobe_episode.notes: what the episode's timing is consistent with.
/// tcpprobe_note_description() explains each.
pub const TCPPROBE_NOTE_PERSIST_BACKOFF: u32 = 1u32 << 0;
pub const TCPPROBE_NOTE_ALL_ANSWERED: u32 = 1u32 << 1;
pub const TCPPROBE_NOTE_PROBES_STOPPED: u32 = 1u32 << 2;
pub const TCPPROBE_NOTE_KEEPALIVE_ABORT: u32 = 1u32 << 3;
pub const TCPPROBE_NOTE_KEEPALIVE_CONSTANT: u32 = 1u32 << 4;
pub const TCPPROBE_NOTE_KEEPALIVE_SETTINGS_DIFFER: u32 = 1u32 << 5;
pub const TCPPROBE_NOTE_RATE_LIMITED_REPLIES: u32 = 1u32 << 6;
pub const TCPPROBE_NOTE_UNANSWERED_PROBES: u32 = 1u32 << 7;
pub const TCPPROBE_NOTE_RST_AFTER_REOPEN: u32 = 1u32 << 8;
pub const TCPPROBE_NOTE_BEGAN_BEFORE_CAPTURE: u32 = 1u32 << 9;

/// Bit of keepalive_mismatch: the idle time before the keep-alive contradicts the keep-alive time.
pub const TCPPROBE_MISMATCH_IDLE: u8 = 0x1;
/// Bit of keepalive_mismatch: the interval after an unanswered keep-alive contradicts the interval.
pub const TCPPROBE_MISMATCH_INTERVAL: u8 = 0x2;
/// Bit of keepalive_mismatch: the unanswered keep-alives before the abort contradict the count.
pub const TCPPROBE_MISMATCH_COUNT: u8 = 0x4;

/// TCP flag bits of tcpprobe_segment.flags, as on the wire.
pub const TCPPROBE_FLAG_FIN: u16 = 0x001;
pub const TCPPROBE_FLAG_SYN: u16 = 0x002;
pub const TCPPROBE_FLAG_RST: u16 = 0x004;
pub const TCPPROBE_FLAG_ACK: u16 = 0x010;

/// Link types tcpprobe_decode_frame() reads: pcap's LINKTYPE_* numbers. BSD loopback.
pub const TCPPROBE_LINK_NULL: u32 = 0;
/// Ethernet, with 802.1Q / QinQ tags.
pub const TCPPROBE_LINK_ETHERNET: u32 = 1;
/// Raw IPv4 or IPv6.
pub const TCPPROBE_LINK_RAW: u32 = 101;
/// OpenBSD loopback.
pub const TCPPROBE_LINK_LOOP: u32 = 108;
/// Linux cooked capture v1.
pub const TCPPROBE_LINK_LINUX_SLL: u32 = 113;
pub const TCPPROBE_LINK_IPV4: u32 = 228;
pub const TCPPROBE_LINK_IPV6: u32 = 229;
/// Linux cooked capture v2.
pub const TCPPROBE_LINK_LINUX_SLL2: u32 = 276;

/// One TCP segment as seen at the capture point.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeSegment {
    /// caller's packet id (frame number); echoed back as evidence
    pub packet: u64,
    /// capture time in ns; only differences matter
    pub time_ns: u64,
    /// caller's connection id; all segments of a connection share it
    pub conn: u64,
    /// IPv4 in the first 4 bytes, the rest zero
    pub src_addr: [u8; 16],
    pub dst_addr: [u8; 16],
    pub src_port: u16,
    pub dst_port: u16,
    /// raw (absolute) sequence number
    pub seq: u32,
    /// raw acknowledgment number
    pub ack: u32,
    /// TCPPROBE_FLAG_* bits
    pub flags: u16,
    /// raw, unscaled window field
    pub window: u16,
    /// 1 when this segment carries a window scale option
    pub has_window_scale: u8,
    /// its shift count
    pub window_scale: u8,
    /// 1: the capture cut the window field (a small snap length); .window is then ignored
    pub window_unknown: u8,
    /// set to 0
    pub reserved: [u8; 1],
    /// TCP payload bytes
    pub payload_len: u32,
}

/// The answer for one segment. Fields whose has_ flag is 0 are 0.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeVerdict {
    /// enum tcpprobe_class; NONE = no verdict
    pub verdict_class: u8,
    /// enum tcpprobe_style
    pub style: u8,
    /// enum tcpprobe_reason
    pub reason: u8,
    /// 1 if the probed side's window was zero (0 when peer_window_unknown)
    pub peer_window_zero: u8,
    pub has_window_closed_in: u8,
    pub has_answers: u8,
    pub has_since_window_closed: u8,
    pub has_since_previous_probe: u8,
    /// packet id in which the probed side closed its window
    pub window_closed_in: u64,
    /// for ACKs: packet id of the probe or keep-alive answered
    pub answers: u64,
    pub since_window_closed_ns: u64,
    pub since_previous_probe_ns: u64,
    pub has_episode: u8,
    /// 1: rests on one gap; a TCPPROBE_EVENT_SETTLED may follow
    pub tentative: u8,
    /// TCPPROBE_MISMATCH_* bits (keep-alives)
    pub keepalive_mismatch: u8,
    pub has_interval_ratio: u8,
    /// 1-based within the episode; ACKs: the probe answered
    pub probe_number: u32,
    /// tcpprobe_episode.id
    pub episode: u64,
    /// this interval / the previous one, x1000 (persist: ~2000)
    pub interval_ratio_milli: u32,
    /// 1: the capture did not show the probed side's window (a small snap length)
    pub peer_window_unknown: u8,
    pub reserved: [u8; 3],
}

/// What to expect of the prober; see tcpprobe_config_default() for Linux's defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeConfig {
    /// idle before the first keep-alive (7200 s)
    pub keepalive_time_ns: u64,
    /// between unanswered keep-alives (75 s)
    pub keepalive_interval_ns: u64,
    /// unanswered keep-alives before the RST (9)
    pub keepalive_probes: u32,
    pub reserved: u32,
    /// peer's rate limit on out-of-window replies (500 ms)
    pub invalid_ratelimit_ns: u64,
    /// the prober's minimum RTO (200 ms; Linux tcp_rto_min_us, or a route's rto_min): its persist
    /// timer first fires no sooner, so a first probe into a zero window far later than RTT +
    /// rto_min_ns is (tentatively) a keep-alive
    pub rto_min_ns: u64,
    /// the prober's maximum RTO (120 s; Linux tcp_rto_max_ms): its persist interval stops
    /// doubling there, so constant intervals near it are no sign of a keep-alive timer.
    /// Meaningful when 0 < rto_min_ns <= rto_max_ns; other values are used as given
    pub rto_max_ns: u64,
    /// most connections followed at once (1,000,000); beyond it the least recently active are
    /// forgotten (TCPPROBE_EVENT_EVICTED) and their later segments judged as in a capture that
    /// begins mid-stream. 0 is read as 1
    pub max_connections: u64,
}

/// A snapshot of one episode; the newest snapshot of an id replaces earlier ones. Packet ids and
/// times are the caller's own. Fields whose has_ flag is 0 are 0.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeEpisode {
    /// unique per classifier until reset, from 1
    pub id: u64,
    /// enum tcpprobe_episode_kind
    pub kind: u8,
    /// enum tcpprobe_end_cause; 0 = still open
    pub end_cause: u8,
    /// TCPPROBE_MISMATCH_* bits seen in the episode
    pub keepalive_mismatch: u8,
    pub has_window_closed_in: u8,
    pub has_window_reopened_in: u8,
    pub has_idle_before_first: u8,
    pub reserved: [u8; 2],
    pub window_closed_in: u64,
    pub window_closed_at_ns: u64,
    pub window_reopened_in: u64,
    pub first_probe: u64,
    pub first_probe_at_ns: u64,
    /// probed side's last segment to the first probe
    pub idle_before_first_ns: u64,
    pub last_probe: u64,
    pub last_probe_at_ns: u64,
    /// last probe or reply of the episode
    pub last_packet: u64,
    pub last_packet_at_ns: u64,
    pub zero_window_probes: u32,
    pub keep_alives: u32,
    pub answered: u32,
    pub unanswered_in_a_row: u32,
    /// unanswered, explained by the peer's rate limit
    pub rate_limited: u32,
    /// unanswered, unexplained
    pub no_reply: u32,
    pub max_interval_ns: u64,
    /// no probe by then: the prober stopped
    pub overdue_at_ns: u64,
    /// when end_cause != 0
    pub end_packet: u64,
    pub end_time_ns: u64,
    /// TCPPROBE_NOTE_* bits
    pub notes: u32,
    pub reserved2: u32,
}

/// What tcpprobe_poll_event() hands out; which fields are set depends on kind.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeEvent {
    /// enum tcpprobe_event_kind
    pub kind: u8,
    /// SETTLED
    pub verdict_class: u8,
    /// SETTLED
    pub reason: u8,
    /// UNANSWERED: enum tcpprobe_unanswered
    pub unanswered: u8,
    pub reserved: [u8; 4],
    /// SETTLED, UNANSWERED, RECOGNISED
    pub packet: u64,
    /// EPISODE
    pub episode: TcpprobeEpisode,
    /// RECOGNISED
    pub verdict: TcpprobeVerdict,
    /// EVICTED: connections forgotten since the classifier was made or reset
    pub evicted: u64,
}

/// A classifier: opaque to C, made by tcpprobe_classifier_new().
pub struct TcpprobeClassifier {
    pub(crate) inner: Classifier,
}
