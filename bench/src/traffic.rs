//! A seeded traffic model: many TCP connections over IPv4 and IPv6, interleaved in time: bulk
//! downloads, short request/response exchanges, zero-window stalls with Linux persist probes
//! (doubling intervals, each answered), and idle connections kept alive by keep-alives.

use std::io::Write;
use std::time::Duration;

use etherparse::{PacketBuilder, TcpOptionElement};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;
use tcpprobe_core::{Endpoint, Segment, SeqNumber, TcpFlags, Timestamp};

const MS: u64 = 1_000_000;
const US: u64 = 1_000;
const MSS: u16 = 1448;
/// Where the capture's clock starts (2025-10-09), so timestamps look like a real capture's.
const EPOCH_NS: u64 = 1_760_000_000 * 1000 * MS;
const SYN: u8 = 0x02;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// One packet of the model, compact so that ten million fit in memory before sorting.
#[derive(Clone, Copy)]
pub struct Pkt {
    pub t_ns: u64,
    pub stream: u32,
    pub from_client: bool,
    pub flags: u8,
    pub win: u16,
    pub len: u16,
    pub seq: u32,
    pub ack: u32,
}

pub struct Stream {
    pub v6: bool,
    pub client: ([u8; 16], u16),
    pub server: ([u8; 16], u16),
}

pub struct Traffic {
    pub streams: Vec<Stream>,
    /// In capture order.
    pub packets: Vec<Pkt>,
    pub stalls: usize,
    pub keepalive_streams: usize,
}

/// One connection being written: both sides' next sequence numbers and the clock.
struct Conn<'a> {
    out: &'a mut Vec<Pkt>,
    stream: u32,
    t: u64,
    rtt: u64,
    c_seq: u32,
    s_seq: u32,
}

impl Conn<'_> {
    fn send(&mut self, from_client: bool, flags: u8, len: u16, win: u16) {
        let (seq, ack) = if from_client {
            (self.c_seq, self.s_seq)
        } else {
            (self.s_seq, self.c_seq)
        };
        self.out.push(Pkt {
            t_ns: self.t,
            stream: self.stream,
            from_client,
            flags,
            win,
            len,
            seq,
            ack: if flags & ACK != 0 { ack } else { 0 },
        });
        let used = len as u32 + (flags & (SYN | FIN) != 0) as u32;
        if from_client {
            self.c_seq = self.c_seq.wrapping_add(used);
        } else {
            self.s_seq = self.s_seq.wrapping_add(used);
        }
    }

    /// A zero-length segment at `seq` (a probe: SND.UNA-1), not advancing anything.
    fn probe(&mut self, from_client: bool, win: u16) {
        let (seq, ack) = if from_client {
            (self.c_seq.wrapping_sub(1), self.s_seq)
        } else {
            (self.s_seq.wrapping_sub(1), self.c_seq)
        };
        self.out.push(Pkt {
            t_ns: self.t,
            stream: self.stream,
            from_client,
            flags: ACK,
            win,
            len: 0,
            seq,
            ack,
        });
    }

    fn wait(&mut self, ns: u64) {
        self.t += ns;
    }

    fn handshake(&mut self) {
        self.send(true, SYN, 0, 64240);
        self.wait(self.rtt / 2);
        self.send(false, SYN | ACK, 0, 65160);
        self.wait(self.rtt / 2);
        self.send(true, ACK, 0, 502);
    }

    /// The server sends `n` full segments; the client acks every second one half an RTT later.
    fn download(&mut self, rng: &mut fastrand::Rng, n: u32) {
        for i in 0..n {
            self.wait(rng.u64(20 * US..200 * US));
            self.send(false, ACK | if i + 1 == n { PSH } else { 0 }, MSS, 509);
            if i % 2 == 1 || i + 1 == n {
                self.send(true, ACK, 0, 1024);
            }
        }
    }

    fn close(&mut self) {
        self.wait(self.rtt);
        self.send(false, FIN | ACK, 0, 509);
        self.wait(self.rtt / 2);
        self.send(true, FIN | ACK, 0, 1024);
        self.wait(self.rtt / 2);
        self.send(false, ACK, 0, 509);
    }
}

