//! Builds the Wireshark plugin against the installed Wireshark's headers.
//!
//! The version comes from `pkg-config wireshark` (libwireshark-dev): the C shim is compiled
//! against exactly those headers, and the plugin declares exactly that major.minor, because
//! Wireshark refuses a plugin built for any other one. `TCPPROBE_WIRESHARK_PC` may name another
//! `wireshark.pc` directory (it becomes PKG_CONFIG_PATH) to build for another installation.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn pkg_config(args: &[&str]) -> String {
    let mut cmd = Command::new("pkg-config");
    cmd.args(args).arg("wireshark");
    if let Ok(dir) = env::var("TCPPROBE_WIRESHARK_PC") {
        cmd.env("PKG_CONFIG_PATH", dir);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("tcpprobe: cannot run pkg-config ({e}); install it: apt-get install pkg-config")
    });
    if !out.status.success() {
        panic!(
            "tcpprobe: pkg-config does not know Wireshark: {}\n\
             Install Wireshark's development files: apt-get install libwireshark-dev libglib2.0-dev",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout)
        .expect("pkg-config prints UTF-8")
        .trim()
        .to_string()
}

fn main() {
    for f in [
        "plugin/shim.c",
        "plugin/extract.c",
        "plugin/results.c",
        "plugin/render.c",
        "plugin/register.c",
        "plugin/stats.c",
        "plugin/extract.h",
        "plugin/plugin.h",
        "plugin/shim.h",
        "plugin/ws_compat.h",
        "ffi/include/tcpprobe.h",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-env-changed=TCPPROBE_WIRESHARK_PC");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let version = pkg_config(&["--modversion"]);
    let mut parts = version.split('.').map(|p| p.parse::<i32>());
    let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) else {
        panic!("tcpprobe: cannot read Wireshark's version from pkg-config: {version:?}");
    };

    let mut shim = cc::Build::new();
    shim.file("plugin/shim.c")
        .file("plugin/extract.c")
        .file("plugin/results.c")
        .file("plugin/render.c")
        .file("plugin/register.c")
        .file("plugin/stats.c")
        .include("plugin")
        .include("ffi/include")
        .flag_if_supported("-Wall")
        .flag_if_supported("-Wextra")
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-missing-field-initializers")
        // ws_compat.h checks that the headers are the version the plugin will declare.
        .define("TCPPROBE_PC_VERSION_MAJOR", major.to_string().as_str())
        .define("TCPPROBE_PC_VERSION_MINOR", minor.to_string().as_str());
    for flag in pkg_config(&["--cflags"]).split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-I") {
            shim.include(dir);
        } else {
            shim.flag(flag);
        }
    }
    shim.compile("tcpprobe_shim");

    // Link against libwireshark so the plugin records which library it needs (DT_NEEDED); the
    // symbols themselves are resolved from the Wireshark process that loads it.
    for flag in pkg_config(&["--libs"]).split_whitespace() {
        if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
        } else if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        }
    }

    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindgen::Builder::default()
        .header("plugin/shim.h")
        .allowlist_function("tcpprobe_shim_.*")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("tcpprobe: bindgen could not read plugin/shim.h (is libclang-dev installed?)")
        .write_to_file(out.join("shim_bindings.rs"))
        .expect("write shim bindings");

    let plugin_version = env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    std::fs::write(
        out.join("wireshark_version.rs"),
        format!(
            "/// Wireshark major.minor this plugin is built for (from pkg-config: {version}).\n\
             pub const WIRESHARK_MAJOR: core::ffi::c_int = {major};\n\
             pub const WIRESHARK_MINOR: core::ffi::c_int = {minor};\n\
             /// NUL-terminated plugin version, as Wireshark's plugin_version array.\n\
             pub const PLUGIN_VERSION: [u8; {len}] = *b\"{plugin_version}\\0\";\n",
            len = plugin_version.len() + 1
        ),
    )
    .expect("write wireshark_version.rs");
    println!("cargo:rustc-env=TCPPROBE_WIRESHARK_VERSION={major}.{minor}");
}
