//! `net::Faults`: crashes and partitions that the exploration injects
//! itself, each a logged choice of the run.

use std::ops::Range;
use std::time::Duration;

/// Faults the simulated network injects by itself, at chosen points: as a
/// message (a TCP segment or a datagram) leaves a host, a fault strikes
/// with probability `rate`, and which fault it is (a host crashes, or two
/// hosts are cut off from each other) and how long the outage lasts are
/// chosen too. A crashed host restarts after its outage; a partition is
/// repaired after its outage.
///
/// Every decision is a choice of the run's log, so a failing run replays
/// from its schedule string, and shrinking turns off each strike the
/// failure does not need and shortens the outages it does. The host
/// `"main"` (the run's own task and what it spawns: the test) never
/// crashes, but it can be partitioned.
///
/// Set it on a [`Config`](super::Config), or for a whole sweep with
/// [`Check::network_faults`](crate::check::Check::network_faults).
///
/// ```
/// use seedloop::net::{self, Faults};
/// use std::time::Duration;
/// let config = net::Config {
///     faults: Some(Faults { rate: 0.1, ..Faults::default() }),
///     ..net::Config::default()
/// };
/// assert_eq!(config.faults.unwrap().outage, Duration::from_millis(1)..Duration::from_secs(2));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// The probability that a fault strikes as a message leaves (default
    /// 0.05).
    pub rate: f64,
    /// Whether a strike may crash a host (default `true`).
    pub crashes: bool,
    /// Whether a strike may cut two hosts off from each other, both ways
    /// (default `true`).
    pub partitions: bool,
    /// How long an outage lasts, drawn in whole milliseconds from this
    /// range (default 1 ms to 2 s): a crashed host restarts, a partition is
    /// repaired, once it has passed.
    pub outage: Range<Duration>,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            rate: 0.05,
            crashes: true,
            partitions: true,
            outage: Duration::from_millis(1)..Duration::from_secs(2),
        }
    }
}
