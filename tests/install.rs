//! plugin/install.sh for a normal user: installs into Wireshark's personal plugin folder, which
//! tshark then lists, with the "tcpprobe" profile whose colouring rules tshark applies; refuses a
//! personal copy beside a global one (Wireshark would abort with "Duplicate protocol name");
//! uninstalls both.
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
    // The profile it installs lives beside it (plugin/profile), as in the repository.
    let profile_src = root.join("profile");
    fs::create_dir_all(&profile_src).unwrap();
    for entry in fs::read_dir(repo().join("plugin/profile")).unwrap() {
        let path = entry.unwrap().path();
        let dest = profile_src.join(path.file_name().unwrap());
        fs::copy(&path, &dest).unwrap();
        make_readable(&dest);
    }
    make_readable(&profile_src);
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

    // The profile: tcpprobe's colouring rules before Wireshark's defaults, applied by tshark.
    let profile = root.join("home/.config/wireshark/profiles/tcpprobe");
    for f in [
        "colorfilters",
        "preferences",
        "dfilter_buttons",
        "io_graphs",
    ] {
        assert!(profile.join(f).exists(), "profile lacks {f}:\n{text}");
    }
    let rules = fs::read_to_string(profile.join("colorfilters")).unwrap();
    let ours = rules
        .find("tcpprobe.zero_window_probe")
        .expect("no tcpprobe rule");
    let bad_tcp = rules
        .find("@Bad TCP@")
        .expect("Wireshark's default rules are missing");
    assert!(ours < bad_tcp, "tcpprobe's rules must come first:\n{rules}");
    let capture = env.stage(&bundled_kernel_dir().join("persist_v4.pcap"));
    let colours = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "-r",
            capture.to_str().unwrap(),
            "-2",
            "--color",
            "-T",
            "psml",
        ];
        args.extend_from_slice(extra);
        env.run(&args)
            .lines()
            .filter(|l| l.starts_with("<packet"))
            .map(str::to_string)
            .collect()
    };
    // Frames 8, 10, 11 and 13 are the kernel's persist probes, 9, 12 and 14 their ACKs.
    let amber = "background='#ffc440'";
    let with_profile = colours(&["-C", "tcpprobe"]);
    for frame in [8, 9, 10, 11, 12, 13, 14] {
        assert!(
            with_profile[frame - 1].contains(amber),
            "frame {frame} not coloured as a stall: {}",
            with_profile[frame - 1]
        );
    }
    assert!(
        !colours(&[]).iter().any(|l| l.contains(amber)),
        "the default profile must not have tcpprobe's colours"
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
    assert!(!profile.exists(), "profile still there after --uninstall");
    let plugins = env.run(&["-G", "plugins"]);
    assert!(
        !plugins.contains("tcpprobe"),
        "still listed after --uninstall:\n{plugins}"
    );
}
