//! Randomness for user code, from the run: every value a choice.
//!
//! In sim, each draw is a *choice* of the run, logged beside the scheduling
//! picks: the schedule string carries it, so [`Sim::replay`](crate::Sim::replay)
//! reproduces it without the seed, shrinking lowers it toward its domain's
//! first value (`false`, the range's start), exhaustive search enumerates
//! it, and a fuzzer's bytes or a policy steer it. The trace shows each draw
//! (`random 7 in 1..11`). Drawing a value never changes the scheduling picks
//! of a seed: the seeded policies draw values from a stream of their own.
//!
//! In real mode values come from the same seeded ChaCha stream as a sim
//! run's under the seeded policies (the same seed draws the same values in
//! both modes), and no log is kept.
//!
//! Use these instead of `rand::thread_rng()` in code under test: a value
//! drawn any other way is invisible to the explorer.

use std::ops::Range;
use std::panic::Location;

use rand_core::Rng as _;

use crate::runtime::context::with_core;
use crate::runtime::sched::rng::below;
use crate::runtime::sched::value::{unit_f64, ValueRequest};
use crate::runtime::sched::ChoiceKind;
use crate::runtime::Core;

/// Types [`random`] can produce: uniform over the whole type, `f64` uniform in `[0, 1)`.
///
/// ```
/// use seedloop::random::RandomValue;
/// struct Coin(bool);
/// impl RandomValue for Coin {
///     fn from_words(next: &mut dyn FnMut() -> u64) -> Coin {
///         Coin(next() & 1 == 1)
///     }
/// }
/// let Coin(_heads) = seedloop::Sim::new(1).run(async { seedloop::random::<Coin>() }).unwrap();
/// ```
pub trait RandomValue {
    /// Builds a value from uniformly random 64-bit words.
    fn from_words(next: &mut dyn FnMut() -> u64) -> Self;

    /// Builds a value from choices: `choose(n)` is one of `0..n` (`n` at most
    /// 2^53), 0 being the simplest. Shrinking lowers each toward 0, so build
    /// the value so that small choices mean a simple value. The default
    /// makes each word of [`from_words`](RandomValue::from_words) from two
    /// 32-bit choices, high half first.
    fn from_choices(choose: &mut dyn FnMut(u64) -> u64) -> Self
    where
        Self: Sized,
    {
        Self::from_words(&mut || (choose(1 << 32) << 32) | choose(1 << 32))
    }
}

macro_rules! int_random_value {
    ($($t:ty => $bits:expr),*) => {$(
        impl RandomValue for $t {
            fn from_words(next: &mut dyn FnMut() -> u64) -> $t {
                next() as $t
            }

            fn from_choices(choose: &mut dyn FnMut(u64) -> u64) -> $t {
                if $bits <= 32 {
                    choose(1 << $bits) as $t
                } else {
                    ((choose(1 << 32) << 32) | choose(1 << 32)) as $t
                }
            }
        }
    )*};
}
int_random_value!(
    u8 => 8, u16 => 16, u32 => 32, u64 => 64, usize => usize::BITS,
    i8 => 8, i16 => 16, i32 => 32, i64 => 64, isize => isize::BITS
);

impl RandomValue for u128 {
    fn from_words(next: &mut dyn FnMut() -> u64) -> u128 {
        (u128::from(next()) << 64) | u128::from(next())
    }
}

impl RandomValue for bool {
    fn from_words(next: &mut dyn FnMut() -> u64) -> bool {
        next() >> 63 == 1
    }

    fn from_choices(choose: &mut dyn FnMut(u64) -> u64) -> bool {
        choose(2) == 1
    }
}

impl RandomValue for f64 {
    fn from_words(next: &mut dyn FnMut() -> u64) -> f64 {
        unit_f64(next())
    }

