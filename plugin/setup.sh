#!/usr/bin/env bash
# One command for a new Debian machine: installs what tcpprobe needs from Debian's packages,
# builds and installs the plugin (plugin/install.sh) and the standalone analyzer (cargo install,
# into ~/.cargo/bin), and shows both at work on captures the real Linux stack made
# (tests/captures/kernel): Wireshark's wrong labels, then tcpprobe's.
#
# Run it as yourself (it asks sudo for the packages and installs the plugin for you) or as root
# (it installs the plugin for everyone).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
packages=(tshark libwireshark-dev libglib2.0-dev libclang-dev pkg-config tcpdump iproute2 python3)

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
else
    command -v sudo >/dev/null || { echo "setup.sh: run as root, or install sudo" >&2; exit 1; }
    sudo=(sudo)
fi
echo "== installing Debian packages: ${packages[*]}"
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"

echo "== building and installing the plugin"
"$repo/plugin/install.sh"

echo "== building and installing the standalone analyzer (tcpprobe, into ${CARGO_HOME:-$HOME/.cargo}/bin)"
cargo install --locked --quiet --path "$repo/cli"

capture="$repo/tests/captures/kernel/persist_v4.pcap"
filter='tcp.analysis.zero_window || tcp.analysis.keep_alive || tcp.analysis.keep_alive_ack || tcpprobe'
echo
echo "== $capture: a receiver that stopped reading; the kernel counted 4 persist probes, 0 keep-alives"
columns='gui.column.format:"No.","%m","Time","%t","Info","%i"'
echo "-- Wireshark alone (tcpprobe disabled):"
tshark -r "$capture" -Y "$filter" -o "$columns" --disable-protocol tcpprobe 2>/dev/null
echo "-- with tcpprobe:"
tshark -r "$capture" -Y "$filter" -o "$columns" 2>/dev/null
echo
echo "== the standalone analyzer, no Wireshark: tcpprobe tests/captures/kernel/user_timeout.pcap"
"${CARGO_HOME:-$HOME/.cargo}/bin/tcpprobe" "$repo/tests/captures/kernel/user_timeout.pcap"
