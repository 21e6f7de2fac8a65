//! tcpprobe-wire: a captured frame's bytes to the [`Segment`] that `tcpprobe-core` classifies.
//!
//! Both consumers of the core read TCP from the frame's own bytes through this crate: the
//! Wireshark plugin (so its input never depends on Wireshark's protocol tree or tap queue, which
//! some dissection passes do not have) and the standalone analyzer. Same bytes in, same segment
//! out, whoever reads the capture.
//!
//! What it follows: the link layers that captures of TCP stalls come in (Ethernet with 802.1Q /
//! QinQ, Linux cooked v1 and v2, BSD/OpenBSD loopback, raw IPv4/IPv6), then IPv4 or IPv6 (plain
//! headers read in place, extension headers and IPv4 AH through etherparse), then the TCP header.
//! It runs on every frame Wireshark shows, so the common path stays short (BENCHMARKS.md).
//!
//! The segment length comes from the IP header, never from the captured bytes, so a small snap
//! length does not turn data into a zero-length "probe". Only the first 14 bytes of the TCP
//! header must be captured (without the window field the window is unknown); options are read only where they were captured. IP fragments (not
//! reassembled here), tunnels and TCP quoted inside ICMP errors give no segment.
#![forbid(unsafe_code)]

use std::hash::BuildHasher;

use etherparse::{EtherType, IpNumber, LaxIpSlice};
use tcpprobe_core::{Endpoint, Segment, SeqNumber, TcpFlags, Timestamp};

/// The link layer a frame starts with, numbered as pcap's LINKTYPE_* values (what pcap and
/// pcapng files store), so a capture reader can pass its link type straight through.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    Null = 0,
    Ethernet = 1,
    /// Raw IP, version from the first nibble.
    Raw = 101,
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    Loop = 108,
    LinuxSll = 113,
    Ipv4 = 228,
    Ipv6 = 229,
    LinuxSll2 = 276,
}

impl LinkType {
    pub const ALL: [LinkType; 8] = [
        LinkType::Null,
        LinkType::Ethernet,
        LinkType::Raw,
        LinkType::Loop,
        LinkType::LinuxSll,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::LinuxSll2,
    ];

    /// The link type of a pcap LINKTYPE_* value, if this crate reads it.
    pub fn from_pcap(linktype: u32) -> Option<LinkType> {
        LinkType::ALL.into_iter().find(|l| *l as u32 == linktype)
    }
}

/// Why a frame gave no segment. A reader counts these; the plugin simply moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skip {
    /// The link or network layer is not IPv4 or IPv6 (ARP, a non-IP ether type, …).
    NotIp,
    /// IP, but not carrying TCP (UDP, ICMP, tunnels, …).
    NotTcp,
    /// An IP fragment: the segment's length is only known after reassembly.
    Fragment,
    /// The capture cut the frame before the TCP fields needed (the first 14 bytes of the header).
    Truncated,
    /// Headers that contradict themselves: a TCP header length under 20 bytes, or longer than
    /// the IP header says the segment is.
    Malformed,
}

/// The TCP header facts of one frame, before they become a [`Segment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpFacts {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: u32,
    pub ack: u32,
    /// The 12 flag bits, as on the wire.
    pub flags: u16,
    /// The raw (unscaled) window field; None when the capture cut it.
    pub window: Option<u16>,
    /// The window scale option's shift, when this segment carries one and it was captured.
    pub window_scale: Option<u8>,
    /// Payload bytes, from the IP header's length.
    pub payload_len: u32,
}

impl TcpFacts {
    /// A connection id shared by both directions: a hash of the two endpoints in a fixed order.
    /// A reused port pair is told apart by the core (a new SYN starts the connection over).
    pub fn conn(&self) -> u64 {
        let (a, b) = if (self.src.addr, self.src.port) <= (self.dst.addr, self.dst.port) {
            (self.src, self.dst)
        } else {
            (self.dst, self.src)
        };
        // A fixed seed: the same capture gives the same ids on every run.
        foldhash::fast::FixedState::with_seed(0x7463_7070_726f_6265)
            .hash_one((a.addr, a.port, b.addr, b.port))
    }

    pub fn segment(&self, packet: u64, time: Timestamp) -> Segment {
        Segment {
            packet,
            time,
            conn: self.conn(),
            src: self.src,
            dst: self.dst,
            seq: SeqNumber(self.seq),
            ack: SeqNumber(self.ack),
            flags: TcpFlags(self.flags),
            window: self.window,
            window_scale: self.window_scale,
            payload_len: self.payload_len,
        }
    }
}

