//! What is known of one direction of a connection: the sequence space, ACKs and window of the
//! segments one side sends. Pure tracking: no verdicts, no episodes.
//!
//! Kept for every connection, so kept small (24 bytes): numbers without their `Option`s, whose
//! presence is a bit each. Anything only a zero window or a probe needs lives with the stream's
//! extra state, allocated only then.

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

/// How a segment changed its sender's advertised window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowChange {
    Unchanged,
    /// Zero now, and was not (or was unknown) before.
    Closed,
    /// Open now, and was zero before.
    Reopened,
}

// Bits of `Direction::bits`.
const SENT: u8 = 1 << 0;
const ACKED: u8 = 1 << 1;
const FIN: u8 = 1 << 2;
const WINDOW_KNOWN: u8 = 1 << 3;
const SENT_SYN: u8 = 1 << 4;
const SENT_SYN_ACK: u8 = 1 << 5;
const LAST_WAS_SYN: u8 = 1 << 6;

/// The segments one side sends, as far as the classifier needs them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Direction {
    /// When this side last sent (valid once anything was sent).
    last_time: Timestamp,
    /// One past the highest sequence number sent (SYN and FIN included).
    next_seq: u32,
    /// Highest acknowledgment number sent, i.e. what this side has received of the other.
    last_ack: u32,
    /// Last advertised raw window (valid with WINDOW_KNOWN).
    window: u16,
    /// A hash of the last segment's header fields: a repeat within `duplicate_window_ns` is the
    /// same frame captured twice.
    signature: u16,
    bits: u8,
}

impl Direction {
    fn has(&self, bit: u8) -> bool {
        self.bits & bit != 0
    }

    fn set(&mut self, bit: u8, on: bool) {
        if on {
            self.bits |= bit;
        } else {
            self.bits &= !bit;
        }
    }

    /// One past the highest sequence number sent, once anything was.
    pub fn next_seq(&self) -> Option<SeqNumber> {
        self.has(SENT).then_some(SeqNumber(self.next_seq))
    }

    /// The highest ACK this side sent: what it has received of the other side.
    pub fn last_ack(&self) -> Option<SeqNumber> {
        self.has(ACKED).then_some(SeqNumber(self.last_ack))
    }

    /// The sequence number of this side's FIN, once sent: nothing is sent beyond it.
    pub fn fin_seq(&self) -> Option<SeqNumber> {
        self.has(FIN).then(|| SeqNumber(self.next_seq) - 1)
    }

    pub fn last_time(&self) -> Option<Timestamp> {
        self.has(SENT).then_some(self.last_time)
    }

    /// Last advertised raw window; None before any, or when the capture cut the last one.
    pub fn window(&self) -> Option<u16> {
        self.has(WINDOW_KNOWN).then_some(self.window)
    }

    /// Whether this side sent a SYN, and its peer a SYN-ACK, and this side's last segment was
    /// its SYN: the handshake's round trip ends with this side's next segment.
    pub fn awaits_handshake_ack(&self, peer: &Direction) -> bool {
        self.has(SENT_SYN) && self.has(LAST_WAS_SYN) && peer.has(SENT_SYN_ACK)
    }

    fn signature(seg: &Segment) -> u16 {
        let h = seg.seq.0.rotate_left(5)
            ^ seg.ack.0.rotate_left(17)
            ^ seg.payload_len.rotate_left(11)
            ^ u32::from(seg.flags.0)
            ^ seg.window.map_or(0x1_0000_u32, u32::from).rotate_left(23);
        (h ^ (h >> 16)) as u16
    }

    /// Whether `seg` repeats this side's previous segment so soon that it is the same frame
    /// captured twice.
    pub fn is_capture_duplicate(&self, cfg: &Config, seg: &Segment) -> bool {
        self.has(SENT)
            && self.signature == Self::signature(seg)
            && self
                .next_seq()
                .is_some_and(|n| n == (seg.seq + seg.seq_len()).max(n))
            && seg.time.nanos_since(self.last_time) < cfg.duplicate_window_ns
    }

    /// Takes the window `seg` advertises, and says how it changed.
    pub fn observe_window(&mut self, seg: &Segment) -> WindowChange {
        if !(seg.flags.ack() || seg.flags.syn()) {
            return WindowChange::Unchanged;
        }
        let was_zero = self.window() == Some(0);
        // A window the capture cut is unknown: neither closed nor reopened by this segment.
        let Some(window) = seg.window else {
            self.set(WINDOW_KNOWN, false);
            return WindowChange::Unchanged;
        };
        self.window = window;
        self.set(WINDOW_KNOWN, true);
        match (was_zero, window == 0) {
            (false, true) => WindowChange::Closed,
            (true, false) => WindowChange::Reopened,
            _ => WindowChange::Unchanged,
        }
    }

    /// Takes the sequence space, ACK and time of `seg`; call after everything else of `seg`.
    pub fn observe_sequence(&mut self, seg: &Segment) {
        let end = seg.seq + seg.seq_len();
        self.next_seq = self.next_seq().map_or(end, |n| n.max(end)).0;
        if seg.flags.fin() {
            self.set(FIN, true);
        }
        if seg.flags.ack() {
            self.last_ack = self.last_ack().map_or(seg.ack, |a| a.max(seg.ack)).0;
            self.set(ACKED, true);
        }
        let syn = seg.flags.syn();
        if syn {
            self.set(
                if seg.flags.ack() {
                    SENT_SYN_ACK
                } else {
                    SENT_SYN
                },
                true,
            );
        }
        self.set(LAST_WAS_SYN, syn && !seg.flags.ack());
        self.set(SENT, true);
        self.last_time = seg.time;
        self.signature = Self::signature(seg);
    }
}
