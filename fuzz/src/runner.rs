//! Executions: execution `i` of seed `s` is the input generated from bytes of a fastrand stream
//! seeded by `(s, i)`, checked by [`check`]. Any execution can be replayed alone from its seed
//! and index.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use tcpprobe_core::{Config, Segment};

use crate::check::{check, Plan, Stats, Violation};
use crate::gen::{generate, Generated};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub executions: u64,
    pub seed: u64,
    /// Index of the first execution.
    pub first: u64,
    /// Worker threads.
    pub jobs: usize,
    /// Print a line to stderr every this often (None: quiet).
    pub progress: Option<Duration>,
}

/// A broken invariant, minimised.
#[derive(Debug, Clone)]
pub struct Failure {
    pub seed: u64,
    pub index: u64,
    /// As found, on the generated input.
    pub found: Violation,
    /// Segments of the generated input.
    pub generated_segments: usize,
    /// The shortest input found that still shows it.
    pub violation: Violation,
    pub config: Config,
    pub segments: Vec<Segment>,
    pub plan: Plan,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub stats: Stats,
    pub elapsed: Duration,
    pub failure: Option<Failure>,
}

/// The seed of execution `index`'s byte stream.
pub fn execution_seed(seed: u64, index: u64) -> u64 {
    splitmix64(seed ^ splitmix64(index))
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Execution `index`'s input and the plan of its second run.
pub fn input(seed: u64, index: u64) -> (Generated, Plan) {
    let mut rng = fastrand::Rng::with_seed(execution_seed(seed, index));
    // Mostly short sequences (a few dozen segments), some long ones for long episodes and floods.
    let size = match rng.u8(0..100) {
        0..=69 => rng.usize(16..=512),
        70..=94 => rng.usize(512..=2048),
        _ => rng.usize(2048..=16384),
    };
    let mut bytes = vec![0u8; size];
    rng.fill(&mut bytes);
    let g = generate(&mut Unstructured::new(&bytes));
    let plan = Plan {
        prefix: rng.usize(0..=g.segments.len()),
        after_reset: rng.bool(),
    };
    (g, plan)
}

/// Run execution `index`.
pub fn execute(seed: u64, index: u64, stats: &mut Stats) -> Result<(), Violation> {
    let (g, plan) = input(seed, index);
    check(&g.config, &g.segments, plan, stats)
}

/// Run `opts.executions` executions on `opts.jobs` threads; stop at the first broken invariant
/// and minimise it.
pub fn run(opts: &Options) -> Report {
    const CHUNK: u64 = 64;
    let start = Instant::now();
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let found: Mutex<Option<(u64, Violation)>> = Mutex::new(None);
    let total = Mutex::new(Stats::default());
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1) {
            s.spawn(|| {
                let mut stats = Stats::default();
                while !stop.load(Ordering::Relaxed) {
                    let from = next.fetch_add(CHUNK, Ordering::Relaxed);
                    if from >= opts.executions {
                        break;
                    }
                    let to = (from + CHUNK).min(opts.executions);
                    for i in from..to {
                        let index = opts.first.wrapping_add(i);
                        if let Err(v) = execute(opts.seed, index, &mut stats) {
                            let mut f = found.lock().unwrap();
                            if f.as_ref().is_none_or(|(j, _)| index < *j) {
                                *f = Some((index, v));
                            }
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                    done.fetch_add(to - from, Ordering::Relaxed);
                }
                total.lock().unwrap().merge(&stats);
            });
        }
        if let Some(every) = opts.progress {
            let mut last = Instant::now();
            while done.load(Ordering::Relaxed) < opts.executions && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if last.elapsed() >= every {
                    last = Instant::now();
                    let d = done.load(Ordering::Relaxed);
                    let secs = start.elapsed().as_secs_f64();
                    eprintln!(
                        "tcpprobe-fuzz: {d} of {} executions, {secs:.0} s, {:.0}/s",
                        opts.executions,
                        d as f64 / secs
                    );
                }
            }
        }
    });
    let elapsed = start.elapsed();
    let failure = found
        .into_inner()
        .unwrap()
        .map(|(index, v)| minimise(opts.seed, index, v));
    Report {
        stats: total.into_inner().unwrap(),
        elapsed,
        failure,
    }
}

