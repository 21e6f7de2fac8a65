#!/usr/bin/env bash
# Makes the release tarball of tcpprobe for the Wireshark it is built against.
#
#   plugin/package.sh OUTDIR              cargo build --release, then package
#   plugin/package.sh --lib FILE OUTDIR   package an already built libtcpprobe.so
#
# Writes OUTDIR/tcpprobe-<ver>-wireshark-<X.Y>-<os>-<arch>.tar.gz and, beside it, its .sha256.
# X.Y is the major.minor of `pkg-config wireshark` (the headers the plugin was built against): a
# plugin loads only into that major.minor. The tarball holds one directory of the same name with
#   tcpprobe.so    the plugin
#   install.sh     plugin/install.sh: `./install.sh --lib .` installs from the unpacked directory
#   INSTALL.md     the README's install section
#   BUILD-INFO     tcpprobe version, Wireshark X.Y and full version built against, build system,
#                  the newest glibc symbol version the plugin needs
#   profile/       the "tcpprobe" configuration profile (plugin/profile), which install.sh installs
#   SHA256SUMS     of every file above; install.sh checks it before installing
set -euo pipefail

die() { echo "package.sh: $*" >&2; exit 1; }

lib=
while [ $# -gt 0 ]; do
    case "$1" in
        --lib) [ $# -ge 2 ] || die "--lib needs a file"; lib=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" ;;
        *) break ;;
    esac
    shift
done
[ $# -eq 1 ] || die "usage: plugin/package.sh [--lib FILE] OUTDIR"
out=$1

repo=$(cd "$(dirname "$0")/.." && pwd)
command -v pkg-config >/dev/null || die "pkg-config is missing: apt-get install pkg-config"
ws_version=$(pkg-config --modversion wireshark 2>/dev/null) ||
    die "Wireshark's development files are missing: apt-get install libwireshark-dev"
major_minor=$(echo "$ws_version" | cut -d. -f1,2)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)
[ -n "$version" ] || die "no version in $repo/Cargo.toml"
os=$(uname -s | tr '[:upper:]' '[:lower:]')
arch=$(uname -m)
name="tcpprobe-$version-wireshark-$major_minor-$os-$arch"

if [ -z "$lib" ]; then
    command -v cargo >/dev/null || die "cargo is missing: install a Rust toolchain (rustup) first"
    echo "package.sh: building tcpprobe for Wireshark $ws_version (cargo build --release) ..."
    (cd "$repo" && cargo build --release --locked --quiet -p tcpprobe)
    lib="${CARGO_TARGET_DIR:-$repo/target}/release/libtcpprobe.so"
fi
[ -f "$lib" ] || die "no plugin library at $lib"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcpprobe-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dir=$tmp/$name
mkdir -p "$dir"
install -m 0644 "$lib" "$dir/tcpprobe.so"
install -m 0755 "$repo/plugin/install.sh" "$dir/install.sh"
# The README's install section: from its heading to the next one of the same level.
awk '/^## / { on = ($0 == "## Install, uninstall") } on' "$repo/README.md" >"$dir/INSTALL.md"
[ -s "$dir/INSTALL.md" ] || die "README.md has no '## Install, uninstall' section"
{
    echo "tcpprobe=$version"
    echo "wireshark=$major_minor"
    echo "built_against=$ws_version"
    echo "built_on=$( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || uname -sr) $arch"
    # The newest glibc symbol version it needs: a distribution with an older glibc cannot load it.
    if command -v objdump >/dev/null; then
        echo "needs_glibc=$(objdump -T "$lib" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -n 1)"
    fi
} >"$dir/BUILD-INFO"
[ -d "$repo/plugin/profile" ] || die "the profile is missing: $repo/plugin/profile"
cp -R "$repo/plugin/profile" "$dir/profile"
(cd "$dir" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort |
    xargs sha256sum >SHA256SUMS)

mkdir -p "$out"
tarball=$(cd "$out" && pwd)/$name.tar.gz
tar -C "$tmp" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@${SOURCE_DATE_EPOCH:-$(stat -c %Y "$repo/Cargo.toml")}" -cf - "$name" |
    gzip -n -9 >"$tarball"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "package.sh: $tarball ($(du -h "$tarball" | cut -f1)); $(cut -d' ' -f1 "$tarball.sha256")"
