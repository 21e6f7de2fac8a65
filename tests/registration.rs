//! What Wireshark itself reports about the plugin: it loads, and its fields are registered.

mod common;

use common::*;

#[test]
fn tshark_lists_the_plugin_with_its_version() {
    let plugins = Tshark::new().run(&["-G", "plugins"]);
    let line = plugins
        .lines()
        .find(|l| l.starts_with("tcpprobe.so"))
        .unwrap_or_else(|| panic!("tcpprobe.so not in tshark -G plugins:\n{plugins}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols[1], env!("CARGO_PKG_VERSION"), "{line}");
    assert_eq!(cols[2], "dissector", "{line}");
}

#[test]
fn the_contract_fields_are_registered() {
    let fields = Tshark::new().run(&["-G", "fields"]);
    let registered: Vec<(&str, &str)> = fields
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c.len() > 3 && c[0] == "F" && c[2].starts_with("tcpprobe."))
        .map(|c| (c[2], c[3]))
        .collect();
    for (name, ftype) in [
        ("tcpprobe.zero_window_probe", "FT_NONE"),
        ("tcpprobe.zero_window_probe_ack", "FT_NONE"),
        ("tcpprobe.keep_alive", "FT_NONE"),
        ("tcpprobe.keep_alive_ack", "FT_NONE"),
        ("tcpprobe.corrected", "FT_NONE"),
        ("tcpprobe.verdict", "FT_UINT8"),
        ("tcpprobe.window_closed_in", "FT_FRAMENUM"),
        ("tcpprobe.answers", "FT_FRAMENUM"),
    ] {
        assert!(
            registered.contains(&(name, ftype)),
            "{name} ({ftype}) missing: {registered:?}"
        );
    }
}
