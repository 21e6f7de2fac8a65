//! What the caller tells the classifier about one TCP segment.
//!
//! These are plain header facts any capture reader has (a Wireshark dissector, a pcap parser):
//! nothing here depends on how Wireshark numbers streams or computes relative sequence numbers.

use crate::SeqNumber;

/// Capture time in nanoseconds since an arbitrary, caller-chosen epoch (usually the Unix epoch).
///
/// Only differences matter. Captures can go backwards in time; differences saturate at zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn from_secs_nanos(secs: u64, nanos: u32) -> Timestamp {
        Timestamp(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(nanos as u64),
        )
    }

    /// Nanoseconds from `earlier` to `self`, or 0 when `earlier` is later.
    pub fn nanos_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// One end of a connection: network address (IPv4 addresses in the first four bytes) and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Endpoint {
    pub addr: [u8; 16],
    pub port: u16,
}

impl Endpoint {
    pub fn v4(addr: [u8; 4], port: u16) -> Endpoint {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&addr);
        Endpoint { addr: a, port }
    }

    pub fn v6(addr: [u8; 16], port: u16) -> Endpoint {
        Endpoint { addr, port }
    }
}

/// TCP header flags (the low 12 bits of the flags field, as on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;

    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
    pub fn urg(self) -> bool {
        self.0 & Self::URG != 0
    }
}

/// One TCP segment as seen at the capture point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The caller's identifier for this packet (Wireshark's frame number). Only echoed back as
    /// evidence, never interpreted.
    pub packet: u64,
    pub time: Timestamp,
    /// The caller's identifier for the connection. Segments of one connection must share it; a
    /// caller without its own notion of a connection can hash the sorted address/port pair.
    pub conn: u64,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: SeqNumber,
    pub ack: SeqNumber,
    pub flags: TcpFlags,
    /// The raw (unscaled) window field; None when the capture cut it (`tcpdump -s 68` on IPv6).
    pub window: Option<u16>,
    /// The window scale option's shift, when this segment carries one (SYN segments only).
    pub window_scale: Option<u8>,
    /// TCP payload length in bytes.
    pub payload_len: u32,
}

impl Segment {
    /// Sequence space this segment occupies: payload plus one for each of SYN and FIN.
    pub fn seq_len(&self) -> u32 {
        self.payload_len
            .wrapping_add(self.flags.syn() as u32)
            .wrapping_add(self.flags.fin() as u32)
    }

    /// An ACK without payload, SYN or FIN: the shape of a probe's reply (and of most probes).
    pub fn is_pure_ack(&self) -> bool {
        self.payload_len == 0 && self.flags.ack() && !self.flags.syn() && !self.flags.fin()
    }
}
