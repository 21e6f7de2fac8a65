//! Captures from other projects' test suites (../shared/captures, see its MANIFEST.tsv): the
//! plugin must dissect every one without error in every mode, and get the real-world zero-window
//! captures right.

mod common;

use common::*;
use std::path::PathBuf;

fn shared_dir() -> PathBuf {
    let dir = repo().join("../shared/captures");
    assert!(
        dir.join("MANIFEST.tsv").exists(),
        "../shared/captures is missing beside the repository ({})",
        dir.display()
    );
    dir
}

/// Some of these captures are truncated on purpose: tshark then exits with an error of its own.
/// With the plugin it must end exactly as without it, after the same frames.
#[test]
fn every_shared_capture_dissects_cleanly() {
    let tshark = Tshark::new();
    let baseline = Tshark::without_plugin();
    let mut n = 0;
    for entry in std::fs::read_dir(shared_dir()).expect("shared captures") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let pcap = tshark.stage(&path);
        let p = pcap.to_str().unwrap();
        let frames = |out: &std::process::Output| {
            String::from_utf8_lossy(&out.stdout)
                .matches("\nFrame ")
                .count()
        };
        // Full tree in one pass; fields in two passes; a filter on tcpprobe's own fields.
        let with = tshark.run_raw(&["-r", p, "-V"]);
        let without = baseline.run_raw(&["-r", &baseline.stage(&path).to_string_lossy(), "-V"]);
        assert_eq!(
            with.status.code(),
            without.status.code(),
            "{name}: exit status"
        );
        assert_eq!(frames(&with), frames(&without), "{name}: frames dissected");
        assert!(frames(&with) > 0, "{name}: no frames dissected");
        for args in [
            &["-2", "-T", "fields", "-e", "tcpprobe.verdict"][..],
            &["-Y", "tcpprobe"][..],
        ] {
            let mut all = vec!["-r", p];
            all.extend_from_slice(args);
            let out = tshark.run_raw(&all);
            assert_eq!(
                out.status.code(),
                without.status.code(),
                "{name} {args:?}: exit status"
            );
        }
        std::fs::remove_file(&pcap).expect("remove staged capture");
        n += 1;
    }
    assert!(n >= 20, "only {n} shared captures found");
}

/// A real Linux persist stall captured at the receiver (chrissanders/packets): Wireshark calls
/// every probe a Keep-Alive; they double 3.4 s, 6.8 s, 13.5 s, as a persist timer does.
#[test]
fn real_linux_stall_is_relabelled() {
    let tshark = Tshark::new();
    let pcap = tshark.stage(&shared_dir().join("chrissanders_packets__tcp_zerowindowdead.pcapng"));
    let rows = tshark.fields(
        &pcap,
        &["-2"],
        &[
            "frame.number",
            "tcpprobe.verdict",
            "tcpprobe.answers",
            "tcp.analysis.keep_alive",
        ],
    );
    let got: Vec<(String, String, String, String)> = rows
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()))
        .collect();
    let want = [
        ("1", "", "", ""),
        ("2", "", "", ""),
        ("3", ZERO_WINDOW_PROBE, "", "1"),
        ("4", ZERO_WINDOW_PROBE_ACK, "3", ""),
        ("5", ZERO_WINDOW_PROBE, "", "1"),
        ("6", ZERO_WINDOW_PROBE_ACK, "5", ""),
        ("7", ZERO_WINDOW_PROBE, "", "1"),
        ("8", ZERO_WINDOW_PROBE_ACK, "7", ""),
    ]
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()));
    assert_eq!(got, want);
}

/// A window that closes and reopens with no probe in between gets no verdict.
#[test]
fn zero_window_recovery_without_probes_has_no_verdicts() {
    let tshark = Tshark::new();
    let pcap =
        tshark.stage(&shared_dir().join("chrissanders_packets__tcp_zerowindowrecovery.pcapng"));
    let out = tshark.run(&["-r", pcap.to_str().unwrap(), "-Y", "tcpprobe"]);
    assert_eq!(out, "", "unexpected verdicts:\n{out}");
}
