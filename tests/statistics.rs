//! The overview table (`tshark -q -z tcpprobe,stalls`, Statistics > TCP Stalls (tcpprobe) in the
//! GUI): on every bundled kernel capture, single pass and `-2`, one row per episode, each agreeing
//! with the episode's own summary in the packet tree (which tests/episodes.rs checks against the
//! generator's truth), and naming the prober the truth names.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

type Row = BTreeMap<String, String>;

/// The rows of `-z tcpprobe,stalls`, by episode number.
fn stalls(tshark: &Tshark, pcap: &Path, extra: &[&str]) -> BTreeMap<u64, Row> {
    let mut args = vec!["-r", pcap.to_str().unwrap(), "-q", "-z", "tcpprobe,stalls"];
    args.extend_from_slice(extra);
    let out = tshark.run(&args);
    let mut lines = out.lines();
    assert!(
        lines.any(|l| l == "TCP Stalls (tcpprobe):"),
        "no TCP Stalls table in:\n{out}"
    );
    let header = lines
        .find(|l| l.starts_with("Episode |"))
        .unwrap_or_else(|| panic!("no column header in:\n{out}"));
    let columns: Vec<&str> = header.split(" |").map(str::trim).collect();
    assert_eq!(
        lines.next(),
        Some("Zero-window episodes and keep-alive series")
    );
    let mut rows = BTreeMap::new();
    for line in lines.take_while(|l| !l.starts_with("=====")) {
        let row: Row = columns
            .iter()
            .zip(line.split(" |"))
            .filter(|(c, _)| !c.is_empty())
            .map(|(c, v)| (c.to_string(), v.trim().to_string()))
            .collect();
        let id: u64 = row["Episode"].parse().unwrap();
        assert!(rows.insert(id, row).is_none(), "episode {id} twice:\n{out}");
    }
    rows
}

/// Every episode summary in the packet tree (`-2`): (episode, summary frame, field -> value).
fn summaries(tshark: &Tshark, pcap: &Path, extra: &[&str]) -> Vec<(u64, u64, Row)> {
    let fields = [
        "frame.number",
        "tcpprobe.summary",
        "tcpprobe.summary.probes",
        "tcpprobe.summary.answered",
        "tcpprobe.summary.end",
        "tcpprobe.summary.first_probe",
    ];
    let mut args = vec![
        "-r",
        pcap.to_str().unwrap(),
        "-2",
        "-T",
        "fields",
        "-E",
        "separator=;",
    ];
    for f in fields {
        args.extend(["-e", f]);
    }
    args.extend_from_slice(extra);
    let mut out = Vec::new();
    for line in tshark.run(&args).lines() {
        let cols: Vec<&str> = line.split(';').collect();
        if cols[1].is_empty() {
            continue;
        }
        let frame: u64 = cols[0].parse().unwrap();
        // A frame can end two episodes (one per side): its fields hold a value per summary.
        let per: Vec<Vec<&str>> = cols[1..].iter().map(|c| c.split(',').collect()).collect();
        for k in 0..per[0].len() {
            let row: Row = fields[1..]
                .iter()
                .zip(&per)
                .map(|(f, v)| (f.to_string(), v[k].to_string()))
                .collect();
            out.push((per[0][k].parse().unwrap(), frame, row));
        }
    }
    out
}

/// The table's "Ended by" text of a tcpprobe.summary.end value.
fn end_text(code: &str) -> &'static str {
    match code {
        "0" => "still open when the capture ended",
        "1" => "window reopened",
        "2" => "RST from the probing side",
        "3" => "RST from the probed side",
        "4" => "FIN from the probing side",
        "5" => "FIN from the probed side",
        "6" => "data flowed again",
        other => panic!("unknown tcpprobe.summary.end {other}"),
    }
}

