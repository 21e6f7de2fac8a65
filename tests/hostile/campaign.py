#!/usr/bin/env python3
"""tcpprobe's hostile-input campaign (issue 12); run it through campaign.sh, which checks the tools.

Corrupted copies of every test capture (tests/captures/kernel/*.pcap and ../shared/captures):
editcap -E at several rates, seeds and offsets, the same cut at a random byte, random bytes
overwritten anywhere in the file (record headers too), random byte offsets cut, small snap lengths
(editcap -s), and randpkt's random packets of several types. Each one goes through tshark with the
plugin and without it (an empty plugin folder: Wireshark alone), in a single pass (`tshark -r`)
and in two passes with the full tree (`tshark -r -2 -V`). Counted: runs, crashes (a signal, an
exit status of 128 or more, or a crash message on stderr), exits that differ from Wireshark's
without the plugin, runs that hang only with the plugin, and stderr lines that only the plugin's
run printed or that name tcpprobe. Every failing input is kept, with how it was made and the
commands to rerun it.

--memory adds the memory part: tshark's peak RSS (wait4's ru_maxrss) with and without the plugin
on a generated capture of scan-like connections (gen_pcap.py scan) and on one of zero-window
probes and their replies (gen_pcap.py probes), single pass, and -2 on the probe capture; the extra
memory per connection and per frame with a verdict.

Exit status: 0 when nothing crashed, differed, hung or was flagged; 1 otherwise; 2 bad usage or a
setup problem (a tool missing, the plugin not loading).
"""

import argparse
import collections
import json
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

MODES = [("single pass", []), ("-2 -V", ["-2", "-V"])]
SIDES = ["without", "with"]
# What only a crash prints: the shell's and glibc's words, a Rust panic that escaped the plugin's
# fence, GLib's and Wireshark's fatal errors.
CRASH_RE = re.compile(
    r"Segmentation fault|Aborted|core dumped|panicked at|stack smashing|double free|"
    r"free\(\): |malloc\(\)|\*\* ERROR|\[\w+ ERROR\]|AddressSanitizer|Bus error|"
    r"Illegal instruction|Floating point exception"
)
SUBTREE = b"[TCP probe classifier (tcpprobe)"
EDITCAP_RATES = [0.001, 0.003, 0.01, 0.03, 0.1]
RANDPKT_TYPES = ["tcp", "tcp", "tcp", "eth", "ip", "ipv6", "icmp", "udp", "random"]
# Corruption kinds and their weights in the plan.
KINDS = [
    ("editcap-E", 40),
    ("editcap-E+cut", 10),
    ("cut", 10),
    ("snap", 10),
    ("overwrite", 15),
    ("randpkt", 15),
]
CONNECTIONS_TARGET = 128  # bytes of extra peak memory per connection (issue 12)
VERDICT_TARGET = 64  # bytes of extra peak memory per frame with a verdict (issue 12)


def log(*a):
    print(*a, flush=True)


def die(message):
    """A setup problem: status 2, never the 1 that means the campaign found something."""
    print(message, file=sys.stderr, flush=True)
    sys.exit(2)


def is_root():
    return os.geteuid() == 0


def readable(path, mode):
    os.chmod(path, mode)


def make_dir(path):
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o755)
    return path


def check_traversable(path):
    """tshark runs as nobody when this runs as root: every folder above `path` must let it in."""
    if not is_root():
        return
    for p in [path, *path.parents]:
        if p.exists() and not os.stat(p).st_mode & 0o001:
            die(f"campaign: {p} is not searchable by others, and tshark runs as nobody: "
                     f"choose another --out (e.g. under /var/tmp)")


# ---- tshark with and without the plugin ----


