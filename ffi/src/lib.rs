//! C ABI over `tcpprobe-core`; `include/tcpprobe.h` is its documented header.
//!
//! Every `extern "C"` function checks its pointers and runs its body inside [`boundary`], so a
//! panic becomes `TCPPROBE_INTERNAL_ERROR` instead of unwinding into C. Nothing here calls back
//! into the caller: a C caller's longjmp-based error handling never crosses a Rust frame.
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use tcpprobe_wire::LinkType;

use tcpprobe_core::{
    notes, Class, Classifier, Config, EndCause, Endpoint, Episode, EpisodeEnd, EpisodeKind, Event,
    KeepAliveSettings, ProbeStyle, Reason, Segment, SeqNumber, TcpFlags, Timestamp, Unanswered,
    Verdict,
};

/// `tcpprobe_status` in the header.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpprobeStatus {
    Ok = 0,
    NullArgument = 1,
    InternalError = 2,
}

/// `tcpprobe_segment` in the header.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeSegment {
    pub packet: u64,
    pub time_ns: u64,
    pub conn: u64,
    pub src_addr: [u8; 16],
    pub dst_addr: [u8; 16],
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub window: u16,
    pub has_window_scale: u8,
    pub window_scale: u8,
    pub reserved: [u8; 2],
    pub payload_len: u32,
}

/// `tcpprobe_verdict` in the header.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeVerdict {
    pub verdict_class: u8,
    pub style: u8,
    pub reason: u8,
    pub peer_window_zero: u8,
    pub has_window_closed_in: u8,
    pub has_answers: u8,
    pub has_since_window_closed: u8,
    pub has_since_previous_probe: u8,
    pub window_closed_in: u64,
    pub answers: u64,
    pub since_window_closed_ns: u64,
    pub since_previous_probe_ns: u64,
    pub has_episode: u8,
    pub tentative: u8,
    pub keepalive_mismatch: u8,
    pub has_interval_ratio: u8,
    pub probe_number: u32,
    pub episode: u64,
    pub interval_ratio_milli: u32,
    pub reserved: u32,
}

/// `tcpprobe_config` in the header.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeConfig {
    pub keepalive_time_ns: u64,
    pub keepalive_interval_ns: u64,
    pub keepalive_probes: u32,
    pub reserved: u32,
    pub invalid_ratelimit_ns: u64,
}

/// `tcpprobe_episode` in the header.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeEpisode {
    pub id: u64,
    pub kind: u8,
    pub end_cause: u8,
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
    pub idle_before_first_ns: u64,
    pub last_probe: u64,
    pub last_probe_at_ns: u64,
    pub last_packet: u64,
    pub last_packet_at_ns: u64,
    pub zero_window_probes: u32,
    pub keep_alives: u32,
    pub answered: u32,
    pub unanswered_in_a_row: u32,
    pub rate_limited: u32,
    pub no_reply: u32,
    pub max_interval_ns: u64,
    pub overdue_at_ns: u64,
    pub end_packet: u64,
    pub end_time_ns: u64,
    pub notes: u32,
    pub reserved2: u32,
}

/// `tcpprobe_event` in the header.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpprobeEvent {
    pub kind: u8,
    pub verdict_class: u8,
    pub reason: u8,
    pub unanswered: u8,
    pub reserved: [u8; 4],
    pub packet: u64,
    pub episode: TcpprobeEpisode,
}

/// Values of `tcpprobe_event.kind`.
pub const TCPPROBE_EVENT_NONE: u8 = 0;
pub const TCPPROBE_EVENT_EPISODE: u8 = 1;
pub const TCPPROBE_EVENT_SETTLED: u8 = 2;
pub const TCPPROBE_EVENT_UNANSWERED: u8 = 3;

/// The opaque `tcpprobe_classifier`.
pub struct TcpprobeClassifier {
    inner: Classifier,
}

impl From<&TcpprobeSegment> for Segment {
    fn from(s: &TcpprobeSegment) -> Segment {
        Segment {
            packet: s.packet,
            time: Timestamp(s.time_ns),
            conn: s.conn,
            src: Endpoint::v6(s.src_addr, s.src_port),
            dst: Endpoint::v6(s.dst_addr, s.dst_port),
            seq: SeqNumber(s.seq),
            ack: SeqNumber(s.ack),
            flags: TcpFlags(s.flags),
            window: s.window,
            window_scale: (s.has_window_scale != 0).then_some(s.window_scale),
            payload_len: s.payload_len,
        }
    }
}