#[test]
fn one_row_per_episode_agreeing_with_its_summary_in_both_passes() {
    let tshark = Tshark::new();
    for name in KERNEL_SCENARIOS {
        let truth = KernelCapture::load(&bundled_kernel_dir(), name);
        let pcap = tshark.stage(&truth.pcap);
        let ratelimit = format!("tcpprobe.invalid_ratelimit:{}", truth.invalid_ratelimit);
        let prefs = ["-o", ratelimit.as_str()];
        let two = stalls(&tshark, &pcap, &[&["-2"][..], &prefs].concat());
        let one = stalls(&tshark, &pcap, &prefs);
        assert_eq!(one, two, "{name}: single pass and -2 tables differ");

        let sums = summaries(&tshark, &pcap, &prefs);
        assert_eq!(
            two.len(),
            sums.len(),
            "{name}: {} rows, {} summaries",
            two.len(),
            sums.len()
        );
        for (id, frame, s) in &sums {
            let at = format!("{name} episode {id}");
            let row = two
                .get(id)
                .unwrap_or_else(|| panic!("{at}: no row in {two:?}"));
            assert_eq!(row["Probes"], s["tcpprobe.summary.probes"], "{at}");
            assert_eq!(row["Answered"], s["tcpprobe.summary.answered"], "{at}");
            assert_eq!(row["Last frame"], frame.to_string(), "{at}");
            assert_eq!(
                row["Ended by"],
                end_text(&s["tcpprobe.summary.end"]),
                "{at}"
            );
            // The prober is the side the generator's truth names for the stream of this episode.
            let first: u64 = s["tcpprobe.summary.first_probe"].parse().unwrap();
            let (stream, episode) = truth
                .streams
                .iter()
                .flat_map(|st| st.episodes.iter().flatten().map(move |e| (st, e)))
                .find(|(_, e)| e.probes.iter().any(|p| p.frame == first))
                .unwrap_or_else(|| panic!("{at}: first probe {first} is in no truth episode"));
            let port = episode.prober_port;
            assert!(
                row["Prober"].ends_with(&format!(":{port}")),
                "{at}: prober {} is not port {port}",
                row["Prober"]
            );
            let other = stream.peer_of(port);
            assert!(
                row["Probed side"].ends_with(&format!(":{other}")),
                "{at}: probed side {} is not port {other}",
                row["Probed side"]
            );
        }
    }
}

#[test]
fn user_timeout_stall_in_the_table() {
    let tshark = Tshark::new();
    let pcap = tshark.stage(&bundled_kernel_dir().join("user_timeout.pcap"));
    for extra in [&[][..], &["-2"][..]] {
        let rows = stalls(&tshark, &pcap, extra);
        assert_eq!(rows.len(), 1, "{extra:?}: {rows:?}");
        let r = &rows[&1];
        assert_eq!(r["Prober"], "127.0.0.1:41302", "{extra:?}");
        assert_eq!(r["Probed side"], "127.0.0.1:42681", "{extra:?}");
        assert_eq!(r["Kind"], "zero-window episode", "{extra:?}");
        assert_eq!(r["Stream"], "0", "{extra:?}");
        assert_eq!(
            (r["First frame"].as_str(), r["Last frame"].as_str()),
            ("7", "13")
        );
        assert_eq!((r["Probes"].as_str(), r["Answered"].as_str()), ("3", "2"));
        assert_eq!(r["Duration (s)"], "2.732");
        assert_eq!(r["Largest interval (s)"], "0.864");
        assert_eq!(r["Ended by"], "window reopened");
        assert!(
            r["Consistent with"].contains("persist timer backoff")
                && r["Consistent with"].contains("aborted silently"),
            "{extra:?}: {}",
            r["Consistent with"]
        );
    }
}

/// Expert severities follow Wireshark's conventions: one Warning per stall a user should look at
/// (each zero-window episode; each keep-alive abort), Notes and Chats for the rest.
#[test]
fn one_warning_per_stall() {
    let tshark = Tshark::new();
    for name in KERNEL_SCENARIOS {
        let pcap = tshark.stage(&bundled_kernel_dir().join(format!("{name}.pcap")));
        let rows = stalls(&tshark, &pcap, &["-2"]);
        let stalls_to_look_at = rows
            .values()
            .filter(|r| {
                r["Kind"] == "zero-window episode"
                    || r["Consistent with"].contains("keep-alive abort")
            })
            .count();
        let expert = tshark.run(&["-r", pcap.to_str().unwrap(), "-2", "-q", "-z", "expert"]);
        let mut section = "";
        let mut warnings = 0;
        for line in expert.lines() {
            if !line.starts_with(' ') && line.ends_with(')') {
                section = line;
            }
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() >= 4 && cols[2] == "tcpprobe" {
                if section.starts_with("Warns") {
                    warnings += cols[0].parse::<usize>().unwrap();
                }
                assert!(
                    !line.to_lowercase().contains("unanswered: unanswered"),
                    "{name}: {line}"
                );
            }
        }
        assert_eq!(warnings, stalls_to_look_at, "{name}:\n{expert}");
    }
}
