//! tcpprobe-fuzz: hostile segment sequences through the core on stable Rust, checking its
//! invariants (see [`check`] for the four).

pub mod bound;
pub mod check;
pub mod gen;
