//! tcpprobe's benchmarks (BENCHMARKS.md has the method and the figures).
//!
//!   tcpprobe-bench core [--segments N]  the core alone: segments per second on one core
//!   tcpprobe-bench tshark [--frames N] [--big-frames N] [--runs R] [--big-runs R] [--dir D]
//!                         [--instructions N]
//!                                       tshark with and without the plugin, side by side;
//!                                       --instructions N also counts instructions (callgrind) on
//!                                       an N-frame capture: exact where CPU time is noisy
//!   tcpprobe-bench analyzer [--frames N] [--big-frames N] [--runs R] [--dir D]
//!                                       the standalone analyzer (target/release/tcpprobe) against
//!                                       tshark -r alone, side by side: CPU ratio and GB/s on one core
//!   tcpprobe-bench all                  core and tshark (the default)
//!   tcpprobe-bench gen [--frames N] [--dir D]
//!                                       only write the capture (e.g. for a profiler)
//!
//! tshark runs as user nobody when this runs as root (Wireshark ignores personal plugin folders
//! for root); the plugin is the release build, target/release/libtcpprobe.so.

mod traffic;

use std::ffi::OsString;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use tcpprobe_core::Classifier;
use tcpprobe_wire::LinkType;

struct Options {
    what: String,
    frames: usize,
    big_frames: usize,
    runs: usize,
    dir: PathBuf,
    instructions: usize,
    segments: usize,
    big_runs: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: tcpprobe-bench [core|tshark|all|gen|analyzer] [--frames N] [--big-frames N] [--runs R] [--dir D]\n\
         \x20                     [--instructions N] [--segments N] [--big-runs N]\n\
         defaults: all, --frames 1000000, --big-frames 10000000 (0: skip), --runs 5,\n\
         --dir /var/tmp/tcpprobe-bench (captures are kept there and reused), --instructions 0 (skip),\n\
         --segments 2000000 (the core benchmark's), --big-runs 1 (pairs on the big capture)"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let mut o = Options {
        what: "all".into(),
        frames: 1_000_000,
        big_frames: 10_000_000,
        runs: 5,
        dir: PathBuf::from("/var/tmp/tcpprobe-bench"),
        instructions: 0,
        segments: 2_000_000,
        big_runs: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "core" | "tshark" | "all" | "gen" | "analyzer" => o.what = a,
            "--frames" => o.frames = value().parse().unwrap_or_else(|_| usage()),
            "--big-frames" => o.big_frames = value().parse().unwrap_or_else(|_| usage()),
            "--runs" => o.runs = value().parse().unwrap_or_else(|_| usage()),
            "--dir" => o.dir = PathBuf::from(value()),
            "--instructions" => o.instructions = value().parse().unwrap_or_else(|_| usage()),
            "--segments" => o.segments = value().parse().unwrap_or_else(|_| usage()),
            "--big-runs" => o.big_runs = value().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    o
}

fn main() {
    let o = options();
    println!("machine: {}", machine());
    if o.what == "gen" {
        readable_dir(&o.dir);
        capture(&o.dir, o.frames, 65535);
        return;
    }
    if o.what == "analyzer" {
        bench_analyzer(&o);
        return;
    }
    if o.what != "tshark" {
        bench_core(o.segments);
    }
    if o.what != "core" {
        bench_tshark(&o);
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

// ---- the core alone ----

fn bench_core(n: usize) {
    println!("\n== core: classify() on one core, a generated mix of {n} segments, in memory");
    let traffic = traffic::generate(1, n, (n as u64 / 1700).max(60));
    let segments = traffic.segments();
    let mut rates = Vec::new();
    for _ in 0..5 {
        let mut c = Classifier::default();
        let start = Instant::now();
        let mut verdicts = 0u64;
        for s in &segments {
            if c.classify(s).is_some() {
                verdicts += 1;
            }
            while c.poll_event().is_some() {}
        }
        let secs = start.elapsed().as_secs_f64();
        rates.push(segments.len() as f64 / secs);
        std::hint::black_box(verdicts);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "classify: {:.1} M segments/s (median of 5; best {:.1}, worst {:.1}); target >= 30",
        rates[2] / 1e6,
        rates[4] / 1e6,
        rates[0] / 1e6
    );

    // What the plugin does per frame: decode the frame's bytes, then classify.
    let n = 500_000.min(traffic.packets.len());
    let mut frames = Vec::with_capacity(n);
    let mut buf = Vec::new();
    for i in 0..n {
        traffic.frame(i, &mut buf);
        frames.push(buf[..buf.len().min(128)].to_vec());
    }
    let mut rates = Vec::new();
    for _ in 0..5 {
        let mut c = Classifier::default();
        let start = Instant::now();
        for (i, f) in frames.iter().enumerate() {
            if let Ok(facts) = tcpprobe_wire::decode(LinkType::Ethernet, f) {
                let seg = facts.segment(i as u64 + 1, tcpprobe_core::Timestamp(i as u64 * 1000));
                std::hint::black_box(c.classify(&seg));
                while c.poll_event().is_some() {}
            }
        }
        rates.push(n as f64 / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "decode + classify: {:.1} M frames/s (median of 5, Ethernet frames cut at 128 bytes)",
        rates[2] / 1e6
    );
}

// ---- tshark with and without the plugin ----

struct Usage {
    cpu_s: f64,
    max_rss_kb: i64,
    status: i32,
}

/// Runs a command and measures it with wait4(): CPU time (user + system) and peak memory.
fn measure(mut cmd: Command) -> Usage {
    // Reaped by wait4 below, which std's Child::wait cannot do (it drops the rusage).
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tshark");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet waited for; the pointers are to live locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Usage {
        cpu_s: secs(ru.ru_utime) + secs(ru.ru_stime),
        max_rss_kb: ru.ru_maxrss,
        status,
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn tshark(plugin_dir: &Path, args: &[&str]) -> Command {
    // Root ignores WIRESHARK_PLUGIN_DIR: run as nobody, like the tests. setpriv execs tshark in
    // the same process, so wait4 measures tshark.
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "tshark"]);
        c
    } else {
        Command::new("tshark")
    };
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", plugin_dir.join("home"))
        .env("WIRESHARK_PLUGIN_DIR", plugin_dir)
        .env("LC_ALL", "C.UTF-8");
    cmd
}

fn readable_dir(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path).expect("create dir");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Plugin folders for the two sides: the release build, and nothing.
fn plugin_dirs(base: &Path) -> (PathBuf, PathBuf) {
    let so = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/libtcpprobe.so");
    assert!(
        so.exists(),
        "{} is missing: run cargo build --release first",
        so.display()
    );
    let version = String::from_utf8(
        Command::new("pkg-config")
            .args(["--modversion", "wireshark"])
            .output()
            .expect("pkg-config")
            .stdout,
    )
    .unwrap();
    let major_minor: Vec<&str> = version.trim().split('.').take(2).collect();
    let (with, without) = (base.join("with"), base.join("without"));
    for d in [&with, &without] {
        let epan = d.join(major_minor.join(".")).join("epan");
        readable_dir(&epan);
        readable_dir(&d.join("home"));
        let mut p = epan.clone();
        while p != *d {
            readable_dir(&p);
            p.pop();
        }
        if d == &with {
            std::fs::copy(&so, epan.join("tcpprobe.so")).expect("copy plugin");
        }
    }
    (with, without)
}

/// The generated capture of `frames` frames cut at `snaplen` bytes in `dir`, written on first use
/// and reused after (its name says both).
fn capture(dir: &Path, frames: usize, snaplen: u32) -> PathBuf {
    let name = match snaplen {
        65535 => format!("mix-{frames}.pcap"),
        n => format!("mix-{frames}-s{n}.pcap"),
    };
    let path = dir.join(name);
    if path.exists() {
        println!("reusing {}", path.display());
        return path;
    }
    let start = Instant::now();
    let span = (frames as u64 / 1700).max(60);
    let t = traffic::generate(7, frames, span);
    println!(
        "writing {} ({} frames, {} connections, {} zero-window stalls, {} keep-alive connections, \
         snap length {snaplen}) ...",
        path.display(),
        t.packets.len(),
        t.streams.len(),
        t.stalls,
        t.keepalive_streams
    );
    let tmp = path.with_extension("part");
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).expect("create"));
    let tty = std::io::stderr().is_terminal();
    t.write_pcap(file, snaplen, |i| {
        if tty {
            eprint!("\r  {:>3}%", i * 100 / t.packets.len().max(1));
        }
    });
    if tty {
        eprintln!("\r  100%");
    }
    std::fs::rename(&tmp, &path).expect("rename");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    println!("  done in {:.0} s", start.elapsed().as_secs_f64());
    path
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn compare(with: &Path, without: &Path, pcap: &Path, runs: usize, modes: &[Mode]) {
    let p = pcap.to_str().unwrap();
    println!(
        "{:<40} {:>9} {:>9} {:>7} {:>11} {:>11}",
        "mode", "without", "with", "ratio", "peak MB w/o", "peak MB with"
    );
    for mode in modes {
        let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let (mut rss_a, mut rss_b) = (0, 0);
        for run in 0..runs {
            // Alternate which side goes first, so drift on a noisy machine hits both.
            let mut pair = [None, None];
            let order = if run % 2 == 0 { [0, 1] } else { [1, 0] };
            for side in order {
                let (dir, args) = if side == 0 {
                    (without, mode.without)
                } else {
                    (with, mode.with)
                };
                let mut all = vec!["-r", p];
                all.extend_from_slice(args);
                let u = measure(tshark(dir, &all));
                assert!(
                    u.status == 0 || u.status == 2 << 8,
                    "tshark {all:?} failed with status {}",
                    u.status
                );
                pair[side] = Some(u);
            }
            let (u0, u1) = (pair[0].take().unwrap(), pair[1].take().unwrap());
            a.push(u0.cpu_s);
            b.push(u1.cpu_s);
            ratios.push(u1.cpu_s / u0.cpu_s);
            rss_a = rss_a.max(u0.max_rss_kb);
            rss_b = rss_b.max(u1.max_rss_kb);
        }
        println!(
            "{:<40} {:>8.2}s {:>8.2}s {:>7.3} {:>11.0} {:>11.0}",
            mode.name,
            median(&mut a),
            median(&mut b),
            median(&mut ratios),
            rss_a as f64 / 1024.0,
            rss_b as f64 / 1024.0
        );
    }
}

struct Mode {
    name: &'static str,
    without: &'static [&'static str],
    with: &'static [&'static str],
}