impl From<&Segment> for TcpprobeSegment {
    fn from(s: &Segment) -> TcpprobeSegment {
        TcpprobeSegment {
            packet: s.packet,
            time_ns: s.time.0,
            conn: s.conn,
            src_addr: s.src.addr,
            dst_addr: s.dst.addr,
            src_port: s.src.port,
            dst_port: s.dst.port,
            seq: s.seq.0,
            ack: s.ack.0,
            flags: s.flags.0,
            window: s.window,
            has_window_scale: s.window_scale.is_some() as u8,
            window_scale: s.window_scale.unwrap_or(0),
            reserved: [0; 2],
            payload_len: s.payload_len,
        }
    }
}

impl From<Option<Verdict>> for TcpprobeVerdict {
    fn from(v: Option<Verdict>) -> TcpprobeVerdict {
        let Some(v) = v else {
            return TcpprobeVerdict::default();
        };
        let split = |o: Option<u64>| (o.is_some() as u8, o.unwrap_or(0));
        let (has_window_closed_in, window_closed_in) = split(v.window_closed_in);
        let (has_answers, answers) = split(v.answers);
        let (has_since_window_closed, since_window_closed_ns) = split(v.since_window_closed_ns);
        let (has_since_previous_probe, since_previous_probe_ns) = split(v.since_previous_probe_ns);
        TcpprobeVerdict {
            verdict_class: v.class as u8,
            style: v.style as u8,
            reason: v.reason as u8,
            peer_window_zero: v.peer_window_zero as u8,
            has_window_closed_in,
            has_answers,
            has_since_window_closed,
            has_since_previous_probe,
            window_closed_in,
            answers,
            since_window_closed_ns,
            since_previous_probe_ns,
            has_episode: v.episode.is_some() as u8,
            tentative: v.tentative as u8,
            keepalive_mismatch: v.keepalive_mismatch,
            has_interval_ratio: v.interval_ratio_milli.is_some() as u8,
            probe_number: v.probe_number,
            episode: v.episode.unwrap_or(0),
            interval_ratio_milli: v.interval_ratio_milli.unwrap_or(0),
            reserved: 0,
        }
    }
}

impl From<&Episode> for TcpprobeEpisode {
    fn from(e: &Episode) -> TcpprobeEpisode {
        let end = e.end;
        TcpprobeEpisode {
            id: e.id,
            kind: e.kind as u8,
            end_cause: end.map_or(0, |x| x.cause as u8),
            keepalive_mismatch: e.keepalive_mismatch,
            has_window_closed_in: e.window_closed_in.is_some() as u8,
            has_window_reopened_in: e.window_reopened_in.is_some() as u8,
            has_idle_before_first: e.idle_before_first_ns.is_some() as u8,
            reserved: [0; 2],
            window_closed_in: e.window_closed_in.unwrap_or(0),
            window_closed_at_ns: e.window_closed_at.map_or(0, |t| t.0),
            window_reopened_in: e.window_reopened_in.unwrap_or(0),
            first_probe: e.first_probe,
            first_probe_at_ns: e.first_probe_at.0,
            idle_before_first_ns: e.idle_before_first_ns.unwrap_or(0),
            last_probe: e.last_probe,
            last_probe_at_ns: e.last_probe_at.0,
            last_packet: e.last_packet,
            last_packet_at_ns: e.last_packet_at.0,
            zero_window_probes: e.zero_window_probes,
            keep_alives: e.keep_alives,
            answered: e.answered,
            unanswered_in_a_row: e.unanswered_in_a_row,
            rate_limited: e.rate_limited,
            no_reply: e.no_reply,
            max_interval_ns: e.max_interval_ns,
            overdue_at_ns: e.overdue_at.0,
            end_packet: end.map_or(0, |x| x.packet),
            end_time_ns: end.map_or(0, |x| x.time.0),
            notes: e.notes,
            reserved2: 0,
        }
    }
}

