//! Persist probes: Linux zero-length ones and RFC/BSD/Windows one-byte ones.

use super::*;

// ---- Linux persist probes ----

/// Client fills the server's window; the server stops reading. Probes at 200, 400, 800 ms.
#[test]
fn linux_persist_probes_and_their_acks() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    assert_eq!(cv.at(1).c(1001, 5001, 502, 1000), None);
    assert_eq!(cv.at(2).s(5001, 2001, 0, 0), None); // window closes in packet 5
    let closed_in = cv.packet;

    let p1 = cv.at(202).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(p1.class, Class::ZeroWindowProbe);
    assert_eq!(p1.style, ProbeStyle::ZeroLengthBelowUna);
    assert_eq!(p1.reason, Reason::TooSoonForKeepAlive);
    assert_eq!(p1.window_closed_in, Some(closed_in));
    assert_eq!(p1.since_window_closed_ns, Some(200 * MS));
    assert_eq!(p1.peer_window_zero, Some(true));
    let p1_packet = cv.packet;

    let a1 = cv.at(202).s(5001, 2001, 0, 0).unwrap();
    assert_eq!(a1.class, Class::ZeroWindowProbeAck);
    assert_eq!(a1.answers, Some(p1_packet));
    assert_eq!(a1.window_closed_in, Some(closed_in));

    let p2 = cv.at(602).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(p2.class, Class::ZeroWindowProbe);
    assert_eq!(p2.reason, Reason::IntervalDoubled);
    assert_eq!(p2.since_previous_probe_ns, Some(400 * MS));
    assert_eq!(
        class(cv.at(602).s(5001, 2001, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );

    assert_eq!(
        class(cv.at(1402).c(2000, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
    // This reply reopens the window: still the probe's ACK.
    let a3 = cv.at(1402).s(5001, 2001, 300, 0).unwrap();
    assert_eq!(a3.class, Class::ZeroWindowProbeAck);
    assert_eq!(a3.peer_window_zero, Some(false));
    // A second, unprompted window update is nothing.
    assert_eq!(cv.at(1403).s(5001, 2001, 500, 0), None);
    assert_eq!(cv.at(1404).c(2001, 5001, 502, 1000), None);
}

/// The probe goes out while part of the sent data is still unacknowledged at the capture point;
/// Wireshark's own check (seq == nextseq-1) misses it entirely.
#[test]
fn linux_probe_with_data_unacknowledged() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(1).c(2001, 5001, 502, 1000);
    // The server acks only the first segment and closes its window.
    cv.at(2).s(5001, 2001, 0, 0);
    let p = cv.at(210).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(p.class, Class::ZeroWindowProbe);
    assert_eq!(
        class(cv.at(210).s(5001, 2001, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );
}

/// With a large RTT the first probe comes after a second or more: still the persist timer.
#[test]
fn slow_path_first_probe_after_rto() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 800);
    cv.at(900).c(1001, 5001, 502, 1000);
    cv.at(1300).s(5001, 2001, 0, 0);
    let p1 = cv.at(2300).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(
        (p1.class, p1.reason),
        (Class::ZeroWindowProbe, Reason::PeerWindowZero)
    );
    cv.at(2700).s(5001, 2001, 0, 0);
    assert_eq!(
        class(cv.at(4300).c(2000, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
}

/// Once the backoff reaches TCP_RTO_MAX the interval stays constant: still a persist timer.
#[test]
fn persist_at_backoff_cap_stays_a_probe() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    let mut t = 2;
    let mut interval = 200;
    for _ in 0..12 {
        t += interval;
        let v = cv.at(t).c(1010, 5001, 502, 0).unwrap();
        assert_eq!(v.class, Class::ZeroWindowProbe, "at {t} ms");
        cv.at(t).s(5001, 1011, 0, 0);
        interval = (interval * 2).min(120_000);
    }
}

/// Linux answers at most one out-of-window segment per 500 ms: an unanswered probe stays
/// unanswered and the next reply belongs to the next probe.
#[test]
fn unanswered_probe_then_answered_one() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 0, 0);
    cv.at(202).c(1010, 5001, 502, 0);
    let second = cv.at(602).c(1010, 5001, 502, 0).unwrap();
    assert_eq!(second.class, Class::ZeroWindowProbe);
    let reply = cv.at(602).s(5001, 1011, 0, 0).unwrap();
    assert_eq!(reply.answers, Some(cv.packet - 1));
}

// ---- RFC / BSD / Windows persist probes ----

#[test]
fn one_new_byte_probe_refused_then_accepted() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let p = cv.at(5002).c(2001, 5001, 502, 1).unwrap();
    assert_eq!(
        (p.class, p.style),
        (Class::ZeroWindowProbe, ProbeStyle::OneNewByte)
    );
    // Refused: the ACK stays at the probe byte.
    assert_eq!(
        class(cv.at(5003).s(5001, 2001, 0, 0)),
        Some(Class::ZeroWindowProbeAck)
    );
    // The same byte again, after backoff.
    assert_eq!(
        class(cv.at(15003).c(2001, 5001, 502, 1)),
        Some(Class::ZeroWindowProbe)
    );
    // Accepted: ACK + 1, window still zero.
    let a = cv.at(15004).s(5001, 2002, 0, 0).unwrap();
    assert_eq!(a.class, Class::ZeroWindowProbeAck);
    // The next byte into the still-closed window is a probe too.
    assert_eq!(
        class(cv.at(25004).c(2002, 5001, 502, 1)),
        Some(Class::ZeroWindowProbe)
    );
}

/// A BSD/Windows 1-byte probe refused by an ACK that keeps the window at zero, then a window
/// update with the same ACK number: the first ACK is the reply, the update is not.
#[test]
fn one_byte_probe_reply_then_window_update_with_same_ack() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let p = cv.at(5002).c(2001, 5001, 502, 1).unwrap();
    let probe = cv.packet;
    assert_eq!(p.class, Class::ZeroWindowProbe);
    let a = cv.at(5003).s(5001, 2001, 0, 0).unwrap();
    assert_eq!(
        (a.class, a.answers),
        (Class::ZeroWindowProbeAck, Some(probe))
    );
    assert_eq!(cv.at(5500).s(5001, 2001, 4000, 0), None);
    // The same, the reply coming within a few ms of the window closing.
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let p = cv.at(3).c(2001, 5001, 502, 1).unwrap();
    let probe = cv.packet;
    assert_eq!(p.class, Class::ZeroWindowProbe);
    let a = cv.at(4).s(5001, 2001, 0, 0).unwrap();
    assert_eq!(
        (a.class, a.answers),
        (Class::ZeroWindowProbeAck, Some(probe))
    );
    assert_eq!(cv.at(5).s(5001, 2001, 4000, 0), None);
}

/// Data the persist timer sends into a partly open window (tcp_write_wakeup) is no window
/// probe: the kernel does not count it.
#[test]
fn persist_timer_data_into_partly_open_window_is_not_a_probe() {
    let mut cv = Conv::new();
    cv.stall_with_first_probe_answered();
    // The window opens a little; the next expiry sends what fits.
    assert_eq!(cv.at(300).s(5001, 2001, 1, 0), None);
    assert_eq!(cv.at(602).c(2001, 5001, 502, 1), None);
    assert_eq!(cv.at(602).s(5001, 2002, 0, 0), None);
    assert_eq!(cv.at(700).s(5001, 2002, 10, 0), None);
    assert_eq!(cv.at(1402).c(2002, 5001, 502, 10), None);
    assert_eq!(cv.at(1402).s(5001, 2012, 0, 0), None);
}

/// Urgent data queued behind the zero window: each expiry sends a zero-length URG probe at
/// SND.UNA, then the usual one at SND.UNA-1; the kernel counts both. Only the second is answered.
#[test]
fn urgent_data_doubles_each_persist_expiry() {
    let mut cv = Conv::new();
    let urg_ack = TcpFlags::URG | ACK;
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    for t in [202, 602, 1402] {
        let u = cv.at(t).send(true, urg_ack, 2001, 5001, 502, 0).unwrap();
        assert_eq!(
            (u.class, u.style, u.reason),
            (
                Class::ZeroWindowProbe,
                ProbeStyle::UrgentAtUna,
                Reason::UrgentBehindZeroWindow
            )
        );
        assert!(!u.tentative);
        let p = cv.at(t).send(true, urg_ack, 2000, 5001, 502, 0).unwrap();
        assert_eq!(p.class, Class::ZeroWindowProbe);
        assert!(cv.events().iter().any(|e| matches!(
            e,
            Event::Unanswered {
                likely: Unanswered::NoReply,
                ..
            }
        )));
        let a = cv.at(t).s(5001, 2001, 0, 0).unwrap();
        assert_eq!(
            (a.class, a.answers),
            (Class::ZeroWindowProbeAck, Some(cv.packet - 1))
        );
    }
    // Urgent data flowing into an open window is data.
    cv.at(1500).s(5001, 2001, 2048, 0);
    assert_eq!(cv.at(1500).send(true, urg_ack, 2001, 5001, 502, 1000), None);
    assert_eq!(cv.at(1500).s(5001, 3001, 2048, 0), None);
}
