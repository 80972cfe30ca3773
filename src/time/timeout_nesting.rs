//! Nested timeouts that expire together: the outermost one wins, as in asyncio.
//!
//! While a [`Timeout`](super::Timeout) polls the future it wraps, it stands
//! on a per-thread stack of *enclosing* timeouts, with its deadline. A
//! timeout that finds its own deadline passed first looks down that stack: if
//! an enclosing timeout's deadline has passed too, the enclosing one is about
//! to report `Elapsed` (it polls its clock after its inner future returns, at
//! the same instant or later), so the inner one steps aside: it returns
//! `Pending` instead of `Elapsed`, and the outermost expired timeout reports.
//!
//! A timeout that steps aside registers no timer (its deadline has passed).
//! It leaves its waker with the timeout that will report instead; when that
//! one completes, after dropping what it wrapped, it wakes every timeout that
//! stepped aside and is still alive (one that was not owned by the future it
//! dropped, and so must be polled again to report). Liveness is a `Weak`
//! to a token the deferring timeout holds.
//!
//! The stack belongs to one task's poll: an eager spawn, which polls another
//! task inside the spawner's poll, runs the child with an empty stack
//! ([`isolated`]).

use std::cell::RefCell;
use std::rc::Weak;
use std::task::Waker;

use super::Instant;

/// A timeout that stepped aside, waiting to be woken if it outlives the
/// future the reporting timeout drops.
pub(super) type Deferred = (Weak<()>, Waker);

struct Enclosing {
    deadline: Instant,
    deferred: Vec<Deferred>,
}

thread_local! {
    static ENCLOSING: RefCell<Vec<Enclosing>> = const { RefCell::new(Vec::new()) };
}

/// A timeout's place on the stack while it polls its inner future. Dropping
/// it (also when the poll unwinds) takes the entry, and any above it, off.
pub(super) struct EnclosingScope {
    depth: usize,
}

impl EnclosingScope {
    /// Puts a timeout with `deadline` on the stack.
    #[inline]
    pub fn enter(deadline: Instant) -> EnclosingScope {
        let depth = ENCLOSING
            .try_with(|s| {
                let mut s = s.borrow_mut();
                s.push(Enclosing {
                    deadline,
                    deferred: Vec::new(),
                });
                s.len() - 1
            })
            .unwrap_or(usize::MAX);
        EnclosingScope { depth }
    }

    /// Leaves the stack, returning the timeouts that stepped aside for this
    /// one. (One access to the thread-local: this is on every timeout's poll.)
    #[inline]
    pub fn exit(mut self) -> Vec<Deferred> {
        let depth = std::mem::replace(&mut self.depth, usize::MAX);
        ENCLOSING
            .try_with(|s| {
                let mut s = s.borrow_mut();
                let deferred = match s.get_mut(depth) {
                    Some(entry) => std::mem::take(&mut entry.deferred),
                    None => Vec::new(),
                };
                s.truncate(depth);
                deferred
            })
            .unwrap_or_default()
    }
}

impl Drop for EnclosingScope {
    fn drop(&mut self) {
        // Only when the poll unwound before `exit`.
        if self.depth != usize::MAX {
            let _ = ENCLOSING.try_with(|s| s.borrow_mut().truncate(self.depth));
        }
    }
}

/// If a timeout enclosing the current one has expired by `now`, hands
/// `deferred` (the current timeout's own entry first, then those that had
/// stepped aside for it) to the outermost such timeout and returns true: the
/// caller steps aside. Returns false, handing nothing, otherwise.
pub(super) fn defer_to_enclosing(now: Instant, deferred: &mut Vec<Deferred>) -> bool {
    ENCLOSING
        .try_with(|s| {
            let mut s = s.borrow_mut();
            match s.iter_mut().find(|e| e.deadline <= now) {
                Some(outermost) => {
                    outermost.deferred.append(deferred);
                    true
                }
                None => false,
            }
        })
        .unwrap_or(false)
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
/// its spawner's poll, must not see the spawner's timeouts); the stack comes
/// back afterwards, also if `f` unwinds.
pub(crate) fn isolated<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Vec<Enclosing>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let saved = std::mem::take(&mut self.0);
            let _ = ENCLOSING.try_with(|s| *s.borrow_mut() = saved);
        }
    }
    let saved = ENCLOSING
        .try_with(|s| std::mem::take(&mut *s.borrow_mut()))
        .unwrap_or_default();
    let _restore = Restore(saved);
    f()
}
