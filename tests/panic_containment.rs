//! A bug in the classifier is contained. Built with the test-only feature `panic-switch`, the core
//! panics halfway through classifying the frame TCPPROBE_PANIC_ON_FRAME names: tshark must run
//! on and exit as usual, that frame must carry tcpprobe's expert error, and the next frames must
//! be classified. The plugin under test (built without the feature) must ignore the variable.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

/// The plugin built with the panic switch, in a target folder of its own (a debug build: quick,
/// and never mistaken for the plugin under test).
fn panic_switch_plugin() -> PathBuf {
    let target = repo().join("target/panic-switch");
    let mut cargo = Command::new(env!("CARGO"));
    // Not this test run's build settings: cargo passes the plugin's build-script variables
    // (TCPPROBE_WIRESHARK_VERSION, which build.rs reads as "Wireshark without pkg-config") and
    // its own package variables to the tests it runs.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("TCPPROBE_WIRESHARK")
            || (key.starts_with("CARGO_") && key != "CARGO_HOME")
        {
            cargo.env_remove(key);
        }
    }
    let status = cargo
        .args([
            "build",
            "--quiet",
            "--lib",
            "--features",
            "panic-switch",
            "--target-dir",
        ])
        .arg(&target)
        .current_dir(repo())
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "building the plugin with panic-switch failed"
    );
    target.join("debug/libtcpprobe.so")
}

/// frame -> (verdict, failed) of persist_v4.pcap with the switch set to frame 8.
fn rows(tshark: &Tshark, pass: &[&str]) -> (Vec<(u32, String, String)>, String) {
    let cap = tshark.stage(&bundled_kernel_dir().join("persist_v4.pcap"));
    let out = tshark
        .command("tshark")
        .env("TCPPROBE_PANIC_ON_FRAME", "8")
        .args([
            "-r",
            cap.to_str().unwrap(),
            "-T",
            "fields",
            "-E",
            "occurrence=f",
        ])
        .args([
            "-e",
            "frame.number",
            "-e",
            "tcpprobe.verdict",
            "-e",
            "tcpprobe.failed",
        ])
        .args(pass)
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark {pass:?}: {out:?}");
    let rows = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0].parse().unwrap(), c[1].to_string(), c[2].to_string())
        })
        .collect();
    (rows, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_panic_on_one_frame_is_an_expert_error_and_the_next_frames_are_classified() {
    let tshark = Tshark::with_plugin(&panic_switch_plugin());
    for pass in [&[][..], &["-2"][..]] {
        let (rows, stderr) = rows(&tshark, pass);
        assert!(
            stderr.contains("tcpprobe panic switch: packet 8"),
            "{pass:?}: the switch did not fire:\n{stderr}"
        );
        assert_eq!(rows.len(), 24, "{pass:?}: every frame dissected");
        for (frame, verdict, failed) in &rows {
            assert_eq!(
                !failed.is_empty(),
                *frame == 8,
                "{pass:?} frame {frame}: tcpprobe.failed"
            );
            if *frame == 8 {
                assert_eq!(verdict, "", "{pass:?}: no verdict on the failed frame");
            }
        }
        let probes_after = rows
            .iter()
            .filter(|(f, v, _)| *f > 8 && v == ZERO_WINDOW_PROBE)
            .count();
        assert_eq!(
            probes_after, 3,
            "{pass:?}: the probes after the failed frame"
        );
    }
    // The error is expert info, where users look (here without a tree: -q -z expert).
    let cap = tshark.stage(&bundled_kernel_dir().join("persist_v4.pcap"));
    let out = tshark
        .command("tshark")
        .env("TCPPROBE_PANIC_ON_FRAME", "8")
        .args(["-r", cap.to_str().unwrap(), "-q", "-z", "expert,error"])
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("Malformed           tcpprobe  tcpprobe's classifier failed on this frame"),
        "{text}"
    );
}

#[test]
fn the_plugin_under_test_has_no_panic_switch() {
    let tshark = Tshark::new();
    let (rows, stderr) = rows(&tshark, &[]);
    assert!(!stderr.contains("panic"), "{stderr}");
    let frame8 = rows.iter().find(|r| r.0 == 8).unwrap();
    assert_eq!(
        (frame8.1.as_str(), frame8.2.as_str()),
        (ZERO_WINDOW_PROBE, "")
    );
}
