#!/usr/bin/env bash
# tests/versions/verdicts.sh PLUGIN_SO OUT - writes tcpprobe's own verdicts on every capture
# (tests/captures/kernel and ../shared/captures), single-pass and two-pass (-2), one line per
# frame where tcpprobe shows something of its own (verdict, episode fields, summary), to OUT. tests/versions/run.sh makes
# this table with each Wireshark version and requires them to be identical. Only tcpprobe's
# fields are written, and in one format: Wireshark's own labels (tcp.analysis.*, and so
# tcpprobe.corrected) are not the same in every version on every frame, and where only
# Wireshark labelled a frame tcpprobe shows verdict 0, "none of these", which means no probe as
# much as no row does (so rows with verdict 0 and no other tcpprobe field are left out),
# and a postdissector does not see every label on 4.0's first pass; -T fields prints booleans
# as 1/0 in 4.0 and True/False from 4.2 on (written 1/0 here), and hexadecimal fields with
# 8 digits in 3.4 (0x00000001) and with their width from 4.0 on (0x01; written so here); time
# and ratio fields are left out, their text format being Wireshark's.
# Run from the repository.
#
# tshark loads exactly PLUGIN_SO (WIRESHARK_PLUGIN_DIR), as user nobody when run as root
# (Wireshark ignores WIRESHARK_PLUGIN_DIR for root).
set -euo pipefail
export LC_ALL=C # the captures' order (globs) and the table must not depend on the locale

[ $# -eq 2 ] || { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
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

# Every tcpprobe field but times and ratios (their text is Wireshark's formatting). Not
# tcp.stream: Wireshark's own, which 4.6 leaves empty where the snap length cut the TCP header
# (persist_v6_s68) and 3.4 to 4.4 do not.
fields=(frame.number tcpprobe.verdict tcpprobe.style tcpprobe.reason
    tcpprobe.peer_window_zero tcpprobe.window_closed_in tcpprobe.answers tcpprobe.episode
    tcpprobe.probe_number tcpprobe.answered_in tcpprobe.unanswered tcpprobe.tentative
    tcpprobe.revised_from tcpprobe.keepalive_mismatch tcpprobe.window_reopened_in
    tcpprobe.summary.kind tcpprobe.summary.probes tcpprobe.summary.zero_window_probes
    tcpprobe.summary.keep_alives tcpprobe.summary.answered tcpprobe.summary.rate_limited
    tcpprobe.summary.no_reply tcpprobe.summary.end tcpprobe.summary.window_closed_in
    tcpprobe.summary.first_probe)
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
            tshark -r "$tmp/capture" "${extra[@]}" -Y tcpprobe -T fields -E separator=/t \
            "${field_args[@]}" 2>/dev/null |
            awk -F '\t' -v OFS='\t' -v at="$name $mode " '{
                rest = 0
                for (i = 3; i <= NF; i++) { # after frame.number and tcpprobe.verdict
                    gsub(/True/, "1", $i); gsub(/False/, "0", $i)
                    if ($i ~ /^0x[0-9a-fA-F]+$/) { # hex: the 8-bit fields at two digits
                        v = $i; sub(/^0x0*/, "", v)
                        while (length(v) < 2) v = "0" v
                        $i = "0x" v
                    }
                    if ($i != "") rest = 1
                }
                if ($2 != "0" || rest) print at $0
            }' >>"$out.tmp" || true
    done
    n=$((n + 1))
done
[ -s "$out.tmp" ] || { echo "verdicts.sh: no verdict at all in $n captures: the plugin did not work" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "verdicts.sh: $(wc -l <"$out") verdict lines from $n captures (Wireshark $major_minor) in $out"
