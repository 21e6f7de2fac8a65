use etherparse::PacketBuilder;

use super::*;

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

/// An Ethernet frame carrying an IPv4 TCP ACK from A:4000 to B:80 with `payload`.
fn ethernet_v4(payload: &[u8], window: u16) -> Vec<u8> {
    let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(A, B, 64)
        .tcp(4000, 80, 1000, window)
        .ack(5000);
    let mut out = Vec::new();
    builder.write(&mut out, payload).unwrap();
    out
}

fn ip_part(frame: &[u8]) -> &[u8] {
    &frame[14..]
}

// ---- link layers ----

#[test]
fn ethernet_ipv4_gives_every_header_fact() {
    let f = decode(LinkType::Ethernet, &ethernet_v4(b"hello", 512)).unwrap();
    assert_eq!(f.src, Endpoint::v4(A, 4000));
    assert_eq!(f.dst, Endpoint::v4(B, 80));
    assert_eq!(
        (f.seq, f.ack, f.window, f.payload_len),
        (1000, 5000, Some(512), 5)
    );
    assert_eq!(f.flags, TcpFlags::ACK);
    assert_eq!(f.window_scale, None);
}

#[test]
fn vlan_tags_are_followed() {
    let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
        .double_vlan(
            etherparse::VlanId::try_new(10).unwrap(),
            etherparse::VlanId::try_new(20).unwrap(),
        )
        .ipv4(A, B, 64)
        .tcp(4000, 80, 7, 0)
        .ack(9);
    let mut frame = Vec::new();
    builder.write(&mut frame, &[]).unwrap();
    let f = decode(LinkType::Ethernet, &frame).unwrap();
    assert_eq!((f.seq, f.ack, f.window, f.payload_len), (7, 9, Some(0), 0));
}

#[test]
fn ipv6_with_an_extension_header() {
    let builder = PacketBuilder::ipv6([1; 16], [2; 16], 64)
        .tcp(4000, 80, 1, 0)
        .ack(2);
    let mut plain = Vec::new();
    builder.write(&mut plain, b"xyz").unwrap();
    // Insert an 8-byte destination-options header (next header TCP) after the fixed header.
    let mut frame = plain[..40].to_vec();
    frame[6] = 60; // next header: destination options
    let payload_len = u16::from_be_bytes([frame[4], frame[5]]) + 8;
    frame[4..6].copy_from_slice(&payload_len.to_be_bytes());
    frame.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]);
    frame.extend_from_slice(&plain[40..]);
    let f = decode(LinkType::Raw, &frame).unwrap();
    assert_eq!(f.src, Endpoint::v6([1; 16], 4000));
    assert_eq!((f.seq, f.ack, f.payload_len), (1, 2, 3));
}

#[test]
fn linux_cooked_v1_and_v2() {
    let ip = ip_part(&ethernet_v4(b"ab", 100)).to_vec();
    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend_from_slice(&ip);
    for (link, frame) in [(LinkType::LinuxSll, sll), (LinkType::LinuxSll2, sll2)] {
        let f = decode(link, &frame).unwrap();
        assert_eq!((f.window, f.payload_len), (Some(100), 2), "{link:?}");
    }
}

#[test]
fn loopback_family_in_either_byte_order() {
    let ip = ip_part(&ethernet_v4(b"", 1)).to_vec();
    for family in [2u32.to_le_bytes(), 2u32.to_be_bytes()] {
        let mut frame = family.to_vec();
        frame.extend_from_slice(&ip);
        assert!(decode(LinkType::Null, &frame).is_ok());
        assert!(decode(LinkType::Loop, &frame).is_ok());
    }
    let mut other = 7u32.to_le_bytes().to_vec();
    other.extend_from_slice(&ip);
    assert_eq!(decode(LinkType::Null, &other), Err(Skip::NotIp));
}

#[test]
fn pcap_link_type_numbers() {
    assert_eq!(LinkType::from_pcap(1), Some(LinkType::Ethernet));
    assert_eq!(LinkType::from_pcap(276), Some(LinkType::LinuxSll2));
    assert_eq!(LinkType::from_pcap(105), None);
}

