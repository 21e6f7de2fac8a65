//! Running the real tshark with the freshly built plugin: temporary folders, staging, and the
//! tshark runner.
//!
//! Wireshark ignores both the personal plugin folder and WIRESHARK_PLUGIN_DIR when it runs as
//! root, so as root tshark is started as `nobody` (setpriv). Everything tshark reads (plugin,
//! captures) is staged into a world-readable temporary folder for that reason, and HOME points
//! there so no personal plugin or preference of the machine's user can interfere.

use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// Preferences (`-o name:value`) every tshark run here gets, as a user sets them once.
    prefs: std::sync::Mutex<Vec<String>>,
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

    /// tshark with the plugin built at `so` (another build of it).
    pub fn with_plugin(so: &Path) -> Tshark {
        let t = Tshark::setup(false);
        let dest = t
            .dir
            .path()
            .join("plugins")
            .join(WIRESHARK_VERSION)
            .join("epan")
            .join("tcpprobe.so");
        fs::copy(so, &dest).expect("copy plugin");
        make_readable(&dest);
        t
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
            prefs: std::sync::Mutex::new(Vec::new()),
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

    /// Sets the preferences every later tshark run gets (`name:value`, for `-o`).
    pub fn set_prefs(&self, prefs: &[String]) {
        *self.prefs.lock().unwrap() = prefs.to_vec();
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
        let mut cmd = self.command("tshark");
        // -G must come first; it reads no preferences anyway.
        if args.first() != Some(&"-G") {
            for p in self.prefs.lock().unwrap().iter() {
                cmd.args(["-o", p]);
            }
        }
        let out: Output = cmd.args(args).output().expect("run tshark");
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

/// tshark's output; some shared captures are cut short on purpose, and tshark then fails (with
/// 2 on 4.0 and 4.4, 1 on 4.6) after printing every frame before the cut (shared_captures.rs
/// checks that it does so with the plugin exactly as without).
pub fn stdout(tshark: &Tshark, args: &[&str]) -> String {
    let out = tshark.run_raw(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("cut short in the middle of a packet"),
        "tshark {args:?}: {stderr}"
    );
    String::from_utf8(out.stdout).expect("tshark prints UTF-8")
}

/// `tshark -q -z expert`: no tree at all; tcpprobe's rows as (severity section, summary) -> count.
pub fn expert_stats(
    tshark: &Tshark,
    pcap: &Path,
    extra: &[&str],
) -> BTreeMap<(String, String), usize> {
    let mut args = vec!["-r", pcap.to_str().unwrap(), "-q", "-z", "expert"];
    args.extend_from_slice(extra);
    let text = stdout(tshark, &args);
    let mut section = String::new();
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        if let Some((name, _)) = line.split_once(" (") {
            if !line.starts_with(' ') && line.ends_with(')') {
                section = name.to_string();
                continue;
            }
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() >= 4 && cols[2] == "tcpprobe" {
            let count: usize = cols[0].parse().expect("frequency");
            // The summary is everything after the protocol column.
            let at = line.find(" tcpprobe  ").expect("protocol column") + " tcpprobe  ".len();
            *rows
                .entry((section.clone(), line[at..].to_string()))
                .or_default() += count;
        }
    }
    rows
}
