//! The two timers that send probe-shaped segments, modelled from the outside: what a persist
//! timer and a keep-alive timer look like on the wire. Every number comes from [`Config`].
//!
//! - Persist (Linux `tcp_probe_timer`): armed when a zero window arrives, first fires after
//!   max(RTO, TCP_RTO_MIN), then doubles up to TCP_RTO_MAX; probes until the window reopens.
//! - Keep-alive (Linux `tcp_keepalive_timer`): fires after tcp_keepalive_time of idleness (never
//!   below 1 s), then every tcp_keepalive_intvl while unanswered; after tcp_keepalive_probes
//!   unanswered ones it resets the connection.

use crate::config::Config;
use crate::episode::mismatch;
use crate::segment::Timestamp;
use crate::verdict::{Class, Reason};

/// Which timer sent the first probe-shaped segment into a zero window, from `gap`: the time since
/// the peer's last segment (or since the window closed). `rtt_ns` is the connection's round trip,
/// when known.
///
/// Keep-alive idle time runs from the last segment received; the persist timer is armed when the
/// zero window arrives and fires after max(RTO, 200 ms). Without the RTT the persist timer's
/// delay is unknown, and a persist probe is far more likely than a keep-alive after an exact fill.
pub(crate) fn first_probe(cfg: &Config, gap: u64, rtt_ns: Option<u64>) -> (Class, Reason) {
    let persist_delay_bound = rtt_ns.map(|rtt| {
        cfg.persist_slack
            .saturating_mul(rtt.saturating_add(cfg.rto_min_ns))
    });
    if gap < cfg.min_keepalive_idle_ns {
        (Class::ZeroWindowProbe, Reason::TooSoonForKeepAlive)
    } else if persist_delay_bound.is_some_and(|bound| gap > bound) {
        (Class::KeepAlive, Reason::LongIdleInZeroWindow)
    } else {
        (Class::ZeroWindowProbe, Reason::PeerWindowZero)
    }
}

/// The series so far, as the interval rules need it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeriesTiming {
    /// Interval before the series' last probe, when the capture tells it.
    pub last_interval_ns: Option<u64>,
    /// Whether an interval between two probes ever doubled the one before it: a persist timer
    /// at its cap keeps a constant interval, which must then not be read as a keep-alive timer.
    /// A doubling of the first gap alone does not count: a keep-alive timer's first wait is its
    /// idle time, its next its interval, and an interval twice the idle time (idle 1 s, interval
    /// 2 s) doubles once and then stays constant, which no persist timer below its cap does.
    pub doubled_between_probes: bool,
    /// Class of the series' last probe.
    pub class: Class,
}

/// Which timer sent a later probe of a zero-window series, `interval_ns` after the previous one:
/// a doubling is the persist timer's backoff, a constant interval the keep-alive timer's (unless
/// the series already doubled, or the interval is in the persist cap's region); anything else
/// keeps the series' class.
pub(crate) fn next_probe(cfg: &Config, series: SeriesTiming, interval_ns: u64) -> (Class, Reason) {
    // Without the interval before the last probe there is nothing to compare with yet.
    let Some(prev) = series.last_interval_ns.map(|p| p.max(1)) else {
        return (series.class, Reason::SameSeriesAsPrevious);
    };
    if cfg.doubled_at_least.ratio_at_least(interval_ns, prev) {
        (Class::ZeroWindowProbe, Reason::IntervalDoubled)
    } else if !series.doubled_between_probes
        && cfg.constant_within.ratio_within(interval_ns, prev)
        && interval_ns >= cfg.min_keepalive_idle_ns
        && interval_ns < persist_cap_region(cfg)
    {
        (Class::KeepAlive, Reason::IntervalConstant)
    } else {
        (series.class, Reason::SameSeriesAsPrevious)
    }
}

/// Where a constant interval is no evidence of a keep-alive timer: near the prober's TCP_RTO_MAX,
/// where a persist timer's interval stops doubling.
fn persist_cap_region(cfg: &Config) -> u64 {
    cfg.persist_cap_region.of(cfg.rto_max_ns)
}

/// Whether a verdict with this reason, on the `probe_number`th probe of its series, rests on a
/// single gap, so that the series' later timing may overturn it. A doubling at the second probe
/// compares the first interval with the gap before the first probe, which for a keep-alive timer
/// is its idle time, not an interval: only the next interval tells the timers apart.
pub(crate) fn tentative(reason: Reason, probe_number: u32) -> bool {
    match reason {
        Reason::PeerWindowZero
        | Reason::LongIdleInZeroWindow
        | Reason::SameSeriesAsPrevious
        | Reason::WindowUnknown => true,
        Reason::IntervalDoubled => probe_number <= 2,
        _ => false,
    }
}

