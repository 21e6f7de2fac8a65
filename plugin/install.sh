#!/usr/bin/env bash
# Builds tcpprobe and installs it into the plugin folder of the installed Wireshark, or removes it.
#
#   plugin/install.sh               build (cargo build --release) and install
#   plugin/install.sh --lib FILE    install an already built plugin (.so, .dylib or .dll)
#   plugin/install.sh --lib DIR     install from an unpacked release tarball (./install.sh --lib .)
#   plugin/install.sh --uninstall   remove it (and the profile) again
#
# As root it installs for everyone: $(pkg-config --variable=plugindir wireshark)/epan.
# As any other user: Wireshark's personal folder, ~/.local/lib/wireshark/plugins/X.Y/epan
# (macOS: .../plugins/X-Y/epan; Windows, in Git Bash: %APPDATA%\Wireshark\plugins\X.Y\epan).
# Without pkg-config (a release tarball on a machine with tshark only) the version and folders
# come from tshark. With the plugin it installs the "tcpprobe" configuration profile
# (plugin/profile, or profile/ in a tarball: colouring rules, columns, filter buttons, an I/O Graph
# preset): for everyone into the global profiles folder as root, into the personal configuration
# folder's profiles otherwise. Its colorfilters are tcpprobe's rules followed by the installed
# Wireshark's default ones. Wireshark aborts ("Duplicate protocol name") when it finds two copies, so
# this script refuses to add a personal copy beside a global one and warns about personal copies
# when installing globally.
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

mode=install
lib=
while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) mode=uninstall ;;
        --lib) [ $# -ge 2 ] || die "--lib needs a file or an unpacked release directory"; lib=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done

# Where this platform's Wireshark looks for plugins, and what it calls them.
case "$(uname -s)" in
    Darwin) platform=macos ;;
    MINGW* | MSYS* | CYGWIN*) platform=windows ;;
    *) platform=linux ;;
esac
plugin_file=tcpprobe.so # Wireshark loads *.so on Linux and macOS (glib's module suffix there)
[ "$platform" != windows ] || plugin_file=tcpprobe.dll

# The Wireshark version and folders: pkg-config (the headers a build uses) when building or when
# it knows Wireshark, else the installed tshark (what a release tarball is installed into, and
# uninstalled from).
tshark_folder() { # tshark_folder LABEL: a line of tshark -G folders
    tshark -G folders 2>/dev/null | awk -F '\t' -v l="$1:" 'index($1, l) == 1 { print $2; exit }'
}
global_dir=
personal_dir=
if { [ "$mode" = install ] && [ -z "$lib" ]; } ||
    { command -v pkg-config >/dev/null && pkg-config --exists wireshark 2>/dev/null; }; then
    command -v pkg-config >/dev/null || die "pkg-config is missing: apt-get install pkg-config"
    version=$(pkg-config --modversion wireshark 2>/dev/null) ||
        die "Wireshark's development files are missing: apt-get install libwireshark-dev"
    global_dir="$(pkg-config --variable=plugindir wireshark)/epan"
elif command -v tshark >/dev/null; then
    version=$(tshark --version 2>/dev/null | head -n 1 | sed -n 's/.*(Wireshark) \([0-9][0-9.]*\).*/\1/p')
    [ -n "$version" ] || die "cannot read Wireshark's version from tshark --version"
    d=$(tshark_folder "Global Plugins")
    [ -z "$d" ] || global_dir=$d/epan
    d=$(tshark_folder "Personal Plugins")
    [ -z "$d" ] || personal_dir=$d/epan
else
    die "neither pkg-config's Wireshark nor tshark is installed: install Wireshark (tshark) first"
fi
major_minor=$(echo "$version" | cut -d. -f1,2)
if [ -z "$personal_dir" ]; then
    case "$platform" in
        macos) personal_dir="${HOME:?HOME is not set}/.local/lib/wireshark/plugins/${major_minor/./-}/epan" ;;
        windows) personal_dir="$(cygpath -u "${APPDATA:?APPDATA is not set}")/Wireshark/plugins/$major_minor/epan" ;;
        *) personal_dir="${HOME:?HOME is not set}/.local/lib/wireshark/plugins/$major_minor/epan" ;;
    esac
