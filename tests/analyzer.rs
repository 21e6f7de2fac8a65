//! The standalone analyzer (`cli/`, binary `tcpprobe`) against the plugin: for every capture in
//! tests/captures and ../shared/captures, the analyzer's whole-capture verdicts (`--frames`)
//! equal the plugin's under `tshark -2`, frame by frame; on the kernel captures also under other
//! RTO bounds (the analyzer's `Options::config`, the plugin's `rto_min`/`rto_max`). And the same
//! kernel scenario captured on lo (Ethernet), with `-i any` (Linux cooked v1 and v2) and with a
//! small snap length gives the same verdicts (needs root; TCPPROBE_SKIP_NETNS=1 leaves it out,
//! README "Tests").
//!
//! From tests/common (being restructured elsewhere): only `Tshark::new`, `Tshark::stage` and
//! `Tshark::run_raw` (tshark as `nobody` with the built plugin), `repo` and `is_root`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{is_root, repo, Tshark};
use tcpprobe_cli::{analyze_path, field_name, Config, Options};

/// The plugin's verdicts under `tshark -2`: (frame, class name), frames without one left out.
fn plugin_verdicts(tshark: &Tshark, capture: &Path) -> Vec<(u64, String)> {
    plugin_verdicts_with(tshark, capture, &[])
}

/// The same, with more tshark arguments (preferences).
fn plugin_verdicts_with(tshark: &Tshark, capture: &Path, extra: &[&str]) -> Vec<(u64, String)> {
    let staged = tshark.stage(capture);
    let mut args = vec!["-r", staged.to_str().unwrap(), "-2", "-T", "fields"];
    args.extend([
        "-E",
        "separator=\t",
        "-e",
        "frame.number",
        "-e",
        "tcpprobe.verdict",
    ]);
    args.extend_from_slice(extra);
    let out = tshark.run_raw(&args);
    // A truncated capture makes tshark exit non-zero after printing every frame it read; what it
    // printed is what is compared (the analyzer reads the same frames and reports the error).
    let stdout = String::from_utf8(out.stdout).expect("tshark prints UTF-8");
    let names = [
        "",
        "zero_window_probe",
        "zero_window_probe_ack",
        "keep_alive",
        "keep_alive_ack",
    ];
    stdout
        .lines()
        .filter_map(|l| {
            let (frame, verdict) = l.split_once('\t')?;
            let v: usize = verdict.parse().ok()?;
            (v != 0).then(|| (frame.parse().expect("frame number"), names[v].to_string()))
        })
        .collect()
}

fn analyzer_verdicts(capture: &Path) -> Vec<(u64, String)> {
    analyzer_verdicts_with(capture, Config::default())
}

fn analyzer_verdicts_with(capture: &Path, config: Config) -> Vec<(u64, String)> {
    let a = analyze_path(
        capture,
        Options {
            verdicts: true,
            config,
            ..Options::default()
        },
        |_| {},
    )
    .unwrap_or_else(|e| panic!("{}: {e}", capture.display()));
    a.verdicts
        .iter()
        .map(|v| (v.frame, field_name(v.class).to_string()))
        .collect()
}

fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    v.sort();
    v
}

/// Every difference, as lines a person can read.
fn differences(want: &[(u64, String)], got: &[(u64, String)]) -> Vec<String> {
    let mut d = Vec::new();
    let w: std::collections::BTreeMap<u64, &str> =
        want.iter().map(|(f, c)| (*f, c.as_str())).collect();
    let g: std::collections::BTreeMap<u64, &str> =
        got.iter().map(|(f, c)| (*f, c.as_str())).collect();
    for f in w
        .keys()
        .chain(g.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (a, b) = (w.get(f), g.get(f));
        if a != b {
            d.push(format!(
                "frame {f}: plugin {}, analyzer {}",
                a.unwrap_or(&"-"),
                b.unwrap_or(&"-")
            ));
        }
    }
    if got.windows(2).any(|p| p[0].0 >= p[1].0) {
        d.push("the analyzer's frames are not in increasing order".into());
    }
    d
}

