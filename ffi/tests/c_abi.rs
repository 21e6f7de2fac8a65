//! The header as a C compiler reads it: every struct field and every constant must be what Rust
//! says (checked at compile time by `_Static_assert`s this test writes), and a C program linked
//! against the cdylib must classify through it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::mem::{align_of, offset_of, size_of, size_of_val};
use std::path::{Path, PathBuf};
use std::process::Command;

use tcpprobe_core::{
    mismatch, notes, Class, EndCause, EpisodeKind, ProbeStyle, Reason, TcpFlags, Unanswered,
};
use tcpprobe_ffi::{
    TcpprobeClass, TcpprobeConfig, TcpprobeEndCause, TcpprobeEpisode, TcpprobeEpisodeKind,
    TcpprobeEvent, TcpprobeEventKind, TcpprobeReason, TcpprobeSegment, TcpprobeStatus,
    TcpprobeStyle, TcpprobeUnanswered, TcpprobeVerdict,
};
use tcpprobe_wire::LinkType;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `cc` on `source`, with the header's directory on the include path, then `args` (libraries
/// after the source that needs them); whether it succeeded.
fn cc(source: &Path, args: &[&str]) -> bool {
    let status = Command::new("cc")
        .args(["-Wall", "-Wextra", "-Werror", "-I"])
        .arg(crate_dir().join("include"))
        .arg(source)
        .args(args)
        .status()
        .expect("run cc");
    status.success()
}

/// One struct's fields as `(C struct, field, offset, size)`, from the Rust type.
macro_rules! fields {
    ($ty:ident, $cty:literal, [$($field:ident),* $(,)?]) => {{
        let value = $ty::default();
        vec![$(($cty, stringify!($field), offset_of!($ty, $field), size_of_val(&value.$field))),*]
    }};
}

/// Every field of every struct of the header. A field left out here fails the test: the fields
/// must cover each struct from its first byte to its last, without gaps (all padding is
/// explicit `reserved` fields).
#[rustfmt::skip] // one line per few fields, not one per field
fn struct_fields() -> Vec<(&'static str, &'static str, usize, usize)> {
    let mut all = fields!(TcpprobeSegment, "tcpprobe_segment", [
        packet, time_ns, conn, src_addr, dst_addr, src_port, dst_port, seq, ack, flags, window,
        has_window_scale, window_scale, window_unknown, reserved, payload_len,
    ]);
    all.extend(fields!(TcpprobeVerdict, "tcpprobe_verdict", [
        verdict_class, style, reason, peer_window_zero, has_window_closed_in, has_answers,
        has_since_window_closed, has_since_previous_probe, window_closed_in, answers,
        since_window_closed_ns, since_previous_probe_ns, has_episode, tentative,
        keepalive_mismatch, has_interval_ratio, probe_number, episode, interval_ratio_milli,
        peer_window_unknown, reserved,
    ]));
    all.extend(fields!(TcpprobeConfig, "tcpprobe_config", [
        keepalive_time_ns, keepalive_interval_ns, keepalive_probes, reserved,
        invalid_ratelimit_ns, rto_min_ns, rto_max_ns, max_connections,
    ]));
    all.extend(fields!(TcpprobeEpisode, "tcpprobe_episode", [
        id, kind, end_cause, keepalive_mismatch, has_window_closed_in, has_window_reopened_in,
        has_idle_before_first, reserved, window_closed_in, window_closed_at_ns,
        window_reopened_in, first_probe, first_probe_at_ns, idle_before_first_ns, last_probe,
        last_probe_at_ns, last_packet, last_packet_at_ns, zero_window_probes, keep_alives,
        answered, unanswered_in_a_row, rate_limited, no_reply, max_interval_ns, overdue_at_ns,
        end_packet, end_time_ns, notes, reserved2,
    ]));
    all.extend(fields!(TcpprobeEvent, "tcpprobe_event", [
        kind, verdict_class, reason, unanswered, reserved, packet, episode, verdict,
        evicted,
    ]));
    all
}

/// Every type of the header with its size and alignment in Rust.
fn types() -> Vec<(&'static str, usize, usize)> {
    macro_rules! ty {
        ($ty:ty, $cty:literal) => {
            ($cty, size_of::<$ty>(), align_of::<$ty>())
        };
    }
    vec![
        ty!(TcpprobeSegment, "tcpprobe_segment"),
        ty!(TcpprobeVerdict, "tcpprobe_verdict"),
        ty!(TcpprobeConfig, "tcpprobe_config"),
        ty!(TcpprobeEpisode, "tcpprobe_episode"),
        ty!(TcpprobeEvent, "tcpprobe_event"),
        ty!(TcpprobeStatus, "tcpprobe_status"),
        ty!(TcpprobeClass, "tcpprobe_class"),
        ty!(TcpprobeStyle, "tcpprobe_style"),
        ty!(TcpprobeReason, "tcpprobe_reason"),
        ty!(TcpprobeEpisodeKind, "tcpprobe_episode_kind"),
        ty!(TcpprobeEndCause, "tcpprobe_end_cause"),
        ty!(TcpprobeUnanswered, "tcpprobe_unanswered"),
        ty!(TcpprobeEventKind, "tcpprobe_event_kind"),
    ]
}