/// About `frames` packets (the first `frames` in time order) from connections that start within
/// `span_s` seconds.
pub fn generate(seed: u64, frames: usize, span_s: u64) -> Traffic {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut streams = Vec::new();
    let mut packets = Vec::with_capacity(frames + frames / 8);
    let (mut stalls, mut keepalive_streams) = (0, 0);
    while packets.len() < frames + frames / 10 {
        let id = streams.len() as u32;
        let v6 = rng.u8(..10) < 3;
        let addr = |host: u32| {
            let mut a = [0u8; 16];
            if v6 {
                a[..2].copy_from_slice(&[0x20, 0x01]);
                a[12..].copy_from_slice(&host.to_be_bytes());
            } else {
                a[..4].copy_from_slice(&(0x0a00_0000 | (host & 0x00ff_ffff)).to_be_bytes());
            }
            a
        };
        let client = (addr(rng.u32(1..60_000)), rng.u16(32768..61000));
        let server = (addr(rng.u32(60_000..60_100)), 9000 + rng.u16(..20));
        streams.push(Stream { v6, client, server });
        let mut c = Conn {
            out: &mut packets,
            stream: id,
            t: rng.u64(..span_s * 1000 * MS),
            rtt: rng.u64(200 * US..60 * MS),
            c_seq: rng.u32(..),
            s_seq: rng.u32(..),
        };
        c.handshake();
        c.wait(rng.u64(..5 * MS));
        c.send(true, PSH | ACK, rng.u16(60..600), 502);
        let kind = rng.u8(..100);
        if kind < 3 {
            // A receiver that stops reading: the window closes, the sender's persist timer probes
            // with doubling intervals, every probe answered, until the window opens again.
            stalls += 1;
            let n = rng.u32(4..40);
            c.download(&mut rng, n);
            c.wait(c.rtt / 2);
            c.send(true, ACK, 0, 0);
            let mut interval = (c.rtt * 2).max(200 * MS);
            for _ in 0..rng.u32(2..8) {
                c.wait(interval);
                c.probe(false, 509);
                c.wait(c.rtt / 2);
                c.send(true, ACK, 0, 0);
                interval = (interval * 2).min(120_000 * MS);
            }
            c.wait(rng.u64(..interval));
            c.send(true, ACK, 0, 1024);
            let n = rng.u32(2..20);
            c.download(&mut rng, n);
            c.close();
        } else if kind < 6 {
            // An idle connection whose client keeps it alive (TCP_KEEPIDLE 10 s, answered).
            keepalive_streams += 1;
            c.wait(c.rtt);
            c.send(false, PSH | ACK, rng.u16(60..600), 509);
            for _ in 0..rng.u32(2..6) {
                c.wait(10_000 * MS);
                c.probe(true, 502);
                c.wait(c.rtt);
                c.send(false, ACK, 0, 509);
            }
            if rng.bool() {
                c.wait(c.rtt);
                c.send(true, RST | ACK, 0, 0);
            } else {
                c.close();
            }
        } else if kind < 40 {
            // Request / response.
            c.wait(c.rtt);
            let n = rng.u32(1..4);
            c.download(&mut rng, n);
            c.close();
        } else {
            // A bulk download: mostly short, sometimes long.
            let n = if rng.u8(..10) == 0 {
                rng.u32(100..2000)
            } else {
                rng.u32(4..100)
            };
            c.wait(c.rtt);
            c.download(&mut rng, n);
            c.close();
        }
    }
    packets.sort_by_key(|p| p.t_ns);
    packets.truncate(frames);
    Traffic {
        streams,
        packets,
        stalls,
        keepalive_streams,
    }
}

