//! One capture, one pass: frames to segments (tcpprobe-wire, as the plugin reads them), segments
//! to verdicts and episodes (tcpprobe-core), and the whole-capture view of them (what `tshark -2`
//! shows): a tentative verdict is held back until the series' timing settles it
//! ([`Event::Settled`]), its episode ends, or the capture does.
//!
//! Memory: the classifier's state per open connection; verdicts held back behind a tentative one
//! (verdicts only, never frames); the episodes themselves (for the report); and, for the plot
//! only, a few window samples per open connection and those of each open episode.

use std::collections::{HashMap, VecDeque};

use tcpprobe_core::{
    Class, Classifier, Config, EndCause, Endpoint, Episode, EpisodeKind, Event, Timestamp,
    Unanswered,
};
use tcpprobe_wire::{decode, Skip, TcpFacts};

use crate::read::Frame;

/// Probes kept per episode for the report and plot; past this, the episode's counts still grow.
pub const MAX_PROBES_KEPT: usize = 10_000;
/// Window samples kept per episode for the plot.
pub const MAX_SAMPLES_KEPT: usize = 20_000;
/// Window samples kept per connection and direction before an episode starts.
const RECENT_SAMPLES: usize = 8;
/// Samples recorded after an episode ended (to show the reopened window).
const SAMPLES_AFTER_END: u8 = 3;

/// A verdict in the whole-capture view: the settled class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameVerdict {
    pub frame: u64,
    pub class: Class,
    pub episode: Option<u64>,
    pub probe_number: u32,
    /// The tentative class the series' timing overturned, if it did.
    pub revised_from: Option<Class>,
}

/// The plugin's field name of a class (`tcpprobe.<name>`).
pub fn field_name(class: Class) -> &'static str {
    match class {
        Class::ZeroWindowProbe => "zero_window_probe",
        Class::ZeroWindowProbeAck => "zero_window_probe_ack",
        Class::KeepAlive => "keep_alive",
        Class::KeepAliveAck => "keep_alive_ack",
    }
}

/// One probe of an episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub frame: u64,
    pub time: Timestamp,
    pub class: Class,
    pub number: u32,
    pub since_previous_ns: Option<u64>,
    pub interval_ratio_milli: Option<u32>,
    pub answered_in: Option<u64>,
    pub answered_at: Option<Timestamp>,
    pub unanswered: Option<Unanswered>,
}

/// The probed side's advertised window at one segment (plot only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSample {
    pub frame: u64,
    pub time: Timestamp,
    /// Bytes, scaled when both SYNs were seen with the window scale option.
    pub window: u64,
    /// The segment's flags.
    pub flags: u16,
}

/// A RST or FIN on the episode's connection while it was open (plot only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub frame: u64,
    pub time: Timestamp,
    pub from_prober: bool,
    pub rst: bool,
}

/// An episode with everything the report and plot need.
#[derive(Debug, Clone)]
pub struct EpisodeRecord {
    /// The newest snapshot.
    pub episode: Episode,
    pub prober: Endpoint,
    pub probed: Endpoint,
    pub probes: Vec<Probe>,
    /// Probes beyond [`MAX_PROBES_KEPT`], counted only.
    pub probes_not_kept: u64,
    /// The probed side's window, when plotting.
    pub window: Vec<WindowSample>,
    pub marks: Vec<Mark>,
    conn: u64,
    samples_after_end: u8,
}

/// Counts of frames that gave no segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    pub unknown_link_type: u64,
    pub not_ip: u64,
    pub not_tcp: u64,
    pub fragment: u64,
    /// The snap length cut the TCP header.
    pub truncated: u64,
    pub malformed: u64,
}

/// What a capture holds, once read.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub frames: u64,
    pub tcp_segments: u64,
    pub skipped: Skipped,
    pub first_time: Option<Timestamp>,
    /// The latest timestamp (where an episode still open "ended").
    pub capture_end: Timestamp,
    /// Episodes in order of their first probe.
    pub episodes: Vec<EpisodeRecord>,
    /// Connections forgotten to stay within the connection limit.
    pub evicted_connections: u64,
}

#[derive(Debug)]
struct Held {
    v: FrameVerdict,
    /// Still tentative: may be revised.
    open: bool,
}