/// `ZeroWindowProbeAck` -> `ZERO_WINDOW_PROBE_ACK`.
fn screaming(camel: &str) -> String {
    let mut out = String::new();
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// Every enum value and #define the header must have, with its value: the core's and the wire
/// crate's own numbers (a C name is its prefix and the Rust variant's name), and what only the C
/// ABI has.
fn constants() -> BTreeMap<String, u64> {
    let mut all = BTreeMap::new();
    let mut add = |name: String, value: u64| {
        assert!(all.insert(name.clone(), value).is_none(), "{name} twice");
    };
    macro_rules! core_enum {
        ($prefix:literal, $all:expr) => {
            for v in $all {
                add(
                    format!("{}{}", $prefix, screaming(&format!("{v:?}"))),
                    v as u64,
                );
            }
        };
    }
    core_enum!("TCPPROBE_CLASS_", Class::ALL);
    core_enum!("TCPPROBE_STYLE_", ProbeStyle::ALL);
    core_enum!("TCPPROBE_REASON_", Reason::ALL);
    core_enum!("TCPPROBE_EPISODE_", EpisodeKind::ALL);
    core_enum!("TCPPROBE_END_", EndCause::ALL);
    core_enum!("TCPPROBE_UNANSWERED_", Unanswered::ALL);
    core_enum!("TCPPROBE_LINK_", LinkType::ALL);

    let note_bits = [
        ("PERSIST_BACKOFF", notes::PERSIST_BACKOFF),
        ("ALL_ANSWERED", notes::ALL_ANSWERED),
        ("PROBES_STOPPED", notes::PROBES_STOPPED),
        ("KEEPALIVE_ABORT", notes::KEEPALIVE_ABORT),
        ("KEEPALIVE_CONSTANT", notes::KEEPALIVE_CONSTANT),
        (
            "KEEPALIVE_SETTINGS_DIFFER",
            notes::KEEPALIVE_SETTINGS_DIFFER,
        ),
        ("RATE_LIMITED_REPLIES", notes::RATE_LIMITED_REPLIES),
        ("UNANSWERED_PROBES", notes::UNANSWERED_PROBES),
        ("RST_AFTER_REOPEN", notes::RST_AFTER_REOPEN),
        ("BEGAN_BEFORE_CAPTURE", notes::BEGAN_BEFORE_CAPTURE),
    ];
    assert_eq!(
        note_bits
            .iter()
            .map(|(_, bit)| *bit)
            .collect::<BTreeSet<_>>(),
        notes::ALL
            .iter()
            .map(|(bit, _)| *bit)
            .collect::<BTreeSet<_>>(),
        "a note bit of the core is missing here"
    );
    for (name, bit) in note_bits {
        add(format!("TCPPROBE_NOTE_{name}"), bit.into());
    }
    for (name, bit) in [
        ("IDLE", mismatch::IDLE),
        ("INTERVAL", mismatch::INTERVAL),
        ("COUNT", mismatch::COUNT),
    ] {
        add(format!("TCPPROBE_MISMATCH_{name}"), bit.into());
    }
    for (name, bit) in [
        ("FIN", TcpFlags::FIN),
        ("SYN", TcpFlags::SYN),
        ("RST", TcpFlags::RST),
        ("ACK", TcpFlags::ACK),
    ] {
        add(format!("TCPPROBE_FLAG_{name}"), bit.into());
    }

    // Only the C ABI: "no value" of the optional u8 fields, the status, the event kinds.
    for name in [
        "TCPPROBE_CLASS_NONE",
        "TCPPROBE_STYLE_NONE",
        "TCPPROBE_REASON_NONE",
        "TCPPROBE_END_OPEN",
    ] {
        add(name.to_string(), 0);
    }
    for (name, status) in [
        ("OK", TcpprobeStatus::OK),
        ("NULL_ARGUMENT", TcpprobeStatus::NULL_ARGUMENT),
        ("INTERNAL_ERROR", TcpprobeStatus::INTERNAL_ERROR),
    ] {
        add(format!("TCPPROBE_{name}"), status as u64);
    }
    for (name, kind) in [
        ("NONE", TcpprobeEventKind::NONE),
        ("EPISODE", TcpprobeEventKind::EPISODE),
        ("SETTLED", TcpprobeEventKind::SETTLED),
        ("UNANSWERED", TcpprobeEventKind::UNANSWERED),
        ("RECOGNISED", TcpprobeEventKind::RECOGNISED),
        ("EVICTED", TcpprobeEventKind::EVICTED),
    ] {
        add(format!("TCPPROBE_EVENT_{name}"), kind as u64);
    }
    all
}

/// The names the header defines: enum values and #defines (but its include guard).
fn header_constants() -> BTreeSet<String> {
    let header = std::fs::read_to_string(crate_dir().join("include/tcpprobe.h")).unwrap();
    let mut names = BTreeSet::new();
    for line in header.lines() {
        let name = if let Some(rest) = line.strip_prefix("#define ") {
            rest.split_whitespace().next()
        } else if line.trim_start().starts_with("TCPPROBE_") {
            line.trim_start().split([' ', '=', ',']).next()
        } else {
            None
        };
        if let Some(name) = name.filter(|n| *n != "TCPPROBE_H") {
            names.insert(name.to_string());
        }
    }
    names
}

#[test]
fn every_struct_field_and_constant_reads_in_c_as_in_rust() {
    let fields = struct_fields();
    let types = types();
    let mut c = String::from("#include <stddef.h>\n#include \"tcpprobe.h\"\n\n");
    let mut check = |cond: String| writeln!(c, "_Static_assert({cond}, \"{cond}\");").unwrap();
    for &(cty, size, align) in &types {
        check(format!("sizeof({cty}) == {size}"));
        check(format!("_Alignof({cty}) == {align}"));
    }
    for &(cty, field, offset, size) in &fields {
        check(format!("offsetof({cty}, {field}) == {offset}"));
        check(format!("sizeof((({cty} *)0)->{field}) == {size}"));
    }
    let constants = constants();
    for (name, value) in &constants {
        check(format!("{name} == {value}"));
    }

    // Nothing left out: the fields tile each struct, the constants are all the header has.
    for &(cty, size, _) in &types[..5] {
        let mut end = 0;
        for &(_, field, offset, len) in fields.iter().filter(|f| f.0 == cty) {
            assert_eq!(offset, end, "{cty}.{field}: a field is missing before it");
            end = offset + len;
        }
        assert_eq!(end, size, "{cty}: a field is missing at its end");
    }
    assert_eq!(
        constants.keys().cloned().collect::<BTreeSet<_>>(),
        header_constants(),
        "the header's enum values and #defines are not those the core and the C ABI define"
    );

    let source = std::env::temp_dir().join(format!("tcpprobe-abi-{}.c", std::process::id()));
    std::fs::write(&source, &c).unwrap();
    let compiled = cc(&source, &["-std=c11", "-pedantic", "-fsyntax-only"]);
    let _ = std::fs::remove_file(&source);
    assert!(
        compiled,
        "a struct field or constant of tcpprobe.h differs from Rust's (see the failed assertion)"
    );
    eprintln!(
        "checked from C: {} types, {} fields, {} constants",
        types.len(),
        fields.len(),
        constants.len()
    );
}

/// target/<profile>/deps, where cargo put libtcpprobe_ffi.so for this test run.
fn deps_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().expect("deps dir").to_path_buf()
}

