//! Episodes and keep-alive series on the bundled kernel-made captures: every probe's number,
//! interval and reply, and every episode's summary, match what the kernel did (as the generator
//! read it from the capture, with the kernel's counters vouching for the probes).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

fn check(name: &str) {
    check_episodes(&Tshark::new(), &bundled_kernel_dir(), name);
}

#[test]
fn every_scenario_episodes() {
    for name in KERNEL_SCENARIOS {
        check(name);
    }
}

/// The kernel's keep-alive abort: TCP_KEEPCNT unanswered keep-alives, then a RST from the prober.
#[test]
fn keepalive_abort_is_named_and_checked_against_the_preferences() {
    let tshark = Tshark::new();
    let cap = tshark.stage(&bundled_kernel_dir().join("keepalive_abort.pcap"));
    let count = |extra: &[&str], needle: &str| {
        let mut args = vec!["-r", cap.to_str().unwrap(), "-2", "-V"];
        args.extend_from_slice(extra);
        // -V prints an expert item twice: as "[Expert Info (...): text]" and as its first child.
        tshark
            .run(&args)
            .lines()
            .filter(|l| l.contains("[Expert Info (") && l.contains(needle))
            .count()
    };
    assert_eq!(
        count(&[], "Keep-alive abort: RST after 3 unanswered keep-alives"),
        1
    );
    // Linux's defaults (7200 s, 75 s, 9) are not what the scenario's socket used.
    assert!(count(&[], "Keep-alive timing differs from the preferences") >= 2);
    assert_eq!(
        count(
            &[],
            "Keep-alive abort after 3 unanswered keep-alives; preferences expect 9"
        ),
        1
    );
    // The scenario's own settings: no complaint.
    let own = [
        "-o",
        "tcpprobe.keepalive_time:1",
        "-o",
        "tcpprobe.keepalive_interval:1",
        "-o",
        "tcpprobe.keepalive_probes:3",
    ];
    assert_eq!(count(&own, "differs from the preferences"), 0);
    assert_eq!(count(&own, "preferences expect"), 0);
    assert_eq!(count(&own, "Keep-alive abort: RST after 3"), 1);
}

/// TCP_USER_TIMEOUT ends an answered stall silently; the summary says what that is consistent
/// with.
#[test]
fn user_timeout_stall_is_explained() {
    let tshark = Tshark::new();
    let cap = tshark.stage(&bundled_kernel_dir().join("user_timeout.pcap"));
    let text = tshark.run(&["-r", cap.to_str().unwrap(), "-2", "-V"]);
    assert!(
        text.contains("[Consistent with: prober answered the reopened window with a RST: it had aborted silently (TCP_USER_TIMEOUT"),
        "no silent-abort note in:\n{text}"
    );
}

/// A capture that starts after the handshake: the first keep-alive into the zero window looks
/// like a persist probe until the series' constant interval settles it. A single pass says the
/// verdict is tentative; `-2` shows the settled class and what it was revised from.
#[test]
fn tentative_in_one_pass_refined_in_two() {
    let tshark = Tshark::new();
    let cap = tshark.stage(&bundled_kernel_dir().join("keepalive_midstream.pcap"));
    let single = episode_rows(&tshark, &cap, &[]);
    let double = episode_rows(&tshark, &cap, &["-2"]);
    let mut tentative = 0;
    for (frame, one) in &single {
        let two = &double[frame];
        if one.get("tcpprobe.tentative") == "1" {
            tentative += 1;
            assert_eq!(
                two.get("tcpprobe.tentative"),
                "0",
                "frame {frame}: settled in -2"
            );
        } else if two.get("tcpprobe.recognised_in").is_empty() {
            assert_eq!(
                one.get("tcpprobe.verdict"),
                two.get("tcpprobe.verdict"),
                "frame {frame}: a verdict not marked tentative must not change"
            );
        }
    }
    assert!(
        tentative > 0,
        "the first keep-alive must be tentative in a single pass"
    );
    // The capture opens with a keep-alive: before any segment of the connection nothing tells
    // its sender's SND.UNA; the server's reply (ACK of its sequence number + 1) shows what it
    // was, as it showed the generator ("lookahead"). A single pass cannot label it; -2 does, and
    // says which frame showed it.
    let truth = KernelCapture::load(&bundled_kernel_dir(), "keepalive_midstream");
    let probes = &truth.streams[0].episodes.as_ref().unwrap()[0].probes;
    let before_any_segment: Vec<_> = probes.iter().filter(|p| p.lookahead).collect();
    assert_eq!(before_any_segment.len(), 1);
    let first = before_any_segment[0];
    let one = &single[&first.frame];
    let two = &double[&first.frame];
    assert_eq!(
        one.get("tcpprobe.verdict"),
        "",
        "a single pass cannot know it"
    );
    assert_eq!(two.get("tcpprobe.verdict"), KEEP_ALIVE);
    assert_eq!(
        two.get("tcpprobe.recognised_in"),
        first.answered_frame.expect("answered").to_string()
    );
    let keep_alives = double
        .values()
        .filter(|r| r.get("tcpprobe.verdict") == KEEP_ALIVE)
        .count();
    assert_eq!(keep_alives as u64, truth.keep_alives);
    let revised = tshark.fields(
        &cap,
        &["-2", "-Y", "tcpprobe.revised_from"],
        &["frame.number", "tcpprobe.verdict", "tcpprobe.revised_from"],
    );
    assert!(!revised.is_empty(), "nothing revised in -2");
    for r in &revised {
        assert!(
            matches!((r[1].as_str(), r[2].as_str()), ("3", "1") | ("4", "2")),
            "frame {}: revised {} -> {}",
            r[0],
            r[2],
            r[1]
        );
    }
}