impl Mode {
    /// The same arguments with and without the plugin.
    const fn same(name: &'static str, args: &'static [&'static str]) -> Mode {
        Mode {
            name,
            without: args,
            with: args,
        }
    }
}

const FIELDS: &[&str] = &[
    "-T",
    "fields",
    "-e",
    "frame.number",
    "-e",
    "tcp.stream",
    "-e",
    "tcp.len",
];

const MODES: [Mode; 5] = [
    Mode::same("packet list (tshark -r)", &[]),
    Mode::same("two passes (-2)", &["-2"]),
    Mode::same("full tree (-V)", &["-V"]),
    Mode::same("fields (-T fields -e tcp.stream..)", FIELDS),
    // Without the plugin its field does not exist: the user's filter would be Wireshark's own.
    Mode {
        name: "filter (-Y tcpprobe.zero_window_probe)",
        without: &["-Y", "tcp.analysis.keep_alive"],
        with: &["-Y", "tcpprobe.zero_window_probe"],
    },
];

/// Instructions tshark executes (valgrind's callgrind): the same count on every run of the same
/// binary and input, however busy the machine.
fn instructions(cmd: Command) -> u64 {
    // The same command with valgrind right before tshark (after setpriv, when there is one).
    let mut argv: Vec<OsString> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(OsString::from)
        .collect();
    let at = argv
        .iter()
        .position(|a| a == "tshark")
        .expect("tshark in the command");
    let valgrind = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
    ];
    argv.splice(at..at, valgrind.map(OsString::from));
    let mut vg = Command::new(&argv[0]);
    vg.args(&argv[1..])
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))));
    let out = vg
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run valgrind (apt-get install valgrind)");
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.split("Collected : ").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no instruction count from valgrind:\n{err}"))
}

