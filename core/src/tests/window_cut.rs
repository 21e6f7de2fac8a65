//! Captures whose snap length cut the TCP header before the window field (`tcpdump -s 68` on
//! IPv6 over Ethernet): the window is unknown, so the timing alone tells the timers apart, and
//! the verdict says the window is unknown rather than guess it.

use super::*;

fn cut() -> Conv {
    let mut cv = Conv::new();
    cv.windows_cut = true;
    cv
}

#[test]
fn persist_probes_are_told_by_their_timing() {
    let mut cv = cut();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    // 200 ms after the peer's last segment: no keep-alive comes that soon.
    let p1 = cv.at(202).c(2000, 5001, 502, 0).expect("probe 1");
    assert_eq!(
        (p1.class, p1.reason),
        (Class::ZeroWindowProbe, Reason::TooSoonForKeepAlive)
    );
    assert_eq!(p1.peer_window_zero, None, "the window is unknown, not open");
    assert_eq!(p1.window_closed_in, None);
    assert!(!p1.tentative);
    let a1 = cv.at(202).s(5001, 2001, 0, 0).expect("its reply");
    assert_eq!(a1.class, Class::ZeroWindowProbeAck);
    assert_eq!(a1.peer_window_zero, None);
    let p2 = cv.at(602).c(2000, 5001, 502, 0).expect("probe 2");
    assert_eq!((p2.class, p2.probe_number), (Class::ZeroWindowProbe, 2));
    cv.at(602).s(5001, 2001, 0, 0);
    let p3 = cv.at(1402).c(2000, 5001, 502, 0).expect("probe 3");
    assert_eq!(p3.reason, Reason::IntervalDoubled);
    assert_eq!(p3.episode, p1.episode);
    // New data from the prober: the window had reopened; the episode ends.
    cv.at(1500).s(5001, 2001, 0, 0);
    assert_eq!(cv.at(1501).c(2001, 5001, 502, 100), None);
    let ep = cv.episode().expect("the episode ends");
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::DataResumed));
}

#[test]
fn keepalives_are_tentative_until_their_interval_stays_constant() {
    let mut cv = cut();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 5);
    cv.at(2).s(5001, 1006, 502, 0);
    let k1 = cv.at(1002).c(1005, 5001, 502, 0).expect("keep-alive 1");
    assert_eq!(
        (k1.class, k1.reason),
        (Class::KeepAlive, Reason::WindowUnknown)
    );
    assert!(k1.tentative);
    cv.at(1003).s(5001, 1006, 502, 0);
    cv.at(2003).c(1005, 5001, 502, 0);
    cv.at(2004).s(5001, 1006, 502, 0);
    let k3 = cv.at(3004).c(1005, 5001, 502, 0).expect("keep-alive 3");
    assert_eq!(
        (k3.class, k3.reason),
        (Class::KeepAlive, Reason::IntervalConstant)
    );
    assert!(!k3.tentative);
}

#[test]
fn data_in_flight_is_no_probe() {
    let mut cv = cut();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    // The server acknowledged only half: a zero-length ACK below SND.UNA then is no timer's.
    cv.at(2).s(5001, 1501, 0, 0);
    assert_eq!(cv.at(1500).c(1500, 5001, 502, 0), None);
}
