//! tcpprobe-core: tells TCP zero-window (persist) probes from keep-alives, and finds their ACKs.
//!
//! Sans-IO and deterministic: the caller hands in one [`Segment`] at a time, in capture order,
//! with its own timestamps; the [`Classifier`] answers with an optional [`Verdict`] and keeps a
//! small state per connection. It knows nothing of Wireshark or of any capture format, so a
//! Wireshark plugin and a standalone pcap reader get the same answers for the same segments.
//!
//! Why this exists: a Linux persist probe and a Linux keep-alive are the same bytes (a zero-length
//! ACK with seq = SND.UNA-1). Wireshark calls both "Keep-Alive". Which timer sent it follows from
//! the peer's window and from the timing of the series: a persist timer starts at
//! max(RTO, 200 ms) and doubles; a keep-alive timer waits at least 1 s idle and keeps its interval.
#![forbid(unsafe_code)]

mod classifier;
mod config;
mod decide;
mod direction;
mod episode;
#[cfg(feature = "panic-switch")]
mod panic_switch;
mod rtt;
mod run;
mod segment;
mod seq;
mod series;
mod stream;
mod table;
mod timers;
mod verdict;

pub use classifier::Classifier;
pub use config::{Config, Fraction, KeepAliveSettings, KeepAliveTolerance};
pub use episode::{mismatch, notes, EndCause, Episode, EpisodeEnd, EpisodeKind, Event, Unanswered};
pub use segment::{Endpoint, Segment, TcpFlags, Timestamp};
pub use seq::SeqNumber;
pub use verdict::{Class, ProbeStyle, Reason, Verdict};

#[cfg(test)]
mod tests;