fn count_instructions(with: &Path, without: &Path, pcap: &Path, modes: &[Mode]) {
    let p = pcap.to_str().unwrap();
    println!(
        "{:<40} {:>14} {:>14} {:>7}",
        "mode", "without", "with", "ratio"
    );
    for mode in modes {
        let run = |dir: &Path, args: &[&str]| {
            let mut all = vec!["-r", p];
            all.extend_from_slice(args);
            instructions(tshark(dir, &all))
        };
        let a = run(without, mode.without);
        let b = run(with, mode.with);
        println!(
            "{:<40} {:>14} {:>14} {:>7.4}",
            mode.name,
            a,
            b,
            b as f64 / a as f64
        );
    }
}

fn bench_tshark(o: &Options) {
    readable_dir(&o.dir);
    let (with, without) = plugin_dirs(&o.dir.join("plugins"));
    let _ = std::io::stdout().flush();
    if o.instructions > 0 {
        let pcap = capture(&o.dir, o.instructions, 65535);
        println!(
            "\n== tshark instructions (callgrind), {} frames, with and without the plugin",
            o.instructions
        );
        count_instructions(&with, &without, &pcap, &MODES);
    }
    let small = capture(&o.dir, o.frames, 65535);
    println!(
        "\n== tshark CPU time (user+system) and peak memory, {} frames, median of {} runs, \
         alternating",
        o.frames, o.runs
    );
    compare(&with, &without, &small, o.runs, &MODES);
    if o.big_frames > 0 {
        let big = capture(&o.dir, o.big_frames, 128);
        println!(
            "\n== {} frames (snap length 128), packet list and -2, median of {} runs",
            o.big_frames, o.big_runs
        );
        compare(&with, &without, &big, o.big_runs, &MODES[..2]);
    }
}

