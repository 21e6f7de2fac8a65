//! The generator: bytes in, a [`Config`] and a sequence of [`Segment`]s out.
//!
//! Every choice is read from the bytes through arbitrary's [`Unstructured`], so a sequence is a
//! pure function of its bytes. The generator keeps a model of a few TCP connections (each side's
//! SND.NXT, SND.UNA, RCV.NXT and advertised window) and reads actions from the bytes:
//!
//! - conversations: handshakes (initial sequence numbers near 2^32 included, so streams wrap), data
//!   and its ACKs, windows closing and reopening, probes of each style (zero length at SND.UNA-1,
//!   one new byte, one old byte, URG at SND.UNA) and their replies, FIN and RST, windows cut by a
//!   snap length, waits of the timers' shapes (200 ms, doubling, constant, 75 s, 7200 s);
//! - whole episodes: a persist timer's series of probes with backoff up to a cap (up to 40 probes,
//!   past the core's 32 tentative verdicts), and keep-alive series, into open or zero windows;
//! - hostility: segments of those shapes with fields replaced by extreme or arbitrary values
//!   (timestamps 0 and `u64::MAX`, going backwards, huge gaps, sequence and ACK numbers anywhere,
//!   any 16 flag bits, `payload_len` up to `u32::MAX`, any window scale, repeated packet ids, a
//!   connection id with other endpoints), exact repeats (capture duplicates), connection ids
//!   reused for new connections, and floods of many connections (for the connection bound).
//!
//! The [`Config`] is the default or has fields replaced by extremes (durations 0 and near
//! `u64::MAX`, fractions with zero denominators, zero keep-alive probes), and often a small
//! connection bound (0 to 64), which floods then exceed.
//!
//! All arithmetic here wraps or saturates: the harness is built with overflow checks too, and a
//! panic must be the core's.

use std::ops::RangeInclusive;

use arbitrary::unstructured::Int;
use arbitrary::Unstructured;
use tcpprobe_core::{
    Config, Endpoint, Fraction, KeepAliveSettings, Segment, SeqNumber, TcpFlags, Timestamp,
};

use crate::bound;

/// Most segments one sequence has; the generator stops there.
pub const MAX_SEGMENTS: usize = 4096;

const MS: u64 = 1_000_000;
const SEC: u64 = 1000 * MS;
const ACK: u16 = TcpFlags::ACK;
const SYN: u16 = TcpFlags::SYN;
const FIN: u16 = TcpFlags::FIN;
const RST: u16 = TcpFlags::RST;
const PSH: u16 = TcpFlags::PSH;
const URG: u16 = TcpFlags::URG;

/// One generated input: the classifier's configuration and the segments, in capture order.
#[derive(Debug, Clone)]
pub struct Generated {
    pub config: Config,
    pub segments: Vec<Segment>,
}

/// The input the bytes of `u` describe. Never fails: exhausted bytes read as zeros, and the
/// sequence ends when they run out.
pub fn generate(u: &mut Unstructured) -> Generated {
    let mut src = Src(u);
    let config = config(&mut src);
    let mut g = Gen::new(src);
    while !g.src.0.is_empty() && g.out.len() < MAX_SEGMENTS {
        g.step();
    }
    Generated {
        config,
        segments: g.out,
    }
}

/// Choices read from the bytes; none fails (arbitrary reads missing bytes as zeros).
struct Src<'a, 'b>(&'a mut Unstructured<'b>);

impl Src<'_, '_> {
    fn range<T: Int>(&mut self, r: RangeInclusive<T>) -> T {
        let start = *r.start();
        self.0.int_in_range(r).unwrap_or(start)
    }

    /// True with a probability of `pct` percent.
    fn chance(&mut self, pct: u8) -> bool {
        self.range(0..=99u8) < pct
    }

    fn u16(&mut self) -> u16 {
        self.range(0..=u16::MAX)
    }

    fn u32(&mut self) -> u32 {
        self.range(0..=u32::MAX)
    }

    fn u64(&mut self) -> u64 {
        self.range(0..=u64::MAX)
    }

    /// `x` moved by up to `pct` percent either way.
    fn jitter(&mut self, x: u64, pct: u64) -> u64 {
        let span = (x / 100).saturating_mul(pct);
        x.saturating_sub(span)
            .saturating_add(self.range(0..=span.saturating_mul(2)))
    }

