//! Segments that look like probes and are not, captures that start mid-stream, and sequence
//! wraparound.

use super::*;

// ---- look-alikes that are neither ----

#[test]
fn ack_after_own_fin_is_not_a_keep_alive() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 509, 0);
    assert_eq!(cv.at(3).send(true, FIN | ACK, 1011, 5001, 502, 0), None);
    assert_eq!(cv.at(4).s(5001, 1012, 509, 20), None);
    // Some stacks ack the peer's data at their FIN's sequence number.
    assert_eq!(cv.at(5).c(1011, 5021, 502, 0), None);
    assert_eq!(cv.at(6).send(false, FIN | ACK, 5021, 1012, 509, 0), None);
    assert_eq!(cv.at(7).c(1011, 5022, 502, 0), None);
}

#[test]
fn rst_with_zero_window_is_nothing_and_ends_the_connection() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    assert_eq!(cv.cls.tracked_connections(), 1);
    assert_eq!(cv.at(3).send(true, RST | ACK, 1011, 5001, 0, 0), None);
    assert_eq!(cv.cls.tracked_connections(), 0);
}

#[test]
fn retransmissions_are_not_probes() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).c(2001, 5001, 502, 1);
    // The last 1-byte segment, not yet acknowledged, retransmitted: data, not a keep-alive.
    assert_eq!(cv.at(300).c(2001, 5001, 502, 1), None);
    cv.at(301).s(5001, 1501, 0, 0);
    // Old data retransmitted into the zero window.
    assert_eq!(cv.at(500).c(1501, 5001, 502, 500), None);
}

#[test]
fn capture_duplicates_are_not_new_probes() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    assert_eq!(
        class(cv.at(202).c(1010, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
    // The same frame seen again on a second VLAN a few microseconds later.
    assert_eq!(cv.at(202).c(1010, 5001, 502, 0), None);
    assert_eq!(
        class(cv.at(202).s(5001, 1011, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );
    assert_eq!(cv.at(202).s(5001, 1011, 0, 0), None);
}

// ---- captures that start mid-stream ----

#[test]
fn mid_stream_start_without_syn() {
    let mut cv = Conv::new();
    // The first segment seen from a side tells nothing about its sequence space.
    assert_eq!(cv.at(0).c(70000, 90000, 1000, 0), None);
    assert_eq!(cv.at(1).s(90000, 70000, 0, 0), None);
    // Unknown window scale does not matter: zero is zero.
    assert_eq!(
        class(cv.at(201).c(69999, 90000, 1000, 0)),
        Some(Class::ZeroWindowProbe)
    );
    assert_eq!(
        class(cv.at(201).s(90000, 70000, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );
}

#[test]
fn mid_stream_keep_alive_before_any_peer_ack() {
    let mut cv = Conv::new();
    assert_eq!(cv.at(0).c(70000, 90000, 1000, 5), None);
    // No ACK from the peer seen yet: fall back to the sender's own next sequence number.
    assert_eq!(
        class(cv.at(5000).c(70004, 90000, 1000, 0)),
        Some(Class::KeepAlive)
    );
}

// ---- sequence wraparound ----

#[test]
fn probes_across_sequence_wrap() {
    let mut cv = Conv::new();
    cv.handshake(u32::MAX - 500, 5000, 0);
    // 1000 bytes from u32::MAX-499 end at 500 after the wrap.
    cv.at(1).c(u32::MAX - 499, 5001, 502, 1000);
    cv.at(2).s(5001, 500, 0, 0);
    assert_eq!(
        class(cv.at(202).c(499, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
    assert_eq!(
        class(cv.at(202).s(5001, 500, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );

    // The probe exactly at the wrap: SND.UNA = 0, probe seq = u32::MAX.
    let mut cv = Conv::new();
    cv.handshake(u32::MAX - 100, 5000, 0);
    cv.at(1).c(u32::MAX - 99, 5001, 502, 100);
    cv.at(2).s(5001, 0, 0, 0);
    assert_eq!(
        class(cv.at(202).c(u32::MAX, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
}
