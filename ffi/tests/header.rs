//! `include/tcpprobe.h` is cbindgen's output for this crate's Rust types, byte for byte: the
//! header is never edited by hand. After changing the C ABI, rewrite it with
//! `TCPPROBE_BLESS=1 cargo test -p tcpprobe-ffi --test header` and commit it.

use std::path::Path;
use std::process::Command;

fn generate() -> Vec<u8> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("read ffi/cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen reads ffi/src");
    let mut header = Vec::new();
    bindings.write(&mut header);
    header
}

/// `diff -u` of the two, or where they first differ when there is no diff(1).
fn difference(committed: &Path, generated: &[u8]) -> String {
    let tmp = std::env::temp_dir().join(format!("tcpprobe-generated-{}.h", std::process::id()));
    std::fs::write(&tmp, generated).expect("write the generated header");
    let diff = Command::new("diff")
        .arg("-u")
        .arg(committed)
        .arg(&tmp)
        .output();
    let _ = std::fs::remove_file(&tmp);
    if let Ok(out) = diff {
        return String::from_utf8_lossy(&out.stdout).into_owned();
    }
    let old = std::fs::read_to_string(committed).unwrap_or_default();
    let new = String::from_utf8_lossy(generated);
    let (n, (a, b)) = old
        .lines()
        .chain(std::iter::repeat("<end>"))
        .zip(new.lines().chain(std::iter::repeat("<end>")))
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .unwrap_or((0, ("", "")));
    format!("line {}:\n- {a}\n+ {b}\n", n + 1)
}

#[test]
fn the_committed_header_is_generated_from_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/tcpprobe.h");
    let generated = generate();
    if std::env::var_os("TCPPROBE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write include/tcpprobe.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is not what cbindgen generates from ffi/src:\n{}\n\
         If the Rust side is right, regenerate the header with\n    \
         TCPPROBE_BLESS=1 cargo test -p tcpprobe-ffi --test header\nand commit it.",
        path.display(),
        difference(&path, &generated)
    );
}
