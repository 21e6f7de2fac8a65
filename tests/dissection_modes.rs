//! tcpprobe's output must not depend on how Wireshark dissects: with a full tree (`-V`, PDML),
//! with a tree built only for fields or a filter (`-T fields`, `-Y`), and with no tree at all
//! (the packet list, `-q -z expert`, which is what the GUI's Expert Information dialog does). Every
//! test capture, single pass and `-2`: the same items, the same expert items, the same Info.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every capture the tests know: the bundled kernel ones and ../shared/captures.
fn all_captures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [bundled_kernel_dir(), repo().join("../shared/captures")] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| {
                let n = p.to_string_lossy();
                n.ends_with(".pcap") || n.ends_with(".pcapng")
            })
            .collect();
        assert!(
            found.len() >= 10,
            "{}: only {} captures",
            dir.display(),
            found.len()
        );
        found.sort();
        out.extend(found);
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The value of `attr="…"` in one PDML line.
fn attr(line: &str, attr: &str) -> Option<String> {
    let start = line.find(&format!(" {attr}=\""))? + attr.len() + 3;
    let len = line[start..].find('"')?;
    Some(unescape(&line[start..start + len]))
}

/// What a full tree shows of tcpprobe: per frame, every tcpprobe field with its values in tree
/// order; and every tcpprobe expert item as (severity section, message).
#[derive(Default)]
struct FullTree {
    fields: BTreeMap<u64, BTreeMap<String, Vec<String>>>,
    experts: BTreeMap<(String, String), usize>,
}

fn severity_section(level: &str) -> &'static str {
    match level {
        "1048576" => "Comments",
        "2097152" => "Chats",
        "4194304" => "Notes",
        "6291456" => "Warns",
        "8388608" => "Errors",
        other => panic!("unknown expert severity {other}"),
    }
}

fn full_tree(tshark: &Tshark, pcap: &Path, extra: &[&str]) -> FullTree {
    let mut args = vec!["-r", pcap.to_str().unwrap(), "-T", "pdml"];
    args.extend_from_slice(extra);
    let pdml = stdout(tshark, &args);
    let mut tree = FullTree::default();
    let mut frame = 0u64;
    let mut lines = pdml.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = attr(line, "name") else {
            continue;
        };
        if name == "frame.number" {
            frame = attr(line, "show").unwrap().parse().unwrap();
        } else if name.starts_with("tcpprobe.expert.") {
            // The expert item's message and severity follow it inside the _ws.expert node.
            let (mut message, mut severity) = (None, None);
            while let Some(next) = lines.peek() {
                match attr(next, "name").as_deref() {
                    Some("_ws.expert.message") => message = attr(next, "show"),
                    Some("_ws.expert.severity") => severity = attr(next, "show"),
                    Some("_ws.expert.group") => {}
                    _ => break,
                }
                lines.next();
            }
            let key = (
                severity_section(&severity.expect("expert severity")).to_string(),
                message.expect("expert message"),
            );
            *tree.experts.entry(key).or_default() += 1;
        } else if name == "tcpprobe" || name.starts_with("tcpprobe.") {
            let show = attr(line, "show").unwrap_or_default();
            tree.fields
                .entry(frame)
                .or_default()
                .entry(name)
                .or_default()
                .push(show);
        }
    }
    tree
}

/// Every tcpprobe field tshark knows, with whether it is a presence field (FT_NONE), which
/// `-T fields` prints as `1` and PDML as an empty `show`.
fn tcpprobe_fields(tshark: &Tshark) -> Vec<(String, bool)> {
    tshark
        .run(&["-G", "fields"])
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| {
            c.len() > 3
                && c[0] == "F"
                && c[2].starts_with("tcpprobe.")
                && !c[2].starts_with("tcpprobe.expert.")
        })
        .map(|c| (c[2].to_string(), c[3] == "FT_NONE"))
        .collect()
}

