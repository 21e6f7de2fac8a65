#!/usr/bin/env python3
"""Generate packet captures of real Linux persist probes and keep-alives, with kernel ground truth.

Usage (as root, Python 3 standard library only):

    python3 tests/gen/gen_captures.py OUTDIR [SCENARIO ...]

With no SCENARIO every scenario runs. For each scenario the script creates a fresh network
namespace, captures its loopback with tcpdump into OUTDIR/<scenario>.pcap, runs real sockets
inside the namespace, and writes OUTDIR/<scenario>.json with the namespace's own kernel counters
TcpExtTCPWinProbe (persist probes sent) and TcpExtTCPKeepAlive (keep-alives sent) and, per TCP
stream, which side was made to probe and how. A scenario whose kernel behaviour does not match
its intent is retried (timing on a loaded machine can spoil one run) and finally reported as an
error with a non-zero exit status.

Internally the script re-invokes itself inside the namespace as
`ip netns exec NS python3 gen_captures.py --inside SCENARIO`; that child does the socket work
and prints its facts as JSON on stdout.
"""

import concurrent.futures
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

SCRIPT = os.path.abspath(__file__)

ATTEMPTS = 3
SNAPLEN = 160
SOCK_TIMEOUT = 5.0  # every blocking socket operation
CHILD_TIMEOUT = 40.0  # the whole socket part of one scenario
# Long enough for four persist probes (sent ~0.2, 0.6, 1.4 and 3.0 s after the window closes,
# the backoff doubling from the 200 ms minimum RTO of loopback) and for three keep-alives
# (TCP_KEEPIDLE = TCP_KEEPINTVL = 1 s); short enough to keep captures small.
IDLE_SECONDS = 3.5
# Small enough that the window closes after a few KB; set before listen() so the accepted socket
# inherits it and the SYN-ACK offers window scale 0 (the capture then shows the real byte counts).
SMALL_RCVBUF = 2048
SMALL_SNDBUF = 4096
BULK_BYTES = 200_000
KEEPALIVE_OPTS = {"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 1, "TCP_KEEPINTVL": 1, "TCP_KEEPCNT": 9}
LOOPBACK = {4: (socket.AF_INET, "127.0.0.1"), 6: (socket.AF_INET6, "::1")}

# Namespace defaults that shape the probes; recorded in the JSON (the generator changes none).
SYSCTLS = [
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_retries2", "net.ipv4.tcp_invalid_ratelimit", "net.ipv4.tcp_rto_min_us",
    "net.ipv4.tcp_rto_max_ms", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_moderate_rcvbuf",
    "net.ipv4.tcp_window_scaling", "net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack",
    "net.ipv4.tcp_shrink_window", "net.ipv4.tcp_autocorking", "net.ipv4.tcp_ecn",
    "net.ipv4.tcp_congestion_control",
]

COUNTERS = ("TcpExtTCPWinProbe", "TcpExtTCPKeepAlive")
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


def open_pair(family, server_opts=None, client_opts=None):
    """Listener with server_opts (set before listen, so the accepted socket inherits them) and a
    connected client with client_opts (set before connect). Returns (client, accepted)."""
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
        return cli, conn


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


def stream_record(family, cli, role, prober, expect, client_opts, server_opts, **facts):
    return {
        "family": family,
        "client_addr": LOOPBACK[family][1],
        "server_addr": LOOPBACK[family][1],
        "client_port": cli.getsockname()[1],
        "server_port": cli.getpeername()[1],
        "role": role,
        "prober": prober,
        "expect": expect,
        "socket_options": {"client": client_opts, "server": server_opts},
        "facts": facts,
    }


def persist_stream(family):
    """The client queues more than the non-reading server can take; the server's window closes with
    data still queued, so the client's persist timer probes until the server reads."""
    server_opts = {"SO_RCVBUF": SMALL_RCVBUF}
    client_opts = {"TCP_NODELAY": 1, "SO_SNDBUF": SMALL_SNDBUF}
    cli, conn = open_pair(family, server_opts, client_opts)
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
    time.sleep(IDLE_SECONDS)
    recv_exactly(conn, queued)  # the window reopens and the queued rest flows
    wait_for(lambda: outq(cli) == 0, 2.0, "the client's queue to drain")
    record = stream_record(family, cli, "persist", "client", "persist", client_opts, server_opts,
                           bytes_client_to_server=queued, peer_window_zero=True,
                           queued_when_window_closed=unsent, stall_seconds=IDLE_SECONDS)
    close_cleanly(cli, conn)
    return record


def keepalive_stream(family):
    """A request/response, then an idle connection whose client sends answered keep-alives."""
    client_opts = dict(KEEPALIVE_OPTS)
    cli, conn = open_pair(family, {}, client_opts)
    cli.sendall(b"ping\n")
    recv_exactly(conn, 5)
    conn.sendall(b"pong\n")
    recv_exactly(cli, 5)
    time.sleep(IDLE_SECONDS)
    record = stream_record(family, cli, "keepalive", "client", "keepalive", client_opts, {},
                           idle_seconds=IDLE_SECONDS)
    close_cleanly(cli, conn)
    return record


def keepalive_zero_window_stream(family):
    """The client fills the server's receive window exactly and then has nothing queued, so the
    server's last ACK says window 0 while no persist timer runs: the client's probes during the
    idle time are keep-alives although the peer's window is zero."""
    server_opts = {"SO_RCVBUF": SMALL_RCVBUF}
    client_opts = {"TCP_NODELAY": 1}
    cli, conn = open_pair(family, server_opts, client_opts)
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
    keepalive_opts = dict(KEEPALIVE_OPTS)
    apply_opts(cli, keepalive_opts)  # only now, so no keep-alive can fall in the fill phase
    time.sleep(IDLE_SECONDS)
    if outq(cli) != 0:
        raise ScenarioError("client had data queued during the idle time")
    window_after = snd_wnd(cli)
    recv_exactly(conn, sent)
    record = stream_record(family, cli, "keepalive_zero_window", "client", "keepalive",
                           {**client_opts, **keepalive_opts}, server_opts,
                           bytes_client_to_server=sent, peer_window_zero=True,
                           peer_window_after_idle=window_after, client_queue_empty=True,
                           idle_seconds=IDLE_SECONDS)
    close_cleanly(cli, conn)
    return record


def bulk_stream(family):
    """A plain transfer with a reading server: neither persist probes nor keep-alives."""
    cli, conn = open_pair(family)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        reader = pool.submit(recv_exactly, conn, BULK_BYTES)
        cli.sendall(b"b" * BULK_BYTES)
        reader.result(timeout=SOCK_TIMEOUT * 2)
    record = stream_record(family, cli, "bulk", None, "none", {}, {},
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
    streams = SCENARIOS[scenario]["run"]()
    json.dump({"streams": streams, "sysctls": read_sysctls()}, sys.stdout)


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


def read_counters(ns):
    """TcpExt counters of the namespace: /proc/net is per network namespace of the reader."""
    text = run(["ip", "netns", "exec", ns, "cat", "/proc/net/netstat"], "reading /proc/net/netstat")
    lines = text.splitlines()
    values = {}
    for names, nums in zip(lines[::2], lines[1::2]):
        prefix, _, names = names.partition(":")
        for name, num in zip(names.split(), nums.partition(":")[2].split()):
            values[prefix + name] = int(num)
    missing = [c for c in COUNTERS if c not in values]
    if missing:
        raise ScenarioError(f"/proc/net/netstat has no {', '.join(missing)}")
    return {c: values[c] for c in COUNTERS}


class Capture:
    """tcpdump on the namespace's loopback; start() returns only once it is really listening."""

    def __init__(self, ns, path):
        self.ns, self.path = ns, path
        self.proc = None
        self.stderr = []
        self.listening = threading.Event()

    def start(self):
        # -Z root: tcpdump otherwise may drop to an unprivileged user before opening the file.
        cmd = ["ip", "netns", "exec", self.ns, "tcpdump", "-i", "lo", "--immediate-mode", "-U",
               "-s", str(SNAPLEN), "-Z", "root", "-w", self.path, "tcp"]
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


def pcap_packets(path):
    """Yield the TCP segments of a pcap of Ethernet frames (what tcpdump writes for lo) as
    (family, sport, dport, seq, ack, flags, window, payload_len)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ScenarioError(f"{path}: no pcap header")
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
              b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(data[:4])
    if endian is None:
        raise ScenarioError(f"{path}: not a pcap file")
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    if linktype != 1:
        raise ScenarioError(f"{path}: link type {linktype}, expected 1 (Ethernet)")
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise ScenarioError(f"{path}: truncated record header at offset {off}")
        incl = struct.unpack_from(endian + "I", data, off + 8)[0]
        frame = data[off + 16:off + 16 + incl]
        if len(frame) != incl:
            raise ScenarioError(f"{path}: truncated record at offset {off}")
        off += 16 + incl
        ethertype = struct.unpack_from("!H", frame, 12)[0]
        ip = frame[14:]
        if ethertype == 0x0800 and ip[9] == 6:
            family, ihl = 4, (ip[0] & 0x0F) * 4
            ip_payload = struct.unpack_from("!H", ip, 2)[0] - ihl
        elif ethertype == 0x86DD and ip[6] == 6:
            family, ihl = 6, 40
            ip_payload = struct.unpack_from("!H", ip, 4)[0]
        else:
            raise ScenarioError(f"{path}: non-TCP frame (ethertype {ethertype:#06x}) in a 'tcp' capture")
        sport, dport, seq, ack, offx, flags, window = struct.unpack_from("!HHIIBBH", ip, ihl)
        yield family, sport, dport, seq, ack, flags, window, ip_payload - (offx >> 4) * 4


FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


def analyse_capture(path, streams):
    """Per stream: packets, RSTs, zero-window segments, and 'seq_minus_one_acks' — zero-length
    pure ACKs whose sequence number is one below the last ACK the peer sent. Linux sends that
    segment only as a keep-alive or a zero-window persist probe (tcp_xmit_probe_skb), and those are
    exactly what the two kernel counters count, so their sums must match the counters."""
    by_ports = {}
    for s in streams:
        s["capture"] = {"packets": 0, "syn": 0, "rst": 0,
                        "zero_window_segments": {"client": 0, "server": 0},
                        "seq_minus_one_acks": {"client": 0, "server": 0}}
        by_ports[(s["family"], s["client_port"], s["server_port"])] = (s, "client")
        by_ports[(s["family"], s["server_port"], s["client_port"])] = (s, "server")
    last_ack = {}  # (stream index, side) -> last ACK number that side sent
    total = 0
    for family, sport, dport, seq, ack, flags, window, plen in pcap_packets(path):
        total += 1
        hit = by_ports.get((family, sport, dport))
        if hit is None:
            raise ScenarioError(f"{path}: segment {sport}->{dport} belongs to no known stream")
        s, side = hit
        peer = "server" if side == "client" else "client"
        cap = s["capture"]
        cap["packets"] += 1
        cap["syn"] += bool(flags & SYN)
        cap["rst"] += bool(flags & RST)
        if window == 0 and not flags & (SYN | RST):
            cap["zero_window_segments"][side] += 1
        peer_ack = last_ack.get((id(s), peer))
        if (flags & (SYN | FIN | RST | ACK)) == ACK and plen == 0 and peer_ack is not None \
                and seq == (peer_ack - 1) & 0xFFFFFFFF:
            cap["seq_minus_one_acks"][side] += 1
        if flags & ACK:
            last_ack[(id(s), side)] = ack
    return total


def validate(spec, kernel, streams):
    problems = []
    for name, (lo, hi) in spec["counters"].items():
        if kernel[name] < lo or (hi is not None and kernel[name] > hi):
            want = f"== {lo}" if lo == hi else f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
            problems.append(f"{name} = {kernel[name]}, scenario needs {want}")
    seen = {c: 0 for c in COUNTERS}
    for s in streams:
        cap, tag = s["capture"], f"{s['role']} stream :{s['client_port']}->:{s['server_port']}"
        if cap["syn"] != 2:
            problems.append(f"{tag}: {cap['syn']} SYN segments captured, expected 2")
        if cap["rst"]:
            problems.append(f"{tag}: {cap['rst']} RST segments, expected a clean close")
        for side in ("client", "server"):
            n = cap["seq_minus_one_acks"][side]
            if side != s["prober"] and n:
                problems.append(f"{tag}: {n} probe-shaped segments from the {side}, which must not probe")
        if s["prober"]:
            n = cap["seq_minus_one_acks"][s["prober"]]
            if n == 0:
                problems.append(f"{tag}: no {s['expect']} probe captured")
            seen[COUNTER_FOR[s["expect"]]] += n
        if s["facts"].get("peer_window_zero") and cap["zero_window_segments"]["server"] == 0:
            problems.append(f"{tag}: no zero-window segment from the server captured")
    for c in COUNTERS:
        if seen[c] != kernel[c]:
            problems.append(f"capture holds {seen[c]} probe-shaped segments for {c}, kernel counted {kernel[c]}")
    if problems:
        raise ScenarioError("; ".join(problems))


def run_attempt(name, spec, outdir, attempt):
    ns = f"tcpprobe-{name}-{os.getpid()}-{attempt}"
    pcap_tmp = os.path.join(outdir, f".{name}.pcap.tmp")
    capture = Capture(ns, pcap_tmp)
    run(["ip", "netns", "add", ns], "creating network namespace")
    try:
        run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], "bringing up lo")
        capture.start()
        before = read_counters(ns)
        facts = json.loads(run(["ip", "netns", "exec", ns, sys.executable, SCRIPT, "--inside", name],
                               f"scenario {name} inside {ns}", timeout=CHILD_TIMEOUT))
        time.sleep(0.5)  # let the last ACKs reach the capture
        after = read_counters(ns)
        dropped = capture.stop()
        if dropped:
            raise ScenarioError(f"tcpdump dropped {dropped} packets")
    finally:
        try:
            capture.stop()  # no-op unless an error left tcpdump running
        finally:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    kernel = {c: after[c] - before[c] for c in COUNTERS}
    streams = facts["streams"]
    packets = analyse_capture(pcap_tmp, streams)
    validate(spec, kernel, streams)
    result = {
        "scenario": name,
        "description": spec["description"],
        "generator": "tests/gen/gen_captures.py",
        "kernel_release": os.uname().release,
        "kernel": kernel,
        "sysctls": facts["sysctls"],
        "attempt": attempt,
        "capture": {"file": f"{name}.pcap", "snaplen": SNAPLEN, "linktype": "EN10MB",
                    "interface": "lo", "filter": "tcp", "packets": packets},
        "streams": streams,
    }
    os.replace(pcap_tmp, os.path.join(outdir, f"{name}.pcap"))
    json_tmp = os.path.join(outdir, f".{name}.json.tmp")
    with open(json_tmp, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(json_tmp, os.path.join(outdir, f"{name}.json"))
    return result


def generate(name, outdir):
    spec = SCENARIOS[name]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            res = run_attempt(name, spec, outdir, attempt)
        except ScenarioError as e:
            print(f"{name}: attempt {attempt}/{ATTEMPTS} failed: {e}", file=sys.stderr)
            continue
        finally:
            tmp = os.path.join(outdir, f".{name}.pcap.tmp")
            if os.path.exists(tmp):
                os.remove(tmp)
        k = res["kernel"]
        print(f"{name}: TCPWinProbe={k['TcpExtTCPWinProbe']} TCPKeepAlive={k['TcpExtTCPKeepAlive']} "
              f"packets={res['capture']['packets']} attempt={attempt}")
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
}


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
    if not argv or argv[0].startswith("-"):
        fail(f"usage: {sys.argv[0]} OUTDIR [SCENARIO ...]\nscenarios: {' '.join(SCENARIOS)}")
    outdir, names = os.path.abspath(argv[0]), argv[1:] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        fail(f"unknown scenario {', '.join(unknown)}; known: {' '.join(SCENARIOS)}")
    if os.geteuid() != 0:
        fail("must run as root: network namespaces need CAP_SYS_ADMIN")
    for tool, hint in (("ip", "apt-get install -y iproute2"), ("tcpdump", "apt-get install -y tcpdump")):
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
