//! `sleep` and `sleep_until`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use crate::runtime::context::{try_with_core, with_core};
use crate::runtime::timer_heap::TimerKey;

/// Waits until `duration` has passed on the runtime's clock. asyncio: `sleep(d)`.
///
/// The deadline is fixed when `sleep` is called. A zero duration completes
/// at once without yielding; use [`yield_now`](crate::yield_now) for asyncio's
/// `sleep(0)`.
///
/// # Cancel safety
/// Cancel-safe: dropping it removes its timer.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, sleep, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     sleep(Duration::from_secs(3)).await;
///     assert_eq!(Instant::now().as_secs_f64(), 3.0);
/// }).unwrap();
/// ```
#[inline]
pub fn sleep(duration: Duration) -> Sleep {
    let now = with_core("seedloop::sleep", |core| core.now());
    Sleep::new(now + duration)
}

/// Waits until the runtime's clock reaches `deadline`.
///
/// # Cancel safety
/// Cancel-safe.
///
/// # Panics
/// Never on creation; polling it outside a runtime panics.
///
/// ```
/// use seedloop::{Sim, time::{sleep_until, Instant}};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     sleep_until(Instant::ZERO + Duration::from_millis(1500)).await;
///     assert_eq!(Instant::now().to_string(), "1.500000");
/// }).unwrap();
/// ```
#[inline]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    timer: Option<TimerKey>,
}

impl Sleep {
    #[inline]
    fn new(deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            timer: None,
        }
    }

    /// When this sleep ends.
    #[inline]
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline (the timer follows at the next poll).
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel_timer();
        self.deadline = deadline;
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        with_core("seedloop::time::Sleep::is_elapsed", |core| {
            core.now() >= self.deadline
        })
    }

    #[inline]
    fn cancel_timer(&mut self) {
        if let Some(key) = self.timer.take() {
            remove_timer(key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        with_core("seedloop::sleep", |core| {
            if core.now() >= this.deadline {
                if let Some(key) = this.timer.take() {
                    core.remove_timer(key);
                }
                return Poll::Ready(());
            }
            match this.timer {
                Some(key) => this.timer = Some(core.update_timer(key, this.deadline, cx.waker())),
                None => this.timer = Some(core.insert_timer(this.deadline, cx.waker())),
            }
            // Reports learn what the task sleeps until from its timer.
            Poll::Pending
        })
    }
}

/// Out of line: a sleep that never waited (a timeout whose future
/// completed at once) has no timer to remove.
#[inline(never)]
fn remove_timer(key: TimerKey) {
    try_with_core(|core| core.remove_timer(key));
}

impl Drop for Sleep {
    #[inline]
    fn drop(&mut self) {
        self.cancel_timer();
    }
}
