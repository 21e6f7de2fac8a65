#!/usr/bin/env bash
# tcpprobe's hostile-input campaign (issue 12; RELIABILITY.md has the figures and the method).
#
#   tests/hostile/campaign.sh                  1000 corrupted captures, single pass and -2 -V,
#                                              with and without the plugin
#   tests/hostile/campaign.sh --memory         and peak memory on 1M connections and 5M probe frames
#   tests/hostile/campaign.sh --quick          CI's short run (60 captures; tests/hostile.rs)
#   tests/hostile/campaign.sh --help           every option
#
# Needs the release build (cargo build --release), tshark, editcap and randpkt (Debian: tshark,
# wireshark-common), python3, and as root setpriv (util-linux): Wireshark ignores plugin folders
# for root, so tshark runs as nobody. Exit status: 0 nothing crashed or differed, 1 something did
# (the inputs are kept, their paths printed), 2 a tool missing or another setup problem.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

missing=()
for tool in tshark editcap randpkt python3; do
    command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ "$(id -u)" -eq 0 ]; then
    command -v setpriv > /dev/null || missing+=(setpriv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "campaign.sh: missing: ${missing[*]} (Debian: apt-get install tshark wireshark-common python3 util-linux)" >&2
    exit 2
fi

# campaign.py exits 2 on bad usage and setup problems, 1 only when the campaign found something.
exec python3 "$here/campaign.py" "$@"
