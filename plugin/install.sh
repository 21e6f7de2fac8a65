#!/usr/bin/env bash
# Builds tcpprobe and installs it into the plugin folder of the installed Wireshark, or removes it.
#
#   plugin/install.sh               build (cargo build --release) and install
#   plugin/install.sh --lib FILE    install an already built libtcpprobe.so
#   plugin/install.sh --uninstall   remove it (and the profile) again
#
# As root it installs for everyone: $(pkg-config --variable=plugindir wireshark)/epan.
# As any other user: ~/.local/lib/wireshark/plugins/X.Y/epan (Wireshark's personal folder).
# With the plugin it installs the "tcpprobe" configuration profile (plugin/profile: colouring
# rules, columns, filter buttons, an I/O Graph preset): for everyone into the global profiles
# folder as root, into ~/.config/wireshark/profiles otherwise. Its colorfilters are tcpprobe's
# rules followed by the installed Wireshark's default ones.
# Wireshark aborts ("Duplicate protocol name") when it finds two copies, so this script refuses
# to add a personal copy beside a global one and warns about personal copies when installing
# globally.
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

mode=install
lib=
while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) mode=uninstall ;;
        --lib) [ $# -ge 2 ] || die "--lib needs a file"; lib=$2; shift ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done

command -v pkg-config >/dev/null || die "pkg-config is missing: apt-get install pkg-config"
version=$(pkg-config --modversion wireshark 2>/dev/null) ||
    die "Wireshark's development files are missing: apt-get install libwireshark-dev"
major_minor=$(echo "$version" | cut -d. -f1,2)
global_dir="$(pkg-config --variable=plugindir wireshark)/epan"
personal_dir="${HOME:?HOME is not set}/.local/lib/wireshark/plugins/$major_minor/epan"

if [ "$(id -u)" -eq 0 ]; then
    dest=$global_dir
else
    dest=$personal_dir
fi

# Wireshark's configuration folders, as tshark reports them (fallbacks for a machine without it).
folder() { # folder LABEL FALLBACK
    local f=
    command -v tshark >/dev/null && f=$(tshark -G folders 2>/dev/null | sed -n "s/^$1:[[:space:]]*//p" | head -1)
    echo "${f:-$2}"
}
global_conf=$(folder "Global configuration" "$(pkg-config --variable=prefix wireshark)/share/wireshark")
if [ "$(id -u)" -eq 0 ]; then
    profile_dest=$global_conf/profiles/tcpprobe
else
    profile_dest=$(folder "Personal configuration" "$HOME/.config/wireshark")/profiles/tcpprobe
fi
profile_src=$(cd "$(dirname "$0")" && pwd)/profile

if [ "$mode" = uninstall ]; then
    if [ -e "$dest/tcpprobe.so" ]; then
        rm -f "$dest/tcpprobe.so"
        echo "removed $dest/tcpprobe.so"
    else
        echo "tcpprobe is not installed in $dest; nothing to remove"
    fi
    if [ -d "$profile_dest" ]; then
        rm -rf "$profile_dest"
        echo "removed the tcpprobe profile $profile_dest"
    fi
    exit 0
fi

if [ "$dest" = "$personal_dir" ] && [ -e "$global_dir/tcpprobe.so" ]; then
    die "tcpprobe is already installed for everyone in $global_dir; a personal copy beside it
would make Wireshark abort with 'Duplicate protocol name'. Use the global one, or remove it
first (as root: plugin/install.sh --uninstall)."
fi

if [ -z "$lib" ]; then
    command -v cargo >/dev/null || die "cargo is missing: install a Rust toolchain (rustup) first"
    repo=$(cd "$(dirname "$0")/.." && pwd)
    echo "building tcpprobe for Wireshark $version (cargo build --release) ..."
    (cd "$repo" && cargo build --release --quiet)
    lib="${CARGO_TARGET_DIR:-$repo/target}/release/libtcpprobe.so"
fi
[ -f "$lib" ] || die "no plugin library at $lib"

install -d -m 0755 "$dest"
install -m 0644 "$lib" "$dest/tcpprobe.so"
echo "installed tcpprobe for Wireshark $major_minor into $dest/tcpprobe.so"

# The profile: tcpprobe's colouring rules first, so they win over Wireshark's "Bad TCP".
[ -d "$profile_src" ] || die "the profile is missing: $profile_src"
install -d -m 0755 "$profile_dest"
for f in preferences dfilter_buttons io_graphs; do
    install -m 0644 "$profile_src/$f" "$profile_dest/$f"
done
{
    cat "$profile_src/colorfilters"
    if [ -f "$global_conf/colorfilters" ]; then grep -v "^#" "$global_conf/colorfilters" || true; fi
} > "$profile_dest/colorfilters"
chmod 0644 "$profile_dest/colorfilters"
echo "installed the tcpprobe profile into $profile_dest (Edit > Configuration Profiles, or the status bar)"

if [ "$dest" = "$global_dir" ]; then
    for copy in /home/*/.local/lib/wireshark/plugins/"$major_minor"/epan/tcpprobe.so; do
        [ -e "$copy" ] && echo "warning: personal copy $copy makes Wireshark abort for its owner" \
            "('Duplicate protocol name'); remove it" >&2
    done
fi

if command -v tshark >/dev/null; then
    if tshark -G plugins 2>/dev/null | grep -q '^tcpprobe\.so'; then
        echo "tshark -G plugins: $(tshark -G plugins 2>/dev/null | grep '^tcpprobe\.so' | tr -s '\t ' ' ')"
    else
        die "installed, but tshark does not list it (tshark -G plugins); was it built for Wireshark $major_minor?"
    fi
fi
