//! Conversions between the C ABI's plain data and the core's types.
//!
//! The core's enums go to C as their own discriminants (`as u8`); tests/c_abi.rs checks that the
//! header's values equal them.

use tcpprobe_core::{
    Config, EndCause, Endpoint, Episode, EpisodeEnd, EpisodeKind, Event, Segment, SeqNumber,
    TcpFlags, Timestamp, Verdict,
};

use crate::types::{
    TcpprobeConfig, TcpprobeEpisode, TcpprobeEvent, TcpprobeEventKind, TcpprobeSegment,
    TcpprobeVerdict,
};

impl From<&TcpprobeSegment> for Segment {
    fn from(s: &TcpprobeSegment) -> Segment {
        Segment {
            packet: s.packet,
            time: Timestamp(s.time_ns),
            conn: s.conn,
            src: Endpoint::v6(s.src_addr, s.src_port),
            dst: Endpoint::v6(s.dst_addr, s.dst_port),
            seq: SeqNumber(s.seq),
            ack: SeqNumber(s.ack),
            flags: TcpFlags(s.flags),
            window: (s.window_unknown == 0).then_some(s.window),
            window_scale: (s.has_window_scale != 0).then_some(s.window_scale),
            payload_len: s.payload_len,
        }
    }
}

impl From<&Segment> for TcpprobeSegment {
    fn from(s: &Segment) -> TcpprobeSegment {
        TcpprobeSegment {
            packet: s.packet,
            time_ns: s.time.0,
            conn: s.conn,
            src_addr: s.src.addr,
            dst_addr: s.dst.addr,
            src_port: s.src.port,
            dst_port: s.dst.port,
            seq: s.seq.0,
            ack: s.ack.0,
            flags: s.flags.0,
            window: s.window.unwrap_or(0),
            window_unknown: s.window.is_none() as u8,
            has_window_scale: s.window_scale.is_some() as u8,
            window_scale: s.window_scale.unwrap_or(0),
            reserved: [0; 1],
            payload_len: s.payload_len,
        }
    }
}

impl From<Option<Verdict>> for TcpprobeVerdict {
    fn from(v: Option<Verdict>) -> TcpprobeVerdict {
        let Some(v) = v else {
            return TcpprobeVerdict::default();
        };
        let split = |o: Option<u64>| (o.is_some() as u8, o.unwrap_or(0));
        let (has_window_closed_in, window_closed_in) = split(v.window_closed_in);
        let (has_answers, answers) = split(v.answers);
        let (has_since_window_closed, since_window_closed_ns) = split(v.since_window_closed_ns);
        let (has_since_previous_probe, since_previous_probe_ns) = split(v.since_previous_probe_ns);
        TcpprobeVerdict {
            verdict_class: v.class as u8,
            style: v.style as u8,
            reason: v.reason as u8,
            peer_window_zero: (v.peer_window_zero == Some(true)) as u8,
            peer_window_unknown: v.peer_window_zero.is_none() as u8,
            has_window_closed_in,
            has_answers,
            has_since_window_closed,
            has_since_previous_probe,
            window_closed_in,
            answers,
            since_window_closed_ns,
            since_previous_probe_ns,
            has_episode: v.episode.is_some() as u8,
            tentative: v.tentative as u8,
            keepalive_mismatch: v.keepalive_mismatch,
            has_interval_ratio: v.interval_ratio_milli.is_some() as u8,
            probe_number: v.probe_number,
            episode: v.episode.unwrap_or(0),
            interval_ratio_milli: v.interval_ratio_milli.unwrap_or(0),
            reserved: [0; 3],
        }
    }
}

impl From<&Episode> for TcpprobeEpisode {
    fn from(e: &Episode) -> TcpprobeEpisode {
        let end = e.end;
        TcpprobeEpisode {
            id: e.id,
            kind: e.kind as u8,
            end_cause: end.map_or(0, |x| x.cause as u8),
            keepalive_mismatch: e.keepalive_mismatch,
            has_window_closed_in: e.window_closed_in.is_some() as u8,
            has_window_reopened_in: e.window_reopened_in.is_some() as u8,
            has_idle_before_first: e.idle_before_first_ns.is_some() as u8,
            reserved: [0; 2],
            window_closed_in: e.window_closed_in.unwrap_or(0),
            window_closed_at_ns: e.window_closed_at.map_or(0, |t| t.0),
            window_reopened_in: e.window_reopened_in.unwrap_or(0),
            first_probe: e.first_probe,
            first_probe_at_ns: e.first_probe_at.0,
            idle_before_first_ns: e.idle_before_first_ns.unwrap_or(0),
            last_probe: e.last_probe,
            last_probe_at_ns: e.last_probe_at.0,
            last_packet: e.last_packet,
            last_packet_at_ns: e.last_packet_at.0,
            zero_window_probes: e.zero_window_probes,
            keep_alives: e.keep_alives,
            answered: e.answered,
            unanswered_in_a_row: e.unanswered_in_a_row,
            rate_limited: e.rate_limited,
            no_reply: e.no_reply,
            max_interval_ns: e.max_interval_ns,
            overdue_at_ns: e.overdue_at.0,
            end_packet: end.map_or(0, |x| x.packet),
            end_time_ns: end.map_or(0, |x| x.time.0),
            notes: e.notes,
            reserved2: 0,
        }
    }
}

