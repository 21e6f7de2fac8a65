//! The episode model that the other integration tests take as the truth about a capture's probes
//! (tests/gen/oracle.py, whose reading the generator writes into each capture's JSON) has tests
//! of its own on hand-made sequences (tests/gen/test_oracle.py, Python's standard library only).
//! They run here so that `cargo test` runs them; without python3 this test fails.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_episode_model_passes_its_own_tests() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gen");
    // -B: no __pycache__ in the source tree.
    let out = Command::new("python3")
        .args(["-B", "-m", "unittest", "-v", "test_oracle"])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 (apt-get install python3): {e}");
        });
    // unittest reports on stderr.
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tests/gen/test_oracle.py failed ({}):\n{report}",
        out.status
    );
    let ran: u32 = report
        .lines()
        .find_map(|l| {
            l.strip_prefix("Ran ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no 'Ran N tests' line from unittest:\n{report}"));
    assert!(ran > 0, "unittest ran no test:\n{report}");
    println!("tests/gen/test_oracle.py: {ran} tests passed");
}
