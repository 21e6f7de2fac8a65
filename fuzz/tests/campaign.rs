//! The short fuzz campaign CI runs (`cargo test`): fixed seeds, every invariant, and a check that
//! the generated input still reaches the classifier's rules (a generator that drifted into noise
//! would pass the invariants and test nothing).

use tcpprobe_core::{Class, ProbeStyle, Reason};
use tcpprobe_fuzz::runner::{run, Options};

#[test]
fn twenty_thousand_executions_break_no_invariant() {
    let mut stats = tcpprobe_fuzz::check::Stats::default();
    for seed in [1, 2] {
        let report = run(&Options {
            executions: 10_000,
            seed,
            first: 0,
            jobs: 2,
            progress: None,
        });
        if let Some(f) = report.failure {
            panic!(
                "execution {} of seed {}: {}\nminimised to {} segments: {}\nreplay: cargo run \
                 --profile fuzz -p tcpprobe-fuzz -- --seed {} --first {} --executions 1",
                f.index,
                f.seed,
                f.found,
                f.segments.len(),
                f.violation,
                f.seed,
                f.index
            );
        }
        stats.merge(&report.stats);
    }
    assert_eq!(stats.executions, 20_000);

    // Every class, every probe style, and every reason classify() gives (RecognisedByReply comes
    // in Recognised events only).
    for c in Class::ALL {
        assert!(stats.classes[c as usize - 1] > 100, "{c:?}: {stats:?}");
    }
    for s in ProbeStyle::ALL {
        assert!(stats.styles[s as usize - 1] > 100, "{s:?}: {stats:?}");
    }
    for r in Reason::ALL {
        if r != Reason::RecognisedByReply {
            assert!(stats.reasons[r as usize - 1] > 100, "{r:?}: {stats:?}");
        }
    }
    // Episodes, settled verdicts, unanswered probes, probes recognised by their reply,
    // evictions.
    assert!(stats.events.iter().all(|&n| n > 100), "{stats:?}");
    assert!(
        stats.executions_with_probe > stats.executions / 2,
        "{stats:?}"
    );
    assert!(stats.tentative > 0 && stats.new_space > 0, "{stats:?}");
    assert!(stats.prefix_segments > 0, "{stats:?}");
    assert!(stats.max_tracked > 1000, "{stats:?}");
    assert!(stats.executions_evicting > 100, "{stats:?}");
}
