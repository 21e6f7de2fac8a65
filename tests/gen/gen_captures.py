#!/usr/bin/env python3
"""Generate packet captures of real Linux persist probes and keep-alives, with kernel ground truth.

Usage (as root, Python 3 standard library only):

    python3 tests/gen/gen_captures.py OUTDIR [SCENARIO ...]

With no SCENARIO every scenario runs (a SCENARIO may also name one output of a run: the run
makes all of its outputs). For each scenario the script creates a fresh network namespace,
captures its loopback with tcpdump into OUTDIR/<scenario>.pcap, runs real sockets inside the
namespace, and writes OUTDIR/<scenario>.json with:
- `kernel`: the namespace's own counters TcpExtTCPWinProbe (persist probes sent) and
  TcpExtTCPKeepAlive (keep-alives sent) over the capture, and `kernel_extra`: TcpExtTCPACKSkippedSeq
  (out-of-window ACKs the receiver held back because of net.ipv4.tcp_invalid_ratelimit, i.e. probes
  left unanswered) and the TcpExtTCPAbortOn* counters (which abort ended a connection); both are
  the differences of `kernel_readings.at_capture_end` and `kernel_readings.at_capture_start`;
- `capture`: the file, its link type and snap length as the pcap says, the tcpdump arguments,
  and what the snap length cut (`cut_frames`, `tcp_header_cut_frames`, `syn_header_cut_frames`,
  `window_unknown_frames`);
- per TCP stream: which side was made to send which kind of probe (`probers`: {side: "persist"
  or "keepalive"}; both sides may, each its own kind; `prober` and `expect` say the same for a
  stream with one prober), what the application saw (`facts.app`), the namespace sysctls and tc
  commands used (`facts.namespace_setup`), and what the capture holds as parsed here from the raw
  pcap, independently of Wireshark (`capture`), including the probe episodes
  (`capture.episodes`, each with its `prober` side and every probe's `lookahead`: whether only a
  later segment shows it to be one; see oracle.py).
A scenario whose kernel behaviour does not match its intent is retried (timing on a loaded machine
can spoil one run) and finally reported as an error with a non-zero exit status.

A scenario with "captures" writes, instead of its own lo capture, the captures listed there: each
a tcpdump of its own (other interface, link type or snap length) running at the same time, each
with its own JSON (`simultaneous_captures`); every one must hold the same frames as the run's lo
capture, field for field where it holds them. A scenario with "cut" also writes an editcap cut of
its lo capture that starts where the child asked for a counter reading (`cut`).

Internally the script re-invokes itself inside the namespace as
`ip netns exec NS python3 gen_captures.py --inside SCENARIO`; that child applies the scenario's
sysctls, does the socket work and prints its facts as one JSON line on stdout. A scenario that
wants its capture to start mid-connection has the child print `@capture` and wait for `go` on
stdin; otherwise the capture runs from before the child starts. The counters are read before
tcpdump starts and again once it listens; if they differ, something was sent in between and the
run is retried, so the counters cover exactly what the capture saw. `@mark` asks for a counter
reading where a cut starts; no frame may lie near it.

Everything here uses only what this kernel has (6.18, no sch_netem and no tc gact action): packets
are dropped with a classic-BPF tc filter in direct-action mode, and long retransmission timeouts
come from net.ipv4.tcp_rto_min_us instead of an emulated delay.

What the capture holds is read by the episode model in oracle.py (pure, tested by test_oracle.py);
this file is the capture machinery around it. It stays one file of over 1,000 lines because it is
one program that re-invokes itself inside the namespace, and its scenario table ties together the
socket work, the parameters their descriptions quote, and the per-scenario validation.
"""

import concurrent.futures
import errno
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (cargo test runs this script)
import oracle  # noqa: E402  the episode model: tests/gen/oracle.py, beside this script

SCRIPT = os.path.abspath(__file__)

ATTEMPTS = 3
SNAPLEN = 160
# TCPPROBE_GEN_LINK_VARIANTS=1: beside each OUTDIR/<scenario>.pcap (lo, Ethernet), capture the same
# traffic three more ways at once: <scenario>.sll.pcap (-i any -y LINUX_SLL: Linux cooked v1),
# <scenario>.sll2.pcap (-i any -y LINUX_SLL2) and <scenario>.snap.pcap (-i lo, snap length
# VARIANT_SNAPLEN: TCP options cut; over IPv6 only the first 18 bytes of the TCP header kept).
# The analyzer's link-type test (tests/analyzer.rs) requires the same verdicts from all four.
VARIANT_SNAPLEN = 72
LINK_VARIANTS = {
    "sll": ["-i", "any", "-y", "LINUX_SLL", "-s", str(SNAPLEN)],
    "sll2": ["-i", "any", "-y", "LINUX_SLL2", "-s", str(SNAPLEN)],
    "snap": ["-i", "lo", "-s", str(VARIANT_SNAPLEN)],
}
# urgent: queued before the urgent byte; far more than the 2 KB window, well within the default
# send buffer, so the MSG_OOB send does not block.
URGENT_QUEUED_BYTES = 16384
# keepalive_doubled_once: idle 1 s, then every 2 s: the first interval doubles the idle gap and the
# rest stay constant; four keep-alives (~1, 3, 5, 7 s) in a 7.5 s idle time.
KEEPALIVE_DOUBLED_ONCE_OPTS = {"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 1, "TCP_KEEPINTVL": 2,
                               "TCP_KEEPCNT": 9}