/// When a prober that just probed is overdue: the next probe is due after one interval
/// (keep-alive) or two (persist backoff, capped at TCP_RTO_MAX); allow half as long again plus a
/// grace period before calling the prober silent.
pub(crate) fn overdue_at(
    cfg: &Config,
    class: Class,
    now: Timestamp,
    interval_ns: u64,
) -> Timestamp {
    let next_due = match class {
        Class::KeepAlive => interval_ns,
        _ => interval_ns.saturating_mul(2).min(cfg.rto_max_ns),
    };
    Timestamp(
        now.0
            .saturating_add(cfg.overdue_after.scale(next_due))
            .saturating_add(cfg.overdue_grace_ns),
    )
}

/// Bits of [`mismatch`] where a keep-alive's timing contradicts the configured settings. The
/// first keep-alive, and one after a reply, waits the keep-alive time since the peer's last
/// segment (`idle_ns`); an unanswered one is followed by the next after the interval.
pub(crate) fn keepalive_mismatch(
    cfg: &Config,
    after_idle: bool,
    idle_ns: Option<u64>,
    interval_ns: u64,
    first: bool,
) -> u8 {
    let ka = cfg.keepalive;
    let (expected, bit) = if after_idle && !first {
        // After an answered keep-alive the timer was re-armed with the interval; at its expiry
        // it waits out whatever remains of the idle time since the reply.
        (ka.time_ns.max(ka.interval_ns), mismatch::IDLE)
    } else if after_idle {
        (ka.time_ns, mismatch::IDLE)
    } else {
        (ka.interval_ns, mismatch::INTERVAL)
    };
    let observed = if first { idle_ns } else { Some(interval_ns) };
    if observed.is_some_and(|o| !cfg.keepalive_tolerance.matches(expected, o)) {
        bit
    } else {
        0
    }
}

