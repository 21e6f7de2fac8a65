//! A test-only switch (cargo feature `panic-switch`, never in a release build): the classifier
//! panics on the packet that `TCPPROBE_PANIC_ON_FRAME` names, halfway through classifying it,
//! so that tests can show what the C ABI's fence and the plugin make of a bug: an expert error
//! on that frame, the next frames classified, Wireshark running on.
//!
//! It reads the environment, which the core otherwise never does: only builds that ask for it
//! contain it.

use std::sync::OnceLock;

/// Panics if `packet` is the one the environment names.
pub(crate) fn maybe_panic(packet: u64) {
    static FRAME: OnceLock<Option<u64>> = OnceLock::new();
    let frame = FRAME.get_or_init(|| std::env::var("TCPPROBE_PANIC_ON_FRAME").ok()?.parse().ok());
    if *frame == Some(packet) {
        panic!("tcpprobe panic switch: packet {packet}");
    }
}
