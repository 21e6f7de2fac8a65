//! The real Wireshark GUI (Qt) under Xvfb with the plugin from this build, driven from the
//! keyboard (xdotool) and read through Wireshark's own Copy actions (xclip reads the clipboard):
//! Edit → Copy → As Plain Text of every packet-list row, Edit → Copy → All Visible Items of a
//! probe frame's expanded tree, and every row of Analyze → Expert Information (no display filter).
//! Each is compared with what tshark prints with the same plugin (`-2`: the GUI re-dissects a
//! frame to show it, after the first pass), plus a few literal facts of the README's example.
//!
//! Needs Xvfb, xdotool, xclip, ImageMagick's `import` and wireshark-qt; without them the test fails
//! saying what to install, unless TCPPROBE_SKIP_GUI=1 leaves it out (it prints NOT RUN).
//! `TCPPROBE_GUI_SCREENSHOTS=docs cargo test --test gui` also remakes the README's pictures.
//!
//! Wireshark runs as in the other tests (`Tshark::command`: as `nobody` when root, with
//! WIRESHARK_PLUGIN_DIR and a fresh HOME, so no "recent" file moves panes or opens dialogs).

mod common;

use common::*;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const CAPTURE: &str = "persist_v4.pcap";
/// The README's first example, as the kernel sent it (its counters: 4 persist probes).
const PROBE_FRAME: &str = "8";
const PROBES: [&str; 4] = ["8", "10", "11", "13"];
const PROBE_ACKS: [&str; 3] = ["9", "12", "14"];
/// What Wireshark alone calls those probes.
const KEEP_ALIVE: &str = "[TCP Keep-Alive]";
/// The head of tcpprobe's subtree in the packet details.
const SUBTREE: &str = "[TCP probe classifier (tcpprobe):";
/// The Statistics table of issue 9 (`register_stat_tap_table_ui`, CLI `-z tcpprobe,stalls`).
#[allow(dead_code)]
const STALLS_TABLE: &str = "TCP Stalls (tcpprobe)";

/// What the GUI is expected to show, from tshark with the plugin.
struct Expected {
    /// Frame number -> Info column.
    info: HashMap<String, String>,
    /// tcpprobe's subtree of PROBE_FRAME as `-V` prints it (the GUI's copy has the same layout).
    subtree: Vec<String>,
    /// tcpprobe's expert items: summary -> count (`-q -z expert`, no tree, like the dialog).
    experts: BTreeMap<String, usize>,
}

fn expected(tshark: &Tshark, pcap: &Path) -> Expected {
    let info = displayed_info(tshark, pcap, &["-2"]);
    let filter = format!("frame.number == {PROBE_FRAME}");
    let tree = tshark.run(&["-r", pcap.to_str().unwrap(), "-2", "-V", "-Y", &filter]);
    let mut experts = BTreeMap::new();
    for ((_, summary), n) in expert_stats(tshark, pcap, &["-2"]) {
        *experts.entry(summary).or_default() += n;
    }
    Expected {
        info,
        subtree: subtree(&tree).expect("tshark -V shows tcpprobe's subtree on the probe"),
        experts,
    }
}

/// tcpprobe's subtree in a tree printed as text, 4 spaces per level: its head line and every
/// line below it that is indented deeper.
fn subtree(tree: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = tree.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.trim_start().starts_with(SUBTREE))?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let depth = indent(lines[head]);
    let mut out = vec![lines[head].to_string()];
    out.extend(
        lines[head + 1..]
            .iter()
            .take_while(|l| indent(l) > depth)
            .map(|l| l.to_string()),
    );
    Some(out)
}

/// One row of the Expert Information dialog, as its context menu's Copy puts it: "frame protocol:
/// summary".
#[derive(Debug)]
struct ExpertRow {
    frame: String,
    protocol: String,
    summary: String,
}

/// What the GUI showed.
struct Reading {
    /// (No., Info) of every packet-list row.
    rows: Vec<(String, String)>,
    /// PROBE_FRAME's tree, every item expanded.
    tree: String,
    /// Every expert item of the dialog (its group rows left out).
    experts: Vec<ExpertRow>,
}