    /// A duration for a configuration field whose default is `default`.
    fn duration(&mut self, default: u64) -> u64 {
        match self.range(0..=11u8) {
            0 => 0,
            1 => 1,
            2 => u64::MAX,
            3 => u64::MAX - 1,
            4 => u64::MAX / 2,
            5 => i64::MAX as u64,
            6 => default.saturating_mul(2),
            7 => default / 2,
            8 => self.range(0..=1_000_000) * MS,
            9 => self.range(0..=10_000) * MS,
            10 => self.u64(),
            _ => default,
        }
    }

    fn fraction(&mut self, default: Fraction) -> Fraction {
        let f = Fraction::new;
        match self.range(0..=10u8) {
            0 => f(0, 0),
            1 => f(1, 0),
            2 => f(0, 1),
            3 => f(u64::MAX, 1),
            4 => f(1, u64::MAX),
            5 => f(u64::MAX, u64::MAX),
            6 => f(u64::MAX, 0),
            7 => f(self.range(0..=10), self.range(0..=10)),
            8 => f(self.u64(), self.u64()),
            9 => f(default.den, default.num),
            _ => default,
        }
    }

    fn u64_extreme(&mut self) -> u64 {
        match self.range(0..=5u8) {
            0 => 0,
            1 => u64::MAX,
            2 => u64::MAX - self.range(0..=3),
            3 => 1u64 << self.range(0..=63u32),
            _ => self.u64(),
        }
    }

    fn u32_extreme(&mut self) -> u32 {
        match self.range(0..=7u8) {
            0 => 0,
            1 => u32::MAX,
            2 => u32::MAX - self.range(0..=3),
            3 => 1u32 << self.range(0..=31u32),
            4 => (1u32 << 31).wrapping_add(self.range(0..=2)).wrapping_sub(1),
            _ => self.u32(),
        }
    }

    /// An initial sequence number: anywhere, or close below the wrap.
    fn isn(&mut self) -> u32 {
        match self.range(0..=9u8) {
            0..=3 => self.u32(),
            4..=6 => u32::MAX - self.range(0..=3000),
            7 => u32::MAX,
            8 => 0,
            _ => (1u32 << 31).wrapping_sub(self.range(0..=3000)),
        }
    }

    fn endpoint(&mut self) -> Endpoint {
        let port = self.u16();
        if self.chance(15) {
            let mut a = [0u8; 16];
            for b in &mut a {
                *b = self.range(0..=u8::MAX);
            }
            Endpoint::v6(a, port)
        } else {
            Endpoint::v4([10, 0, self.range(0..=3), self.range(0..=u8::MAX)], port)
        }
    }
}

/// The classifier's configuration: the default, or some fields at extremes.
fn config(src: &mut Src) -> Config {
    let mut c = Config::default();
    if src.chance(45) {
        let p = 30;
        if src.chance(p) {
            c.min_keepalive_idle_ns = src.duration(c.min_keepalive_idle_ns);
        }
        if src.chance(p) {
            c.rto_min_ns = src.duration(c.rto_min_ns);
        }
        if src.chance(p) {
            c.rto_max_ns = src.duration(c.rto_max_ns);
        }
        if src.chance(p) {
            c.persist_slack = match src.range(0..=3u8) {
                0 => 0,
                1 => 1,
                2 => u64::MAX,
                _ => src.u64(),
            };
        }
        if src.chance(p) {
            c.doubled_at_least = src.fraction(c.doubled_at_least);
        }
        if src.chance(p) {
            c.constant_within = src.fraction(c.constant_within);
        }
        if src.chance(p) {
            c.duplicate_window_ns = src.duration(c.duplicate_window_ns);
        }
        if src.chance(p) {
            c.persist_cap_region = src.fraction(c.persist_cap_region);
        }
        if src.chance(p) {
            c.invalid_ratelimit_ns = src.duration(c.invalid_ratelimit_ns);
        }
        if src.chance(p) {
            c.overdue_after = src.fraction(c.overdue_after);
        }
        if src.chance(p) {
            c.overdue_grace_ns = src.duration(c.overdue_grace_ns);
        }
        if src.chance(p) {
            let d = KeepAliveSettings::default();
            c.keepalive = KeepAliveSettings {
                time_ns: src.duration(d.time_ns),
                interval_ns: src.duration(d.interval_ns),
                probes: match src.range(0..=3u8) {
                    0 => 0,
                    1 => u32::MAX,
                    2 => src.u32(),
                    _ => d.probes,
                },
            };
        }
        if src.chance(p) {
            let t = &mut c.keepalive_tolerance;
            t.earliest = src.fraction(t.earliest);
            t.early_ns = src.duration(t.early_ns);
            t.late = src.fraction(t.late);
            t.late_ns = src.duration(t.late_ns);
        }
    }
    // A small bound makes floods evict; the default one is left alone half the time.
    if src.chance(45) {
        let max = match src.range(0..=4u8) {
            0 => src.range(0..=1),
            1 => 2,
            2 => src.range(3..=8),
            _ => src.range(9..=64),
        };
        bound::set_max(&mut c, max);
    }
    c
}

