//! The core's module graph, checked: data flows one way, so every module may use only modules in
//! the layers below its own. The layers are the ones README.md's Layout section describes; a
//! new module, or a `use` that points up or sideways, fails here until both agree.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Bottom to top. A module uses only modules of earlier layers.
const LAYERS: &[&[&str]] = &[
    &["seq", "panic_switch"],
    &["segment", "verdict", "config"],
    &["episode"],
    &["direction", "rtt", "timers"],
    &["run"],
    &["series"],
    &["stream"],
    &["decide", "table"],
    &["classifier"],
];

/// Names the crate root re-exports, and the module each comes from.
const REEXPORTS: &[(&str, &str)] = &[("SeqNumber", "seq")];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The core modules `source` refers to through `crate::`.
fn uses(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Strip comments and test modules: only what the module itself uses counts.
    let code: String = source
        .split("#[cfg(test)]")
        .next()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        // `crate::{a::X, b}` names several modules at once.
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(group.len())]
                .split(',')
                .collect(),
            None => vec![rest],
        };
        for name in names {
            let name: String = name
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let module = REEXPORTS
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(name.clone(), |(_, m)| m.to_string());
            if !module.is_empty() && !out.contains(&module) {
                out.push(module);
            }
        }
    }
    out
}

fn graph() -> BTreeMap<String, Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_none_or(|e| e != "rs") || stem == "lib" {
            continue;
        }
        graph.insert(stem.to_string(), uses(&fs::read_to_string(&path).unwrap()));
    }
    graph
}

#[test]
fn every_module_uses_only_lower_layers() {
    let graph = graph();
    assert!(graph.len() >= 10, "found only {graph:?}");
    let mut wrong = Vec::new();
    for (module, used) in &graph {
        let Some(own) = layer_of(module) else {
            wrong.push(format!(
                "{module}: in no layer of LAYERS (and README's Layout)"
            ));
            continue;
        };
        for u in used {
            match layer_of(u) {
                Some(l) if l < own => {}
                Some(_) => wrong.push(format!("{module} uses {u}, which is not below it")),
                None => wrong.push(format!("{module} uses {u}, which is in no layer")),
            }
        }
    }
    // The graph, for whoever reads the test output (`cargo test -- --nocapture`).
    for (module, used) in &graph {
        println!("{module} -> {}", used.join(", "));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_an_upward_use() {
    // A module of a low layer that used the classifier would be caught.
    assert_eq!(uses("use crate::classifier::Classifier;"), ["classifier"]);
    assert_eq!(uses("x: crate::SeqNumber"), ["seq"]);
    assert_eq!(
        uses("use crate::{decide::X, stream};"),
        ["decide", "stream"]
    );
    assert!(uses("// use crate::classifier;\n").is_empty());
}

#[test]
fn readme_layout_names_every_core_module() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let missing: Vec<_> = graph()
        .into_keys()
        .filter(|m| !readme.contains(&format!("{m}.rs")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's Layout does not name {missing:?}"
    );
}