impl TcpprobeEpisode {
    /// Back to the core's type; None for values no classifier hands out.
    fn to_core(self) -> Option<Episode> {
        let kind = EpisodeKind::ALL
            .into_iter()
            .find(|k| *k as u8 == self.kind)?;
        let end = match self.end_cause {
            0 => None,
            c => Some(EpisodeEnd {
                packet: self.end_packet,
                time: Timestamp(self.end_time_ns),
                cause: EndCause::ALL.into_iter().find(|x| *x as u8 == c)?,
            }),
        };
        let opt = |has: u8, v: u64| (has != 0).then_some(v);
        Some(Episode {
            id: self.id,
            kind,
            window_closed_in: opt(self.has_window_closed_in, self.window_closed_in),
            window_closed_at: opt(self.has_window_closed_in, self.window_closed_at_ns)
                .map(Timestamp),
            window_reopened_in: opt(self.has_window_reopened_in, self.window_reopened_in),
            first_probe: self.first_probe,
            first_probe_at: Timestamp(self.first_probe_at_ns),
            idle_before_first_ns: opt(self.has_idle_before_first, self.idle_before_first_ns),
            last_probe: self.last_probe,
            last_probe_at: Timestamp(self.last_probe_at_ns),
            last_packet: self.last_packet,
            last_packet_at: Timestamp(self.last_packet_at_ns),
            zero_window_probes: self.zero_window_probes,
            keep_alives: self.keep_alives,
            answered: self.answered,
            unanswered_in_a_row: self.unanswered_in_a_row,
            rate_limited: self.rate_limited,
            no_reply: self.no_reply,
            max_interval_ns: self.max_interval_ns,
            overdue_at: Timestamp(self.overdue_at_ns),
            end,
            notes: self.notes,
            keepalive_mismatch: self.keepalive_mismatch,
        })
    }
}

impl From<Event> for TcpprobeEvent {
    fn from(e: Event) -> TcpprobeEvent {
        match e {
            Event::Episode(ep) => TcpprobeEvent {
                kind: TCPPROBE_EVENT_EPISODE,
                episode: TcpprobeEpisode::from(&ep),
                ..Default::default()
            },
            Event::Settled {
                packet,
                class,
                reason,
            } => TcpprobeEvent {
                kind: TCPPROBE_EVENT_SETTLED,
                verdict_class: class as u8,
                reason: reason as u8,
                packet,
                ..Default::default()
            },
            Event::Unanswered { packet, likely } => TcpprobeEvent {
                kind: TCPPROBE_EVENT_UNANSWERED,
                unanswered: likely as u8,
                packet,
                ..Default::default()
            },
        }
    }
}

impl From<Config> for TcpprobeConfig {
    fn from(c: Config) -> TcpprobeConfig {
        TcpprobeConfig {
            keepalive_time_ns: c.keepalive.time_ns,
            keepalive_interval_ns: c.keepalive.interval_ns,
            keepalive_probes: c.keepalive.probes,
            reserved: 0,
            invalid_ratelimit_ns: c.invalid_ratelimit_ns,
        }
    }
}

/// Runs an FFI body; a panic becomes `InternalError` and never unwinds into the caller.
fn boundary(body: impl FnOnce() -> TcpprobeStatus) -> TcpprobeStatus {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(TcpprobeStatus::InternalError)
}

/// # Safety
/// `out` must be NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_new(
    out: *mut *mut TcpprobeClassifier,
) -> TcpprobeStatus {
    boundary(|| {
        if out.is_null() {
            return TcpprobeStatus::NullArgument;
        }
        let handle = Box::into_raw(Box::new(TcpprobeClassifier {
            inner: Classifier::default(),
        }));
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { out.write(handle) };
        TcpprobeStatus::Ok
    })
}

/// # Safety
/// `classifier` must be NULL or a pointer from `tcpprobe_classifier_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_free(classifier: *mut TcpprobeClassifier) {
    let _ = boundary(|| {
        if !classifier.is_null() {
            // SAFETY: the caller promises it came from Box::into_raw in tcpprobe_classifier_new.
            drop(unsafe { Box::from_raw(classifier) });
        }
        TcpprobeStatus::Ok
    });
}

/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_reset(
    classifier: *mut TcpprobeClassifier,
) -> TcpprobeStatus {
    boundary(|| {
        // SAFETY: the caller promises a live, exclusively used classifier or NULL.
        let Some(c) = (unsafe { classifier.as_mut() }) else {
            return TcpprobeStatus::NullArgument;
        };
        c.inner.reset();
        TcpprobeStatus::Ok
    })
}