/// Per-connection state kept only for the plot.
#[derive(Debug, Default)]
struct ConnTrack {
    first_src: Endpoint,
    wscale: [Option<u8>; 2],
    syn_seen: [bool; 2],
    fin: [bool; 2],
    recent: [VecDeque<WindowSample>; 2],
    /// The last sample with a zero window, per direction (where the window closed).
    zero_at: [Option<WindowSample>; 2],
    /// Episodes still collecting samples.
    episodes: Vec<u64>,
}

/// The analyzer of one capture. Feed it frames in order with [`Analyzer::frame`]; take final
/// verdicts with [`Analyzer::take_final`]; end with [`Analyzer::finish`].
pub struct Analyzer {
    classifier: Classifier,
    plot: bool,
    summary: Summary,
    /// Episode id -> index in `summary.episodes`.
    index: HashMap<u64, usize>,
    /// Verdicts in frame order, from the oldest that may still be revised.
    held: VecDeque<Held>,
    /// Sequence number of `held[0]` among all verdicts.
    held_base: u64,
    /// Frame -> sequence number, for held verdicts still open.
    open_frames: HashMap<u64, u64>,
    /// Episode -> frames held open in it.
    open_by_episode: HashMap<u64, Vec<u64>>,
    /// (connection, prober) -> its current episode.
    current: HashMap<(u64, Endpoint), u64>,
    verdicts_seen: u64,
    ready: Vec<FrameVerdict>,
    conns: HashMap<u64, ConnTrack>,
}

impl Analyzer {
    /// `plot`: also record the probed side's window for each episode.
    pub fn new(config: Config, plot: bool) -> Analyzer {
        Analyzer {
            classifier: Classifier::new(config),
            plot,
            summary: Summary::default(),
            index: HashMap::new(),
            held: VecDeque::new(),
            held_base: 0,
            open_frames: HashMap::new(),
            open_by_episode: HashMap::new(),
            current: HashMap::new(),
            verdicts_seen: 0,
            ready: Vec::new(),
            conns: HashMap::new(),
        }
    }

    /// Connections the classifier follows now.
    pub fn tracked_connections(&self) -> usize {
        self.classifier.tracked_connections()
    }

    /// One frame, in file order.
    pub fn frame(&mut self, frame: &Frame<'_>) {
        let s = &mut self.summary;
        s.frames += 1;
        let time = Timestamp(frame.time_ns);
        if s.first_time.is_none() {
            s.first_time = Some(time);
        }
        s.capture_end = s.capture_end.max(time);
        let Some(link) = frame.link else {
            s.skipped.unknown_link_type += 1;
            return;
        };
        if frame.data.is_empty() {
            s.skipped.truncated += 1;
            return;
        }
        let facts = match decode(link, frame.data) {
            Ok(f) => f,
            Err(skip) => {
                let k = &mut s.skipped;
                *match skip {
                    Skip::NotIp => &mut k.not_ip,
                    Skip::NotTcp => &mut k.not_tcp,
                    Skip::Fragment => &mut k.fragment,
                    Skip::Truncated => &mut k.truncated,
                    Skip::Malformed => &mut k.malformed,
                } += 1;
                return;
            }
        };
        s.tcp_segments += 1;
        let seg = facts.segment(frame.number, time);
        let verdict = self.classifier.classify(&seg);
        // No allocation without events, the common case.
        let events: Vec<Event> = std::iter::from_fn(|| self.classifier.poll_event()).collect();
        // A probe this segment recognised (its reply) comes first: the reply's verdict answers it.
        for e in &events {
            if let Event::Recognised {
                packet,
                at,
                verdict,
                ..
            } = *e
            {
                let probe_facts = TcpFacts {
                    src: facts.dst,
                    dst: facts.src,
                    ..facts
                };
                self.on_verdict(&probe_facts, &probe_facts.segment(packet, at), &verdict);
            }
        }
        if let Some(v) = verdict {
            self.on_verdict(&facts, &seg, &v);
        }
        for e in events {
            self.on_event(e);
        }
        if self.plot {
            self.track(&facts, frame.number, time, verdict.is_some());
        }
        self.release();
    }

