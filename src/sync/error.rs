//! The errors of the synchronization primitives. Each names the problem and
//! the fix.

use std::error::Error;
use std::fmt;

/// Why [`Lock::release`](super::Lock::release) refused.
///
/// ```
/// use seedloop::{Sim, sync::{Lock, LockReleaseError}};
/// Sim::new(1).run(async {
///     let lock = Lock::new(());
///     assert_eq!(lock.release(), Err(LockReleaseError::NotLocked));
///     let guard = lock.lock().await;
///     assert_eq!(lock.release(), Err(LockReleaseError::HeldByGuard));
///     drop(guard);
/// }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockReleaseError {
    /// Nobody holds the lock. asyncio: `RuntimeError('Lock is not acquired.')`.
    NotLocked,
    /// A [`LockGuard`](super::LockGuard) holds the lock; it releases it when dropped.
    HeldByGuard,
}

impl fmt::Display for LockReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockReleaseError::NotLocked => write!(
                f,
                "Lock::release() was called on a lock that is not locked: each release() \
                 must follow an acquire().await"
            ),
            LockReleaseError::HeldByGuard => write!(
                f,
                "Lock::release() was called while a LockGuard holds the lock: drop the guard \
                 (or call guard.release()) instead; release() only ends an acquire().await"
            ),
        }
    }
}

impl Error for LockReleaseError {}

/// [`BoundedSemaphore::release`](super::BoundedSemaphore::release) would have
/// raised the count above its initial value. asyncio: `ValueError`.
///
/// ```
/// use seedloop::sync::BoundedSemaphore;
/// let sem = BoundedSemaphore::new(2);
/// let err = sem.release().unwrap_err();
/// assert_eq!(err.bound, 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyReleases {
    /// The initial value, which the count may not exceed.
    pub bound: usize,
}

impl fmt::Display for TooManyReleases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BoundedSemaphore released too many times: release() would raise it above its \
             initial value of {}; release only permits that were acquired (and forgotten), \
             or use a Semaphore if the count may grow",
            self.bound
        )
    }
}

impl Error for TooManyReleases {}

/// A [`Barrier`](super::Barrier) wait that ended because the barrier was
/// aborted or reset. asyncio: `BrokenBarrierError`.
///
/// ```
/// use seedloop::{Sim, sync::{Barrier, BrokenBarrier}};
/// Sim::new(1).run(async {
///     let barrier = Barrier::new(2).unwrap();
///     barrier.abort();
///     assert_eq!(barrier.wait().await, Err(BrokenBarrier));
/// }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokenBarrier;

impl fmt::Display for BrokenBarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the barrier is broken: it was aborted, or reset while this task waited; \
             call reset() before using it again"
        )
    }
}

impl Error for BrokenBarrier {}

/// `Barrier::new(0)`: a barrier needs at least one party. asyncio: `ValueError`.
///
/// ```
/// use seedloop::sync::{Barrier, ZeroParties};
/// assert_eq!(Barrier::new(0).unwrap_err(), ZeroParties);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZeroParties;

impl fmt::Display for ZeroParties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Barrier::new(0): a barrier needs at least one party; pass the number of tasks \
             that will call wait() together"
        )
    }
}

impl Error for ZeroParties {}
