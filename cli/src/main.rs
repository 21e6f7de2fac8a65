//! `tcpprobe`: zero-window probes, keep-alives and TCP stalls in pcap and pcapng files, without
//! Wireshark. See `tcpprobe --help`.
#![forbid(unsafe_code)]

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tcpprobe_cli::{
    analyze_path, field_name, plot, report, Config, FileAnalysis, Options, ReadError,
};

/// Files smaller than this get no progress bar.
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

#[derive(Parser, Debug)]
#[command(
    name = "tcpprobe",
    version,
    about = "Tells TCP zero-window (persist) probes from keep-alives in pcap/pcapng files, and explains the stalls",
    long_about = "Tells TCP zero-window (persist) probes from keep-alives in pcap and pcapng files, \
                  and explains each stall: who stalled whom, when, for how long, every probe and \
                  reply, the backoff, how it ended and what that is consistent with. The same \
                  classifier as the tcpprobe Wireshark plugin, without Wireshark.\n\n\
                  Default output: a report per connection. Several files are read in parallel, \
                  one per core; each in one streaming pass.",
    after_help = "Output of --frames: FRAME<TAB>CLASS<TAB>EPISODE<TAB>PROBE_NUMBER per frame with \
                  a verdict, as `tshark -2` shows the plugin's tcpprobe.verdict; CLASS is one of \
                  zero_window_probe, zero_window_probe_ack, keep_alive, keep_alive_ack.\n\
                  Exit status: 0 all files read; 1 a file could not be read to its end (the \
                  report covers what was read); 2 bad usage."
)]
struct Args {
    /// pcap or pcapng files
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// One line per frame that carries a verdict: FRAME<TAB>CLASS<TAB>EPISODE<TAB>PROBE_NUMBER
    #[arg(long, conflicts_with = "json")]
    frames: bool,

    /// The report as one JSON document (schema: cli/SCHEMA.md)
    #[arg(long)]
    json: bool,

    /// Draw each episode's timeline into FILE (.svg, or .html for an SVG in a page)
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,

    /// Files read at once (default: one per core)
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,

    /// No progress bar, even on a terminal
    #[arg(long, short = 'q')]
    quiet: bool,

    /// The probers' minimum RTO in ms, if known (Linux: tcp_rto_min_us, a route's rto_min)
    ///
    /// A persist timer never fires sooner. Where the capture shows the round trip (the handshake,
    /// or data and ACKs both ways), a first probe into a zero window far later than RTT + this
    /// reads as a keep-alive, sooner as a persist probe, until later probes settle it. At least 1,
    /// at most --rto-max-ms.
    #[arg(long, value_name = "MS", default_value_t = default_ms(Config::default().rto_min_ns),
          value_parser = clap::value_parser!(u32).range(1..))]
    rto_min_ms: u32,

    /// The probers' maximum RTO in ms, if known (Linux: tcp_rto_max_ms)
    ///
    /// A persist timer stops doubling there, so probes at a constant interval near it (5/6 of it
    /// or more) do not read as a keep-alive timer's; it also caps how long a persist prober may
    /// stay silent before it counts as stopped. At least 1.
    #[arg(long, value_name = "MS", default_value_t = default_ms(Config::default().rto_max_ns),
          value_parser = clap::value_parser!(u32).range(1..))]
    rto_max_ms: u32,
}

/// A default of the core's, in whole ms.
fn default_ms(ns: u64) -> u32 {
    u32::try_from(ns / 1_000_000).unwrap_or(u32::MAX)
}

