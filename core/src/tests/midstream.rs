//! Captures that begin mid-stream, before anything tells a side's SND.UNA: a probe there is
//! recognised only by the peer's reply, reported as [`Event::Recognised`], and its series goes on
//! from it.

use super::*;

fn recognised(events: &[Event]) -> Vec<(u64, Verdict)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Recognised {
                packet, verdict, ..
            } => Some((*packet, *verdict)),
            _ => None,
        })
        .collect()
}

fn settled(events: &[Event]) -> Vec<(u64, Class)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Settled { packet, class, .. } => Some((*packet, *class)),
            _ => None,
        })
        .collect()
}

// ---- keep-alives on an idle connection ----

#[test]
fn first_keepalive_is_recognised_by_its_reply() {
    let mut cv = Conv::new();
    // The capture's first segment: nothing tells the client's SND.UNA yet.
    assert_eq!(cv.at(0).c(69_999, 90_000, 1000, 0), None);
    let reply = cv.at(1).s(90_000, 70_000, 1000, 0).expect("the reply");
    assert_eq!(reply.class, Class::KeepAliveAck);
    assert_eq!(reply.answers, Some(1));
    assert!(
        !reply.tentative,
        "an open window leaves only the keep-alive timer"
    );
    let events = cv.events();
    let found = recognised(&events);
    assert_eq!(found.len(), 1, "{events:?}");
    let (packet, v) = found[0];
    assert_eq!(packet, 1);
    assert_eq!(v.class, Class::KeepAlive);
    assert_eq!(v.reason, Reason::RecognisedByReply);
    assert!(!v.tentative);
    let ep = newest_episode(&events).expect("the series' snapshot");
    assert_eq!(ep.first_probe, 1);
    assert_ne!(ep.notes & notes::BEGAN_BEFORE_CAPTURE, 0);

    // The next keep-alive continues the series, judged in its own time.
    let next = cv
        .at(75_000)
        .c(69_999, 90_000, 1000, 0)
        .expect("keep-alive 2");
    assert_eq!(next.class, Class::KeepAlive);
    assert_eq!(next.episode, v.episode);
    assert_eq!(next.probe_number, 2);
}

#[test]
fn an_ordinary_ack_is_not_recognised() {
    let mut cv = Conv::new();
    // A pure ACK at the client's SND.NXT: the server acknowledges exactly it, not one past.
    assert_eq!(cv.at(0).c(70_000, 90_000, 1000, 0), None);
    assert_eq!(cv.at(1).s(90_000, 70_000, 1000, 0), None);
    assert!(recognised(&cv.events()).is_empty());
    // Only the peer's next segment can tell: after any other one, nothing is recognised.
    let mut cv = Conv::new();
    cv.at(0).c(69_999, 90_000, 1000, 0);
    cv.at(1).s(90_000, 69_999, 1000, 10);
    assert_eq!(cv.at(2).s(90_010, 70_000, 1000, 0), None);
    assert!(recognised(&cv.events()).is_empty());
}

// ---- probes into a zero window whose closing was not captured ----

#[test]
fn zero_window_probe_recognised_then_settled_by_the_backoff() {
    let mut cv = Conv::new();
    assert_eq!(cv.at(0).c(2000, 5001, 502, 0), None);
    let reply = cv.at(1).s(5001, 2001, 0, 0).expect("the reply");
    assert_eq!(reply.class, Class::ZeroWindowProbeAck);
    assert!(reply.tentative, "a keep-alive can meet a zero window too");
    let found = recognised(&cv.events());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1.class, Class::ZeroWindowProbe);
    assert!(found[0].1.tentative);
    assert_eq!(
        found[0].1.window_closed_in,
        Some(2),
        "first seen closed in the reply"
    );

    // The second probe has no interval before the first to compare with.
    let p2 = cv.at(400).c(2000, 5001, 502, 0).expect("probe 2");
    assert_eq!((p2.class, p2.probe_number), (Class::ZeroWindowProbe, 2));
    assert!(p2.tentative);
    assert_eq!(p2.interval_ratio_milli, None);
    cv.at(401).s(5001, 2001, 0, 0);
    // The third one doubles the interval: the persist timer, and everything before settles.
    let p3 = cv.at(1200).c(2000, 5001, 502, 0).expect("probe 3");
    assert_eq!(p3.reason, Reason::IntervalDoubled);
    assert!(!p3.tentative);
    let settled = settled(&cv.events());
    assert_eq!(
        settled,
        vec![
            (1, Class::ZeroWindowProbe),
            (2, Class::ZeroWindowProbeAck),
            (3, Class::ZeroWindowProbe),
            (4, Class::ZeroWindowProbeAck)
        ]
    );
}

#[test]
fn keepalive_into_a_zero_window_recognised_then_settled_by_its_constant_interval() {
    let mut cv = Conv::new();
    cv.at(0).c(2000, 5001, 502, 0);
    cv.at(1).s(5001, 2001, 0, 0);
    cv.at(1001).c(2000, 5001, 502, 0);
    cv.at(1002).s(5001, 2001, 0, 0);
    let k3 = cv.at(2002).c(2000, 5001, 502, 0).expect("keep-alive 3");
    assert_eq!(
        (k3.class, k3.reason),
        (Class::KeepAlive, Reason::IntervalConstant)
    );
    let settled = settled(&cv.events());
    assert_eq!(settled.len(), 4, "{settled:?}");
    assert!(settled
        .iter()
        .all(|(_, c)| matches!(c, Class::KeepAlive | Class::KeepAliveAck)));
}
