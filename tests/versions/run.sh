#!/usr/bin/env bash
# tests/versions/run.sh - builds tcpprobe against Debian's Wireshark 3.4 (bullseye), 4.4 (trixie)
# and 4.6 (sid) and runs the integration tests there, each in a Debian root of its own (chroot).
#
#   tests/versions/run.sh [--rebuild] [--no-host] [--release DIR] [--release-only] [VERSION ...]
#                                                   VERSION: 3.4, 4.4, 4.6 (default all)
#   tests/versions/run.sh --shell VERSION                          a shell in that root, repo mounted
#   tests/versions/run.sh --help
#
# Runs as root on a Debian machine (Debian 12 here) with debootstrap (apt-get install debootstrap)
# and the host's Rust toolchain (rustup: $RUSTUP_HOME or ~/.rustup, $CARGO_HOME or ~/.cargo).
# For each version it
#   1. makes (first run) or reuses (later runs) a root: debootstrap --variant=minbase, then
#      Debian's tshark, libwireshark-dev, libglib2.0-dev, libclang-dev, pkg-config, gcc, python3,
#      tcpdump, iproute2: about 250 MB to download, 1.7 GB on disk with its build, under a minute
#      each with a fast mirror (40-50 s measured). Bullseye's is the suite's own 3.4.10 (RHEL 9's
#      version too), not bullseye-security's 3.4.16, whose -dev packages the archive does not
#      serve (404); a plugin built for 3.4 loads into every 3.4.x. A root is reused only when its stamp file
#      (written last) says it is complete and has this package list; anything else there is
#      deleted and made again. --rebuild remakes them (sid moves on: rebuild now and then).
#   2. mounts /proc, /sys, a /dev/shm, the repository (read-only), ../shared beside it (read-only,
#      the tests read ../shared/captures), and the host's rustup and cargo homes; cargo builds into
#      the root's own /build/target-<checkout>, so 3.4, 4.0, 4.4 and 4.6 artefacts never mix, nor
#      those of two checkouts sharing a root: cargo judges freshness by mtimes, and another
#      checkout's newer build would pass for this one's (and end up in its release tarball).
#   3. checks that pkg-config's plugindir is the folder tshark scans (tshark -G folders), builds and
#      installs the plugin with plugin/install.sh, checks that tshark -G plugins lists tcpprobe with
#      its version in plugins/X.Y/epan, uninstalls it, and runs the integration tests:
#      cargo test --test kernel_captures --test episodes --test shared_captures --test dissection_modes --test registration
#      --test install --test statistics --test regenerate --test oracle (regenerate makes fresh kernel captures in network
#      namespaces inside the root: the root is bind-mounted onto itself so `ip netns exec` can
#      remount /).
#   4. makes the release tarball (plugin/package.sh) and installs it as its INSTALL.md says
#      (tests/versions/install_check.sh: ./install.sh --lib . in the unpacked tarball; tshark -G
#      plugins must list it; uninstalls it), and copies it and its .sha256 out of the root into
#      --release DIR (default $TCPPROBE_ROOTS_DIR/release).
#   5. writes tcpprobe's verdicts on every capture (bundled kernel ones and ../shared/captures),
#      single-pass and -2, to $TCPPROBE_ROOTS_DIR/verdicts-X.Y.tsv, makes the same table with the
#      host's Wireshark (unless --no-host), and fails unless all tables are identical: Wireshark's
#      own labels differ between versions, tcpprobe's verdicts must not. The host's plugin is
#      packaged and install-checked too, with a private copy of the host's global plugin folder
#      mounted over the real one: the machine's Wireshark never sees it.
# --release-only: steps 1-4 without the integration tests and verdicts (tests/versions/release.sh).
# Every mount lives in a private mount namespace (unshare) and is unmounted on exit, failure and
# interrupt included; a root is never deleted while anything is mounted inside it.
#
# Environment:
#   TCPPROBE_ROOTS_DIR      where the roots are kept (default /var/cache/tcpprobe/roots)
#   TCPPROBE_DEBIAN_MIRROR  Debian mirror for debootstrap (default: the host's apt source for
#                           Debian, else debootstrap's own default)
set -euo pipefail