DOUBLED_ONCE_IDLE_SECONDS = 7.5
# persist_rto_2s: with a 2 s minimum RTO the probes come ~2, 6 and 14 s after the window closes.
RTO_2S_MIN_US = 2_000_000
RTO_2S_STALL_SECONDS = 15.0
SOCK_TIMEOUT = 5.0  # every blocking socket operation
CHILD_TIMEOUT = 40.0  # the whole socket part of one scenario
# Long enough for four persist probes (sent ~0.2, 0.6, 1.4 and 3.0 s after the window closes,
# the backoff doubling from the 200 ms minimum RTO of loopback) and for three keep-alives
# (TCP_KEEPIDLE = TCP_KEEPINTVL = 1 s); short enough to keep captures small.
IDLE_SECONDS = 3.5
# Each stall of stall_twice: three probes (~0.2, 0.6, 1.4 s), well before the fourth (~3.0 s).
SHORT_STALL_SECONDS = 2.5
# long_backoff: with a 1.2 s minimum RTO the probes come ~1.2, 3.6 and 8.4 s after the window
# closes (intervals 2.4 and 4.8 s); the fourth would be at ~18 s, far after the stall ends.
LONG_RTO_MIN_US = 1_200_000
LONG_STALL_SECONDS = 9.5
# user_timeout: the client gives up 2.5 s after its first probe (answers that still say window 0 do
# not restart that clock, and the kernel clamps the persist timer to it), so after three probes
# (~0.2, 0.6, 1.4 s) and before the fourth (~3.0 s).
USER_TIMEOUT_MS = 2500
# ratelimit: the receiver answers at most one out-of-window segment per 2 s, so of the probes at
# ~0.2, 0.6, 1.4 and 3.0 s the second and third go unanswered (the default 500 ms skips one).
INVALID_RATELIMIT_MS = 2000
# orphan: TCP_RTO_MAX (the persist interval cap) lowered to its 1 s minimum; an orphaned socket
# whose backed-off RTO reaches it counts as dead and is dropped (tcp_probe_timer), after ~2.5 s.
ORPHAN_RTO_MAX_MS = 1000
ORPHAN_WAIT_SECONDS = 15.0
# persist_rto_max: the persist interval's cap (TCP_RTO_MAX, net.ipv4.tcp_rto_max_ms) at its 1 s
# minimum: probes ~0.2, 0.6, 1.4, 2.4, 3.4, 4.4 and 5.4 s after the window closes (intervals 0.4,
# 0.8, then 1.0 s four times); the next would come at ~6.4 s, after the stall.
RTO_MAX_MS = 1000
RTO_MAX_STALL_SECONDS = 5.8
# persist_rto_max_cut: the editcap cut starts this long after the RTO_MAX_CUT_AFTER_PROBES-th probe
# (~2.4 s), halfway to the next one: it holds the probes at ~3.4, 4.4 and 5.4 s, all at the cap.
RTO_MAX_CUT_AFTER_PROBES = 4
MARK_DELAY_SECONDS = 0.4
# No packet may lie this close to a mark (the counter reading a cut starts at): the kernel counts a
# probe a few microseconds before tcpdump stamps it, so a packet near the mark could be on either
# side of the reading.
MARK_GAP_SECONDS = 0.01
# persist_midstream: tcpdump starts once this many probes went out (~0.2 and 0.6 s after the window
# closed); the next comes ~1.4 s after, so the capture holds the probes at ~1.4 and 3.0 s.
MIDSTREAM_AFTER_PROBES = 2
# Two tcpdumps started at once stamp the same frame apart by a few microseconds.
SAME_FRAME_SECONDS = 0.001
# Small enough that the window closes after a few KB; set before listen() so the accepted socket
# inherits it and the SYN-ACK offers window scale 0 (the capture then shows the real byte counts).
SMALL_RCVBUF = 2048
SMALL_SNDBUF = 4096
BULK_BYTES = 200_000
KEEPALIVE_OPTS = {"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 1, "TCP_KEEPINTVL": 1, "TCP_KEEPCNT": 9}
KEEPALIVE_ABORT_OPTS = {"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 1, "TCP_KEEPINTVL": 1, "TCP_KEEPCNT": 3}
LOOPBACK = {4: (socket.AF_INET, "127.0.0.1"), 6: (socket.AF_INET6, "::1")}

# Namespace values that shape the probes, read at the end of every scenario and recorded in the
# JSON (a scenario's own changes are listed in facts.namespace_setup).
SYSCTLS = [
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_retries2", "net.ipv4.tcp_orphan_retries", "net.ipv4.tcp_invalid_ratelimit",
    "net.ipv4.tcp_rto_min_us", "net.ipv4.tcp_rto_max_ms", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_moderate_rcvbuf", "net.ipv4.tcp_window_scaling", "net.ipv4.tcp_timestamps",
    "net.ipv4.tcp_sack", "net.ipv4.tcp_shrink_window", "net.ipv4.tcp_autocorking", "net.ipv4.tcp_ecn",
    "net.ipv4.tcp_congestion_control",
]

COUNTERS = ("TcpExtTCPWinProbe", "TcpExtTCPKeepAlive")
# Recorded when this kernel has them (all exist since Linux 4.x). TCPLossProbes explains the odd
# data retransmission a few ms after a window-filling burst (a tail loss probe, not a probe here).
EXTRA_COUNTERS = ("TcpExtTCPACKSkippedSeq", "TcpExtTCPAbortOnTimeout", "TcpExtTCPAbortOnClose",
                  "TcpExtTCPAbortOnData", "TcpExtTCPAbortOnMemory", "TcpExtTCPAbortOnLinger",
                  "TcpExtTCPLossProbes")
COUNTER_FOR = {"persist": "TcpExtTCPWinProbe", "keepalive": "TcpExtTCPKeepAlive"}

# Offsets in struct tcp_info (include/uapi/linux/tcp.h): 8 one-byte fields (tcpi_state at 0),
# 24 __u32 from tcpi_rto (8) to tcpi_total_retrans (100), 4 __u64 from tcpi_pacing_rate (104) to
# tcpi_bytes_received (128), 6 __u32 from tcpi_segs_out (136) to tcpi_data_segs_out (156),
# 4 __u64 from tcpi_delivery_rate (160) to tcpi_sndbuf_limited (184), tcpi_delivered and
# tcpi_delivered_ce (192, 196), 2 __u64 tcpi_bytes_sent and tcpi_bytes_retrans (200, 208),
# tcpi_dsack_dups (216), tcpi_reord_seen (220), tcpi_rcv_ooopack (224), then tcpi_snd_wnd (228,
# Linux 5.4) and tcpi_rcv_wnd (232, Linux 6.2). Cross-checked at run time: in the zero-window
# scenario the client's tcpi_snd_wnd and the server's tcpi_rcv_wnd must both read 0.
TCPI_STATE = 0
TCPI_SND_WND = 228
TCPI_RCV_WND = 232
TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
              6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
              11: "CLOSING"}
TCP_ESTABLISHED = 1


class ScenarioError(Exception):
    """The kernel or the capture did not do what the scenario needs; worth a retry."""


# ---------------------------------------------------------------------------------------------
# Inside the namespace: the socket work.
# ---------------------------------------------------------------------------------------------

def tcp_info(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(raw) < TCPI_RCV_WND + 4:
        raise RuntimeError(f"struct tcp_info is only {len(raw)} bytes: this kernel is older than 6.2 "
                           "and lacks tcpi_snd_wnd/tcpi_rcv_wnd")
    state = raw[TCPI_STATE]
    snd_wnd, rcv_wnd = struct.unpack_from("=II", raw, TCPI_SND_WND)
    return state, snd_wnd, rcv_wnd


def snd_wnd(sock):
    """The peer's last advertised receive window, in bytes (after window scaling)."""
    state, wnd, _ = tcp_info(sock)
    if state != TCP_ESTABLISHED:
        raise ScenarioError(f"socket left ESTABLISHED (tcpi_state {state})")
    return wnd


def outq(sock):
    """Bytes written but not yet acknowledged by the peer (SIOCOUTQ, which is TIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise ScenarioError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


def apply_opts(sock, opts):
    for name, value in opts.items():
        level = socket.SOL_SOCKET if name.startswith("SO_") else socket.IPPROTO_TCP
        sock.setsockopt(level, getattr(socket, name), value)


def setup_cmd(*cmd):
    """Run a configuration command inside the namespace; returns it as text for the JSON."""
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    text = " ".join(shlex.quote(c) for c in cmd)
    if res.returncode != 0:
        raise RuntimeError(f"{text}: {res.stderr.strip()}")
    return text


def set_sysctl(name, value):
    with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
        f.write(str(value))
    return f"sysctl -w {name}={value}"


def drop_filter(dport):
    """Commands that drop, at lo's ingress, every IPv4 TCP segment to dport. tcpdump sees the
    segments at transmit, so they are in the capture, but the receiving socket never gets them.
    A classic BPF program in direct-action mode returns the verdict itself (TC_ACT_SHOT = 2,
    TC_ACT_OK = 0): this kernel has cls_bpf but no gact action. tc shows lo's ingress the frame
    from its (all-zero) Ethernet header on."""
    prog = [
        (0x28, 0, 0, 12),      # ldh [12]           EtherType
        (0x15, 0, 6, 0x0800),  # jeq #IPv4          else accept
        (0x30, 0, 0, 23),      # ldb [23]           IP protocol
        (0x15, 0, 4, 6),       # jeq #TCP           else accept
        (0xB1, 0, 0, 14),      # ldxb 4*([14]&0xf)  IP header length
        (0x48, 0, 0, 16),      # ldh [x+16]         TCP destination port
        (0x15, 0, 1, dport),   # jeq #dport         else accept
        (0x06, 0, 0, 2),       # ret #TC_ACT_SHOT
        (0x06, 0, 0, 0),       # ret #TC_ACT_OK
    ]
    bytecode = ",".join([str(len(prog))] + [" ".join(map(str, ins)) for ins in prog])
    return [("tc", "qdisc", "add", "dev", "lo", "ingress"),
            ("tc", "filter", "add", "dev", "lo", "ingress", "bpf", "bytecode", bytecode, "da")]


def ask_parent(request, what):
    print(request, flush=True)
    if sys.stdin.readline().strip() != "go":
        raise ScenarioError(f"the parent did not confirm {what}")


def request_capture():
    """Ask the parent to start tcpdump now (mid-connection) and wait until it listens."""
    ask_parent("@capture", "the capture start")


def request_mark():
    """Ask the parent to read the namespace's counters now: an editcap cut of the capture starts
    here (spec "cut")."""
    ask_parent("@mark", "the counter reading")


def parse_netstat(text):
    """/proc/net/netstat as {"TcpExtTCPWinProbe": n, ...}."""
    lines = text.splitlines()
    values = {}
    for names, nums in zip(lines[::2], lines[1::2]):
        prefix, _, names = names.partition(":")
        for name, num in zip(names.split(), nums.partition(":")[2].split()):
            values[prefix + name] = int(num)
    return values


def wait_for_probes(n):
    """Inside the namespace: until the kernel has sent n persist probes (TcpExtTCPWinProbe)."""
    def sent():
        with open("/proc/net/netstat") as f:
            return parse_netstat(f.read())["TcpExtTCPWinProbe"] >= n
    wait_for(sent, 10.0, f"{n} persist probes")


def open_pair(family, server_opts=None, client_opts=None):
    """Listener with server_opts (set before listen, so the accepted socket inherits them) and a
    connected client with client_opts (set before connect). Returns (client, accepted, ports)."""
    af, addr = LOOPBACK[family]
    with socket.socket(af, socket.SOCK_STREAM) as lst:
        lst.settimeout(SOCK_TIMEOUT)
        apply_opts(lst, server_opts or {})
        lst.bind((addr, 0))
        lst.listen(1)
        cli = socket.socket(af, socket.SOCK_STREAM)
        cli.settimeout(SOCK_TIMEOUT)
        apply_opts(cli, client_opts or {})
        cli.connect(lst.getsockname()[:2])
        conn, _ = lst.accept()
        conn.settimeout(SOCK_TIMEOUT)
        # Taken now: an aborted socket no longer has a peer name.
        return cli, conn, (cli.getsockname()[1], cli.getpeername()[1])


def recv_exactly(sock, n):
    got = 0
    deadline = time.monotonic() + SOCK_TIMEOUT
    while got < n:
        chunk = sock.recv(min(65536, n - got))
        if not chunk:
            raise ScenarioError(f"connection closed after {got} of {n} bytes")
        got += len(chunk)
        if time.monotonic() > deadline:
            raise ScenarioError(f"reading {n} bytes took longer than {SOCK_TIMEOUT} s")
    return got


def errno_name(exc):
    """'ETIMEDOUT' etc. for an OSError from the kernel; None for Python's own socket timeout
    (which is also a TimeoutError, but has no errno)."""
    return errno.errorcode.get(exc.errno) if exc.errno else None


def read_until_error(sock):
    """Read whatever is buffered until the connection fails; returns (bytes read, outcome), the
    outcome being an errno name, 'EOF', or 'no error' if nothing happened for 2 s."""
    sock.settimeout(2.0)
    got = 0
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError as e:
            return got, errno_name(e) or "no error"
        if not chunk:
            return got, "EOF"
        got += len(chunk)


def expect_eof(sock):
    if sock.recv(1) != b"":
        raise ScenarioError("unexpected data where the peer's FIN was expected")


def close_cleanly(cli, conn):
    """FIN from the client, FIN from the server, no RST: all data has been read by then."""
    cli.shutdown(socket.SHUT_WR)
    expect_eof(conn)
    conn.close()
    expect_eof(cli)
    cli.close()


def socket_states(port):
    """TCP states of this namespace's sockets bound to local port `port` (from /proc/net)."""
    states = []
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    states.append(TCP_STATES.get(int(fields[3], 16), fields[3]))
    return states


def stream_record(family, ports, role, prober, expect, client_opts, server_opts, app=None,
                  setup=(), probers=None, **facts):
    """probers: {side: kind} when both sides probe (prober is then "both"); otherwise the one
    prober and its kind (expect), or none."""
    if probers is None:
        probers = {prober: expect} if prober else {}
    return {
        "family": family,
        "client_addr": LOOPBACK[family][1],
        "server_addr": LOOPBACK[family][1],
        "client_port": ports[0],
        "server_port": ports[1],
        "role": role,
        "prober": prober,
        "expect": expect,
        # Which side sends which kind of probe, "persist" (counted in TcpExtTCPWinProbe) or
        # "keepalive" (TcpExtTCPKeepAlive); both sides may, each its own kind.
        "probers": probers,
        "socket_options": {"client": client_opts, "server": server_opts},
        # app: what the application saw (errors, times as *_epoch, converted by the parent to
        # *_time relative to the capture's first packet); None when nothing beyond normal I/O.
        "facts": {**facts, "app": app, "namespace_setup": list(setup)},
    }


PERSIST_SERVER_OPTS = {"SO_RCVBUF": SMALL_RCVBUF}
PERSIST_CLIENT_OPTS = {"TCP_NODELAY": 1, "SO_SNDBUF": SMALL_SNDBUF}


def fill_to_zero_window(cli):
    """Queue more than the non-reading server can take, until EAGAIN, then wait for the server's
    window 0. Returns (bytes queued, bytes still unsent or unacknowledged when the window closed)."""
    cli.setblocking(False)
    queued = 0
    for _ in range(1024):  # far more than a 2x4 KB send buffer plus a 2x2 KB window can hold
        try:
            queued += cli.send(b"p" * 1024)
        except BlockingIOError:
            break
    else:
        raise ScenarioError(f"send buffer still not full after {queued} bytes")
    cli.settimeout(SOCK_TIMEOUT)
    wait_for(lambda: snd_wnd(cli) == 0, 2.0, "the server to advertise window 0")
    unsent = outq(cli)
    if unsent == 0:
        raise ScenarioError("window closed with nothing queued: no persist timer would run")
    return queued, unsent


def drain(cli, conn, queued):
    recv_exactly(conn, queued)  # the window reopens and the queued rest flows
    wait_for(lambda: outq(cli) == 0, 2.0, "the client's queue to drain")


def persist_stream(family, stall=IDLE_SECONDS, capture_after_probes=None, mark_after_probes=None):
    """The client queues more than the non-reading server can take; the server's window closes with
    data still queued, so the client's persist timer probes until the server reads. With
    capture_after_probes the capture starts only once that many probes went out; with
    mark_after_probes the parent reads the counters MARK_DELAY_SECONDS after that many (an
    editcap cut starts there)."""
    server_opts, client_opts = dict(PERSIST_SERVER_OPTS), dict(PERSIST_CLIENT_OPTS)
    cli, conn, ports = open_pair(family, server_opts, client_opts)
    queued, unsent = fill_to_zero_window(cli)
    closed_at = time.monotonic()
    facts = {}
    if capture_after_probes:
        wait_for_probes(capture_after_probes)
        request_capture()
        facts["capture_started_after_probes"] = capture_after_probes
    if mark_after_probes:
        wait_for_probes(mark_after_probes)
        time.sleep(MARK_DELAY_SECONDS)
        request_mark()
        facts["counters_marked_after_probes"] = mark_after_probes
    time.sleep(max(0.0, stall - (time.monotonic() - closed_at)))
    drain(cli, conn, queued)
    record = stream_record(family, ports, "persist", "client", "persist", client_opts, server_opts,
                           bytes_client_to_server=queued, peer_window_zero=True,
                           queued_when_window_closed=unsent, stall_seconds=stall, **facts)
    close_cleanly(cli, conn)
    return record


def urgent_stream(family):
    """persist_stream with urgent data: the client queues more than the non-reading server can
    take, then one byte with MSG_OOB, so SND.UP lies just above SND.UNA behind the zero window.
    Each persist expiry then sends two probes (tcp_write_wakeup): one at SND.UNA with URG, then
    the usual one at SND.UNA-1; the kernel counts both in TCPWinProbe. The server reads with
    SO_OOBINLINE, so the urgent byte arrives in the stream."""
    server_opts = {"SO_RCVBUF": SMALL_RCVBUF, "SO_OOBINLINE": 1}
    client_opts = {"TCP_NODELAY": 1}  # default send buffer: room for the urgent byte
    cli, conn, ports = open_pair(family, server_opts, client_opts)
    cli.sendall(b"u" * URGENT_QUEUED_BYTES)
    wait_for(lambda: snd_wnd(cli) == 0, 2.0, "the server to advertise window 0")
    cli.send(b"!", socket.MSG_OOB)
    unsent = outq(cli)
    if unsent <= 1:
        raise ScenarioError("window closed with nothing queued: no persist timer would run")
    time.sleep(IDLE_SECONDS)
    queued = URGENT_QUEUED_BYTES + 1
    drain(cli, conn, queued)
    record = stream_record(family, ports, "persist_urgent", "client", "persist", client_opts,
                           server_opts, bytes_client_to_server=queued, peer_window_zero=True,
                           queued_when_window_closed=unsent, urgent_bytes=1,
                           stall_seconds=IDLE_SECONDS)
    close_cleanly(cli, conn)
    return record


def stall_twice_stream(family):
    """persist_stream with two stalls in one connection: the window closes, the client probes, the
    server drains, the client queues again, the window closes again, probes, drain, clean close."""
    server_opts, client_opts = dict(PERSIST_SERVER_OPTS), dict(PERSIST_CLIENT_OPTS)
    cli, conn, ports = open_pair(family, server_opts, client_opts)
    total, unsent = 0, []
    for _ in range(2):  # the persist backoff starts over once the window has reopened
        queued, left = fill_to_zero_window(cli)
        time.sleep(SHORT_STALL_SECONDS)
        drain(cli, conn, queued)
        total += queued
        unsent.append(left)
    record = stream_record(family, ports, "persist_twice", "client", "persist", client_opts,
                           server_opts, bytes_client_to_server=total, peer_window_zero=True,
                           queued_when_each_window_closed=unsent,
                           stall_seconds=SHORT_STALL_SECONDS, stalls=2)
    close_cleanly(cli, conn)
    return record


def user_timeout_stream(family):
    """A persist stall ended by the client's TCP_USER_TIMEOUT: the server never reads but answers
    the probes; the client kernel gives up and the blocked send() fails. Then the server reads
    what it holds, which sends a window update to a socket that no longer exists."""
    server_opts = dict(PERSIST_SERVER_OPTS)
    client_opts = {**PERSIST_CLIENT_OPTS, "TCP_USER_TIMEOUT": USER_TIMEOUT_MS}
    cli, conn, ports = open_pair(family, server_opts, client_opts)
    queued, unsent = fill_to_zero_window(cli)
    closed_at = time.time()
    cli.settimeout(USER_TIMEOUT_MS / 1000 + 3)
    try:
        cli.send(b"u" * 1024)
        raise ScenarioError("send() into the zero window succeeded")
    except OSError as e:
        err = errno_name(e)
        if err is None:
            raise ScenarioError("the client was not aborted within the user timeout + 3 s")
    err_at = time.time()
    state = TCP_STATES.get(tcp_info(cli)[0])
    so_error = cli.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    got, server_outcome = read_until_error(conn)
    app = {"client_call": "send", "client_error": err, "client_error_epoch": err_at,
           "client_error_after_window_closed_s": round(err_at - closed_at, 3),
           "client_state_after_error": state,
           "client_so_error_after_error": errno.errorcode.get(so_error, so_error) if so_error else 0,
           "server_read_bytes": got, "server_outcome": server_outcome}
    record = stream_record(family, ports, "persist_user_timeout", "client", "persist", client_opts,
                           server_opts, app=app, bytes_client_to_server=queued,
                           peer_window_zero=True, queued_when_window_closed=unsent)
    cli.close()
    conn.close()
    return record


def orphan_stream(family):
    """The client queues into a zero window and close()s with data unsent. The orphaned socket
    (FIN_WAIT1, FIN queued behind the data) keeps probing until the kernel drops it; then the
    server reads what it holds, sending a window update to a socket that no longer exists."""
    server_opts, client_opts = dict(PERSIST_SERVER_OPTS), dict(PERSIST_CLIENT_OPTS)
    cli, conn, ports = open_pair(family, server_opts, client_opts)
    queued, unsent = fill_to_zero_window(cli)
    cli.close()
    closed_at = time.time()
    seen = []

    def gone():
        states = socket_states(ports[0])
        for st in states:
            if st not in seen:
                seen.append(st)
        return not states

    wait_for(gone, ORPHAN_WAIT_SECONDS, "the orphaned client socket to disappear")
    gone_at = time.time()
    got, server_outcome = read_until_error(conn)
    app = {"client_call": "close", "client_close_epoch": closed_at,
           "client_bytes_unsent_at_close": unsent, "orphan_states": seen,
           "orphan_gone_epoch": gone_at, "orphan_lifetime_s": round(gone_at - closed_at, 3),
           "server_read_bytes": got, "server_outcome": server_outcome}
    record = stream_record(family, ports, "persist_orphan", "client", "persist", client_opts,
                           server_opts, app=app, bytes_client_to_server=queued,
                           peer_window_zero=True, queued_when_window_closed=unsent)
    conn.close()
    return record


def keepalive_stream(family):
    """A request/response, then an idle connection whose client sends answered keep-alives."""
    client_opts = dict(KEEPALIVE_OPTS)
    cli, conn, ports = open_pair(family, {}, client_opts)
    cli.sendall(b"ping\n")
    recv_exactly(conn, 5)
    conn.sendall(b"pong\n")
    recv_exactly(cli, 5)
    time.sleep(IDLE_SECONDS)
    record = stream_record(family, ports, "keepalive", "client", "keepalive", client_opts, {},
                           idle_seconds=IDLE_SECONDS)
    close_cleanly(cli, conn)
    return record


def keepalive_open_midstream_stream(family):
    """keepalive_stream, but the capture starts after the request/response and its ACKs, and
    keep-alive is switched on only then: the capture opens with a keep-alive into an open window,
    before any segment of the server."""
    cli, conn, ports = open_pair(family)
    cli.sendall(b"ping\n")
    recv_exactly(conn, 5)
    conn.sendall(b"pong\n")
    recv_exactly(cli, 5)
    wait_for(lambda: outq(cli) == 0 and outq(conn) == 0, 2.0,
             "both sides to acknowledge the request and the response")
    request_capture()
    client_opts = dict(KEEPALIVE_OPTS)
    apply_opts(cli, client_opts)  # only now: no keep-alive timer runs while tcpdump starts
    time.sleep(IDLE_SECONDS)
    if outq(cli) != 0 or snd_wnd(cli) == 0:
        raise ScenarioError("the client had data queued or a closed window during the idle time")
    record = stream_record(family, ports, "keepalive_open_midstream", "client", "keepalive",
                           client_opts, {}, idle_seconds=IDLE_SECONDS, peer_window_zero=False,
                           capture_from_handshake=False)
    close_cleanly(cli, conn)
    return record


def both_directions_stream(family):
    """Class 5: the client queues into the non-reading server's zero window and persist-probes it
    (persist_stream), while the server, whose receive window is that zero window and which has
    nothing to send, has SO_KEEPALIVE with TCP_KEEPIDLE 1 and TCP_KEEPINTVL 1 (set once the window
    closed, so none falls in the fill): its kernel sends keep-alives of its own into the client's
    open window. The client's probes do not restart the server's idle time (they lie outside its
    window and are dropped before their ACK is processed); the client's answers to its keep-alives
    do. Then the server drains and both close cleanly."""
    server_opts, client_opts = dict(PERSIST_SERVER_OPTS), dict(PERSIST_CLIENT_OPTS)
    cli, conn, ports = open_pair(family, server_opts, client_opts)
    queued, unsent = fill_to_zero_window(cli)
    keepalive_opts = dict(KEEPALIVE_OPTS)
    apply_opts(conn, keepalive_opts)
    time.sleep(IDLE_SECONDS)
    if outq(conn) != 0:
        raise ScenarioError("the server had data queued: it could not send keep-alives")
    if tcp_info(conn)[2] != 0:
        raise ScenarioError("the server's receive window reopened during the stall")
    drain(cli, conn, queued)
    record = stream_record(family, ports, "persist_and_keepalive", "both", "persist_and_keepalive",
                           client_opts, {**server_opts, **keepalive_opts},
                           probers={"client": "persist", "server": "keepalive"},
                           bytes_client_to_server=queued, peer_window_zero=True,
                           queued_when_window_closed=unsent, stall_seconds=IDLE_SECONDS)
    close_cleanly(cli, conn)
    return record


def keepalive_abort_stream(family):
    """A request/response, then the server becomes unreachable (its inbound segments are dropped
    after the capture saw them): TCP_KEEPCNT keep-alives go unanswered and the client kernel
    aborts with a RST, which is dropped too. Then the path heals and the server, which never
    learnt anything, shuts down: its FIN gets a RST from the client's kernel."""
    client_opts = dict(KEEPALIVE_ABORT_OPTS)
    cli, conn, ports = open_pair(family, {}, client_opts)
    cli.sendall(b"ping\n")
    recv_exactly(conn, 5)
    conn.sendall(b"pong\n")
    recv_exactly(cli, 5)
    # The client's ACK of "pong" must get through, or the server would retransmit into the idle time.
    wait_for(lambda: outq(conn) == 0, 2.0, "the client to acknowledge the response")
    setup = [setup_cmd(*c) for c in drop_filter(ports[1])]
    idle_from = time.time()
    cli.settimeout(KEEPALIVE_ABORT_OPTS["TCP_KEEPCNT"] + 4)
    try:
        data = cli.recv(1)
        raise ScenarioError(f"recv() returned {data!r} instead of failing")
    except OSError as e:
        err = errno_name(e)
        if err is None:
            raise ScenarioError("the client was not aborted by keep-alive")
    err_at = time.time()
    setup.append(setup_cmd("tc", "qdisc", "del", "dev", "lo", "ingress"))
    conn.shutdown(socket.SHUT_WR)
    got, server_outcome = read_until_error(conn)
    app = {"client_call": "recv", "client_error": err, "client_error_epoch": err_at,
           "client_error_after_idle_s": round(err_at - idle_from, 3),
           "server_call": "shutdown(SHUT_WR) after the filter was removed, then recv",
           "server_read_bytes": got, "server_outcome": server_outcome}
    record = stream_record(family, ports, "keepalive_abort", "client", "keepalive", client_opts, {},
                           app=app, setup=setup, dropped_at_lo_ingress="every segment to the "
                           "server port from the keep-alive idle time until the filter's removal")
    cli.close()
    conn.close()
    return record


def keepalive_zero_window_stream(family, midstream=False, keepalive=KEEPALIVE_OPTS,
                                 idle=IDLE_SECONDS):
    """The client fills the server's receive window exactly and then has nothing queued, so the
    server's last ACK says window 0 while no persist timer runs: the client's probes during the
    idle time are keep-alives although the peer's window is zero. With midstream the capture
    starts only after the handshake and the fill."""
    server_opts = {"SO_RCVBUF": SMALL_RCVBUF}
    client_opts = {"TCP_NODELAY": 1}
    cli, conn, ports = open_pair(family, server_opts, client_opts)
    sent = 0
    # Each round sends exactly the window the server offered once everything before was acked,
    # so data never waits for window. The window shrinks every round (the server does not read);
    # 200 rounds is far more than a 2x2 KB buffer needs.
    for _ in range(200):
        wait_for(lambda: outq(cli) == 0, 2.0, "the server to acknowledge everything sent")
        wnd = snd_wnd(cli)
        if wnd == 0:
            break
        cli.sendall(b"z" * wnd)
        sent += wnd
    else:
        raise ScenarioError(f"the server's window did not reach 0 after {sent} bytes")
    server_rcv_wnd = tcp_info(conn)[2]
    if server_rcv_wnd != 0:
        raise ScenarioError(f"client sees window 0 but the server last advertised {server_rcv_wnd}")
    if midstream:
        request_capture()
    keepalive_opts = dict(keepalive)
    apply_opts(cli, keepalive_opts)  # only now, so no keep-alive can fall in the fill phase
    time.sleep(idle)
    if outq(cli) != 0:
        raise ScenarioError("client had data queued during the idle time")
    window_after = snd_wnd(cli)
    recv_exactly(conn, sent)
    record = stream_record(family, ports, "keepalive_zero_window", "client", "keepalive",
                           {**client_opts, **keepalive_opts}, server_opts,
                           bytes_client_to_server=sent, peer_window_zero=True,
                           peer_window_after_idle=window_after, client_queue_empty=True,
                           idle_seconds=idle, capture_from_handshake=not midstream)
    close_cleanly(cli, conn)
    return record


def bulk_stream(family):
    """A plain transfer with a reading server: neither persist probes nor keep-alives."""
    cli, conn, ports = open_pair(family)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        reader = pool.submit(recv_exactly, conn, BULK_BYTES)
        cli.sendall(b"b" * BULK_BYTES)
        reader.result(timeout=SOCK_TIMEOUT * 2)
    record = stream_record(family, ports, "bulk", None, "none", {}, {},
                           bytes_client_to_server=BULK_BYTES)
    close_cleanly(cli, conn)
    return record


def run_concurrently(jobs):
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(fn, *args) for fn, *args in jobs]
        return [f.result(timeout=CHILD_TIMEOUT) for f in futures]


def read_sysctls():
    values = {}
    for name in SYSCTLS:
        try:
            with open("/proc/sys/" + name.replace(".", "/")) as f:
                values[name] = " ".join(f.read().split())
        except FileNotFoundError:
            continue  # older kernel without this knob
    return values


def inside(scenario):
    spec = SCENARIOS[scenario]
    setup = [set_sysctl(name, value) for name, value in spec.get("sysctls", {}).items()]
    streams = spec["run"]()
    for s in streams:
        s["facts"]["namespace_setup"] = setup + s["facts"]["namespace_setup"]
    print(json.dumps({"streams": streams, "sysctls": read_sysctls()}), flush=True)


# ---------------------------------------------------------------------------------------------
# Outside: namespace, capture, counters, validation.
# ---------------------------------------------------------------------------------------------

def run(cmd, what, timeout=10):
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ScenarioError(f"{what}: no answer within {timeout} s ({' '.join(cmd)})")
    if res.returncode != 0:
        raise ScenarioError(f"{what} failed ({' '.join(cmd)}): {res.stderr.strip()}")
    return res.stdout


def run_child(ns, name, handlers):
    """The socket part inside the namespace; handlers["@capture"]() runs when the child asks for
    the capture to start (midstream scenarios), handlers["@mark"]() when it asks for a counter
    reading (a cut). Returns the child's facts."""
    cmd = ["ip", "netns", "exec", ns, sys.executable, SCRIPT, "--inside", name]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(CHILD_TIMEOUT, proc.kill)
    killer.start()
    err = []
    pump = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)
    pump.start()
    out = []
    try:
        for line in proc.stdout:
            if line.strip() in handlers:
                handlers[line.strip()]()
                proc.stdin.write("go\n")
                proc.stdin.flush()
            else:
                out.append(line)
        rc = proc.wait()
    finally:
        killer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        pump.join(timeout=5)
    if rc != 0:
        why = f"killed after {CHILD_TIMEOUT} s" if rc == -signal.SIGKILL else f"exit status {rc}"
        raise ScenarioError(f"scenario {name} inside {ns} failed ({why}): {''.join(err).strip()}")
    return json.loads("".join(out))


