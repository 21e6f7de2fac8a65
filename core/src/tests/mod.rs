//! Behaviour tests of the classifier on scripted connections. Real kernel captures are tested
//! end to end in the workspace's `tests/`; these pin each rule on its own. One file per behaviour;
//! the scripted connection (`Conv`) is here. The timer models' arithmetic is tested next to it, in
//! `timers.rs`.

use crate::*;

mod both_directions;
mod connections;
mod episodes;
mod keepalive;
mod lookalikes;
mod midstream;
mod persist;
mod window_cut;

const MS: u64 = 1_000_000;
const ACK: u16 = TcpFlags::ACK;
const SYN: u16 = TcpFlags::SYN;
const FIN: u16 = TcpFlags::FIN;
const RST: u16 = TcpFlags::RST;

/// A scripted connection between a client and a server.
struct Conv {
    cls: Classifier,
    packet: u64,
    now_ns: u64,
    conn: u64,
    client: Endpoint,
    server: Endpoint,
    /// Every segment's window is cut from the capture (`tcpdump -s 68` on IPv6).
    windows_cut: bool,
}

impl Conv {
    fn new() -> Conv {
        Conv {
            cls: Classifier::default(),
            packet: 0,
            now_ns: 0,
            conn: 7,
            client: Endpoint::v4([10, 0, 0, 1], 40000),
            server: Endpoint::v4([10, 0, 0, 2], 80),
            windows_cut: false,
        }
    }

    fn at(&mut self, ms: u64) -> &mut Conv {
        self.now_ns = ms * MS;
        self
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        from_client: bool,
        flags: u16,
        seq: u32,
        ack: u32,
        window: u16,
        len: u32,
    ) -> Option<Verdict> {
        self.packet += 1;
        let (src, dst) = if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        self.cls.classify(&Segment {
            packet: self.packet,
            time: Timestamp(self.now_ns),
            conn: self.conn,
            src,
            dst,
            seq: SeqNumber(seq),
            ack: SeqNumber(ack),
            flags: TcpFlags(flags),
            window: (!self.windows_cut).then_some(window),
            window_scale: (flags & SYN != 0).then_some(7),
            payload_len: len,
        })
    }

    fn c(&mut self, seq: u32, ack: u32, window: u16, len: u32) -> Option<Verdict> {
        self.send(true, ACK, seq, ack, window, len)
    }

    fn s(&mut self, seq: u32, ack: u32, window: u16, len: u32) -> Option<Verdict> {
        self.send(false, ACK, seq, ack, window, len)
    }

    /// Client ISN `ci`, server ISN `si`; after it the client's next seq is ci+1, the server's si+1.
    fn handshake(&mut self, ci: u32, si: u32, rtt_ms: u64) {
        let t = self.now_ns / MS;
        self.at(t);
        assert_eq!(self.send(true, SYN, ci, 0, 64240, 0), None);
        self.at(t + rtt_ms / 2);
        assert_eq!(self.send(false, SYN | ACK, si, ci + 1, 65160, 0), None);
        self.at(t + rtt_ms);
        assert_eq!(self.c(ci + 1, si + 1, 502, 0), None);
    }
}

impl Conv {
    /// The start of a stall: handshake (RTT 0), 1000 bytes from the client, the server closes its
    /// window, the client probes it 200 ms later and the server answers.
    fn stall_with_first_probe_answered(&mut self) {
        self.handshake(1000, 5000, 0);
        self.at(1).c(1001, 5001, 502, 1000);
        self.at(2).s(5001, 2001, 0, 0);
        assert_eq!(
            class(self.at(202).c(2000, 5001, 502, 0)),
            Some(Class::ZeroWindowProbe)
        );
        assert_eq!(
            class(self.at(202).s(5001, 2001, 0, 0)),
            Some(Class::ZeroWindowProbeAck)
        );
    }

    /// The events of the last segment.
    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.cls.poll_event()).collect()
    }

    /// The newest snapshot among the last segment's events.
    fn episode(&mut self) -> Option<Episode> {
        newest_episode(&self.events())
    }
}

fn newest_episode(events: &[Event]) -> Option<Episode> {
    events.iter().rev().find_map(|e| match e {
        Event::Episode(ep) => Some(*ep),
        _ => None,
    })
}

fn class(v: Option<Verdict>) -> Option<Class> {
    v.map(|v| v.class)
}
