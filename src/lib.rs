//! # seedloop
//!
//! An async runtime for reproducing concurrency bugs. In **sim** mode one
//! `u64` seed decides every race (which ready task runs next, timer ties,
//! simulated latencies, faults) on a virtual clock: the same seed gives the
//! same run, event for event, on any machine, an hour of sleep takes
//! microseconds, and a deadlock is a report rather than a hang.
//!
//! Its concepts are Python asyncio's, written as Rust: tasks, `sleep`,
//! `timeout` (`wait_for`), `call_soon`/`call_later`/`call_at`. Search these
//! docs by asyncio name: the items carry them as aliases.
//!
//! ```
//! use seedloop::{Sim, Policy, spawn, sleep, time::Instant};
//! use std::time::Duration;
//!
//! let mut sim = Sim::new(42);
//! let winner = sim.run(async {
//!     let a = spawn(async { sleep(Duration::from_millis(5)).await; "a" });
//!     let b = spawn(async { sleep(Duration::from_millis(5)).await; "b" });
//!     // Both wake at 5 ms: the seed decides who runs first.
//!     let (a, b) = (a.await.unwrap(), b.await.unwrap());
//!     (a, b, Instant::now())
//! }).unwrap();
//! println!("{}", sim.trace().render());
//! println!("replay with Sim::replay({:?})", sim.schedule().to_string());
//! # let _ = winner;
//! ```
//!
//! The guide lives in `docs/`: quick start, determinism rules, replay,
//! architecture.

#![warn(missing_docs)]
#![deny(unsafe_code)] // two audited exceptions: runtime/waker.rs, runtime/raw_task.rs

pub mod assertions;
pub mod buggify;
pub mod check;
pub mod net;
mod os;
pub mod queue;
pub mod random;
pub mod real;
pub mod runtime;
pub mod sim;
mod slab;
pub mod sync;
pub mod task;
pub mod time;
pub mod trace;

pub use random::random;
pub use real::{run, Runtime};
pub use runtime::callbacks::{call_at, call_later, call_soon, Handle, TimerHandle};
pub use sim::{Policy, Schedule, Sim, SimError};
pub use task::{
    as_completed, gather, shield, spawn, try_gather, wait, yield_now, JoinError, Promise,
    ReturnWhen, Task, TaskGroup, TaskId,
};
pub use task::{to_thread, to_thread_for};
pub use time::{sleep, timeout};

/// Runs an `async fn` test under many schedules; see [`check::Check`].
pub use seedloop_macros::test;

/// The guide's pages and the README, compiled and run as doctests: every
/// `rust` block in them is code that works (`cargo test --doc`).
#[cfg(doctest)]
mod guide {
    #[doc = include_str!("../README.md")]
    struct Readme;
    #[doc = include_str!("../docs/quickstart.md")]
    struct Quickstart;
    #[doc = include_str!("../docs/asyncio.md")]
    struct Asyncio;
    #[doc = include_str!("../docs/determinism.md")]
    struct Determinism;
    #[doc = include_str!("../docs/replay.md")]
    struct Replay;
    #[doc = include_str!("../docs/structured-concurrency.md")]
    struct StructuredConcurrency;
    #[doc = include_str!("../docs/sync.md")]
    struct Sync;
    #[doc = include_str!("../docs/queues.md")]
    struct Queues;
    #[doc = include_str!("../docs/exploring.md")]
    struct Exploring;
    #[doc = include_str!("../docs/real-mode.md")]
    struct RealMode;
    #[doc = include_str!("../docs/network.md")]
    struct Network;
    #[doc = include_str!("../docs/bugs.md")]
    struct Bugs;
    #[doc = include_str!("../docs/architecture.md")]
    struct Architecture;
}
