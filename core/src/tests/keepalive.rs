//! Keep-alives: single ones, exact window fills, and whole series against the settings.

use super::*;

// ---- keep-alives ----

#[test]
fn linux_keep_alive_on_idle_open_window() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 509, 20);
    cv.at(3).c(1011, 5021, 502, 0);
    let ka = cv.at(1003).c(1010, 5021, 502, 0).unwrap();
    assert_eq!(ka.class, Class::KeepAlive);
    assert_eq!(ka.reason, Reason::IdleOpenWindow);
    assert_eq!(ka.window_closed_in, None);
    let ack = cv.at(1003).s(5021, 1011, 509, 0).unwrap();
    assert_eq!(
        (ack.class, ack.answers),
        (Class::KeepAliveAck, Some(cv.packet - 1))
    );
    // The server's own keep-alive, answered by the client.
    assert_eq!(
        class(cv.at(1500).s(5020, 1011, 509, 0)),
        Some(Class::KeepAlive)
    );
    assert_eq!(
        class(cv.at(1500).c(1011, 5021, 502, 0)),
        Some(Class::KeepAliveAck)
    );
}

/// Windows: one garbage byte at SND.NXT-1, a byte the peer has already acknowledged.
#[test]
fn windows_keep_alive_with_one_old_byte() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 10);
    cv.at(2).s(5001, 1011, 509, 0);
    let ka = cv.at(5000).c(1010, 5001, 502, 1).unwrap();
    assert_eq!(
        (ka.class, ka.style),
        (Class::KeepAlive, ProbeStyle::OneOldByte)
    );
    assert_eq!(
        class(cv.at(5001).s(5001, 1011, 509, 0)),
        Some(Class::KeepAliveAck)
    );
}

/// The hard case: the client filled the window exactly and has nothing queued; its keep-alive
/// timer fires while the server's window is zero. Same bytes as a persist probe.
#[test]
fn keep_alive_into_zero_window_after_exact_fill() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let k1 = cv.at(1003).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(
        (k1.class, k1.reason),
        (Class::KeepAlive, Reason::LongIdleInZeroWindow)
    );
    assert_eq!(k1.peer_window_zero, Some(true));
    assert_eq!(
        class(cv.at(1003).s(5001, 2001, 0, 0)),
        Some(Class::KeepAliveAck)
    );
    let k2 = cv.at(2004).c(2000, 5001, 502, 0).unwrap();
    assert_eq!(
        (k2.class, k2.reason),
        (Class::KeepAlive, Reason::IntervalConstant)
    );
    assert_eq!(
        class(cv.at(2004).s(5001, 2001, 0, 0)),
        Some(Class::KeepAliveAck)
    );
    assert_eq!(
        class(cv.at(3005).c(2000, 5001, 502, 0)),
        Some(Class::KeepAlive)
    );
}

/// A persist series whose first probe was ambiguous is confirmed by its constant interval being
/// absent; and a keep-alive series misjudged as persist at first is corrected by its constant
/// interval.
#[test]
fn constant_interval_turns_series_into_keep_alives() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 600); // RTO estimate 800 ms: a 1 s first gap looks like persist
    cv.at(700).c(1001, 5001, 502, 100);
    cv.at(1000).s(5001, 1101, 0, 0);
    assert_eq!(
        class(cv.at(2000).c(1100, 5001, 502, 0)),
        Some(Class::ZeroWindowProbe)
    );
    let second = cv.at(3000).c(1100, 5001, 502, 0).unwrap();
    assert_eq!(
        (second.class, second.reason),
        (Class::KeepAlive, Reason::IntervalConstant)
    );
}

/// A receiver-side capture that starts mid-stream sees only its own, instant ACKs: the sender's
/// RTO is unknown, so a first probe seconds after the window closed is still a persist probe
/// (a real Linux capture: probes at 3.4 s, then 6.8 s, 13.5 s apart).
#[test]
fn unknown_rtt_first_probe_late_is_still_a_probe() {
    let mut cv = Conv::new();
    cv.at(0).s(1, 1, 108, 1344);
    cv.at(0).c(1, 1345, 0, 0);
    let p1 = cv.at(3410).s(1344, 1, 108, 0).unwrap();
    assert_eq!(
        (p1.class, p1.reason),
        (Class::ZeroWindowProbe, Reason::PeerWindowZero)
    );
    cv.at(3410).c(1, 1345, 0, 0);
    let p2 = cv.at(10194).s(1344, 1, 108, 0).unwrap();
    assert_eq!(
        (p2.class, p2.reason),
        (Class::ZeroWindowProbe, Reason::IntervalDoubled)
    );
}

// ---- keep-alive series ----

fn keepalive_abort(settings: KeepAliveSettings) -> (Vec<Verdict>, Episode) {
    let mut cv = Conv::new();
    cv.cls = Classifier::new(Config {
        keepalive: settings,
        ..Config::default()
    });
    cv.handshake(1000, 5000, 0);
    cv.at(10).c(1001, 5001, 502, 5);
    cv.at(11).s(5001, 1006, 502, 0);
    let mut kas = Vec::new();
    for t in [1011, 2011, 3011] {
        kas.push(cv.at(t).c(1005, 5001, 502, 0).unwrap());
    }
    assert_eq!(cv.at(4011).send(true, RST | ACK, 1006, 5001, 0, 0), None);
    let ev = cv.events();
    let unanswered = ev
        .iter()
        .filter(|e| matches!(e, Event::Unanswered { .. }))
        .count();
    assert_eq!(
        unanswered, 1,
        "the last keep-alive is found unanswered at the RST"
    );
    (kas, newest_episode(&ev).unwrap())
}

