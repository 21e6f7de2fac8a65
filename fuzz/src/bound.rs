//! The core's connection bound, as the harness sees it: the only place that names it, so that a
//! change of its API is a change here alone.

use tcpprobe_core::{Classifier, Config};

/// Set the most connections the classifier may track.
pub fn set_max(cfg: &mut Config, max: usize) {
    cfg.max_connections = max;
}

/// The most connections the classifier may track. The core follows at least the connection of
/// the segment in hand, so a maximum of 0 acts as 1.
pub fn max(cfg: &Config) -> usize {
    cfg.max_connections.max(1)
}

/// How many connections the classifier has evicted so far to stay within the bound.
pub fn evicted(cls: &Classifier) -> u64 {
    cls.evicted_connections()
}
