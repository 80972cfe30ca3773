//! Synchronization primitives: asyncio's `Lock`, `Event`, `Condition`,
//! `Semaphore`, `BoundedSemaphore` and `Barrier`, as Rust.
//!
//! All of them are built on one FIFO wait list, which gives them three
//! properties:
//!
//! - **Fair**: waiters are served in the order they started waiting. What a
//!   waiter waited for (the lock, a permit, a notification) is handed to it
//!   directly, so a newcomer never overtakes it (no barging).
//! - **Cancel-correct**: a waiter that is cancelled (its future dropped)
//!   leaves the list; if it had already been handed the lock, a permit or a
//!   notification, it hands it on to the next waiter. Nothing is lost.
//! - **Observable**: each records its steps in the trace (`Lock#3 acquire`,
//!   `Lock#3 wait held by writer`, …), and a task blocked on one tells the
//!   deadlock report what it waits on (`Lock#3 held by "writer" since
//!   1.250000`), including lock cycles.
//!
//! Every type is a cheap handle (`Clone` shares the same primitive), and
//! none of them needs a runtime to be created. See `docs/sync.md` for the
//! differences from asyncio.
//!
//! ```
//! use seedloop::{Sim, spawn, sync::{Event, Lock}};
//! Sim::new(1).run(async {
//!     let go = Event::new();
//!     let total = Lock::new(0);
//!     let (g, t) = (go.clone(), total.clone());
//!     let worker = spawn(async move {
//!         g.wait().await;
//!         *t.lock().await += 1;
//!     });
//!     go.set();
//!     worker.await.unwrap();
//!     assert_eq!(*total.lock().await, 1);
//! }).unwrap();
//! ```

mod barrier;
mod condition;
mod error;
mod event;
mod lock;
pub(crate) mod object;
mod semaphore;
pub(crate) mod wait_list;

pub use barrier::{Barrier, BarrierWait};
pub use condition::{Condition, ConditionWait};
pub use error::{BrokenBarrier, LockReleaseError, TooManyReleases, ZeroParties};
pub use event::{Event, EventWait};
pub use lock::{Lock, LockAcquire, LockFuture, LockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreAcquire, SemaphorePermit};