// ---- lengths come from the IP header ----

#[test]
fn snap_length_cuts_data_but_not_the_segment_length() {
    let frame = ethernet_v4(&[0u8; 1000], 512);
    // tcpdump -s 68: Ethernet, IPv4 and TCP's first 20 bytes, and 14 bytes more.
    let f = decode(LinkType::Ethernet, &frame[..68]).unwrap();
    assert_eq!(f.payload_len, 1000);
    // The window is in TCP's first 16 bytes.
    let f = decode(LinkType::Ethernet, &frame[..14 + 20 + 16]).unwrap();
    assert_eq!((f.window, f.payload_len), (Some(512), 1000));
    // Without it (tcpdump -s 68 on IPv6 leaves 14 bytes of TCP) the window is unknown, while
    // the numbers, the flags and the length are still known.
    let f = decode(LinkType::Ethernet, &frame[..14 + 20 + 14]).unwrap();
    assert_eq!((f.seq, f.ack, f.flags), (1000, 5000, TcpFlags::ACK));
    assert_eq!((f.window, f.payload_len), (None, 1000));
    let f = decode(LinkType::Ethernet, &frame[..14 + 20 + 15]).unwrap();
    assert_eq!(f.window, None);
    assert_eq!(
        decode(LinkType::Ethernet, &frame[..14 + 20 + 13]),
        Err(Skip::Truncated)
    );
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut frame = ethernet_v4(&[], 0);
    frame.extend_from_slice(&[0u8; 6]); // padded to the 60-byte minimum
    assert_eq!(decode(LinkType::Ethernet, &frame).unwrap().payload_len, 0);
}

#[test]
fn tso_total_length_zero_runs_to_the_end_of_the_frame() {
    let mut frame = ethernet_v4(&[0u8; 100], 1);
    frame[14 + 2] = 0;
    frame[14 + 3] = 0;
    assert_eq!(decode(LinkType::Ethernet, &frame).unwrap().payload_len, 100);
}

// ---- what gives no segment ----

#[test]
fn udp_fragments_and_bad_headers_are_skipped() {
    let mut udp = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(A, B, 64)
        .udp(1, 2)
        .write(&mut udp, b"x")
        .unwrap();
    assert_eq!(decode(LinkType::Ethernet, &udp), Err(Skip::NotTcp));

    let mut fragment = ethernet_v4(b"data", 1);
    fragment[14 + 6] |= 0x20; // more fragments
    assert_eq!(decode(LinkType::Ethernet, &fragment), Err(Skip::Fragment));

    let mut short_offset = ethernet_v4(b"", 1);
    short_offset[14 + 20 + 12] = 0x40; // data offset 4 words
    assert_eq!(
        decode(LinkType::Ethernet, &short_offset),
        Err(Skip::Malformed)
    );

    let arp = [0xffu8; 12]
        .iter()
        .copied()
        .chain([0x08, 0x06])
        .chain([0u8; 28])
        .collect::<Vec<_>>();
    assert_eq!(decode(LinkType::Ethernet, &arp), Err(Skip::NotIp));
    assert_eq!(decode(LinkType::Raw, &[]), Err(Skip::Truncated));
    assert_eq!(decode(LinkType::Raw, &[0x50, 0, 0]), Err(Skip::NotIp));
}

#[test]
fn no_input_panics() {
    let frame = ethernet_v4(&[0u8; 40], 1);
    for link in LinkType::ALL {
        for cut in 0..frame.len() {
            let _ = decode(link, &frame[..cut]);
            let mut flipped = frame.clone();
            flipped[cut] ^= 0xff;
            let _ = decode(link, &flipped);
        }
    }
}

// ---- options and connection ids ----