script=$(readlink -f "$0")
repo=$(cd "$(dirname "$script")/../.." && pwd)
shared=$(cd "$repo/.." && pwd)/shared
roots_dir=${TCPPROBE_ROOTS_DIR:-/var/cache/tcpprobe/roots}
packages="tshark libwireshark-dev libglib2.0-dev libclang-dev pkg-config gcc libc6-dev python3 tcpdump iproute2 util-linux ca-certificates"
stamp_name=.tcpprobe-root-complete
root_format=1

say() { echo "== versions: $*"; }
die() {
    echo "tests/versions/run.sh: ERROR: $*" >&2
    exit 1
}
usage() { sed -n '2,/^set -euo/p' "$script" | sed '$d' | sed 's/^# \{0,1\}//'; }

suite_of() {
    case "$1" in
        3.4) echo bullseye ;;
        4.4) echo trixie ;;
        4.6) echo sid ;;
        *) die "unknown Wireshark version '$1': this script knows 3.4 (Debian bullseye), 4.4 (Debian trixie) and 4.6 (Debian sid)" ;;
    esac
}

# ---- arguments ----
args=("$@")
rebuild=0
with_host=1
release_only=0
release_dir=
shell_version=
versions=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --rebuild) rebuild=1 ;;
        --no-host) with_host=0 ;;
        --release-only) release_only=1 ;;
        --release)
            [ $# -ge 2 ] || die "--release needs a directory"
            release_dir=$2
            shift
            ;;
        --shell)
            [ $# -ge 2 ] || die "--shell needs a version (3.4, 4.4 or 4.6)"
            shell_version=$2
            shift
            ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) versions+=("$1") ;;
    esac
    shift