// ---- the standalone analyzer against tshark alone ----

/// The analyzer's command (the release build beside this benchmark's).
fn analyzer(args: &[&str]) -> Command {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/tcpprobe");
    assert!(
        bin.exists(),
        "{} is missing: run cargo build --release first",
        bin.display()
    );
    let mut c = Command::new(bin);
    c.args(args);
    c
}

/// `tcpprobe --frames` and `tcpprobe` (the report) against `tshark -r` without the plugin, in
/// alternating order; CPU time from wait4, bytes of capture per CPU second (one file: one thread).
fn analyzer_pairs(without: &Path, pcap: &Path, runs: usize) {
    let file = pcap.to_str().expect("UTF-8 path");
    let size = std::fs::metadata(pcap).expect("capture").len() as f64;
    // Warm the page cache (the target is "from the page cache") in small reads: a child's peak
    // RSS from wait4 includes what this process held when it forked.
    if let Ok(mut f) = std::fs::File::open(pcap) {
        let _ = std::io::copy(&mut f, &mut std::io::sink());
    }
    println!(
        "{} ({:.2} GB), {runs} runs each, alternating",
        pcap.display(),
        size / 1e9
    );
    for (name, args) in [
        ("tcpprobe --frames", vec!["--frames", file]),
        ("tcpprobe (report)", vec![file]),
    ] {
        let (mut ratios, mut rates, mut ours, mut theirs) = (vec![], vec![], vec![], vec![]);
        let mut rss = 0;
        for run in 0..runs {
            let mut pair = [None, None];
            for side in [run % 2, 1 - run % 2] {
                pair[side] = Some(if side == 0 {
                    measure(analyzer(&args))
                } else {
                    measure(tshark(without, &["-r", file]))
                });
            }
            let (a, t) = (pair[0].take().unwrap(), pair[1].take().unwrap());
            assert_eq!(a.status, 0, "{name} failed");
            rss = rss.max(a.max_rss_kb);
            ratios.push(t.cpu_s / a.cpu_s);
            rates.push(size / a.cpu_s / 1e9);
            ours.push(a.cpu_s);
            theirs.push(t.cpu_s);
        }
        println!(
            "{name}: {:.3} s CPU; tshark -r alone {:.2} s; tshark / tcpprobe = {:.1}x \
             (median of per-pair ratios; range {:.1}-{:.1}); {:.2} GB/s of capture per CPU \
             second; peak RSS {} MB",
            median(&mut ours),
            median(&mut theirs),
            median(&mut ratios.clone()),
            ratios.iter().cloned().fold(f64::INFINITY, f64::min),
            ratios.iter().cloned().fold(0.0, f64::max),
            median(&mut rates),
            rss / 1024
        );
    }
}

fn bench_analyzer(o: &Options) {
    readable_dir(&o.dir);
    let (_, without) = plugin_dirs(&o.dir.join("plugins"));
    println!("\n== the standalone analyzer against tshark -r alone (Wireshark without the plugin)");
    let small = capture(&o.dir, o.frames, 65535);
    analyzer_pairs(&without, &small, o.runs);
    if o.big_frames > 0 {
        let big = capture(&o.dir, o.big_frames, 128);
        analyzer_pairs(&without, &big, o.big_runs);
    }
}