/// The same failure as `found` (execution `index`), on as few segments as it takes.
pub fn minimise(seed: u64, index: u64, found: Violation) -> Failure {
    let (g, plan) = input(seed, index);
    let generated_segments = g.segments.len();
    let (violation, config, segments, plan) =
        shrink(&found, g.config, g.segments, plan, |cfg, segs, plan| {
            check(cfg, segs, plan, &mut Stats::default())
                .err()
                .filter(|v| v.same_failure(&found))
        });
    Failure {
        seed,
        index,
        found,
        generated_segments,
        violation,
        config,
        segments,
        plan,
    }
}

/// The shortest input `fails` still fails on: first without the segments after the one where
/// `found` showed (a verdict cannot depend on them: invariant 3 is there to say so), then with the
/// default configuration, then dropping chunks of segments, halving the chunk while none can go
/// (delta debugging). The second run's prefix loses the dropped segments that were in it.
pub fn shrink(
    found: &Violation,
    mut cfg: Config,
    mut segs: Vec<Segment>,
    mut plan: Plan,
    fails: impl Fn(&Config, &[Segment], Plan) -> Option<Violation>,
) -> (Violation, Config, Vec<Segment>, Plan) {
    let mut violation = found.clone();
    let keep = match found.invariant() {
        3 => plan.prefix,
        _ => found.segment() + 1,
    };
    if keep < segs.len() {
        let mut p = plan;
        p.prefix = p.prefix.min(keep);
        if let Some(v) = fails(&cfg, &segs[..keep], p) {
            segs.truncate(keep);
            plan = p;
            violation = v;
        }
    }
    if cfg != Config::default() {
        if let Some(v) = fails(&Config::default(), &segs, plan) {
            cfg = Config::default();
            violation = v;
        }
    }
    let mut chunk = segs.len().div_ceil(2).max(1);
    loop {
        let mut dropped = false;
        let mut at = 0;
        while at < segs.len() {
            let end = (at + chunk).min(segs.len());
            let mut p = plan;
            p.prefix -= p.prefix.min(end) - p.prefix.min(at);
            let mut fewer = Vec::with_capacity(segs.len() - (end - at));
            fewer.extend_from_slice(&segs[..at]);
            fewer.extend_from_slice(&segs[end..]);
            if let Some(v) = fails(&cfg, &fewer, p) {
                segs = fewer;
                plan = p;
                violation = v;
                dropped = true;
            } else {
                at = end;
            }
        }
        if chunk == 1 && !dropped {
            break;
        }
        if !dropped {
            chunk = chunk.div_ceil(2);
        }
    }
    (violation, cfg, segs, plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcpprobe_core::{SeqNumber, Timestamp};

    #[test]
    fn executions_replay_from_seed_and_index() {
        let (a, pa) = input(7, 12345);
        let (b, pb) = input(7, 12345);
        assert_eq!((a.config, &a.segments, pa), (b.config, &b.segments, pb));
        let (c, _) = input(7, 12346);
        assert_ne!(a.segments, c.segments);
    }

    /// A failure that needs two particular segments, the first inside the prefix, keeps exactly
    /// those two, the prefix shrunk with them.
    #[test]
    fn shrink_keeps_what_the_failure_needs() {
        let (g, _) = (0..)
            .map(|i| input(3, i))
            .find(|(g, _)| g.segments.len() > 200)
            .unwrap();
        let segs: Vec<Segment> = g
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| Segment {
                packet: i as u64,
                seq: SeqNumber(i as u32),
                time: Timestamp(i as u64),
                ..*s
            })
            .collect();
        let plan = Plan {
            prefix: 150,
            after_reset: false,
        };
        let found = Violation::PrefixVerdict {
            prefix: 150,
            after_reset: false,
            segment: 120,
            full: Box::new(None),
            alone: Box::new(None),
        };
        let needs = |segs: &[Segment], plan: Plan| {
            let pos = |p: u64| segs.iter().position(|s| s.packet == p);
            matches!((pos(17), pos(120)), (Some(a), Some(b)) if a < plan.prefix && b < plan.prefix)
        };
        let (_, cfg, segs, plan) = shrink(&found, g.config, segs, plan, |_, segs, plan| {
            needs(segs, plan).then(|| found.clone())
        });
        let packets: Vec<u64> = segs.iter().map(|s| s.packet).collect();
        assert_eq!(packets, [17, 120]);
        assert_eq!(plan.prefix, 2);
        assert_eq!(cfg, Config::default());
    }
}
