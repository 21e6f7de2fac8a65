//! Episodes and keep-alive series on the bundled kernel-made captures: every probe's number,
//! interval and reply, and every episode's summary, match what the kernel did (as the generator
//! read it from the capture, with the kernel's counters vouching for the probes).

mod common;

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

/// The episodes of the scenarios tcpprobe does not handle yet (HARD_CASE_SCENARIOS); the
/// failure names each that fails.
#[test]
fn hard_case_episodes() {
    check_each(HARD_CASE_SCENARIOS, check);
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
        } else {
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
    // The capture opens with a keep-alive: before any segment of the connection nothing tells a
    // causal reader what SND.UNA is, so that one cannot be recognised (Wireshark cannot either);
    // the generator only knew it from the peer's later ACK. Every other one is found.
    let truth = KernelCapture::load(&bundled_kernel_dir(), "keepalive_midstream");
    let probes = &truth.streams[0].episodes.as_ref().unwrap()[0].probes;
    let before_any_segment = probes.iter().filter(|p| p.lookahead).count();
    assert_eq!(before_any_segment, 1);
    let keep_alives = double
        .values()
        .filter(|r| r.get("tcpprobe.verdict") == KEEP_ALIVE)
        .count();
    assert_eq!(
        keep_alives as u64,
        truth.keep_alives - before_any_segment as u64
    );
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
