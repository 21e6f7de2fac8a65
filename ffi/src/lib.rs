//! C ABI over `tcpprobe-core` and `tcpprobe-wire`. Its header, `include/tcpprobe.h`, is generated
//! from this crate by cbindgen (`cbindgen.toml`; tests/header.rs fails when the committed header
//! differs, and `TCPPROBE_BLESS=1` rewrites it): the doc comments of the exported items are the
//! header's documentation.
//!
//! - `types`: the plain data and constants;
//! - `entry`: the entry points over a classifier, and the frame decoder;
//! - `texts`: the English texts of the enum values;
//! - `fence`: what every entry point runs in. A panic becomes `TCPPROBE_INTERNAL_ERROR` (or a
//!   function's fallback value) instead of unwinding into C, and a NULL where a pointer is
//!   required is refused before anything changes. Nothing here calls back into the caller: a C
//!   caller's longjmp-based error handling never crosses a Rust frame.
#![deny(unsafe_op_in_unsafe_fn)]

mod convert;
mod entry;
mod fence;
mod texts;
mod types;

pub use entry::*;
pub use texts::*;
pub use types::*;
