//! `shield`: keep work running when whoever waits for it goes away.
//! asyncio: `shield(aw)`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::{JoinError, Task};
use crate::runtime::blocker::{Blocker, WaitOn};
use crate::runtime::context::{try_with_core, with_core};
use crate::runtime::ids::TaskId;
use crate::sync::object::ObjectName;

/// What a task blocked on a shield waits for, for deadlock reports.
struct Shielding {
    label: Rc<str>,
    inner: TaskId,
}

impl Blocker for Shielding {
    fn describe(&self, name: &dyn Fn(TaskId) -> String) -> String {
        format!("{} (shielding {})", self.label, name(self.inner))
    }

    fn holders(&self) -> Vec<TaskId> {
        vec![self.inner]
    }
}

/// Runs `fut` as its own task, at once, and waits for it; if the waiter is
/// cancelled or dropped (a timeout around it fires, its task is cancelled),
/// the inner task runs on to its end, detached. asyncio: `shield(aw)`.
///
/// Gives `Ok(output)`, or the inner task's [`JoinError`]: if the inner task
/// is cancelled (through [`Shield::inner`], or by the end of the run) or
/// panics, the waiter sees it, as in asyncio.
///
/// A shielded task that outlives its waiter still ends with the run: like
/// every task, it is cancelled if `Sim::run`'s main future returns first.
///
/// # Cancel safety
/// That is its purpose: dropping the `Shield` does not cancel the work.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, sleep, timeout, task::shield, time::Instant};
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// let saved = Rc::new(Cell::new(None));
/// let s = saved.clone();
/// Sim::new(1).run(async move {
///     let save = async move { sleep(Duration::from_secs(10)).await; s.set(Some(Instant::now())) };
///     // The waiter gives up at 5 s; the save goes on.
///     assert!(timeout(Duration::from_secs(5), shield(save)).await.is_err());
///     sleep(Duration::from_secs(60)).await;
/// }).unwrap();
/// assert_eq!(saved.get().unwrap().as_secs_f64(), 10.0);
/// ```
pub fn shield<F>(fut: F) -> Shield<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let task = with_core("seedloop::task::shield", |core| {
        Task::spawn_on(core, None, fut)
    });
    let label = ObjectName::new("Shield");
    let inner = task.id();
    label.record("start", |out| out.push_str(&inner.to_string()));
    Shield {
        blocker: Rc::new(Shielding {
            label: label.name(),
            inner,
        }),
        label,
        task: Some(task),
    }
}

/// The future returned by [`shield`].
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T> {
    label: ObjectName,
    blocker: Rc<Shielding>,
    /// `None` once the output was returned.
    task: Option<Task<T>>,
}

impl<T> Shield<T> {
    /// The shielded task, to watch or cancel it. Cancelling it is how the
    /// shield's own waiter gets `Err(JoinError::Cancelled)`.
    ///
    /// # Panics
    /// After the shield returned its output.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::shield};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let s = shield(sleep(Duration::from_secs(10)));
    ///     s.inner().cancel_with("no longer needed");
    ///     assert_eq!(s.await.unwrap_err().cancel_reason(), Some("no longer needed"));
    /// }).unwrap();
    /// ```
    pub fn inner(&self) -> &Task<T> {
        self.task
            .as_ref()
            .expect("Shield::inner was called after the shield returned its output")
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let task = this
            .task
            .as_mut()
            .expect("a Shield was polled after it completed");
        if task.poll_end(cx).is_pending() {
            // Noted as the shield (not as the bare task) in deadlock reports.
            let blocker: Rc<dyn Blocker> = this.blocker.clone();
            try_with_core(|core| core.note_wait(WaitOn::Object(blocker)));
            return Poll::Pending;
        }
        let out = Pin::new(task).poll(cx);
        if out.is_ready() {
            this.task = None;
        }
        out
    }
}

impl<T> Drop for Shield<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            if !task.is_finished() {
                let id = task.id();
                self.label
                    .record("detach", |out| out.push_str(&id.to_string()));
                task.detach();
            }
        }
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield")
            .field("name", &self.label.name())
            .field("inner", &self.blocker.inner)
            .finish()
    }
}