/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`, not used by
/// another thread; `segment` NULL or valid for reading; `out` NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classify(
    classifier: *mut TcpprobeClassifier,
    segment: *const TcpprobeSegment,
    out: *mut TcpprobeVerdict,
) -> TcpprobeStatus {
    if classifier.is_null() || segment.is_null() || out.is_null() {
        return TcpprobeStatus::NullArgument;
    }
    // SAFETY: checked non-null above; validity and exclusivity are the caller's promise.
    let (c, seg) = unsafe { (&mut *classifier, &*segment) };
    let status = boundary(|| {
        let verdict = c.inner.classify(&Segment::from(seg));
        // SAFETY: checked non-null above.
        unsafe { out.write(TcpprobeVerdict::from(verdict)) };
        TcpprobeStatus::Ok
    });
    if status != TcpprobeStatus::Ok {
        // The state may be half-updated: start over rather than classify from it. The verdict
        // slot still gets a defined value.
        let _ = boundary(|| {
            c.inner.reset();
            // SAFETY: checked non-null above.
            unsafe { out.write(TcpprobeVerdict::default()) };
            TcpprobeStatus::Ok
        });
    }
    status
}

/// The TCP segment of a caller's frame, if it carries one.
///
/// # Safety
/// `frame` must be valid for reading `captured_len` bytes (it may be NULL only when that is 0).
unsafe fn frame_segment(
    link_type: u32,
    frame: *const u8,
    captured_len: usize,
    packet: u64,
    time_ns: u64,
) -> Option<Segment> {
    let bytes: &[u8] = if captured_len == 0 {
        &[]
    } else {
        // SAFETY: the caller's promise, above.
        unsafe { std::slice::from_raw_parts(frame, captured_len) }
    };
    let link = LinkType::from_pcap(link_type)?;
    let facts = tcpprobe_wire::decode(link, bytes).ok()?;
    Some(facts.segment(packet, Timestamp(time_ns)))
}

/// # Safety
/// `frame` must be NULL or valid for reading `captured_len` bytes; `out` and `found` NULL or
/// valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_decode_frame(
    link_type: u32,
    frame: *const u8,
    captured_len: usize,
    packet: u64,
    time_ns: u64,
    out: *mut TcpprobeSegment,
    found: *mut u8,
) -> TcpprobeStatus {
    boundary(|| {
        if out.is_null() || found.is_null() || (frame.is_null() && captured_len > 0) {
            return TcpprobeStatus::NullArgument;
        }
        // SAFETY: checked above; readability is the caller's promise.
        let decoded = unsafe { frame_segment(link_type, frame, captured_len, packet, time_ns) }
            .map(|s| TcpprobeSegment::from(&s));
        // SAFETY: both checked non-null above.
        unsafe {
            found.write(decoded.is_some() as u8);
            out.write(decoded.unwrap_or_default());
        }
        TcpprobeStatus::Ok
    })
}

/// # Safety
/// As for `tcpprobe_classify` and `tcpprobe_decode_frame`: `classifier` live and not shared,
/// `frame` readable for `captured_len` bytes (or NULL when 0), `out` and `found` writable.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classify_frame(
    classifier: *mut TcpprobeClassifier,
    link_type: u32,
    frame: *const u8,
    captured_len: usize,
    packet: u64,
    time_ns: u64,
    out: *mut TcpprobeVerdict,
    found: *mut u8,
) -> TcpprobeStatus {
    if classifier.is_null()
        || out.is_null()
        || found.is_null()
        || (frame.is_null() && captured_len > 0)
    {
        return TcpprobeStatus::NullArgument;
    }
    // SAFETY: checked non-null above; validity and exclusivity are the caller's promise.
    let c = unsafe { &mut *classifier };
    let status = boundary(|| {
        // SAFETY: checked above; readability is the caller's promise.
        let segment = unsafe { frame_segment(link_type, frame, captured_len, packet, time_ns) };
        let verdict = segment.as_ref().and_then(|s| c.inner.classify(s));
        // SAFETY: both checked non-null above.
        unsafe {
            found.write(segment.is_some() as u8);
            out.write(TcpprobeVerdict::from(verdict));
        }
        TcpprobeStatus::Ok
    });
    if status != TcpprobeStatus::Ok {
        // As in tcpprobe_classify: start over rather than classify from half-updated state.
        let _ = boundary(|| {
            c.inner.reset();
            // SAFETY: checked non-null above.
            unsafe {
                found.write(0);
                out.write(TcpprobeVerdict::default());
            }
            TcpprobeStatus::Ok
        });
    }
    status
}

/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_connections(
    classifier: *const TcpprobeClassifier,
) -> u64 {
    // SAFETY: the caller promises a live classifier or NULL.
    unsafe { classifier.as_ref() }.map_or(0, |c| c.inner.tracked_connections() as u64)
}

/// # Safety
/// `out` must be NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_config_default(out: *mut TcpprobeConfig) -> TcpprobeStatus {
    boundary(|| {
        if out.is_null() {
            return TcpprobeStatus::NullArgument;
        }
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { out.write(TcpprobeConfig::from(Config::default())) };
        TcpprobeStatus::Ok
    })
}

/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`; `config` NULL or
/// valid for reading.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_classifier_configure(
    classifier: *mut TcpprobeClassifier,
    config: *const TcpprobeConfig,
) -> TcpprobeStatus {
    boundary(|| {
        // SAFETY: the caller promises a live, exclusively used classifier (or NULL) and a
        // readable config (or NULL).
        let (Some(c), Some(cfg)) = (unsafe { classifier.as_mut() }, unsafe { config.as_ref() })
        else {
            return TcpprobeStatus::NullArgument;
        };
        c.inner = Classifier::new(Config {
            keepalive: KeepAliveSettings {
                time_ns: cfg.keepalive_time_ns,
                interval_ns: cfg.keepalive_interval_ns,
                probes: cfg.keepalive_probes,
            },
            invalid_ratelimit_ns: cfg.invalid_ratelimit_ns,
            ..Config::default()
        });
        TcpprobeStatus::Ok
    })
}

