//! tcpprobe-fuzz: hostile segment sequences through the core on stable Rust, checking its
//! invariants (see [`check`] for the four).
//!
//! An execution is one generated input (a [`Config`](tcpprobe_core::Config) and a sequence of
//! segments over a few connections, or many, see [`gen`]) classified in full by a new
//! classifier, then a prefix of it classified again (invariant 3). Execution `i` of seed `s` is
//! a pure function of `(s, i)`: [`runner::input`] replays it.
//!
//! `cargo run --profile fuzz -p tcpprobe-fuzz -- --executions 10000000 --seed 1 --jobs 2` runs
//! ten million and prints the figures; the tests run a short campaign.

pub mod bound;
pub mod check;
pub mod gen;
pub mod runner;
