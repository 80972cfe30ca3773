//! Fault injection: `buggify!`, FoundationDB's two-level fault sites.
//!
//! A `buggify!()` call site is a place where the program may misbehave on
//! purpose: drop a message, fail a write, take the slow path. In sim, the
//! first time a run reaches a site it decides whether the site is *enabled*
//! for the whole run (half of the sites, by default); each time an enabled
//! site is reached it decides whether it *fires* (25% of the hits by
//! default, `buggify!(p)` sets it). Both decisions are choices in the run's
//! log (`ChoiceKind::Fault`): the schedule string replays them, shrinking
//! turns sites off and fires to "no" wherever the failure does not need
//! them, and exhaustive search enumerates them. The trace shows each one
//! (`buggify enabled at src/store.rs:42`, `buggify fired at
//! src/store.rs:42`), and a `Check` counts every site's runs, enablings and
//! fires over its sweep.
//!
//! In real mode (and outside any runtime) a site never fires: `buggify!()`
//! is `false` at the cost of one branch.

use crate::runtime::context::try_with_core;
use crate::runtime::probes::{Site, SiteTally};
use crate::runtime::sched::value::ValueRequest;
use crate::runtime::sched::ChoiceKind;
use crate::runtime::Core;
use crate::trace::BuggifyDraw;

/// The chance that a site is enabled in a run.
///
/// ```
/// assert_eq!(seedloop::buggify::ENABLE_CHANCE, 0.5);
/// ```
pub const ENABLE_CHANCE: f64 = 0.5;

/// The chance that an enabled site fires on a hit, unless `buggify!(p)` says.
///
/// ```
/// assert_eq!(seedloop::buggify::FIRE_CHANCE, 0.25);
/// ```
pub const FIRE_CHANCE: f64 = 0.25;

/// `true` where the program should inject a fault here: in sim, when this
/// call site is enabled in this run (a choice made at its first hit, half
/// the sites by default) and this hit fires (a choice, chance `p`, default
/// 0.25). Always `false` in real mode. Both decisions are logged choices:
/// they replay from the schedule string and shrink to "off".
///
/// ```
/// use seedloop::{buggify, Sim};
/// use std::time::Duration;
///
/// // A store whose writes are sometimes slow (a stalled disk).
/// async fn write() {
///     let ms = if buggify!() { 500 } else { 1 };
///     seedloop::sleep(Duration::from_millis(ms)).await;
/// }
/// let mut slow_runs = 0;
/// for seed in 0..40 {
///     let mut sim = Sim::new(seed);
///     let took = sim.run(async {
///         let t = seedloop::time::Instant::now();
///         for _ in 0..4 { write().await; }
///         t.elapsed()
///     }).unwrap();
///     if took > Duration::from_millis(4) {
///         slow_runs += 1;
///         assert!(sim.trace().render().contains("buggify fired at"));
///     }
/// }
/// assert!(slow_runs > 0);
///
/// // Real mode: never.
/// let fired = seedloop::run(async { buggify!(1.0) });
/// assert!(!fired);
/// ```
#[macro_export]
macro_rules! buggify {
    () => {
        $crate::buggify::__buggify(
            $crate::buggify::FIRE_CHANCE,
            ::core::panic::Location::caller(),
        )
    };
    ($p:expr) => {
        $crate::buggify::__buggify($p, ::core::panic::Location::caller())
    };
}

/// What `buggify!` expands to: `p` is the chance an enabled site fires,
/// `site` the macro's call site.
///
/// ```
/// let fired = seedloop::buggify::__buggify(0.25, std::panic::Location::caller());
/// assert!(!fired); // outside a runtime
/// ```
#[doc(hidden)]
#[inline]
pub fn __buggify(p: f64, site: Site) -> bool {
    try_with_core(|core| core.probes().is_some() && decide(core, p, site)).unwrap_or(false)
}

/// A sim run's decision at `site`: enabled (decided at the first hit), then
/// fired.
fn decide(core: &Core, p: f64, site: Site) -> bool {
    let probes = core.probes().expect("a sim run");
    let known = probes.borrow().sites.get(site).map(|s| s.enabled);
    let enabled = known.unwrap_or_else(|| {
        let enabled = core.draw_buggify(
            ValueRequest::chance(ChoiceKind::Fault, ENABLE_CHANCE, site),
            BuggifyDraw {
                site,
                enabling: true,
            },
        ) == 1;
        probes.borrow_mut().sites.insert(
            site,
            SiteTally {
                enabled,
                hits: 0,
                fired: 0,
            },
        );
        enabled
    });
    let fired = enabled
        && if p.is_nan() || p <= 0.0 {
            false
        } else if p >= 1.0 {
            true
        } else {
            core.draw_buggify(
                ValueRequest::chance(ChoiceKind::Fault, p, site),
                BuggifyDraw {
                    site,
                    enabling: false,
                },
            ) == 1
        };
    let mut probes = probes.borrow_mut();
    let tally = probes.sites.get_mut(site).expect("recorded above");
    tally.hits += 1;
    tally.fired += u64::from(fired);
    fired
}
