#!/usr/bin/env bash
# tests/versions/verdicts.sh PLUGIN_SO OUT - writes tcpprobe's own verdicts on every capture
# (tests/captures/kernel and ../shared/captures), single-pass and two-pass (-2), one line per
# frame that tcpprobe calls a probe, keep-alive or reply, to OUT. tests/versions/run.sh makes
# this table with each Wireshark version and requires them to be identical. Only tcpprobe's
# fields are written, and in one format: Wireshark's own labels (tcp.analysis.*, and so
# tcpprobe.corrected) differ between versions (4.2+ labels some ACKs that 4.0 does not, and
# tcpprobe then shows verdict 0, "none of these", where 4.0 shows nothing: both mean no probe,
# so verdict-0 rows are left out); -T fields prints booleans as 1/0 in 4.0 and True/False from
# 4.2 on (written 1/0 here); time fields are left out, their text format being Wireshark's.
# Run from the repository.
#
# tshark loads exactly PLUGIN_SO (WIRESHARK_PLUGIN_DIR), as user nobody when run as root
# (Wireshark ignores WIRESHARK_PLUGIN_DIR for root).
set -euo pipefail
export LC_ALL=C # the captures' order (globs) and the table must not depend on the locale

[ $# -eq 2 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
so=$1
out=$2
repo=$(pwd)
[ -f "$so" ] || { echo "verdicts.sh: no plugin at $so" >&2; exit 1; }
[ -d "$repo/tests/captures/kernel" ] || { echo "verdicts.sh: run it from the repository" >&2; exit 1; }
major_minor=$(pkg-config --modversion wireshark | cut -d. -f1,2)

tmp=$(mktemp -d /tmp/tcpprobe-verdicts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/plugins/$major_minor/epan" "$tmp/home"
install -m 0644 "$so" "$tmp/plugins/$major_minor/epan/tcpprobe.so"
chmod -R a+rX "$tmp"
chmod 0777 "$tmp/home"
as_user=()
[ "$(id -u)" -ne 0 ] || as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)

fields=(frame.number tcp.stream tcpprobe.verdict tcpprobe.style tcpprobe.reason
    tcpprobe.peer_window_zero tcpprobe.window_closed_in tcpprobe.answers)
field_args=()
for f in "${fields[@]}"; do field_args+=(-e "$f"); done

: >"$out.tmp"
n=0
for cap in "$repo"/tests/captures/kernel/*.pcap "$repo"/../shared/captures/*.pcap "$repo"/../shared/captures/*.pcapng; do
    [ -f "$cap" ] || continue
    name=$(basename "$cap")
    install -m 0644 "$cap" "$tmp/capture"
    for mode in single -2; do
        extra=()
        [ "$mode" = single ] || extra=(-2)
        # Truncated captures make tshark exit non-zero after the frames it could read; the
        # integration tests check that the plugin does not change that. Here only the lines count.
        "${as_user[@]}" env -i PATH="$PATH" HOME="$tmp/home" LC_ALL=C.UTF-8 \
            WIRESHARK_PLUGIN_DIR="$tmp/plugins" \
            tshark -r "$tmp/capture" "${extra[@]}" -Y tcpprobe -T fields -E separator=, \
            "${field_args[@]}" 2>/dev/null |
            awk -F, -v OFS=, -v at="$name $mode " '$3 != "0" {
                if ($6 == "True") $6 = 1; else if ($6 == "False") $6 = 0
                print at $0
            }' >>"$out.tmp" || true
    done
    n=$((n + 1))
done
[ -s "$out.tmp" ] || { echo "verdicts.sh: no verdict at all in $n captures: the plugin did not work" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "verdicts.sh: $(wc -l <"$out") verdict lines from $n captures (Wireshark $major_minor) in $out"