fn check_info(got: &Reading, want: &Expected) -> Result<(), String> {
    let mut bad = Vec::new();
    if got.rows.len() != want.info.len() {
        bad.push(format!(
            "{} rows in the packet list, tshark has {}",
            got.rows.len(),
            want.info.len()
        ));
    }
    for (frame, info) in &got.rows {
        match want.info.get(frame) {
            Some(w) if w == info => {}
            w => bad.push(format!("frame {frame}: GUI {info:?}, tshark {w:?}")),
        }
        if info.contains(KEEP_ALIVE) {
            bad.push(format!("frame {frame} still says {KEEP_ALIVE}: {info:?}"));
        }
    }
    let info = |frame: &str| {
        got.rows
            .iter()
            .find(|(f, _)| f == frame)
            .map_or("", |(_, i)| i.as_str())
    };
    for frame in PROBES {
        if !info(frame).starts_with("[TCP ZeroWindowProbe] ") {
            bad.push(format!("probe {frame}: {:?}", info(frame)));
        }
    }
    for frame in PROBE_ACKS {
        if !info(frame).starts_with("[TCP ZeroWindowProbeAck] ") {
            bad.push(format!("probe ACK {frame}: {:?}", info(frame)));
        }
    }
    bad.is_empty()
        .then_some(())
        .ok_or_else(|| format!("packet list:\n  {}", bad.join("\n  ")))
}

fn check_subtree(got: &Reading, want: &Expected) -> Result<(), String> {
    let Some(shown) = subtree(&got.tree) else {
        return Err(format!(
            "no tcpprobe subtree in frame {PROBE_FRAME}'s tree:\n{}",
            got.tree
        ));
    };
    if !shown[0].contains("Zero-window probe") {
        return Err(format!("tcpprobe's subtree says {:?}", shown[0]));
    }
    if shown != want.subtree {
        return Err(format!(
            "tcpprobe's subtree in the GUI:\n{}\ntshark -V:\n{}",
            shown.join("\n"),
            want.subtree.join("\n")
        ));
    }
    Ok(())
}

fn check_experts(got: &Reading, want: &Expected) -> Result<(), String> {
    let ours: Vec<&ExpertRow> = got
        .experts
        .iter()
        .filter(|e| e.protocol == "tcpprobe")
        .collect();
    let mut counts = BTreeMap::new();
    for e in &ours {
        *counts.entry(e.summary.clone()).or_insert(0usize) += 1;
    }
    let mut bad = Vec::new();
    if counts != want.experts {
        bad.push(format!(
            "tcpprobe's items in the dialog {counts:#?}\ntshark -q -z expert {:#?}",
            want.experts
        ));
    }
    // 4 probes, 3 ACKs, the episode: at least 8 items, on the frames the kernel sent them in.
    if ours.len() < 8 {
        bad.push(format!("only {} tcpprobe items: {ours:?}", ours.len()));
    }
    let frames = |is: &dyn Fn(&str) -> bool| -> Vec<&str> {
        ours.iter()
            .filter(|e| is(&e.summary))
            .map(|e| e.frame.as_str())
            .collect()
    };
    let probe_items =
        frames(&|s| s.starts_with("Zero-window probe (") || s.starts_with("Zero-window probe:"));
    if probe_items != PROBES {
        bad.push(format!("zero-window probe items on frames {probe_items:?}"));
    }
    let ack_items = frames(&|s| s.starts_with("Zero-window probe ACK"));
    if ack_items != PROBE_ACKS {
        bad.push(format!("probe ACK items on frames {ack_items:?}"));
    }
    if frames(&|s| s.starts_with("Zero-window episode 1: 4 probes")).len() != 1 {
        bad.push("no episode summary".to_string());
    }
    bad.is_empty()
        .then_some(())
        .ok_or_else(|| format!("Expert Information:\n  {}", bad.join("\n  ")))
}

// ---- The display and the GUI ----

