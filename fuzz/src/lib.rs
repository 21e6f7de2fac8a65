//! tcpprobe-fuzz: hostile segment sequences through the core on stable Rust, checking its
//! invariants.

pub mod bound;
pub mod gen;
