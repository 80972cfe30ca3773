//! Assertions over a sweep: properties checked across every run of a
//! [`Check`](crate::check::Check), not one (Antithesis-style).
//!
//! - [`assert_always!`](crate::assert_always)`(cond, "msg")`: `cond` holds
//!   every time; where it does not, the run fails with the usual report
//!   (in real mode it is a `debug_assert!`).
//! - [`assert_sometimes!`](crate::assert_sometimes)`(cond, "msg")`: some run
//!   of the sweep saw `cond` true, or the sweep fails with "your sweep never
//!   exercised msg".
//! - [`assert_reachable!`](crate::assert_reachable)`("msg")`: some run got
//!   here.
//! - [`assert_unreachable!`](crate::assert_unreachable)`("msg")`: no run
//!   gets here (where one does, it fails; in real mode a `debug_assert!`).
//!
//! Each run tallies its assertions by call site; a check merges the
//! tallies of its runs (on every thread) into a
//! [`Coverage`](crate::check::Coverage) table, printed with its summary.
//! The message must be a `&'static str`.

use crate::runtime::context::try_with_core;
use crate::runtime::probes::{AssertionKind, Site};

/// Fails the run where `cond` is false, with the usual report; counts
/// its hits in the sweep's table. In real mode (and outside a runtime) a
/// `debug_assert!`.
///
/// # Panics
/// Where `cond` is false: in sim always (even in a task whose panics
/// [`isolate_panics`](crate::Sim::isolate_panics) would isolate), in real
/// mode in debug builds.
///
/// ```
/// use seedloop::{assert_always, Sim};
/// Sim::new(1).run(async { assert_always!(1 + 1 == 2, "arithmetic works") }).unwrap();
/// let err = Sim::new(1).run(async { assert_always!(false, "never false") }).unwrap_err();
/// assert!(err.to_string().contains("assert_always!(never false) failed"));
/// ```
#[macro_export]
macro_rules! assert_always {
    ($cond:expr, $msg:expr $(,)?) => {{
        let cond: bool = $cond;
        if !$crate::assertions::__probe(
            $crate::check::AssertionKind::Always,
            cond,
            $msg,
            ::core::panic::Location::caller(),
        ) {
            ::core::debug_assert!(cond, "assert_always!({}) failed", $msg);
        }
    }};
}

/// Counts whether `cond` holds here; a check whose sweep never saw it true
/// fails with "your sweep never exercised msg". Nothing in real mode
/// (`cond` is still evaluated).
///
/// ```
/// use seedloop::{assert_sometimes, check::{Check, CheckError}, spawn};
/// use std::{cell::RefCell, rc::Rc};
/// // Does the second task ever run first?
/// let body = || async {
///     let order = Rc::new(RefCell::new(Vec::new()));
///     let (o1, o2) = (order.clone(), order.clone());
///     let a = spawn(async move { o1.borrow_mut().push('a') });
///     let b = spawn(async move { o2.borrow_mut().push('b') });
///     a.await.unwrap();
///     b.await.unwrap();
///     assert_sometimes!(*order.borrow() == ['b', 'a'], "b runs first");
/// };
/// let summary = Check::new().seeds(0..50).run(body);
/// assert!(summary.coverage.assertions[0].held > 0);
///
/// // FIFO alone never exercises it: the sweep fails.
/// let err = Check::new().policy(seedloop::Policy::Fifo).seeds(0..5).try_run(body).unwrap_err();
/// assert!(matches!(err, CheckError::Unexercised(_)));
/// assert!(err.to_string().contains("your sweep never exercised \"b runs first\""));
/// ```
#[macro_export]
macro_rules! assert_sometimes {
    ($cond:expr, $msg:expr $(,)?) => {{
        let cond: bool = $cond;
        $crate::assertions::__probe(
            $crate::check::AssertionKind::Sometimes,
            cond,
            $msg,
            ::core::panic::Location::caller(),
        );
    }};
}

/// Counts that a run got here; a check whose sweep never did fails with
/// "your sweep never exercised msg". Nothing in real mode.
///
/// ```
/// use seedloop::{assert_reachable, check::Check};
/// let summary = Check::new().seeds(0..20).run(|| async {
///     if seedloop::random::chance(0.5) {
///         assert_reachable!("the retry path");
///     }
/// });
/// assert!(summary.coverage.assertions[0].hits > 0);
/// ```
#[macro_export]
macro_rules! assert_reachable {
    ($msg:expr $(,)?) => {{
        $crate::assertions::__probe(
            $crate::check::AssertionKind::Reachable,
            true,
            $msg,
            ::core::panic::Location::caller(),
        );
    }};
}

/// Fails the run that gets here, with the usual report. In real mode (and
/// outside a runtime) a `debug_assert!`.
///
/// # Panics
/// When reached: in sim always, in real mode in debug builds.
///
/// ```
/// use seedloop::{assert_unreachable, Sim};
/// let err = Sim::new(1).run(async {
///     if seedloop::time::Instant::now().as_secs_f64() == 0.0 {
///         assert_unreachable!("time zero");
///     }
/// }).unwrap_err();
/// assert!(err.to_string().contains("assert_unreachable!(time zero) was reached"));
/// ```
#[macro_export]
macro_rules! assert_unreachable {
    ($msg:expr $(,)?) => {{
        if !$crate::assertions::__probe(
            $crate::check::AssertionKind::Unreachable,
            true,
            $msg,
            ::core::panic::Location::caller(),
        ) {
            ::core::debug_assert!(false, "assert_unreachable!({}) was reached", $msg);
        }
    }};
}

/// What the assertion macros expand to: counts the hit in a sim run, and
/// fails the run where an `always` is false or an `unreachable` reached.
/// Returns whether a sim run took it (`false`: real mode or no runtime,
/// where the macro falls back to `debug_assert!`).
///
/// # Panics
/// In a sim run, where the assertion fails.
///
/// ```
/// use seedloop::check::AssertionKind;
/// let here = std::panic::Location::caller();
/// assert!(!seedloop::assertions::__probe(AssertionKind::Sometimes, true, "m", here));
/// ```
#[doc(hidden)]
#[inline]
pub fn __probe(kind: AssertionKind, held: bool, message: &'static str, site: Site) -> bool {
    try_with_core(|core| {
        let Some(probes) = core.probes() else {
            return false;
        };
        let violated = match kind {
            AssertionKind::Always => !held,
            AssertionKind::Unreachable => true,
            AssertionKind::Sometimes | AssertionKind::Reachable => false,
        };
        {
            let mut probes = probes.borrow_mut();
            probes.tally(kind, message, site, held);
            probes.violated |= violated;
        }
        if violated {
            match kind {
                AssertionKind::Unreachable => panic!("assert_unreachable!({message}) was reached"),
                _ => panic!("assert_always!({message}) failed"),
            }
        }
        true
    })
    .unwrap_or(false)
}
