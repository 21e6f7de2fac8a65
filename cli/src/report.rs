//! The per-connection report (text) and the JSON document (`--json`, schema in `cli/SCHEMA.md`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use tcpprobe_core::{notes, Class, EndCause, Endpoint, EpisodeKind, Timestamp, Unanswered};

use crate::analyze::{field_name, EpisodeRecord, Summary};
use crate::FileAnalysis;

/// `addr:port`, `[addr]:port` for IPv6. An IPv4 address is stored in the first four bytes with
/// the rest zero (tcpprobe-wire's convention).
pub fn endpoint(e: &Endpoint) -> String {
    if e.addr[4..].iter().all(|b| *b == 0) {
        format!(
            "{}:{}",
            Ipv4Addr::new(e.addr[0], e.addr[1], e.addr[2], e.addr[3]),
            e.port
        )
    } else {
        format!("[{}]:{}", Ipv6Addr::from(e.addr), e.port)
    }
}

/// Seconds since the capture's first frame.
pub fn rel(s: &Summary, t: Timestamp) -> f64 {
    t.nanos_since(s.first_time.unwrap_or_default()) as f64 / 1e9
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// The notes of an episode, at the end of the capture.
pub fn note_texts(s: &Summary, r: &EpisodeRecord) -> Vec<&'static str> {
    let bits = r.episode.notes_at_capture_end(s.capture_end);
    notes::ALL
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, text)| *text)
        .collect()
}

fn end_name(c: EndCause) -> &'static str {
    match c {
        EndCause::WindowReopened => "window_reopened",
        EndCause::RstFromProber => "rst_from_prober",
        EndCause::RstFromProbed => "rst_from_probed",
        EndCause::FinFromProber => "fin_from_prober",
        EndCause::FinFromProbed => "fin_from_probed",
        EndCause::DataResumed => "data_resumed",
        EndCause::Evicted => "evicted",
    }
}

fn unanswered_name(u: Unanswered) -> &'static str {
    match u {
        Unanswered::RateLimited => "rate_limited",
        Unanswered::NoReply => "no_reply",
    }
}

/// One line saying what the episode was, e.g. "3 zero-window probes over 2.732 s".
pub fn headline(s: &Summary, r: &EpisodeRecord) -> String {
    let ep = &r.episode;
    let (kind, noun) = match ep.kind {
        EpisodeKind::ZeroWindow => ("Zero-window episode", "probe"),
        EpisodeKind::KeepAlive => ("Keep-alive series", "keep-alive"),
    };
    let n = ep.probes();
    format!(
        "{kind} {}: {} {noun}{} over {:.3} s, {} answered{}",
        ep.id,
        n,
        if n == 1 { "" } else { "s" },
        secs(ep.duration_ns(s.capture_end)),
        ep.answered,
        match ep.end {
            Some(e) => format!("; ended: {}", e.cause.description()),
            None => "; still open when the capture ended".into(),
        }
    )
}

