//! A proptest `Strategy` for schedules, shrinking toward FIFO.
//!
//! A generated [`Picks`] is a list of numbers; the n-th scheduling choice
//! takes option `picks[n]` (capped at its last option), and FIFO once the list ends
//! (see [`Sim::guided`]). proptest shrinks the list by dropping elements and
//! lowering them toward 0, i.e. toward asyncio's order, with its own
//! machinery, together with whatever other inputs the test draws.

use proptest::prelude::*;

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
    pub fn sim(&self, seed: u64) -> Sim {
        Sim::guided(seed, self.0.clone())
    }
}

/// Schedules of up to `max_len` choices. Three picks in four are 0 (FIFO),
/// so generated schedules stay close to the obvious order and deviate in a
/// few places, where interesting interleavings live.
pub fn schedules(max_len: usize) -> impl Strategy<Value = Picks> {
    proptest::collection::vec(prop_oneof![3 => Just(0u32), 1 => 1u32..8], 0..=max_len)
        .prop_map(Picks)
}
