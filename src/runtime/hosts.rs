//! Hosts as the core sees them: a number on every task (inherited at
//! spawn), and each host's clock as an offset and a drift over the run's
//! clock.
//!
//! The core knows nothing of networks: a host is a `u32` that the layer
//! above (the simulated network) hands out. Host 0 is the run's own host
//! (`main` and whatever it spawns). What the core does with the number:
//! cancel exactly one host's tasks ([`Core::cancel_host`]), and read time
//! through the acting host's clock ([`Core::now`]), so `Instant::now()`,
//! `sleep` and `timeout` inside a skewed host see its clock while the loop
//! and the trace keep the run's clock.

use std::time::Duration;

use crate::time::Instant;

/// A host's number; 0 is the run's own host.
pub(crate) type HostNumber = u32;

/// A clock that runs `drift` faster than the run's clock (0.01: 1 % fast,
/// -0.01: 1 % slow) and is `offset` ahead of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct HostClock {
    offset: u64,
    drift: f64,
}

impl HostClock {
    /// # Panics
    /// If `drift` is not finite or is -1 or less (a clock must move forward).
    pub fn new(offset: Duration, drift: f64) -> HostClock {
        assert!(
            drift.is_finite() && drift > -1.0,
            "a host clock's drift must be finite and above -1 (it was {drift})"
        );
        HostClock {
            offset: u64::try_from(offset.as_nanos()).unwrap_or(u64::MAX),
            drift,
        }
    }

    /// The host's reading when the run's clock reads `global`.
    pub fn local(&self, global: Instant) -> Instant {
        let g = global.as_nanos();
        let skew = (g as f64 * self.drift).floor();
        let drifted = if skew >= 0.0 {
            g.saturating_add(skew as u64)
        } else {
            g.saturating_sub((-skew) as u64)
        };
        Instant::from_nanos(drifted.saturating_add(self.offset))
    }

    /// The first instant of the run's clock at which the host reads `local`
    /// or later (the deadline of a timer the host sets for `local`).
    pub fn global(&self, local: Instant) -> Instant {
        let target = local.as_nanos();
        if target == u64::MAX {
            return local;
        }
        let since_offset = target.saturating_sub(self.offset);
        let estimate = (since_offset as f64 / (1.0 + self.drift)).ceil();
        if estimate >= u64::MAX as f64 {
            return Instant::from_nanos(u64::MAX); // past representable time: never
        }
        let mut g = estimate as u64;
        // The float estimate is within a few nanoseconds: settle it exactly.
        while self.local(Instant::from_nanos(g)).as_nanos() < target {
            if g == u64::MAX {
                return Instant::from_nanos(u64::MAX);
            }
            g += 1;
        }
        while g > 0 && self.local(Instant::from_nanos(g - 1)).as_nanos() >= target {
            g -= 1;
        }
        Instant::from_nanos(g)
    }
}

/// Every host's clock; hosts without one read the run's clock.
#[derive(Default)]
pub(crate) struct HostClocks {
    clocks: Vec<Option<HostClock>>,
}

impl HostClocks {
    pub fn set(&mut self, host: HostNumber, clock: Option<HostClock>) {
        let i = host as usize;
        if self.clocks.len() <= i {
            self.clocks.resize(i + 1, None);
        }
        self.clocks[i] = clock;
    }

    #[inline]
    pub fn get(&self, host: HostNumber) -> Option<&HostClock> {
        self.clocks.get(host as usize).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_clock_maps_both_ways_exactly() {
        for (offset, drift) in [(0, 0.0), (5_000, 0.01), (0, -0.3), (123, 0.5), (7, -0.999)] {
            let clock = HostClock::new(Duration::from_nanos(offset), drift);
            for g in [0u64, 1, 999, 1_000_000_007, 86_400_000_000_000] {
                let local = clock.local(Instant::from_nanos(g));
                let back = clock.global(local);
                assert!(back.as_nanos() <= g, "{offset} {drift} {g}");
                assert_eq!(clock.local(back), local);
            }
        }
    }

    #[test]
    fn a_deadline_maps_to_the_first_instant_the_host_reads_it_at() {
        for (offset, drift) in [(0, 0.5), (3, 0.37), (0, -0.3), (11, 1e-9), (0, 2.71)] {
            let clock = HostClock::new(Duration::from_nanos(offset), drift);
            for base in [1_000_000_000u64, 86_400_000_000_000, 9_000_000_000_000_000] {
                for t in base..base + 200 {
                    let g = clock.global(Instant::from_nanos(t)).as_nanos();
                    let reads = |g: u64| clock.local(Instant::from_nanos(g)).as_nanos();
                    assert!(reads(g) >= t, "{offset} {drift} {t}: {g}");
                    assert!(g == 0 || reads(g - 1) < t, "{offset} {drift} {t}: {g}");
                }
            }
        }
    }

    #[test]
    fn a_fast_clock_reaches_a_deadline_early_on_the_run_clock() {
        let clock = HostClock::new(Duration::from_secs(1), 0.5);
        assert_eq!(
            clock.local(Instant::from_nanos(2_000)).as_nanos(),
            1_000_003_000
        );
        assert_eq!(
            clock.global(Instant::from_nanos(1_000_003_000)).as_nanos(),
            2_000
        );
        // A deadline before the offset is due at once.
        assert_eq!(clock.global(Instant::from_nanos(10)), Instant::ZERO);
    }

    #[test]
    fn a_deadline_a_slow_clock_never_reaches_is_never() {
        let slow = HostClock::new(Duration::ZERO, -0.5);
        let far = Instant::from_nanos(u64::MAX - 5);
        assert_eq!(slow.global(far).as_nanos(), u64::MAX);
        let fast = HostClock::new(Duration::ZERO, 0.5);
        let back = fast.global(far);
        assert!(fast.local(back) >= far);
    }
}