fn build_and_run() -> String {
    let deps = deps_dir();
    assert!(
        deps.join("libtcpprobe_ffi.so").exists(),
        "cdylib not built in {}",
        deps.display()
    );
    let exe = std::env::temp_dir().join(format!("tcpprobe-abi-check-{}", std::process::id()));
    let (exe_arg, deps_arg) = (exe.display().to_string(), deps.display().to_string());
    let rpath = format!("-Wl,-rpath,{deps_arg}");
    assert!(
        cc(
            &crate_dir().join("tests/c/abi_check.c"),
            &[
                "-std=c99",
                "-o",
                &exe_arg,
                "-L",
                &deps_arg,
                "-ltcpprobe_ffi",
                &rpath
            ],
        ),
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
fn c_classifies_through_the_header() {
    let out = build_and_run();
    let c: HashMap<&str, &str> = out.lines().filter_map(|l| l.split_once(' ')).collect();

    let verdicts: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("verdict ") || l.starts_with("episode "))
        .collect();
    assert_eq!(
        verdicts,
        [
            "verdict 0 not a probe or its ACK answers=0 closed_in=0 probe_number=0",
            "verdict 1 not a probe or its ACK answers=0 closed_in=0 probe_number=0",
            "verdict 2 Zero-window probe answers=0 closed_in=2 probe_number=1",
            "episode 2 id=1 probes=1 answered=0 end=still open when the capture ended duration=0",
            "verdict 3 Zero-window probe ACK answers=5 closed_in=2 probe_number=1",
            "episode 3 id=1 probes=1 answered=1 end=still open when the capture ended duration=0",
            "verdict 4 not a probe or its ACK answers=0 closed_in=0 probe_number=0",
            "episode 4 id=1 probes=1 answered=1 end=window reopened duration=700000000",
        ]
    );
    assert_eq!(
        c["config"], "7200000000000 75000000000 9 500000000 200000000 120000000000",
        "Linux's keep-alive defaults, rate limit and RTO bounds"
    );
    assert_eq!(c["configure"], "0");
    assert_eq!(
        c["configured"], "3600000000000 60000000000 3 250000000 2000000000 60000000000",
        "tcpprobe_classifier_config() gives back every field tcpprobe_classifier_configure() set"
    );
    assert_eq!(
        c["rto_min"], "default 3 5 configured 1 1 restored 3 5",
        "a first probe 2 s into a zero window, 200 ms RTT: beyond 3 x (RTT + 200 ms) a keep-alive \
         (long idle), within 3 x (RTT + 2 s) a persist probe (peer window zero)"
    );
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
