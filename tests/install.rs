//! plugin/install.sh for a normal user: installs into Wireshark's personal plugin folder, which
//! tshark then lists; refuses a personal copy beside a global one (Wireshark would abort with
//! "Duplicate protocol name"); uninstalls.
//!
//! It runs as `nobody` when the tests run as root (root installs globally, into the real system
//! folder, which a test must not touch). The global folder is redirected into the test's temp
//! folder by a pkg-config wrapper that changes only `--variable=plugindir`.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

#[test]
fn personal_install_listed_by_tshark_refuses_duplicates_and_uninstalls() {
    // No plugin in WIRESHARK_PLUGIN_DIR: only the personal folder can provide tcpprobe.
    let env = Tshark::without_plugin();
    let root = env.dir.path();
    let lib = env.stage(&built_plugin());
    let global = root.join("global");
    let bin = root.join("bin");
    fs::create_dir_all(global.join("epan")).unwrap();
    fs::create_dir_all(&bin).unwrap();
    for d in [&global, &global.join("epan"), &bin] {
        make_readable(d);
    }
    let wrapper = bin.join("pkg-config");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = --variable=plugindir ] && {{ echo '{}'; exit 0; }}; done\nexec /usr/bin/pkg-config \"$@\"\n",
            global.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();

    let script = env.stage(&repo().join("plugin/install.sh"));
    let run = |args: &[&str]| {
        let out = env
            .command("bash")
            .arg(&script)
            .args(args)
            .env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
            )
            .output()
            .expect("run install.sh");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let personal = root
        .join("home/.local/lib/wireshark/plugins")
        .join(WIRESHARK_VERSION)
        .join("epan/tcpprobe.so");

    let (ok, text) = run(&["--lib", lib.to_str().unwrap()]);
    assert!(ok, "install failed:\n{text}");
    assert!(
        personal.exists(),
        "not installed at {}:\n{text}",
        personal.display()
    );
    assert!(
        text.contains(personal.to_str().unwrap()),
        "does not say where it went:\n{text}"
    );
    let plugins = env.run(&["-G", "plugins"]);
    assert!(
        plugins
            .lines()
            .any(|l| l.starts_with("tcpprobe.so") && l.contains(personal.to_str().unwrap())),
        "tshark -G plugins does not list the personal copy:\n{plugins}"
    );

    // A global copy appears: a second, personal copy must be refused.
    fs::copy(&lib, global.join("epan/tcpprobe.so")).unwrap();
    let (ok, text) = run(&["--lib", lib.to_str().unwrap()]);
    assert!(!ok, "installed a duplicate:\n{text}");
    assert!(
        text.contains("Duplicate protocol name"),
        "unclear refusal:\n{text}"
    );
    fs::remove_file(global.join("epan/tcpprobe.so")).unwrap();

    let (ok, text) = run(&["--uninstall"]);
    assert!(ok, "uninstall failed:\n{text}");
    assert!(!personal.exists(), "still installed after --uninstall");
    let plugins = env.run(&["-G", "plugins"]);
    assert!(
        !plugins.contains("tcpprobe"),
        "still listed after --uninstall:\n{plugins}"
    );
}