#[test]
fn analyzer_frames_equal_the_plugin_under_tshark_2() {
    let tshark = Tshark::new();
    let mut captures = captures_in(&repo().join("tests/captures/kernel"));
    let shared = repo().join("../shared/captures");
    assert!(
        shared.is_dir(),
        "../shared/captures is missing beside the repository ({})",
        shared.display()
    );
    captures.extend(captures_in(&shared));
    assert!(captures.len() >= 30, "only {} captures", captures.len());
    let mut failures = Vec::new();
    let mut verdicts = 0;
    for cap in &captures {
        let want = plugin_verdicts(&tshark, cap);
        let got = analyzer_verdicts(cap);
        verdicts += want.len();
        let d = differences(&want, &got);
        if !d.is_empty() {
            failures.push(format!("{}:\n  {}", cap.display(), d.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "the analyzer differs from the plugin (tshark -2):\n{}",
        failures.join("\n")
    );
    // Not vacuous: the captures hold hundreds of verdicts.
    assert!(verdicts > 300, "only {verdicts} verdicts compared");
}

/// The analyzer's RTO settings (`--rto-min-ms`, `--rto-max-ms`) and the plugin's preferences
/// (`rto_min`, `rto_max`) are one setting: on every kernel capture, with bounds that change
/// verdicts (keepalive_doubled_once's constant 2 s intervals under a 2 s maximum), the analyzer
/// equals the plugin under `tshark -2`.
#[test]
fn rto_settings_agree_with_the_plugin_preferences() {
    let tshark = Tshark::new();
    let captures = captures_in(&repo().join("tests/captures/kernel"));
    let mut failures = Vec::new();
    let mut changed = Vec::new();
    for (min_ms, max_ms) in [(2000u64, 120_000u64), (200, 2000), (1000, 1000)] {
        let config = Config {
            rto_min_ns: min_ms * 1_000_000,
            rto_max_ns: max_ms * 1_000_000,
            ..Config::default()
        };
        let (min, max) = (
            format!("tcpprobe.rto_min:{min_ms}"),
            format!("tcpprobe.rto_max:{max_ms}"),
        );
        for cap in &captures {
            let want = plugin_verdicts_with(&tshark, cap, &["-o", &min, "-o", &max]);
            let got = analyzer_verdicts_with(cap, config);
            let d = differences(&want, &got);
            if !d.is_empty() {
                failures.push(format!(
                    "{} ({min_ms} ms, {max_ms} ms):\n  {}",
                    cap.display(),
                    d.join("\n  ")
                ));
            }
            if got != analyzer_verdicts(cap) {
                changed.push(format!("{} ({min_ms}, {max_ms})", cap.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the analyzer differs from the plugin (tshark -2) under the same RTO bounds:\n{}",
        failures.join("\n")
    );
    assert!(
        changed
            .iter()
            .any(|c| c.contains("keepalive_doubled_once.pcap (200, 2000)")),
        "no verdict changed: {changed:?}"
    );
}

#[test]
fn link_types_and_snap_length_give_the_same_verdicts() {
    if std::env::var("TCPPROBE_SKIP_NETNS").as_deref() == Ok("1") {
        eprintln!(
            "NOT RUN: link_types_and_snap_length_give_the_same_verdicts \
             (TCPPROBE_SKIP_NETNS=1: no network namespaces)"
        );
        return;
    }
    assert!(
        is_root(),
        "capturing a kernel scenario needs root (network namespaces, tcpdump); run the tests as \
         root, or set TCPPROBE_SKIP_NETNS=1 to leave this test out"
    );
    let dir = std::env::temp_dir().join(format!("tp-test-linktypes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let scenarios = ["user_timeout", "multi_stream"];
    let status = Command::new("python3")
        .arg(repo().join("tests/gen/gen_captures.py"))
        .arg(&dir)
        .args(scenarios)
        .env("TCPPROBE_GEN_LINK_VARIANTS", "1")
        .status()
        .expect("run python3 tests/gen/gen_captures.py");
    assert!(status.success(), "the capture generator failed: {status}");

    let tshark = Tshark::new();
    for name in scenarios {
        let lo = dir.join(format!("{name}.pcap"));
        let base = analyzer_verdicts(&lo);
        assert!(base.len() >= 4, "{name}: only {} verdicts", base.len());
        let d = differences(&plugin_verdicts(&tshark, &lo), &base);
        assert!(
            d.is_empty(),
            "{name} on lo: analyzer vs plugin:\n{}",
            d.join("\n")
        );
        for (variant, link_type) in [("sll", 113u32), ("sll2", 276), ("snap", 1)] {
            let path = dir.join(format!("{name}.{variant}.pcap"));
            let bytes = std::fs::read(&path).expect("variant capture");
            let lt = u32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
            assert_eq!(lt, link_type, "{}: link type", path.display());
            let got = analyzer_verdicts(&path);
            let d = differences(&base, &got);
            assert!(
                d.is_empty(),
                "{name}.{variant} (link type {lt}) vs lo:\n{}",
                d.join("\n")
            );
            let d = differences(&plugin_verdicts(&tshark, &path), &got);
            assert!(
                d.is_empty(),
                "{name}.{variant}: analyzer vs plugin:\n{}",
                d.join("\n")
            );
        }
        // The small snap length cut the TCP options of every segment, and lengths still came
        // from the IP header: the same zero-length probes, no data segment mistaken for one.
        let snap = analyze_path(
            &dir.join(format!("{name}.snap.pcap")),
            Options::default(),
            |_| {},
        )
        .expect("snap capture");
        let full = analyze_path(&lo, Options::default(), |_| {}).expect("lo capture");
        assert_eq!(snap.summary.frames, full.summary.frames, "{name}: frames");
        assert_eq!(snap.summary.tcp_segments, full.summary.tcp_segments);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
