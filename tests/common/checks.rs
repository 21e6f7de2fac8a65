//! A kernel-made capture through tshark, every way a user looks at it (per-frame fields, single
//! pass and `-2`, display filters, `-T json`, `-V`, the Info column), against the kernel's
//! counters and the scenario's construction.

use std::collections::{HashMap, HashSet};

use super::harness::{displayed_info, wireshark_at_least, Tshark};
use super::oracle::KernelCapture;

/// Verdict numbers of the `tcpprobe.verdict` field.
pub const ZERO_WINDOW_PROBE: &str = "1";
pub const ZERO_WINDOW_PROBE_ACK: &str = "2";
pub const KEEP_ALIVE: &str = "3";
pub const KEEP_ALIVE_ACK: &str = "4";

const FIELDS: [&str; 13] = [
    "frame.number",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.len",
    "tcpprobe.verdict",
    "tcpprobe.answers",
    "tcpprobe.window_closed_in",
    "tcp.analysis.keep_alive",
    "tcpprobe.corrected",
    "_ws.col.Info",
    "tcpprobe.tentative",
    "tcp.window_size_value",
    "tcpprobe.recognised_in",
];

/// Checks one kernel-made capture end to end against the kernel's counters and the scenario's
/// construction, in every way a user looks at it.
pub fn check_kernel_capture(tshark: &Tshark, cap: &KernelCapture) {
    let pcap = tshark.stage(&cap.pcap);
    let name = &cap.name;
    // The prober's RTO bounds and the reply rate limit, as a user who knows them sets them.
    tshark.set_prefs(&cap.prober_prefs);

    // ---- per frame, single pass and two passes, without any tree option ----
    // The kernel's counts are whole-capture truth: they are compared with the two-pass view. A
    // single pass may differ from it only on frames it marks tentative, and may leave blank a
    // probe that only a later segment shows to be one (the capture holds nothing of the peer
    // before it: the generator's "lookahead").
    let one_pass = tshark.fields(&pcap, &[], &FIELDS);
    let single = tshark.fields(&pcap, &["-2"], &FIELDS);
    assert_eq!(one_pass.len(), single.len(), "{name}: frame count");
    let lookahead = cap.lookahead_frames();
    let mut tentative_frames = 0;
    let mut blank_in_one_pass: HashSet<&str> = HashSet::new();
    for (one, two) in one_pass.iter().zip(&single) {
        let frame: u64 = one[0].parse().expect("frame number");
        if one[10] == "1" {
            tentative_frames += 1;
        } else if one[4].is_empty() && lookahead.contains(&frame) {
            // A probe before anything told its sender's SND.UNA (the capture began mid-stream):
            // only its reply, later, shows what it was. A single pass cannot label it; -2 does,
            // and names the reply.
            blank_in_one_pass.insert(one[0].as_str());
            let recognised_in: u64 = two[12].parse().unwrap_or_else(|_| {
                panic!("{name} frame {frame}: not recognised in -2 ({:?})", two[12])
            });
            assert!(
                recognised_in > frame,
                "{name} frame {frame}: recognised in an earlier frame {recognised_in}"
            );
        } else {
            assert_eq!(
                one[..10],
                two[..10],
                "{name}: single-pass and -2 differ, not tentative"
            );
        }
    }
    let passes: &[&[&str]] = if tentative_frames == 0 && blank_in_one_pass.is_empty() {
        &[&[], &["-2"]]
    } else {
        &[&["-2"]]
    };
    assert!(!single.is_empty(), "{name}: no frames");
    // The Info column as displayed (packet list, tshark's summary lines) in the two-pass view the
    // rows come from, and Wireshark's own; a single pass shows the same but on tentative frames.
    let shown = displayed_info(tshark, &pcap, &["-2"]);
    let shown_one_pass = displayed_info(tshark, &pcap, &[]);
    for row in one_pass
        .iter()
        .filter(|r| r[10] != "1" && !blank_in_one_pass.contains(r[0].as_str()))
    {
        assert_eq!(
            shown_one_pass[row[0].as_str()],
            shown[row[0].as_str()],
            "{name} frame {}: single-pass and -2 Info columns differ, not tentative",
            row[0]
        );
    }
    let wireshark_alone = displayed_info(tshark, &pcap, &["-2", "--disable-protocol", "tcpprobe"]);

    let verdict_of: HashMap<&str, &str> = single
        .iter()
        .map(|r| (r[0].as_str(), r[4].as_str()))
        .collect();
    let ports_of: HashMap<&str, (&str, &str)> = single
        .iter()
        .map(|r| (r[0].as_str(), (r[1].as_str(), r[2].as_str())))
        .collect();
    let mut zwp = 0;
    let mut ka = 0;
    // Per stream (client port, server port): zero-window probes and keep-alives.
    let mut per_stream: HashMap<(u16, u16), (u64, u64)> = HashMap::new();
    let mut wireshark_keep_alive_in_persist = 0;
    for row in &single {
        let [frame, src, dst, len, verdict, answers, closed_in, ws_keep_alive, corrected, info, _, window, _] =
            &row[..]
        else {
            panic!("{name}: short row {row:?}");
        };
        let (src, dst): (u16, u16) = (src.parse().unwrap(), dst.parse().unwrap());
        let stream = cap.stream_of(src, dst);
        // A stream may have a persist prober and a keep-alive sender, on different sides.
        let persist_side = stream.persist_port == Some(src);
        let keepalive_side = stream.keepalive_port == Some(src);
        let counts = per_stream
            .entry((stream.client_port, stream.server_port))
            .or_default();
        let at = format!("{name} frame {frame} ({src}->{dst}, role {})", stream.role);
        // Wireshark calls persist probes keep-alives: on every frame of a stream with a persist
        // prober, but the keep-alive sender's own ones, tcpprobe must correct it.
        if stream.persist_port.is_some() && !keepalive_side && !ws_keep_alive.is_empty() {
            wireshark_keep_alive_in_persist += 1;
            assert!(
                !corrected.is_empty(),
                "{at}: Wireshark's Keep-Alive left uncorrected"
            );
        }
        check_info_label(&at, verdict, window, &shown[frame.as_str()]);
        check_info_field(
            &at,
            info,
            &shown[frame.as_str()],
            &wireshark_alone[frame.as_str()],
        );
        match verdict.as_str() {
            "" => {}
            ZERO_WINDOW_PROBE => {
                zwp += 1;
                counts.0 += 1;
                assert!(
                    stream.persist_port.is_some(),
                    "{at}: zero-window probe in a non-persist stream"
                );
                assert!(
                    persist_side,
                    "{at}: probe from the side that does not probe"
                );
                // Wireshark shows no length where the snap length cut the TCP header.
                assert!(
                    len == "0" || (len.is_empty() && window.is_empty()),
                    "{at}: Linux probes carry no payload, not {len:?}"
                );
                // Where the snap length cut the window, no closing was seen, nor claimed.
                assert!(
                    !closed_in.is_empty() || window.is_empty(),
                    "{at}: no window_closed_in evidence"
                );
            }
            KEEP_ALIVE => {
                ka += 1;
                counts.1 += 1;
                assert!(
                    stream.keepalive_port.is_some(),
                    "{at}: keep-alive in a non-keep-alive stream"
                );
                assert!(
                    keepalive_side,
                    "{at}: keep-alive from the side that does not send them"
                );
                assert!(
                    len == "0" || (len.is_empty() && window.is_empty()),
                    "{at}: Linux keep-alives carry no payload, not {len:?}"
                );
            }
            ZERO_WINDOW_PROBE_ACK | KEEP_ALIVE_ACK => {
                let (want, probing_side) = if verdict == ZERO_WINDOW_PROBE_ACK {
                    (ZERO_WINDOW_PROBE, persist_side)
                } else {
                    (KEEP_ALIVE, keepalive_side)
                };
                assert!(!probing_side, "{at}: reply from the probing side");
                assert_eq!(
                    verdict_of.get(answers.as_str()).copied(),
                    Some(want),
                    "{at}: answers frame {answers:?}, which is not a matching probe"
                );
                // The probe it answers came the other way in the same stream.
                let (src, dst) = (src.to_string(), dst.to_string());
                assert_eq!(
                    ports_of.get(answers.as_str()).copied(),
                    Some((dst.as_str(), src.as_str())),
                    "{at}: answers frame {answers:?}, which is not the peer's probe"
                );
            }
            other => panic!("{at}: unknown verdict {other:?}"),
        }
    }
    assert_eq!(
        zwp, cap.win_probes,
        "{name}: zero-window probes vs kernel TCPWinProbe"
    );
    assert_eq!(
        ka, cap.keep_alives,
        "{name}: keep-alives vs kernel TCPKeepAlive"
    );
    for s in &cap.streams {
        // Each kind from its own side: the generator's probe-shaped frames of that side, which
        // the kernel's counters vouch for.
        let expected = |port: Option<u16>| port.map_or(0, |p| s.probe_shaped_from(p));
        let got = per_stream
            .get(&(s.client_port, s.server_port))
            .copied()
            .unwrap_or_default();
        assert_eq!(
            got,
            (expected(s.persist_port), expected(s.keepalive_port)),
            "{name}: (zero-window probes, keep-alives) in stream {}-{} ({})",
            s.client_port,
            s.server_port,
            s.role
        );
    }
    // Wireshark's TCP analysis, which mislabels persist probes, needs the whole TCP header (with
    // the options or the window field cut by the snap length it labels nothing) and the window's
    // closing (in a capture that starts inside the stall it does not know the window is zero).
    if cap.streams.iter().any(|s| s.persist_port.is_some())
        && cap.tcp_headers_whole()
        && cap.lookahead_frames().is_empty()
    {
        assert!(
            wireshark_keep_alive_in_persist > 0,
            "{name}: Wireshark no longer mislabels persist probes; the baseline changed"
        );
    }

    // ---- display filters without -V, single pass and two passes ----
    for &extra in passes {
        for (filter, want) in [
            ("tcpprobe.zero_window_probe", cap.win_probes),
            ("tcpprobe.keep_alive", cap.keep_alives),
        ] {
            let mut args = vec!["-r", pcap.to_str().unwrap(), "-Y", filter];
            args.extend_from_slice(extra);
            let n = tshark.run(&args).lines().count() as u64;
            assert_eq!(n, want, "{name}: -Y {filter} {extra:?}");
        }
    }

    // ---- the full tree (as -V and the GUI build it), single pass and two passes ----
    for &extra in passes {
        let mut args = vec!["-r", pcap.to_str().unwrap(), "-T", "json"];
        args.extend_from_slice(extra);
        let json = tshark.run(&args);
        let count = |key: &str| json.matches(&format!("\"{key}\":")).count() as u64;
        assert_eq!(
            count("tcpprobe.zero_window_probe"),
            cap.win_probes,
            "{name}: json {extra:?}"
        );
        assert_eq!(
            count("tcpprobe.keep_alive"),
            cap.keep_alives,
            "{name}: json {extra:?}"
        );

        let mut args = vec!["-r", pcap.to_str().unwrap(), "-V"];
        args.extend_from_slice(extra);
        let text = tshark.run(&args);
        // The verdict's own expert line: "<class>: <reason>" or "<class> (corrected by
        // tcpprobe): <reason>" (not the episode, settings or ACK lines that start alike).
        let expert = |what: &str| {
            let plain = format!("[Expert Info (Note/Sequence): {what}: ");
            let corrected =
                format!("[Expert Info (Note/Sequence): {what} (corrected by tcpprobe): ");
            text.lines()
                .filter(|l| l.contains(&plain) || l.contains(&corrected))
                .count() as u64
        };
        assert_eq!(
            expert("Zero-window probe"),
            cap.win_probes,
            "{name}: -V expert {extra:?}"
        );
        assert_eq!(
            expert("Keep-alive"),
            cap.keep_alives,
            "{name}: -V expert {extra:?}"
        );
    }
}
/// The `_ws.col.Info` field (`-T fields -e`, display filters). Up to 4.0 tshark reads it from the
/// finished Info column. From 4.2 on the `_ws.col.*` fields are real fields that Wireshark adds
/// to the tree just before it calls the postdissectors (epan/dissectors/packet-frame.c,
/// col_dissect(), "so that they're available for postdissectors"), so there the field holds
/// Wireshark's own text without tcpprobe's correction, while the displayed column has it.
/// Wireshark's documented behaviour, not tcpprobe's: the README says so.
fn check_info_field(at: &str, field: &str, shown: &str, wireshark_alone: &str) {
    if wireshark_at_least(4, 2) {
        assert_eq!(field, wireshark_alone, "{at}: _ws.col.Info field");
    } else {
        assert_eq!(field, shown, "{at}: _ws.col.Info field");
    }
}

