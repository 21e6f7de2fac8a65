//! One tracked connection: both directions' tracking and the round trip, kept for every
//! connection in 64 bytes; and, only once a window closes, a probe may have been sent, or the
//! round trip must be sampled, the extra state for that (both sides' probing, when each window
//! closed, RTT samples).

use std::hash::BuildHasher;

use crate::direction::{Direction, PeerWindow, WindowChange, WindowClosed};
use crate::rtt::{RoundTrip, RttSamples};
use crate::run::Probing;
use crate::segment::{Endpoint, Segment, Timestamp};

#[derive(Debug, Clone)]
pub(crate) struct Stream {
    /// A hash of direction 0's (source, destination): which way a segment goes.
    ends: u32,
    /// The round trip: from the handshake, or from the first data-to-ACK samples both ways.
    pub round_trip: RoundTrip,
    /// Per direction: what that side sends.
    pub dir: [Direction; 2],
    pub extra: Option<Box<Extra>>,
}

/// What only connections with a closed window, probes or a missed handshake need.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extra {
    /// Per direction: since when that side has advertised a zero window, while it does.
    pub zero_window: [Option<WindowClosed>; 2],
    /// Per direction: that side's probes into the other side.
    pub probing: [Probing; 2],
    pub rtt: RttSamples,
}

impl Extra {
    /// Nothing left that a later segment needs: no closed window, no probing, no samples.
    fn is_idle(&self) -> bool {
        self.zero_window == [None, None]
            && self.probing.iter().all(Probing::is_idle)
            && self.rtt.is_empty()
    }
}

/// Probing state of a side that never probed.
static NOT_PROBING: Probing = Probing::NONE;

fn ends_hash(src: &Endpoint, dst: &Endpoint) -> u32 {
    // A fixed seed: the same capture gives the same streams on every run.
    let h = foldhash::fast::FixedState::with_seed(0x7463_7070_726f_6265)
        .hash_one((src.addr, src.port, dst.addr, dst.port));
    (h ^ (h >> 32)) as u32
}

impl Stream {
    pub fn new(src: Endpoint, dst: Endpoint) -> Stream {
        Stream {
            ends: ends_hash(&src, &dst),
            round_trip: RoundTrip::default(),
            dir: Default::default(),
            extra: None,
        }
    }

    pub fn direction(&self, seg: &Segment) -> Option<usize> {
        if self.ends == ends_hash(&seg.src, &seg.dst) {
            Some(0)
        } else if self.ends == ends_hash(&seg.dst, &seg.src) {
            Some(1)
        } else {
            None
        }
    }

    /// When either side last sent.
    pub fn last_activity(&self) -> Timestamp {
        let t = |d: &Direction| d.last_time().unwrap_or_default();
        t(&self.dir[0]).max(t(&self.dir[1]))
    }

    /// Both FINs sent and acknowledged: nothing more can be classified.
    pub fn finished(&self) -> bool {
        let acked = |me: usize| match (self.dir[me].fin_seq(), self.dir[1 - me].last_ack()) {
            (Some(fin), Some(ack)) => ack > fin,
            _ => false,
        };
        acked(0) && acked(1)
    }

    /// Side `dir`'s probing (empty for a side that never probed).
    pub fn probing(&self, dir: usize) -> &Probing {
        self.extra
            .as_ref()
            .map_or(&NOT_PROBING, |x| &x.probing[dir])
    }

    /// The extra state, made on first need.
    pub fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Frees the extra state once nothing in it matters any more.
    pub fn release_idle_extra(&mut self) {
        if self.extra.as_ref().is_some_and(|x| x.is_idle()) {
            self.extra = None;
        }
    }

    /// What side `dir`'s window is now, as far as the capture tells.
    pub fn window_state(&self, dir: usize) -> PeerWindow {
        let closed = self.extra.as_ref().and_then(|x| x.zero_window[dir]);
        match (self.dir[dir].window(), closed) {
            (Some(0), Some(closed)) => PeerWindow::Zero(closed),
            (Some(_), _) => PeerWindow::Open,
            (None, _) => PeerWindow::Unknown,
        }
    }

    /// Takes the window of `seg`, sent in direction `dir`. Returns when the window had closed,
    /// if `seg` reopens it.
    pub fn observe_window(&mut self, dir: usize, seg: &Segment) -> Option<WindowClosed> {
        match self.dir[dir].observe_window(seg) {
            WindowChange::Unchanged => None,
            WindowChange::Closed => {
                self.extra_mut().zero_window[dir] = Some(WindowClosed {
                    packet: seg.packet,
                    time: seg.time,
                });
                None
            }
            WindowChange::Reopened => self.extra.as_mut()?.zero_window[dir].take(),
        }
    }

    /// Takes the round trip's evidence in `seg`, sent in direction `dir`; call before the
    /// direction observes `seg`'s sequence.
    pub fn observe_round_trip(&mut self, dir: usize, seg: &Segment) {
        if self.round_trip.known() {
            return;
        }
        let (me, peer) = (&self.dir[dir], &self.dir[1 - dir]);
        if seg.flags.ack() && !seg.flags.syn() && me.awaits_handshake_ack(peer) {
            let syn_sent = me.last_time().unwrap_or(seg.time);
            self.round_trip.set(seg.time.nanos_since(syn_sent));
        } else if peer.next_seq().is_some() || self.extra.is_some() {
            // Sampled only once both sides were seen: one-way traffic (a scan) gets no extra
            // state. The first round trip the samples give is kept; they are then dropped.
            let next = me.next_seq();
            let samples = &mut self.extra_mut().rtt;
            samples.observe(dir, seg, next);
            if let Some(ns) = samples.round_trip_ns() {
                self.round_trip.set(ns);
            }
        }
        if self.round_trip.known() {
            if let Some(x) = self.extra.as_mut() {
                x.rtt = RttSamples::default();
            }
        }
    }

    /// The round trip, when the capture shows all of it.
    pub fn round_trip_ns(&self) -> Option<u64> {
        self.round_trip.ns()
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
