//! Randomness for user code, from the run's seed.
//!
//! In sim, values come from the seed's *user* stream: the same seed gives
//! the same values, and drawing them never changes the schedule (scheduling
//! reads its own stream). Use these instead of `rand::thread_rng()` in code
//! under test.

use std::ops::Range;

use rand_core::Rng as _;

use crate::runtime::context::with_core;
use crate::runtime::sched::rng::below;

/// Types [`random`] can produce: uniform over the whole type, `f64` uniform in `[0, 1)`.
pub trait RandomValue {
    /// Builds a value from uniformly random 64-bit words.
    fn from_words(next: &mut dyn FnMut() -> u64) -> Self;
}

macro_rules! int_random_value {
    ($($t:ty),*) => {$(
        impl RandomValue for $t {
            fn from_words(next: &mut dyn FnMut() -> u64) -> $t {
                next() as $t
            }
        }
    )*};
}
int_random_value!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl RandomValue for u128 {
    fn from_words(next: &mut dyn FnMut() -> u64) -> u128 {
        (u128::from(next()) << 64) | u128::from(next())
    }
}

impl RandomValue for bool {
    fn from_words(next: &mut dyn FnMut() -> u64) -> bool {
        next() >> 63 == 1
    }
}

impl RandomValue for f64 {
    fn from_words(next: &mut dyn FnMut() -> u64) -> f64 {
        (next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// A random value from the run's seed.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::Sim;
/// let a: u64 = Sim::new(5).run(async { seedloop::random::<u64>() }).unwrap();
/// let b: u64 = Sim::new(5).run(async { seedloop::random::<u64>() }).unwrap();
/// assert_eq!(a, b);
/// ```
pub fn random<T: RandomValue>() -> T {
    with_core("seedloop::random", |core| {
        core.with_user_rng(|rng| T::from_words(&mut || rng.next_u64()))
    })
}

/// A random number in `range` (which must not be empty).
///
/// # Panics
/// Outside a runtime, or if the range is empty.
///
/// ```
/// use seedloop::Sim;
/// Sim::new(5).run(async {
///     let ms = seedloop::random::range(1..10_000);
///     assert!((1..10_000).contains(&ms));
/// }).unwrap();
/// ```
pub fn range(range: Range<u64>) -> u64 {
    assert!(
        range.start < range.end,
        "seedloop::random::range({}..{}) is empty",
        range.start,
        range.end
    );
    with_core("seedloop::random::range", |core| {
        core.with_user_rng(|rng| range.start + below(rng, range.end - range.start))
    })
}

/// `true` with probability `p` (clamped to `[0, 1]`).
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::Sim;
/// Sim::new(5).run(async { assert!(!seedloop::random::chance(0.0)) }).unwrap();
/// ```
pub fn chance(p: f64) -> bool {
    random::<f64>() < p
}
