//! The truth about a kernel-made capture, as the generator wrote it beside the pcap
//! (tests/gen/gen_captures.py): the kernel's own counters, each stream's construction, and the
//! episodes its model (tests/gen/oracle.py, tested by tests/oracle.rs) read from the pcap.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::harness::repo;

/// One stream of a kernel-made capture, from the generator's JSON.
#[derive(Debug, Clone)]
pub struct KernelStream {
    pub client_port: u16,
    pub server_port: u16,
    pub role: String,
    /// Port of the side the scenario made send persist probes (counted in TCPWinProbe), if any.
    pub persist_port: Option<u16>,
    /// Port of the side the scenario made send keep-alives (counted in TCPKeepAlive), if any. In
    /// a stream where both sides probe (class 5) it is the other side than `persist_port`.
    pub keepalive_port: Option<u16>,
    /// What the scenario made the stream do: "persist", "keepalive", "persist_and_keepalive"
    /// (both, one side each) or "none".
    pub expect: String,
    /// Probe-shaped frames (zero-length ACK at SND.UNA-1, or with URG at SND.UNA) the generator
    /// counted per side.
    pub probe_shaped: HashMap<String, u64>,
    /// The episodes the generator's model read from the pcap (`capture.episodes`); None in a
    /// JSON older than the model.
    pub episodes: Option<Vec<TruthEpisode>>,
}

impl KernelStream {
    /// Probe-shaped frames the generator counted from the side with this port.
    pub fn probe_shaped_from(&self, port: u16) -> u64 {
        let side = if port == self.client_port {
            "client"
        } else {
            "server"
        };
        self.probe_shaped.get(side).copied().unwrap_or(0)
    }

    /// The other side's port.
    pub fn peer_of(&self, port: u16) -> u16 {
        if port == self.client_port {
            self.server_port
        } else {
            self.client_port
        }
    }
}

