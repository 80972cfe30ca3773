//! The driver contract: what the executor needs from the world it runs in.
//!
//! The executor core never asks which driver it has. Every driver provides:
//!
//! - `now()`: the current instant, monotonic, never going back.
//! - `park(deadline)`: called only when nothing is ready. Wait until
//!   `deadline` (the next timer) or until something outside the loop makes a
//!   task ready (I/O, a waker fired from another thread), then return
//!   [`Park::Resumed`]. With no deadline and nothing that could ever wake the
//!   loop, return [`Park::Stuck`] instead of hanging.
//! - `block_for(d)`: hold the loop for `d`, as CPU-bound work would.
//! - `between_turns()`: called at the start of every turn. A driver may take
//!   in outside events that are ready now, without blocking, so a loop that
//!   is never idle (and so never parks) still sees its I/O.
//! - `notify()`: callable from any thread; makes a `park` in progress return.
//!   A driver that can block hands it out through `notifier()`; the core
//!   installs it on its [`RemoteInbox`](super::waker::RemoteInbox), so a
//!   task woken from another thread is polled promptly.
//! - A driver that can fail (the OS poller) ends `park` with
//!   [`Park::Failed`]; the run then ends with that error as its own outcome.
//!
//! Two drivers meet this contract: [`VirtualClock`] (sim) here, and the mio
//! reactor of real mode (`src/real/driver.rs`). Mode-specific services (the
//! reactor sockets register with, the blocking pool) are not reached through
//! the driver but given to the core as typed [`Services`](super::Services).

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::time::Instant;

/// How a `park` ended.
#[derive(Debug)]
pub(crate) enum Park {
    /// Time moved on or an outside event arrived: run another turn.
    Resumed,
    /// Nothing can ever wake the loop again.
    Stuck,
    /// The driver itself failed (the OS poller); the run cannot go on.
    Failed(io::Error),
}

/// See the module docs for the contract every driver meets.
pub(crate) trait Driver {
    fn now(&self) -> Instant;
    fn park(&self, deadline: Option<Instant>, outside_pending: bool) -> Park;
    fn block_for(&self, d: Duration);
    /// Called at the start of every turn; never blocks.
    fn between_turns(&self) {}
    /// `notify()`: what another thread calls to make a `park` in progress
    /// return. `None` for a driver that never blocks.
    fn notifier(&self) -> Option<Arc<dyn Fn() + Send + Sync>> {
        None
    }
    /// The cell that holds `now()`, for a driver whose clock is a plain
    /// number (sim): the core reads it directly where it reads the clock
    /// often (the trace recorder), instead of calling `now()` through the
    /// vtable. `None` for a clock that must be asked (real time).
    fn clock_cell(&self) -> Option<Rc<Cell<Instant>>> {
        None
    }
}

/// The sim driver: time is a number that jumps to the next deadline.
#[derive(Debug, Default)]
pub(crate) struct VirtualClock {
    /// Shared with the core's recorder (`clock_cell`), which only reads it.
    now: Rc<Cell<Instant>>,
}

impl Driver for VirtualClock {
    fn now(&self) -> Instant {
        self.now.get()
    }

    fn park(&self, deadline: Option<Instant>, outside_pending: bool) -> Park {
        match deadline {
            _ if outside_pending => Park::Resumed,
            Some(d) => {
                if d > self.now.get() {
                    self.now.set(d);
                }
                Park::Resumed
            }
            None => Park::Stuck,
        }
    }

    fn block_for(&self, d: Duration) {
        self.now.set(self.now.get() + d);
    }

    fn clock_cell(&self) -> Option<Rc<Cell<Instant>>> {
        Some(Rc::clone(&self.now))
    }
}
