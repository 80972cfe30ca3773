//! Scheduling: the chooser and the policies, small, pure decisions of which
//! ready option runs next. Sim mode adds the policies that follow a recorded
//! or external source (replay, guided, fuzzer bytes) in `sim/source/`.
//!
//! Each policy lives in its own file behind [`SchedulePolicy`]. A policy sees
//! only a [`ReadyView`] (how many options, which task each is, the step
//! number) and answers with an index. Option 0 is always what asyncio would
//! run next, so FIFO is "always 0" and every schedule measures its distance
//! from FIFO by its non-zero picks.

pub(crate) mod chooser;
pub(crate) mod fifo;
pub(crate) mod pct;
pub(crate) mod random;
pub(crate) mod rng;
pub(crate) mod value;
pub(crate) mod value_steering;

pub(crate) use chooser::Chooser;
pub use chooser::{Choice, ChoiceKind, Divergence};

use std::fmt;
use std::str::FromStr;

use super::ready_set::{Choosable, ReadySet};
use rng::{stream, Stream};
use value::ValueView;

/// How a [`Sim`](crate::Sim) picks the next ready task.
///
/// ```
/// use seedloop::{Sim, Policy};
/// let sim = Sim::new(5).policy(Policy::Pct { depth: 2 });
/// assert_eq!("pct:2".parse::<Policy>().unwrap(), Policy::Pct { depth: 2 });
/// assert_eq!(Policy::Random.to_string(), "random");
/// # drop(sim);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Policy {
    /// asyncio's order exactly: first ready, first run.
    Fifo,
    /// Uniformly at random among the ready options, from the seed.
    #[default]
    Random,
    /// Probabilistic concurrency testing: random task priorities with
    /// `depth - 1` priority change points. Finds a bug that needs `depth`
    /// ordering constraints with probability at least `1/(n·k^(depth-1))`
    /// for `n` tasks and `k` steps.
    ///
    /// It also steers the values the program draws (`seedloop::random`)
    /// toward rare timings, from a stream of their own (a seed's picks do
    /// not depend on them): per run, each draw site is biased low (every
    /// draw there its domain's first value) with probability 1/2, high (its
    /// last) with 1/4, or left uniform; and `depth - 1` of the first `k`
    /// draws take their last value. A failure that needs every draw of `s`
    /// sites at its top is found with probability at least `4^-s` per run;
    /// one that needs `depth - 1` given draws at their top and the rest of
    /// those sites at their bottom, at least `2^-s·(depth-1)!/k^(depth-1)`.
    /// Draws after the first `k` are uniform. See "Values are choices" in
    /// `docs/exploring.md`.
    ///
    /// ```
    /// use seedloop::{Policy, Sim};
    /// // Five hops of 1..=20 ms: all five at 20 ms is a 1 in 3.2 million
    /// // draw when uniform; PCT biases the site high in a quarter of runs.
    /// let all_slow = (0..20u64)
    ///     .filter(|&seed| {
    ///         let mut sim = Sim::new(seed).policy(Policy::Pct { depth: 2 }).expected_steps(5);
    ///         let hops = sim
    ///             .run(async { (0..5).map(|_| seedloop::random::range(1..21)).sum::<u64>() })
    ///             .unwrap();
    ///         hops == 100
    ///     })
    ///     .count();
    /// assert!(all_slow >= 2, "{all_slow} of 20 runs");
    /// ```
    Pct {
        /// The bug depth to target (1 or more).
        depth: usize,
    },
}

impl Policy {
    pub(crate) fn build(self, seed: u64, expected_steps: u64) -> Box<dyn SchedulePolicy> {
        match self {
            Policy::Fifo => Box::new(fifo::Fifo::new(stream(seed, Stream::User))),
            Policy::Random => Box::new(random::Random::new(
                stream(seed, Stream::Schedule),
                stream(seed, Stream::User),
            )),
            Policy::Pct { depth } => Box::new(pct::Pct::new(
                stream(seed, Stream::Schedule),
                stream(seed, Stream::User),
                depth,
                expected_steps,
            )),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::Fifo => write!(f, "fifo"),
            Policy::Random => write!(f, "random"),
            Policy::Pct { depth } => write!(f, "pct:{depth}"),
        }
    }
}

/// The forms `Policy` parses from (also `SEEDLOOP_POLICY`).
pub(crate) const POLICY_FORMS: &str =
    "`fifo`, `random`, `pct` (depth 3) or `pct:<depth>` (depth 1 or more)";

impl FromStr for Policy {
    type Err = String;

    fn from_str(s: &str) -> Result<Policy, String> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "fifo" => Ok(Policy::Fifo),
            "random" => Ok(Policy::Random),
            "pct" => Ok(Policy::Pct { depth: 3 }),
            _ => match s.strip_prefix("pct:").map(str::parse::<usize>) {
                Some(Ok(depth)) if depth >= 1 => Ok(Policy::Pct { depth }),
                _ => Err(format!("expected {POLICY_FORMS}")),
            },
        }
    }
}

/// What a policy sees when it picks.
pub(crate) struct ReadyView<'a> {
    ready: &'a ReadySet,
    step: usize,
}

impl<'a> ReadyView<'a> {
    pub fn new(ready: &'a ReadySet, step: usize) -> ReadyView<'a> {
        ReadyView { ready, step }
    }

    /// How many options there are (at least 2).
    pub fn len(&self) -> usize {
        self.ready.options()
    }

    /// Which task option `i` is.
    pub fn option(&self, i: usize) -> Choosable {
        self.ready.option(i)
    }

    /// How many choices were made before this one.
    pub fn step(&self) -> usize {
        self.step
    }
}

/// A scheduling policy. `pick` returns an index below `view.len()`;
/// `value` an option below `view.options()`.
pub(crate) trait SchedulePolicy {
    /// Picks an option. Only a replay can fail, when the program no longer
    /// matches the recorded schedule.
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence>;

    /// Picks a value (at least 2 options). Fails only as `pick` does.
    fn value(&mut self, view: &ValueView<'_>) -> Result<u64, Divergence>;

    /// Whether every `pick` is option 0 (the oldest), whatever the view:
    /// the chooser then skips the call.
    fn always_oldest(&self) -> bool {
        false
    }

    /// Called after the run with the number of choices made; a replay that
    /// has choices left over reports them.
    fn finish(&self, _made: usize) -> Result<(), Divergence> {
        Ok(())
    }
}
