//! The hostile-input campaign's short run (`tests/hostile/campaign.sh --quick --memory`, issue
//! 12; RELIABILITY.md has the full run): 60 corrupted copies of the test captures and randpkt's
//! random packets through tshark with and without the plugin built for this test run, single pass
//! and `-2 -V`. No crash, no exit status other than Wireshark's own, no stderr line that only the
//! plugin's run printed; and the memory part on small generated captures, so that it keeps working
//! (its figures are printed, not judged here). About a minute; fails, naming it, when a tool the
//! campaign needs is missing.

mod common;

use common::*;
use std::process::Command;

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn quick_campaign_finds_no_crash_and_no_differing_exit() {
    let mut needed = vec!["tshark", "editcap", "randpkt", "python3"];
    if is_root() {
        needed.push("setpriv");
    }
    let missing: Vec<&str> = needed.into_iter().filter(|t| !on_path(t)).collect();
    assert!(
        missing.is_empty(),
        "the hostile-input campaign needs {missing:?} (Debian: apt-get install tshark \
         wireshark-common python3 util-linux)"
    );

    let out = TempDir::new("hostile");
    let run = Command::new("bash")
        .arg(repo().join("tests/hostile/campaign.sh"))
        .args(["--quick", "--memory", "--jobs", "2", "--out"])
        .arg(out.path())
        .arg("--plugin")
        .arg(built_plugin())
        .output()
        .expect("run tests/hostile/campaign.sh");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    // Shown with the test's output (cargo test --test hostile -- --nocapture) and on failure.
    println!("{stdout}\n{stderr}");
    assert!(
        run.status.success(),
        "campaign.sh --quick failed ({}): status 1 means something crashed or differed (the \
         inputs are listed above); 2 a setup problem\n{stdout}\n{stderr}",
        run.status
    );

    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("summary.json")).expect("summary.json"),
    )
    .expect("summary.json is JSON");
    let c = &summary["corrupted"];
    let count = |key: &str| c[key].as_u64().unwrap_or_else(|| panic!("{key} in {c}"));
    assert_eq!(
        count("captures"),
        60,
        "every planned capture was made and run"
    );
    assert_eq!(count("runs"), 240, "4 runs per capture");
    assert_eq!(count("crash_with"), 0);
    assert_eq!(count("differ"), 0);
    assert_eq!(count("flagged"), 0);
    // The plugin did see the corrupted captures: it put items into the -2 -V trees.
    assert!(
        count("subtrees") > 0,
        "no tcpprobe item in any -2 -V output"
    );

    let rows = summary["memory"]["rows"].as_array().expect("memory rows");
    assert_eq!(rows.len(), 3, "scan single pass, probes single pass and -2");
    for r in rows {
        for side in ["without_kib", "with_kib"] {
            assert!(r[side].as_u64().unwrap_or(0) > 0, "no peak memory in {r}");
        }
        for run in r["runs"].as_object().expect("runs").values() {
            assert_eq!(run["status"], "0", "a memory run failed: {r}");
        }
    }
}