/// How a probe is built (see `tcpprobe_core::ProbeStyle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeKind {
    /// Zero length at SND.UNA-1 (Linux persist probe, keep-alive).
    BelowUna,
    /// One byte at SND.UNA (RFC/BSD/Windows persist probe).
    NewByte,
    /// One already acknowledged byte at SND.NXT-1 (Windows keep-alive).
    OldByte,
    /// Zero length with URG at SND.UNA (Linux, urgent data queued).
    Urgent,
}

/// One side of a modelled connection.
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    /// SND.NXT: one past the highest sequence number this side sent.
    nxt: u32,
    /// SND.UNA: the highest ACK this side received.
    una: u32,
    /// RCV.NXT: what this side acknowledges.
    rcv: u32,
    /// The window this side advertises.
    wnd: u16,
    /// This side's last segment, for repeats.
    last: Option<Segment>,
    /// This side's probe waiting for its reply: its kind and sequence number.
    probe: Option<(ProbeKind, u32)>,
}

#[derive(Debug, Clone)]
struct Conn {
    id: u64,
    /// Client, server.
    ends: [Endpoint; 2],
    side: [Side; 2],
    /// The capture cuts this connection's windows (`tcpdump -s 68` on IPv6).
    cut: bool,
}

impl Conn {
    /// A connection already open when the capture starts, everything acknowledged.
    fn midstream(src: &mut Src, id: u64) -> Conn {
        let client = src.endpoint();
        let server = if src.chance(3) {
            client
        } else {
            src.endpoint()
        };
        let mut c = Conn {
            id,
            ends: [client, server],
            side: [Side::default(); 2],
            cut: src.chance(5),
        };
        c.restart(src);
        c
    }

    /// New initial sequence numbers, everything acknowledged, windows open.
    fn restart(&mut self, src: &mut Src) {
        let isn = [src.isn(), src.isn()];
        for s in 0..2 {
            self.side[s] = Side {
                nxt: isn[s],
                una: isn[s],
                rcv: isn[1 - s],
                wnd: if src.chance(80) { 65535 } else { src.u16() },
                last: None,
                probe: None,
            };
        }
    }
}

impl Gen<'_, '_> {
    /// Connection `c` starts over with new initial sequence numbers.
    fn restart(&mut self, c: usize) {
        self.conns[c].restart(&mut self.src);
    }
}

struct Gen<'a, 'b> {
    src: Src<'a, 'b>,
    now: u64,
    packet: u64,
    /// The last forward wait, for "double it" and "the same again".
    last_wait: u64,
    conns: Vec<Conn>,
    out: Vec<Segment>,
}

impl<'a, 'b> Gen<'a, 'b> {
    fn new(mut src: Src<'a, 'b>) -> Gen<'a, 'b> {
        let n = src.range(1..=4usize);
        let base = match src.range(0..=3u8) {
            0 => 0,
            1 => u64::MAX - 3,
            _ => src.u64(),
        };
        let mut conns = Vec::with_capacity(n);
        for i in 0..n {
            // Now and then two connections share an id.
            let id = if src.chance(5) {
                src.range(0..=3)
            } else {
                base.wrapping_add(i as u64)
            };
            conns.push(Conn::midstream(&mut src, id));
        }
        let now = match src.range(0..=9u8) {
            0 => 0,
            1 => u64::MAX - src.range(0..=100) * SEC,
            2 => src.u64(),
            _ => 1_700_000_000 * SEC + src.range(0..=u32::MAX as u64),
        };
        let mut g = Gen {
            src,
            now,
            packet: 0,
            last_wait: 200 * MS,
            conns,
            out: Vec::new(),
        };
        for c in 0..n {
            if g.src.chance(50) {
                g.handshake(c);
            }
        }
        g
    }

    fn full(&self) -> bool {
        self.out.len() >= MAX_SEGMENTS
    }