done
[ ${#versions[@]} -gt 0 ] || versions=(3.4 4.4 4.6)
[ -z "$shell_version" ] || versions=("$shell_version")
for v in "${versions[@]}"; do suite_of "$v" >/dev/null; done

# ---- what the host must have ----
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mounts need it): sudo $0 ${args[*]-}"
for tool in debootstrap:debootstrap chroot:coreutils unshare:util-linux mount:mount \
    umount:mount flock:util-linux; do
    command -v "${tool%%:*}" >/dev/null ||
        die "${tool%%:*} is missing: apt-get install -y ${tool#*:}"
done
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
if [ ! -x "$cargo_home/bin/cargo" ] || [ ! -d "$rustup_home/toolchains" ]; then
    die "no rustup toolchain at $rustup_home with cargo in $cargo_home/bin (set RUSTUP_HOME/CARGO_HOME)"
fi
# Every crate the builds and tests need, fetched on the host (whose certificate store reaches the
# registry); the roots share this cargo home and build offline.
(cd "$repo" && cargo fetch --locked --quiet) || die "cargo fetch on the host failed"
[ -f "$shared/captures/MANIFEST.tsv" ] ||
    die "$shared/captures is missing: the tests read ../shared/captures beside the repository"
case "$roots_dir" in
    /*) ;;
    *) die "TCPPROBE_ROOTS_DIR must be an absolute path, not '$roots_dir'" ;;
esac
case "$roots_dir" in
    *[[:space:]\\]*) die "TCPPROBE_ROOTS_DIR must not contain spaces or backslashes: '$roots_dir'" ;;
esac

# Every mount below is made in a private mount namespace: none is visible to, or left behind in,
# the rest of the machine, even if this script is killed.
if [ "${TCPPROBE_VERSIONS_NS:-}" != "$(readlink /proc/self/ns/mnt)" ]; then
    # shellcheck disable=SC2016 # expanded by the inner bash, in the new namespace
    exec unshare --mount --propagation private "$BASH" -c \
        'export TCPPROBE_VERSIONS_NS=$(readlink /proc/self/ns/mnt); exec "$0" "$@"' "$script" ${args[@]+"${args[@]}"}
fi

mkdir -p "$roots_dir"
# This checkout's build directory inside every root (see 2. above).
target_dir=/build/target-$(printf '%s' "$repo" | sha256sum | cut -c1-12)
release_dir=${release_dir:-$roots_dir/release}
mkdir -p "$release_dir"
release_dir=$(cd "$release_dir" && pwd)

# ---- mounts ----
mounts_under() { # mount points at or below $1, deepest (latest) first
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | tac
}

unmount_under() {
    local dir=$1 m
    for m in $(mounts_under "$dir"); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    if [ -n "$(mounts_under "$dir")" ]; then
        echo "tests/versions/run.sh: ERROR: still mounted below $dir:" >&2
        mounts_under "$dir" >&2
        return 1
    fi
}

active_root=
release_root() { # unmounts everything below the active root, says so
    unmount_under "$active_root" || die "could not unmount below $active_root"
    say "unmounted everything below $active_root"
    active_root=
}

cleanup() {
    local status=$?
    if [ -n "$active_root" ]; then
        if unmount_under "$active_root"; then
            say "unmounted everything below $active_root"
        else
            status=1
        fi
        active_root=
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'echo "tests/versions/run.sh: interrupted" >&2; exit 130' INT TERM HUP

bind() { # bind SRC DEST [ro]
    mkdir -p "$2"
    mount --bind "$1" "$2"
    [ "${3:-}" != ro ] || mount -o remount,bind,ro "$2"
}

mount_root() {
    local root=$1
    active_root=$root
    # The root must be a mount point of its own: `ip netns exec` remounts / inside it.
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mkdir -p "$root/dev/shm"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
}

mount_work() {
    local root=$1
    bind "$repo" "$root/work/repo" ro
    bind "$shared" "$root/work/shared" ro
    bind "$rustup_home" "$root/root/.rustup" ro
    bind "$cargo_home" "$root/root/.cargo"
}

# ---- roots ----
remove_root() {
    local root=$1 d
    [ -e "$root" ] || return 0
    unmount_under "$root" || die "refusing to delete $root while something is mounted below it"
    # Never delete a repository or toolchain through a bind mount left by another process.
    for d in work/repo work/shared root/.rustup root/.cargo; do
        if [ -d "$root/$d" ] && [ -n "$(ls -A "$root/$d" 2>/dev/null)" ]; then
            die "refusing to delete $root: $root/$d is not empty (a bind mount from another namespace?); check and remove it by hand"
        fi
    done
    rm -rf --one-file-system "$root"
}

host_mirror() {
    if [ -n "${TCPPROBE_DEBIAN_MIRROR:-}" ]; then
        echo "$TCPPROBE_DEBIAN_MIRROR"
        return
    fi
    # The host's own Debian source (deb822 or one-line format), not its security archive.
    {
        awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' /etc/apt/sources.list.d/*.sources 2>/dev/null
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
    } | grep -E '/debian/?$' | grep -v security | head -n 1 || true
}

stamp_text() { printf 'format=%s\nsuite=%s\npackages=%s\n' "$root_format" "$1" "$packages"; }

in_root() { # in_root ROOT VERSION SCRIPT: runs SCRIPT with bash in a clean environment
    chroot "$1" /usr/bin/env -i HOME=/root USER=root LOGNAME=root LC_ALL=C.UTF-8 \
        PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        RUSTUP_HOME=/root/.rustup CARGO_HOME=/root/.cargo CARGO_TARGET_DIR="$target_dir" \
        CARGO_TERM_COLOR=never CARGO_NET_OFFLINE=true DEBIAN_FRONTEND=noninteractive TCPPROBE_EXPECT="$2" \
        TCPPROBE_RELEASE_ONLY="$release_only" \
        /bin/bash -euo pipefail -c "$3"
}

fail_setup() { # fail_setup WHAT LOG
    echo "tests/versions/run.sh: ERROR: $1 failed; the last lines of $2:" >&2
    tail -n 15 "$2" | sed 's/^/    /' >&2
    if grep -qiE "Failed getting release file|Couldn't download|Could not resolve|Temporary failure|Failed to fetch|Connection (refused|timed out)|Unable to connect|Network is unreachable|No route to host" "$2"; then
        echo "tests/versions/run.sh: this is a download failure: the network or the Debian mirror is unreachable; try again, or set TCPPROBE_DEBIAN_MIRROR" >&2
    fi
    exit 1
}

prepare_root() { # prepare_root VERSION SUITE ROOT
    local version=$1 suite=$2 root=$3 started=$SECONDS
    local stamp=$root/$stamp_name log=$roots_dir/$suite.log
    if [ "$rebuild" -eq 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(stamp_text "$suite")" ]; then
        say "$version: reusing the complete Debian $suite root $root (made $(date -r "$stamp" '+%F %T'); --rebuild remakes it)"
        return
    fi
    if [ -e "$root" ]; then
        if [ "$rebuild" -eq 1 ]; then
            say "$version: --rebuild: deleting the Debian $suite root $root"
        elif [ -f "$stamp" ]; then
            say "$version: the root $root was made for another package list; deleting it"
        else
            say "$version: $root has no completion stamp (an interrupted setup?); deleting it"
        fi
        remove_root "$root"
    fi
    local avail_kb
    avail_kb=$(df -Pk "$roots_dir" | awk 'NR == 2 { print $4 }')
    [ "$avail_kb" -ge $((3 * 1024 * 1024)) ] ||
        die "only $((avail_kb / 1024)) MB free in $roots_dir; a root needs about 2 GB with its build (set TCPPROBE_ROOTS_DIR)"

    local mirror
    mirror=$(host_mirror)
    say "$version: making a Debian $suite root in $root (debootstrap --variant=minbase${mirror:+ from $mirror}); log: $log"
    say "$version: this downloads about 250 MB: under a minute with a fast mirror, longer on a slow one"
    : >"$log"
    active_root=$root # debootstrap mounts /proc and /sys in it; a failure may leave them
    # shellcheck disable=SC2086 # $mirror is one word or empty
    debootstrap --variant=minbase "$suite" "$root" $mirror >>"$log" 2>&1 ||
        fail_setup "debootstrap of Debian $suite" "$log"
    say "$version: base system ready after $((SECONDS - started)) s; installing: $packages"
    # A copy, never through a symbolic link that could point out of the root.
    rm -f "$root/etc/resolv.conf"
    cat /etc/resolv.conf >"$root/etc/resolv.conf"
    # No service may start inside the root.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    mount_root "$root"
    in_root "$root" "$version" "
        apt-get -q -o Acquire::Check-Valid-Until=false update
        apt-get install -y -q --no-install-recommends $packages
        apt-get clean" >>"$log" 2>&1 || fail_setup "installing packages in the $suite root" "$log"
    in_root "$root" "$version" '
        command -v tshark && command -v setpriv && command -v tcpdump && command -v ip
        getent passwd nobody
        pkg-config --modversion wireshark' >>"$log" 2>&1 ||
        fail_setup "checking the $suite root (tshark, setpriv, tcpdump, ip, user nobody, pkg-config wireshark)" "$log"
    release_root
    stamp_text "$suite" >"$stamp"
    say "$version: root complete after $((SECONDS - started)) s ($(du -sh "$root" | cut -f1))"
}

# What runs inside a root: build, install, check, uninstall, test, dump verdicts.
# shellcheck disable=SC2016 # expanded inside the root
inner_test='
cd /work/repo
version=$(pkg-config --modversion wireshark)
echo "== in root: $(. /etc/os-release && echo "$PRETTY_NAME"), $(tshark --version | head -n 1)"
case "$version" in
    "$TCPPROBE_EXPECT".*) ;;
    *) echo "ERROR: this root has Wireshark $version, not $TCPPROBE_EXPECT: Debian moved on;" \
         "support the new version (plugin/ws_compat.h, README) and map it in tests/versions/run.sh" >&2
       exit 1 ;;
esac
plugindir=$(pkg-config --variable=plugindir wireshark)
scanned=$(tshark -G folders 2>/dev/null | awk -F "\t" "/^Global Plugins:/ { print \$2 }")
echo "== pkg-config plugindir: $plugindir; tshark -G folders, Global Plugins: $scanned"
[ "$plugindir" = "$scanned" ] || { echo "ERROR: pkg-config plugindir is not the folder tshark scans" >&2; exit 1; }
case "$plugindir" in
    */plugins/"$TCPPROBE_EXPECT") ;;
    *) echo "ERROR: plugindir $plugindir does not end in plugins/$TCPPROBE_EXPECT" >&2; exit 1 ;;
