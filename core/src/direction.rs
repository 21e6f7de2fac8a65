//! What is known of one direction of a connection: the sequence space, ACKs and window of the
//! segments one side sends. Pure tracking: no verdicts, no episodes.

use crate::config::Config;
use crate::segment::{Segment, Timestamp};
use crate::SeqNumber;

/// The moment one side advertised a zero window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowClosed {
    pub packet: u64,
    pub time: Timestamp,
}

/// A side's window as the other side's probes meet it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeerWindow {
    /// Zero, since it closed.
    Zero(WindowClosed),
    Open,
    /// Never seen, or cut from the capture (`tcpdump -s 68` on IPv6).
    Unknown,
}

impl PeerWindow {
    /// Whether the window is zero; None when unknown.
    pub fn is_zero(self) -> Option<bool> {
        match self {
            PeerWindow::Zero(_) => Some(true),
            PeerWindow::Open => Some(false),
            PeerWindow::Unknown => None,
        }
    }

    pub fn closed(self) -> Option<WindowClosed> {
        match self {
            PeerWindow::Zero(c) => Some(c),
            _ => None,
        }
    }
}

/// Segment fields that make two segments indistinguishable to the classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Signature {
    seq: SeqNumber,
    ack: SeqNumber,
    flags: u16,
    window: Option<u16>,
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

/// The segments one side sends, as far as the classifier needs them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Direction {
    /// One past the highest sequence number sent (SYN and FIN included).
    pub next_seq: Option<SeqNumber>,
    /// Highest acknowledgment number sent, i.e. what this side has received of the other.
    pub last_ack: Option<SeqNumber>,
    /// Last advertised raw window; None before any, or when the capture cut the last one.
    pub window: Option<u16>,
    /// Window scale shift from this side's SYN, when seen. Kept for the evidence of later issues;
    /// a zero window is zero whatever the scale.
    pub window_scale: Option<u8>,
    /// Since when this side has advertised a zero window, while it does.
    pub zero_window: Option<WindowClosed>,
    pub fin_seq: Option<SeqNumber>,
    pub last_time: Option<Timestamp>,
    /// The caller's packet id of this side's last segment.
    pub last_packet: Option<u64>,
    last_signature: Option<Signature>,
}

impl Direction {
    /// Whether `seg` repeats this side's previous segment so soon that it is the same frame
    /// captured twice.
    pub fn is_capture_duplicate(&self, cfg: &Config, seg: &Segment) -> bool {
        self.last_signature == Some(Signature::from(seg))
            && self
                .last_time
                .is_some_and(|t| seg.time.nanos_since(t) < cfg.duplicate_window_ns)
    }

    /// What this side's window is now, as far as the capture tells.
    pub fn window_state(&self) -> PeerWindow {
        match (self.window, self.zero_window) {
            (Some(0), Some(closed)) => PeerWindow::Zero(closed),
            (Some(_), _) => PeerWindow::Open,
            (None, _) => PeerWindow::Unknown,
        }
    }

    /// Takes the window `seg` advertises. Returns when the window had closed, if `seg` reopens it.
    pub fn observe_window(&mut self, seg: &Segment) -> Option<WindowClosed> {
        if seg.flags.syn() {
            self.window_scale = seg.window_scale;
        }
        if !(seg.flags.ack() || seg.flags.syn()) {
            return None;
        }
        // A window the capture cut is unknown: neither closed nor reopened by this segment.
        self.window = seg.window;
        if seg.window? == 0 {
            self.zero_window.get_or_insert(WindowClosed {
                packet: seg.packet,
                time: seg.time,
            });
            None
        } else {
            self.zero_window.take()
        }
    }

    /// Takes the sequence space, ACK and time of `seg`; call after everything else of `seg`.
    pub fn observe_sequence(&mut self, seg: &Segment) {
        let end = seg.seq + seg.seq_len();
        self.next_seq = Some(self.next_seq.map_or(end, |n| n.max(end)));
        if seg.flags.fin() {
            self.fin_seq = Some(seg.seq + seg.payload_len);
        }
        if seg.flags.ack() {
            self.last_ack = Some(self.last_ack.map_or(seg.ack, |a| a.max(seg.ack)));
        }
        self.last_time = Some(seg.time);
        self.last_packet = Some(seg.packet);
        self.last_signature = Some(Signature::from(seg));
    }
}
