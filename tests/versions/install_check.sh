#!/usr/bin/env bash
# tests/versions/install_check.sh TARBALL - installs a release tarball the way its INSTALL.md says
# and requires tshark to load it: checks the tarball against its .sha256, unpacks it, runs
# `./install.sh --lib .` in the unpacked directory (as root: into pkg-config's plugindir/epan),
# requires `tshark -G plugins` to list `tcpprobe.so <version> dissector <plugindir>/epan/tcpprobe.so`,
# then uninstalls it and requires it gone. tests/versions/run.sh runs it in each version's root,
# and on the host with a private copy of the global plugin folder mounted over the real one.
set -euo pipefail

[ $# -eq 1 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
tarball=$(readlink -f "$1")
fail() { echo "install_check.sh: ERROR: $*" >&2; exit 1; }

name=$(basename "$tarball" .tar.gz)
(cd "$(dirname "$tarball")" && sha256sum --check --quiet "$name.tar.gz.sha256") ||
    fail "$tarball does not match $name.tar.gz.sha256"
tmp=$(mktemp -d /tmp/tcpprobe-install-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xzf "$tarball"
dir=$tmp/$name
[ -d "$dir" ] || fail "$tarball does not unpack into $name/"
version=$(sed -n 's/^tcpprobe=//p' "$dir/BUILD-INFO")
plugindir=$(pkg-config --variable=plugindir wireshark)

[ "$(id -u)" -eq 0 ] || fail "run it as root (it installs for everyone)"
! tshark -G plugins 2>/dev/null | grep -q '^tcpprobe\.' || fail "tcpprobe is already installed here"
(cd "$dir" && ./install.sh --lib .)
line=$(tshark -G plugins 2>/dev/null | grep '^tcpprobe\.so' | tr -s '\t ' ' ') || true
expected="tcpprobe.so $version dissector $plugindir/epan/tcpprobe.so"
echo "install_check.sh: $name: tshark -G plugins: ${line:-(tcpprobe missing)}"
[ "$line" = "$expected" ] || fail "expected: $expected"
(cd "$dir" && ./install.sh --uninstall)
! tshark -G plugins 2>/dev/null | grep -q '^tcpprobe\.' || fail "still listed after --uninstall"
echo "install_check.sh: $name: installs, loads (tshark -G plugins) and uninstalls"