/// Frame -> (verdict, reason, tentative) of every frame with a verdict.
fn verdicts(tshark: &Tshark, cap: &Path, extra: &[&str]) -> BTreeMap<u64, [String; 3]> {
    tshark
        .fields(
            cap,
            extra,
            &[
                "frame.number",
                "tcpprobe.verdict",
                "tcpprobe.reason",
                "tcpprobe.tentative",
            ],
        )
        .into_iter()
        .filter(|r| !r[1].is_empty())
        .map(|r| {
            let frame = r[0].parse().expect("frame number");
            (frame, [r[1].clone(), r[2].clone(), r[3].clone()])
        })
        .collect()
}

/// Every note of every episode summary under `-2` (Tshark::fields keeps only a field's first
/// occurrence).
fn summary_notes(tshark: &Tshark, cap: &Path, extra: &[&str]) -> String {
    let mut args = vec!["-r", cap.to_str().unwrap(), "-2", "-T", "fields"];
    args.extend(["-e", "tcpprobe.summary.note"]);
    args.extend_from_slice(extra);
    tshark.run(&args)
}

fn row(verdict: &str, reason: &str, tentative: &str) -> [String; 3] {
    [verdict, reason, tentative].map(String::from)
}

/// persist_rto_2s was made with tcp_rto_min_us = 2 s: its first persist probe comes 2 s after the
/// window closed. With Linux's 200 ms minimum RTO that is far beyond a persist timer on a
/// loopback round trip, so a single pass takes it for a keep-alive (tentatively); told the
/// prober's real minimum RTO, it reads a persist probe, as the kernel's counters say. The later,
/// doubled intervals settle the verdicts either way, so `-2`'s are the same with and without.
#[test]
fn rto_min_preference_reads_the_first_probe_of_a_slow_persist_timer() {
    let tshark = Tshark::new();
    let cap = tshark.stage(&bundled_kernel_dir().join("persist_rto_2s.pcap"));
    let truth = KernelCapture::load(&bundled_kernel_dir(), "persist_rto_2s");
    assert_eq!((truth.win_probes, truth.keep_alives), (3, 0));
    let rto_min = ["-o", "tcpprobe.rto_min:2000"];

    let linux = verdicts(&tshark, &cap, &[]);
    assert_eq!(
        linux[&8],
        row(KEEP_ALIVE, "5", "1"),
        "long idle in a zero window"
    );
    assert_eq!(linux[&9][0], KEEP_ALIVE_ACK);
    let told = verdicts(&tshark, &cap, &rto_min);
    assert_eq!(
        told[&8],
        row(ZERO_WINDOW_PROBE, "1", "1"),
        "peer window zero"
    );
    assert_eq!(told[&9][0], ZERO_WINDOW_PROBE_ACK);
    let probes = told.values().filter(|v| v[0] == ZERO_WINDOW_PROBE).count();
    assert_eq!(probes as u64, truth.win_probes, "{told:?}");
    assert!(told.values().all(|v| v[0] != KEEP_ALIVE), "{told:?}");
    for (frame, v) in &linux {
        if *frame != 8 && *frame != 9 {
            assert_eq!(
                &told[frame], v,
                "frame {frame}: only the first probe and its ACK"
            );
        }
    }
    assert_eq!(
        verdicts(&tshark, &cap, &["-2"]),
        verdicts(&tshark, &cap, &["-2", rto_min[0], rto_min[1]]),
        "-2: the doubling settles the series whatever the minimum RTO"
    );
    // The overturned keep-alive reading of the first probe leaves no keep-alive note in -2 (its
    // 2 s idle time against the expected 7200 s), in the summary or on the frame.
    let notes = |extra: &[&str]| summary_notes(&tshark, &cap, extra);
    const DIFFERS: &str = "keep-alive timing differs from the expected settings";
    assert!(!notes(&[]).contains(DIFFERS), "{}", notes(&[]));
    assert!(!notes(&rto_min).contains(DIFFERS), "{}", notes(&rto_min));
    let text = tshark.run(&["-r", cap.to_str().unwrap(), "-2", "-V"]);
    assert!(
        !text.contains("Keep-alive timing differs"),
        "an overturned keep-alive reading keeps its timing note"
    );

    // Values without a meaning are read as Linux would run: 0 is the default, 200 ms (here it
    // reads as a zero minimum would: this only shows that 0 is taken); a minimum above the
    // maximum is the maximum: 600 ms, whose 3 x (RTT + 600 ms) the 2 s gap exceeds, where 5 s
    // alone would not.
    assert_eq!(
        verdicts(&tshark, &cap, &["-o", "tcpprobe.rto_min:0"]),
        linux
    );
    assert_eq!(
        verdicts(&tshark, &cap, &["-o", "tcpprobe.rto_min:5000"])[&8][0],
        ZERO_WINDOW_PROBE
    );
    let above_max = ["-o", "tcpprobe.rto_min:5000", "-o", "tcpprobe.rto_max:600"];
    assert_eq!(verdicts(&tshark, &cap, &above_max)[&8][0], KEEP_ALIVE);
}