esac

echo "== plugin/install.sh (cargo build --release, install for everyone in this root)"
plugin/install.sh
crate_version=$(sed -n "s/^version = \"\(.*\)\"/\1/p" Cargo.toml | head -n 1)
line=$(tshark -G plugins 2>/dev/null | grep "^tcpprobe\.so" | tr -s "\t " " ") || true
echo "== tshark -G plugins: ${line:-(tcpprobe missing)}"
[ "$line" = "tcpprobe.so $crate_version dissector $plugindir/epan/tcpprobe.so" ] ||
    { echo "ERROR: expected: tcpprobe.so $crate_version dissector $plugindir/epan/tcpprobe.so" >&2; exit 1; }
plugin/install.sh --uninstall
! tshark -G plugins 2>/dev/null | grep -q tcpprobe || { echo "ERROR: still listed after --uninstall" >&2; exit 1; }

if [ "$TCPPROBE_RELEASE_ONLY" = 0 ]; then
echo "== cargo test (integration tests against this Wireshark)"
cargo test --locked --no-fail-fast --test kernel_captures --test episodes --test shared_captures --test dissection_modes \
    --test registration --test install --test statistics --test regenerate --test oracle

echo "== tcpprobe verdicts on every capture"
tests/versions/verdicts.sh "$CARGO_TARGET_DIR/release/libtcpprobe.so" /build/verdicts.tsv
fi