#[test]
fn keep_alive_abort_with_rst() {
    let (kas, ep) = keepalive_abort(KeepAliveSettings {
        time_ns: 1000 * MS,
        interval_ns: 1000 * MS,
        probes: 3,
    });
    assert_eq!(
        kas.iter().map(|v| v.probe_number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(kas
        .iter()
        .all(|v| v.class == Class::KeepAlive && v.keepalive_mismatch == 0));
    assert_eq!(kas[1].since_previous_probe_ns, Some(1000 * MS));
    assert_eq!(ep.kind, EpisodeKind::KeepAlive);
    assert_eq!(ep.idle_before_first_ns, Some(1000 * MS));
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::RstFromProber));
    assert_eq!(
        (ep.keep_alives, ep.answered, ep.unanswered_in_a_row),
        (3, 0, 3)
    );
    assert_ne!(ep.notes & notes::KEEPALIVE_ABORT, 0);
    assert_eq!(ep.keepalive_mismatch, 0);
}

/// The same series against Linux's defaults (7200 s, 75 s, 9): every part differs.
#[test]
fn keep_alive_series_that_differs_from_the_settings() {
    let (kas, ep) = keepalive_abort(KeepAliveSettings::default());
    assert_eq!(kas[0].keepalive_mismatch, mismatch::IDLE);
    assert_eq!(kas[1].keepalive_mismatch, mismatch::INTERVAL);
    assert_eq!(
        ep.keepalive_mismatch,
        mismatch::IDLE | mismatch::INTERVAL | mismatch::COUNT
    );
    assert_ne!(ep.notes & notes::KEEPALIVE_SETTINGS_DIFFER, 0);
}

/// Data after keep-alives ends the series; the next keep-alive starts a new one.
#[test]
fn data_ends_a_keep_alive_series() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(10).c(1001, 5001, 502, 5);
    cv.at(11).s(5001, 1006, 502, 0);
    let first = cv.at(1011).c(1005, 5001, 502, 0).unwrap();
    cv.at(1011).s(5001, 1006, 502, 0);
    cv.at(1500).s(5001, 1006, 502, 10);
    let ep = cv.episode().unwrap();
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::DataResumed));
    assert_eq!(ep.answered, 1);
    cv.at(1501).c(1006, 5011, 502, 0);
    let next = cv.at(2501).c(1005, 5011, 502, 0).unwrap();
    assert_eq!(next.probe_number, 1);
    assert_ne!(next.episode, first.episode);
}

/// A keep-alive just before the prober's own FIN: the peer's reply, which does not acknowledge
/// the FIN (its ACK is the FIN's sequence number), is the keep-alive's ACK.
#[test]
fn keep_alive_just_before_own_fin_is_answered() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(10).c(1001, 5001, 502, 5);
    cv.at(11).s(5001, 1006, 502, 0);
    let ka = cv.at(1011).c(1005, 5001, 502, 0).unwrap();
    let ka_packet = cv.packet;
    assert_eq!(ka.class, Class::KeepAlive);
    assert_eq!(cv.at(1011).send(true, FIN | ACK, 1006, 5001, 502, 0), None);
    let reply = cv.at(1011).s(5001, 1006, 502, 0).unwrap();
    assert_eq!(
        (reply.class, reply.answers),
        (Class::KeepAliveAck, Some(ka_packet))
    );
    // The ACK of the FIN is nothing.
    assert_eq!(cv.at(1012).s(5001, 1007, 502, 0), None);
    assert_eq!(cv.at(1013).send(false, FIN | ACK, 5001, 1007, 502, 0), None);
    assert_eq!(cv.at(1013).c(1007, 5002, 502, 0), None);
}

/// Keep-alives into a zero window with idle 1 s and interval 2 s: the intervals double once and
/// then stay constant, which no persist timer below its cap does.
#[test]
fn keep_alive_intervals_that_double_once_are_keep_alives() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let mut verdicts = Vec::new();
    for t in [1003, 3004, 5005, 7006] {
        verdicts.push(cv.at(t).c(2000, 5001, 502, 0).unwrap());
        cv.at(t).s(5001, 2001, 0, 0);
    }
    let last = verdicts.last().unwrap();
    assert_eq!(
        (last.class, last.reason, last.tentative),
        (Class::KeepAlive, Reason::IntervalConstant, false)
    );
    assert_eq!(verdicts[2].class, Class::KeepAlive);
    assert!(verdicts[..2].iter().all(|v| v.tentative));
}

/// A keep-alive before the prober's FIN that gets no reply is found unanswered at the peer's
/// next segment, and its ended series says so.
#[test]
fn keep_alive_before_own_fin_unanswered() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(10).c(1001, 5001, 502, 5);
    cv.at(11).s(5001, 1006, 502, 0);
    cv.at(1011).c(1005, 5001, 502, 0).unwrap();
    cv.at(1011).send(true, FIN | ACK, 1006, 5001, 502, 0);
    let ep = cv.episode().unwrap();
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::FinFromProber));
    assert_eq!(cv.at(1012).s(5001, 1007, 502, 0), None);
    let ev = cv.events();
    assert!(ev.iter().any(|e| matches!(e, Event::Unanswered { .. })));
    let ep = newest_episode(&ev).unwrap();
    assert_eq!((ep.keep_alives, ep.answered, ep.no_reply), (1, 0, 1));
}
