//! Episodes: every probe's number, interval and reply, and every episode's summary, as tshark
//! shows them, against the episodes the generator's model read from the pcap.

use std::collections::HashMap;
use std::path::Path;

use super::checks::{KEEP_ALIVE, ZERO_WINDOW_PROBE};
use super::harness::Tshark;
use super::oracle::KernelCapture;

const EPISODE_FIELDS: [&str; 20] = [
    "frame.number",
    "frame.time_relative",
    "tcp.srcport",
    "tcp.dstport",
    "tcpprobe.verdict",
    "tcpprobe.episode",
    "tcpprobe.probe_number",
    "tcpprobe.since_previous_probe",
    "tcpprobe.answered_in",
    "tcpprobe.unanswered",
    "tcpprobe.window_closed_in",
    "tcpprobe.window_reopened_in",
    "tcpprobe.summary",
    "tcpprobe.summary.end",
    "tcpprobe.summary.probes",
    "tcpprobe.summary.answered",
    "tcpprobe.summary.max_interval",
    "tcpprobe.summary.kind",
    "tcpprobe.tentative",
    "tcpprobe.recognised_in",
];

/// One frame's episode fields, by name.
pub struct EpisodeRow(HashMap<&'static str, String>);

impl EpisodeRow {
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", |s| s.as_str())
    }
}

pub fn episode_rows(tshark: &Tshark, pcap: &Path, extra: &[&str]) -> HashMap<u64, EpisodeRow> {
    tshark
        .fields(pcap, extra, &EPISODE_FIELDS)
        .into_iter()
        .map(|r| {
            let row: HashMap<&'static str, String> =
                EPISODE_FIELDS.iter().copied().zip(r).collect();
            (
                row["frame.number"].parse().expect("frame number"),
                EpisodeRow(row),
            )
        })
        .collect()
}

/// `tcpprobe.summary.end` for the generator's end names.
fn end_code(end: &str) -> &'static str {
    match end {
        "capture_end" => "0",
        "reopened" => "1",
        "rst_from_prober" => "2",
        "rst_from_probed" => "3",
        "fin_from_prober" => "4",
        "fin_from_probed" => "5",
        "data" => "6",
        other => panic!("unknown end {other:?} in the generator's JSON"),
    }
}

fn seconds(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("not a number of seconds: {s:?}"))
}

