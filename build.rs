//! Builds the Wireshark plugin against the installed Wireshark's headers.
//!
//! The version comes from `pkg-config wireshark` (libwireshark-dev): the C shim is compiled
//! against exactly those headers, and the plugin declares exactly that major.minor, because
//! Wireshark refuses a plugin built for any other one. `TCPPROBE_WIRESHARK_PC` may name another
//! `wireshark.pc` directory (it becomes PKG_CONFIG_PATH) to build for another installation.
//!
//! Where there is no `wireshark.pc` (Wireshark for Windows ships none, nor headers), the layout is
//! given explicitly and pkg-config is not asked at all:
//! - `TCPPROBE_WIRESHARK_VERSION`: the full version the headers are (e.g. `4.4.9`);
//! - `TCPPROBE_WIRESHARK_INCLUDE`: the header directories (Wireshark's and glib's), separated as
//!   in PATH (`;` on Windows);
//! - `TCPPROBE_WIRESHARK_LIB_DIR`: where the import libraries are, and `TCPPROBE_WIRESHARK_LIBS`
//!   the libraries to link (comma-separated; default `wireshark`), e.g.
//!   `libwireshark,libwsutil,glib-2.0` for `.lib` files made from Wireshark's DLLs.
//!
//! On macOS the plugin leaves Wireshark's and glib's symbols to be resolved when Wireshark loads
//! it (`-undefined dynamic_lookup`), as it does on Linux; Windows needs the import libraries.

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

/// Where Wireshark's headers and libraries are, and which version they are.
struct Layout {
    version: String,
    include_dirs: Vec<PathBuf>,
    cflags: Vec<String>,
    lib_dirs: Vec<PathBuf>,
    libs: Vec<String>,
}

impl Layout {
    fn find() -> Layout {
        match env::var("TCPPROBE_WIRESHARK_VERSION") {
            Ok(version) => Layout::explicit(version),
            Err(_) => Layout::pkg_config(),
        }
    }

    /// `pkg-config wireshark` (Linux distributions, Homebrew, a prefix of one's own).
    fn pkg_config() -> Layout {
        let mut layout = Layout {
            version: pkg_config(&["--modversion"]),
            include_dirs: Vec::new(),
            cflags: Vec::new(),
            lib_dirs: Vec::new(),
            libs: Vec::new(),
        };
        for flag in pkg_config(&["--cflags"]).split_whitespace() {
            match flag.strip_prefix("-I") {
                Some(dir) => layout.include_dirs.push(dir.into()),
                None => layout.cflags.push(flag.to_string()),
            }
        }
        for flag in pkg_config(&["--libs"]).split_whitespace() {
            if let Some(lib) = flag.strip_prefix("-l") {
                layout.libs.push(lib.to_string());
            } else if let Some(dir) = flag.strip_prefix("-L") {
                layout.lib_dirs.push(dir.into());
            }
        }
        layout
    }

    /// The TCPPROBE_WIRESHARK_* variables (Wireshark for Windows: no .pc, no headers).
    fn explicit(version: String) -> Layout {
        let include = env::var_os("TCPPROBE_WIRESHARK_INCLUDE").unwrap_or_else(|| {
            panic!("tcpprobe: TCPPROBE_WIRESHARK_VERSION is set, so TCPPROBE_WIRESHARK_INCLUDE must name the header directories")
        });
        let libs = env::var("TCPPROBE_WIRESHARK_LIBS").unwrap_or_else(|_| "wireshark".to_string());
        Layout {
            version,
            include_dirs: env::split_paths(&include).collect(),
            cflags: Vec::new(),
            lib_dirs: env::var_os("TCPPROBE_WIRESHARK_LIB_DIR")
                .map(|d| env::split_paths(&d).collect())
                .unwrap_or_default(),
            libs: libs
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
        }
    }
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
    for var in [
        "TCPPROBE_WIRESHARK_PC",
        "PKG_CONFIG_PATH",
        "TCPPROBE_WIRESHARK_VERSION",
        "TCPPROBE_WIRESHARK_INCLUDE",
        "TCPPROBE_WIRESHARK_LIB_DIR",
        "TCPPROBE_WIRESHARK_LIBS",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let layout = Layout::find();
    let version = layout.version.clone();
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
    for dir in &layout.include_dirs {
        shim.include(dir);
    }
    for flag in &layout.cflags {
        shim.flag(flag);
    }
    shim.compile("tcpprobe_shim");

    // Link against libwireshark so the plugin records which library it needs (DT_NEEDED); the
    // symbols themselves are resolved from the Wireshark process that loads it.
    for dir in &layout.lib_dirs {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    for lib in &layout.libs {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        println!("cargo:rustc-cdylib-link-arg=-undefined");
        println!("cargo:rustc-cdylib-link-arg=dynamic_lookup");
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