/// # Safety
/// `classifier` must be NULL or a live pointer from `tcpprobe_classifier_new`, not used by
/// another thread; `out` NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_poll_event(
    classifier: *mut TcpprobeClassifier,
    out: *mut TcpprobeEvent,
) -> TcpprobeStatus {
    boundary(|| {
        if out.is_null() {
            return TcpprobeStatus::NullArgument;
        }
        // SAFETY: the caller promises a live, exclusively used classifier or NULL.
        let Some(c) = (unsafe { classifier.as_mut() }) else {
            return TcpprobeStatus::NullArgument;
        };
        let event = c.inner.poll_event().map(TcpprobeEvent::from);
        // SAFETY: checked non-null above.
        unsafe { out.write(event.unwrap_or_default()) };
        TcpprobeStatus::Ok
    })
}

/// # Safety
/// `episode` must be NULL or valid for reading.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_episode_duration_ns(
    episode: *const TcpprobeEpisode,
    capture_end_ns: u64,
) -> u64 {
    // SAFETY: the caller promises a readable episode or NULL.
    let ep = unsafe { episode.as_ref() }
        .copied()
        .and_then(TcpprobeEpisode::to_core);
    catch_unwind(|| ep.map_or(0, |e| e.duration_ns(Timestamp(capture_end_ns)))).unwrap_or(0)
}

/// # Safety
/// `episode` must be NULL or valid for reading.
#[no_mangle]
pub unsafe extern "C" fn tcpprobe_episode_notes_at_capture_end(
    episode: *const TcpprobeEpisode,
    capture_end_ns: u64,
) -> u32 {
    // SAFETY: the caller promises a readable episode or NULL.
    let ep = unsafe { episode.as_ref() }
        .copied()
        .and_then(TcpprobeEpisode::to_core);
    catch_unwind(|| ep.map_or(0, |e| e.notes_at_capture_end(Timestamp(capture_end_ns))))
        .unwrap_or(0)
}

/// NUL-terminated copies of the core's texts, indexed by enum value; built once.
struct Texts {
    classes: Vec<Option<CString>>,
    styles: Vec<Option<CString>>,
    reasons: Vec<Option<CString>>,
    kinds: Vec<Option<CString>>,
    end_causes: Vec<Option<CString>>,
    unanswered: Vec<Option<CString>>,
    /// Indexed by bit number.
    notes: Vec<Option<CString>>,
}

