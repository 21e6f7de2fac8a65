//! Shared harness: runs the real tshark with the freshly built plugin.
//!
//! Wireshark ignores both the personal plugin folder and WIRESHARK_PLUGIN_DIR when it runs as
//! root, so as root tshark is started as `nobody` (setpriv). Everything tshark reads (plugin,
//! captures) is staged into a world-readable temporary folder for that reason, and HOME points
//! there so no personal plugin or preference of the machine's user can interfere.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub const WIRESHARK_VERSION: &str = env!("TCPPROBE_WIRESHARK_VERSION");

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A temporary folder readable by everyone, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tp-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).expect("chmod temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The plugin cargo built for this test run. Cargo rebuilds target/<profile>/deps/libtcpprobe.so
/// before running integration tests but copies it up to target/<profile>/ only on `cargo build`,
/// so take the one beside the test executable.
pub fn built_plugin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("target/<profile>/deps");
    let so = deps.join("libtcpprobe.so");
    assert!(
        so.exists(),
        "the plugin was not built: {} is missing",
        so.display()
    );
    so
}

pub fn make_readable(path: &Path) {
    let mode = if path.is_dir() { 0o777 } else { 0o644 };
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A tshark that loads exactly the plugin under test and nothing from the user's setup.
pub struct Tshark {
    pub dir: TempDir,
    /// Names of the FT_BOOLEAN fields this tshark knows (`tshark -G fields`), read once.
    booleans: OnceLock<HashSet<String>>,
}

impl Tshark {
    /// tshark with the plugin under test.
    pub fn new() -> Tshark {
        Tshark::setup(true)
    }

    /// tshark with an empty plugin folder: Wireshark's own behaviour, for comparison.
    pub fn without_plugin() -> Tshark {
        Tshark::setup(false)
    }

    fn setup(with_plugin: bool) -> Tshark {
        let dir = TempDir::new("tshark");
        let epan = dir
            .path()
            .join("plugins")
            .join(WIRESHARK_VERSION)
            .join("epan");
        fs::create_dir_all(&epan).expect("create plugin dir");
        let mut d = epan.clone();
        while d != dir.path() {
            make_readable(&d);
            d = d.parent().unwrap().to_path_buf();
        }
        if with_plugin {
            let so = epan.join("tcpprobe.so");
            fs::copy(built_plugin(), &so).expect("copy plugin");
            make_readable(&so);
        }
        fs::create_dir_all(dir.path().join("home")).expect("create home");
        make_readable(&dir.path().join("home"));
        Tshark {
            dir,
            booleans: OnceLock::new(),
        }
    }

    /// Copies a capture where the unprivileged tshark can read it.
    pub fn stage(&self, capture: &Path) -> PathBuf {
        let dest = self
            .dir
            .path()
            .join(capture.file_name().expect("capture file name"));
        fs::copy(capture, &dest)
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", capture.display()));
        make_readable(&dest);
        dest
    }

    pub fn command(&self, program: &str) -> Command {
        let home = self.dir.path().join("home");
        let mut cmd = if is_root() {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", program]);
            c
        } else {
            Command::new(program)
        };
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("WIRESHARK_PLUGIN_DIR", self.dir.path().join("plugins"))
            .env("LC_ALL", "C.UTF-8")
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs tshark; panics when it complains about a dissector or the plugin (whatever its exit
    /// status, which the caller judges).
    pub fn run_raw(&self, args: &[&str]) -> Output {
        let out: Output = self
            .command("tshark")
            .args(args)
            .output()
            .expect("run tshark");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for bad in [
            "tcpprobe:",
            "Dissector bug",
            "assertion",
            "CRITICAL",
            "WARNING",
        ] {
            assert!(
                !stderr.contains(bad),
                "tshark {args:?} printed {bad:?}:\n{stderr}"
            );
        }
        out
    }

    /// Runs tshark and returns its stdout; panics with stderr when it fails or complains.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.run_raw(args);
        assert!(
            out.status.success(),
            "tshark {args:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("tshark prints UTF-8")
    }

    /// `-T fields` output: one row per frame, one column per field. Booleans read `1`/`0` in
    /// every version: Wireshark prints them so up to 4.0 and as `True`/`False` from 4.2 on.
    pub fn fields(&self, capture: &Path, extra: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
        let mut args: Vec<&str> = vec!["-r", capture.to_str().unwrap(), "-T", "fields"];
        args.extend(["-E", "separator=\t", "-E", "occurrence=f"]);
        args.extend_from_slice(extra);
        for f in fields {
            args.extend(["-e", f]);
        }
        let booleans = self.booleans.get_or_init(|| {
            self.run(&["-G", "fields"])
                .lines()
                .map(|l| l.split('\t').collect::<Vec<_>>())
                .filter(|c| c.len() > 3 && c[0] == "F" && c[3] == "FT_BOOLEAN")
                .map(|c| c[2].to_string())
                .collect()
        });
        let is_boolean: Vec<bool> = fields.iter().map(|f| booleans.contains(*f)).collect();
        self.run(&args)
            .lines()
            .map(|l| {
                l.split('\t')
                    .zip(is_boolean.iter().chain(std::iter::repeat(&false)))
                    .map(|(v, &b)| match (b, v) {
                        (true, "True") => "1".to_string(),
                        (true, "False") => "0".to_string(),
                        _ => v.to_string(),
                    })
                    .collect()
            })
            .collect()
    }
}

/// One stream of a kernel-made capture, from the generator's JSON.
#[derive(Debug, Clone)]
pub struct KernelStream {
    pub client_port: u16,
    pub server_port: u16,
    pub role: String,
    /// Port of the side the scenario made probe, if any.
    pub prober_port: Option<u16>,
    pub expect: String,
    /// Probe-shaped frames (zero-length ACK at SND.UNA-1) the generator counted per side.
    pub probe_shaped: HashMap<String, u64>,
}

#[derive(Debug, Clone)]
pub struct KernelCapture {
    pub name: String,
    pub pcap: PathBuf,
    pub win_probes: u64,
    pub keep_alives: u64,
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
                let probe_shaped = s["capture"]["seq_minus_one_acks"]
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                            .collect()
                    })
                    .unwrap_or_default();
                KernelStream {
                    client_port,
                    server_port,
                    role: s["role"].as_str().unwrap_or_default().to_string(),
                    prober_port,
                    expect: s["expect"].as_str().unwrap_or_default().to_string(),
                    probe_shaped,
                }
            })
            .collect();
        KernelCapture {
            name: name.to_string(),
            pcap: dir.join(format!("{name}.pcap")),
            win_probes: count("TcpExtTCPWinProbe"),
            keep_alives: count("TcpExtTCPKeepAlive"),
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

/// Scenarios whose single-pass verdicts are final (keepalive_midstream's first one is
/// tentative: it has its own test).
pub const KERNEL_SCENARIOS: [&str; 11] = [
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
];

pub fn bundled_kernel_dir() -> PathBuf {
    repo().join("tests/captures/kernel")
}

/// Verdict numbers of the `tcpprobe.verdict` field.
pub const ZERO_WINDOW_PROBE: &str = "1";
pub const ZERO_WINDOW_PROBE_ACK: &str = "2";
pub const KEEP_ALIVE: &str = "3";
pub const KEEP_ALIVE_ACK: &str = "4";

const FIELDS: [&str; 11] = [
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
];

/// Checks one kernel-made capture end to end against the kernel's counters and the scenario's
/// construction, in every way a user looks at it.
pub fn check_kernel_capture(tshark: &Tshark, cap: &KernelCapture) {
    let pcap = tshark.stage(&cap.pcap);
    let name = &cap.name;

    // ---- per frame, single pass and two passes, without any tree option ----
    // The kernel's counts are whole-capture truth: they are compared with the two-pass view. A
    // single pass may differ from it only on frames it marks tentative.
    let one_pass = tshark.fields(&pcap, &[], &FIELDS);
    let single = tshark.fields(&pcap, &["-2"], &FIELDS);
    assert_eq!(one_pass.len(), single.len(), "{name}: frame count");
    let mut tentative_frames = 0;
    for (one, two) in one_pass.iter().zip(&single) {
        if one[10] == "1" {
            tentative_frames += 1;
        } else {
            assert_eq!(
                one[..10],
                two[..10],
                "{name}: single-pass and -2 differ, not tentative"
            );
        }
    }
    let passes: &[&[&str]] = if tentative_frames == 0 {
        &[&[], &["-2"]]
    } else {
        &[&["-2"]]
    };
    assert!(!single.is_empty(), "{name}: no frames");
    // The Info column as displayed (packet list, tshark's summary lines) in the two-pass view the
    // rows come from, and Wireshark's own; a single pass shows the same but on tentative frames.
    let shown = displayed_info(tshark, &pcap, &["-2"]);
    let shown_one_pass = displayed_info(tshark, &pcap, &[]);
    for row in one_pass.iter().filter(|r| r[10] != "1") {
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
    let mut zwp = 0;
    let mut ka = 0;
    let mut per_stream: HashMap<(u16, u16), u64> = HashMap::new();
    let mut wireshark_keep_alive_in_persist = 0;
    for row in &single {
        let [frame, src, dst, len, verdict, answers, closed_in, ws_keep_alive, corrected, info, _] =
            &row[..]
        else {
            panic!("{name}: short row {row:?}");
        };
        let (src, dst): (u16, u16) = (src.parse().unwrap(), dst.parse().unwrap());
        let stream = cap.stream_of(src, dst);
        let from_prober = stream.prober_port == Some(src);
        let at = format!("{name} frame {frame} ({src}->{dst}, role {})", stream.role);
        if stream.expect == "persist" && !ws_keep_alive.is_empty() {
            wireshark_keep_alive_in_persist += 1;
            assert!(
                !corrected.is_empty(),
                "{at}: Wireshark's Keep-Alive left uncorrected"
            );
        }
        check_info_label(&at, verdict, &shown[frame.as_str()]);
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
                *per_stream
                    .entry((stream.client_port, stream.server_port))
                    .or_default() += 1;
                assert_eq!(
                    stream.expect, "persist",
                    "{at}: zero-window probe in a non-persist stream"
                );
                assert!(from_prober, "{at}: probe from the side that does not probe");
                assert_eq!(len, "0", "{at}: Linux probes carry no payload");
                assert!(!closed_in.is_empty(), "{at}: no window_closed_in evidence");
            }
            KEEP_ALIVE => {
                ka += 1;
                *per_stream
                    .entry((stream.client_port, stream.server_port))
                    .or_default() += 1;
                assert!(
                    stream.role.starts_with("keepalive"),
                    "{at}: keep-alive in a non-keep-alive stream"
                );
                assert!(
                    from_prober,
                    "{at}: keep-alive from the side that does not send them"
                );
                assert_eq!(len, "0", "{at}: Linux keep-alives carry no payload");
            }
            ZERO_WINDOW_PROBE_ACK | KEEP_ALIVE_ACK => {
                assert!(!from_prober, "{at}: reply from the probing side");
                let want = if verdict == ZERO_WINDOW_PROBE_ACK {
                    ZERO_WINDOW_PROBE
                } else {
                    KEEP_ALIVE
                };
                assert_eq!(
                    verdict_of.get(answers.as_str()).copied(),
                    Some(want),
                    "{at}: answers frame {answers:?}, which is not a matching probe"
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
        let expected = match s.prober_port {
            Some(p) if p == s.client_port => s.probe_shaped.get("client").copied().unwrap_or(0),
            Some(_) => s.probe_shaped.get("server").copied().unwrap_or(0),
            None => 0,
        };
        let got = per_stream
            .get(&(s.client_port, s.server_port))
            .copied()
            .unwrap_or(0);
        assert_eq!(
            got, expected,
            "{name}: probes in stream {}-{} ({})",
            s.client_port, s.server_port, s.role
        );
    }
    if cap.streams.iter().any(|s| s.expect == "persist") {
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

/// Whether the Wireshark built against is at least major.minor.
pub fn wireshark_at_least(major: u32, minor: u32) -> bool {
    let mut v = WIRESHARK_VERSION
        .split('.')
        .map(|p| p.parse::<u32>().unwrap());
    let (got_major, got_minor) = (v.next().unwrap(), v.next().unwrap());
    (got_major, got_minor) >= (major, minor)
}

/// Frame number -> the Info column as Wireshark displays it: tshark's summary line (`-T tabs`),
/// filled in after every dissector, postdissectors included, ran; the GUI's packet list too.
pub fn displayed_info(tshark: &Tshark, pcap: &Path, extra: &[&str]) -> HashMap<String, String> {
    let mut args = vec!["-r", pcap.to_str().unwrap(), "-T", "tabs"];
    args.extend(["-o", r#"gui.column.format:"No.","%m","Info","%i""#]);
    args.extend_from_slice(extra);
    tshark
        .run(&args)
        .lines()
        .map(|l| {
            let (frame, info) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("summary {l:?}"));
            (frame.trim().to_string(), info.to_string())
        })
        .collect()
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

/// The Info column carries tcpprobe's label, never Wireshark's wrong one.
fn check_info_label(at: &str, verdict: &str, text: &str) {
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

// ---- episodes: per-probe fields and summaries against the generator's reading of the pcap ----

const EPISODE_FIELDS: [&str; 19] = [
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
    let json_path = dir.join(format!("{name}.json"));
    let j: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&json_path).expect("scenario JSON"))
            .expect("valid JSON");
    let pcap = tshark.stage(&dir.join(format!("{name}.pcap")));
    // Tell tcpprobe the probed kernel's reply rate limit, as a user would (Preferences).
    let ratelimit = format!(
        "tcpprobe.invalid_ratelimit:{}",
        j["sysctls"]["net.ipv4.tcp_invalid_ratelimit"]
            .as_str()
            .unwrap_or("500")
    );
    let rows = episode_rows(tshark, &pcap, &["-2", "-o", &ratelimit]);
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
    for s in j["streams"].as_array().expect("streams") {
        let probe_class = match s["expect"].as_str() {
            Some("persist") => ZERO_WINDOW_PROBE,
            Some("keepalive") => KEEP_ALIVE,
            _ => continue,
        };
        let episodes = s["capture"]["episodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no capture.episodes (regenerate the captures)"));
        for e in episodes {
            let probes = e["probes"].as_array().expect("probes");
            let first = row(probes[0]["frame"].as_u64().unwrap());
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
                let frame = p["frame"].as_u64().unwrap();
                let at = format!("{name} frame {frame}");
                let r = row(frame);
                assert_eq!(r.get("tcpprobe.verdict"), probe_class, "{at}: verdict");
                assert_eq!(r.get("tcpprobe.episode"), id, "{at}: episode");
                assert_eq!(
                    r.get("tcpprobe.probe_number"),
                    (i + 1).to_string(),
                    "{at}: number"
                );
                if i > 0 {
                    let gap = p["time"].as_f64().unwrap() - probes[i - 1]["time"].as_f64().unwrap();
                    max_gap = max_gap.max(gap);
                    close(seconds(r.get("tcpprobe.since_previous_probe")), gap, &at);
                } else {
                    assert_eq!(
                        r.get("tcpprobe.since_previous_probe"),
                        "",
                        "{at}: first probe"
                    );
                }
                if let Some(c) = e["closed_frame"].as_u64() {
                    assert_eq!(
                        r.get("tcpprobe.window_closed_in"),
                        c.to_string(),
                        "{at}: closed in"
                    );
                }
                if let Some(o) = e["reopened_frame"].as_u64() {
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
                match p["answered_frame"].as_u64() {
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

            let end = e["end"].as_str().expect("end");
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
                e["kind"] == "keepalive" && r.get("tcpprobe.summary.kind") == "1";
            if keepalives_in_zero_window {
                assert_eq!(r.get("tcpprobe.summary.end"), end_code("reopened"), "{at}");
            } else {
                assert_eq!(
                    r.get("tcpprobe.summary.end"),
                    end_code(end),
                    "{at}: end {end}"
                );
                // Ended: on the frame that ended it; still open: on its last probe or reply.
                let expected = e["end_frame"].as_u64().unwrap_or(last_frame);
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
        let skipped = j["kernel_extra"]["TcpExtTCPACKSkippedSeq"]
            .as_u64()
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