fi

if [ "$(id -u)" -eq 0 ] && [ -n "$global_dir" ]; then
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
global_conf=$(folder "Global configuration" "$(pkg-config --variable=prefix wireshark 2>/dev/null || echo /usr)/share/wireshark")
if [ "$(id -u)" -eq 0 ]; then
    profile_dest=$global_conf/profiles/tcpprobe
else
    profile_dest=$(folder "Personal configuration" "$HOME/.config/wireshark")/profiles/tcpprobe
fi
profile_src=$(cd "$(dirname "$0")" && pwd)/profile

if [ "$mode" = uninstall ]; then
    if [ -e "$dest/$plugin_file" ]; then
        rm -f "$dest/$plugin_file"
        echo "removed $dest/$plugin_file"
    else
        echo "tcpprobe is not installed in $dest; nothing to remove"
    fi
    if [ -d "$profile_dest" ]; then
        rm -rf "$profile_dest"
        echo "removed the tcpprobe profile $profile_dest"
    fi
    exit 0
fi

if [ "$dest" = "$personal_dir" ] && [ -n "$global_dir" ] && [ -e "$global_dir/$plugin_file" ]; then
    die "tcpprobe is already installed for everyone in $global_dir; a personal copy beside it
would make Wireshark abort with 'Duplicate protocol name'. Use the global one, or remove it
first (as root: plugin/install.sh --uninstall)."
fi

if [ -z "$lib" ]; then
    command -v cargo >/dev/null || die "cargo is missing: install a Rust toolchain (rustup) first"
    repo=$(cd "$(dirname "$0")/.." && pwd)
    echo "building tcpprobe for Wireshark $version (cargo build --release) ..."
    (cd "$repo" && cargo build --release --quiet)
    target="${CARGO_TARGET_DIR:-$repo/target}/release"
    case "$platform" in
        macos) lib=$target/libtcpprobe.dylib ;;
        windows) lib=$target/tcpprobe.dll ;;
        *) lib=$target/libtcpprobe.so ;;
    esac
elif [ -d "$lib" ]; then
    # An unpacked release tarball: check it is whole and made for this Wireshark.
    for f in "$plugin_file" SHA256SUMS BUILD-INFO; do
        [ -f "$lib/$f" ] || die "$lib is not an unpacked tcpprobe release (no $f in it)"
    done
    if command -v sha256sum >/dev/null; then
        (cd "$lib" && sha256sum --check --quiet SHA256SUMS) || die "$lib: SHA256SUMS does not match its files"
    else
        (cd "$lib" && shasum -a 256 --check --quiet SHA256SUMS) || die "$lib: SHA256SUMS does not match its files"
    fi
    built_for=$(sed -n 's/^wireshark=//p' "$lib/BUILD-INFO")
    [ "$built_for" = "$major_minor" ] ||
        die "$lib was built for Wireshark $built_for, and this Wireshark is $version: a plugin loads only
into the major.minor it was built for; take the tarball named wireshark-$major_minor"
    lib=$lib/$plugin_file
fi
[ -f "$lib" ] || die "no plugin library at $lib"

install -d -m 0755 "$dest"
install -m 0644 "$lib" "$dest/$plugin_file"
echo "installed tcpprobe for Wireshark $major_minor into $dest/$plugin_file"

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
    for copy in /home/*/.local/lib/wireshark/plugins/"$major_minor"/epan/"$plugin_file"; do
        [ -e "$copy" ] && echo "warning: personal copy $copy makes Wireshark abort for its owner" \
            "('Duplicate protocol name'); remove it" >&2
    done
fi

if command -v tshark >/dev/null; then
    if tshark -G plugins 2>/dev/null | grep -q "^tcpprobe\."; then
        echo "tshark -G plugins: $(tshark -G plugins 2>/dev/null | grep "^tcpprobe\." | tr -s '\t ' ' ')"
    else
        die "installed, but tshark does not list it (tshark -G plugins); was it built for Wireshark $major_minor?"
    fi
fi