    fn on_verdict(
        &mut self,
        facts: &TcpFacts,
        seg: &tcpprobe_core::Segment,
        v: &tcpprobe_core::Verdict,
    ) {
        let fv = FrameVerdict {
            frame: seg.packet,
            class: v.class,
            episode: v.episode,
            probe_number: v.probe_number,
            revised_from: None,
        };
        let seq = self.verdicts_seen;
        self.verdicts_seen += 1;
        // Only a verdict with an episode can be settled later (the plugin applies Settled to
        // those alone).
        let open = v.tentative && v.episode.is_some();
        if open {
            self.open_frames.insert(seg.packet, seq);
            if let Some(ep) = v.episode {
                self.open_by_episode.entry(ep).or_default().push(seg.packet);
            }
        }
        if self.held.is_empty() && !open {
            self.held_base = seq + 1;
            self.ready.push(fv);
        } else {
            if self.held.is_empty() {
                self.held_base = seq;
            }
            self.held.push_back(Held { v: fv, open });
        }

        let Some(id) = v.episode else {
            return;
        };
        match v.answers {
            None => {
                // A probe: the first one makes its episode's record.
                if !self.index.contains_key(&id) {
                    if let Some(prev) = self.current.insert((seg.conn, seg.src), id) {
                        // A new episode of the same prober: the old one can no longer settle.
                        self.close_episode(prev);
                    }
                    self.index.insert(id, self.summary.episodes.len());
                    self.summary.episodes.push(EpisodeRecord {
                        // A placeholder until the classifier's first snapshot arrives (in this call).
                        episode: Episode::begin(id, EpisodeKind::ZeroWindow, seg.packet, seg.time),
                        prober: facts.src,
                        probed: facts.dst,
                        probes: Vec::new(),
                        probes_not_kept: 0,
                        window: Vec::new(),
                        marks: Vec::new(),
                        conn: seg.conn,
                        samples_after_end: 0,
                    });
                    if self.plot {
                        self.start_samples(id, seg.conn, facts);
                    }
                }
                let rec = &mut self.summary.episodes[self.index[&id]];
                if rec.probes.len() < MAX_PROBES_KEPT {
                    rec.probes.push(Probe {
                        frame: seg.packet,
                        time: seg.time,
                        class: v.class,
                        number: v.probe_number,
                        since_previous_ns: v.since_previous_probe_ns,
                        interval_ratio_milli: v.interval_ratio_milli,
                        answered_in: None,
                        answered_at: None,
                        unanswered: None,
                    });
                } else {
                    rec.probes_not_kept += 1;
                }
            }
            Some(probe) => {
                if let Some(p) = self.probe_mut(id, probe) {
                    p.answered_in = Some(seg.packet);
                    p.answered_at = Some(seg.time);
                    p.unanswered = None;
                }
            }
        }
    }

    fn probe_mut(&mut self, episode: u64, frame: u64) -> Option<&mut Probe> {
        let i = *self.index.get(&episode)?;
        self.summary.episodes[i]
            .probes
            .iter_mut()
            .rev()
            .find(|p| p.frame == frame)
    }

    fn on_event(&mut self, e: Event) {
        match e {
            Event::Episode(ep) => {
                if let Some(&i) = self.index.get(&ep.id) {
                    self.summary.episodes[i].episode = ep;
                }
                if ep.end.is_some() {
                    self.close_episode(ep.id);
                }
            }
            Event::Settled {
                packet,
                class,
                reason: _,
            } => {
                if let Some(seq) = self.open_frames.remove(&packet) {
                    let h = &mut self.held[(seq - self.held_base) as usize];
                    if h.v.class != class && h.v.revised_from.is_none() {
                        h.v.revised_from = Some(h.v.class);
                    }
                    h.v.class = class;
                    h.open = false;
                    let (ep, is_probe) = (h.v.episode, !is_reply(h.v.class));
                    if let (Some(ep), true) = (ep, is_probe) {
                        if let Some(p) = self.probe_mut(ep, packet) {
                            p.class = class;
                        }
                    }
                }
            }
            // Taken before the segment's own verdict, in `frame`.
            Event::Recognised { .. } => {}
            Event::Evicted { total, .. } => self.summary.evicted_connections = total,
            Event::Unanswered { packet, likely } => {
                // Which episode: the probe is among the newest of some episode; search the
                // open ones from the newest.
                for rec in self.summary.episodes.iter_mut().rev().take(64) {
                    if let Some(p) = rec.probes.iter_mut().rev().find(|p| p.frame == packet) {
                        p.unanswered = Some(likely);
                        break;
                    }
                }
            }
        }
    }

    /// The episode can no longer settle anything: its held verdicts are final.
    fn close_episode(&mut self, id: u64) {
        for packet in self.open_by_episode.remove(&id).unwrap_or_default() {
            if let Some(seq) = self.open_frames.remove(&packet) {
                self.held[(seq - self.held_base) as usize].open = false;
            }
        }
    }

