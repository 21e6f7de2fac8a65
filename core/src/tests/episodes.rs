//! Episodes and tentative verdicts: numbering, intervals, replies, endings, settling.

use super::*;

// ---- episodes: numbering, intervals, replies and how they end ----

/// Probes at 200, 400 and 800 ms intervals, all answered; the window reopens in a reply.
#[test]
fn persist_episode_numbers_intervals_and_reopen() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let closed_in = cv.packet;
    let mut numbers = Vec::new();
    for (t, ratio) in [(202, None), (602, Some(2000)), (1402, Some(2000))] {
        let p = cv.at(t).c(2000, 5001, 502, 0).unwrap();
        assert_eq!(p.interval_ratio_milli, ratio);
        assert!(!p.tentative, "first gap under 0.9 s settles the class");
        numbers.push(p.probe_number);
        let a = cv.at(t).s(5001, 2001, 0, 0).unwrap();
        assert_eq!(a.probe_number, p.probe_number);
        assert_eq!(a.episode, p.episode);
    }
    assert_eq!(numbers, [1, 2, 3]);
    let reopen = cv.at(2000).s(5001, 2001, 300, 0);
    assert_eq!(reopen, None);
    let ep = cv.episode().expect("reopening ends the episode");
    assert_eq!(ep.kind, EpisodeKind::ZeroWindow);
    assert_eq!(ep.window_closed_in, Some(closed_in));
    assert_eq!(ep.window_reopened_in, Some(cv.packet));
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::WindowReopened));
    assert_eq!((ep.zero_window_probes, ep.answered), (3, 3));
    assert_eq!(ep.max_interval_ns, 800 * MS);
    assert_eq!(ep.duration_ns(Timestamp(0)), 1998 * MS);
    assert_eq!(
        ep.notes,
        notes::PERSIST_BACKOFF | notes::ALL_ANSWERED,
        "{:#x}",
        ep.notes
    );
}

/// A second stall in the same connection is a new episode; its probes count from 1 again.
#[test]
fn second_stall_is_a_new_episode() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    let first = cv.at(202).c(2000, 5001, 502, 0).unwrap();
    cv.at(300).s(5001, 2001, 1000, 0);
    cv.at(301).c(2001, 5001, 502, 1000);
    cv.at(302).s(5001, 3001, 0, 0);
    let second = cv.at(502).c(3000, 5001, 502, 0).unwrap();
    assert_eq!((first.probe_number, second.probe_number), (1, 1));
    assert_ne!(first.episode, second.episode);
    assert_eq!(second.window_closed_in, Some(cv.packet - 1));
}

/// Linux answers at most one out-of-window segment per 500 ms: a probe 400 ms after the last
/// reply goes unanswered on purpose, a probe with no reply 2 s later does not.
#[test]
fn unanswered_probes_rate_limited_or_not() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    cv.at(202).c(2000, 5001, 502, 0);
    cv.at(202).s(5001, 2001, 0, 0);
    cv.at(602).c(2000, 5001, 502, 0);
    let rate_limited = cv.packet;
    cv.at(1402).c(2000, 5001, 502, 0);
    let lost = cv.packet;
    let ev = cv.events();
    assert!(ev.contains(&Event::Unanswered {
        packet: rate_limited,
        likely: Unanswered::RateLimited
    }));
    cv.at(3002).c(2000, 5001, 502, 0);
    let ev = cv.events();
    assert!(ev.contains(&Event::Unanswered {
        packet: lost,
        likely: Unanswered::NoReply
    }));
    let ep = newest_episode(&ev).unwrap();
    assert_eq!(
        (ep.rate_limited, ep.no_reply, ep.unanswered_in_a_row),
        (1, 1, 2)
    );
    assert_ne!(ep.notes & notes::RATE_LIMITED_REPLIES, 0);
}

/// Probes stop, no RST; much later the window reopens: the prober had given up silently.
#[test]
fn probes_that_stop_before_the_end_are_noted() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    for t in [202, 602] {
        cv.at(t).c(2000, 5001, 502, 0);
        cv.at(t).s(5001, 2001, 0, 0);
    }
    let ep = cv.episode().unwrap();
    assert_eq!(ep.notes_at_capture_end(Timestamp(1000 * MS)), ep.notes);
    assert_ne!(
        ep.notes_at_capture_end(Timestamp(10_000 * MS)) & notes::PROBES_STOPPED,
        0
    );
    cv.at(10_000).s(5001, 2001, 1000, 0);
    let ep = cv.episode().unwrap();
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::WindowReopened));
    assert_ne!(ep.notes & notes::PROBES_STOPPED, 0);
    // The aborted prober answers the reopened window with a RST: the ended episode learns why.
    assert_eq!(cv.at(10_000).send(true, RST, 2000, 0, 0, 0), None);
    let ep = cv.episode().unwrap();
    assert_eq!(ep.end.map(|e| e.cause), Some(EndCause::WindowReopened));
    assert_ne!(ep.notes & notes::RST_AFTER_REOPEN, 0);
}

// ---- tentative verdicts and how the series settles them ----

/// Mid-stream, no RTT: the first keep-alive into a zero window looks like a probe and is marked
/// tentative; the constant interval of the second settles it, and its ACK, as keep-alives.
#[test]
fn tentative_first_verdict_settled_by_the_series() {
    let mut cv = Conv::new();
    cv.at(0).c(1, 1, 502, 100);
    cv.at(1).s(1, 101, 0, 0);
    let first = cv.at(1001).c(100, 1, 502, 0).unwrap();
    let first_packet = cv.packet;
    assert_eq!(
        (first.class, first.tentative),
        (Class::ZeroWindowProbe, true)
    );
    let ack = cv.at(1001).s(1, 101, 0, 0).unwrap();
    let ack_packet = cv.packet;
    assert_eq!(
        (ack.class, ack.tentative),
        (Class::ZeroWindowProbeAck, true)
    );
    let second = cv.at(2002).c(100, 1, 502, 0).unwrap();
    assert_eq!((second.class, second.tentative), (Class::KeepAlive, false));
    let settled: Vec<_> = cv
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Settled { .. }))
        .collect();
    assert_eq!(
        settled,
        [
            Event::Settled {
                packet: first_packet,
                class: Class::KeepAlive,
                reason: Reason::IntervalConstant
            },
            Event::Settled {
                packet: ack_packet,
                class: Class::KeepAliveAck,
                reason: Reason::IntervalConstant
            },
        ]
    );
}

/// Events belong to the last segment only: nothing piles up when the caller ignores them.
#[test]
fn events_do_not_pile_up() {
    let mut cv = Conv::new();
    cv.handshake(1000, 5000, 0);
    cv.at(1).c(1001, 5001, 502, 1000);
    cv.at(2).s(5001, 2001, 0, 0);
    cv.at(202).c(2000, 5001, 502, 0);
    cv.at(203).s(5001, 2001, 0, 0);
    assert_eq!(cv.events().len(), 1);
}
