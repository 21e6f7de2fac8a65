//! Connection bookkeeping: when a connection is forgotten or starts over.

use super::*;

// ---- connection bookkeeping ----

#[test]
fn closed_connections_are_forgotten() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).send(true, FIN | ACK, 1001, 5001, 502, 0);
    cv.at(2).send(false, FIN | ACK, 5001, 1002, 509, 0);
    assert_eq!(cv.cls.tracked_connections(), 1);
    cv.at(3).c(1002, 5002, 502, 0);
    assert_eq!(cv.cls.tracked_connections(), 0);
}

#[test]
fn reused_connection_id_with_other_endpoints_starts_over() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    cv.client = Endpoint::v6([0xfe; 16], 1234);
    // Same id, other endpoints: nothing known, so no verdict for what would have been a probe.
    assert_eq!(cv.at(202).c(1010, 5001, 502, 0), None);
}

#[test]
fn new_syn_on_the_same_port_pair_starts_over() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    // The old connection vanished without FIN or RST; the client reconnects from the same port.
    // Its ISN lies below the old connection's sequence numbers.
    cv.at(3000).handshake(500, 70_000, 0);
    // seq = SND.NXT-1 of the new connection on an idle, open window: a keep-alive, which the
    // old connection's state (SND.NXT 1011) would have hidden.
    assert_eq!(
        class(cv.at(9000).c(500, 70_001, 502, 0)),
        Some(Class::KeepAlive)
    );
    // A retransmitted SYN is not a new connection.
    let mut cv = Conv::new();
    cv.at(0).send(true, SYN, 1000, 0, 502, 0);
    cv.at(1000).send(true, SYN, 1000, 0, 502, 0);
    cv.at(1001).send(false, SYN | ACK, 5000, 1001, 509, 0);
    cv.at(1002).c(1001, 5001, 502, 10);
    cv.at(1003).s(5001, 1011, 0, 0);
    assert_eq!(
        class(cv.at(1300).c(1010, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
}

#[test]
fn reset_forgets_everything() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.cls.reset();
    assert_eq!(cv.cls.tracked_connections(), 0);
}

// ---- extreme values: saturate, never overflow (tests run with overflow checks) ----

#[test]
fn settings_and_times_near_the_limits_do_not_overflow() {
    let mut cfg = Config::default();
    cfg.keepalive.time_ns = u64::MAX - 1;
    cfg.keepalive.interval_ns = u64::MAX;
    cfg.rto_min_ns = u64::MAX;
    let mut cv = Conv::new();
    cv.cls = Classifier::new(cfg);
    // No handshake: the RTT comes from the two directions' data-to-ACK delays. Data both ways,
    // each acknowledged across the whole u64 range (timestamps far apart, and back in time
    // between): the two delays add up beyond u64::MAX.
    cv.now_ns = 0;
    cv.send(true, ACK, 1001, 5001, 502, 10);
    cv.now_ns = u64::MAX - 1;
    cv.send(false, ACK, 5001, 1011, 502, 0);
    cv.now_ns = 0;
    cv.send(false, ACK, 5001, 1011, 502, 10);
    cv.now_ns = u64::MAX - 20;
    cv.send(true, ACK, 1011, 5011, 502, 0);
    // A probe into a zero window: its timing rule reads that RTT.
    cv.now_ns = u64::MAX - 15;
    cv.send(false, ACK, 5011, 1011, 0, 0);
    cv.now_ns = u64::MAX - 10;
    let p = cv.send(true, ACK, 1010, 5011, 502, 0).expect("a probe");
    assert_eq!(p.class, Class::ZeroWindowProbe);
    cv.send(false, ACK, 5011, 1011, 0, 0);
    cv.now_ns = u64::MAX;
    cv.send(true, ACK, 1010, 5011, 502, 0);
    cv.now_ns = 0; // and back in time
    cv.send(true, ACK, 1010, 5011, 502, 0);
}