/// The TCP segment of a captured frame, `frame` being the captured bytes from the link layer on.
pub fn decode(link: LinkType, frame: &[u8]) -> Result<TcpFacts, Skip> {
    let ip = match link {
        LinkType::Ethernet => {
            // Destination and source MAC, then the ether type, after any 802.1Q / 802.1ad / QinQ
            // tags (4 bytes each). Walked here: it is two comparisons, and etherparse's full
            // packet slicer would also parse (and validate) the TCP header we read ourselves.
            let mut at = 12;
            loop {
                let t = frame.get(at..at + 2).ok_or(Skip::Truncated)?;
                match u16::from_be_bytes([t[0], t[1]]) {
                    0x8100 | 0x88a8 | 0x9100 => at += 4,
                    ether_type => break ip_of_ether_type(ether_type, &frame[at + 2..])?,
                }
            }
        }
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => frame,
        LinkType::Null | LinkType::Loop => {
            let family = frame.get(..4).ok_or(Skip::Truncated)?;
            let family = [family[0], family[1], family[2], family[3]];
            // Host byte order for Null (the capturing host's, unknown here), network order for
            // Loop: a family is a small number, so whichever reading is small is the right one.
            let le = u32::from_le_bytes(family);
            let be = u32::from_be_bytes(family);
            match le.min(be) {
                // AF_INET everywhere; AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, macOS.
                2 | 10 | 24 | 28 | 30 => &frame[4..],
                _ => return Err(Skip::NotIp),
            }
        }
        LinkType::LinuxSll => {
            // 16 bytes: packet type, ARPHRD, address length, 8 address bytes, protocol.
            let proto = frame.get(14..16).ok_or(Skip::Truncated)?;
            ip_of_ether_type(u16::from_be_bytes([proto[0], proto[1]]), &frame[16..])?
        }
        LinkType::LinuxSll2 => {
            // 20 bytes: protocol first, then reserved, interface, ARPHRD, type, address.
            if frame.len() < 20 {
                return Err(Skip::Truncated);
            }
            ip_of_ether_type(u16::from_be_bytes([frame[0], frame[1]]), &frame[20..])?
        }
    };
    tcp_facts(ip_tcp(ip)?)
}

fn ip_of_ether_type(ether_type: u16, payload: &[u8]) -> Result<&[u8], Skip> {
    match EtherType(ether_type) {
        EtherType::IPV4 | EtherType::IPV6 => Ok(payload),
        _ => Err(Skip::NotIp),
    }
}

/// What the IP layer says of the TCP segment it carries.
struct IpTcp<'a> {
    src: [u8; 16],
    dst: [u8; 16],
    /// The captured bytes from the TCP header on.
    tcp: &'a [u8],
    /// The segment's length as the IP header declares it, whatever was captured of it.
    declared_len: usize,
}

fn ip_tcp(ip: &[u8]) -> Result<IpTcp<'_>, Skip> {
    let be16 = |i: usize| u16::from_be_bytes([ip[i], ip[i + 1]]) as usize;
    match ip.first().map(|b| b >> 4) {
        // The common headers, read in place: IPv4 (options skipped by its header length) and
        // IPv6 with TCP right after the fixed header. Extension headers, IPv4 AH and anything odd
        // go through etherparse, which the profile showed at 260 instructions a frame.
        // Neither TCP nor AH (which may carry TCP): UDP, ICMP, tunnels. Said without slicing.
        Some(4) if ip.len() >= 20 && ip[9] != 6 && ip[9] != 51 => Err(Skip::NotTcp),
        Some(4) if ip.len() >= 20 && ip[9] == 6 => {
            let header_len = usize::from(ip[0] & 0x0f) * 4;
            if header_len < 20 || ip.len() < header_len {
                return Err(Skip::Truncated);
            }
            // More fragments, or a fragment offset.
            if be16(6) & 0x3fff != 0 {
                return Err(Skip::Fragment);
            }
            let declared_len = match be16(2) {
                // A total length of 0 is a TSO capture: the packet runs to the end of the frame.
                0 => ip.len() - header_len,
                total if total < header_len => return Err(Skip::Malformed),
                total => total - header_len,
            };
            let tcp = &ip[header_len..];
            Ok(IpTcp {
                src: v4([ip[12], ip[13], ip[14], ip[15]]),
                dst: v4([ip[16], ip[17], ip[18], ip[19]]),
                // Link-layer padding past the declared length is not TCP.
                tcp: &tcp[..declared_len.min(tcp.len())],
                declared_len,
            })
        }
        Some(6) if ip.len() >= 40 && ip[6] == 6 => {
            let addr = |at: usize| -> [u8; 16] { ip[at..at + 16].try_into().unwrap() };
            // A payload length of 0 is a jumbogram (or TSO): to the end of the frame.
            let declared_len = match be16(4) {
                0 => ip.len() - 40,
                n => n,
            };
            let tcp = &ip[40..];
            Ok(IpTcp {
                src: addr(8),
                dst: addr(24),
                tcp: &tcp[..declared_len.min(tcp.len())],
                declared_len,
            })
        }
        Some(4) | Some(6) => {
            let (sliced, _) = LaxIpSlice::from_slice(ip).map_err(|_| Skip::Truncated)?;
            ip_tcp_sliced(&sliced)
        }
        Some(_) => Err(Skip::NotIp),
        None => Err(Skip::Truncated),
    }
}

