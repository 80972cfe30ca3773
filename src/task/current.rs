//! The running task's own handle: a task can cancel itself.
//! asyncio: `asyncio.current_task()`, then `.cancel()`.

use std::fmt;
use std::rc::Rc;

use super::join::{request_cancel, withdraw_cancel};
use crate::runtime::context::with_core;
use crate::runtime::ids::TaskId;
use crate::runtime::raw_task::RawTask;

/// A handle to a running task that can watch and cancel it but not take its
/// output. Cheap to clone; dropping it does nothing (unlike dropping a
/// [`Task`](crate::Task), which cancels). Get one for the running task with
/// [`current_handle`].
///
/// ```
/// use seedloop::{Sim, spawn, sleep, task};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let t = spawn(async {
///         let me = task::current_handle().unwrap();
///         assert_eq!(me.name(), None);
///         me.cancel();
///         sleep(Duration::from_secs(1)).await; // the cancel takes effect here
///         unreachable!();
///     });
///     assert!(t.await.unwrap_err().is_cancelled());
/// }).unwrap();
/// ```
#[derive(Clone)]
pub struct TaskHandle {
    raw: Rc<dyn RawTask>,
}

impl TaskHandle {
    /// The task's id.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, task};
    /// Sim::new(1).run(async {
    ///     let t = spawn(async { task::current_handle().unwrap().id() });
    ///     let id = t.id();
    ///     assert_eq!(t.await.unwrap(), id);
    /// }).unwrap();
    /// ```
    pub fn id(&self) -> TaskId {
        self.raw.header().id
    }

    /// The task's name, if it was spawned with one. asyncio: `get_name()`.
    ///
    /// ```
    /// use seedloop::{Sim, task};
    /// Sim::new(1).run(async {
    ///     let t = task::Builder::new().name("worker").spawn(async {
    ///         task::current_handle().unwrap().name().map(String::from)
    ///     });
    ///     assert_eq!(t.await.unwrap().as_deref(), Some("worker"));
    /// }).unwrap();
    /// ```
    #[doc(alias = "get_name")]
    pub fn name(&self) -> Option<&str> {
        self.raw.header().name().map(|n| &**n)
    }

    /// Asks the task to stop, exactly as [`Task::cancel`](crate::Task::cancel)
    /// does: recorded in the trace, effective at the task's next scheduling
    /// point. A task that cancels itself runs on until it next suspends (its
    /// next `.await` that does not complete at once); its future is dropped
    /// there, its destructors run, and its awaiter gets
    /// `Err(JoinError::Cancelled)`. If it finishes without suspending, its
    /// output is kept.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now, task, JoinError};
    /// Sim::new(1).run(async {
    ///     let t = spawn(async {
    ///         task::current_handle().unwrap().cancel();
    ///         yield_now().await;
    ///         unreachable!("cancelled at the yield");
    ///     });
    ///     assert_eq!(t.await, Err(JoinError::Cancelled));
    /// }).unwrap();
    /// ```
    #[doc(alias = "abort")]
    pub fn cancel(&self) {
        request_cancel(self.raw.header(), None);
    }

    /// Like [`cancel`](TaskHandle::cancel), with a reason: see
    /// [`Task::cancel_with`](crate::Task::cancel_with). asyncio: `cancel(msg)`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now, task};
    /// Sim::new(1).run(async {
    ///     let t = spawn(async {
    ///         task::current_handle().unwrap().cancel_with("nothing left to do");
    ///         yield_now().await;
    ///     });
    ///     assert_eq!(t.await.unwrap_err().cancel_reason(), Some("nothing left to do"));
    /// }).unwrap();
    /// ```
    pub fn cancel_with(&self, reason: impl Into<String>) {
        request_cancel(self.raw.header(), Some(reason.into()));
    }

    /// How many cancel requests are pending. asyncio: `cancelling()`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, task};
    /// Sim::new(1).run(async {
    ///     spawn(async {
    ///         let me = task::current_handle().unwrap();
    ///         assert_eq!(me.cancelling(), 0);
    ///         me.cancel();
    ///         assert_eq!(me.cancelling(), 1);
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    pub fn cancelling(&self) -> u32 {
        self.raw.header().cancel_count()
    }

    /// Withdraws one pending cancel request, as
    /// [`Task::uncancel`](crate::Task::uncancel) does; returns how many remain.
    /// asyncio: `uncancel()`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now, task};
    /// Sim::new(1).run(async {
    ///     let t = spawn(async {
    ///         let me = task::current_handle().unwrap();
    ///         me.cancel();
    ///         assert_eq!(me.uncancel(), 0); // changed its mind
    ///         yield_now().await;
    ///         "still here"
    ///     });
    ///     assert_eq!(t.await, Ok("still here"));
    /// }).unwrap();
    /// ```
    pub fn uncancel(&self) -> u32 {
        withdraw_cancel(self.raw.header())
    }

    /// Whether the task has ended. asyncio: `done()`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, task};
    /// use std::{cell::RefCell, rc::Rc};
    /// Sim::new(1).run(async {
    ///     let slot = Rc::new(RefCell::new(None));
    ///     let s = slot.clone();
    ///     let t = spawn(async move { *s.borrow_mut() = task::current_handle() });
    ///     t.await.unwrap();
    ///     assert!(slot.borrow().as_ref().unwrap().is_finished());
    /// }).unwrap();
    /// ```
    #[doc(alias = "done")]
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.get().is_final()
    }
}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// A handle to the running task, so that it can cancel itself: asyncio's
/// `asyncio.current_task().cancel()`. `None` in the main task (the future
/// given to `run` is the run itself: return from it, or make it end with a
/// value, to stop) and when the loop runs a callback.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, task, JoinError};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     assert!(task::current_handle().is_none(), "main has no handle");
///     let t = spawn(async {
///         let me = task::current_handle().expect("a spawned task");
///         me.cancel();
///         sleep(Duration::from_secs(1)).await;
///     });
///     assert_eq!(t.await, Err(JoinError::Cancelled));
/// }).unwrap();
/// ```
#[doc(alias = "current_task")]
pub fn current_handle() -> Option<TaskHandle> {
    with_core("seedloop::task::current_handle", |core| {
        core.current_raw_task().map(|raw| TaskHandle { raw })
    })
}
