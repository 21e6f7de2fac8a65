//! tcpprobe-wire: a captured frame's bytes to the [`Segment`] that `tcpprobe-core` classifies.
//!
//! Both consumers of the core read TCP from the frame's own bytes through this crate: the
//! Wireshark plugin (so its input never depends on Wireshark's protocol tree or tap queue, which
//! some dissection passes do not have) and the standalone analyzer. Same bytes in, same segment
//! out, whoever reads the capture.
//!
//! What it follows: the link layers that captures of TCP stalls come in (Ethernet with 802.1Q /
//! QinQ, Linux cooked v1 and v2, BSD/OpenBSD loopback, raw IPv4/IPv6), then IPv4 or IPv6 with
//! extension headers (etherparse), then the TCP header. The segment length comes from the IP
//! header, never from the captured bytes, so a small snap length does not turn data into a
//! zero-length "probe". Only the first 16 bytes of the TCP header must be captured; options are
//! read only where they were captured. IP fragments (not reassembled here), tunnels and
//! TCP quoted inside ICMP errors give no segment.
#![forbid(unsafe_code)]

use std::hash::{Hash, Hasher};

use etherparse::{EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket};
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
    /// The capture cut the frame before the TCP fields needed (the first 16 bytes of the header).
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
    /// The raw (unscaled) window field.
    pub window: u16,
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
        // Deterministic (fixed keys): the same capture gives the same ids on every run.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (a.addr, a.port, b.addr, b.port).hash(&mut h);
        h.finish()
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
    let sliced = match link {
        LinkType::Ethernet => LaxSlicedPacket::from_ethernet(frame).map_err(|_| Skip::Truncated)?,
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => from_ip(frame)?,
        LinkType::Null | LinkType::Loop => {
            let family = frame.get(..4).ok_or(Skip::Truncated)?;
            let family = [family[0], family[1], family[2], family[3]];
            // Host byte order for Null (the capturing host's, unknown here), network order for
            // Loop: a family is a small number, so whichever reading is small is the right one.
            let le = u32::from_le_bytes(family);
            let be = u32::from_be_bytes(family);
            match le.min(be) {
                // AF_INET everywhere; AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, macOS.
                2 | 10 | 24 | 28 | 30 => from_ip(&frame[4..])?,
                _ => return Err(Skip::NotIp),
            }
        }
        LinkType::LinuxSll => {
            // 16 bytes: packet type, ARPHRD, address length, 8 address bytes, protocol.
            let proto = frame.get(14..16).ok_or(Skip::Truncated)?;
            let ether_type = EtherType(u16::from_be_bytes([proto[0], proto[1]]));
            LaxSlicedPacket::from_ether_type(ether_type, &frame[16..])
        }
        LinkType::LinuxSll2 => {
            // 20 bytes: protocol first, then reserved, interface, ARPHRD, type, address.
            let proto = frame.get(..2).ok_or(Skip::Truncated)?;
            if frame.len() < 20 {
                return Err(Skip::Truncated);
            }
            let ether_type = EtherType(u16::from_be_bytes([proto[0], proto[1]]));
            LaxSlicedPacket::from_ether_type(ether_type, &frame[20..])
        }
    };
    tcp_of(sliced.net.as_ref())
}

fn from_ip(data: &[u8]) -> Result<LaxSlicedPacket<'_>, Skip> {
    match data.first().map(|b| b >> 4) {
        Some(4) | Some(6) => LaxSlicedPacket::from_ip(data).map_err(|_| Skip::Truncated),
        Some(_) => Err(Skip::NotIp),
        None => Err(Skip::Truncated),
    }
}

fn tcp_of(net: Option<&LaxNetSlice<'_>>) -> Result<TcpFacts, Skip> {
    let (src, dst, ip_start, declared_end, payload) = match net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let start = h.slice().as_ptr() as usize;
            // A total length of 0 is a TSO capture: the packet runs to the end of the frame.
            let total = match h.total_len() as usize {
                0 => None,
                n => Some(n),
            };
            (
                v4(h.source()),
                v4(h.destination()),
                start,
                total.map(|n| start + n),
                ip.payload(),
            )
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            let start = h.slice().as_ptr() as usize;
            // A payload length of 0 is a jumbogram (or TSO): to the end of the frame.
            let total = match h.payload_length() as usize {
                0 => None,
                n => Some(40 + n),
            };
            (
                h.source(),
                h.destination(),
                start,
                total.map(|n| start + n),
                ip.payload(),
            )
        }
        Some(LaxNetSlice::Arp(_)) | None => return Err(Skip::NotIp),
    };
    if payload.ip_number != IpNumber::TCP {
        return Err(Skip::NotTcp);
    }
    if payload.fragmented {
        return Err(Skip::Fragment);
    }
    let tcp = payload.payload;
    let tcp_start = tcp.as_ptr() as usize;
    // The segment's length as the IP header declares it, whatever was captured of it.
    let declared_len = match declared_end {
        Some(end) if end >= tcp_start => end - tcp_start,
        Some(_) => return Err(Skip::Malformed),
        None => tcp.len(),
    };
    debug_assert!(tcp_start >= ip_start);
    let Some(head) = tcp.get(..16) else {
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
        window: be16(14),
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