/// The same from etherparse's reading (extension headers, AH).
fn ip_tcp_sliced<'a>(ip: &LaxIpSlice<'a>) -> Result<IpTcp<'a>, Skip> {
    let (src, dst, ip_start, declared_end, payload) = match ip {
        LaxIpSlice::Ipv4(ip) => {
            let h = ip.header();
            let start = h.slice().as_ptr() as usize;
            let total = match h.total_len() as usize {
                0 => None,
                n => Some(n),
            };
            (
                v4(h.source()),
                v4(h.destination()),
                start,
                total.map(|n| start + n),
                ip.payload().clone(),
            )
        }
        LaxIpSlice::Ipv6(ip) => {
            let h = ip.header();
            let start = h.slice().as_ptr() as usize;
            let total = match h.payload_length() as usize {
                0 => None,
                n => Some(40 + n),
            };
            (
                h.source(),
                h.destination(),
                start,
                total.map(|n| start + n),
                ip.payload().clone(),
            )
        }
    };
    if payload.ip_number != IpNumber::TCP {
        return Err(Skip::NotTcp);
    }
    if payload.fragmented {
        return Err(Skip::Fragment);
    }
    let tcp = payload.payload;
    let tcp_start = tcp.as_ptr() as usize;
    debug_assert!(tcp_start >= ip_start);
    let declared_len = match declared_end {
        Some(end) if end >= tcp_start => end - tcp_start,
        Some(_) => return Err(Skip::Malformed),
        None => tcp.len(),
    };
    Ok(IpTcp {
        src,
        dst,
        tcp,
        declared_len,
    })
}

fn tcp_facts(ip: IpTcp<'_>) -> Result<TcpFacts, Skip> {
    let IpTcp {
        src,
        dst,
        tcp,
        declared_len,
    } = ip;
    // Ports, sequence and ACK numbers, header length and flags: the first 14 bytes. The window
    // (bytes 14-15) is cut by `tcpdump -s 68` on IPv6 over Ethernet; it is then unknown.
    let Some(head) = tcp.get(..14) else {
        return Err(Skip::Truncated);
    };
    let be16 = |i: usize| u16::from_be_bytes([head[i], head[i + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let header_len = usize::from(head[12] >> 4) * 4;
    if header_len < 20 || header_len > declared_len {
        return Err(Skip::Malformed);
    }
    let flags = be16(12) & 0x0fff;
    let window_scale = if flags & TcpFlags::SYN != 0 {
        window_scale_option(tcp.get(20..header_len.min(tcp.len())).unwrap_or(&[]))
    } else {
        None
    };
    Ok(TcpFacts {
        src: Endpoint {
            addr: src,
            port: be16(0),
        },
        dst: Endpoint {
            addr: dst,
            port: be16(2),
        },
        seq: be32(4),
        ack: be32(8),
        flags,
        window: tcp.get(14..16).map(|w| u16::from_be_bytes([w[0], w[1]])),
        window_scale,
        payload_len: (declared_len - header_len) as u32,
    })
}

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&a);
    out
}

/// The shift of a window scale option (kind 3, length 3) among the captured options.
fn window_scale_option(mut options: &[u8]) -> Option<u8> {
    while let Some(&kind) = options.first() {
        match kind {
            0 => return None,
            1 => options = &options[1..],
            _ => {
                let len = usize::from(*options.get(1)?);
                if len < 2 || len > options.len() {
                    return None;
                }
                if kind == 3 && len == 3 {
                    return Some(options[2]);
                }
                options = &options[len..];
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