    fn from_choices(choose: &mut dyn FnMut(u64) -> u64) -> f64 {
        choose(1 << 53) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// A random value: in sim a logged choice, uniform under the seeded
/// policies.
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
#[track_caller]
pub fn random<T: RandomValue>() -> T {
    let site = Location::caller();
    with_core("seedloop::random", |core| {
        if core.values_from_seed() {
            core.with_user_rng(|rng| T::from_words(&mut || rng.next_u64()))
        } else {
            T::from_choices(&mut |options| core.draw(ValueRequest::uniform(options, 0, site)))
        }
    })
}

/// A random number in `range` (which must not be empty): in sim a logged
/// choice, which shrinks toward `range.start`.
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
#[track_caller]
pub fn range(range: Range<u64>) -> u64 {
    range_drawn(range, Location::caller(), true)
}

/// [`range`], shown in the trace or not (the simulated network's delays
/// are shown on its own lines).
pub(crate) fn range_drawn(
    range: Range<u64>,
    site: &'static Location<'static>,
    traced: bool,
) -> u64 {
    assert!(
        range.start < range.end,
        "seedloop::random::range({}..{}) is empty",
        range.start,
        range.end
    );
    with_core("seedloop::random::range", |core| {
        range.start + draw_below(core, range.end - range.start, range.start, site, traced)
    })
}

/// One of `0..n` from `core`: a choice, or (values from the seed) one
/// uniform draw. A domain wider than a choice (2^53) is two choices, high
/// part first.
fn draw_below(
    core: &Core,
    n: u64,
    start: u64,
    site: &'static Location<'static>,
    traced: bool,
) -> u64 {
    if core.values_from_seed() {
        return core.with_user_rng(|rng| below(rng, n));
    }
    let request = |options, start| {
        let r = ValueRequest::uniform(options, start, site);
        if traced {
            r
        } else {
            r.untraced()
        }
    };
    const WIDEST: u64 = 1 << 53;
    if n <= WIDEST {
        return core.draw(request(n, start));
    }
    // Uniform over 0..n, drawn as high 32 bits then low 32 bits, retried
    // (with the same choices again) in the rare case it lands at or past n.
    loop {
        let high = core.draw(request(((n - 1) >> 32) + 1, 0));
        let low = core.draw(request(1 << 32, 0));
        let v = (high << 32) | low;
        if v < n {
            return v;
        }
    }
}

/// `true` with probability `p` (clamped to `[0, 1]`): in sim a logged
/// choice (unless `p` is 0 or 1), which shrinks toward `false`.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::Sim;
/// Sim::new(5).run(async { assert!(!seedloop::random::chance(0.0)) }).unwrap();
/// ```
#[track_caller]
pub fn chance(p: f64) -> bool {
    chance_drawn(p, Location::caller(), true)
}

/// [`chance`], shown in the trace or not.
pub(crate) fn chance_drawn(p: f64, site: &'static Location<'static>, traced: bool) -> bool {
    with_core("seedloop::random::chance", |core| {
        if core.values_from_seed() {
            return core.with_user_rng(|rng| unit_f64(rng.next_u64()) < p);
        }
        if p.is_nan() || p <= 0.0 {
            false
        } else if p >= 1.0 {
            true
        } else {
            let request = ValueRequest::chance(ChoiceKind::Value, p, site);
            let request = if traced { request } else { request.untraced() };
            core.draw(request) == 1
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sim;

    /// Words in order: 1, 2, 3, ...
    fn counting() -> impl FnMut() -> u64 {
        let mut n = 0;
        move || {
            n += 1;
            n
        }
    }

    #[test]
    fn values_from_words_take_the_words_as_documented() {
        assert_eq!(u128::from_words(&mut counting()), (1u128 << 64) | 2);
        assert!(bool::from_words(&mut || 1 << 63));
        assert!(!bool::from_words(&mut || (1 << 63) - 1));
        assert_eq!(f64::from_words(&mut || 1 << 63), 0.5);
        assert_eq!(f64::from_words(&mut || 0), 0.0);
    }

    /// A user type that only knows words: the default `from_choices` makes
    /// each word from two 32-bit choices, high half first.
    struct Word(u64);

    impl RandomValue for Word {
        fn from_words(next: &mut dyn FnMut() -> u64) -> Word {
            Word(next())
        }
    }

    #[test]
    fn values_from_choices_follow_the_picks() {
        let draw = |picks: Vec<u32>| {
            Sim::guided(0, picks)
                .run(async {
                    (
                        random::<Word>().0,
                        random::<bool>(),
                        random::<f64>(),
                        range(0..u64::MAX),
                    )
                })
                .unwrap()
        };
        let (word, coin, float, wide) = draw(vec![3, 5, 1, 1 << 31, 1, 7]);
        assert_eq!(word, (3 << 32) | 5);
        assert!(coin);
        // 2^31 of 2^53 steps.
        assert_eq!(float, (1u64 << 31) as f64 / (1u64 << 53) as f64);
        // A domain wider than one choice: high part, then low part.
        assert_eq!(wide, (1 << 32) | 7);
        let (word, coin, float, wide) = draw(vec![]);
        assert_eq!((word, coin, float, wide), (0, false, 0.0, 0));
        // The largest picks reach the top of each domain of up to 2^32
        // values (a guided pick is a u32: an f64's 2^53 steps are beyond).
        let max = u32::MAX;
        let (word, coin, float, _) = draw(vec![max, max, max, max]);
        assert_eq!((word, coin), (u64::MAX, true));
        assert_eq!(float, f64::from(max) / (1u64 << 53) as f64);
        // A wide draw past its range is drawn again (here: the picks are
        // used up, so the retry takes 0); the high part's domain is exactly
        // as wide as the range needs.
        let wide = Sim::guided(0, vec![max, max])
            .run(async { range(0..u64::MAX) })
            .unwrap();
        assert_eq!(wide, 0);
    }

    #[test]
    fn a_version_1_replay_draws_chances_from_the_seed_as_before() {
        let mut sim = Sim::replay("sl1:5:").unwrap();
        let (never, always, coins) = sim
            .run(async {
                let coins: Vec<bool> = (0..64).map(|_| chance(0.5)).collect();
                (chance(0.0), chance(1.0), coins)
            })
            .unwrap();
        assert!(!never && always);
        // Half and half, roughly: the comparison is `draw < p`.
        let heads = coins.iter().filter(|&&c| c).count();
        assert!((16..=48).contains(&heads), "{heads} heads of 64");
        assert_eq!(sim.schedule().version(), 1);
        let mut v2 = Sim::new(5);
        v2.run(async { chance(0.5) }).unwrap();
        assert_eq!(v2.schedule().version(), 2);
    }
}