    /// One action.
    fn step(&mut self) {
        let c = self.src.range(0..=self.conns.len() - 1);
        let from = self.src.range(0..=1usize);
        match self.src.range(0..=99u8) {
            0..=10 => self.data(c, from),
            11..=17 => self.ack(c, from),
            18..=28 => {
                let kind = self.probe_kind();
                self.probe(c, from, kind)
            }
            29..=37 => {
                let accept = self.src.chance(50);
                self.reply(c, from, accept)
            }
            38..=43 => {
                let w = self.window_value();
                self.window(c, from, w)
            }
            44..=57 => self.wait(),
            58..=59 => self.fin(c, from),
            60 => self.rst(c, from),
            61..=63 => self.repeat(c, from),
            64..=73 => self.raw(c, from),
            74 => self.reuse(c),
            75 => self.conns[c].cut = !self.conns[c].cut,
            76 => self.flood(),
            77 => self.ack(c, from),
            78..=85 => self.persist_episode(c, from),
            86..=92 => self.keepalive_series(c, from),
            93..=95 => self.handshake(c),
            _ => self.time_jump(),
        }
    }

    fn probe_kind(&mut self) -> ProbeKind {
        match self.src.range(0..=9u8) {
            0..=5 => ProbeKind::BelowUna,
            6 => ProbeKind::NewByte,
            7 => ProbeKind::OldByte,
            _ => ProbeKind::Urgent,
        }
    }

    fn window_value(&mut self) -> u16 {
        match self.src.range(0..=9u8) {
            0..=4 => 0,
            5 => self.src.range(1..=16),
            6..=7 => 65535,
            _ => self.src.u16(),
        }
    }

    /// Emit a segment of connection `c` from side `from` and take what it tells the other side.
    fn emit(&mut self, c: usize, from: usize, flags: u16, seq: u32, len: u32) {
        if self.full() {
            return;
        }
        self.packet = self.packet.wrapping_add(1);
        let conn = &mut self.conns[c];
        let me = conn.side[from];
        let seg = Segment {
            packet: self.packet,
            time: Timestamp(self.now),
            conn: conn.id,
            src: conn.ends[from],
            dst: conn.ends[1 - from],
            seq: SeqNumber(seq),
            ack: SeqNumber(if flags & ACK != 0 { me.rcv } else { 0 }),
            flags: TcpFlags(flags),
            window: (!conn.cut).then_some(me.wnd),
            window_scale: None,
            payload_len: len,
        };
        if flags & ACK != 0 {
            conn.side[1 - from].una = me.rcv;
        }
        conn.side[from].last = Some(seg);
        self.out.push(seg);
    }

    /// Let time pass by `d`.
    fn pass(&mut self, d: u64) {
        self.now = self.now.saturating_add(d);
    }

    /// A short delay: a reply's turnaround, a local ACK.
    fn short_delay(&mut self) -> u64 {
        match self.src.range(0..=3u8) {
            0 => 0,
            1 => self.src.range(1..=100_000),
            _ => self.src.range(1..=20) * MS,
        }
    }

    fn wait(&mut self) {
        let d = match self.src.range(0..=19u8) {
            0..=1 => 0,
            2..=3 => self.src.range(1..=1000) * 1000,
            4..=6 => self.src.range(1..=1000) * MS,
            7..=8 => self.src.range(180..=220) * MS,
            9..=11 => {
                let d = self.last_wait.saturating_mul(2);
                self.src.jitter(d, 5)
            }
            12..=13 => {
                let d = self.last_wait;
                self.src.jitter(d, 3)
            }
            14..=15 => self.src.range(1..=200) * SEC,
            16 => {
                let d = if self.src.chance(50) {
                    75 * SEC
                } else {
                    7200 * SEC
                };
                self.src.jitter(d, 5)
            }
            17 => self.src.u64_extreme(),
            _ => {
                self.time_jump();
                return;
            }
        };
        self.last_wait = d;
        self.pass(d);
    }

    /// Time jumps: backwards, to 0, to the end of time.
    fn time_jump(&mut self) {
        self.now = match self.src.range(0..=5u8) {
            0 => 0,
            1 => u64::MAX,
            2 => u64::MAX - self.src.range(0..=1000) * MS,
            3 => self.src.u64(),
            _ => {
                let back = self.src.range(1..=10_000) * MS;
                self.now.saturating_sub(back)
            }
        };
    }

