//! The connection table: every tracked connection's [`Stream`] in one vector, found through an
//! index of 4-byte positions.
//!
//! Why not a `HashMap<u64, Stream>`: a hash table holds its entries in its buckets, about twice
//! as many as entries, and while it grows the old and the new bucket arrays are both alive: some
//! three times the entries' size at the peak, about 230 bytes per 72-byte entry. Here the
//! buckets hold a `u32` position (5 bytes with their control byte), and the streams sit once,
//! densely, in a vector whose growth the allocator does by remapping pages: about 90 bytes per
//! connection at the peak (BENCHMARKS.md and RELIABILITY.md have the measurements).

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::stream::Stream;

#[derive(Debug, Clone)]
struct Slot {
    conn: u64,
    stream: Stream,
}

/// Tracked connections by the caller's connection id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Streams {
    slots: Vec<Slot>,
    /// Positions in `slots`, hashed by their connection id.
    index: HashTable<u32>,
    /// Seeded per process: a hostile capture cannot aim its flows at one bucket.
    hasher: foldhash::quality::RandomState,
}

impl Streams {
    /// Most connections the 4-byte positions can hold.
    pub const MAX: usize = u32::MAX as usize;

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn clear(&mut self) {
        self.slots.clear();
        self.index.clear();
    }

    fn position(&self, conn: u64) -> Option<usize> {
        let slots = &self.slots;
        self.index
            .find(self.hasher.hash_one(conn), |&i| {
                slots[i as usize].conn == conn
            })
            .map(|&i| i as usize)
    }

    pub fn contains(&self, conn: u64) -> bool {
        self.position(conn).is_some()
    }

    /// The stream of `conn`, made by `make` if there is none.
    pub fn get_or_insert_with(&mut self, conn: u64, make: impl FnOnce() -> Stream) -> &mut Stream {
        let i = match self.position(conn) {
            Some(i) => i,
            None => {
                let i = self.slots.len();
                self.slots.push(Slot {
                    conn,
                    stream: make(),
                });
                let (slots, hasher) = (&self.slots, &self.hasher);
                self.index
                    .insert_unique(hasher.hash_one(conn), i as u32, |&j| {
                        hasher.hash_one(slots[j as usize].conn)
                    });
                i
            }
        };
        &mut self.slots[i].stream
    }

    /// Forget `conn`, returning its stream. The last slot moves into its place.
    pub fn remove(&mut self, conn: u64) -> Option<Stream> {
        let slots = &self.slots;
        let entry = self
            .index
            .find_entry(self.hasher.hash_one(conn), |&i| {
                slots[i as usize].conn == conn
            })
            .ok()?;
        let (i, _) = entry.remove();
        let i = i as usize;
        let last = self.slots.len() - 1;
        let removed = self.slots.swap_remove(i);
        if i != last {
            let moved = self.slots[i].conn;
            if let Some(p) = self
                .index
                .find_mut(self.hasher.hash_one(moved), |&j| j as usize == last)
            {
                *p = i as u32;
            }
        }
        Some(removed.stream)
    }

    /// Every (connection id, stream), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Stream)> {
        self.slots.iter().map(|s| (s.conn, &s.stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{Endpoint, Segment, TcpFlags, Timestamp};
    use crate::SeqNumber;

    fn ends(i: u16) -> (Endpoint, Endpoint) {
        (
            Endpoint::v4([10, 0, 0, 1], i),
            Endpoint::v4([10, 0, 0, 2], 80),
        )
    }

    fn from(i: u16) -> Segment {
        let (src, dst) = ends(i);
        Segment {
            packet: 1,
            time: Timestamp(0),
            conn: i.into(),
            src,
            dst,
            seq: SeqNumber(0),
            ack: SeqNumber(0),
            flags: TcpFlags(TcpFlags::ACK),
            window: Some(1),
            window_scale: None,
            payload_len: 0,
        }
    }

    #[test]
    fn removal_moves_the_last_slot_and_keeps_every_other_stream_found() {
        let mut t = Streams::default();
        for i in 0..1000u16 {
            let (src, dst) = ends(i);
            t.get_or_insert_with(i.into(), || Stream::new(src, dst));
        }
        for i in (0..1000u16).filter(|i| i % 3 != 0) {
            assert!(t.remove(i.into()).is_some());
            assert!(t.remove(i.into()).is_none(), "removed twice");
        }
        assert_eq!(t.len(), 334);
        for i in 0..1000u16 {
            assert_eq!(t.contains(i.into()), i % 3 == 0, "{i}");
            if i % 3 == 0 {
                // The stream found is the one made for these endpoints, not a moved neighbour's.
                let s = t.get_or_insert_with(i.into(), || unreachable!());
                assert_eq!(s.direction(&from(i)), Some(0));
            }
        }
        assert_eq!(t.iter().count(), 334);
        t.clear();
        assert_eq!((t.len(), t.contains(0)), (0, false));
    }
}
