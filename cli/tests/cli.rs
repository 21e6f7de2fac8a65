//! The `tcpprobe` binary end to end: its outputs, the plot's structure, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tcpprobe"))
}

fn kernel(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/captures/kernel")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run tcpprobe")
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tp-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn frames_are_the_settled_verdicts_in_frame_order() {
    let cap = kernel("user_timeout.pcap");
    let out = run(&["--frames", cap.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    // The kernel's counters say 3 persist probes, 0 keep-alives (tests/captures/kernel/*.json);
    // probe 2 went unanswered (rate limit).
    assert_eq!(
        text,
        "8\tzero_window_probe\t1\t1\n9\tzero_window_probe_ack\t1\t1\n\
         10\tzero_window_probe\t1\t2\n11\tzero_window_probe\t1\t3\n12\tzero_window_probe_ack\t1\t3\n"
    );
    // Several files: the same lines under a header per file, whatever thread read which.
    let other = kernel("keepalive_v4.pcap");
    let out = run(&["--frames", cap.to_str().unwrap(), other.to_str().unwrap()]);
    let both = String::from_utf8(out.stdout).unwrap();
    assert!(
        both.starts_with(&format!("# {}\n{text}# ", cap.display())),
        "{both}"
    );
    assert!(both.contains("\tkeep_alive\t"));
}

#[test]
fn report_and_json_tell_the_story() {
    let cap = kernel("user_timeout.pcap");
    let out = run(&[cap.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "Zero-window episode 1: 3 probes over 2.732 s, 2 answered; ended: window reopened",
        "closed its window at 0.042415 s (frame 7)",
        "intervals doubled (persist timer backoff)",
        "answered the reopened window with a RST",
    ] {
        assert!(text.contains(want), "report lacks {want:?}:\n{text}");
    }

    let out = run(&["--json", cap.to_str().unwrap()]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["schema"], "tcpprobe-analyzer/1");
    let f = &doc["files"][0];
    assert_eq!(f["frames"], 14);
    assert!(f["error"].is_null());
    let ep = &f["episodes"][0];
    assert_eq!(ep["kind"], "zero_window");
    assert_eq!(ep["probes"], 3);
    assert_eq!(ep["answered"], 2);
    assert_eq!(ep["rate_limited"], 1);
    assert_eq!(ep["window_closed_in"], 7);
    assert_eq!(ep["end"]["cause"], "window_reopened");
    assert_eq!(ep["end"]["frame"], 13);
    let probes = ep["probe_list"].as_array().unwrap();
    assert_eq!(
        probes
            .iter()
            .map(|p| p["frame"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [8, 10, 11]
    );
    assert_eq!(probes[0]["answered_in"], 9);
    assert_eq!(probes[1]["unanswered"], "rate_limited");
    let ratio = probes[2]["interval_ratio"].as_f64().unwrap();
    assert!((1.9..2.1).contains(&ratio), "{ratio}");
}

/// Counts `needle` in `hay`.
fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn plot_has_an_element_for_each_probe_and_reply() {
    let dir = temp("plot");
    let svg = dir.join("p.svg");
    // Two files, three episodes: user_timeout (3 probes, 2 answered), stall_twice (2 episodes).
    let a = kernel("user_timeout.pcap");
    let b = kernel("stall_twice.pcap");
    let out = run(&[
        "--json",
        "--plot",
        svg.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut probes = 0;
    let mut answered = 0;
    let mut episodes = 0;
    for f in doc["files"].as_array().unwrap() {
        for ep in f["episodes"].as_array().unwrap() {
            episodes += 1;
            for p in ep["probe_list"].as_array().unwrap() {
                probes += 1;
                answered += p["answered_in"].is_u64() as usize;
            }
        }
    }
    assert!(
        episodes >= 3 && probes >= 6,
        "{episodes} episodes, {probes} probes"
    );
    let s = std::fs::read_to_string(&svg).expect("svg written");
    assert!(s.starts_with("<svg"), "not an SVG document");
    // Each probe: a circle (plus one in the legend per panel) and a label "#n".
    assert_eq!(count(&s, "<circle"), probes + episodes, "circles");
    for ep in doc["files"][0]["episodes"].as_array().unwrap() {
        for p in ep["probe_list"].as_array().unwrap() {
            let label = format!("\n#{}", p["number"]);
            assert!(s.contains(&label), "no label {label}");
        }
    }
    // Answered probes filled, unanswered ones hollow (the legend's mark is filled).
    let hollow = s
        .lines()
        .filter(|l| l.starts_with("<circle") && l.contains("fill=\"none\""))
        .count();
    assert_eq!(
        hollow,
        probes - answered,
        "hollow circles: unanswered probes"
    );
    // Each reply: a rectangle in the reply colour (plus the legend's, one per panel).
    let replies = s
        .lines()
        .filter(|l| l.starts_with("<rect") && l.contains("fill=\"#2CA02C\""))
        .count();
    assert_eq!(replies, answered + episodes, "reply rectangles");
    // Where the window closed and how each episode ended.
    assert_eq!(count(&s, "window closed (frame"), episodes);
    assert!(s.contains("window reopened (frame 13)"));
    assert!(s.contains("RST from the prober (frame 14)"));
    // One panel per episode, each with its headline.
    assert_eq!(count(&s, "Zero-window episode"), episodes);

    // .html: the same SVG in a page.
    let html = dir.join("p.html");
    let out = run(&["--plot", html.to_str().unwrap(), a.to_str().unwrap()]);
    assert!(out.status.success());
    let h = std::fs::read_to_string(&html).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>") && h.contains("<svg"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn assert_fails_clearly(out: &Output, file: &Path, words: &[&str]) {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&file.display().to_string()), "{err}");
    for w in words {
        assert!(err.contains(w), "stderr lacks {w:?}: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_names_the_file_and_offset_and_fails() {
    let dir = temp("bad");
    let good = std::fs::read(kernel("user_timeout.pcap")).unwrap();

    // Truncated inside the last record: what was read is reported, the exit status is 1.
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &good[..good.len() - 10]).unwrap();
    let out = run(&[cut.to_str().unwrap()]);
    assert_fails_clearly(&out, &cut, &["truncated", "byte offset", "13 frames read"]);
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("13 frames"), "{report}");
    assert!(report.contains("Zero-window episode 1"), "{report}");

    // Not a capture at all.
    let junk = dir.join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture file, not at all, no").unwrap();
    let out = run(&[junk.to_str().unwrap()]);
    assert_fails_clearly(&out, &junk, &["not a pcap or pcapng file", "byte offset 0"]);

    // A link type the analyzer does not read (USB, 189): named, with its offset.
    let usb = dir.join("usb.pcap");
    let mut b = good.clone();
    b[20..24].copy_from_slice(&189u32.to_le_bytes());
    std::fs::write(&usb, &b).unwrap();
    let out = run(&[usb.to_str().unwrap()]);
    assert_fails_clearly(
        &out,
        &usb,
        &["link type 189", "byte offset 20", "14 frames read"],
    );

    // Missing and empty files.
    let missing = dir.join("missing.pcap");
    let out = run(&[missing.to_str().unwrap()]);
    assert_fails_clearly(&out, &missing, &["cannot open"]);
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let out = run(&[empty.to_str().unwrap()]);
    assert_fails_clearly(&out, &empty, &["empty file"]);

    // A corrupt record length: an error, not an allocation of gigabytes or a panic.
    let huge = dir.join("huge.pcap");
    let mut b = good.clone();
    b[24 + 8..24 + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    std::fs::write(&huge, &b).unwrap();
    let out = run(&[huge.to_str().unwrap()]);
    assert_fails_clearly(&out, &huge, &["byte offset 24"]);

    // One bad file among good ones: the good ones are still reported.
    let out = run(&[
        kernel("persist_v4.pcap").to_str().unwrap(),
        junk.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("Zero-window episode 1"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_names_the_outputs() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let h = String::from_utf8(out.stdout).unwrap();
    for w in ["--frames", "--json", "--plot", "--threads"] {
        assert!(h.contains(w), "--help lacks {w}");
    }
    // No file: usage error, status 2.
    assert_eq!(run(&[]).status.code(), Some(2));
}

/// The first `frames` records of a classic pcap file (little-endian, as the generator writes).
fn first_frames(pcap: &Path, frames: usize, out: &Path) {
    let data = std::fs::read(pcap).expect("read pcap");
    let mut at = 24;
    for _ in 0..frames {
        let len = u32::from_le_bytes(data[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + len;
    }
    std::fs::write(out, &data[..at]).expect("write pcap");
}

/// --rto-min-ms and --rto-max-ms reach the classifier. persist_rto_2s (made with tcp_rto_min_us
/// 2 s; the kernel counted 3 persist probes, no keep-alive) cut after its first probe and reply:
/// under Linux's 200 ms that probe, 2 s into the zero window, reads as a keep-alive (nothing later
/// settles it); told 2000 ms, a persist probe. keepalive_doubled_once (keep-alives every 2 s into
/// a zero window, Linux's 120 s maximum RTO): told a maximum of 2000 ms, the constant 2 s
/// intervals are a persist timer at its cap, no longer keep-alives.
#[test]
fn rto_flags_change_the_reading() {
    let text = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let dir = temp("rto");
    let cut = dir.join("first_probe.pcap");
    first_frames(&kernel("persist_rto_2s.pcap"), 9, &cut);
    let cut = cut.to_str().unwrap();
    assert_eq!(
        text(&["--frames", cut]),
        "8\tkeep_alive\t1\t1\n9\tkeep_alive_ack\t1\t1\n"
    );
    assert_eq!(
        text(&["--frames", "--rto-min-ms", "2000", cut]),
        "8\tzero_window_probe\t1\t1\n9\tzero_window_probe_ack\t1\t1\n"
    );
    let _ = std::fs::remove_dir_all(&dir);

    let ka = kernel("keepalive_doubled_once.pcap");
    let ka = ka.to_str().unwrap();
    let class_of = |frames: &str, frame: &str| {
        frames
            .lines()
            .find_map(|l| {
                let mut cols = l.split('\t');
                (cols.next() == Some(frame)).then(|| cols.next().unwrap().to_string())
            })
            .unwrap_or_else(|| panic!("no frame {frame} in\n{frames}"))
    };
    let linux = text(&["--frames", ka]);
    let capped = text(&["--frames", "--rto-max-ms", "2000", ka]);
    for frame in ["12", "14"] {
        assert_eq!(class_of(&linux, frame), "keep_alive", "{linux}");
        assert_eq!(class_of(&capped, frame), "zero_window_probe", "{capped}");
    }
    // The defaults are Linux's: naming them changes nothing.
    assert_eq!(
        text(&[
            "--frames",
            "--rto-min-ms",
            "200",
            "--rto-max-ms",
            "120000",
            ka
        ]),
        linux
    );
}

/// Values without a meaning are refused as bad usage (status 2), saying which.
#[test]
fn rto_flags_are_checked() {
    let cap = kernel("persist_v4.pcap");
    let cap = cap.to_str().unwrap();
    for (args, words) in [
        (vec!["--rto-min-ms", "0"], ["--rto-min-ms", "0"]),
        (vec!["--rto-max-ms", "0"], ["--rto-max-ms", "0"]),
        (vec!["--rto-min-ms=-5"], ["--rto-min-ms", "-5"]),
        (vec!["--rto-max-ms", "2 s"], ["--rto-max-ms", "2 s"]),
        (
            vec!["--rto-min-ms", "3000", "--rto-max-ms", "2000"],
            ["--rto-min-ms 3000 is above", "--rto-max-ms 2000"],
        ),
        (
            vec!["--rto-min-ms", "130000"],
            ["--rto-min-ms 130000 is above", "120000"],
        ),
    ] {
        let mut all = args.clone();
        all.push(cap);
        let out = run(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        assert!(out.stdout.is_empty(), "{all:?}: output despite bad usage");
        for w in words {
            assert!(err.contains(w), "{all:?}: stderr lacks {w:?}:\n{err}");
        }
    }
    // The minimum may equal the maximum.
    assert!(run(&["--rto-min-ms", "1000", "--rto-max-ms", "1000", cap])
        .status
        .success());
    let help = String::from_utf8(run(&["--help"]).stdout).unwrap();
    for w in [
        "--rto-min-ms",
        "tcp_rto_min_us",
        "--rto-max-ms",
        "tcp_rto_max_ms",
    ] {
        assert!(help.contains(w), "--help lacks {w}");
    }
}