class Tshark:
    def __init__(self, out, plugin, version, plugin_prefs=()):
        # `-o PREF:VALUE` for the runs with the plugin only (Wireshark alone has no tcpprobe.*).
        self.plugin_prefs = [a for p in plugin_prefs for a in ("-o", p)]
        self.home = make_dir(out / "plugins" / "home")
        self.dirs = {}
        for side in SIDES:
            d = out / "plugins" / side
            epan = d / version / "epan"
            make_dir(epan)
            for p in [epan, epan.parent]:
                os.chmod(p, 0o755)
            if side == "with":
                shutil.copyfile(plugin, epan / "tcpprobe.so")
                readable(epan / "tcpprobe.so", 0o644)
            self.dirs[side] = d

    def argv(self, side, args):
        """The command and its environment: tshark as nobody (root ignores plugin folders)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "WIRESHARK_PLUGIN_DIR": str(self.dirs[side]),
            "LC_ALL": "C.UTF-8",
        }
        pre = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if is_root() else []
        if side == "with" and "-r" in args:
            args = [*args, *self.plugin_prefs]
        return pre + ["tshark", *args], env

    def shell(self, side, args):
        """The same run as one line to paste into a shell."""
        argv, env = self.argv(side, args)
        prefix = argv[: argv.index("tshark")]
        envs = [f"{k}={shlex.quote(v)}" for k, v in env.items() if k != "PATH"]
        return " ".join([*map(shlex.quote, prefix), "env", *envs,
                         *map(shlex.quote, argv[len(prefix):])])

    def run(self, side, args, timeout, count_subtrees=False, stderr_cap=1 << 20):
        """Runs tshark; returns (status, stderr bytes, subtrees counted in stdout, peak RSS KiB,
        seconds). status is the exit code, minus the signal number for a signal (as Python
        says), or "timeout"."""
        argv, env = self.argv(side, args)
        start = time.monotonic()
        with tempfile.TemporaryFile() as err:
            p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE if count_subtrees else subprocess.DEVNULL,
                                 stderr=err, start_new_session=True)
            timed_out = threading.Event()

            def kill():
                timed_out.set()
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(timeout, kill)
            timer.start()
            subtrees = 0
            if count_subtrees:
                tail = b""
                while True:
                    chunk = p.stdout.read(1 << 20)
                    if not chunk:
                        break
                    data = tail + chunk
                    subtrees += data.count(SUBTREE)
                    # Keep a marker's worth, minus one byte so no marker is counted twice.
                    tail = data[-(len(SUBTREE) - 1):]
                p.stdout.close()
            # wait4 instead of Popen.wait: it also gives the child's peak memory.
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            timer.cancel()
            err.seek(0)
            stderr = err.read(stderr_cap)
        code = "timeout" if timed_out.is_set() else p.returncode
        return code, stderr, subtrees, ru.ru_maxrss, time.monotonic() - start


def crashed(code, stderr):
    if code == "timeout":
        return False
    return code < 0 or code >= 128 or bool(CRASH_RE.search(stderr))


def describe(code):
    if code == "timeout":
        return "hung (killed at the timeout)"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


def normalise(stderr, capture):
    """stderr lines with what changes from run to run taken out: the capture's path, GLib's
    process id and clock."""
    text = stderr.decode("utf-8", "replace").replace(str(capture), "CAPTURE")
    text = re.sub(r"\(tshark:\d+\)", "(tshark)", text)
    text = re.sub(r"\b\d\d:\d\d:\d\d\.\d+\b", "TIME", text)
    return [line for line in text.splitlines() if line.strip()]


# ---- the corrupted captures ----


def inputs(shared):
    kernel = sorted((REPO / "tests" / "captures" / "kernel").glob("*.pcap"))
    if not kernel:
        die("campaign: no captures in tests/captures/kernel")
    found = list(kernel)
    if shared is not None:
        manifest = shared / "MANIFEST.tsv"
        if not manifest.exists():
            die(f"campaign: {manifest} is missing (--shared DIR, or --no-shared)")
        for line in manifest.read_text().splitlines():
            if line.startswith("#") or line.startswith("file\t") or not line.strip():
                continue
            path = shared / line.split("\t")[0]
            if not path.exists():
                die(f"campaign: {path} is listed in MANIFEST.tsv but missing")
            found.append(path)
    return found


def plan(count, seed, sources):
    """Which corrupted capture number i is: the same for the same seed and inputs, every input
    in turn."""
    cases = []
    kinds = [k for k, w in KINDS for _ in range(w)]
    n_from_inputs = 0
    for i in range(count):
        rng = random.Random(f"{seed}:{i}")
        kind = rng.choice(kinds)
        case = {"id": i, "kind": kind}
        if kind == "randpkt":
            case["type"] = rng.choice(RANDPKT_TYPES)
            case["count"] = rng.randrange(20, 400)
            case["maxbytes"] = rng.choice([64, 200, 1514, 5000])
        else:
            src = sources[n_from_inputs % len(sources)]
            n_from_inputs += 1
            case["input"] = str(src)
            if kind.startswith("editcap-E"):
                case["rate"] = rng.choice(EDITCAP_RATES)
                case["seed"] = rng.randrange(1, 1 << 31)
                case["offset"] = rng.choice([0, 0, 14, 34])
            if kind in ("cut", "editcap-E+cut"):
                case["cut_fraction"] = rng.random()
            if kind == "snap":
                case["snap"] = rng.randrange(1, 97)
            if kind == "overwrite":
                case["bytes"] = rng.choice([1, 4, 16, 64])
                case["seed"] = rng.randrange(1, 1 << 31)
        cases.append(case)
    return cases


def run_tool(argv):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, check=False)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def make(case, work):
    """Writes case's capture into work; returns (path, the commands that made it)."""
    how = []
    if case["kind"] == "randpkt":
        out = work / f"case-{case['id']:05d}-randpkt-{case['type']}.pcap"
        argv = ["randpkt", "-b", str(case["maxbytes"]), "-c", str(case["count"])]
        argv += ["-r"] if case["type"] == "random" else ["-t", case["type"]]
        argv.append(str(out))
        how.append(shlex.join(argv) + "   # not seeded: the kept file is the input")
        rc, text = run_tool(argv)
        if rc != 0 or not out.exists():
            raise RuntimeError(f"{shlex.join(argv)} failed ({rc}): {text}")
    else:
        src = Path(case["input"])
        ext = src.suffix
        out = work / f"case-{case['id']:05d}-{case['kind']}-{src.stem[:60]}{ext}"
        fmt = "pcapng" if ext == ".pcapng" else "pcap"
        kind = case["kind"]
        if kind.startswith("editcap-E"):
            argv = ["editcap", "-F", fmt, "-E", str(case["rate"]), "--seed", str(case["seed"])]
            if case["offset"]:
                argv += ["-o", str(case["offset"])]
            argv += [str(src), str(out)]
            how.append(shlex.join(argv))
            # Inputs cut short on purpose make editcap complain after writing what it read.
            run_tool(argv)
        elif kind == "snap":
            argv = ["editcap", "-F", fmt, "-s", str(case["snap"]), str(src), str(out)]
            how.append(shlex.join(argv))
            run_tool(argv)
        else:
            shutil.copyfile(src, out)
            how.append(f"cp {shlex.quote(str(src))} {shlex.quote(str(out))}")
        if not out.exists() or out.stat().st_size == 0:
            raise RuntimeError(f"{how[-1]}: wrote nothing")
        if "cut_fraction" in case:
            size = out.stat().st_size
            at = 24 + int(case["cut_fraction"] * max(size - 24, 1))
            os.truncate(out, min(at, size))
            how.append(f"truncate -s {min(at, size)} {shlex.quote(str(out))}")
        if kind == "overwrite":
            rng = random.Random(case["seed"])
            data = bytearray(out.read_bytes())
            spots = []
            for _ in range(case["bytes"]):
                # Anywhere past the pcap file header: record headers and block lengths too.
                at = rng.randrange(min(24, len(data) - 1), len(data))
                data[at] = rng.randrange(256)
                spots.append(f"{at}={data[at]}")
            out.write_bytes(bytes(data))
            how.append(f"overwrite bytes (offset=value): {' '.join(spots)}")
    readable(out, 0o644)
    return out, how


