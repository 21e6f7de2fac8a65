//! The round-trip time as a capture point can see it: the persist timer's first delay is
//! max(RTO, 200 ms), and the RTO follows the RTT.
//!
//! From the handshake when the capture has it (SYN to the ACK of the SYN-ACK: valid from any
//! capture point); otherwise from the first data-to-ACK delays in both directions, whose samples
//! live with the stream's extra state until they give it. Kept in four bytes per connection.

use crate::segment::{Segment, Timestamp};
use crate::SeqNumber;

/// A round trip in a connection's four bytes: microseconds plus one (0: unknown), saturating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RoundTrip(u32);

impl RoundTrip {
    pub fn known(self) -> bool {
        self.0 != 0
    }

    pub fn set(&mut self, ns: u64) {
        self.0 = u32::try_from(ns / 1000)
            .unwrap_or(u32::MAX - 1)
            .saturating_add(1);
    }

    pub fn ns(self) -> Option<u64> {
        self.known().then(|| u64::from(self.0 - 1) * 1000)
    }
}

/// Data-to-ACK samples, for connections whose handshake the capture missed.
#[derive(Debug, Clone, Default)]
pub(crate) struct RttSamples {
    /// Per direction: the oldest new data still waiting for an ACK.
    sample: [Option<(SeqNumber, Timestamp)>; 2],
    /// Per direction: delay from that side's data to the other side's ACK, as seen at the
    /// capture point.
    ack_delay_ns: [Option<u64>; 2],
}

impl RttSamples {
    /// Data-to-ACK timing of `seg`, sent in direction `dir`. `next_seq` is the sender's SND.NXT
    /// before `seg`.
    pub fn observe(&mut self, dir: usize, seg: &Segment, next_seq: Option<SeqNumber>) {
        let end = seg.seq + seg.seq_len();
        let new_data = next_seq.is_none_or(|n| end > n);
        if seg.payload_len > 0 && new_data && self.sample[dir].is_none() {
            self.sample[dir] = Some((end, seg.time));
        }
        if seg.flags.ack() {
            let other = 1 - dir;
            if let Some((sample_end, sent)) = self.sample[other] {
                if seg.ack >= sample_end {
                    self.ack_delay_ns[other] = Some(seg.time.nanos_since(sent));
                    self.sample[other] = None;
                }
            }
        }
    }

    /// The round trip, once both directions gave a sample. Each direction's data-to-ACK delay
    /// covers the path on one side of the capture point; only both together make the round
    /// trip. One alone can be microseconds at a receiver-side capture while the sender's RTO is
    /// seconds.
    pub fn round_trip_ns(&self) -> Option<u64> {
        match self.ack_delay_ns {
            [Some(a), Some(b)] => Some(a.saturating_add(b)),
            _ => None,
        }
    }
}

impl RttSamples {
    /// No sample waiting and none taken: nothing to keep.
    pub fn is_empty(&self) -> bool {
        self.sample == [None, None] && self.ack_delay_ns == [None, None]
    }
}