/// Every probe's number, interval, reply and episode, and every episode's summary, as
/// `tshark -2` shows them, against the episodes the generator read from the pcap itself
/// (`streams[].capture.episodes`), whose probes the kernel counters vouch for.
pub fn check_episodes(tshark: &Tshark, dir: &Path, name: &str) {
    let truth = KernelCapture::load(dir, name);
    let pcap = tshark.stage(&truth.pcap);
    // Tell tcpprobe the probed kernel's reply rate limit and the prober's RTO bounds, as a user
    // who knows them would (Preferences).
    tshark.set_prefs(&truth.prober_prefs);
    let rows = episode_rows(tshark, &pcap, &["-2"]);
    let row = |frame: u64| {
        rows.get(&frame)
            .unwrap_or_else(|| panic!("{name}: no frame {frame}"))
    };
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() < 2e-6,
            "{name}: {what}: tshark {a}, capture {b}"
        );
    };

    let mut ids = std::collections::HashSet::new();
    let mut truth_probes = 0;
    let mut third_or_later = std::collections::BTreeSet::new();
    for s in &truth.streams {
        if s.persist_port.is_none() && s.keepalive_port.is_none() {
            continue;
        }
        let episodes = s
            .episodes
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no capture.episodes (regenerate the captures)"));
        for e in episodes {
            // Each episode is one prober's: persist probes or keep-alives, as the kernel's
            // counters say that side sent (a stream may have one of each, on different sides).
            let (probe_class, sender) = match e.kind.as_str() {
                "zero_window" => (ZERO_WINDOW_PROBE, s.persist_port),
                "keepalive" => (KEEP_ALIVE, s.keepalive_port),
                other => panic!("{name}: unknown episode kind {other:?}"),
            };
            assert_eq!(
                sender,
                Some(e.prober_port),
                "{name}: a {} episode of port {}, which the stream does not have send them",
                e.kind,
                e.prober_port
            );
            let probes = &e.probes;
            let first = row(probes[0].frame);
            let id = first.get("tcpprobe.episode").to_string();
            assert!(!id.is_empty(), "{name}: probe without tcpprobe.episode");
            assert!(
                ids.insert(id.clone()),
                "{name}: episode {id} spans two episodes"
            );
            let mut answered = 0;
            let mut max_gap: f64 = 0.0;
            let mut last_frame = 0;
            for (i, p) in probes.iter().enumerate() {
                truth_probes += 1;
                let frame = p.frame;
                let at = format!("{name} frame {frame}");
                let r = row(frame);
                assert_eq!(r.get("tcpprobe.verdict"), probe_class, "{at}: verdict");
                assert_eq!(
                    r.get("tcp.srcport"),
                    e.prober_port.to_string(),
                    "{at}: from the prober"
                );
                assert_eq!(r.get("tcpprobe.episode"), id, "{at}: episode");
                assert_eq!(
                    r.get("tcpprobe.probe_number"),
                    (i + 1).to_string(),
                    "{at}: number"
                );
                if i > 0 {
                    let gap = p.time - probes[i - 1].time;
                    max_gap = max_gap.max(gap);
                    close(seconds(r.get("tcpprobe.since_previous_probe")), gap, &at);
                } else {
                    assert_eq!(
                        r.get("tcpprobe.since_previous_probe"),
                        "",
                        "{at}: first probe"
                    );
                }
                if let Some(c) = e.closed_frame {
                    assert_eq!(
                        r.get("tcpprobe.window_closed_in"),
                        c.to_string(),
                        "{at}: closed in"
                    );
                }
                if let Some(o) = e.reopened_frame {
                    assert_eq!(
                        r.get("tcpprobe.window_reopened_in"),
                        o.to_string(),
                        "{at}: reopened"
                    );
                }
                last_frame = frame;
                if i >= 2 {
                    third_or_later.insert(frame);
                }
                match p.answered_frame {
                    Some(a) => {
                        answered += 1;
                        last_frame = a;
                        assert_eq!(r.get("tcpprobe.answered_in"), a.to_string(), "{at}: answer");
                        assert_eq!(r.get("tcpprobe.unanswered"), "", "{at}: answered");
                        assert_eq!(row(a).get("tcpprobe.probe_number"), (i + 1).to_string());
                        if i >= 2 {
                            third_or_later.insert(a);
                        }
                    }
                    None => {
                        assert_eq!(r.get("tcpprobe.answered_in"), "", "{at}: no answer");
                        assert_ne!(
                            r.get("tcpprobe.unanswered"),
                            "",
                            "{at}: says why unanswered"
                        );
                    }
                }
            }

            let end = e.end.as_str();
            let summaries: Vec<u64> = rows
                .iter()
                .filter(|(_, r)| r.get("tcpprobe.summary") == id)
                .map(|(f, _)| *f)
                .collect();
            assert_eq!(
                summaries.len(),
                1,
                "{name}: episode {id} summaries in {summaries:?}"
            );
            let summary_frame = summaries[0];
            let at = format!("{name} episode {id} summary in frame {summary_frame}");
            let r = row(summary_frame);
            assert_eq!(
                r.get("tcpprobe.summary.probes"),
                probes.len().to_string(),
                "{at}"
            );
            assert_eq!(
                r.get("tcpprobe.summary.answered"),
                answered.to_string(),
                "{at}"
            );
            close(
                seconds(r.get("tcpprobe.summary.max_interval")),
                max_gap,
                &at,
            );
            // Keep-alives sent into a zero window belong to tcpprobe's zero-window episode, which
            // the window reopening ends; the generator ends a keep-alive run only at data, FIN
            // or RST. Everything else about them is compared above.
            let keepalives_in_zero_window =
                e.kind == "keepalive" && r.get("tcpprobe.summary.kind") == "1";
            if keepalives_in_zero_window {
                assert_eq!(r.get("tcpprobe.summary.end"), end_code("reopened"), "{at}");
            } else {
                assert_eq!(
                    r.get("tcpprobe.summary.end"),
                    end_code(end),
                    "{at}: end {end}"
                );
                // Ended: on the frame that ended it; still open: on its last probe or reply.
                let expected = e.end_frame.unwrap_or(last_frame);
                assert_eq!(summary_frame, expected, "{at}: end {end}");
            }
        }
    }

    // No probe tcpprobe found that the kernel and the generator do not know of.
    let found = rows
        .values()
        .filter(|r| matches!(r.get("tcpprobe.verdict"), ZERO_WINDOW_PROBE | KEEP_ALIVE))
        .count();
    assert_eq!(
        found, truth_probes,
        "{name}: probes tcpprobe found vs the capture's"
    );

    // The README's filter.
    let filtered: std::collections::BTreeSet<u64> = tshark
        .fields(
            &pcap,
            &["-2", "-Y", "tcpprobe.probe_number >= 3"],
            &["frame.number"],
        )
        .into_iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    assert_eq!(
        filtered, third_or_later,
        "{name}: -Y 'tcpprobe.probe_number >= 3'"
    );

    // Probes tcpprobe calls unanswered because of the rate limit: the probed kernel counted each
    // reply it held back (TcpExtTCPACKSkippedSeq).
    {
        let skipped = truth
            .ack_skipped_seq
            .unwrap_or_else(|| panic!("{name}: no kernel_extra.TcpExtTCPACKSkippedSeq"));
        let rate_limited = rows
            .values()
            .filter(|r| r.get("tcpprobe.unanswered") == "1")
            .count() as u64;
        assert_eq!(
            rate_limited, skipped,
            "{name}: rate-limited probes vs TCPACKSkippedSeq"
        );
    }
}