/// One episode of the generator's model (tests/gen/oracle.py says what opens and ends one).
#[derive(Debug, Clone)]
pub struct TruthEpisode {
    /// "zero_window" (persist probes) or "keepalive".
    pub kind: String,
    /// Port of the side whose probes these are.
    pub prober_port: u16,
    /// The probed side's window fields were cut by the snap length: the capture cannot show the
    /// window closing or reopening (closed_frame and reopened_frame are None).
    pub window_unknown: bool,
    /// The probed side's segment that closed the window, if the capture has it.
    pub closed_frame: Option<u64>,
    pub reopened_frame: Option<u64>,
    pub probes: Vec<TruthProbe>,
    /// How it ended: "reopened", "rst_from_prober", ..., "capture_end".
    pub end: String,
    /// The frame that ended it; None when the capture ended first.
    pub end_frame: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct TruthProbe {
    pub frame: u64,
    /// Seconds since the capture's first packet.
    pub time: f64,
    pub answered_frame: Option<u64>,
    /// Recognised only by the peer's later ACK (before any segment of the peer).
    pub lookahead: bool,
}

impl TruthEpisode {
    /// `prober_port`: the episode's prober, from its "prober" side (a JSON older than streams
    /// with two probers has none: then the stream's only prober).
    fn from_json(
        e: &serde_json::Value,
        port_of: impl Fn(&str) -> u16,
        prober: u16,
    ) -> TruthEpisode {
        let frame = |v: &serde_json::Value| v.as_u64();
        TruthEpisode {
            kind: e["kind"].as_str().unwrap_or_default().to_string(),
            prober_port: e["prober"].as_str().map_or(prober, port_of),
            window_unknown: e["window_unknown"] == true,
            closed_frame: frame(&e["closed_frame"]),
            reopened_frame: frame(&e["reopened_frame"]),
            probes: e["probes"]
                .as_array()
                .expect("probes")
                .iter()
                .map(|p| TruthProbe {
                    frame: p["frame"].as_u64().expect("probe frame"),
                    time: p["time"].as_f64().expect("probe time"),
                    answered_frame: frame(&p["answered_frame"]),
                    lookahead: p["lookahead"] == true,
                })
                .collect(),
            end: e["end"].as_str().expect("end").to_string(),
            end_frame: frame(&e["end_frame"]),
        }
    }
}

#[derive(Debug, Clone)]
pub struct KernelCapture {
    pub name: String,
    pub pcap: PathBuf,
    pub win_probes: u64,
    pub keep_alives: u64,
    /// TcpExtTCPACKSkippedSeq: replies to probes the probed kernel held back (rate limit).
    pub ack_skipped_seq: Option<u64>,
    /// net.ipv4.tcp_invalid_ratelimit in the namespace (ms); Linux's default if not recorded.
    pub invalid_ratelimit: String,
    /// tcpprobe's preferences for what the namespace's sysctls set (`name:value`): the prober's
    /// RTO bounds and the reply rate limit, as a user who knows them would set them.
    pub prober_prefs: Vec<String>,
    pub streams: Vec<KernelStream>,
    /// The pcap's link type ("EN10MB", "LINUX_SLL2", ...) and snap length, as the generator read
    /// them from the file (a JSON older than the snap-length scenarios: lo's Ethernet, 160).
    pub linktype: String,
    pub snaplen: u64,
    /// Frames whose TCP header the snap length cut (options or more), of them SYNs (whose
    /// options are the longest), and of them those cut before the window field.
    pub tcp_header_cut_frames: u64,
    pub syn_header_cut_frames: u64,
    pub window_unknown_frames: u64,
}

impl KernelCapture {
    pub fn load(dir: &Path, name: &str) -> KernelCapture {
        let json_path = dir.join(format!("{name}.json"));
        let text = fs::read_to_string(&json_path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", json_path.display()));
        let j: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let count = |k: &str| {
            j["kernel"][k]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: no {k}"))
        };
        let streams = j["streams"]
            .as_array()
            .expect("streams")
            .iter()
            .map(|s| {
                let port = |k: &str| s[k].as_u64().expect("port") as u16;
                let (client_port, server_port) = (port("client_port"), port("server_port"));
                let port_of = |side: &str| match side {
                    "client" => client_port,
                    "server" => server_port,
                    other => panic!("{name}: unknown side {other:?}"),
                };
                // Which side sends which kind: "probers" ({side: kind}); a JSON older than
                // streams with two probers has the one prober and its kind (expect).
                let mut probers: Vec<(String, String)> = match s["probers"].as_object() {
                    Some(o) => o
                        .iter()
                        .map(|(side, kind)| (side.clone(), kind.as_str().expect("kind").into()))
                        .collect(),
                    None => s["prober"]
                        .as_str()
                        .map(|side| {
                            (
                                side.to_string(),
                                s["expect"].as_str().expect("expect").into(),
                            )
                        })
                        .into_iter()
                        .collect(),
                };
                probers.sort();
                let sender = |kind: &str| {
                    let mut sides = probers.iter().filter(|(_, k)| k == kind);
                    let port = sides.next().map(|(side, _)| port_of(side));
                    assert!(
                        sides.next().is_none(),
                        "{name}: two {kind} senders in one stream"
                    );
                    port
                };
                let (persist_port, keepalive_port) = (sender("persist"), sender("keepalive"));
                // The one prober of a JSON without per-episode probers.
                let only_prober = persist_port.or(keepalive_port).unwrap_or(0);
                // Probe-shaped: at SND.UNA-1, plus the URG probes at SND.UNA (urgent data).
                let mut probe_shaped: HashMap<String, u64> = HashMap::new();
                for key in ["seq_minus_one_acks", "urgent_probes"] {
                    if let Some(o) = s["capture"][key].as_object() {
                        for (k, v) in o {
                            *probe_shaped.entry(k.clone()).or_default() += v.as_u64().unwrap_or(0);
                        }
                    }
                }
                KernelStream {
                    client_port,
                    server_port,
                    role: s["role"].as_str().unwrap_or_default().to_string(),
                    persist_port,
                    keepalive_port,
                    expect: s["expect"].as_str().unwrap_or_default().to_string(),
                    probe_shaped,
                    episodes: s["capture"]["episodes"].as_array().map(|es| {
                        es.iter()
                            .map(|e| TruthEpisode::from_json(e, port_of, only_prober))
                            .collect()
                    }),
                }
            })
            .collect();
        KernelCapture {
            name: name.to_string(),
            pcap: dir.join(format!("{name}.pcap")),
            win_probes: count("TcpExtTCPWinProbe"),
            keep_alives: count("TcpExtTCPKeepAlive"),
            ack_skipped_seq: j["kernel_extra"]["TcpExtTCPACKSkippedSeq"].as_u64(),
            invalid_ratelimit: j["sysctls"]["net.ipv4.tcp_invalid_ratelimit"]
                .as_str()
                .unwrap_or("500")
                .to_string(),
            prober_prefs: {
                let sysctl = |k: &str| j["sysctls"][k].as_str().and_then(|v| v.parse::<u64>().ok());
                let mut p = Vec::new();
                if let Some(us) = sysctl("net.ipv4.tcp_rto_min_us") {
                    p.push(format!("tcpprobe.rto_min:{}", us / 1000));
                }
                if let Some(ms) = sysctl("net.ipv4.tcp_rto_max_ms") {
                    p.push(format!("tcpprobe.rto_max:{ms}"));
                }
                if let Some(ms) = sysctl("net.ipv4.tcp_invalid_ratelimit") {
                    p.push(format!("tcpprobe.invalid_ratelimit:{ms}"));
                }
                p
            },
            streams,
            linktype: j["capture"]["linktype"]
                .as_str()
                .unwrap_or("EN10MB")
                .to_string(),
            snaplen: j["capture"]["snaplen"].as_u64().unwrap_or(160),
            tcp_header_cut_frames: j["capture"]["tcp_header_cut_frames"].as_u64().unwrap_or(0),
            syn_header_cut_frames: j["capture"]["syn_header_cut_frames"].as_u64().unwrap_or(0),
            window_unknown_frames: j["capture"]["window_unknown_frames"].as_u64().unwrap_or(0),
        }
    }

    /// Every TCP header captured whole, but maybe the SYNs' (a snap length that keeps every
    /// other header, timestamps included, can cut a SYN's longer options).
    pub fn tcp_headers_whole(&self) -> bool {
        self.tcp_header_cut_frames == self.syn_header_cut_frames
    }

    /// Probe frames the generator recognised only by a later segment of the peer (the capture
    /// holds nothing of the peer before them): a reader that goes frame by frame cannot know
    /// them yet, so a single pass may leave them blank.
    pub fn lookahead_frames(&self) -> std::collections::HashSet<u64> {
        self.streams
            .iter()
            .flat_map(|s| s.episodes.iter().flatten())
            .flat_map(|e| &e.probes)
            .filter(|p| p.lookahead)
            .map(|p| p.frame)
            .collect()
    }

    pub fn stream_of(&self, src: u16, dst: u16) -> &KernelStream {
        self.streams
            .iter()
            .find(|s| {
                (s.client_port, s.server_port) == (src, dst)
                    || (s.client_port, s.server_port) == (dst, src)
            })
            .unwrap_or_else(|| panic!("{}: no stream for ports {src}-{dst}", self.name))
    }
}

/// Every bundled kernel scenario that tcpprobe handles.
pub const KERNEL_SCENARIOS: &[&str] = &[
    "persist_v4",
    "persist_v6",
    "keepalive_v4",
    "keepalive_zero_window",
    "multi_stream",
    "stall_twice",
    "user_timeout",
    "keepalive_abort",
    "orphan",
    "ratelimit",
    "long_backoff",
    "urgent",
    "keepalive_doubled_once",
    "persist_rto_2s",
    // A capture that starts after the handshake and the fill: its first segment is a
    // keep-alive into a zero window, recognised by its reply.
    "keepalive_midstream",
    // Snap lengths that cut payload, or TCP options (-i any, Linux cooked v2), but keep the
    // window: persist_v4 and persist_v6 captured at once by more tcpdumps.
    "persist_v4_s68",
    "persist_any_v4_s68",
    "persist_v6_s96",
    "persist_any_v6_s96",
    // Class 5: the client persist-probes the server's zero window while the server sends
    // keep-alives of its own.
    "both_directions",
    // The persist interval reaches net.ipv4.tcp_rto_max_ms (1 s) and stays there.
    "persist_rto_max",
    // IPv6 over Ethernet at snap length 68: every TCP header cut before its window field; the
    // timing alone tells the timers apart, and tcpprobe says the window is unknown.
    "persist_v6_s68",
    "keepalive_v6_s68",
    // The capture starts inside a persist stall / a keep-alive series on an open window: its
    // first frame is a probe known as one only from the peer's later ACK.
    "persist_midstream",
    "keepalive_open_midstream",
    // An editcap cut of persist_rto_max inside its constant 1 s intervals: persist probes that
    // would look like keep-alives but for the prober's maximum RTO (a preference, set from the
    // namespace's tcp_rto_max_ms as a user who knows it would).
    "persist_rto_max_cut",
];

pub fn bundled_kernel_dir() -> PathBuf {
    repo().join("tests/captures/kernel")
}
