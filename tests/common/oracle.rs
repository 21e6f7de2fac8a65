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
    /// Port of the side the scenario made probe, if any.
    pub prober_port: Option<u16>,
    pub expect: String,
    /// Probe-shaped frames (zero-length ACK at SND.UNA-1, or with URG at SND.UNA) the generator
    /// counted per side.
    pub probe_shaped: HashMap<String, u64>,
    /// The episodes the generator's model read from the pcap (`capture.episodes`); None in a
    /// JSON older than the model.
    pub episodes: Option<Vec<TruthEpisode>>,
}

/// One episode of the generator's model (tests/gen/oracle.py says what opens and ends one).
#[derive(Debug, Clone)]
pub struct TruthEpisode {
    /// "zero_window" or "keepalive".
    pub kind: String,
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
    fn from_json(e: &serde_json::Value) -> TruthEpisode {
        let frame = |v: &serde_json::Value| v.as_u64();
        TruthEpisode {
            kind: e["kind"].as_str().unwrap_or_default().to_string(),
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
    pub streams: Vec<KernelStream>,
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
                let prober_port = match s["prober"].as_str() {
                    Some("client") => Some(client_port),
                    Some("server") => Some(server_port),
                    _ => None,
                };
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
                    prober_port,
                    expect: s["expect"].as_str().unwrap_or_default().to_string(),
                    probe_shaped,
                    episodes: s["capture"]["episodes"]
                        .as_array()
                        .map(|es| es.iter().map(TruthEpisode::from_json).collect()),
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
            streams,
        }
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

/// Every bundled kernel scenario.
pub const KERNEL_SCENARIOS: [&str; 15] = [
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
    "keepalive_midstream",
];

pub fn bundled_kernel_dir() -> PathBuf {
    repo().join("tests/captures/kernel")
}
