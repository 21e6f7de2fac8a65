//! `tcpprobe-fuzz`: run executions of the fuzz harness and print the figures (see the library).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tcpprobe_core::{Class, Config, ProbeStyle, Reason};
use tcpprobe_fuzz::check::Stats;
use tcpprobe_fuzz::gen::describe;
use tcpprobe_fuzz::runner::{self, Failure, Options};

/// Hostile segment sequences through tcpprobe's core, checking its invariants: no panic; new
/// sequence space is never a probe; verdicts do not depend on later segments; tracked connections
/// stay within the bound. Build with `--profile fuzz` (optimised, overflow checks on).
#[derive(Parser)]
#[command(name = "tcpprobe-fuzz")]
struct Args {
    /// How many executions (one execution: one generated sequence, classified in full and then a
    /// prefix of it again).
    #[arg(long, default_value_t = 100_000)]
    executions: u64,
    /// The campaign's seed; execution I of seed S is the same input on every machine.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Index of the first execution (with --executions 1: replay one).
    #[arg(long, default_value_t = 0)]
    first: u64,
    /// Worker threads (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the executions' inputs instead of running them.
    #[arg(long)]
    print: bool,
    /// No progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.print {
        for i in 0..args.executions {
            let index = args.first.wrapping_add(i);
            let (g, plan) = runner::input(args.seed, index);
            println!("# execution {index} of seed {}: {plan:?}", args.seed);
            println!("config: {:?}", g.config);
            for s in &g.segments {
                println!("{}", describe(s));
            }
        }
        return ExitCode::SUCCESS;
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let overflow_checks = overflow_checks();
    println!(
        "tcpprobe-fuzz: seed {}, executions {}..{}, {jobs} jobs; overflow checks {}, debug \
         assertions {}",
        args.seed,
        args.first,
        args.first.wrapping_add(args.executions),
        on(overflow_checks),
        on(cfg!(debug_assertions)),
    );
    let report = runner::run(&Options {
        executions: args.executions,
        seed: args.seed,
        first: args.first,
        jobs,
        progress: (!args.quiet).then_some(Duration::from_secs(30)),
    });
    let broken = report.failure.as_ref().map(|f| f.found.invariant());
    print_figures(&report.stats, report.elapsed, broken);
    match report.failure {
        None => {
            println!("result: PASS, no invariant broken");
            ExitCode::SUCCESS
        }
        Some(f) => {
            print_failure(&f);
            ExitCode::FAILURE
        }
    }
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "OFF"
    }
}

/// Whether this build panics on arithmetic overflow (the profile's overflow-checks).
fn overflow_checks() -> bool {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let on = std::panic::catch_unwind(|| {
        let x: u8 = std::hint::black_box(u8::MAX);
        std::hint::black_box(x + 1)
    })
    .is_err();
    std::panic::set_hook(hook);
    on
}

/// `broken`: the invariant the run stopped at, if any.
fn print_figures(s: &Stats, elapsed: Duration, broken: Option<u8>) {
    let secs = elapsed.as_secs_f64();
    let all = s.segments + s.prefix_segments;
    println!("executions: {}", s.executions);
    println!(
        "segments: {} in full runs, {} again in prefix runs, {} classified in all",
        s.segments, s.prefix_segments, all
    );
    println!(
        "time: {secs:.1} s ({:.0} executions/s, {:.2}M segments classified/s)",
        s.executions as f64 / secs,
        all as f64 / secs / 1e6
    );
    println!(
        "panics: {}; other broken invariants: {}",
        (broken == Some(1)) as u8,
        broken.is_some_and(|i| i != 1) as u8
    );
    println!(
        "max tracked connections: {}; evicted: {} in {} executions; {} executions with a bound \
         below the default",
        s.max_tracked, s.evicted, s.executions_evicting, s.executions_small_bound
    );
    println!(
        "longest sequence: {} segments; executions with a probe verdict: {} ({:.1}%)",
        s.longest,
        s.executions_with_probe,
        100.0 * s.executions_with_probe as f64 / s.executions.max(1) as f64
    );
    let classes: Vec<String> = Class::ALL
        .iter()
        .map(|c| format!("{} {}", c.name(), s.classes[*c as usize - 1]))
        .collect();
    println!(
        "verdicts: {} ({} tentative)",
        classes.join(", "),
        s.tentative
    );
    let reasons: Vec<String> = Reason::ALL
        .iter()
        .map(|r| format!("{r:?} {}", s.reasons[*r as usize - 1]))
        .collect();
    println!("reasons: {}", reasons.join(", "));
    let styles: Vec<String> = ProbeStyle::ALL
        .iter()
        .map(|p| format!("{p:?} {}", s.styles[*p as usize - 1]))
        .collect();
    println!("probe styles: {}", styles.join(", "));
    println!(
        "events: episode {}, settled {}, unanswered {}, recognised {}, evicted {}",
        s.events[0], s.events[1], s.events[2], s.events[3], s.events[4]
    );
    println!(
        "new sequence space: {} segments; {} one-new-byte probes among them (a probe by design)",
        s.new_space, s.new_space_one_new_byte
    );
}

fn print_failure(f: &Failure) {
    println!(
        "FAILED: execution {} of seed {}: {}",
        f.index, f.seed, f.found
    );
    println!(
        "replay: cargo run --profile fuzz -p tcpprobe-fuzz -- --seed {} --first {} --executions 1 \
         (add --print for its input)",
        f.seed, f.index
    );
    println!(
        "minimised from {} to {} segments: {}",
        f.generated_segments,
        f.segments.len(),
        f.violation
    );
    for (i, s) in f.segments.iter().enumerate() {
        println!("  {i:>3} {}", describe(s));
    }
    println!("// A test of it (tcpprobe-fuzz):");
    if f.config == Config::default() {
        println!("let config = Config::default();");
    } else {
        println!("let config = {:?};", f.config);
    }
    println!("let segments = [");
    for s in &f.segments {
        println!("    {s:?},");
    }
    println!("];");
    println!(
        "let plan = Plan {{ prefix: {}, after_reset: {} }};",
        f.plan.prefix, f.plan.after_reset
    );
    println!("check(&config, &segments, plan, &mut Stats::default()).unwrap();");
}
