//! The round-trip time as a capture point can see it: the persist timer's first delay is
//! max(RTO, 200 ms), and the RTO follows the RTT.

use crate::segment::{Segment, Timestamp};
use crate::SeqNumber;

/// One connection's RTT estimate.
#[derive(Debug, Clone, Default)]
pub(crate) struct RttEstimator {
    syn_time: Option<Timestamp>,
    syn_ack_seen: bool,
    /// Full round trip from the handshake (SYN to the ACK of the SYN-ACK): valid from any
    /// capture point.
    handshake_ns: Option<u64>,
    /// Per direction: the oldest new data still waiting for an ACK.
    sample: [Option<(SeqNumber, Timestamp)>; 2],
    /// Per direction: delay from that side's data to the other side's ACK, as seen at the
    /// capture point.
    ack_delay_ns: [Option<u64>; 2],
}

impl RttEstimator {
    /// Handshake timing: SYN, SYN-ACK, then the SYN sender's first ACK.
    pub fn observe_handshake(&mut self, seg: &Segment) {
        if seg.flags.syn() && !seg.flags.ack() {
            self.syn_time = Some(seg.time);
        } else if seg.flags.syn() {
            self.syn_ack_seen = true;
        } else if self.syn_ack_seen && self.handshake_ns.is_none() && seg.flags.ack() {
            if let Some(t) = self.syn_time {
                self.handshake_ns = Some(seg.time.nanos_since(t));
            }
        }
    }

    /// Data-to-ACK timing of `seg`, sent in direction `dir`. `next_seq` is the sender's SND.NXT
    /// before `seg`.
    pub fn observe_data_and_ack(&mut self, dir: usize, seg: &Segment, next_seq: Option<SeqNumber>) {
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

    /// The round-trip time, when the capture shows all of it.
    pub fn round_trip_ns(&self) -> Option<u64> {
        self.handshake_ns.or_else(|| {
            // Each direction's data-to-ACK delay covers the path on one side of the capture
            // point; only both together make the round trip. One alone can be microseconds
            // at a receiver-side capture while the sender's RTO is seconds.
            match self.ack_delay_ns {
                [Some(a), Some(b)] => Some(a.saturating_add(b)),
                _ => None,
            }
        })
    }
}