    fn release(&mut self) {
        while self.held.front().is_some_and(|h| !h.open) {
            let h = self.held.pop_front().expect("front checked");
            self.held_base += 1;
            self.ready.push(h.v);
        }
    }

    /// Verdicts that are final now, in frame order, but for a probe recognised only by its reply
    /// (a capture that began mid-stream): it comes just before its reply's verdict.
    pub fn take_final(&mut self) -> std::vec::Drain<'_, FrameVerdict> {
        self.ready.drain(..)
    }

    /// The end of the capture: every verdict is final (take them with
    /// [`take_final`](Self::take_final) before this), and the summary.
    pub fn finish(&mut self) -> Summary {
        for h in self.held.drain(..) {
            self.ready.push(h.v);
        }
        self.open_frames.clear();
        self.open_by_episode.clear();
        std::mem::take(&mut self.summary)
    }

    // ---- window samples, for the plot ----

    fn start_samples(&mut self, id: u64, conn: u64, facts: &TcpFacts) {
        let Some(t) = self.conns.get_mut(&conn) else {
            return;
        };
        // The probed side sends in the direction opposite to this probe.
        let probed_dir = usize::from(facts.dst != t.first_src);
        let mut samples: Vec<WindowSample> = Vec::new();
        if let Some(z) = t.zero_at[probed_dir] {
            samples.push(z);
        }
        for s in &t.recent[probed_dir] {
            if samples.last().is_none_or(|l| l.frame < s.frame) {
                samples.push(*s);
            }
        }
        t.episodes.push(id);
        let rec = &mut self.summary.episodes[self.index[&id]];
        rec.window = samples;
    }

    fn track(&mut self, facts: &TcpFacts, frame: u64, time: Timestamp, _has_verdict: bool) {
        let conn = facts.conn();
        let t = self.conns.entry(conn).or_insert_with(|| ConnTrack {
            first_src: facts.src,
            ..ConnTrack::default()
        });
        let dir = usize::from(facts.src != t.first_src);
        let syn = facts.flags & 0x002 != 0;
        if syn {
            t.syn_seen[dir] = true;
            t.wscale[dir] = facts.window_scale;
        }
        let shift = match (t.wscale, syn) {
            (_, true) => 0,
            ([Some(a), Some(b)], false) => [a, b][dir].min(14),
            _ => 0,
        };
        // A window the capture cut is no sample: the plot draws only what was seen.
        let sample = facts.window.map(|window| WindowSample {
            frame,
            time,
            window: u64::from(window) << shift,
            flags: facts.flags,
        });
        if let Some(sample) = sample {
            let window = sample.window;
            let recent = &mut t.recent[dir];
            if recent.len() == RECENT_SAMPLES {
                recent.pop_front();
            }
            recent.push_back(sample);
            if window == 0 {
                if t.zero_at[dir].is_none() {
                    t.zero_at[dir] = Some(sample);
                }
            } else {
                t.zero_at[dir] = None;
            }
        }
        let rst = facts.flags & 0x004 != 0;
        let fin = facts.flags & 0x001 != 0;
        let first_src = t.first_src;
        let episodes = &mut self.summary.episodes;
        t.episodes.retain(|id| {
            let Some(&i) = self.index.get(id) else {
                return false;
            };
            let rec = &mut episodes[i];
            if rec.conn != conn {
                return false;
            }
            let probed_dir = usize::from(rec.probed != first_src);
            let kept = rec.window.len() < MAX_SAMPLES_KEPT
                && rec.window.last().is_none_or(|l| l.frame < frame);
            match sample {
                Some(sample) if dir == probed_dir && kept => rec.window.push(sample),
                _ => {}
            }
            if (rst || fin) && rec.marks.len() < 16 {
                rec.marks.push(Mark {
                    frame,
                    time,
                    from_prober: dir != probed_dir,
                    rst,
                });
            }
            if rec.episode.end.is_some() {
                rec.samples_after_end += 1;
                return rec.samples_after_end <= SAMPLES_AFTER_END && !rst;
            }
            true
        });
        if fin {
            t.fin[dir] = true;
        }
        if rst || (t.fin[0] && t.fin[1] && t.episodes.is_empty()) {
            self.conns.remove(&conn);
        }
    }
}

fn is_reply(c: Class) -> bool {
    matches!(c, Class::ZeroWindowProbeAck | Class::KeepAliveAck)
}

/// Whether an end cause came from the probing side.
pub fn end_from_prober(cause: EndCause) -> bool {
    matches!(cause, EndCause::RstFromProber | EndCause::FinFromProber)
}
