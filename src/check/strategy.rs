//! A proptest `Strategy` for schedules, shrinking toward FIFO.
//!
//! A generated [`Picks`] is a list of numbers; the n-th choice of the run
//! (a scheduling pick or a drawn value) takes option `picks[n]` (capped at
//! its last option), and FIFO and each value's smallest once the list ends
//! (see [`Sim::guided`]). proptest shrinks the list by dropping elements and
//! lowering them toward 0, i.e. toward asyncio's order and the smallest
//! values, with its own machinery, together with whatever other inputs the
//! test draws.

use std::future::Future;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::Sim;

/// A schedule as proptest generates it: picks, each capped at the last option.
///
/// ```
/// use proptest::prelude::*;
/// use seedloop::check::{schedules, Picks};
/// use seedloop::{spawn, yield_now};
///
/// proptest!(|(picks in schedules(32), n in 1u32..4)| {
///     let total = picks.sim(0).run(async move {
///         let tasks: Vec<_> = (0..n).map(|i| spawn(async move { yield_now().await; i })).collect();
///         let mut sum = 0;
///         for t in tasks { sum += t.await.unwrap(); }
///         sum
///     }).unwrap();
///     prop_assert_eq!(total, (0..n).sum::<u32>());
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Picks(pub Vec<u32>);

impl Picks {
    /// A `Sim` following these picks, with `seed` for user randomness.
    ///
    /// ```
    /// let picks = seedloop::check::Picks(vec![1, 0, 2]);
    /// assert_eq!(picks.sim(7).run(async { 40 + 2 }).unwrap(), 42);
    /// ```
    pub fn sim(&self, seed: u64) -> Sim {
        Sim::guided(seed, self.0.clone())
    }

    /// Runs `main` under these picks and `verify`s its output; any failure
    /// (a panic, a deadlock or a limit in the run, or a failed `prop_assert`
    /// in `verify`) becomes a proptest failure whose message carries the
    /// run's schedule string and how to replay it, so the shrunk case
    /// proptest prints is one `Sim::replay` away.
    ///
    /// # Errors
    /// The run failed, or `verify` did; the message says which, with the
    /// schedule.
    ///
    /// ```
    /// use proptest::prelude::*;
    /// use seedloop::check::schedules;
    /// use seedloop::{spawn, yield_now};
    ///
    /// proptest!(|(picks in schedules(32), n in 1u32..4)| {
    ///     picks.check(0, async move {
    ///         let tasks: Vec<_> = (0..n).map(|i| spawn(async move { yield_now().await; i })).collect();
    ///         let mut sum = 0;
    ///         for t in tasks { sum += t.await.unwrap(); }
    ///         sum
    ///     }, |total| {
    ///         prop_assert_eq!(total, (0..n).sum::<u32>());
    ///         Ok(())
    ///     })?;
    /// });
    /// ```
    pub fn check<F: Future>(
        &self,
        seed: u64,
        main: F,
        verify: impl FnOnce(F::Output) -> Result<(), TestCaseError>,
    ) -> Result<(), TestCaseError> {
        let mut sim = self.sim(seed);
        let out = sim
            .run(main)
            .map_err(|e| TestCaseError::fail(format!("the run failed: {e}")))?;
        let schedule = sim.schedule().to_string();
        verify(out).map_err(|e| match e {
            TestCaseError::Fail(why) => {
                TestCaseError::fail(format!("{why}\n{}", replay_hint(&schedule)))
            }
            reject => reject,
        })
    }
}

/// How to get a proptest case's run back from its schedule string.
fn replay_hint(schedule: &str) -> String {
    format!(
        "reproduce:\n  schedule {schedule}\n  replay: Sim::replay(\"{schedule}\") runs this case's \
         schedule again (proptest also saved the case in proptest-regressions/)"
    )
}

/// Schedules of up to `max_len` choices. Three picks in five are 0 (FIFO,
/// or a value's smallest), so generated schedules stay close to the obvious
/// order and deviate in a few places, where interesting interleavings live;
/// one in five is small (1 to 7: a nearby task, a value just above the
/// smallest), and one in five is `u32::MAX`, which caps to the last option:
/// the last ready task, or the largest value of a domain of up to 2^32
/// values (the slow message, the coin that comes up `true`; a wider domain,
/// such as an `f64`'s 2^53 steps, is reached only up to 2^32 - 1). proptest
/// shrinks that one by binary search.
///
/// ```
/// use proptest::prelude::*;
/// use seedloop::check::schedules;
/// // A hop of 1 to 20 ms: the generated picks reach its slowest.
/// let slowest = std::cell::Cell::new(0);
/// proptest!(|(picks in schedules(4))| {
///     let ms = picks.sim(0).run(async { seedloop::random::range(1..21) }).unwrap();
///     slowest.set(slowest.get().max(ms));
/// });
/// assert_eq!(slowest.get(), 20);
/// ```
pub fn schedules(max_len: usize) -> impl Strategy<Value = Picks> {
    proptest::collection::vec(
        prop_oneof![3 => Just(0u32), 1 => 1u32..8, 1 => Just(u32::MAX)],
        0..=max_len,
    )
    .prop_map(Picks)
}
