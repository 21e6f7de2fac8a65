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

// ---- the connection limit ----

#[test]
fn beyond_the_limit_the_least_recently_active_are_evicted_and_start_over_mid_stream() {
    let mut cls = Classifier::new(Config {
        max_connections: 8,
        ..Config::default()
    });
    let seg = |conn: u64, packet: u64, ms: u64, seq: u32, ack: u32, win: u16, len: u32| Segment {
        packet,
        time: Timestamp(ms * MS),
        conn,
        src: Endpoint::v4([10, 0, 0, 1], 40000 + conn as u16),
        dst: Endpoint::v4([10, 0, 0, 2], 80),
        seq: SeqNumber(seq),
        ack: SeqNumber(ack),
        flags: TcpFlags(ACK),
        window: Some(win),
        window_scale: None,
        payload_len: len,
    };
    let reply = |conn: u64, packet: u64, ms: u64, seq: u32, ack: u32, win: u16| Segment {
        src: Endpoint::v4([10, 0, 0, 2], 80),
        dst: Endpoint::v4([10, 0, 0, 1], 40000 + conn as u16),
        ..seg(conn, packet, ms, seq, ack, win, 0)
    };
    // Connection 1 stalls: data, a zero window, a probe.
    cls.classify(&seg(1, 1, 0, 1000, 5000, 500, 100));
    cls.classify(&reply(1, 2, 1, 5000, 1100, 0));
    assert!(cls.classify(&seg(1, 3, 201, 1099, 5000, 500, 0)).is_some());
    // Then 20 other connections, each more recently active.
    let mut evicted_events = 0;
    for c in 2..22u64 {
        cls.classify(&seg(c, 100 + c, 1000 + c, 7, 7, 500, 10));
        while let Some(e) = cls.poll_event() {
            if let Event::Evicted { total, .. } = e {
                evicted_events += 1;
                assert_eq!(total, cls.evicted_connections());
            } else if let Event::Episode(ep) = e {
                assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::Evicted));
            }
        }
        assert!(cls.tracked_connections() <= 8);
    }
    assert!(evicted_events > 0);
    assert_eq!(
        cls.evicted_connections(),
        21 - cls.tracked_connections() as u64
    );
    // Connection 1 was the least recently active: forgotten. Its next probe comes before anything
    // tells its SND.UNA again: no verdict, not a guess...
    assert_eq!(cls.classify(&seg(1, 200, 601, 1099, 5000, 500, 0)), None);
    // ...until the reply shows what it was.
    let r = cls
        .classify(&reply(1, 201, 602, 5000, 1100, 0))
        .expect("its reply");
    assert_eq!(r.class, Class::ZeroWindowProbeAck);
    assert!(r.tentative);
}