/// keepalive_doubled_once: keep-alives into a zero window every 2 s (the kernel counted 4
/// keep-alives, no persist probe; its tcp_rto_max_ms was Linux's 120 s). A constant interval is a
/// keep-alive timer's only below the region where a persist timer stops doubling (5/6 of the
/// maximum RTO): told, wrongly, that the prober's maximum RTO is 2 s, tcpprobe must read the
/// constant 2 s intervals as a persist timer at its cap.
#[test]
fn rto_max_preference_decides_whether_a_constant_interval_is_a_keep_alive_timer() {
    let tshark = Tshark::new();
    let cap = tshark.stage(&bundled_kernel_dir().join("keepalive_doubled_once.pcap"));
    let truth = KernelCapture::load(&bundled_kernel_dir(), "keepalive_doubled_once");
    assert_eq!((truth.win_probes, truth.keep_alives), (0, 4));
    let notes = |extra: &[&str]| summary_notes(&tshark, &cap, extra);
    const CONSTANT: &str = "constant interval: keep-alive timer";

    let linux = verdicts(&tshark, &cap, &["-2"]);
    let keep_alives = linux.values().filter(|v| v[0] == KEEP_ALIVE).count();
    assert_eq!(keep_alives as u64, truth.keep_alives, "{linux:?}");
    for frame in [12, 14] {
        assert_eq!(linux[&frame], row(KEEP_ALIVE, "6", "0"), "frame {frame}");
    }
    assert!(notes(&[]).contains(CONSTANT));

    let low = ["-o", "tcpprobe.rto_max:2000"];
    let told = verdicts(&tshark, &cap, &["-2", low[0], low[1]]);
    for frame in [12, 14] {
        assert_eq!(
            told[&frame],
            row(ZERO_WINDOW_PROBE, "4", "1"),
            "frame {frame}: continues the series of the doubled interval before it"
        );
    }
    assert!(!notes(&low).contains(CONSTANT), "{}", notes(&low));
    // Below the interval's region (2 s < 5/6 of 3 s) it is the keep-alive timer's again.
    assert_eq!(
        verdicts(&tshark, &cap, &["-2", "-o", "tcpprobe.rto_max:3000"]),
        linux
    );
    // 0 is Linux's default, 120 s, not a cap at 0.
    assert_eq!(
        verdicts(&tshark, &cap, &["-2", "-o", "tcpprobe.rto_max:0"]),
        linux
    );
}
