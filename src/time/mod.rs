//! Time: the runtime's clock, sleeping, timeouts.
//!
//! In sim the clock is virtual: it starts at 0 and jumps to the next timer
//! when nothing is ready, so an hour of sleeping takes microseconds. In real
//! mode it is the monotonic clock. Use these instead of `std::time::Instant`
//! and `std::thread::sleep` in code that runs under seedloop.

mod instant;
mod sleep;
mod timeout;
mod timeout_handle;
pub(crate) mod timeout_nesting;

pub use instant::Instant;
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
pub use timeout_handle::{timeout_scope, TimeoutHandle};

use std::time::Duration;

use crate::runtime::context::with_core;

/// Holds the loop for `d` without yielding, as CPU-bound work does: no other
/// task runs meanwhile. In sim the virtual clock moves forward by `d`; in real
/// mode the thread is blocked for `d`.
///
/// Use it to model the cost of computation and to show what blocking the
/// event loop does to everyone else.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, time::{block_for, Instant}};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     block_for(Duration::from_millis(250));
///     assert_eq!(Instant::now().as_secs_f64(), 0.25);
/// }).unwrap();
/// ```
pub fn block_for(d: Duration) {
    with_core("seedloop::time::block_for", |core| core.block_for(d));
}