#[test]
fn window_scale_from_a_syn() {
    let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(A, B, 64)
        .tcp(4000, 80, 1, 65535)
        .syn()
        .options(&[
            etherparse::TcpOptionElement::MaximumSegmentSize(1460),
            etherparse::TcpOptionElement::Noop,
            etherparse::TcpOptionElement::WindowScale(7),
        ])
        .unwrap();
    let mut frame = Vec::new();
    builder.write(&mut frame, &[]).unwrap();
    let f = decode(LinkType::Ethernet, &frame).unwrap();
    assert_eq!(f.window_scale, Some(7));
    assert_eq!(f.flags, TcpFlags::SYN);
}

#[test]
fn both_directions_share_a_connection_id() {
    let there = decode(LinkType::Ethernet, &ethernet_v4(b"", 1)).unwrap();
    let mut back = there;
    std::mem::swap(&mut back.src, &mut back.dst);
    assert_eq!(there.conn(), back.conn());
    let mut other = there;
    other.src.port += 1;
    assert_ne!(there.conn(), other.conn());
    let seg = there.segment(3, Timestamp(9));
    assert_eq!(
        (seg.packet, seg.time, seg.conn),
        (3, Timestamp(9), there.conn())
    );
}

// ---- the in-place IP path agrees with etherparse's ----

fn via_etherparse(ip: &[u8]) -> Result<(usize, usize, [u8; 16], [u8; 16]), Skip> {
    let (sliced, _) = etherparse::LaxIpSlice::from_slice(ip).map_err(|_| Skip::Truncated)?;
    let r = ip_tcp_sliced(&sliced)?;
    Ok((r.tcp.len(), r.declared_len, r.src, r.dst))
}

fn in_place(ip: &[u8]) -> Result<(usize, usize, [u8; 16], [u8; 16]), Skip> {
    let r = ip_tcp(ip)?;
    Ok((r.tcp.len(), r.declared_len, r.src, r.dst))
}

#[test]
fn in_place_ip_reading_matches_etherparse() {
    let mut checked = 0;
    for v6 in [false, true] {
        for payload in [0usize, 1, 100, 1400] {
            let builder = if v6 {
                PacketBuilder::ipv6([1; 16], [2; 16], 64)
            } else {
                PacketBuilder::ipv4(A, B, 64)
            };
            let mut ip = Vec::new();
            builder
                .tcp(1, 2, 3, 4)
                .write(&mut ip, &vec![7u8; payload])
                .unwrap();
            // Cut by a snap length, padded by a link layer, and a TSO-style zero length.
            let mut variants: Vec<Vec<u8>> = (20..=ip.len()).map(|n| ip[..n].to_vec()).collect();
            let mut padded = ip.clone();
            padded.extend_from_slice(&[0; 6]);
            variants.push(padded);
            let mut tso = ip.clone();
            let len_at = if v6 { 4 } else { 2 };
            tso[len_at] = 0;
            tso[len_at + 1] = 0;
            variants.push(tso);
            for v in &variants {
                match (in_place(v), via_etherparse(v)) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "v6={v6} len {}", v.len()),
                    // etherparse refuses a cut IPv6 or IPv4 header; both must then give nothing.
                    (Err(_), Err(_)) => {}
                    (a, b) => panic!("v6={v6} len {}: in place {a:?}, etherparse {b:?}", v.len()),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 3000, "{checked}");
}

#[test]
fn ipv4_with_an_authentication_header_goes_through_etherparse() {
    let mut ip = Vec::new();
    PacketBuilder::ipv4(A, B, 64)
        .tcp(4000, 80, 5, 6)
        .write(&mut ip, b"abc")
        .unwrap();
    // Insert a 12-byte AH (next header TCP, payload length 1: (1+2)*4 bytes) after the header.
    let mut with_ah = ip[..20].to_vec();
    with_ah[9] = 51;
    let total = u16::from_be_bytes([with_ah[2], with_ah[3]]) + 12;
    with_ah[2..4].copy_from_slice(&total.to_be_bytes());
    with_ah.extend_from_slice(&[6, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    with_ah.extend_from_slice(&ip[20..]);
    let f = decode(LinkType::Raw, &with_ah).unwrap();
    assert_eq!((f.seq, f.payload_len), (5, 3));
}