/// The default output: per connection, every episode.
pub fn text(name: &str, a: &FileAnalysis) -> String {
    let s = &a.summary;
    let mut o = String::new();
    let _ = writeln!(o, "{name}");
    let sk = &s.skipped;
    let _ = writeln!(
        o,
        "  {} frames, {} TCP segments; not analysed: {} not IP, {} not TCP, {} IP fragments, \
         {} cut by the snap length, {} malformed, {} of an unknown link type",
        s.frames,
        s.tcp_segments,
        sk.not_ip,
        sk.not_tcp,
        sk.fragment,
        sk.truncated,
        sk.malformed,
        sk.unknown_link_type
    );
    if s.evicted_connections > 0 {
        let _ = writeln!(
            o,
            "  connection limit reached: {} least recently active connections were forgotten; \
             their later segments were judged as in a capture that begins mid-stream",
            s.evicted_connections
        );
    }
    if let Some(e) = &a.error {
        let _ = writeln!(
            o,
            "  ERROR: {e}; the report covers the {} frames before it",
            s.frames
        );
    }
    if s.episodes.is_empty() {
        let _ = writeln!(o, "  no zero-window episodes and no keep-alives");
        return o;
    }
    // Connections in order of their first episode.
    let mut order: Vec<(String, Vec<&EpisodeRecord>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for r in &s.episodes {
        let (a, b) = (endpoint(&r.prober), endpoint(&r.probed));
        let key = if a <= b {
            format!("{a} <-> {b}")
        } else {
            format!("{b} <-> {a}")
        };
        let i = *at.entry(key.clone()).or_insert_with(|| {
            order.push((key, Vec::new()));
            order.len() - 1
        });
        order[i].1.push(r);
    }
    for (conn, eps) in order {
        let _ = writeln!(o, "\n  connection {conn}");
        for r in eps {
            episode_text(&mut o, s, r);
        }
    }
    o
}

fn episode_text(o: &mut String, s: &Summary, r: &EpisodeRecord) {
    let ep = &r.episode;
    let (prober, probed) = (endpoint(&r.prober), endpoint(&r.probed));
    let _ = writeln!(o, "    {}", headline(s, r));
    match (ep.kind, ep.window_closed_in, ep.window_closed_at) {
        (EpisodeKind::ZeroWindow, Some(f), Some(t))
            if ep.notes & notes::BEGAN_BEFORE_CAPTURE != 0 =>
        {
            let _ = writeln!(
                o,
                "      {probed}'s window was already closed when the capture began (first seen \
                 closed at {:.6} s, frame {f}); {prober} probed it",
                rel(s, t)
            );
        }
        (EpisodeKind::ZeroWindow, Some(f), Some(t)) => {
            let _ = writeln!(
                o,
                "      {probed} closed its window at {:.6} s (frame {f}); {prober} probed it",
                rel(s, t)
            );
        }
        _ => {
            let _ = writeln!(
                o,
                "      {prober} sent keep-alives to {probed}, first at {:.6} s (frame {})",
                rel(s, ep.first_probe_at),
                ep.first_probe
            );
        }
    }
    if let Some(idle) = ep.idle_before_first_ns {
        let _ = writeln!(
            o,
            "      first probe {:.3} s after {probed}'s last segment",
            secs(idle)
        );
    }
    let _ = writeln!(
        o,
        "      {:>8} {:>12} {:>5} {:<22} {:>10} {:>6}  reply",
        "frame", "time", "#", "class", "interval", "ratio"
    );
    for p in &r.probes {
        let reply = match (p.answered_in, p.unanswered) {
            (Some(f), _) => format!(
                "answered in frame {f} (+{:.3} ms)",
                p.answered_at
                    .map_or(0.0, |t| t.nanos_since(p.time) as f64 / 1e6)
            ),
            (None, Some(u)) => format!("unanswered: {}", u.description()),
            (None, None) => "none seen".into(),
        };
        let _ = writeln!(
            o,
            "      {:>8} {:>12.6} {:>5} {:<22} {:>10} {:>6}  {reply}",
            p.frame,
            rel(s, p.time),
            p.number,
            field_name(p.class),
            p.since_previous_ns
                .map_or(String::new(), |n| format!("{:.3} s", secs(n))),
            p.interval_ratio_milli
                .map_or(String::new(), |m| format!("{:.2}", m as f64 / 1000.0)),
        );
    }
    if r.probes_not_kept > 0 {
        let _ = writeln!(o, "      … and {} more probes", r.probes_not_kept);
    }
    let backoff = if ep.notes & notes::PERSIST_BACKOFF != 0 {
        "intervals doubled (persist timer backoff)"
    } else if ep.notes & notes::KEEPALIVE_CONSTANT != 0 {
        "constant interval (keep-alive timer)"
    } else {
        "not enough probes to tell"
    };
    let _ = writeln!(
        o,
        "      backoff: {backoff}; largest interval {:.3} s; unanswered: {} (rate limit), {} (no reply)",
        secs(ep.max_interval_ns),
        ep.rate_limited,
        ep.no_reply
    );
    match ep.end {
        Some(e) => {
            let _ = writeln!(
                o,
                "      ended: {} at {:.6} s (frame {}), {:.3} s after it began",
                e.cause.description(),
                rel(s, e.time),
                e.packet,
                secs(ep.duration_ns(s.capture_end))
            );
        }
        None => {
            let _ = writeln!(
                o,
                "      ended: still open when the capture ended ({:.3} s so far)",
                secs(ep.duration_ns(s.capture_end))
            );
        }
    }
    for n in note_texts(s, r) {
        let _ = writeln!(o, "      consistent with: {n}");
    }
}

// ---- JSON ----

/// Version of the JSON document's schema; bumped on any incompatible change.
pub const SCHEMA: &str = "tcpprobe-analyzer/1";

#[derive(Serialize)]
pub struct JsonDoc<'a> {
    pub schema: &'static str,
    pub files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
pub struct JsonFile<'a> {
    pub file: &'a str,
    pub error: Option<JsonError>,
    pub frames: u64,
    pub tcp_segments: u64,
    pub skipped: JsonSkipped,
    pub capture_start_ns: Option<u64>,
    pub capture_end_ns: u64,
    pub episodes: Vec<JsonEpisode>,
}

