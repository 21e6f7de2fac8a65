#!/usr/bin/env bash
# tests/versions/release.sh [OUTDIR] - the release: builds tcpprobe in each Debian root that
# tests/versions/run.sh makes (Wireshark 3.4, 4.4, 4.6) and on the host (4.0), packages each
# (plugin/package.sh), installs each package into its own Wireshark and requires tshark -G
# plugins to list it, then leaves in OUTDIR (default: dist/ in the repository)
#   tcpprobe-<version>-wireshark-<X.Y>-linux-x86_64.tar.gz and .tar.gz.sha256
# for X.Y = 3.4, 4.0, 4.4, 4.6. As root, like run.sh (it is `run.sh --release-only`: the
# integration tests and verdict tables are left to run.sh). About 5 minutes with the roots cached.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../dist}
mkdir -p "$out"
exec "$here/run.sh" --release-only --release "$out" 3.4 4.4 4.6