def check_case(case, tshark, work, failures, timeout, keep):
    try:
        capture, how = make(case, work)
    except RuntimeError as e:
        return {"case": case, "error": str(e)}
    result = {"case": case, "how": how, "runs": 0, "crash_with": 0, "crash_without": 0,
              "differ": 0, "hang": 0, "flagged": 0, "subtrees": 0, "codes": [], "problems": [],
              "seconds": 0.0}
    details = []
    for mode, extra in MODES:
        args = ["-r", str(capture), *extra]
        got = {}
        for side in SIDES:
            count = side == "with" and mode == "-2 -V"
            code, stderr, subtrees, _, secs = tshark.run(side, args, timeout, count_subtrees=count)
            got[side] = (code, normalise(stderr, capture))
            result["runs"] += 1
            result["seconds"] += secs
            result["subtrees"] += subtrees
            if crashed(code, stderr.decode("utf-8", "replace")):
                result["crash_" + side] += 1
        (c0, e0), (c1, e1) = got["without"], got["with"]
        result["codes"].append(str(c1))
        problems = []
        if c0 != c1:
            result["differ"] += 1
            problems.append(f"exit differs: without the plugin {describe(c0)}, with it {describe(c1)}")
            if c1 == "timeout":
                result["hang"] += 1
        if crashed(c1, "\n".join(e1)):
            problems.append(f"crashed with the plugin ({describe(c1)})")
        only_with = collections.Counter(e1) - collections.Counter(e0)
        named = [line for line in e1 if "tcpprobe" in line.lower()]
        flagged = sorted(set(only_with) | set(named))
        if flagged:
            result["flagged"] += 1
            problems.append("stderr only with the plugin or naming tcpprobe:\n      "
                            + "\n      ".join(flagged[:20]))
        for p in problems:
            result["problems"].append(f"{mode}: {p}")
        details.append((mode, args, got))
    failed = bool(result["problems"]) or result["crash_with"] > 0
    if failed:
        kept = failures / capture.name
        shutil.copyfile(capture, kept)
        readable(kept, 0o644)
        result["kept"] = str(kept)
        lines = [f"case {case['id']}: {json.dumps(case)}", "made by:", *["  " + h for h in how],
                 f"kept as: {kept}", "problems:", *["  " + p for p in result["problems"]], "runs:"]
        for mode, args, got in details:
            for side in SIDES:
                code, err = got[side]
                rerun_args = [kept if a == str(capture) else a for a in args]
                lines.append(f"  [{mode}, {side} the plugin] {describe(code)}")
                lines.append("    " + tshark.shell(side, [str(a) for a in rerun_args]))
                lines.extend("    | " + line for line in err[:40])
        lines.append("a backtrace (apt-get install gdb): the failing command with "
                     "`gdb -batch -ex run -ex bt --args` before `tshark`")
        Path(str(kept) + ".txt").write_text("\n".join(lines) + "\n")
    if not keep:
        capture.unlink()
    return result


