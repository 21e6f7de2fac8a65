//! tcpprobe-cli: the standalone analyzer, tcpprobe's second consumer of the shared core.
//!
//! [`read`] streams pcap and pcapng files into frames; [`analyze`] turns frames into segments
//! (tcpprobe-wire, the same decoder the Wireshark plugin uses) and segments into verdicts and
//! episodes (tcpprobe-core); [`report`] writes the per-connection report and the JSON document;
//! [`plot`] draws each episode's timeline. The `tcpprobe` binary (`src/main.rs`) puts them together.
#![forbid(unsafe_code)]

pub mod analyze;
pub mod plot;
pub mod read;
pub mod report;

use std::fs::File;
use std::path::Path;

pub use analyze::{field_name, Analyzer, EpisodeRecord, FrameVerdict, Summary};
pub use read::{FrameReader, ReadError};
/// The classifier's settings, as [`Options::config`] takes them.
pub use tcpprobe_core::Config;

/// Everything one file gave.
#[derive(Debug)]
pub struct FileAnalysis {
    /// The whole-capture verdicts, in frame order (empty unless asked for).
    pub verdicts: Vec<FrameVerdict>,
    pub summary: Summary,
    /// Where and why reading stopped early; what was read before is still analysed.
    pub error: Option<ReadError>,
    /// pcapng interfaces (or the pcap file) whose link type is not read: (link type, offset).
    pub unknown_link_types: Vec<(u32, u64)>,
    /// Whether the file has no link type the analyzer reads (an error for the command).
    pub no_known_link_type: bool,
    /// Bytes of the file read.
    pub bytes: u64,
}

/// What to collect, and what to expect of the probers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep every verdict (for `--frames`).
    pub verdicts: bool,
    /// Keep the probed side's window for each episode (for `--plot`).
    pub plot: bool,
    /// The classifier's settings (`--rto-min-ms`, `--rto-max-ms`; the rest Linux's defaults).
    pub config: Config,
}

/// Analyses one file; `progress` is called with the bytes read so far, now and then.
/// With `options.verdicts`, the result holds every verdict in frame order.
pub fn analyze_path(
    path: &Path,
    options: Options,
    progress: impl FnMut(u64),
) -> Result<FileAnalysis, ReadError> {
    let mut verdicts = Vec::new();
    let keep = options.verdicts;
    let mut a = analyze_path_with(path, options, progress, |v| {
        if keep {
            verdicts.push(*v)
        }
    })?;
    a.verdicts = verdicts;
    Ok(a)
}

/// Analyses one file, handing each verdict to `verdict` as soon as it is final (frame order):
/// memory does not grow with the file. The result's `verdicts` is empty.
pub fn analyze_path_with(
    path: &Path,
    options: Options,
    mut progress: impl FnMut(u64),
    mut verdict: impl FnMut(&FrameVerdict),
) -> Result<FileAnalysis, ReadError> {
    let file = File::open(path).map_err(|e| ReadError {
        offset: 0,
        what: format!("cannot open: {e}"),
    })?;
    let mut reader = FrameReader::new(file)?;
    let mut analyzer = Analyzer::new(options.config, options.plot);
    let result = reader.for_each(|frame| {
        analyzer.frame(&frame);
        analyzer.take_final().for_each(|v| verdict(&v));
        if frame.number % 65536 == 0 {
            progress(frame.end_offset);
        }
    });
    let summary = analyzer.finish();
    analyzer.take_final().for_each(|v| verdict(&v));
    progress(reader.offset());
    Ok(FileAnalysis {
        verdicts: Vec::new(),
        summary,
        error: result.err(),
        unknown_link_types: reader.interfaces.unknown.clone(),
        no_known_link_type: !reader.interfaces.any_known,
        bytes: reader.offset(),
    })
}