    fn handshake(&mut self, c: usize) {
        let rtt = if self.src.chance(70) {
            self.src.range(0..=300) * MS
        } else {
            self.src.range(0..=1000) * 1000
        };
        let scale = match self.src.range(0..=5u8) {
            0 => None,
            1 => Some(u8::MAX),
            _ => Some(self.src.range(0..=14)),
        };
        self.restart(c);
        let conn = &self.conns[c];
        let (ci, si) = (conn.side[0].nxt, conn.side[1].nxt);
        self.emit(c, 0, SYN, ci, 0);
        self.set_scale(scale);
        self.conns[c].side[0].nxt = ci.wrapping_add(1);
        self.conns[c].side[1].rcv = ci.wrapping_add(1);
        self.pass(rtt / 2);
        self.emit(c, 1, SYN | ACK, si, 0);
        self.set_scale(scale);
        self.conns[c].side[1].nxt = si.wrapping_add(1);
        self.conns[c].side[0].rcv = si.wrapping_add(1);
        self.pass(rtt - rtt / 2);
        self.emit(c, 0, ACK, ci.wrapping_add(1), 0);
    }

    /// Give the last emitted segment (a SYN) a window scale option.
    fn set_scale(&mut self, scale: Option<u8>) {
        if let Some(last) = self.out.last_mut() {
            last.window_scale = scale;
        }
    }

    fn data(&mut self, c: usize, from: usize) {
        let len = match self.src.range(0..=19u8) {
            0..=7 => self.src.range(1..=1460),
            8..=10 => 1,
            11..=13 => self.src.range(1..=65535),
            14..=15 => self.src.range(2..=10),
            _ => self.src.u32_extreme().max(1),
        };
        let seq = self.conns[c].side[from].nxt;
        self.emit(c, from, ACK | PSH, seq, len);
        let conn = &mut self.conns[c];
        conn.side[from].nxt = seq.wrapping_add(len);
        conn.side[1 - from].rcv = conn.side[from].nxt;
        match self.src.range(0..=9u8) {
            0..=4 => {
                let d = self.short_delay();
                self.pass(d);
                self.ack(c, 1 - from);
            }
            // The data filled the window exactly.
            5..=6 => {
                let d = self.short_delay();
                self.pass(d);
                self.window(c, 1 - from, 0);
            }
            _ => {}
        }
    }

    /// A pure ACK of everything received, with the current window.
    fn ack(&mut self, c: usize, from: usize) {
        let seq = self.conns[c].side[from].nxt;
        self.emit(c, from, ACK, seq, 0);
    }

    fn window(&mut self, c: usize, from: usize, w: u16) {
        self.conns[c].side[from].wnd = w;
        self.ack(c, from);
    }

    fn probe(&mut self, c: usize, from: usize, kind: ProbeKind) {
        let me = self.conns[c].side[from];
        let (flags, seq, len) = match kind {
            ProbeKind::BelowUna => (ACK, me.una.wrapping_sub(1), 0),
            ProbeKind::NewByte => (ACK | PSH, me.una, 1),
            ProbeKind::OldByte => (ACK, me.nxt.wrapping_sub(1), 1),
            ProbeKind::Urgent => (ACK | URG, me.una, 0),
        };
        self.emit(c, from, flags, seq, len);
        let me = &mut self.conns[c].side[from];
        if kind == ProbeKind::NewByte && seq.wrapping_add(1).wrapping_sub(me.nxt) as i32 > 0 {
            me.nxt = seq.wrapping_add(1);
        }
        me.probe = Some((kind, seq));
    }

    /// `from` answers the other side's probe: a pure ACK; a new byte it may take (`accept`).
    fn reply(&mut self, c: usize, from: usize, accept: bool) {
        let conn = &mut self.conns[c];
        if let Some((ProbeKind::NewByte, seq)) = conn.side[1 - from].probe.take() {
            if accept && seq == conn.side[from].rcv {
                conn.side[from].rcv = seq.wrapping_add(1);
            }
        }
        self.ack(c, from);
    }

    fn fin(&mut self, c: usize, from: usize) {
        let seq = self.conns[c].side[from].nxt;
        self.emit(c, from, FIN | ACK, seq, 0);
        let conn = &mut self.conns[c];
        conn.side[from].nxt = seq.wrapping_add(1);
        conn.side[1 - from].rcv = seq.wrapping_add(1);
        if self.src.chance(60) {
            let d = self.short_delay();
            self.pass(d);
            self.ack(c, 1 - from);
        }
    }

    fn rst(&mut self, c: usize, from: usize) {
        let seq = if self.src.chance(80) {
            self.conns[c].side[from].nxt
        } else {
            self.src.u32()
        };
        let flags = if self.src.chance(50) { RST } else { RST | ACK };
        self.emit(c, from, flags, seq, 0);
        self.restart(c);
    }

