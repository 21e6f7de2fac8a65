//! The header as a C compiler reads it: its layout must match the Rust structs, and a C program
//! linked against the cdylib must classify through it.

use std::collections::HashMap;
use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use tcpprobe_ffi::{
    TcpprobeConfig, TcpprobeEpisode, TcpprobeEvent, TcpprobeSegment, TcpprobeVerdict,
};

/// target/<profile>/deps, where cargo put libtcpprobe_ffi.so for this test run.
fn deps_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().expect("deps dir").to_path_buf()
}

fn build_and_run() -> String {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let deps = deps_dir();
    assert!(
        deps.join("libtcpprobe_ffi.so").exists(),
        "cdylib not built in {}",
        deps.display()
    );
    let exe = std::env::temp_dir().join(format!("tcpprobe-abi-check-{}", std::process::id()));
    let status = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&exe)
        .arg(crate_dir.join("tests/c/abi_check.c"))
        .arg("-I")
        .arg(crate_dir.join("include"))
        .arg("-L")
        .arg(&deps)
        .arg("-ltcpprobe_ffi")
        .arg(format!("-Wl,-rpath,{}", deps.display()))
        .status()
        .expect("run cc");
    assert!(
        status.success(),
        "the C program does not compile against tcpprobe.h"
    );
    // cargo's LD_LIBRARY_PATH may list target/<profile> (an older copy of the cdylib) before the
    // binary's own RUNPATH: load exactly the library this test run built.
    let out = Command::new(&exe)
        .env("LD_LIBRARY_PATH", &deps)
        .output()
        .expect("run the C program");
    let _ = std::fs::remove_file(&exe);
    assert!(
        out.status.success(),
        "the C program failed: {:?}",
        out.status
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn header_layout_matches_rust_and_c_classifies_through_it() {
    let out = build_and_run();
    let c: HashMap<&str, &str> = out.lines().filter_map(|l| l.split_once(' ')).collect();
    let layout = |key: &str| -> usize { c[key].parse().unwrap() };

    assert_eq!(
        layout("sizeof.tcpprobe_segment"),
        size_of::<TcpprobeSegment>()
    );
    assert_eq!(
        layout("sizeof.tcpprobe_verdict"),
        size_of::<TcpprobeVerdict>()
    );
    assert_eq!(
        layout("tcpprobe_segment.src_addr"),
        offset_of!(TcpprobeSegment, src_addr)
    );
    assert_eq!(
        layout("tcpprobe_segment.src_port"),
        offset_of!(TcpprobeSegment, src_port)
    );
    assert_eq!(
        layout("tcpprobe_segment.seq"),
        offset_of!(TcpprobeSegment, seq)
    );
    assert_eq!(
        layout("tcpprobe_segment.flags"),
        offset_of!(TcpprobeSegment, flags)
    );
    assert_eq!(
        layout("tcpprobe_segment.has_window_scale"),
        offset_of!(TcpprobeSegment, has_window_scale)
    );
    assert_eq!(
        layout("tcpprobe_segment.payload_len"),
        offset_of!(TcpprobeSegment, payload_len)
    );
    assert_eq!(
        layout("tcpprobe_verdict.reason"),
        offset_of!(TcpprobeVerdict, reason)
    );
    assert_eq!(
        layout("tcpprobe_verdict.has_since_previous_probe"),
        offset_of!(TcpprobeVerdict, has_since_previous_probe)
    );
    assert_eq!(
        layout("tcpprobe_verdict.window_closed_in"),
        offset_of!(TcpprobeVerdict, window_closed_in)
    );
    assert_eq!(
        layout("tcpprobe_verdict.since_previous_probe_ns"),
        offset_of!(TcpprobeVerdict, since_previous_probe_ns)
    );

    macro_rules! same_layout {
        ($ty:ident, $cty:literal, [$($field:ident),*]) => {
            assert_eq!(layout(concat!("sizeof.", $cty)), size_of::<$ty>(), $cty);
            $(assert_eq!(
                layout(concat!($cty, ".", stringify!($field))),
                offset_of!($ty, $field),
                concat!($cty, ".", stringify!($field))
            );)*
        };
    }
    same_layout!(
        TcpprobeVerdict,
        "tcpprobe_verdict",
        [probe_number, episode, interval_ratio_milli]
    );
    same_layout!(
        TcpprobeConfig,
        "tcpprobe_config",
        [keepalive_probes, invalid_ratelimit_ns]
    );
    same_layout!(
        TcpprobeEpisode,
        "tcpprobe_episode",
        [
            has_idle_before_first,
            window_closed_in,
            zero_window_probes,
            no_reply,
            max_interval_ns,
            notes
        ]
    );
    same_layout!(
        TcpprobeEvent,
        "tcpprobe_event",
        [unanswered, packet, episode]
    );

    let verdicts: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("verdict ") || l.starts_with("episode "))
        .collect();
    assert_eq!(
        verdicts,
        [
            "verdict 0 - answers=0 closed_in=0 probe_number=0",
            "verdict 1 - answers=0 closed_in=0 probe_number=0",
            "verdict 2 Zero-window probe answers=0 closed_in=2 probe_number=1",
            "episode 2 id=1 probes=1 answered=0 end=- duration=0",
            "verdict 3 Zero-window probe ACK answers=5 closed_in=2 probe_number=1",
            "episode 3 id=1 probes=1 answered=1 end=- duration=0",
            "verdict 4 - answers=0 closed_in=0 probe_number=0",
            "episode 4 id=1 probes=1 answered=1 end=window reopened duration=700000000",
        ]
    );
    assert_eq!(
        c["config"], "7200000000000 75000000000 9 500000000",
        "Linux's keep-alive defaults and rate limit"
    );
    assert_eq!(c["configure"], "0");
    assert_eq!(
        c["note"],
        "keep-alive abort (RST after unanswered keep-alives)"
    );
    assert_eq!(
        c["null"], "1",
        "NULL arguments must return TCPPROBE_NULL_ARGUMENT"
    );
    assert_eq!(
        c["decode"], "0 1 42 1 4000 80 7 0x10 0 5",
        "the frame's TCP facts, the length from the IP header"
    );
    assert_eq!(
        c["decode_other"], "0 0",
        "an IP packet read as Ethernet is no TCP segment"
    );
    assert_eq!(c["decode_null"], "1");
    assert_eq!(
        c["classify_frame"], "0 1 0",
        "a data segment of an unknown connection: a segment, no verdict"
    );
}