def campaign(o, tshark, out):
    sources = inputs(None if o.no_shared else o.shared)
    work = make_dir(out / "work")
    failures = make_dir(out / "failures")
    cases = plan(o.count, o.seed, sources)
    log(f"== corrupted captures: {len(cases)} from {len(sources)} inputs (seed {o.seed}), "
        f"{o.jobs} at a time; modes: " + ", ".join(f"tshark {' '.join(['-r F', *a])}" for _, a in MODES)
        + "; each with and without the plugin")
    totals = collections.defaultdict(lambda: collections.Counter())
    codes = collections.Counter()
    failed = []
    errors = []
    done = 0
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=o.jobs) as pool:
        futures = [pool.submit(check_case, c, tshark, work, failures, o.timeout, o.keep)
                   for c in cases]
        for f in as_completed(futures):
            r = f.result()
            done += 1
            if "error" in r:
                errors.append(r)
                log(f"  case {r['case']['id']}: could not be made: {r['error']}")
                continue
            kind = r["case"]["kind"]
            for key in ("runs", "crash_with", "crash_without", "differ", "hang", "flagged",
                        "subtrees"):
                totals[kind][key] += r[key]
            totals[kind]["captures"] += 1
            totals[kind]["seconds"] += r["seconds"]
            codes.update(r["codes"])
            if "kept" in r:
                failed.append(r)
                log(f"  FAILED case {r['case']['id']} ({kind}): kept {r['kept']} "
                    f"(how to rerun: {r['kept']}.txt)")
                for p in r["problems"]:
                    log("    " + p)
            if done % max(1, len(cases) // 20) == 0 or done == len(cases):
                log(f"  {done}/{len(cases)} captures, {time.monotonic() - start:.0f} s")
    wall = time.monotonic() - start
    cols = ["captures", "runs", "crash_with", "crash_without", "differ", "hang", "flagged",
            "subtrees"]
    heads = ["captures", "runs", "crashes", "crashes w/o", "differing exits", "hangs",
             "stderr flagged", "tcpprobe items"]
    log("")
    log(f"{'kind':<15}" + "".join(f"{h:>16}" for h in heads))
    total = collections.Counter()
    for kind, _ in KINDS:
        t = totals.get(kind)
        if not t:
            continue
        total.update(t)
        log(f"{kind:<15}" + "".join(f"{t[c]:>16}" for c in cols))
    log(f"{'total':<15}" + "".join(f"{total[c]:>16}" for c in cols))
    log("(crashes: runs with the plugin that crashed; crashes w/o: runs of Wireshark alone that "
        "did; tcpprobe items: tcpprobe subtrees in the -2 -V output with the plugin)")
    log("exit statuses with the plugin: "
        + ", ".join(f"{describe(int(c)) if c != 'timeout' else c}: {n}" for c, n in sorted(codes.items())))
    if errors:
        log(f"{len(errors)} corrupted captures could not be made (not counted)")
    log(f"corrupted-capture part: {wall:.0f} s wall, {total['seconds']:.0f} s of tshark runs")
    if failed:
        log(f"failing inputs kept in {failures}:")
        for r in failed:
            log(f"  {r['kept']}")
    summary = {key: total[key] for key in cols}
    summary.update({"wall_seconds": round(wall), "failures": [r["kept"] for r in failed],
                    "not_made": len(errors), "seed": o.seed,
                    "by_kind": {k: dict(v) for k, v in totals.items()}})
    return summary


# ---- the memory part ----


def generated(o, out, kind, size):
    mem = make_dir(o.mem_dir or out / "memory")
    check_traversable(mem)
    if kind == "scan":
        path = mem / f"scan-{size}.pcap"
        args = ["scan", "--connections", str(size)]
    else:
        path = mem / f"probes-{size}.pcap"
        args = ["probes", "--probe-frames", str(size)]
    facts_path = path.with_suffix(".json")
    if path.exists() and facts_path.exists():
        log(f"reusing {path}")
    else:
        t = time.monotonic()
        tmp = path.with_suffix(".part")
        p = subprocess.run([sys.executable, str(HERE / "gen_pcap.py"), *args, str(tmp)],
                           stdout=subprocess.PIPE, check=True)
        facts_path.write_bytes(p.stdout)
        tmp.rename(path)
        readable(path, 0o644)
        log(f"wrote {path} in {time.monotonic() - t:.0f} s")
    facts = json.loads(facts_path.read_text())
    facts["bytes"] = path.stat().st_size
    return path, facts


def verdict_frames(o, path, facts):
    """Frames with a verdict: the standalone analyzer's --frames lines (the verdicts tshark -2
    gives, frame by frame: tests/analyzer.rs), else the generator's probe and reply frames."""
    analyzer = Path(o.analyzer)
    if analyzer.exists():
        # Counted as it streams: this process must stay small, for a child's ru_maxrss counts
        # the memory of the process it was forked from (see peak_pair).
        p = subprocess.Popen([str(analyzer), "-q", "--frames", str(path)],
                             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: p.stdout.read(1 << 20), b""))
        if p.wait() == 0:
            return lines, f"{analyzer} --frames"
        log(f"  {analyzer} failed ({p.returncode}); counting the generator's probe frames")
    return facts["probe_frames"], "the generator's probe and reply frames"