/// The Info column carries tcpprobe's label, never Wireshark's wrong one. Wireshark puts its
/// (true) "[TCP ZeroWindow]" before a keep-alive that itself advertises window 0 (class 5: the
/// keep-alive sender is the side whose window is zero); that label may stay in front.
fn check_info_label(at: &str, verdict: &str, window: &str, text: &str) {
    let text = match (verdict, window) {
        (KEEP_ALIVE, "0") => text.strip_prefix("[TCP ZeroWindow] ").unwrap_or(text),
        _ => text,
    };
    match verdict {
        ZERO_WINDOW_PROBE => {
            assert!(
                text.starts_with("[TCP ZeroWindowProbe] "),
                "{at}: Info {text:?}"
            );
            assert!(!text.contains("Keep-Alive"), "{at}: Info {text:?}");
        }
        ZERO_WINDOW_PROBE_ACK => {
            assert!(
                text.starts_with("[TCP ZeroWindowProbeAck] "),
                "{at}: Info {text:?}"
            )
        }
        KEEP_ALIVE => assert!(text.starts_with("[TCP Keep-Alive] "), "{at}: Info {text:?}"),
        KEEP_ALIVE_ACK => {
            assert!(
                text.starts_with("[TCP Keep-Alive ACK] "),
                "{at}: Info {text:?}"
            )
        }
        _ => assert!(
            !text.contains("Keep-Alive") && !text.contains("ZeroWindowProbe"),
            "{at}: unlabelled frame keeps a probe label: {text:?}"
        ),
    }
}
