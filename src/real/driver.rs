//! The real-mode driver: the monotonic clock and the mio reactor, behind the
//! core's [`Driver`] contract (see `src/runtime/driver.rs`).
//!
//! - `now()`: nanoseconds since this run began, from `std::time::Instant`.
//! - `park(deadline)`: blocks in `mio::Poll::poll` until the deadline (mio
//!   rounds a timeout up to the next millisecond, so the loop never wakes
//!   early and never spins), an I/O event, or a wake from another thread.
//!   It never reports `Stuck` for want of work: another thread may hold a
//!   waker, so real mode waits, as asyncio and tokio do. Only a failing
//!   poller makes it give up, with `Park::Failed`.
//! - `between_turns()`: every [`POLL_EVERY_TURNS`] turns without a park, takes
//!   in ready I/O without blocking, so busy tasks cannot starve the sockets.
//! - `block_for(d)`: really blocks the thread.
//! - `notify()`: writes to the poller's `mio::Waker`.

use std::cell::Cell;

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::os::reactor::Reactor;
use crate::runtime::driver::{Driver, Park};
use crate::time::Instant;

/// How many turns may pass without looking at I/O while tasks keep the loop
/// busy.
pub(crate) const POLL_EVERY_TURNS: u32 = 32;

/// The driver of one real-mode run.
pub(crate) struct RealDriver {
    started: std::time::Instant,
    reactor: Rc<Reactor>,
    turns_since_poll: Cell<u32>,
}

impl RealDriver {
    pub fn new(reactor: Rc<Reactor>) -> RealDriver {
        RealDriver {
            started: std::time::Instant::now(),
            reactor,
            turns_since_poll: Cell::new(0),
        }
    }
}

impl Driver for RealDriver {
    fn now(&self) -> Instant {
        let nanos = self.started.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    fn park(&self, deadline: Option<Instant>, outside_pending: bool) -> Park {
        self.turns_since_poll.set(0);
        let timeout = if outside_pending {
            Some(Duration::ZERO)
        } else {
            deadline.map(|d| d.saturating_duration_since(self.now()))
        };
        match self.reactor.poll_events(timeout) {
            Ok(()) => Park::Resumed,
            Err(e) => Park::Failed(e),
        }
    }

    fn block_for(&self, d: Duration) {
        std::thread::sleep(d);
    }

    fn between_turns(&self) {
        let turns = self.turns_since_poll.get() + 1;
        if turns < POLL_EVERY_TURNS {
            self.turns_since_poll.set(turns);
            return;
        }
        self.turns_since_poll.set(0);
        if let Err(e) = self.reactor.poll_events(Some(Duration::ZERO)) {
            // Reported by the next park, which will fail the same way.
            drop(e);
        }
    }

    fn notifier(&self) -> Option<Arc<dyn Fn() + Send + Sync>> {
        Some(self.reactor.notifier())
    }
}
