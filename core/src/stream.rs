//! One tracked connection: both directions' tracking, both sides' probing, and the RTT.

use crate::direction::Direction;
use crate::rtt::RttEstimator;
use crate::run::Probing;
use crate::segment::{Endpoint, Segment};

#[derive(Debug, Clone)]
pub(crate) struct Stream {
    /// Sender and receiver of direction 0 (the first segment seen).
    pub ends: [Endpoint; 2],
    /// Per direction: what that side sends.
    pub dir: [Direction; 2],
    /// Per direction: that side's probes into the other side.
    pub probing: [Probing; 2],
    pub rtt: RttEstimator,
}

impl Stream {
    pub fn new(src: Endpoint, dst: Endpoint) -> Stream {
        Stream {
            ends: [src, dst],
            dir: Default::default(),
            probing: Default::default(),
            rtt: RttEstimator::default(),
        }
    }

    pub fn direction(&self, seg: &Segment) -> Option<usize> {
        if self.ends == [seg.src, seg.dst] {
            Some(0)
        } else if self.ends == [seg.dst, seg.src] {
            Some(1)
        } else {
            None
        }
    }

    /// Both FINs sent and acknowledged: nothing more can be classified.
    pub fn finished(&self) -> bool {
        let acked = |me: usize| match (self.dir[me].fin_seq, self.dir[1 - me].last_ack) {
            (Some(fin), Some(ack)) => ack > fin,
            _ => false,
        };
        acked(0) && acked(1)
    }
}

/// (element `i`, the other element), both mutably.
pub(crate) fn pair_mut<T>(pair: &mut [T; 2], i: usize) -> (&mut T, &mut T) {
    let [a, b] = pair;
    if i == 0 {
        (a, b)
    } else {
        (b, a)
    }
}