def peak_pair(o, tshark, path, extra):
    """Peak RSS (KiB) of tshark without and with the plugin, run side by side with --jobs 2.

    ru_maxrss also counts what the forked child held before it ran tshark, i.e. this process's
    memory: nothing here may hold more than a few MB (tshark alone starts at about 150 MB), and
    the campaign's own peak is printed beside the figures to show it."""
    args = ["-r", str(path), *extra]
    with ThreadPoolExecutor(max_workers=min(o.jobs, 2)) as pool:
        futs = {side: pool.submit(tshark.run, side, args, o.memory_timeout) for side in SIDES}
        res = {side: f.result() for side, f in futs.items()}
    for side, (code, stderr, _, _, _) in res.items():
        if code not in (0,):
            log(f"  tshark {' '.join(args)} {side} the plugin: {describe(code)}: "
                f"{stderr.decode('utf-8', 'replace')[:500]}")
    return {side: {"peak_kib": r[3], "seconds": round(r[4], 1), "status": str(r[0])}
            for side, r in res.items()}


def memory(o, tshark, out):
    start = time.monotonic()
    log(f"\n== peak memory (wait4 ru_maxrss of tshark), with and without the plugin; "
        f"{o.connections} scan-like connections, {o.probe_frames} probe frames")
    rows = []
    scan, sfacts = generated(o, out, "scan", o.connections)
    probes, pfacts = generated(o, out, "probes", o.probe_frames)
    verdicts, source = verdict_frames(o, probes, pfacts)
    log(f"{scan.name}: {sfacts['frames']} frames, {sfacts['connections']} connections, "
        f"{sfacts['bytes'] / 1e6:.0f} MB")
    log(f"{probes.name}: {pfacts['frames']} frames, {pfacts['connections']} connections, "
        f"{pfacts['probe_frames']} probe and reply frames, {verdicts} frames with a verdict "
        f"({source}), {pfacts['bytes'] / 1e6:.0f} MB")
    # What the plugin costs before any connection: loaded, registered, on a 15-frame capture.
    tiny = REPO / "tests" / "captures" / "kernel" / "persist_v4.pcap"
    staged = make_dir(out / "memory") / "fixed-cost.pcap"
    shutil.copyfile(tiny, staged)
    readable(staged, 0o644)
    fixed = peak_pair(o, tshark, staged, [])
    fixed_kib = fixed["with"]["peak_kib"] - fixed["without"]["peak_kib"]
    for path, facts, extra, per, unit, target in [
        (scan, sfacts, [], sfacts["connections"], "connection", CONNECTIONS_TARGET),
        (probes, pfacts, [], verdicts, "verdict frame", VERDICT_TARGET),
        (probes, pfacts, ["-2"], verdicts, "verdict frame", VERDICT_TARGET),
    ]:
        pair = peak_pair(o, tshark, path, extra)
        w, wo = pair["with"]["peak_kib"], pair["without"]["peak_kib"]
        each = (w - wo) * 1024 / per if per else float("nan")
        beyond = (w - wo - fixed_kib) * 1024 / per if per else float("nan")
        rows.append({"capture": path.name, "mode": " ".join(["-r", *extra]), "per": per,
                     "unit": unit, "without_kib": wo, "with_kib": w,
                     "extra_bytes_each": round(each, 1),
                     "beyond_fixed_bytes_each": round(beyond, 1), "target": target,
                     "over_target": each > target, "runs": pair})
    log(f"the plugin's fixed cost (loaded and registered; {tiny.name}, 15 frames): "
        f"{fixed_kib / 1024:.1f} MiB of peak RSS ({fixed['without']['peak_kib'] / 1024:.1f} MiB "
        f"without, {fixed['with']['peak_kib'] / 1024:.1f} MiB with)")
    log(f"{'capture':<24}{'tshark':>8}{'peak w/o MiB':>14}{'peak with MiB':>15}{'extra MiB':>11}"
        f"{'extra bytes each':>28}{'target':>8}{'':>6}{'beyond fixed cost':>19}")
    for r in rows:
        extra = (r["with_kib"] - r["without_kib"]) / 1024
        verdict = "OVER" if r["over_target"] else "ok"
        log(f"{r['capture']:<24}{r['mode']:>8}{r['without_kib'] / 1024:>14.1f}"
            f"{r['with_kib'] / 1024:>15.1f}{extra:>11.1f}"
            f"{r['extra_bytes_each']:>14.1f} per {r['unit']:<13}{'<= ' + str(r['target']):>8}"
            f"{verdict:>6}{r['beyond_fixed_bytes_each']:>19.1f}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    log(f"(the campaign's own peak RSS, which a forked child's ru_maxrss starts from: "
        f"{own / 1024:.0f} MiB)")
    log(f"memory part: {time.monotonic() - start:.0f} s wall (reported, not judged: the exit "
        "status does not depend on it)")
    return {"connections": o.connections, "probe_frames": o.probe_frames,
            "verdict_frames": verdicts, "verdict_source": source, "scan": sfacts,
            "probes": pfacts, "fixed_cost": fixed, "rows": rows, "campaign_peak_kib": own}


def tshark_version():
    first = subprocess.run(["tshark", "--version"], stdout=subprocess.PIPE, check=True,
                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL).stdout.decode().splitlines()[0]
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", first)
    if not m:
        die(f"campaign: cannot read tshark's version from {first!r}")
    return first, f"{m.group(1)}.{m.group(2)}"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, help="corrupted captures (default 1000; --quick 60; 0: none)")
    p.add_argument("--quick", action="store_true",
                   help="CI's short run: 60 captures; with --memory, 20000 connections and "
                        "100000 probe frames")
    p.add_argument("--memory", action="store_true", help="also the peak-memory part")
    p.add_argument("--connections", type=int, help="scan-like connections (default 1000000)")
    p.add_argument("--probe-frames", type=int, help="probe and reply frames (default 5000000)")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("/var/tmp/tcpprobe-hostile"),
                   help="plugin folders, failing inputs and summary.json (default %(default)s)")
    p.add_argument("--mem-dir", type=Path,
                   help="where the memory part's captures are written and reused (default OUT/memory)")
    p.add_argument("--plugin", type=Path, default=REPO / "target" / "release" / "libtcpprobe.so")
    p.add_argument("--plugin-pref", action="append", default=[], metavar="PREF:VALUE",
                   help="tshark -o PREF:VALUE in the runs with the plugin (e.g. a tcpprobe "
                        "preference); repeatable")
    p.add_argument("--analyzer", default=str(REPO / "target" / "release" / "tcpprobe"),
                   help="counts the frames with a verdict in the memory part (default %(default)s)")
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "captures")
    p.add_argument("--no-shared", action="store_true", help="only tests/captures/kernel")
    p.add_argument("--timeout", type=float, default=300, help="seconds per tshark run")
    p.add_argument("--memory-timeout", type=float, default=3600)
    p.add_argument("--keep", action="store_true", help="keep every corrupted capture, not only failing ones")
    o = p.parse_args()
    if o.count is None:
        o.count = 60 if o.quick else 1000
    if o.connections is None:
        o.connections = 20_000 if o.quick else 1_000_000
    if o.probe_frames is None:
        o.probe_frames = 100_000 if o.quick else 5_000_000
    if o.jobs < 1 or o.count < 0:
        p.error("--jobs must be at least 1, --count at least 0")
    if not o.plugin.exists():
        die(f"campaign: {o.plugin} is missing: run cargo build --release (or pass --plugin)")

    started = time.time()
    out = o.out.resolve()
    make_dir(out)
    check_traversable(out)
    version_line, version = tshark_version()
    tshark = Tshark(out, o.plugin, version, o.plugin_pref)
    # The plugin must load, or "with" would silently be Wireshark alone.
    argv, env = tshark.argv("with", ["-G", "plugins"])
    listing = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, check=False).stdout.decode("utf-8", "replace")
    if "tcpprobe.so" not in listing:
        die(f"campaign: tshark does not load {o.plugin} from {tshark.dirs['with']}:\n{listing}")
    log(f"{version_line}; plugin {o.plugin}; editcap and randpkt from "
        f"{shutil.which('editcap')}, {shutil.which('randpkt')}; output in {out}")

    summary = {"tshark": version_line, "plugin": str(o.plugin), "started": time.strftime(
        "%Y-%m-%d %H:%M:%S %Z", time.localtime(started)), "argv": sys.argv[1:],
        "plugin_prefs": o.plugin_pref}
    if o.count:
        summary["corrupted"] = campaign(o, tshark, out)
    if o.memory:
        summary["memory"] = memory(o, tshark, out)
    summary["wall_seconds"] = round(time.time() - started)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    c = summary.get("corrupted", {})
    bad = c.get("crash_with", 0) + c.get("differ", 0) + c.get("flagged", 0)
    log(f"\ncampaign: {c.get('captures', 0)} corrupted captures, {c.get('runs', 0)} tshark runs, "
        f"{c.get('crash_with', 0)} crashes, {c.get('differ', 0)} differing exits, "
        f"{c.get('hang', 0)} hangs, {c.get('flagged', 0)} flagged stderr; "
        f"{summary['wall_seconds']} s; summary in {out / 'summary.json'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    try:
        main()
    except Exception:  # a bug here, not a finding: never the status that means one
        import traceback

        traceback.print_exc()
        sys.exit(2)
