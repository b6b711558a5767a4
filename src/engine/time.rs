//! Simulated time: whole milliseconds since the start of the run.
//!
//! Integer time keeps event order exact; floating-point time needs epsilon fixes that
//! differ between platforms.

use std::fmt;

pub const MS_PER_SECOND: u64 = 1_000;
pub const MS_PER_MINUTE: u64 = 60 * MS_PER_SECOND;
pub const MS_PER_HOUR: u64 = 60 * MS_PER_MINUTE;

/// The longest run, and the longest delay, that may be simulated: three years of 8,760 hours.
/// Times in a run stay below a few times this, far from the 2^64 ms where they would wrap.
pub const LONGEST_RUN_MS: u64 = 3 * 8_760 * MS_PER_HOUR;

/// `ms` in seconds, `ms / 1000` to the last bit. A minute, the length of nearly every span a
/// run integrates over, is answered without the division, which the tick loop would wait on.
#[inline]
pub fn seconds(ms: u64) -> f64 {
    if ms == MS_PER_MINUTE { 60.0 } else { ms as f64 / MS_PER_SECOND as f64 }
}

/// An instant of simulated time, in milliseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This instant plus `ms` milliseconds, or the last instant time can name if that is past
    /// it (later than every run's end, so what is set for it never happens): time never wraps
    /// round to the past.
    pub const fn after(self, ms: u64) -> Self {
        SimTime(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`; zero if `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / MS_PER_SECOND, self.0 % MS_PER_SECOND)
    }
}