    /// The side's last segment again: a capture duplicate, or a retransmission later on.
    fn repeat(&mut self, c: usize, from: usize) {
        let Some(mut seg) = self.conns[c].side[from].last else {
            return;
        };
        if self.src.chance(40) {
            let d = self.short_delay();
            self.pass(d);
        }
        seg.time = Timestamp(self.now);
        match self.src.range(0..=4u8) {
            0..=2 => {
                self.packet = self.packet.wrapping_add(1);
                seg.packet = self.packet;
            }
            3 => {}
            _ => seg.packet = self.src.u64(),
        }
        if !self.full() {
            self.out.push(seg);
        }
    }

    /// A segment of a structured shape with some fields replaced by extreme or arbitrary values.
    /// The model does not follow it.
    fn raw(&mut self, c: usize, from: usize) {
        let conn = &self.conns[c];
        let me = conn.side[from];
        let mut seg = Segment {
            packet: self.packet.wrapping_add(1),
            time: Timestamp(self.now),
            conn: conn.id,
            src: conn.ends[from],
            dst: conn.ends[1 - from],
            seq: SeqNumber(me.nxt),
            ack: SeqNumber(me.rcv),
            flags: TcpFlags(ACK),
            window: (!conn.cut).then_some(me.wnd),
            window_scale: None,
            payload_len: 0,
        };
        match self.src.range(0..=4u8) {
            0 => seg.seq = SeqNumber(me.una.wrapping_sub(1)),
            1 => seg.payload_len = 1,
            2 => {
                if let Some(last) = me.last {
                    seg = last;
                    seg.packet = self.packet.wrapping_add(1);
                    seg.time = Timestamp(self.now);
                }
            }
            _ => {}
        }
        self.packet = seg.packet;
        let n = self.src.range(1..=4u8);
        for _ in 0..n {
            self.mutate(&mut seg, c, from);
        }
        if !self.full() {
            self.out.push(seg);
        }
    }

    fn mutate(&mut self, seg: &mut Segment, c: usize, from: usize) {
        let s = &mut self.src;
        match s.range(0..=10u8) {
            0 => {
                seg.conn = match s.range(0..=3u8) {
                    0 => {
                        let other = s.range(0..=self.conns.len() - 1);
                        self.conns[other].id
                    }
                    1 => 0,
                    2 => u64::MAX,
                    _ => s.u64(),
                }
            }
            1 => match s.range(0..=4u8) {
                0 => std::mem::swap(&mut seg.src, &mut seg.dst),
                1 => seg.src = s.endpoint(),
                2 => seg.dst = seg.src,
                3 => seg.src.port = s.u16(),
                _ => {
                    let other = s.range(0..=self.conns.len() - 1);
                    seg.dst = self.conns[other].ends[1];
                }
            },
            2 => {
                let base = seg.seq.0;
                seg.seq = SeqNumber(Self::seq_near(s, base, self.conns[c].side[from].una));
            }
            3 => {
                let base = seg.ack.0;
                seg.ack = SeqNumber(Self::seq_near(s, base, self.conns[c].side[1 - from].nxt));
            }
            4 => {
                seg.flags = TcpFlags(match s.range(0..=5u8) {
                    0 => s.u16(),
                    1 => s.range(0..=0x3f) | ACK,
                    2 => s.range(0..=0x3f),
                    3 => 0xffff,
                    4 => 0,
                    _ => seg.flags.0 ^ (1 << s.range(0..=11u32)),
                })
            }
            5 => {
                seg.window = match s.range(0..=3u8) {
                    0 => None,
                    1 => Some(0),
                    2 => Some(u16::MAX),
                    _ => Some(s.u16()),
                }
            }
            6 => {
                seg.window_scale = match s.range(0..=3u8) {
                    0 => None,
                    1 => Some(u8::MAX),
                    2 => Some(14),
                    _ => Some(s.range(0..=u8::MAX)),
                }
            }
            7 => seg.payload_len = s.u32_extreme(),
            8 => {
                seg.packet = match s.range(0..=3u8) {
                    0 => 0,
                    1 => u64::MAX,
                    2 => seg.packet.wrapping_sub(1),
                    _ => s.u64(),
                }
            }
            9 => {
                seg.time = Timestamp(match s.range(0..=3u8) {
                    0 => 0,
                    1 => u64::MAX,
                    2 => seg.time.0.saturating_sub(s.range(1..=1000) * MS),
                    _ => s.u64(),
                })
            }
            _ => {
                // A probe's ACK shape: zero length at SND.UNA-1, or its reply one past it.
                seg.payload_len = 0;
                seg.flags = TcpFlags(ACK);
                seg.seq = SeqNumber(self.conns[c].side[from].una.wrapping_sub(1));
            }
        }
    }

