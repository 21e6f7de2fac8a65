//! The Wireshark plugin's entry points.
//!
//! Wireshark's loader looks these symbols up by name: `plugin_version` (a char array),
//! `plugin_want_major`/`plugin_want_minor` (ints), `plugin_register` and, from 4.4 on,
//! `plugin_describe`. They live in Rust because a cdylib exports only Rust `#[no_mangle]` items;
//! everything that touches epan is in the C shim (`plugin/*.c`; `register.c` implements the
//! `shim.h` this file calls), compiled against the installed headers by `build.rs`. The shim
//! reaches the classifier through the `tcpprobe-ffi` C ABI.
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::c_int;
use std::panic::catch_unwind;

// Linked in for the shim: it calls the C ABI (tcpprobe_classify and friends) defined there.
pub use tcpprobe_ffi;

mod shim {
    #![allow(dead_code, non_camel_case_types)]
    include!(concat!(env!("OUT_DIR"), "/shim_bindings.rs"));
}

mod version {
    include!(concat!(env!("OUT_DIR"), "/wireshark_version.rs"));
}

#[repr(transparent)]
pub struct PluginVersion(pub [u8; version::PLUGIN_VERSION.len()]);

#[no_mangle]
#[used]
pub static plugin_version: PluginVersion = PluginVersion(version::PLUGIN_VERSION);

#[no_mangle]
#[used]
pub static plugin_want_major: c_int = version::WIRESHARK_MAJOR;

#[no_mangle]
#[used]
pub static plugin_want_minor: c_int = version::WIRESHARK_MINOR;

/// Called once by Wireshark's loader. The shim only queues the registration callbacks here, so
/// no Wireshark exception can be raised while this Rust frame is on the stack.
#[no_mangle]
pub extern "C" fn plugin_register() {
    // SAFETY: plain C function without arguments; it only stores static callbacks.
    if catch_unwind(|| unsafe { shim::tcpprobe_shim_plugin_register() }).is_err() {
        eprintln!("tcpprobe: plugin registration failed");
    }
}

/// What kind of plugin this is (read by Wireshark 4.4 and later).
#[no_mangle]
pub extern "C" fn plugin_describe() -> u32 {
    // SAFETY: plain C function returning a constant.
    catch_unwind(|| unsafe { shim::tcpprobe_shim_plugin_describe() }).unwrap_or(0)
}