def read_counters(ns):
    """TcpExt counters of the namespace: /proc/net is per network namespace of the reader."""
    text = run(["ip", "netns", "exec", ns, "cat", "/proc/net/netstat"], "reading /proc/net/netstat")
    values = parse_netstat(text)
    missing = [c for c in COUNTERS if c not in values]
    if missing:
        raise ScenarioError(f"/proc/net/netstat has no {', '.join(missing)}")
    return {c: values[c] for c in COUNTERS + EXTRA_COUNTERS if c in values}


class Capture:
    """tcpdump on the namespace's loopback; start() returns only once it is really listening."""

    def __init__(self, ns, path, iface_args=None):
        self.ns, self.path = ns, path
        self.iface_args = iface_args or ["-i", "lo", "-s", str(SNAPLEN)]
        self.proc = None
        self.stderr = []
        self.listening = threading.Event()

    def start(self):
        # -Z root: tcpdump otherwise may drop to an unprivileged user before opening the file.
        cmd = ["ip", "netns", "exec", self.ns, "tcpdump", *self.iface_args, "--immediate-mode", "-U",
               "-Z", "root", "-w", self.path, "tcp"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()
        deadline = time.monotonic() + 10
        while not self.listening.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.pump.join(timeout=1)
                raise ScenarioError("tcpdump did not report 'listening on': "
                                    + ("".join(self.stderr).strip() or "no output within 10 s"))

    def _pump(self):
        for line in self.proc.stderr:
            self.stderr.append(line)
            if "listening on" in line:
                self.listening.set()

    def stop(self):
        """SIGINT lets tcpdump flush and report its drop count; returns that count."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise ScenarioError("tcpdump did not exit within 5 s of SIGINT")
        self.pump.join(timeout=5)
        text = "".join(self.stderr)
        m = re.search(r"(\d+) packets? dropped by kernel", text)
        if self.proc.returncode != 0 or not m:
            raise ScenarioError(f"tcpdump exited with status {self.proc.returncode}: {text.strip()}")
        return int(m.group(1))


def read_capture(path):
    """(info, segments) of a pcap, read by the model (oracle.read_pcap: link type, snap length,
    what the snap length cut; the segments' lengths from their IP headers)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return oracle.read_pcap(data)
    except oracle.CaptureError as e:
        raise ScenarioError(f"{path}: {e}")


def analyse_capture(path, segments, streams):
    """The segments through the episode model (oracle.py, which describes what it records per
    stream). Returns (total packets, timestamp of the first packet)."""
    try:
        return oracle.analyse_segments(segments, streams)
    except oracle.UnknownStream as e:
        raise ScenarioError(f"{path}: {e}")


def compare_with_reference(segments, reference):
    """Problems, if a capture taken at the same time as the full reference capture (lo, SNAPLEN)
    differs from it in anything it holds: the same frames in the same order, each with the same
    addresses, ports, sequence and acknowledgement numbers, flags and payload length (from the IP
    header), the same window where it was captured, and a time stamp at most SAME_FRAME_SECONDS
    apart (each tcpdump stamps its own copy)."""
    if len(segments) != len(reference):
        return [f"{len(segments)} frames, the reference capture {len(reference)}"]
    for got, want in zip(segments, reference):
        same = got[2:8] == want[2:8] and got[9] == want[9]
        window_ok = got[8] is None or got[8] == want[8]
        if not (same and window_ok) or abs(got[1] - want[1]) > SAME_FRAME_SECONDS:
            return [f"frame {got[0]} is {got[1:]} here and {want[1:]} in the reference capture"]
    return []


def app_times(streams, t0):
    """Replace the child's wall-clock *_epoch facts by *_time relative to the first packet."""
    for s in streams:
        app = s["facts"].get("app")
        if app:
            for key in [k for k in app if k.endswith("_epoch")]:
                app[key[:-len("_epoch")] + "_time"] = round(app.pop(key) - t0, 6)


def probes_of(stream, side=None):
    """The probes of a stream's episodes (of one prober side's, if given)."""
    return [p for e in stream["capture"]["episodes"] if side in (None, e["prober"])
            for p in e["probes"]]


def validate(spec, result):
    kernel = {**result["kernel"], **result["kernel_extra"]}
    streams = result["streams"]
    problems = []
    for name, (lo, hi) in spec["counters"].items():
        if name not in kernel:
            problems.append(f"this kernel has no counter {name}")
        elif kernel[name] < lo or (hi is not None and kernel[name] > hi):
            want = f"== {lo}" if lo == hi else f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
            problems.append(f"{name} = {kernel[name]}, scenario needs {want}")
    seen = {c: 0 for c in COUNTERS}
    for s in streams:
        cap, tag = s["capture"], f"{s['role']} stream :{s['client_port']}->:{s['server_port']}"
        want_syn = spec.get("syn", 2)
        if cap["syn"] != want_syn:
            problems.append(f"{tag}: {cap['syn']} SYN segments captured, expected {want_syn}")
        if cap["rst"] and not spec.get("rst"):
            problems.append(f"{tag}: {cap['rst']} RST segments, expected a clean close")
        shaped = {side: cap["seq_minus_one_acks"][side] + cap.get("urgent_probes", {}).get(side, 0)
                  for side in ("client", "server")}
        probers = oracle.stream_probers(s)
        for side in ("client", "server"):
            n = shaped[side]
            if side not in probers and n:
                problems.append(f"{tag}: {n} probe-shaped segments from the {side}, which must not probe")
        for side, kind in probers.items():
            n, in_episodes = shaped[side], len(probes_of(s, side))
            if n == 0:
                problems.append(f"{tag}: no {kind} probe from the {side} captured")
            if n != in_episodes:
                problems.append(f"{tag}: {n} probe-shaped segments from the {side} but {in_episodes} "
                                "in its episodes")
            seen[COUNTER_FOR[kind]] += n
        # A cut window field cannot show the zero window; the reference capture taken at the same
        # time does (compare_with_reference).
        if (s["facts"].get("peer_window_zero") and cap["zero_window_segments"]["server"] == 0
                and cap["window_unknown_segments"]["server"] == 0):
            problems.append(f"{tag}: no zero-window segment from the server captured")
    for c in COUNTERS:
        if seen[c] != kernel[c]:
            problems.append(f"capture holds {seen[c]} probe-shaped segments for {c}, kernel counted {kernel[c]}")
    # A Linux receiver answers every probe unless its out-of-window ACK rate limit holds the reply
    # back, which it counts; scenarios that drop segments on purpose say so and check it themselves.
    if not spec.get("drops") and "TcpExtTCPACKSkippedSeq" in kernel:
        unanswered = sum(p["answered_frame"] is None and not p.get("urgent")
                         for s in streams for p in probes_of(s))
        if unanswered != kernel["TcpExtTCPACKSkippedSeq"]:
            problems.append(f"{unanswered} probes without an answer, but TcpExtTCPACKSkippedSeq = "
                            f"{kernel['TcpExtTCPACKSkippedSeq']}")
    if "check" in spec:
        problems += spec["check"](result)
    if problems:
        raise ScenarioError("; ".join(problems))


# Per-scenario intent checks: each takes the result and returns a list of problems.

def only_stream(result):
    (s,) = result["streams"]
    return s, s["capture"]["episodes"], s["facts"]["app"] or {}


def check_stall_twice(result):
    s, eps, _ = only_stream(result)
    problems = []
    if len(eps) != 2:
        problems.append(f"{len(eps)} episodes, expected 2")
    for n, e in enumerate(eps, 1):
        if e["kind"] != "zero_window" or e["end"] != "reopened" or len(e["probes"]) < 2:
            problems.append(f"episode {n}: {e['kind']}, {len(e['probes'])} probes, ended {e['end']}; "
                            "expected a zero-window episode with >= 2 probes that reopens")
    return problems


def rsts_from(s, side):
    return [r for r in s["capture"]["rst_frames"] if r["from"] == side]


def check_aborted_then_reset(result, call_error):
    """The client was aborted silently (no RST before the abort, which the application saw as
    call_error); the server's window update afterwards is answered by the client's kernel with a
    RST since the socket is gone."""
    s, eps, app = only_stream(result)
    problems = []
    if app.get("client_error", call_error) != call_error:
        problems.append(f"the client saw {app.get('client_error')}, expected {call_error}")
    abort_time = app.get("client_error_time", app.get("orphan_gone_time"))
    early = [r for r in rsts_from(s, "client") if r["time"] < abort_time]
    if early:
        problems.append(f"RST from the client at {early[0]['time']} s, before the abort at {abort_time} s")
    if len(eps) != 1 or eps[0]["end"] != "reopened":
        problems.append(f"episodes {[(e['kind'], e['end']) for e in eps]}: expected one zero-window "
                        "episode ended by the server's window update")
    elif not any(r["frame"] > eps[0]["reopened_frame"] for r in rsts_from(s, "client")):
        problems.append("no RST from the client after the server's window update")
    if app.get("server_outcome") != "ECONNRESET":
        problems.append(f"the server's read ended with {app.get('server_outcome')}, expected ECONNRESET")
    return problems


def check_user_timeout(result):
    return check_aborted_then_reset(result, "ETIMEDOUT")


def check_orphan(result):
    s, eps, app = only_stream(result)
    problems = check_aborted_then_reset(result, None)
    after_close = [p for p in probes_of(s) if p["time"] > app["client_close_time"]]
    if not after_close:
        problems.append("no probe from the orphaned socket after close()")
    return problems


def check_keepalive_abort(result):
    s, eps, app = only_stream(result)
    cnt = KEEPALIVE_ABORT_OPTS["TCP_KEEPCNT"]
    problems = []
    if app.get("client_error") != "ETIMEDOUT":
        problems.append(f"the client saw {app.get('client_error')}, expected ETIMEDOUT")
    if len(eps) != 1:
        return problems + [f"{len(eps)} keep-alive series, expected 1"]
    e = eps[0]
    if len(e["probes"]) != cnt or any(p["answered_frame"] for p in e["probes"]):
        problems.append(f"{len(e['probes'])} keep-alives, "
                        f"{sum(bool(p['answered_frame']) for p in e['probes'])} answered; "
                        f"expected {cnt} unanswered")
    if e["end"] != "rst_from_prober":
        problems.append(f"keep-alive series ended {e['end']}, expected rst_from_prober")
    kernel = result["kernel_extra"]
    if kernel.get("TcpExtTCPACKSkippedSeq"):
        problems.append("the server skipped out-of-window ACKs; it should have received nothing")
    return problems


def check_ratelimit(result):
    s, _, _ = only_stream(result)
    skipped = result["kernel_extra"].get("TcpExtTCPACKSkippedSeq", 0)
    unanswered = sum(p["answered_frame"] is None for p in probes_of(s))
    if skipped < 2 or unanswered != skipped:  # equality is checked for every scenario, too
        return [f"{unanswered} unanswered probes, TcpExtTCPACKSkippedSeq = {skipped}; expected >= 2 "
                "and equal"]
    return []


def check_long_backoff(result):
    s, eps, _ = only_stream(result)
    times = [p["time"] for e in eps for p in e["probes"]]
    gaps = [b - a for a, b in zip(times, times[1:])]
    if len(eps) != 1 or not gaps or max(gaps) < 2.0:
        return [f"{len(eps)} episodes, probe intervals {[round(g, 3) for g in gaps]}: expected one "
                "episode with an interval >= 2 s"]
    return []


def check_urgent(result):
    s, eps, _ = only_stream(result)
    urgent = [p for p in probes_of(s) if p.get("urgent")]
    plain = [p for p in probes_of(s) if not p.get("urgent")]
    if len(urgent) < 3 or len(urgent) != len(plain):
        return [f"{len(urgent)} URG probes at SND.UNA and {len(plain)} at SND.UNA-1: expected >= 3 "
                "pairs"]
    return []


def check_midstream(result):
    s, eps, _ = only_stream(result)
    if len(eps) != 1 or eps[0]["kind"] != "keepalive" or not eps[0]["probes"][0]["lookahead"]:
        return [f"episodes {[(e['kind'], len(e['probes'])) for e in eps]}: expected one keep-alive "
                "series whose first keep-alive precedes every segment of the server"]
    return []


def opening_probe(result):
    """(stream, episode) whose first probe is the capture's first frame, or (None, None)."""
    for s in result["streams"]:
        for e in s["capture"]["episodes"]:
            if e["probes"][0]["frame"] == 1:
                return s, e
    return None, None


def check_persist_midstream(result):
    s, eps, _ = only_stream(result)
    problems = []
    before = result["kernel_readings"]["at_capture_start"]["TcpExtTCPWinProbe"]
    if before < MIDSTREAM_AFTER_PROBES:
        problems.append(f"{before} probes before the capture started, expected >= "
                        f"{MIDSTREAM_AFTER_PROBES}: probing had not begun")
    _, first = opening_probe(result)
    if (len(eps) != 1 or first is not eps[0] or eps[0]["kind"] != "zero_window"
            or eps[0]["closed_frame"] is not None or not eps[0]["probes"][0]["lookahead"]
            or eps[0]["end"] != "reopened"):
        problems.append(f"episodes {[(e['kind'], len(e['probes']), e['end']) for e in eps]}: "
                        "expected one zero-window episode that opens the capture with a probe "
                        "recognisable only by the server's later ACK, and reopens")
    return problems


def check_keepalive_open_midstream(result):
    s, eps, _ = only_stream(result)
    problems = []
    _, first = opening_probe(result)
    if (len(eps) != 1 or first is not eps[0] or eps[0]["kind"] != "keepalive"
            or not eps[0]["probes"][0]["lookahead"] or len(eps[0]["probes"]) < 2):
        problems.append(f"episodes {[(e['kind'], len(e['probes'])) for e in eps]}: expected one "
                        "keep-alive series whose first keep-alive is the capture's first frame")
    zero = s["capture"]["zero_window_segments"]
    if zero != {"client": 0, "server": 0}:
        problems.append(f"zero-window segments {zero}: the window must stay open")
    return problems


def check_snap(result, linktype, snaplen, cut):
    """What the snap length did: "window" (every TCP header cut before its window field),
    "options" (every TCP header cut in its options, the window kept) or "payload" (every header
    whole but maybe the SYNs', whose options are 8 bytes longer; payload cut)."""
    cap = result["capture"]
    n = cap["packets"]
    problems = []
    if (cap["linktype"], cap["snaplen"]) != (linktype, snaplen):
        problems.append(f"link type {cap['linktype']}, snap length {cap['snaplen']}: expected "
                        f"{linktype}, {snaplen}")
    syn = cap["syn_header_cut_frames"]
    want = {"window": (n, n), "options": (0, n), "payload": (0, syn)}[cut]
    got = (cap["window_unknown_frames"], cap["tcp_header_cut_frames"])
    if got != want:
        problems.append(f"{got[0]} frames with the window cut and {got[1]} with the TCP header cut, "
                        f"of {n}: expected {want[0]} and {want[1]}")
    if cap["cut_frames"] == 0:
        problems.append("no frame was cut")
    if cut == "window":
        for s in result["streams"]:
            if any(not e["window_unknown"] for e in s["capture"]["episodes"]):
                problems.append("an episode does not say its window is unknown")
    return problems


def capped_intervals(result):
    """The persist intervals of the only stream's only episode, and the cap in seconds."""
    s, eps, _ = only_stream(result)
    times = [p["time"] for e in eps for p in e["probes"]]
    return [round(b - a, 3) for a, b in zip(times, times[1:])], RTO_MAX_MS / 1000, eps


def at_cap(gap, cap):
    return abs(gap - cap) <= 0.1 * cap


def check_rto_max(result):
    gaps, cap, eps = capped_intervals(result)
    if result["sysctls"].get("net.ipv4.tcp_rto_max_ms") != str(RTO_MAX_MS):
        return [f"net.ipv4.tcp_rto_max_ms is {result['sysctls'].get('net.ipv4.tcp_rto_max_ms')}"]
    capped = [at_cap(g, cap) for g in gaps]
    first_capped = capped.index(True) if True in capped else len(gaps)
    if (len(eps) != 1 or first_capped == 0 or not all(capped[first_capped:])
            or len(gaps) - first_capped < 3 or max(gaps) > cap * 1.1):
        return [f"{len(eps)} episodes, probe intervals {gaps}: expected one episode whose "
                f"intervals grow to the {cap} s cap and then stay there for >= 3 intervals"]
    return []


def check_rto_max_cut(result):
    gaps, cap, eps = capped_intervals(result)
    problems = []
    _, first = opening_probe(result)
    if len(eps) != 1 or first is not eps[0] or not eps[0]["probes"][0]["lookahead"]:
        problems.append(f"{len(eps)} episodes: expected one whose first probe opens the cut")
    if len(gaps) < 2 or not all(at_cap(g, cap) for g in gaps):
        problems.append(f"probe intervals {gaps}: expected >= 2, all at the {cap} s cap")
    return problems


def check_both_directions(result):
    s, eps, _ = only_stream(result)
    persist = [e for e in eps if e["prober"] == "client" and e["kind"] == "zero_window"]
    keepalive = [e for e in eps if e["prober"] == "server" and e["kind"] == "keepalive"]
    if len(persist) != 1 or len(keepalive) != 1 or len(eps) != 2:
        return [f"episodes {[(e['prober'], e['kind'], len(e['probes'])) for e in eps]}: expected "
                "the client's zero-window episode and the server's keep-alive series"]
    p, k = persist[0], keepalive[0]
    problems = []
    if len(p["probes"]) < 3 or p["end"] != "reopened":
        problems.append(f"zero-window episode with {len(p['probes'])} probes, ended {p['end']}")
    inside = [q for q in k["probes"] if p["probes"][0]["frame"] < q["frame"] < p["end_frame"]]
    if len(inside) < 2:
        problems.append(f"{len(inside)} server keep-alives while the client probed, expected >= 2")
    if k["end"] != "data":
        problems.append(f"keep-alive series ended {k['end']}, expected data (the drain)")
    return problems


def capture_record(info, packets, out_name, args, from_handshake):
    """The JSON's "capture": what was captured how; link type and snap length as the file says."""
    return {"file": f"{out_name}.pcap", "snaplen": info["snaplen"], "linktype": info["linktype"],
            "interface": args[args.index("-i") + 1], "tcpdump_args": args, "filter": "tcp",
            "packets": packets, "from_handshake": from_handshake,
            **{k: info[k] for k in ("cut_frames", "tcp_header_cut_frames", "syn_header_cut_frames",
                                    "window_unknown_frames")}}


def pcap_records(path):
    """The raw records of a pcap (16-byte header and captured bytes each)."""
    with open(path, "rb") as f:
        data = f.read()
    records, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        records.append(data[off:off + 16 + incl])
        off += 16 + incl
    return records


def cut_capture(path, segments, mark, cut_path, names):
    """editcap -r: the frames of path after the mark. The mark must fall in a gap of the capture
    (no frame within MARK_GAP_SECONDS of the counter reading), so that every frame before it was
    counted in the reading and none after it. Returns (first frame kept, the editcap command as
    it reads with names, the final file names, for path and cut_path)."""
    lo, hi = mark["epoch_from"] - MARK_GAP_SECONDS, mark["epoch_to"] + MARK_GAP_SECONDS
    near = [seg[0] for seg in segments if lo <= seg[1] <= hi]
    if near:
        raise ScenarioError(f"frame(s) {near} within {MARK_GAP_SECONDS} s of the counter reading "
                            "the cut starts at: its counters would not be exact")
    first = next((seg[0] for seg in segments if seg[1] > hi), None)
    if first is None:
        raise ScenarioError("no frame after the mark")
    cmd = ["editcap", "-F", "pcap", "-r", path, cut_path, f"{first}-{len(segments)}"]
    run(cmd, "cutting the capture with editcap")
    if pcap_records(cut_path) != pcap_records(path)[first - 1:]:
        raise ScenarioError("editcap's cut is not byte for byte the full capture's frames "
                            f"{first}-{len(segments)}")
    return first, " ".join(shlex.quote(c) for c in cmd[:4] + list(names) + cmd[6:])


def output_result(out, spec, facts, info, segments, path, readings, attempt, from_handshake, args):
    """One output capture's JSON (before validation): its own counter readings, its own analysis
    of the shared streams, its own times."""
    start, end = readings
    streams = json.loads(json.dumps(facts["streams"]))  # each output analyses its own copy
    packets, t0 = analyse_capture(path, segments, streams)
    app_times(streams, t0)
    return {
        "scenario": out,
        "description": spec["description"],
        "generator": "tests/gen/gen_captures.py",
        "kernel_release": os.uname().release,
        "kernel": {c: end[c] - start[c] for c in COUNTERS},
        "kernel_extra": {c: end[c] - start[c] for c in EXTRA_COUNTERS if c in end},
        # The namespace's counters when the capture (or cut) started and when it ended: "kernel"
        # and "kernel_extra" are their differences.
        "kernel_readings": {"at_capture_start": start, "at_capture_end": end},
        "sysctls": facts["sysctls"],
        "attempt": attempt,
        "capture": capture_record(info, packets, out, args, from_handshake),
        "streams": streams,
    }


def run_attempt(name, spec, outdir, attempt):
    """One run of a scenario in a fresh namespace; returns its outputs' results, written to
    outdir. A run captures its traffic on lo at SNAPLEN; a spec with "captures" writes instead the
    captures listed there, each a tcpdump of its own running at the same time, and uses the lo one
    as their reference; a spec with "cut" also writes the editcap cut of the lo capture that
    starts at the child's @mark."""
    ns = f"tcpprobe-{name}-{os.getpid()}-{attempt}"

    def tmp(tag):
        return os.path.join(outdir, f".{name}.{tag}.tmp")

    capture = Capture(ns, tmp("pcap"))
    extra = {out: Capture(ns, tmp(f"{out}.pcap"), cfg["iface_args"])
             for out, cfg in spec.get("captures", {}).items()}
    variants = {}
    if os.environ.get("TCPPROBE_GEN_LINK_VARIANTS") == "1":
        variants = {v: Capture(ns, os.path.join(outdir, f".{name}.{v}.pcap.tmp"), args)
                    for v, args in LINK_VARIANTS.items()}
    tcpdumps = [*extra.values(), *variants.values(), capture]
    readings, marks = {}, []

    def start_capture():
        # The counters are read before any tcpdump starts and again once all listen: if they
        # differ, something was sent while tcpdump started (midstream: a probe timer fired) and
        # the capture's counters would not be exact.
        readings["start"] = read_counters(ns)
        for c in tcpdumps:
            c.start()
        listening = read_counters(ns)
        changed = {k: (v, listening[k]) for k, v in readings["start"].items() if listening[k] != v}
        if changed:
            raise ScenarioError(f"counters changed while tcpdump started: {changed}")

    def mark():
        epoch_from = time.time()
        counters = read_counters(ns)
        marks.append({"epoch_from": epoch_from, "epoch_to": time.time(), "counters": counters})

    run(["ip", "netns", "add", ns], "creating network namespace")
    try:
        run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], "bringing up lo")
        if not spec.get("midstream"):
            start_capture()
        facts = run_child(ns, name, {"@capture": start_capture, "@mark": mark})
        if not readings:
            raise ScenarioError("the child never asked for the capture to start")
        if "cut" in spec and len(marks) != 1:
            raise ScenarioError(f"the child asked for {len(marks)} counter readings, expected 1")
        time.sleep(0.5)  # let the last ACKs reach the capture
        after = read_counters(ns)
        dropped = [d for d in (c.stop() for c in tcpdumps) if d]
        if dropped:
            raise ScenarioError(f"tcpdump dropped {dropped} packets")
    finally:
        try:
            for c in tcpdumps:
                c.stop()  # no-op unless an error left tcpdump running
        finally:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    ref_info, ref_segments = read_capture(capture.path)
    lo_args = capture.iface_args
    from_handshake = not spec.get("midstream", False)
    results = []  # (result, spec to validate it with, tmp pcap)
    if "captures" in spec:
        others = list(spec["captures"])
        for out, cfg in spec["captures"].items():
            info, segments = read_capture(extra[out].path)
            problems = compare_with_reference(segments, ref_segments)
            if problems:
                raise ScenarioError(f"{out}: " + "; ".join(problems))
            out_spec = {**spec, **cfg}
            res = output_result(out, out_spec, facts, info, segments, extra[out].path,
                                (readings["start"], after), attempt, from_handshake,
                                cfg["iface_args"])
            res["simultaneous_captures"] = {
                "run": name, "outputs": [o for o in others if o != out],
                "reference": f"tcpdump {' '.join(lo_args)} (not kept): the same frames, with the "
                             "same addresses, ports, seq, ack, flags and IP lengths, the same window "
                             f"where captured, time stamps within {SAME_FRAME_SECONDS} s"}
            results.append((res, out_spec, extra[out].path))
    else:
        res = output_result(name, spec, facts, ref_info, ref_segments, capture.path,
                            (readings["start"], after), attempt, from_handshake, lo_args)
        results.append((res, spec, capture.path))
    if "cut" in spec:
        cfg = spec["cut"]
        out, cut_path = cfg["name"], tmp(f"{cfg['name']}.pcap")
        first, cmd = cut_capture(capture.path, ref_segments, marks[0], cut_path,
                                 (f"{name}.pcap", f"{out}.pcap"))
        info, segments = read_capture(cut_path)
        out_spec = {**{k: v for k, v in spec.items() if k not in ("check", "syn")}, **cfg}
        res = output_result(out, out_spec, facts, info, segments, cut_path,
                            (marks[0]["counters"], after), attempt, False, lo_args)
        res["cut"] = {"from": f"{name}.pcap", "first_frame": first, "editcap": cmd,
                      "counters_read_between": [round(marks[0]["epoch_from"] - ref_segments[0][1], 6),
                                                round(marks[0]["epoch_to"] - ref_segments[0][1], 6)],
                      "note": "counters_read_between: seconds after the first frame of the full "
                              f"capture; no frame lies within {MARK_GAP_SECONDS} s of it"}
        results.append((res, out_spec, cut_path))
    for res, out_spec, _ in results:
        try:
            validate(out_spec, res)
        except ScenarioError as e:
            raise ScenarioError(f"{res['scenario']}: {e}")
    for res, _, pcap in results:
        out = res["scenario"]
        os.replace(pcap, os.path.join(outdir, f"{out}.pcap"))
        json_tmp = os.path.join(outdir, f".{out}.json.tmp")
        with open(json_tmp, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
        os.replace(json_tmp, os.path.join(outdir, f"{out}.json"))
    for v, c in variants.items():
        os.replace(c.path, os.path.join(outdir, f"{name}.{v}.pcap"))
    return [res for res, _, _ in results]


def summary(res):
    k = {**res["kernel"], **res["kernel_extra"]}
    parts = [f"{c.removeprefix('TcpExtTCP')}={v}" for c, v in k.items() if v or c in COUNTERS]
    for s in res["streams"]:
        for e in s["capture"]["episodes"]:
            parts.append(f"{e['prober']}:{e['kind']}[{len(e['probes'])} probes, "
                         f"{sum(p['answered_frame'] is None for p in e['probes'])} unanswered, {e['end']}]")
        if s["facts"]["app"]:
            parts.append(" ".join(f"{key}={v}" for key, v in s["facts"]["app"].items()
                                  if key.endswith(("error", "outcome", "lifetime_s"))))
    return " ".join(parts)


def generate(name, outdir):
    spec = SCENARIOS[name]
    started = time.monotonic()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            results = run_attempt(name, spec, outdir, attempt)
        except ScenarioError as e:
            print(f"{name}: attempt {attempt}/{ATTEMPTS} failed: {e}", file=sys.stderr)
            continue
        finally:
            for tmp in os.listdir(outdir):
                if tmp.startswith(f".{name}.") and tmp.endswith(".tmp"):
                    os.remove(os.path.join(outdir, tmp))
        for res in results:
            out = res["scenario"] if res["scenario"] == name else f"{name} -> {res['scenario']}"
            print(f"{out}: {summary(res)} packets={res['capture']['packets']} attempt={attempt} "
                  f"{time.monotonic() - started:.1f}s")
        return True
    print(f"{name}: FAILED after {ATTEMPTS} attempts", file=sys.stderr)
    return False


SCENARIOS = {
    "persist_v4": {
        "description": "IPv4: server (SO_RCVBUF 2048) does not read; client (TCP_NODELAY, SO_SNDBUF 4096) "
                       "queues until EAGAIN; window 0 with data queued for 3.5 s, so the client sends "
                       "persist probes; then the server drains and both close cleanly.",
        "run": lambda: [persist_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (3, None), "TcpExtTCPKeepAlive": (0, 0)},
    },
    "persist_v6": {
        "description": "persist_v4 over ::1.",
        "run": lambda: [persist_stream(6)],
        "counters": {"TcpExtTCPWinProbe": (3, None), "TcpExtTCPKeepAlive": (0, 0)},
    },
    "keepalive_v4": {
        "description": "IPv4: request/response, then 3.5 s idle with SO_KEEPALIVE, TCP_KEEPIDLE 1, "
                       "TCP_KEEPINTVL 1, TCP_KEEPCNT 9 on the client (answered keep-alives about every "
                       "second); clean close.",
        "run": lambda: [keepalive_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (0, 0), "TcpExtTCPKeepAlive": (2, None)},
    },
    "keepalive_zero_window": {
        "description": "IPv4: server (SO_RCVBUF 2048) does not read; the client (TCP_NODELAY) fills the "
                       "server's window exactly, so the last ACK says window 0 while the client has "
                       "nothing queued; 3.5 s idle with client keep-alive (idle 1 s, interval 1 s): "
                       "keep-alives sent to a zero window, no persist probes; then the server drains "
                       "and both close cleanly.",
        "run": lambda: [keepalive_zero_window_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (0, 0), "TcpExtTCPKeepAlive": (2, None)},
    },
    "multi_stream": {
        "description": "One namespace, one capture, concurrently: persist streams over IPv4 and IPv6, "
                       "keep-alive streams over IPv4 and IPv6 (as in persist_v4 / keepalive_v4), and a "
                       "200 KB IPv4 bulk transfer with a reading server that probes neither way.",
        "run": lambda: run_concurrently([(persist_stream, 4), (persist_stream, 6), (keepalive_stream, 4),
                                         (keepalive_stream, 6), (bulk_stream, 4)]),
        "counters": {"TcpExtTCPWinProbe": (2, None), "TcpExtTCPKeepAlive": (2, None)},
    },
    "stall_twice": {
        "description": "IPv4, as persist_v4 but two stalls in one connection: window 0 with data queued, "
                       "persist probes for 2.5 s, the server drains, the client queues again, window 0 "
                       "again, probes for 2.5 s (the backoff starts over), the server drains; clean close.",
        "run": lambda: [stall_twice_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (4, None), "TcpExtTCPKeepAlive": (0, 0)},
        "check": check_stall_twice,
    },
    "user_timeout": {
        "description": f"IPv4, as persist_v4 but the client has TCP_USER_TIMEOUT {USER_TIMEOUT_MS} ms and "
                       "the server never reads while its kernel answers the probes: the client kernel "
                       "aborts the connection without sending anything (its blocked send() fails with "
                       "ETIMEDOUT). Then the server reads what it holds; its window update reaches no "
                       "socket and the client's kernel answers it with a RST.",
        "run": lambda: [user_timeout_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (2, None), "TcpExtTCPKeepAlive": (0, 0),
                     "TcpExtTCPAbortOnTimeout": (1, 1)},
        "rst": True,
        "check": check_user_timeout,
    },
    "keepalive_abort": {
        "description": "IPv4: request/response, then the client (SO_KEEPALIVE, TCP_KEEPIDLE 1, "
                       "TCP_KEEPINTVL 1, TCP_KEEPCNT 3) idles while every segment to the server is "
                       "dropped at lo's ingress after the capture saw it (tc bpf filter): three "
                       "unanswered keep-alives, then the client kernel sends a RST and its recv() fails "
                       "with ETIMEDOUT. Then the filter goes; the server, which saw none of it, shuts "
                       "down its side and its FIN is answered by a RST from the client's kernel.",
        "run": lambda: [keepalive_abort_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (0, 0), "TcpExtTCPKeepAlive": (3, 3),
                     "TcpExtTCPAbortOnTimeout": (1, 1)},
        "rst": True,
        "drops": True,
        "check": check_keepalive_abort,
    },
    "orphan": {
        "description": "IPv4, as persist_v4 but the client close()s while its data waits for the zero "
                       "window; the orphaned socket (FIN_WAIT1) keeps probing. With net.ipv4.tcp_rto_max_ms "
                       f"{ORPHAN_RTO_MAX_MS} the kernel soon counts it dead and drops it without sending "
                       "anything. Then the server reads what it holds; its window update reaches no socket "
                       "and the client's kernel answers it with a RST.",
        "run": lambda: [orphan_stream(4)],
        "sysctls": {"net.ipv4.tcp_rto_max_ms": ORPHAN_RTO_MAX_MS},
        "counters": {"TcpExtTCPWinProbe": (2, None), "TcpExtTCPKeepAlive": (0, 0)},
        "rst": True,
        "check": check_orphan,
    },
    "ratelimit": {
        "description": f"IPv4, persist_v4 with net.ipv4.tcp_invalid_ratelimit {INVALID_RATELIMIT_MS} ms: "
                       "the receiver answers at most one out-of-window segment per 2 s, so some probes go "
                       "unanswered, each counted in TcpExtTCPACKSkippedSeq.",
        "run": lambda: [persist_stream(4)],
        "sysctls": {"net.ipv4.tcp_invalid_ratelimit": INVALID_RATELIMIT_MS},
        "counters": {"TcpExtTCPWinProbe": (3, None), "TcpExtTCPKeepAlive": (0, 0),
                     "TcpExtTCPACKSkippedSeq": (2, None)},
        "check": check_ratelimit,
    },
    "long_backoff": {
        "description": f"IPv4, persist_v4 with net.ipv4.tcp_rto_min_us {LONG_RTO_MIN_US} and a "
                       f"{LONG_STALL_SECONDS} s stall: the persist timer starts at the 1.2 s RTO, so the "
                       "probes come ~1.2, 3.6 and 8.4 s after the window closes (intervals 2.4, 4.8 s).",
        "run": lambda: [persist_stream(4, stall=LONG_STALL_SECONDS)],
        "sysctls": {"net.ipv4.tcp_rto_min_us": LONG_RTO_MIN_US},
        "counters": {"TcpExtTCPWinProbe": (2, None), "TcpExtTCPKeepAlive": (0, 0)},
        "check": check_long_backoff,
    },
    "urgent": {
        "description": "IPv4: as persist_v4, but after the window closes the client also sends one byte "
                       "with MSG_OOB (the server reads with SO_OOBINLINE): with SND.UP just above SND.UNA "
                       "each persist expiry sends two probes, one at SND.UNA with URG and the usual one "
                       "at SND.UNA-1, and the kernel counts both in TCPWinProbe. The receiver takes the "
                       "in-window URG probe silently and answers the other.",
        "run": lambda: [urgent_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (6, None), "TcpExtTCPKeepAlive": (0, 0)},
        "check": check_urgent,
    },
    "keepalive_doubled_once": {
        "description": "keepalive_zero_window with TCP_KEEPIDLE 1 and TCP_KEEPINTVL 2 and "
                       f"{DOUBLED_ONCE_IDLE_SECONDS} s idle: keep-alives into a zero window ~1 s after the "
                       "last segment, then every 2 s (answered: each next one comes after the interval, "
                       "which is longer than the idle time), so the first interval doubles the idle gap "
                       "as a persist backoff would, and then stays constant.",
        "run": lambda: [keepalive_zero_window_stream(4, keepalive=KEEPALIVE_DOUBLED_ONCE_OPTS,
                                                     idle=DOUBLED_ONCE_IDLE_SECONDS)],
        "counters": {"TcpExtTCPWinProbe": (0, 0), "TcpExtTCPKeepAlive": (3, None)},
    },
    "persist_rto_2s": {
        "description": f"IPv4, persist_v4 with net.ipv4.tcp_rto_min_us {RTO_2S_MIN_US} and a "
                       f"{RTO_2S_STALL_SECONDS} s stall: the first probe comes 2 s after the window "
                       "closes, long enough for a keep-alive, then 4 s and 8 s later.",
        "run": lambda: [persist_stream(4, stall=RTO_2S_STALL_SECONDS)],
        "sysctls": {"net.ipv4.tcp_rto_min_us": RTO_2S_MIN_US},
        "counters": {"TcpExtTCPWinProbe": (3, None), "TcpExtTCPKeepAlive": (0, 0)},
        "check": check_long_backoff,
    },
    "keepalive_midstream": {
        "description": "keepalive_zero_window, but tcpdump starts after the handshake and the fill: the "
                       "capture has no SYN and no RTT sample, and its first segment is a keep-alive to a "
                       "zero window. The counters cover only the capture.",
        "run": lambda: [keepalive_zero_window_stream(4, midstream=True)],
        "midstream": True,
        "syn": 0,
        "counters": {"TcpExtTCPWinProbe": (0, 0), "TcpExtTCPKeepAlive": (2, None)},
        "check": check_midstream,
    },
    # Snap lengths: the same traffic captured at once by tcpdumps of their own (not editcap
    # copies); each output's frames are checked against the run's full lo capture
    # (compare_with_reference) and its cut against what it claims (check_snap).
    "persist_v4_snap": {
        "description": "persist_v4, captured by two more tcpdumps at once with short snap lengths.",
        "run": lambda: [persist_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (3, None), "TcpExtTCPKeepAlive": (0, 0)},
        "captures": {
            "persist_v4_s68": {
                "description": "persist_v4 captured with tcpdump -i lo -s 68: IPv4 over Ethernet keeps "
                               "the whole TCP header (66 bytes with the timestamp option) but the "
                               "SYNs' (their options end 6 bytes later); payload is cut.",
                "iface_args": ["-i", "lo", "-s", "68"],
                "check": lambda r: check_snap(r, "EN10MB", 68, "payload"),
            },
            "persist_any_v4_s68": {
                "description": "persist_v4 captured with tcpdump -i any -y LINUX_SLL2 -s 68 (Linux "
                               "cooked v2, what tcpdump 4.99 writes for -i any): the 20-byte cooked "
                               "header leaves 28 of the 32 bytes of the TCP header: the window is "
                               "kept, the timestamp option cut.",
                "iface_args": ["-i", "any", "-y", "LINUX_SLL2", "-s", "68"],
                "check": lambda r: check_snap(r, "LINUX_SLL2", 68, "options"),
            },
        },
    },
    "persist_v6_snap": {
        "description": "persist_v6, captured by three more tcpdumps at once with short snap lengths.",
        "run": lambda: [persist_stream(6)],
        "counters": {"TcpExtTCPWinProbe": (3, None), "TcpExtTCPKeepAlive": (0, 0)},
        "captures": {
            "persist_v6_s68": {
                "description": "persist_v6 captured with tcpdump -i lo -s 68: IPv6 over Ethernet keeps "
                               "14 bytes of the TCP header (ports, seq, ack, offset, flags): every "
                               "window is unknown.",
                "iface_args": ["-i", "lo", "-s", "68"],
                "check": lambda r: check_snap(r, "EN10MB", 68, "window"),
            },
            "persist_v6_s96": {
                "description": "persist_v6 captured with tcpdump -i lo -s 96: every header whole, "
                               "payload cut.",
                "iface_args": ["-i", "lo", "-s", "96"],
                "check": lambda r: check_snap(r, "EN10MB", 96, "payload"),
            },
            "persist_any_v6_s96": {
                "description": "persist_v6 captured with tcpdump -i any -y LINUX_SLL2 -s 96: every "
                               "header whole (20 + 40 + 32 bytes) but the SYNs' (their options end "
                               "4 bytes later); payload cut.",
                "iface_args": ["-i", "any", "-y", "LINUX_SLL2", "-s", "96"],
                "check": lambda r: check_snap(r, "LINUX_SLL2", 96, "payload"),
            },
        },
    },
    "keepalive_v6_snap": {
        "description": "keepalive_v4 over ::1, captured by another tcpdump at once with a short snap "
                       "length.",
        "run": lambda: [keepalive_stream(6)],
        "counters": {"TcpExtTCPWinProbe": (0, 0), "TcpExtTCPKeepAlive": (2, None)},
        "captures": {
            "keepalive_v6_s68": {
                "description": "keepalive_v4 over ::1 captured with tcpdump -i lo -s 68: 14 bytes of "
                               "each TCP header kept, every window unknown.",
                "iface_args": ["-i", "lo", "-s", "68"],
                "check": lambda r: check_snap(r, "EN10MB", 68, "window"),
            },
        },
    },
    "persist_midstream": {
        "description": "persist_v4, but tcpdump starts only after the window closed and the client "
                       f"sent {MIDSTREAM_AFTER_PROBES} persist probes (~0.2 and 0.6 s): the capture "
                       "has no SYN, no zero-window ACK that closed the window, and its first frame is "
                       "a probe, known as one only from the server's later ACK. The counters cover "
                       "only the capture (kernel_readings).",
        "run": lambda: [persist_stream(4, capture_after_probes=MIDSTREAM_AFTER_PROBES)],
        "midstream": True,
        "syn": 0,
        "counters": {"TcpExtTCPWinProbe": (2, None), "TcpExtTCPKeepAlive": (0, 0)},
        "check": check_persist_midstream,
    },
    "keepalive_open_midstream": {
        "description": "keepalive_v4, but tcpdump starts after the request/response and its ACKs, and "
                       "SO_KEEPALIVE (idle 1 s, interval 1 s) is set only then: the first frame is a "
                       "keep-alive into an open window, before any segment of the server.",
        "run": lambda: [keepalive_open_midstream_stream(4)],
        "midstream": True,
        "syn": 0,
        "counters": {"TcpExtTCPWinProbe": (0, 0), "TcpExtTCPKeepAlive": (2, None)},
        "check": check_keepalive_open_midstream,
    },
    "both_directions": {
        "description": "IPv4, both probes in one stream (class 5): the client persist-probes the "
                       "server's zero window as in persist_v4, while the server (SO_RCVBUF 2048, not "
                       "reading, nothing to send; SO_KEEPALIVE, TCP_KEEPIDLE 1, TCP_KEEPINTVL 1) sends "
                       "keep-alives of its own into the client's open window. TCPWinProbe counts the "
                       "client's probes, TCPKeepAlive the server's (streams[].probers).",
        "run": lambda: [both_directions_stream(4)],
        "counters": {"TcpExtTCPWinProbe": (3, None), "TcpExtTCPKeepAlive": (2, None)},
        "check": check_both_directions,
    },
    "persist_rto_max": {
        "description": f"IPv4, persist_v4 with net.ipv4.tcp_rto_max_ms {RTO_MAX_MS} and a "
                       f"{RTO_MAX_STALL_SECONDS} s stall: the persist interval doubles from 0.4 s to "
                       "the 1 s cap and then stays there: a constant-interval series of persist "
                       "probes, not keep-alives.",
        "run": lambda: [persist_stream(4, stall=RTO_MAX_STALL_SECONDS,
                                       mark_after_probes=RTO_MAX_CUT_AFTER_PROBES)],
        "sysctls": {"net.ipv4.tcp_rto_max_ms": RTO_MAX_MS},
        "counters": {"TcpExtTCPWinProbe": (6, None), "TcpExtTCPKeepAlive": (0, 0)},
        "check": check_rto_max,
        "cut": {
            "name": "persist_rto_max_cut",
            "description": "persist_rto_max cut with editcap where the namespace's counters were read "
                           f"{MARK_DELAY_SECONDS} s after the {RTO_MAX_CUT_AFTER_PROBES}th probe: it "
                           "starts with a probe and holds only probes at the 1 s cap, a constant "
                           "interval, with no sign of the window closing. The counters are those "
                           "read at the cut subtracted from those at the end.",
            "syn": 0,
            "counters": {"TcpExtTCPWinProbe": (3, None), "TcpExtTCPKeepAlive": (0, 0)},
            "check": check_rto_max_cut,
        },
    },
}

# Output name -> the scenario run that writes it.
OUTPUTS = {}
for _run, _spec in SCENARIOS.items():
    for _out in _spec.get("captures", {_run: None}):
        OUTPUTS[_out] = _run
    if "cut" in _spec:
        OUTPUTS[_spec["cut"]["name"]] = _run


def fail(msg):
    print(f"gen_captures.py: {msg}", file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) == 2 and argv[0] == "--inside":
        try:
            inside(argv[1])
        except (ScenarioError, OSError, RuntimeError) as e:
            print(f"{type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(1)
        return
    known = list(SCENARIOS) + [o for o in OUTPUTS if o not in SCENARIOS]
    if not argv or argv[0].startswith("-"):
        fail(f"usage: {sys.argv[0]} OUTDIR [SCENARIO ...]\nscenarios (a run or one of its "
             f"outputs): {' '.join(known)}")
    outdir, names = os.path.abspath(argv[0]), argv[1:] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS and n not in OUTPUTS]
    if unknown:
        fail(f"unknown scenario {', '.join(unknown)}; known: {' '.join(known)}")
    # An output is made by its run, which makes all of that run's outputs.
    names = list(dict.fromkeys(n if n in SCENARIOS else OUTPUTS[n] for n in names))
    if os.geteuid() != 0:
        fail("must run as root: network namespaces need CAP_SYS_ADMIN")
    for tool, hint in (("ip", "apt-get install -y iproute2"), ("tc", "apt-get install -y iproute2"),
                       ("tcpdump", "apt-get install -y tcpdump"),
                       ("editcap", "apt-get install -y wireshark-common")):
        if shutil.which(tool) is None:
            fail(f"{tool} not found ({hint})")
    os.makedirs(outdir, exist_ok=True)
    # SIGTERM unwinds like Ctrl-C so every namespace and tcpdump is cleaned up by the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        failed = [n for n in names if not generate(n, outdir)]
    except KeyboardInterrupt:
        print("gen_captures.py: interrupted; namespace and tcpdump cleaned up", file=sys.stderr)
        sys.exit(130)
    if failed:
        print(f"gen_captures.py: scenario(s) failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