    /// A sequence number near `base` or `una`, at the far side of the space, or anywhere.
    fn seq_near(s: &mut Src, base: u32, una: u32) -> u32 {
        match s.range(0..=7u8) {
            0 => base.wrapping_add(1),
            1 => base.wrapping_sub(1),
            2 => base.wrapping_add(1 << 31),
            3 => base.wrapping_add((1 << 31) - 1),
            4 => una.wrapping_sub(1),
            5 => una,
            _ => s.u32_extreme(),
        }
    }

    /// The same connection id for other endpoints, a new connection on the same ports, or the
    /// roles swapped.
    fn reuse(&mut self, c: usize) {
        match self.src.range(0..=2u8) {
            0 => {
                let e = self.src.endpoint();
                self.conns[c].ends[0] = e;
                self.restart(c);
            }
            1 => self.handshake(c),
            _ => {
                let conn = &mut self.conns[c];
                conn.ends.swap(0, 1);
                conn.side.swap(0, 1);
            }
        }
    }

    /// Many connections at once, for the connection bound: each segment on a connection of its
    /// own, or a churn over a pool of connection ids.
    fn flood(&mut self) {
        let n = match self.src.range(0..=15u8) {
            0 => self.src.range(1..=255u32) * 16,
            1..=2 => self.src.range(1..=255) * 4,
            3..=9 => self.src.range(1..=255),
            _ => self.src.range(1..=32),
        };
        let pool = match self.src.range(0..=2u8) {
            0 => None,
            _ => Some(self.src.range(2..=300u64)),
        };
        let base = self.src.u64();
        let same_time = self.src.chance(40);
        let shape = self.src.range(0..=4u8);
        let server = self.src.endpoint();
        for i in 0..n {
            if self.full() {
                return;
            }
            let k = match pool {
                Some(p) => self.src.range(0..=p - 1),
                None => i as u64,
            };
            let client = Endpoint::v4(
                [192, 168, (k >> 8) as u8, k as u8],
                1024 + (k % 60000) as u16,
            );
            let (flags, len, window) = match if shape == 4 {
                self.src.range(0..=3u8)
            } else {
                shape
            } {
                0 => (SYN, 0, Some(64240)),
                1 => (ACK, 0, Some(65535)),
                2 => (ACK | PSH, self.src.range(1..=1460), Some(502)),
                _ => (ACK, 0, Some(0)),
            };
            if !same_time {
                self.now = self.now.saturating_add(self.src.range(0..=2_000_000));
            }
            self.packet = self.packet.wrapping_add(1);
            let seq = (k as u32).wrapping_mul(0x9e37_79b9);
            let reverse = self.src.chance(30);
            self.out.push(Segment {
                packet: self.packet,
                time: Timestamp(self.now),
                conn: base.wrapping_add(k),
                src: if reverse { server } else { client },
                dst: if reverse { client } else { server },
                seq: SeqNumber(seq),
                ack: SeqNumber(seq ^ 0x5555_5555),
                flags: TcpFlags(flags),
                window,
                window_scale: None,
                payload_len: len,
            });
        }
    }

    /// A persist timer at work: the window closes, the prober probes with backoff up to a cap,
    /// the probed side answers most probes, and the window may reopen.
    fn persist_episode(&mut self, c: usize, prober: usize) {
        let probed = 1 - prober;
        if self.src.chance(50) {
            let len = self.src.range(1..=1460);
            let seq = self.conns[c].side[prober].nxt;
            self.emit(c, prober, ACK | PSH, seq, len);
            let conn = &mut self.conns[c];
            conn.side[prober].nxt = seq.wrapping_add(len);
            conn.side[probed].rcv = conn.side[prober].nxt;
            let d = self.short_delay();
            self.pass(d);
        }
        self.window(c, probed, 0);
        let n = match self.src.range(0..=9u8) {
            0..=5 => self.src.range(1..=6u32),
            6..=8 => self.src.range(7..=16),
            _ => self.src.range(17..=40),
        };
        let mut interval = match self.src.range(0..=4u8) {
            0..=2 => self.src.range(200..=230) * MS,
            3 => self.src.range(200..=3000) * MS,
            _ => self.src.range(1..=10_000) * MS,
        };
        let cap = if self.src.chance(70) {
            120 * SEC
        } else {
            self.src.range(1..=120) * SEC
        };
        let jitter = self.src.range(0..=8u64);
        let kind = match self.src.range(0..=9u8) {
            0..=7 => ProbeKind::BelowUna,
            8 => ProbeKind::NewByte,
            _ => ProbeKind::Urgent,
        };
        let answered = self.src.range(50..=100u8);
        if self.src.chance(10) {
            self.conns[c].cut = true;
        }
        for _ in 0..n {
            let d = self.src.jitter(interval, jitter);
            self.last_wait = d;
            self.pass(d);
            self.probe(c, prober, kind);
            if kind == ProbeKind::Urgent {
                // Linux follows the URG probe with the usual one.
                self.probe(c, prober, ProbeKind::BelowUna);
            }
            if self.src.chance(answered) {
                let d = self.short_delay();
                self.pass(d);
                let accept = self.src.chance(20);
                self.reply(c, probed, accept);
            }
            interval = interval.saturating_mul(2).min(cap);
        }
        match self.src.range(0..=9u8) {
            0..=3 => {
                let d = self.src.jitter(interval / 2, 50);
                self.pass(d);
                let w = self.src.range(1..=65535);
                self.window(c, probed, w);
            }
            4..=5 => self.rst(c, prober),
            6 => self.fin(c, prober),
            _ => {}
        }
    }

