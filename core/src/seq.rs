//! TCP sequence numbers with RFC 793 / RFC 1982 wrapping comparison.

use core::cmp::Ordering;
use core::ops::{Add, Sub};

/// A 32-bit TCP sequence or acknowledgment number.
///
/// Ordering wraps: `a < b` when `b` is less than 2^31 ahead of `a`, so streams that cross 2^32
/// compare correctly. It is deliberately not `Ord`: wrapping order is not transitive over the
/// whole space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// Signed distance from `other` to `self` (positive when `self` is ahead).
    pub fn distance_from(self, other: SeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// The later of two sequence numbers in wrapping order.
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self.distance_from(other) >= 0 {
            self
        } else {
            other
        }
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        Some(self.distance_from(*other).cmp(&0))
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(rhs))
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(rhs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- wrapping comparison ----

    #[test]
    fn orders_across_the_wrap() {
        let before = SeqNumber(u32::MAX - 10);
        let after = before + 20;
        assert_eq!(after, SeqNumber(9));
        assert!(before < after);
        assert!(after > before);
        assert_eq!(after.distance_from(before), 20);
        assert_eq!(before.distance_from(after), -20);
        assert_eq!(before.max(after), after);
        assert_eq!(after.max(before), after);
    }

    #[test]
    fn minus_one_wraps_at_zero() {
        assert_eq!(SeqNumber(0) - 1, SeqNumber(u32::MAX));
        assert!(SeqNumber(0) - 1 < SeqNumber(0));
    }
}