impl Args {
    /// The classifier's settings: Linux's defaults but the RTO bounds.
    fn config(&self) -> Config {
        Config {
            rto_min_ns: u64::from(self.rto_min_ms) * 1_000_000,
            rto_max_ns: u64::from(self.rto_max_ms) * 1_000_000,
            ..Config::default()
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.rto_min_ms > args.rto_max_ms {
        Args::command()
            .error(
                ErrorKind::ArgumentConflict,
                format!(
                    "--rto-min-ms {} is above --rto-max-ms {}: the minimum RTO must not exceed \
                     the maximum",
                    args.rto_min_ms, args.rto_max_ms
                ),
            )
            .exit();
    }
    if let Some(p) = &args.plot {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "svg" | "html" | "htm") {
            eprintln!(
                "tcpprobe: --plot {}: the file name must end in .svg or .html",
                p.display()
            );
            return ExitCode::from(2);
        }
    }
    let options = Options {
        // One file with --frames streams its lines; several are collected per file.
        verdicts: args.frames && args.files.len() > 1,
        plot: args.plot.is_some(),
        config: args.config(),
    };
    let show_progress = !args.quiet && io::stderr().is_terminal();
    let multi = MultiProgress::new();

    let mut failed = false;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let results: Vec<(String, Result<FileAnalysis, ReadError>)> =
        if args.frames && args.files.len() == 1 {
            // The one case that streams its output: each final verdict as soon as it is final.
            let path = &args.files[0];
            let bar = progress_bar(&multi, path, show_progress);
            let r = tcpprobe_cli::analyze_path_with(
                path,
                options,
                |b| bar.set_position(b),
                |v| {
                    let _ = writeln!(
                        out,
                        "{}\t{}\t{}\t{}",
                        v.frame,
                        field_name(v.class),
                        v.episode.map_or(String::new(), |e| e.to_string()),
                        v.probe_number
                    );
                },
            );
            bar.finish_and_clear();
            vec![(path.display().to_string(), r)]
        } else {
            run_all(&args, options, &multi, show_progress)
        };

    for (name, r) in &results {
        match r {
            Err(e) => {
                eprintln!("tcpprobe: {name}: {e}; nothing read");
                failed = true;
            }
            Ok(a) => {
                if let Some(e) = &a.error {
                    eprintln!(
                        "tcpprobe: {name}: {e}; the output covers the {} frames read before it",
                        a.summary.frames
                    );
                    failed = true;
                }
                if a.no_known_link_type {
                    let lts: Vec<String> = a
                        .unknown_link_types
                        .iter()
                        .map(|(lt, off)| format!("{lt} (at byte offset {off})"))
                        .collect();
                    eprintln!(
                        "tcpprobe: {name}: link type {} is not one tcpprobe reads (Ethernet, \
                         802.1Q, Linux cooked v1/v2, raw IPv4/IPv6, BSD loopback); {} frames read, \
                         none analysed",
                        if lts.is_empty() {
                            "none".to_string()
                        } else {
                            lts.join(", ")
                        },
                        a.summary.frames
                    );
                    failed = true;
                } else {
                    for (lt, off) in &a.unknown_link_types {
                        eprintln!(
                            "tcpprobe: {name}: warning: interface described at byte offset {off} \
                             has link type {lt}, which tcpprobe does not read: its frames are skipped"
                        );
                    }
                }
            }
        }
    }

    let ok: Vec<(&str, &FileAnalysis)> = results
        .iter()
        .filter_map(|(n, r)| r.as_ref().ok().map(|a| (n.as_str(), a)))
        .collect();
    if args.frames {
        if args.files.len() > 1 {
            for (name, a) in &ok {
                let _ = writeln!(out, "# {name}");
                for v in &a.verdicts {
                    let _ = writeln!(
                        out,
                        "{}\t{}\t{}\t{}",
                        v.frame,
                        field_name(v.class),
                        v.episode.map_or(String::new(), |e| e.to_string()),
                        v.probe_number
                    );
                }
            }
        }
    } else if args.json {
        let doc = report::JsonDoc {
            schema: report::SCHEMA,
            files: ok.iter().map(|(n, a)| report::json_file(n, a)).collect(),
        };
        match serde_json::to_writer_pretty(&mut out, &doc) {
            Ok(()) => {
                let _ = writeln!(out);
            }
            Err(e) => {
                eprintln!("tcpprobe: cannot write the JSON document: {e}");
                failed = true;
            }
        }
    } else {
        for (i, (name, a)) in ok.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(out);
            }
            let _ = write!(out, "{}", report::text(name, a));
        }
    }
    if let Err(e) = out.flush() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("tcpprobe: cannot write the output: {e}");
            failed = true;
        }
    }

    if let Some(p) = &args.plot {
        let files: Vec<(&str, &tcpprobe_cli::Summary)> =
            ok.iter().map(|(n, a)| (*n, &a.summary)).collect();
        let episodes: usize = files.iter().map(|(_, s)| s.episodes.len()).sum();
        match plot::svg(&files) {
            Ok(svg) => {
                let is_html = p.extension().is_some_and(|e| e != "svg");
                let body = if is_html { plot::html(&svg) } else { svg };
                if let Err(e) = std::fs::write(p, body) {
                    eprintln!("tcpprobe: cannot write {}: {e}", p.display());
                    failed = true;
                } else if episodes > plot::MAX_PANELS {
                    eprintln!(
                        "tcpprobe: {}: the first {} of {episodes} episodes drawn",
                        p.display(),
                        plot::MAX_PANELS
                    );
                }
            }
            Err(e) => {
                eprintln!("tcpprobe: cannot draw {}: {e}", p.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn progress_bar(multi: &MultiProgress, path: &std::path::Path, show: bool) -> ProgressBar {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if !show || size < PROGRESS_MIN_BYTES {
        return ProgressBar::hidden();
    }
    let bar = multi.add(ProgressBar::new(size));
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(
        path.file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
    );
    bar
}

/// Every file, one per thread: the files are independent, and one pass over each is the work.
fn run_all(
    args: &Args,
    options: Options,
    multi: &MultiProgress,
    show_progress: bool,
) -> Vec<(String, Result<FileAnalysis, ReadError>)> {
    let n = args.files.len();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let threads = args.threads.unwrap_or(cores).clamp(1, n.max(1));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<FileAnalysis, ReadError>>>> =
        (0..n).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let path = &args.files[i];
                let bar = progress_bar(multi, path, show_progress);
                let r = analyze_path(path, options, |b| bar.set_position(b));
                bar.finish_and_clear();
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    args.files
        .iter()
        .zip(slots)
        .map(|(p, s)| {
            let r = s
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| {
                    Err(ReadError {
                        offset: 0,
                        what: "not analysed (its thread failed)".into(),
                    })
                });
            (p.display().to_string(), r)
        })
        .collect()
}