/// Whether a probe sent at `probe_time` may have gone unanswered because the probed side had
/// answered another one (at `last_reply`) within its rate-limit interval.
pub(crate) fn rate_limited(
    cfg: &Config,
    probe_time: Timestamp,
    last_reply: Option<Timestamp>,
) -> bool {
    last_reply
        .is_some_and(|r| probe_time >= r && probe_time.nanos_since(r) < cfg.invalid_ratelimit_ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{KeepAliveSettings, MS};

    fn series(last_interval_ms: u64, doubled: bool, class: Class) -> SeriesTiming {
        SeriesTiming {
            last_interval_ns: Some(last_interval_ms * MS),
            doubled_between_probes: doubled,
            class,
        }
    }

    // ---- persist timer: first probe ----

    #[test]
    fn first_probe_sooner_than_any_keepalive_is_persist() {
        let cfg = Config::default();
        let got = first_probe(&cfg, 899 * MS, Some(1000 * 1000 * MS));
        assert_eq!(got, (Class::ZeroWindowProbe, Reason::TooSoonForKeepAlive));
    }

    #[test]
    fn first_probe_long_after_the_persist_delay_is_keepalive() {
        let cfg = Config::default();
        // RTT 100 ms: the persist timer fires within 3 × (100 + 200) ms = 900 ms.
        let rtt = Some(100 * MS);
        assert_eq!(
            first_probe(&cfg, 901 * MS, rtt),
            (Class::KeepAlive, Reason::LongIdleInZeroWindow)
        );
        assert_eq!(
            first_probe(&cfg, 901 * MS, None),
            (Class::ZeroWindowProbe, Reason::PeerWindowZero),
            "without the RTT the persist timer's delay is unknown"
        );
    }

    // ---- persist timer: the series ----

    #[test]
    fn doubling_is_persist_backoff_from_three_halves_on() {
        let cfg = Config::default();
        let s = series(400, false, Class::KeepAlive);
        assert_eq!(next_probe(&cfg, s, 600 * MS).1, Reason::IntervalDoubled);
        assert_eq!(
            next_probe(&cfg, s, 599 * MS).1,
            Reason::SameSeriesAsPrevious
        );
    }

    #[test]
    fn constant_interval_is_keepalive_unless_the_series_doubled_or_is_capped() {
        let cfg = Config::default();
        let s = series(75_000, false, Class::ZeroWindowProbe);
        assert_eq!(
            next_probe(&cfg, s, 75_000 * MS),
            (Class::KeepAlive, Reason::IntervalConstant)
        );
        let doubled = series(75_000, true, Class::ZeroWindowProbe);
        assert_eq!(
            next_probe(&cfg, doubled, 75_000 * MS),
            (Class::ZeroWindowProbe, Reason::SameSeriesAsPrevious)
        );
        let capped = series(120_000, false, Class::ZeroWindowProbe);
        assert_eq!(
            next_probe(&cfg, capped, 120_000 * MS).1,
            Reason::SameSeriesAsPrevious
        );
        let short = series(800, false, Class::ZeroWindowProbe);
        assert_eq!(
            next_probe(&cfg, short, 800 * MS).1,
            Reason::SameSeriesAsPrevious
        );
    }

    #[test]
    fn a_lowered_rto_max_moves_the_cap_region() {
        let mut cfg = Config::default();
        let s = series(2000, false, Class::ZeroWindowProbe);
        assert_eq!(next_probe(&cfg, s, 2000 * MS).1, Reason::IntervalConstant);
        // The user says the prober's TCP_RTO_MAX is 2 s: a constant 2 s is its cap.
        cfg.rto_max_ns = 2000 * MS;
        assert_eq!(
            next_probe(&cfg, s, 2000 * MS).1,
            Reason::SameSeriesAsPrevious
        );
    }

    #[test]
    fn a_doubling_of_the_first_gap_alone_is_tentative() {
        assert!(tentative(Reason::IntervalDoubled, 2));
        assert!(!tentative(Reason::IntervalDoubled, 3));
        assert!(!tentative(Reason::IntervalConstant, 2));
        assert!(tentative(Reason::LongIdleInZeroWindow, 1));
    }

    #[test]
    fn overdue_follows_the_configured_rto_max() {
        let mut cfg = Config::default();
        let now = Timestamp(0);
        // Persist: twice the interval, capped at TCP_RTO_MAX, times 3/2, plus 1 s.
        assert_eq!(
            overdue_at(&cfg, Class::ZeroWindowProbe, now, 1000 * MS).0,
            4000 * MS
        );
        assert_eq!(
            overdue_at(&cfg, Class::ZeroWindowProbe, now, 100_000 * MS).0,
            181_000 * MS
        );
        cfg.rto_max_ns = 60_000 * MS;
        assert_eq!(
            overdue_at(&cfg, Class::ZeroWindowProbe, now, 100_000 * MS).0,
            91_000 * MS
        );
        // Keep-alive: one interval.
        assert_eq!(
            overdue_at(&cfg, Class::KeepAlive, now, 1000 * MS).0,
            2500 * MS
        );
    }

    // ---- keep-alive timer ----

    #[test]
    fn keepalive_timing_may_be_late_but_not_early() {
        let cfg = Config::default();
        let ka = cfg.keepalive.interval_ns; // 75 s: 71.2 s to 87.25 s match
        assert_eq!(keepalive_mismatch(&cfg, false, None, ka, false), 0);
        assert_eq!(keepalive_mismatch(&cfg, false, None, 71_200 * MS, false), 0);
        assert_eq!(
            keepalive_mismatch(&cfg, false, None, 71_199 * MS, false),
            mismatch::INTERVAL
        );
        assert_eq!(keepalive_mismatch(&cfg, false, None, 87_250 * MS, false), 0);
        assert_eq!(
            keepalive_mismatch(&cfg, false, None, 87_251 * MS, false),
            mismatch::INTERVAL
        );
        // The first keep-alive is judged by its idle time against tcp_keepalive_time.
        assert_eq!(
            keepalive_mismatch(&cfg, true, Some(10_000 * MS), ka, true),
            mismatch::IDLE
        );
        assert_eq!(keepalive_mismatch(&cfg, true, None, ka, true), 0);
    }

    #[test]
    fn after_an_answered_keepalive_the_longer_of_time_and_interval() {
        let cfg = Config {
            keepalive: KeepAliveSettings {
                time_ns: 1000 * MS,
                interval_ns: 2000 * MS,
                probes: 9,
            },
            ..Config::default()
        };
        // Idle 1 s, interval 2 s, answered: the next one 2 s later (a real Linux series).
        assert_eq!(keepalive_mismatch(&cfg, true, None, 2000 * MS, false), 0);
        assert_eq!(
            keepalive_mismatch(&cfg, true, None, 1000 * MS, false),
            mismatch::IDLE
        );
    }

    #[test]
    fn rate_limit_counts_from_the_last_reply() {
        let cfg = Config::default();
        let reply = Some(Timestamp(1000 * MS));
        assert!(rate_limited(&cfg, Timestamp(1499 * MS), reply));
        assert!(!rate_limited(&cfg, Timestamp(1500 * MS), reply));
        assert!(!rate_limited(&cfg, Timestamp(999 * MS), reply));
        assert!(!rate_limited(&cfg, Timestamp(1499 * MS), None));
    }
}
