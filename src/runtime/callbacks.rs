//! `call_soon`, `call_later`, `call_at`: plain callbacks run by the loop.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::context::{try_with_core, with_core};
use super::timer_heap::TimerKey;
use crate::time::Instant;

/// A registered callback, shared by the loop and the user's handle.
pub(crate) struct CallbackCell {
    pub id: u64,
    pub f: RefCell<Option<Box<dyn FnOnce()>>>,
    pub cancelled: Cell<bool>,
    pub when: Option<Instant>,
    pub timer: Cell<Option<TimerKey>>,
    /// The task-local values it runs with: those current when it was scheduled.
    pub locals: Cell<super::raw_task::Locals>,
    /// The host whose code scheduled it: it runs as that host's code.
    pub host: super::hosts::HostNumber,
    /// The host's epoch then: after the host's tasks are cancelled (a
    /// crash) it no longer runs.
    pub host_epoch: u32,
}

impl CallbackCell {
    fn cancel(self: &Rc<Self>) {
        if self.cancelled.replace(true) {
            return;
        }
        let f = self.f.borrow_mut().take();
        try_with_core(|core| core.forget_callback(self));
        drop(f);
    }
}

/// A callback scheduled by [`call_soon`]. asyncio: `Handle`. (The runtime
/// itself is [`RuntimeHandle`](crate::runtime::RuntimeHandle).)
///
/// ```
/// use seedloop::{Sim, call_soon, yield_now};
/// Sim::new(1).run(async {
///     let h = call_soon(|| unreachable!("cancelled before it ran"));
///     h.cancel();
///     assert!(h.is_cancelled());
///     yield_now().await;
/// }).unwrap();
/// ```
#[derive(Clone)]
pub struct Handle {
    cell: Rc<CallbackCell>,
}

impl Handle {
    /// Stops the callback from running, if it has not run yet.
    /// Calling it again, or after the callback ran, does nothing.
    pub fn cancel(&self) {
        self.cell.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.cell.cancelled.get()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.cell.id)
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// A callback scheduled by [`call_later`] or [`call_at`]. asyncio: `TimerHandle`.
///
/// ```
/// use seedloop::{Sim, call_later, sleep};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let h = call_later(Duration::from_secs(2), || println!("two seconds in"));
///     assert_eq!(h.when().as_secs_f64(), 2.0);
///     sleep(Duration::from_secs(3)).await;
/// }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct TimerHandle {
    handle: Handle,
}

impl TimerHandle {
    /// Stops the callback from running, if it has not run yet.
    pub fn cancel(&self) {
        self.handle.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.handle.is_cancelled()
    }

    /// When the callback is due.
    pub fn when(&self) -> Instant {
        self.handle
            .cell
            .when
            .expect("timer callbacks have a deadline")
    }
}

/// Runs `f` on the loop in its next turn, after everything already ready.
/// Callbacks run in the order they were registered, under every policy.
///
/// # Panics
/// Outside a runtime. A panic inside `f` fails the run (sim) like a task's.
///
/// ```
/// use seedloop::{Sim, call_soon, yield_now};
/// use std::{cell::Cell, rc::Rc};
/// let ran = Rc::new(Cell::new(false));
/// let r = ran.clone();
/// Sim::new(1).run(async move {
///     call_soon(move || r.set(true));
///     yield_now().await;
/// }).unwrap();
/// assert!(ran.get());
/// ```
pub fn call_soon(f: impl FnOnce() + 'static) -> Handle {
    with_core("seedloop::call_soon", |core| Handle {
        cell: core.schedule_callback(Box::new(f), None),
    })
}

/// Runs `f` on the loop once `delay` has passed.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, call_later, sleep, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     call_later(Duration::from_millis(200), || assert_eq!(Instant::now().as_secs_f64(), 0.2));
///     sleep(Duration::from_secs(1)).await;
/// }).unwrap();
/// ```
pub fn call_later(delay: Duration, f: impl FnOnce() + 'static) -> TimerHandle {
    with_core("seedloop::call_later", |core| {
        let when = core.now() + delay;
        TimerHandle {
            handle: Handle {
                cell: core.schedule_callback(Box::new(f), Some(when)),
            },
        }
    })
}

/// Runs `f` on the loop at `when` (at once, in the next turn, if it is past).
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, call_at, sleep, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let h = call_at(Instant::now() + Duration::from_secs(5), || {});
///     assert_eq!(h.when().as_secs_f64(), 5.0);
///     sleep(Duration::from_secs(6)).await;
/// }).unwrap();
/// ```
pub fn call_at(when: Instant, f: impl FnOnce() + 'static) -> TimerHandle {
    with_core("seedloop::call_at", |core| TimerHandle {
        handle: Handle {
            cell: core.schedule_callback(Box::new(f), Some(when)),
        },
    })
}
