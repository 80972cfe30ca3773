//! `Instant`: a point on the runtime's clock.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::runtime::context::with_core;

/// A point on the runtime's clock, in nanoseconds since the run began.
/// asyncio: `loop.time()`.
///
/// Displays as seconds with six decimals (`1.250000`), the form traces use.
///
/// ```
/// use seedloop::{Sim, sleep, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let start = Instant::now();
///     sleep(Duration::from_secs(3600)).await; // takes microseconds
///     assert_eq!(Instant::now() - start, Duration::from_secs(3600));
/// }).unwrap();
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    nanos: u64,
}

impl Instant {
    /// The start of every run.
    pub const ZERO: Instant = Instant { nanos: 0 };

    /// The current time of the current runtime. Inside a simulated host
    /// that has its own clock ([`net::Host::set_clock`](crate::net::Host::set_clock)),
    /// that host's clock: `sleep` and `timeout` there read it too.
    ///
    /// # Panics
    /// Outside a runtime, with a message saying how to enter one.
    #[inline]
    pub fn now() -> Instant {
        with_core("seedloop::time::Instant::now", |core| core.now())
    }

    /// An instant `nanos` nanoseconds after the start of the run.
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant { nanos }
    }

    /// Nanoseconds since the start of the run.
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Seconds since the start of the run.
    pub fn as_secs_f64(self) -> f64 {
        self.nanos as f64 / 1e9
    }

    /// Time since the start of the run.
    pub const fn since_start(self) -> Duration {
        Duration::from_nanos(self.nanos)
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// `self - earlier`, or `None` if `earlier` is later.
    pub fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        self.nanos
            .checked_sub(earlier.nanos)
            .map(Duration::from_nanos)
    }

    /// Time passed since `self`, on the current runtime's clock.
    ///
    /// # Panics
    /// Outside a runtime.
    pub fn elapsed(self) -> Duration {
        Instant::now().saturating_duration_since(self)
    }

    /// `self + d`, or `None` past the end of representable time (~584 years).
    #[inline]
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let n = u64::try_from(d.as_nanos()).ok()?;
        self.nanos.checked_add(n).map(Instant::from_nanos)
    }

    /// `self + d`, stopping at the end of representable time.
    #[inline]
    pub fn saturating_add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(Instant { nanos: u64::MAX })
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates at the end of representable time, so `sleep(Duration::MAX)`
    /// means "never" rather than an overflow.
    #[inline]
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// Saturates at the start of the run.
    fn sub(self, d: Duration) -> Instant {
        let n = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant::from_nanos(self.nanos.saturating_sub(n))
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Saturates at zero, like `std::time::Instant`.
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}",
            self.nanos / 1_000_000_000,
            (self.nanos % 1_000_000_000) / 1_000
        )
    }
}

/// Seconds since the run began, with the unit: `3.000000s`.
impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_arithmetic() {
        let t = Instant::from_nanos(1_250_000_000);
        assert_eq!(t.to_string(), "1.250000");
        assert_eq!(Instant::ZERO.to_string(), "0.000000");
        assert_eq!(format!("{t:?}"), "1.250000s");
        assert_eq!(t - Instant::ZERO, Duration::from_millis(1250));
        assert_eq!(Instant::ZERO - t, Duration::ZERO);
        assert_eq!((Instant::ZERO + Duration::MAX).as_nanos(), u64::MAX);
    }
}
