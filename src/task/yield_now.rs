//! Giving the other ready tasks a turn.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Lets every other ready task run before this one goes on. asyncio: `sleep(0)`.
///
/// # Cancel safety
/// Cancel-safe: nothing is lost if it is dropped.
///
/// ```
/// use seedloop::{Sim, Policy, spawn, yield_now};
/// use std::{cell::RefCell, rc::Rc};
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// Sim::new(1).policy(Policy::Fifo).run(async move {
///     let l2 = l.clone();
///     let t = spawn(async move { l2.borrow_mut().push("child") });
///     yield_now().await;
///     l.borrow_mut().push("main");
///     t.await.unwrap();
/// }).unwrap();
/// assert_eq!(*log.borrow(), ["child", "main"]);
/// ```
#[doc(alias = "sleep(0)")]
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Traced as `yield`; outside a runtime, a plain wake.
        if crate::runtime::context::try_with_core(|core| core.wake_yielding(cx.waker())).is_none() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
