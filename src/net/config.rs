//! `net::Config`: how the simulated network behaves.

use std::ops::Range;
use std::time::Duration;

/// How the simulated network behaves: latencies, UDP faults, the TCP
/// timeout under a partition, and host clocks. Give it to a run with
/// [`Sim::network`](crate::Sim::network); without one a run uses
/// `Config::default()`. Real mode ignores it.
///
/// Every value drawn from it (a segment's delay, whether a datagram is lost
/// or duplicated) comes from the run's seed through [`seedloop::random`](mod@crate::random): the
/// same seed gives the same network.
///
/// ```
/// use std::time::Duration;
/// use seedloop::{net, Sim};
/// let sim = Sim::new(7).network(net::Config {
///     latency: Duration::from_millis(5)..Duration::from_millis(50),
///     udp_loss: 0.1,
///     ..net::Config::default()
/// });
/// # drop(sim);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Each TCP segment's and each datagram's one-way delay is drawn from
    /// this range (microsecond steps; an empty range means its start).
    /// Default 1 ms to 5 ms.
    pub latency: Range<Duration>,
    /// The probability that a datagram is lost. Default 0.
    pub udp_loss: f64,
    /// The probability that a datagram arrives twice (the copy with its own
    /// delay). Default 0.
    pub udp_duplicate: f64,
    /// A partition that holds a connection's data this long resets the
    /// connection; a connect that cannot reach its host this long fails
    /// with `TimedOut`. Default 30 s.
    pub tcp_timeout: Duration,
    /// Host clocks set from the start: `(host name, offset, drift)`, as
    /// [`Host::set_clock`](super::Host::set_clock) takes them. `"main"` is
    /// the run's own host. Default none.
    pub clocks: Vec<(String, Duration, f64)>,
    /// Crashes and partitions the network injects by itself, each a choice
    /// of the run (see [`Faults`](super::Faults)). Default none.
    pub faults: Option<super::Faults>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            latency: Duration::from_millis(1)..Duration::from_millis(5),
            udp_loss: 0.0,
            udp_duplicate: 0.0,
            tcp_timeout: Duration::from_secs(30),
            clocks: Vec::new(),
            faults: None,
        }
    }
}