echo "== release tarball (plugin/package.sh), installed from the unpacked tarball"
rm -rf /build/release
plugin/package.sh --lib "$CARGO_TARGET_DIR/release/libtcpprobe.so" /build/release
tests/versions/install_check.sh /build/release/*.tar.gz
'

run_version() { # run_version VERSION
    local version=$1 suite root started=$SECONDS
    suite=$(suite_of "$version")
    root=$roots_dir/$suite
    exec 9>"$roots_dir/.$suite.lock"
    if ! flock -n 9; then
        say "$version: another run is using $root; waiting for it"
        flock 9
    fi
    prepare_root "$version" "$suite" "$root"
    mount_root "$root"
    mount_work "$root"
    mkdir -p "$root/build"
    if [ -n "$shell_version" ]; then
        say "$version: shell in $root (repository at /work/repo, read-only; exit to unmount)"
        chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LC_ALL=C.UTF-8 \
            PATH=/root/.cargo/bin:/usr/sbin:/usr/bin:/sbin:/bin RUSTUP_HOME=/root/.rustup \
            CARGO_HOME=/root/.cargo CARGO_TARGET_DIR="$target_dir" /bin/bash -c 'cd /work/repo && exec bash -i' || true
    else
        say "$version: building and testing in $root (about 1 minute for a cold build, 3 for the tests)"
        local status=0
        in_root "$root" "$version" "$inner_test" || status=$?
        [ "$status" -eq 0 ] || die "Wireshark $version (Debian $suite): build, install or tests FAILED (exit $status); see above"
        [ "$release_only" = 1 ] || cp "$root/build/verdicts.tsv" "$roots_dir/verdicts-$version.tsv"
        cp "$root"/build/release/*.tar.gz "$root"/build/release/*.tar.gz.sha256 "$release_dir/"
        say "$version: release tarball $(cd "$root/build/release" && ls -- *.tar.gz) in $release_dir"
        if [ "$release_only" = 1 ]; then
            say "$version: PASSED in $((SECONDS - started)) s: build, install.sh, tshark -G plugins, release tarball installed"
        else
            say "$version: PASSED in $((SECONDS - started)) s: build, install.sh, tshark -G plugins, integration tests, release tarball installed"
        fi
    fi
    release_root
    exec 9>&-
}

total_started=$SECONDS
for version in "${versions[@]}"; do
    run_version "$version"
done
[ -z "$shell_version" ] || exit 0

# ---- the host's release tarball ----
# As root, install_check.sh installs into the host's global plugin folder: here that folder is a
# private copy mounted over the real one, in this script's own mount namespace, so neither the
# machine's Wireshark nor anyone else's run sees the plugin come and go.
host_release() {
    local started=$SECONDS global scratch
    host_version=$(pkg-config --modversion wireshark 2>/dev/null) ||
        die "no Wireshark development files on the host to build with (plugin/setup.sh installs them), or use --no-host"
    host_version=$(echo "$host_version" | cut -d. -f1,2)
    say "host Wireshark $host_version: building the plugin on the host (cargo build --release)"
    (cd "$repo" && cargo build --release --locked --quiet)
    host_so=${CARGO_TARGET_DIR:-$repo/target}/release/libtcpprobe.so
    scratch=$(mktemp -d /tmp/tcpprobe-host-release.XXXXXX)
    (cd "$repo" && plugin/package.sh --lib "$host_so" "$scratch/release")
    global="$(pkg-config --variable=plugindir wireshark)/epan"
    mkdir -p "$scratch/epan"
    cp -a "$global/." "$scratch/epan/"
    rm -f "$scratch/epan/tcpprobe.so" # a copy plugin/setup.sh installed would be the one listed
    mount --bind "$scratch/epan" "$global"
    local status=0
    (cd "$repo" && tests/versions/install_check.sh "$scratch"/release/*.tar.gz) || status=$?
    umount "$global"
    [ "$status" -eq 0 ] || die "host Wireshark $host_version: the release tarball did not install or load"
    cp "$scratch"/release/*.tar.gz "$scratch"/release/*.tar.gz.sha256 "$release_dir/"
    say "host $host_version: release tarball $(cd "$scratch/release" && ls -- *.tar.gz) in $release_dir, installed and listed in $((SECONDS - started)) s"
    rm -rf "$scratch"
}
if [ "$with_host" -eq 1 ]; then
    host_release
else
    say "NOT RUN: the host's release tarball (--no-host)"
fi
if [ "$release_only" = 1 ]; then
    say "release tarballs in $release_dir:"
    (cd "$release_dir" && ls -l -- *.tar.gz && cat -- *.sha256)
    say "all done in $((SECONDS - total_started)) s"
    exit 0
fi

# ---- tcpprobe's verdicts must be the same with every Wireshark ----
tables=()
for version in "${versions[@]}"; do tables+=("$roots_dir/verdicts-$version.tsv"); done
if [ "$with_host" -eq 1 ]; then
    host_table=$roots_dir/verdicts-host-$host_version.tsv
    (cd "$repo" && tests/versions/verdicts.sh "${CARGO_TARGET_DIR:-$repo/target}/release/libtcpprobe.so" "$host_table")
    tables=("$host_table" "${tables[@]}")
else
    say "NOT RUN: comparison with the host's Wireshark (--no-host)"
fi
first=${tables[0]}
for t in "${tables[@]:1}"; do
    if ! cmp -s "$first" "$t"; then
        echo "tests/versions/run.sh: ERROR: tcpprobe's verdicts differ between $first and $t:" >&2
        diff "$first" "$t" | head -n 40 >&2 || true
        exit 1
    fi
done
if [ ${#tables[@]} -gt 1 ]; then
    say "tcpprobe's verdicts identical in ${tables[*]##*/} ($(wc -l <"$first") lines each)"
fi
say "all done in $((SECONDS - total_started)) s; roots kept in $roots_dir"