#[test]
fn same_output_with_a_full_tree_a_field_tree_and_no_tree() {
    let tshark = Tshark::new();
    let fields = tcpprobe_fields(&tshark);
    assert!(fields.len() > 30, "tcpprobe fields: {fields:?}");
    let (mut frames_seen, mut experts_seen) = (0, 0);
    for capture in all_captures() {
        let name = capture.file_name().unwrap().to_string_lossy().to_string();
        let pcap = tshark.stage(&capture);
        for pass in [&[][..], &["-2"][..]] {
            let at = format!("{name} {pass:?}");
            let full = full_tree(&tshark, &pcap, pass);

            // A tree built only for the fields asked for (-T fields, custom columns).
            let field_refs: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
            let mut extra = pass.to_vec();
            extra.extend(["-E", "occurrence=a", "-E", "aggregator=|"]);
            let mut args = vec!["-r", pcap.to_str().unwrap(), "-T", "fields"];
            args.extend(&extra);
            args.extend(["-e", "frame.number"]);
            for f in &field_refs {
                args.extend(["-e", f]);
            }
            for line in stdout(&tshark, &args).lines() {
                let row: Vec<&str> = line.split('\t').collect();
                let frame: u64 = row[0].parse().expect("frame number");
                let shown = full.fields.get(&frame);
                for ((field, presence), value) in fields.iter().zip(&row[1..]) {
                    let want = shown
                        .and_then(|f| f.get(field))
                        .map(|v| {
                            let v: Vec<&str> = v
                                .iter()
                                .map(|x| if *presence { "1" } else { x.as_str() })
                                .collect();
                            v.join("|")
                        })
                        .unwrap_or_default();
                    // Booleans print as 1/0 up to 4.0 and True/False from 4.2 on, in both.
                    let bool01 = |v: &str| match v {
                        "True" => "1".to_string(),
                        "False" => "0".to_string(),
                        v => v.to_string(),
                    };
                    assert_eq!(
                        bool01(value),
                        bool01(&want),
                        "{at} frame {frame}: {field} with -T fields"
                    );
                }
            }

            // A filter on tcpprobe's protocol: exactly the frames the full tree gives items.
            let mut args = vec![
                "-r",
                pcap.to_str().unwrap(),
                "-Y",
                "tcpprobe",
                "-T",
                "fields",
            ];
            args.extend_from_slice(pass);
            args.extend(["-e", "frame.number"]);
            let filtered: BTreeSet<u64> = stdout(&tshark, &args)
                .lines()
                .map(|l| l.parse().expect("frame number"))
                .collect();
            let with_items: BTreeSet<u64> = full
                .fields
                .iter()
                .filter(|(_, f)| f.contains_key("tcpprobe"))
                .map(|(n, _)| *n)
                .collect();
            assert_eq!(filtered, with_items, "{at}: -Y tcpprobe");
            frames_seen += with_items.len();

            // No tree at all: the expert statistics (and the GUI's Expert Information dialog).
            let experts = expert_stats(&tshark, &pcap, pass);
            assert_eq!(experts, full.experts, "{at}: -q -z expert against -T pdml");
            experts_seen += experts.values().sum::<usize>();

            // The Info column: packet list without a tree, and with a tree built for a filter.
            let mut args = vec!["-r", pcap.to_str().unwrap(), "-T", "tabs"];
            args.extend(["-o", r#"gui.column.format:"No.","%m","Info","%i""#]);
            args.extend_from_slice(pass);
            let no_tree = stdout(&tshark, &args);
            args.extend(["-Y", "frame"]);
            let with_tree = stdout(&tshark, &args);
            assert!(no_tree.lines().count() > 5, "{at}: packet list too short");
            assert_eq!(
                no_tree.lines().count(),
                with_tree.lines().count(),
                "{at}: packet list"
            );
            // Some of Wireshark's own dissectors word their Info differently with a tree (4.4's
            // HTTP on one shared capture); tcpprobe's labels must be the same in both.
            for (a, b) in no_tree.lines().zip(with_tree.lines()) {
                let frame: u64 = a.split('\t').next().unwrap().trim().parse().expect("frame");
                let labelled = |l: &str| l.contains("Keep-Alive") || l.contains("ZeroWindowProbe");
                if with_items.contains(&frame) || labelled(a) || labelled(b) {
                    assert_eq!(a, b, "{at}: Info column without and with a tree");
                }
            }
        }
        std::fs::remove_file(&pcap).expect("remove staged capture");
    }
    // The comparison must have had something to compare.
    assert!(
        frames_seen > 200,
        "only {frames_seen} frames with tcpprobe items"
    );
    assert!(
        experts_seen > 200,
        "only {experts_seen} tcpprobe expert items"
    );
}

/// `tshark -2 -q -z expert` and `tshark -q -z expert`, without -V and without a filter, list
/// tcpprobe's items on a kernel-made persist stall: the probes, their ACKs and the episode.
#[test]
fn expert_statistics_without_a_tree_list_tcpprobe() {
    let tshark = Tshark::new();
    let pcap = tshark.stage(&bundled_kernel_dir().join("persist_v4.pcap"));
    for pass in [&[][..], &["-2"][..]] {
        let rows = expert_stats(&tshark, &pcap, pass);
        let count = |section: &str, prefix: &str| -> usize {
            rows.iter()
                .filter(|((s, m), _)| s == section && m.starts_with(prefix))
                .map(|(_, n)| n)
                .sum()
        };
        // The kernel counted 4 persist probes; 3 were answered (one held back by the rate limit).
        assert_eq!(
            count("Notes", "Zero-window probe (corrected"),
            4,
            "{pass:?}: {rows:?}"
        );
        assert_eq!(
            count("Notes", "Zero-window probe ACK"),
            3,
            "{pass:?}: {rows:?}"
        );
        assert_eq!(
            count("Warns", "Zero-window episode 1: 4 probes"),
            1,
            "{pass:?}: {rows:?}"
        );
    }
}