    /// A keep-alive timer at work: idle, then keep-alives at a constant interval, answered or
    /// not, into an open window or one that the sender filled exactly.
    fn keepalive_series(&mut self, c: usize, prober: usize) {
        let probed = 1 - prober;
        if self.src.chance(20) {
            self.window(c, probed, 0);
        }
        let idle = match self.src.range(0..=4u8) {
            0..=2 => self.src.jitter(7200 * SEC, 2),
            3 => self.src.range(1..=120) * SEC,
            _ => self.src.range(900..=10_000) * MS,
        };
        let interval = match self.src.range(0..=4u8) {
            0..=2 => 75 * SEC,
            _ => self.src.range(1..=300) * SEC,
        };
        let n = if self.src.chance(90) {
            self.src.range(1..=12u32)
        } else {
            self.src.range(13..=40)
        };
        let kind = if self.src.chance(85) {
            ProbeKind::BelowUna
        } else {
            ProbeKind::OldByte
        };
        let answered = self.src.range(0..=100u8);
        let jitter = self.src.range(0..=3u64);
        self.pass(idle);
        self.last_wait = idle;
        for i in 0..n {
            if i > 0 {
                let d = self.src.jitter(interval, jitter);
                self.last_wait = d;
                self.pass(d);
            }
            self.probe(c, prober, kind);
            if self.src.chance(answered) {
                let d = self.short_delay();
                self.pass(d);
                self.reply(c, probed, false);
            }
        }
        match self.src.range(0..=9u8) {
            0..=2 => {
                let d = self.src.jitter(interval, jitter);
                self.pass(d);
                self.rst(c, prober);
            }
            3..=4 => self.data(c, prober),
            _ => {}
        }
    }
}

/// One line for a segment: packet, time, connection, endpoints, sequence and ACK numbers, flags,
/// window, length.
pub fn describe(s: &Segment) -> String {
    let names = [
        (FIN, 'F'),
        (SYN, 'S'),
        (RST, 'R'),
        (PSH, 'P'),
        (ACK, 'A'),
        (URG, 'U'),
    ];
    let mut flags: String = names
        .iter()
        .filter(|(bit, _)| s.flags.0 & bit != 0)
        .map(|(_, c)| *c)
        .collect();
    let other = s.flags.0 & !0x3f;
    if other != 0 {
        flags.push_str(&format!("+{other:#x}"));
    }
    let window = s.window.map_or("cut".into(), |w| w.to_string());
    let scale = s.window_scale.map_or(String::new(), |w| format!(" ws={w}"));
    format!(
        "#{} t={} conn={} {} > {} seq={} ack={} [{}] win={}{} len={}",
        s.packet,
        s.time.0,
        s.conn,
        endpoint(&s.src),
        endpoint(&s.dst),
        s.seq.0,
        s.ack.0,
        flags,
        window,
        scale,
        s.payload_len
    )
}

fn endpoint(e: &Endpoint) -> String {
    if e.addr[4..].iter().all(|&b| b == 0) {
        let a = &e.addr;
        format!("{}.{}.{}.{}:{}", a[0], a[1], a[2], a[3], e.port)
    } else {
        let words: Vec<String> = e
            .addr
            .chunks(2)
            .map(|w| format!("{:x}", u16::from_be_bytes([w[0], w[1]])))
            .collect();
        format!("[{}]:{}", words.join(":"), e.port)
    }
}