impl TcpprobeEpisode {
    /// Back to the core's type; None for values no classifier hands out.
    pub(crate) fn to_core(self) -> Option<Episode> {
        let kind = EpisodeKind::ALL
            .into_iter()
            .find(|k| *k as u8 == self.kind)?;
        let end = match self.end_cause {
            0 => None,
            c => Some(EpisodeEnd {
                packet: self.end_packet,
                time: Timestamp(self.end_time_ns),
                cause: EndCause::ALL.into_iter().find(|x| *x as u8 == c)?,
            }),
        };
        let opt = |has: u8, v: u64| (has != 0).then_some(v);
        Some(Episode {
            id: self.id,
            kind,
            window_closed_in: opt(self.has_window_closed_in, self.window_closed_in),
            window_closed_at: opt(self.has_window_closed_in, self.window_closed_at_ns)
                .map(Timestamp),
            window_reopened_in: opt(self.has_window_reopened_in, self.window_reopened_in),
            first_probe: self.first_probe,
            first_probe_at: Timestamp(self.first_probe_at_ns),
            idle_before_first_ns: opt(self.has_idle_before_first, self.idle_before_first_ns),
            last_probe: self.last_probe,
            last_probe_at: Timestamp(self.last_probe_at_ns),
            last_packet: self.last_packet,
            last_packet_at: Timestamp(self.last_packet_at_ns),
            zero_window_probes: self.zero_window_probes,
            keep_alives: self.keep_alives,
            answered: self.answered,
            unanswered_in_a_row: self.unanswered_in_a_row,
            rate_limited: self.rate_limited,
            no_reply: self.no_reply,
            max_interval_ns: self.max_interval_ns,
            overdue_at: Timestamp(self.overdue_at_ns),
            end,
            notes: self.notes,
            keepalive_mismatch: self.keepalive_mismatch,
        })
    }
}

impl From<Event> for TcpprobeEvent {
    fn from(e: Event) -> TcpprobeEvent {
        match e {
            Event::Episode(ep) => TcpprobeEvent {
                kind: TcpprobeEventKind::EPISODE as u8,
                episode: TcpprobeEpisode::from(&ep),
                ..Default::default()
            },
            Event::Settled {
                packet,
                class,
                reason,
            } => TcpprobeEvent {
                kind: TcpprobeEventKind::SETTLED as u8,
                verdict_class: class as u8,
                reason: reason as u8,
                packet,
                ..Default::default()
            },
            Event::Recognised {
                packet, verdict, ..
            } => TcpprobeEvent {
                kind: TcpprobeEventKind::RECOGNISED as u8,
                packet,
                verdict: TcpprobeVerdict::from(Some(verdict)),
                ..Default::default()
            },
            Event::Evicted { total, .. } => TcpprobeEvent {
                kind: TcpprobeEventKind::EVICTED as u8,
                evicted: total,
                ..Default::default()
            },
            Event::Unanswered { packet, likely } => TcpprobeEvent {
                kind: TcpprobeEventKind::UNANSWERED as u8,
                unanswered: likely as u8,
                packet,
                ..Default::default()
            },
        }
    }
}

impl From<Config> for TcpprobeConfig {
    fn from(c: Config) -> TcpprobeConfig {
        TcpprobeConfig {
            keepalive_time_ns: c.keepalive.time_ns,
            keepalive_interval_ns: c.keepalive.interval_ns,
            keepalive_probes: c.keepalive.probes,
            reserved: 0,
            invalid_ratelimit_ns: c.invalid_ratelimit_ns,
            rto_min_ns: c.rto_min_ns,
            rto_max_ns: c.rto_max_ns,
            max_connections: c.max_connections as u64,
        }
    }
}

/// The C settings over the core's defaults: what C cannot set stays Linux's.
impl From<&TcpprobeConfig> for Config {
    fn from(c: &TcpprobeConfig) -> Config {
        Config {
            keepalive: tcpprobe_core::KeepAliveSettings {
                time_ns: c.keepalive_time_ns,
                interval_ns: c.keepalive_interval_ns,
                probes: c.keepalive_probes,
            },
            invalid_ratelimit_ns: c.invalid_ratelimit_ns,
            rto_min_ns: c.rto_min_ns,
            rto_max_ns: c.rto_max_ns,
            max_connections: usize::try_from(c.max_connections).unwrap_or(usize::MAX),
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of the C config reaches the core and comes back, none swapped with another.
    #[test]
    fn config_round_trips() {
        let c = TcpprobeConfig {
            keepalive_time_ns: 11,
            keepalive_interval_ns: 12,
            keepalive_probes: 13,
            reserved: 0,
            invalid_ratelimit_ns: 14,
            rto_min_ns: 15,
            rto_max_ns: 16,
            max_connections: 17,
        };
        let core = Config::from(&c);
        assert_eq!(TcpprobeConfig::from(core), c);
        let linux = Config::default();
        assert_eq!(Config::from(&TcpprobeConfig::from(linux)), linux);
        assert_eq!(
            (core.rto_min_ns, core.rto_max_ns, core.invalid_ratelimit_ns),
            (15, 16, 14)
        );
    }
}