fn texts() -> &'static Texts {
    static TEXTS: OnceLock<Texts> = OnceLock::new();
    TEXTS.get_or_init(|| {
        fn table<T: Copy>(
            all: &[T],
            value: fn(T) -> u8,
            text: fn(T) -> &'static str,
        ) -> Vec<Option<CString>> {
            let len = all
                .iter()
                .map(|&t| value(t) as usize + 1)
                .max()
                .unwrap_or(0);
            let mut v = vec![None; len];
            for &t in all {
                v[value(t) as usize] = Some(CString::new(text(t)).expect("texts have no NUL"));
            }
            v
        }
        Texts {
            classes: table(&Class::ALL, |c| c as u8, Class::name),
            styles: table(&ProbeStyle::ALL, |s| s as u8, ProbeStyle::description),
            reasons: table(&Reason::ALL, |r| r as u8, Reason::description),
            kinds: table(&EpisodeKind::ALL, |k| k as u8, EpisodeKind::description),
            end_causes: table(&EndCause::ALL, |c| c as u8, EndCause::description),
            unanswered: table(&Unanswered::ALL, |u| u as u8, Unanswered::description),
            notes: table(
                &notes::ALL,
                |(bit, _)| bit.trailing_zeros() as u8,
                |(_, text)| text,
            ),
        }
    })
}