impl Traffic {
    fn endpoints(&self, p: &Pkt) -> (Endpoint, Endpoint) {
        let s = &self.streams[p.stream as usize];
        let (src, dst) = if p.from_client {
            (s.client, s.server)
        } else {
            (s.server, s.client)
        };
        (
            Endpoint {
                addr: src.0,
                port: src.1,
            },
            Endpoint {
                addr: dst.0,
                port: dst.1,
            },
        )
    }

    /// The segments as a capture reader would hand them to the core.
    pub fn segments(&self) -> Vec<Segment> {
        self.packets
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (src, dst) = self.endpoints(p);
                Segment {
                    packet: i as u64 + 1,
                    time: Timestamp(p.t_ns),
                    conn: p.stream as u64,
                    src,
                    dst,
                    seq: SeqNumber(p.seq),
                    ack: SeqNumber(p.ack),
                    flags: TcpFlags(p.flags as u16),
                    window: Some(p.win),
                    window_scale: (p.flags & SYN != 0).then_some(7),
                    payload_len: p.len as u32,
                }
            })
            .collect()
    }

    /// Ethernet frame bytes of packet `i`: IPv4 or IPv6, TCP with timestamps (and MSS, SACK and
    /// window scale on SYNs), zero-filled payload.
    pub fn frame(&self, i: usize, buf: &mut Vec<u8>) {
        let p = &self.packets[i];
        let s = &self.streams[p.stream as usize];
        let (src, dst) = self.endpoints(p);
        let eth = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
        let ip = if s.v6 {
            eth.ipv6(src.addr, dst.addr, 64)
        } else {
            let a = |e: Endpoint| [e.addr[0], e.addr[1], e.addr[2], e.addr[3]];
            eth.ipv4(a(src), a(dst), 64)
        };
        let mut tcp = ip.tcp(src.port, dst.port, p.seq, p.win);
        if p.flags & ACK != 0 {
            tcp = tcp.ack(p.ack);
        }
        if p.flags & SYN != 0 {
            tcp = tcp.syn();
        }
        if p.flags & FIN != 0 {
            tcp = tcp.fin();
        }
        if p.flags & RST != 0 {
            tcp = tcp.rst();
        }
        if p.flags & PSH != 0 {
            tcp = tcp.psh();
        }
        let ts = (p.t_ns / MS) as u32;
        let options: &[TcpOptionElement] = if p.flags & SYN != 0 {
            &[
                TcpOptionElement::MaximumSegmentSize(1460),
                TcpOptionElement::SelectiveAcknowledgementPermitted,
                TcpOptionElement::Timestamp(ts, 0),
                TcpOptionElement::Noop,
                TcpOptionElement::WindowScale(7),
            ]
        } else {
            &[
                TcpOptionElement::Noop,
                TcpOptionElement::Noop,
                TcpOptionElement::Timestamp(ts, ts.wrapping_sub(1)),
            ]
        };
        let tcp = tcp.options(options).expect("options fit");
        buf.clear();
        static ZEROS: [u8; MSS as usize] = [0; MSS as usize];
        tcp.write(buf, &ZEROS[..p.len as usize])
            .expect("write to a Vec");
    }

    /// Writes the capture as pcap (Ethernet, microseconds); frames longer than `snaplen` are cut
    /// as tcpdump -s cuts them, their original length kept.
    pub fn write_pcap<W: Write>(&self, out: W, snaplen: u32, mut progress: impl FnMut(usize)) {
        let header = PcapHeader {
            snaplen,
            datalink: DataLink::ETHERNET,
            ..PcapHeader::default()
        };
        let mut w = PcapWriter::with_header(out, header).expect("pcap header");
        let mut buf = Vec::with_capacity(2048);
        for i in 0..self.packets.len() {
            self.frame(i, &mut buf);
            let keep = buf.len().min(snaplen as usize);
            let ts = Duration::from_nanos(EPOCH_NS + self.packets[i].t_ns);
            w.write_packet(&PcapPacket::new(ts, buf.len() as u32, &buf[..keep]))
                .expect("write packet");
            if i % 100_000 == 0 {
                progress(i);
            }
        }
    }
}