/// Whether the test should run; panics, saying what to install, when a program is missing.
fn gui_test_runs(name: &str) -> bool {
    if std::env::var("TCPPROBE_SKIP_GUI").as_deref() == Ok("1") {
        eprintln!("NOT RUN: {name} (TCPPROBE_SKIP_GUI=1: no Wireshark GUI)");
        return false;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<&str> = [
        ("Xvfb", "xvfb"),
        ("xdotool", "xdotool"),
        ("xclip", "xclip"),
        ("import", "imagemagick"),
        ("wireshark", "wireshark-qt"),
    ]
    .iter()
    .filter(|(program, _)| !std::env::split_paths(&path).any(|d| d.join(program).is_file()))
    .map(|(_, package)| *package)
    .collect();
    assert!(
        missing.is_empty(),
        "the GUI test needs `apt-get install {}`; or set TCPPROBE_SKIP_GUI=1 to leave it out",
        missing.join(" ")
    );
    true
}

/// An Xvfb, stopped on drop.
struct Display {
    xvfb: Child,
    name: String,
}

impl Display {
    /// Xvfb on the first free display from a number of this process's own: other sessions on the
    /// machine (maybe in other PID namespaces, where Xvfb's lock files cannot tell a live server
    /// from a stale one) tend to take the low ones.
    fn start() -> Display {
        let base = 100 + std::process::id() % 400;
        for n in base..base + 50 {
            let name = format!(":{n}");
            // -displayfd: Xvfb prints the display number once it accepts connections; it exits
            // at once if the display is taken.
            let mut xvfb = Command::new("Xvfb")
                .args([
                    &name,
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1400x900x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb");
            let mut ready = String::new();
            let _ = BufReader::new(xvfb.stdout.take().unwrap()).read_line(&mut ready);
            let display = Display { xvfb, name };
            let reachable = || {
                Command::new("xdotool")
                    .env("DISPLAY", &display.name)
                    .arg("getdisplaygeometry")
                    .output()
                    .is_ok_and(|o| o.status.success())
            };
            if ready.trim() == n.to_string() && reachable() {
                return display;
            }
        }
        panic!("no free X display in :{base}..:{}", base + 50);
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        // SIGTERM: Xvfb then removes its lock file and socket (SIGKILL would leave them).
        // SAFETY: kill() on our own child's pid.
        unsafe { libc::kill(self.xvfb.id() as libc::pid_t, libc::SIGTERM) };
        for _ in 0..50 {
            if let Ok(Some(_)) = self.xvfb.try_wait() {
                return;
            }
            sleep(Duration::from_millis(20));
        }
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// Wireshark with one capture open; killed (and its display with it) on drop, also on failure.
struct Gui {
    wireshark: Child,
    /// The main window's X id.
    main: String,
    log: PathBuf,
    // Dropped after `wireshark` is killed (see Drop).
    display: Display,
}

impl Drop for Gui {
    fn drop(&mut self) {
        let _ = self.wireshark.kill();
        let _ = self.wireshark.wait();
    }
}

/// What the clipboard holds before each Copy: whatever replaces it came from Wireshark.
const NOTHING_COPIED: &str = "tcpprobe GUI test: nothing copied yet";
/// The Expert Information dialog's context menu (4.0): Apply as Filter, Prepare as Filter, Find,
/// Colorize, Look Up, Copy, Collapse All, Expand All. Up from the top wraps to the bottom.
const EXPERT_COPY: [&str; 5] = ["Menu", "Up", "Up", "Up", "Return"];
const EXPERT_EXPAND_ALL: [&str; 3] = ["Menu", "Up", "Return"];

impl Gui {
    fn open(env: &Tshark, pcap: &Path) -> Gui {
        let display = Display::start();
        let log = env.dir.path().join("wireshark.log");
        let out = File::create(&log).expect("wireshark log");
        let wireshark = env
            .command("wireshark")
            .env("DISPLAY", &display.name)
            // No bytes pane: the tree gets the whole width (the README's picture of it).
            .args(["-o", "gui.layout_content_3:NONE", "-r"])
            .arg(pcap)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start wireshark");
        let mut gui = Gui {
            wireshark,
            main: String::new(),
            log,
            display,
        };
        let name = pcap
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace('.', "\\.");
        gui.main = gui.window(&format!("^{name}$"), "Wireshark's main window");
        // No window manager: place it ourselves, the whole screen (the screenshots' layout).
        gui.xdotool(&["windowmove", &gui.main, "0", "0"]);
        gui.xdotool(&["windowsize", "--sync", &gui.main, "1400", "900"]);
        gui
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .env("DISPLAY", &self.display.name)
            .args(args)
            .output()
            .expect("run xdotool");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls `f` every 50 ms; panics after `timeout` with a screenshot and Wireshark's output.
    fn poll<T>(&self, what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = f() {
                return v;
            }
            if start.elapsed() > timeout {
                panic!("{what}: nothing after {timeout:?}{}", self.diagnostics());
            }
            sleep(Duration::from_millis(50));
        }
    }

    fn diagnostics(&self) -> String {
        let shot =
            std::env::temp_dir().join(format!("tcpprobe-gui-failure-{}.png", std::process::id()));
        let _ = Command::new("import")
            .env("DISPLAY", &self.display.name)
            .args(["-window", "root"])
            .arg(&shot)
            .status();
        format!(
            "\nscreen: {}\nwireshark's output:\n{}",
            shot.display(),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        )
    }

    /// The visible window whose title matches `pattern`, waited for.
    fn window(&self, pattern: &str, what: &str) -> String {
        self.poll(what, Duration::from_secs(30), || {
            let ids = self.xdotool(&["search", "--onlyvisible", "--name", pattern]);
            ids.lines().next().map(str::to_string)
        })
    }

    /// Key presses into a window (given focus first: there is no window manager).
    fn keys(&self, window: &str, keys: &[&str]) {
        let mut args = vec!["windowfocus", "--sync", window, "key", "--delay", "40"];
        args.extend_from_slice(keys);
        self.xdotool(&args);
    }

    fn type_text(&self, window: &str, text: &str) {
        self.xdotool(&[
            "windowfocus",
            "--sync",
            window,
            "type",
            "--delay",
            "40",
            text,
        ]);
    }

    fn set_clipboard(&self, text: &str) {
        // xclip forks a child that holds the selection until someone else takes it.
        let mut xclip = Command::new("xclip")
            .env("DISPLAY", &self.display.name)
            .args(["-selection", "clipboard", "-i"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run xclip");
        xclip
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let _ = xclip.wait();
    }

    fn clipboard(&self) -> String {
        let out = Command::new("xclip")
            .env("DISPLAY", &self.display.name)
            .args(["-o", "-selection", "clipboard"])
            .output()
            .expect("run xclip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Presses `keys` (a Copy action) and returns what Wireshark put on the clipboard.
    fn copy(&self, window: &str, keys: &[&str], what: &str) -> String {
        self.set_clipboard(NOTHING_COPIED);
        self.keys(window, keys);
        self.poll(what, Duration::from_secs(10), || {
            let text = self.clipboard();
            (text != NOTHING_COPIED).then_some(text)
        })
    }

    /// Edit → Copy → As Plain Text with every row selected: (No., Info) per row.
    fn packet_list(&self, rows: usize) -> Vec<(String, String)> {
        // Wait for the file to be read: until every row is there.
        self.poll("the packet list", Duration::from_secs(30), || {
            // Ctrl+/ focuses the display filter, Tab the packet list; Home, Shift+End select all.
            let text = self.copy(
                &self.main,
                &[
                    "ctrl+slash",
                    "Tab",
                    "Home",
                    "shift+End",
                    "alt+e",
                    "Right",
                    "Return",
                ],
                "Edit → Copy → As Plain Text",
            );
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next()?.split('\t').collect();
            let no = header.iter().position(|c| *c == "No.")?;
            let info = header.iter().position(|c| *c == "Info")?;
            let got: Vec<(String, String)> = lines
                .map(|l| {
                    let cols: Vec<&str> = l.split('\t').collect();
                    (cols[no].to_string(), cols[info..].join("\t"))
                })
                .collect();
            (got.len() >= rows).then_some(got)
        })
    }

    /// Go → Go to Packet (Ctrl+A: over any number left in its field).
    fn go_to(&self, frame: &str) {
        self.keys(&self.main, &["ctrl+g", "ctrl+a"]);
        self.type_text(&self.main, frame);
        self.keys(&self.main, &["Return"]);
    }

    /// Go → Go to Packet, View → Expand All, Edit → Copy → All Visible Items.
    fn tree(&self, frame: &str) -> String {
        self.go_to(frame);
        self.keys(&self.main, &["ctrl+Right"]);
        // The copy needs a selected tree item: Tab twice from the display filter reaches the tree.
        let tree = self.copy(
            &self.main,
            &["ctrl+slash", "Tab", "Tab", "Down", "Up", "ctrl+alt+shift+a"],
            "Edit → Copy → All Visible Items",
        );
        assert!(
            tree.starts_with(&format!("Frame {frame}:")),
            "not frame {frame}'s tree:\n{tree}"
        );
        tree
    }

    /// Analyze → Expert Information, without a display filter, every item. The dialog's rows are
    /// read one by one through its context menu's Copy ("frame protocol: summary"), after turning
    /// "Group by summary" off so that each item shows its own summary (grouped, the items show the
    /// packet's Info instead) and expanding every group.
    fn expert_information(&self, screenshot: Option<&Path>) -> Vec<ExpertRow> {
        // Expert Information is the Analyze menu's last entry.
        self.keys(&self.main, &["alt+a", "Up", "Return"]);
        let dialog = self.window("Expert Information", "Analyze → Expert Information");
        // It fills its tree after re-dissecting every frame: wait for a first row.
        let copy_row = |what: &str| self.copy(&dialog, &EXPERT_COPY, what);
        self.keys(&dialog, &["Home"]);
        let first = copy_row("the Expert Information dialog's first row");
        if let Some(path) = screenshot {
            // Its rows (13 groups here), not the empty rest of the tree, nor the Count column,
            // which Wireshark 4.0 leaves empty here.
            self.screenshot(&dialog, path, "745x262+0+0");
        }
        // Focus order: the tree, "Limit to Display Filter" (disabled without a filter), "Group by
        // summary".
        self.keys(&dialog, &["Tab", "space", "shift+Tab", "Home"]);
        let ungrouped = copy_row("the first row, ungrouped");
        assert!(
            ungrouped.ends_with(": "),
            "\"Group by summary\" still on? first row {first:?}, then {ungrouped:?}"
        );
        self.keys(&dialog, &EXPERT_EXPAND_ALL);
        self.keys(&dialog, &["End"]);
        let last = copy_row("the last row");
        self.keys(&dialog, &["Home"]);
        let mut rows: Vec<String> = Vec::new();
        loop {
            let row = copy_row("an Expert Information row");
            // Down on the last row stays there.
            if rows.last() == Some(&row) && row == last {
                break;
            }
            assert!(rows.len() < 10_000, "no end to the expert rows");
            rows.push(row);
            self.keys(&dialog, &["Down"]);
        }
        self.keys(&dialog, &["Escape"]);
        rows.iter()
            .filter_map(|r| {
                let (frame, rest) = r.split_once(' ')?;
                let (protocol, summary) = rest.split_once(": ")?;
                // Group rows have no summary.
                (!summary.is_empty()).then(|| ExpertRow {
                    frame: frame.to_string(),
                    protocol: protocol.to_string(),
                    summary: summary.to_string(),
                })
            })
            .collect()
    }

    /// The Statistics menu's entry titled `title`, one of the tables registered with
    /// `register_stat_tap_table_ui` (Wireshark's own and tcpprobe's), opened from the menu and read
    /// through its context menu's Copy: the table as text. With `screenshot`, also a PNG of it.
    ///
    /// The menu's entries have no shortcut, and Qt has no type-ahead in menus, so the entries of
    /// the generic section are opened in turn until the dialog with that title appears; the others
    /// are closed again.
    fn statistics(&self, title: &str, screenshot: Option<&Path>) -> String {
        // Wireshark 4.0's Statistics menu: 8 fixed entries (Capture File Properties … Service
        // Response Time), then the generic tables, then submenus.
        const FIRST_GENERIC: usize = 8;
        for index in FIRST_GENERIC..FIRST_GENERIC + 10 {
            let mut keys = vec!["alt+s"];
            keys.extend(std::iter::repeat_n("Down", index));
            keys.push("Return");
            self.keys(&self.main, &keys);
            let start = Instant::now();
            let dialog = loop {
                let ids = self.xdotool(&["search", "--onlyvisible", "--name", "^Wireshark · "]);
                if let Some(id) = ids.lines().next() {
                    break Some(id.to_string());
                }
                if start.elapsed() > Duration::from_secs(3) {
                    break None;
                }
                sleep(Duration::from_millis(50));
            };
            let Some(dialog) = dialog else {
                // A submenu: past the generic tables.
                self.keys(&self.main, &["Escape", "Escape", "Escape"]);
                break;
            };
            let name = self.xdotool(&["getwindowname", &dialog]);
            if name.contains(&format!(" · {title} · ")) {
                // Its context menu: Copy, Save as…; a Return right after Menu can come before the
                // menu takes the keyboard, Up and Down give it time and end on Copy.
                let copy = ["Menu", "Up", "Down", "Return"];
                let text = self.copy(&dialog, &copy, &format!("{title}: Copy"));
                if let Some(path) = screenshot {
                    // Wide enough for every column of the picture.
                    self.xdotool(&["windowsize", &dialog, "1380", "260"]);
                    sleep(Duration::from_millis(700));
                    self.screenshot(&dialog, path, "1380x260+0+0");
                }
                self.keys(&dialog, &["Escape"]);
                return text;
            }
            self.keys(&dialog, &["Escape"]);
            self.poll("closing a dialog", Duration::from_secs(5), || {
                let ids = self.xdotool(&["search", "--onlyvisible", "--name", "^Wireshark · "]);
                ids.trim().is_empty().then_some(())
            });
        }
        panic!(
            "no entry {title:?} in the Statistics menu{}",
            self.diagnostics()
        );
    }

    /// A PNG of one window cropped to `crop` (ImageMagick's `WxH+X+Y`), without time stamps, so
    /// that an unchanged GUI remakes the same file.
    fn screenshot(&self, window: &str, path: &Path, crop: &str) {
        let status = Command::new("import")
            .env("DISPLAY", &self.display.name)
            .args(["-window", window, "-crop", crop, "+repage", "-strip"])
            .args(["-define", "png:exclude-chunks=date,time"])
            .arg(path)
            .status()
            .expect("run import");
        assert!(status.success(), "import {}", path.display());
    }

    /// The README's pictures of the packet list and the tree: PROBE_FRAME selected, the list
    /// scrolled to its top, the tree collapsed but for TCP and tcpprobe's subtree.
    fn screenshot_list_and_tree(&self, dir: &Path) {
        // Go → First Packet, then to the probe: the list stays at its top.
        self.keys(&self.main, &["ctrl+Home"]);
        self.go_to(PROBE_FRAME);
        // View → Collapse All. Then in the tree: End is TCP, Right opens it; End is its last
        // item, tcpprobe's subtree; Right opens that; End, Left: its last item, then back up to
        // its head, so that the whole subtree is in view.
        self.keys(&self.main, &["ctrl+Left", "ctrl+slash", "Tab", "Tab"]);
        self.keys(&self.main, &["End", "Right", "End", "Right", "End", "Left"]);
        // The pointer off the panes: a row under it is drawn highlighted.
        self.xdotool(&["mousemove", "1399", "899"]);
        sleep(Duration::from_millis(300));
        // Wireshark 4.0's layout at 1400x900 without the bytes pane: the list above y = 482,
        // the tree below y = 484 (its first 820 pixels hold the subtree's longest line).
        let list = dir.join("gui-packet-list.png");
        self.screenshot(&self.main, &list, "1400x482+0+0");
        self.screenshot(&self.main, &dir.join("gui-tree.png"), "820x386+0+484");
    }
}

fn read_gui(gui: &Gui, rows: usize, screenshots: Option<&Path>) -> Reading {
    let rows = gui.packet_list(rows);
    let tree = gui.tree(PROBE_FRAME);
    if let Some(dir) = screenshots {
        gui.screenshot_list_and_tree(dir);
    }
    let experts = gui.expert_information(screenshots.map(|d| d.join("gui-expert.png")).as_deref());
    Reading {
        rows,
        tree,
        experts,
    }
}

#[test]
fn the_gui_shows_tcpprobes_labels_subtree_and_expert_items() {
    if !gui_test_runs("the_gui_shows_tcpprobes_labels_subtree_and_expert_items") {
        return;
    }
    let started = Instant::now();
    let tshark = Tshark::new();
    let pcap = tshark.stage(&bundled_kernel_dir().join(CAPTURE));
    let want = expected(&tshark, &pcap);
    let screenshots = std::env::var_os("TCPPROBE_GUI_SCREENSHOTS").map(PathBuf::from);
    let gui = Gui::open(&tshark, &pcap);
    let got = read_gui(&gui, want.info.len(), screenshots.as_deref());
    let failures: Vec<String> = [
        check_info(&got, &want),
        check_subtree(&got, &want),
        check_experts(&got, &want),
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "GUI agrees with tshark: {} packet-list rows, {} lines of tcpprobe's subtree, {} tcpprobe \
         expert items (of {} in the dialog)",
        got.rows.len(),
        want.subtree.len(),
        got.experts
            .iter()
            .filter(|e| e.protocol == "tcpprobe")
            .count(),
        got.experts.len()
    );

    // Statistics → TCP Stalls (tcpprobe): the rows `tshark -q -z tcpprobe,stalls` lists. Every
    // text and count cell of tshark's row is in the GUI's row (numbers with decimals are printed
    // by each in its own way).
    let stalls = gui.statistics(
        STALLS_TABLE,
        screenshots
            .as_deref()
            .map(|d| d.join("gui-statistics.png"))
            .as_deref(),
    );
    let table = tshark.run(&["-r", pcap.to_str().unwrap(), "-q", "-z", "tcpprobe,stalls"]);
    let tshark_rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            l.split(" |")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(tshark_rows.len(), 1, "persist_v4 has one stall:\n{table}");
    for row in &tshark_rows {
        let gui_row = stalls
            .lines()
            .find(|l| l.contains(row[2]) && l.contains(row[3]))
            .unwrap_or_else(|| panic!("no GUI row for {row:?} in:\n{stalls}"));
        for cell in row.iter().filter(|c| !c.contains('.') || c.contains(':')) {
            assert!(
                gui_row.contains(cell),
                "GUI row lacks {cell:?}:\n{gui_row}\n(tshark: {row:?})"
            );
        }
    }
    eprintln!("GUI test: {:.1} s", started.elapsed().as_secs_f64());
}

/// The test of the test: the same GUI without the plugin must fail every check.
#[test]
fn without_the_plugin_every_gui_check_fails() {
    if !gui_test_runs("without_the_plugin_every_gui_check_fails") {
        return;
    }
    let tshark = Tshark::new();
    let want = expected(&tshark, &tshark.stage(&bundled_kernel_dir().join(CAPTURE)));
    let bare = Tshark::without_plugin();
    let pcap = bare.stage(&bundled_kernel_dir().join(CAPTURE));
    let gui = Gui::open(&bare, &pcap);
    let got = read_gui(&gui, want.info.len(), None);
    // The GUI was read: Wireshark's own labels are there.
    let probe = got.rows.iter().find(|(f, _)| f == PROBE_FRAME);
    assert!(
        probe.is_some_and(|(_, info)| info.starts_with(KEEP_ALIVE)),
        "{probe:?}"
    );
    assert!(
        got.experts.iter().any(|e| e.protocol == "TCP"),
        "{:?}",
        got.experts
    );
    for (what, result) in [
        ("Info column", check_info(&got, &want)),
        ("subtree", check_subtree(&got, &want)),
        ("expert items", check_experts(&got, &want)),
    ] {
        match result {
            Err(e) => {
                let head: Vec<&str> = e.lines().take(4).collect();
                eprintln!(
                    "without the plugin the {what} check fails, as it must: {}",
                    head.join(" / ")
                );
            }
            Ok(()) => panic!("the {what} check passes without the plugin"),
        }
    }
}