fn lookup(pick: fn(&'static Texts) -> &'static [Option<CString>], value: u8) -> *const c_char {
    catch_unwind(|| {
        pick(texts())
            .get(value as usize)
            .and_then(|t| t.as_deref())
            .map_or(std::ptr::null(), CStr::as_ptr)
    })
    .unwrap_or(std::ptr::null())
}

#[no_mangle]
pub extern "C" fn tcpprobe_class_name(verdict_class: u8) -> *const c_char {
    lookup(|t| &t.classes, verdict_class)
}

#[no_mangle]
pub extern "C" fn tcpprobe_style_description(style: u8) -> *const c_char {
    lookup(|t| &t.styles, style)
}

#[no_mangle]
pub extern "C" fn tcpprobe_reason_description(reason: u8) -> *const c_char {
    lookup(|t| &t.reasons, reason)
}

#[no_mangle]
pub extern "C" fn tcpprobe_episode_kind_description(kind: u8) -> *const c_char {
    lookup(|t| &t.kinds, kind)
}

#[no_mangle]
pub extern "C" fn tcpprobe_end_cause_description(cause: u8) -> *const c_char {
    lookup(|t| &t.end_causes, cause)
}

#[no_mangle]
pub extern "C" fn tcpprobe_unanswered_description(likely: u8) -> *const c_char {
    lookup(|t| &t.unanswered, likely)
}

#[no_mangle]
pub extern "C" fn tcpprobe_note_description(note_bit: u32) -> *const c_char {
    if !note_bit.is_power_of_two() {
        return std::ptr::null();
    }
    lookup(|t| &t.notes, note_bit.trailing_zeros() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    // ---- pointer checks ----

    #[test]
    fn null_pointers_are_refused() {
        unsafe {
            assert_eq!(
                tcpprobe_classifier_new(null_mut()),
                TcpprobeStatus::NullArgument
            );
            assert_eq!(
                tcpprobe_classifier_reset(null_mut()),
                TcpprobeStatus::NullArgument
            );
            let mut out = TcpprobeVerdict::default();
            let seg = TcpprobeSegment::default();
            assert_eq!(
                tcpprobe_classify(null_mut(), &seg, &mut out),
                TcpprobeStatus::NullArgument
            );
            let mut c = null_mut();
            assert_eq!(tcpprobe_classifier_new(&mut c), TcpprobeStatus::Ok);
            assert_eq!(
                tcpprobe_classify(c, null(), &mut out),
                TcpprobeStatus::NullArgument
            );
            assert_eq!(
                tcpprobe_classify(c, &seg, null_mut()),
                TcpprobeStatus::NullArgument
            );
            assert_eq!(tcpprobe_classifier_connections(null()), 0);
            let mut ev = TcpprobeEvent::default();
            assert_eq!(
                tcpprobe_poll_event(null_mut(), &mut ev),
                TcpprobeStatus::NullArgument
            );
            assert_eq!(
                tcpprobe_poll_event(c, null_mut()),
                TcpprobeStatus::NullArgument
            );
            assert_eq!(
                tcpprobe_config_default(null_mut()),
                TcpprobeStatus::NullArgument
            );
            assert_eq!(
                tcpprobe_classifier_configure(c, null()),
                TcpprobeStatus::NullArgument
            );
            assert_eq!(tcpprobe_episode_duration_ns(null(), 5), 0);
            assert_eq!(tcpprobe_episode_notes_at_capture_end(null(), 5), 0);
            tcpprobe_classifier_free(c);
            tcpprobe_classifier_free(null_mut());
        }
    }

    // ---- texts ----

    #[test]
    fn every_enum_value_has_a_text_and_unknown_ones_get_null() {
        for c in Class::ALL {
            let p = tcpprobe_class_name(c as u8);
            assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), c.name());
        }
        for r in Reason::ALL {
            assert!(!tcpprobe_reason_description(r as u8).is_null());
        }
        for s in ProbeStyle::ALL {
            assert!(!tcpprobe_style_description(s as u8).is_null());
        }
        for k in EpisodeKind::ALL {
            assert!(!tcpprobe_episode_kind_description(k as u8).is_null());
        }
        for c in EndCause::ALL {
            assert!(!tcpprobe_end_cause_description(c as u8).is_null());
        }
        for u in Unanswered::ALL {
            assert!(!tcpprobe_unanswered_description(u as u8).is_null());
        }
        for (bit, text) in notes::ALL {
            let p = tcpprobe_note_description(bit);
            assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), text);
        }
        assert!(tcpprobe_note_description(0).is_null());
        assert!(tcpprobe_note_description(3).is_null());
        assert!(tcpprobe_note_description(1 << 31).is_null());
        assert!(tcpprobe_end_cause_description(0).is_null());
        assert!(tcpprobe_class_name(0).is_null());
        assert!(tcpprobe_reason_description(200).is_null());
        assert!(tcpprobe_style_description(0).is_null());
    }

    // ---- classification through the ABI ----

    #[test]
    fn classifies_a_probe_through_the_abi() {
        let mut c = null_mut();
        let mut out = TcpprobeVerdict::default();
        let seg = |packet, from_client: bool, seq, ack, window, len| {
            let (a, b) = ([1u8; 16], [2u8; 16]);
            TcpprobeSegment {
                packet,
                time_ns: packet * 100_000_000,
                conn: 1,
                src_addr: if from_client { a } else { b },
                dst_addr: if from_client { b } else { a },
                src_port: if from_client { 1000 } else { 80 },
                dst_port: if from_client { 80 } else { 1000 },
                seq,
                ack,
                flags: TcpFlags::ACK,
                window,
                payload_len: len,
                ..Default::default()
            }
        };
        unsafe {
            assert_eq!(tcpprobe_classifier_new(&mut c), TcpprobeStatus::Ok);
            for s in [
                seg(1, true, 100, 500, 10, 50),
                seg(2, false, 500, 150, 0, 0),
            ] {
                assert_eq!(tcpprobe_classify(c, &s, &mut out), TcpprobeStatus::Ok);
                assert_eq!(out, TcpprobeVerdict::default());
            }
            assert_eq!(
                tcpprobe_classify(c, &seg(5, true, 149, 500, 10, 0), &mut out),
                TcpprobeStatus::Ok
            );
            assert_eq!(out.verdict_class, Class::ZeroWindowProbe as u8);
            assert_eq!((out.has_window_closed_in, out.window_closed_in), (1, 2));
            assert_eq!(out.since_window_closed_ns, 300_000_000);
            assert_eq!(tcpprobe_classifier_connections(c), 1);
            assert_eq!(tcpprobe_classifier_reset(c), TcpprobeStatus::Ok);
            assert_eq!(tcpprobe_classifier_connections(c), 0);
            tcpprobe_classifier_free(c);
        }
    }

    // ---- panic boundary ----

    #[test]
    fn a_panic_becomes_an_error_value() {
        std::panic::set_hook(Box::new(|_| {}));
        let status = boundary(|| panic!("boom"));
        let _ = std::panic::take_hook();
        assert_eq!(status, TcpprobeStatus::InternalError);
    }
}
