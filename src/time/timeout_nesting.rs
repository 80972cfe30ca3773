//! Nested timeouts that expire together: the outermost one wins, as in asyncio.
//!
//! While a [`Timeout`](super::Timeout) polls the future it wraps, the
//! earliest deadline among the timeouts enclosing that poll is kept in a
//! per-thread cell. A timeout that finds its own deadline passed first looks
//! at it: if an enclosing timeout's deadline has passed too, the enclosing
//! one is about to report `Elapsed` (it polls its clock after its inner
//! future returns, at the same instant or later), so the inner one steps
//! aside: it returns `Pending` instead of `Elapsed`. Every expired level does
//! the same, and the outermost expired timeout reports.
//!
//! A timeout that steps aside registers no timer (its deadline has passed).
//! It leaves its waker on a per-thread list; the enclosing timeout takes the
//! entries left during its inner poll and, when it completes (after dropping
//! what it wrapped), wakes those still alive: one that was not owned by the
//! future it dropped must be polled again to report. (An enclosing timeout
//! that steps aside itself passes them on.) Liveness is a `Weak` to a token
//! the deferring timeout holds.
//!
//! The hot path, a poll with nothing expired, is two reads and two writes of
//! plain thread-local cells; the list is touched only when a timeout steps
//! aside. The state belongs to one task's poll: an eager spawn, which polls
//! another task inside the spawner's poll, runs the child with no enclosing
//! timeouts ([`isolated`]).

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::rc::Weak;
use std::task::Waker;

use super::Instant;

/// A timeout that stepped aside, waiting to be woken if it outlives the
/// future the reporting timeout drops.
pub(super) type Deferred = (Weak<()>, Waker);

/// No enclosing timeout.
const NONE: u64 = u64::MAX;

thread_local! {
    /// The earliest deadline (in nanoseconds) of the timeouts enclosing the
    /// poll in progress, or `NONE`.
    static ENCLOSING_MIN: Cell<u64> = const { Cell::new(NONE) };
    /// How many entries `STEPPED_ASIDE` holds (read on every poll without
    /// touching the list itself).
    static STEPPED_ASIDE_LEN: Cell<usize> = const { Cell::new(0) };
    /// Timeouts that stepped aside, innermost last.
    static STEPPED_ASIDE: RefCell<Vec<Deferred>> = const { RefCell::new(Vec::new()) };
}

/// A timeout's part of the per-thread state while it polls its inner future.
/// Dropping it without [`exit`](EnclosingScope::exit) (the poll unwound)
/// puts the state back as it was before [`enter`](EnclosingScope::enter).
pub(super) struct EnclosingScope {
    saved_min: u64,
    mark: usize,
}

impl EnclosingScope {
    /// Encloses what is polled next in a timeout with `deadline`.
    #[inline]
    pub fn enter(deadline: Instant) -> EnclosingScope {
        let saved_min = ENCLOSING_MIN
            .try_with(|m| m.replace(m.get().min(deadline.as_nanos())))
            .unwrap_or(NONE);
        let mark = STEPPED_ASIDE_LEN.try_with(Cell::get).unwrap_or(0);
        EnclosingScope { saved_min, mark }
    }

    /// Leaves, returning the timeouts that stepped aside for this one.
    #[inline]
    pub fn exit(self) -> Vec<Deferred> {
        // Not dropped: the drop is the unwinding path.
        let EnclosingScope { saved_min, mark } = *ManuallyDrop::new(self);
        let _ = ENCLOSING_MIN.try_with(|m| m.set(saved_min));
        let len = STEPPED_ASIDE_LEN.try_with(Cell::get).unwrap_or(0);
        if len > mark {
            take_above(mark)
        } else {
            Vec::new()
        }
    }
}

impl Drop for EnclosingScope {
    fn drop(&mut self) {
        let _ = ENCLOSING_MIN.try_with(|m| m.set(self.saved_min));
        drop(take_above(self.mark));
    }
}

/// Takes the entries above `mark` off the list.
#[cold]
fn take_above(mark: usize) -> Vec<Deferred> {
    let taken = STEPPED_ASIDE
        .try_with(|s| {
            let mut s = s.borrow_mut();
            let mark = mark.min(s.len());
            s.split_off(mark)
        })
        .unwrap_or_default();
    let _ = STEPPED_ASIDE_LEN.try_with(|n| n.set(mark));
    taken
}

/// If a timeout enclosing the current one has expired by `now`, leaves
/// `deferred` (the current timeout's own entry first, then those that had
/// stepped aside for it) for the enclosing ones and returns true: the
/// caller steps aside. Returns false, leaving nothing, otherwise. Called
/// after the current timeout's own [`EnclosingScope::exit`].
pub(super) fn defer_to_enclosing(now: Instant, deferred: &mut Vec<Deferred>) -> bool {
    let enclosing_expired = ENCLOSING_MIN
        .try_with(|m| m.get() <= now.as_nanos())
        .unwrap_or(false);
    if !enclosing_expired {
        return false;
    }
    let _ = STEPPED_ASIDE.try_with(|s| {
        let mut s = s.borrow_mut();
        s.append(deferred);
        let len = s.len();
        let _ = STEPPED_ASIDE_LEN.try_with(|n| n.set(len));
    });
    true
}

/// Wakes the timeouts in `deferred` that are still alive.
pub(super) fn wake_survivors(deferred: Vec<Deferred>) {
    for (token, waker) in deferred {
        if token.upgrade().is_some() {
            waker.wake();
        }
    }
}

/// Runs `f` with no enclosing timeouts (an eager task's first poll, inside
/// its spawner's poll, must not see the spawner's timeouts); the state comes
/// back afterwards, also if `f` unwinds.
pub(crate) fn isolated<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = ENCLOSING_MIN.try_with(|m| m.set(self.0));
        }
    }
    let saved = ENCLOSING_MIN.try_with(|m| m.replace(NONE)).unwrap_or(NONE);
    let _restore = Restore(saved);
    f()
}
