//! Every tunable of the decision and of the timer models, in one place. The defaults follow
//! Linux; each field says which kernel constant or behaviour it stands for.

pub(crate) const MS: u64 = 1_000_000;

/// `x / den * num`, in integers: a fraction of a duration, rounded the same way everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    pub num: u64,
    pub den: u64,
}

impl Fraction {
    pub const fn new(num: u64, den: u64) -> Fraction {
        Fraction { num, den }
    }

    /// `x` times this fraction, dividing first (for fractions of at most one).
    pub fn of(self, x: u64) -> u64 {
        (x / self.den.max(1)).saturating_mul(self.num)
    }

    /// `x` times this fraction, multiplying first and saturating (for fractions above one).
    pub fn scale(self, x: u64) -> u64 {
        x.saturating_mul(self.num) / self.den.max(1)
    }

    /// Whether `a / b` is at least this fraction (cross-multiplied, exact).
    pub fn ratio_at_least(self, a: u64, b: u64) -> bool {
        a as u128 * self.den as u128 >= b as u128 * self.num as u128
    }

    /// Whether `a / b` lies between the inverse of this fraction and this fraction (inclusive).
    pub fn ratio_within(self, a: u64, b: u64) -> bool {
        let (a, b, num, den) = (a as u128, b as u128, self.num as u128, self.den as u128);
        a * num >= b * den && a * den <= b * num
    }
}

/// The keep-alive settings the user expects the prober to run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveSettings {
    /// Idle time before the first keep-alive (Linux tcp_keepalive_time, 7200 s).
    pub time_ns: u64,
    /// Interval between unanswered keep-alives (Linux tcp_keepalive_intvl, 75 s).
    pub interval_ns: u64,
    /// Unanswered keep-alives before the connection is reset (Linux tcp_keepalive_probes, 9).
    pub probes: u32,
}

impl Default for KeepAliveSettings {
    fn default() -> KeepAliveSettings {
        KeepAliveSettings {
            time_ns: 7200 * 1000 * MS,
            interval_ns: 75 * 1000 * MS,
            probes: 9,
        }
    }
}

/// How far an observed keep-alive time may stray from the expected one and still match.
/// Keep-alive timers fire late, never early: timer-wheel granularity grows with the timeout (up
/// to ~12%), and the capture point adds little.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveTolerance {
    /// Earliest match: this fraction of the expected time, less `early_ns` (5% and 50 ms early).
    pub earliest: Fraction,
    pub early_ns: u64,
    /// Latest match: the expected time plus this fraction of it plus `late_ns` (15% and 1 s).
    pub late: Fraction,
    pub late_ns: u64,
}

impl Default for KeepAliveTolerance {
    fn default() -> KeepAliveTolerance {
        KeepAliveTolerance {
            earliest: Fraction::new(19, 20),
            early_ns: 50 * MS,
            late: Fraction::new(3, 20),
            late_ns: 1000 * MS,
        }
    }
}

impl KeepAliveTolerance {
    pub fn matches(&self, expected_ns: u64, observed_ns: u64) -> bool {
        let lo = self.earliest.of(expected_ns).saturating_sub(self.early_ns);
        let hi = expected_ns
            .saturating_add(self.late.of(expected_ns))
            .saturating_add(self.late_ns);
        (lo..=hi).contains(&observed_ns)
    }
}

/// Tunables of the decision. The defaults follow Linux; see each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Shortest gap between the peer's last segment and a keep-alive. Linux's smallest
    /// TCP_KEEPIDLE is 1 s; timers run in jiffies, so allow a few percent early.
    pub min_keepalive_idle_ns: u64,
    /// Linux's TCP_RTO_MIN: the persist timer never fires sooner than this.
    pub rto_min_ns: u64,
    /// Linux's TCP_RTO_MAX: the persist timer's interval stops doubling here.
    pub rto_max_ns: u64,
    /// How many estimated persist intervals may pass before a first probe-like segment into a zero
    /// window is taken for a keep-alive. Generous, because the RTO seen from a capture point is
    /// only an estimate.
    pub persist_slack: u64,
    /// An interval at least this fraction of the previous one is a persist timer's doubling
    /// (3/2: halfway between constant and doubled).
    pub doubled_at_least: Fraction,
    /// Intervals within this ratio of each other, both ways, are constant: a keep-alive timer's
    /// (5/4: timer jitter, far from a doubling).
    pub constant_within: Fraction,
    /// Identical segments in one direction closer than this are capture duplicates (the same
    /// frame seen twice, e.g. on two VLANs), not new probes. Probe timers never fire this fast.
    pub duplicate_window_ns: u64,
    /// Constant intervals at or above this fraction of `rto_max_ns` are no evidence of a
    /// keep-alive timer: a persist timer at its cap stops doubling too, and fires a little early
    /// or late (5/6: 100 s of the default 120 s).
    pub persist_cap_region: Fraction,
    /// The probed side's rate limit on replies to out-of-window segments (Linux
    /// tcp_invalid_ratelimit, 500 ms): a probe sooner than this after its previous reply may go
    /// unanswered on purpose.
    pub invalid_ratelimit_ns: u64,
    /// A prober is overdue (has stopped probing) once the next probe is this fraction of its due
    /// interval late, plus `overdue_grace_ns`.
    pub overdue_after: Fraction,
    pub overdue_grace_ns: u64,
    /// What keep-alive timing to expect; series that differ are flagged.
    pub keepalive: KeepAliveSettings,
    /// How closely observed keep-alive timing must follow `keepalive` to match it.
    pub keepalive_tolerance: KeepAliveTolerance,
    /// Most connections followed at once; beyond, the least recently active are forgotten
    /// (64 bytes each, more with a closed window or probes: 1 M is about 100 MB). 0 is taken
    /// as 1, and anything above 2^32 - 1 (the table's 4-byte positions) as that.
    pub max_connections: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            min_keepalive_idle_ns: 900 * MS,
            rto_min_ns: 200 * MS,
            rto_max_ns: 120_000 * MS,
            persist_slack: 3,
            doubled_at_least: Fraction::new(3, 2),
            constant_within: Fraction::new(5, 4),
            duplicate_window_ns: 50 * MS,
            persist_cap_region: Fraction::new(5, 6),
            invalid_ratelimit_ns: 500 * MS,
            overdue_after: Fraction::new(3, 2),
            overdue_grace_ns: 1000 * MS,
            keepalive: KeepAliveSettings::default(),
            keepalive_tolerance: KeepAliveTolerance::default(),
            max_connections: 1_000_000,
        }
    }
}