#[derive(Serialize)]
pub struct JsonError {
    pub offset: u64,
    pub message: String,
}

#[derive(Serialize)]
pub struct JsonSkipped {
    pub unknown_link_type: u64,
    pub not_ip: u64,
    pub not_tcp: u64,
    pub fragment: u64,
    pub truncated: u64,
    pub malformed: u64,
}

#[derive(Serialize)]
pub struct JsonEpisode {
    pub id: u64,
    pub kind: &'static str,
    pub prober: String,
    pub probed: String,
    pub window_closed_in: Option<u64>,
    pub window_closed_at: Option<f64>,
    pub window_reopened_in: Option<u64>,
    pub first_probe: u64,
    pub first_probe_at: f64,
    pub idle_before_first: Option<f64>,
    pub duration: f64,
    pub probes: u32,
    pub zero_window_probes: u32,
    pub keep_alives: u32,
    pub answered: u32,
    pub rate_limited: u32,
    pub no_reply: u32,
    pub max_interval: f64,
    pub end: Option<JsonEnd>,
    pub notes: Vec<&'static str>,
    pub probe_list: Vec<JsonProbe>,
}

#[derive(Serialize)]
pub struct JsonEnd {
    pub cause: &'static str,
    pub frame: u64,
    pub at: f64,
}

#[derive(Serialize)]
pub struct JsonProbe {
    pub frame: u64,
    pub at: f64,
    pub class: &'static str,
    pub number: u32,
    pub since_previous: Option<f64>,
    pub interval_ratio: Option<f64>,
    pub answered_in: Option<u64>,
    pub unanswered: Option<&'static str>,
}

pub fn json_file<'a>(name: &'a str, a: &FileAnalysis) -> JsonFile<'a> {
    let s = &a.summary;
    let k = &s.skipped;
    JsonFile {
        file: name,
        error: a.error.as_ref().map(|e| JsonError {
            offset: e.offset,
            message: e.what.clone(),
        }),
        frames: s.frames,
        tcp_segments: s.tcp_segments,
        skipped: JsonSkipped {
            unknown_link_type: k.unknown_link_type,
            not_ip: k.not_ip,
            not_tcp: k.not_tcp,
            fragment: k.fragment,
            truncated: k.truncated,
            malformed: k.malformed,
        },
        capture_start_ns: s.first_time.map(|t| t.0),
        capture_end_ns: s.capture_end.0,
        episodes: s
            .episodes
            .iter()
            .map(|r| {
                let ep = &r.episode;
                JsonEpisode {
                    id: ep.id,
                    kind: match ep.kind {
                        EpisodeKind::ZeroWindow => "zero_window",
                        EpisodeKind::KeepAlive => "keep_alive",
                    },
                    prober: endpoint(&r.prober),
                    probed: endpoint(&r.probed),
                    window_closed_in: ep.window_closed_in,
                    window_closed_at: ep.window_closed_at.map(|t| rel(s, t)),
                    window_reopened_in: ep.window_reopened_in,
                    first_probe: ep.first_probe,
                    first_probe_at: rel(s, ep.first_probe_at),
                    idle_before_first: ep.idle_before_first_ns.map(secs),
                    duration: secs(ep.duration_ns(s.capture_end)),
                    probes: ep.probes(),
                    zero_window_probes: ep.zero_window_probes,
                    keep_alives: ep.keep_alives,
                    answered: ep.answered,
                    rate_limited: ep.rate_limited,
                    no_reply: ep.no_reply,
                    max_interval: secs(ep.max_interval_ns),
                    end: ep.end.map(|e| JsonEnd {
                        cause: end_name(e.cause),
                        frame: e.packet,
                        at: rel(s, e.time),
                    }),
                    notes: note_texts(s, r),
                    probe_list: r
                        .probes
                        .iter()
                        .map(|p| JsonProbe {
                            frame: p.frame,
                            at: rel(s, p.time),
                            class: field_name(p.class),
                            number: p.number,
                            since_previous: p.since_previous_ns.map(secs),
                            interval_ratio: p.interval_ratio_milli.map(|m| m as f64 / 1000.0),
                            answered_in: p.answered_in,
                            unanswered: p.unanswered.map(unanswered_name),
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// The class names used everywhere (the plugin's field names), for the schema's documentation.
pub fn class_names() -> Vec<&'static str> {
    Class::ALL.iter().map(|c| field_name(*c)).collect()
}
