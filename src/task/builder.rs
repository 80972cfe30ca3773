//! Configuring a task before spawning it: its name, whether it starts
//! eagerly, and whether a check may cancel it at an await of its choosing.

use std::future::Future;
use std::panic::Location;
use std::rc::Rc;

use super::Task;
use crate::runtime::context::with_core;

/// Configures a task before it is spawned. asyncio: `create_task(coro, name=...)`,
/// and `eager_start=` / the `eager_task_factory`.
///
/// ```
/// use seedloop::{Sim, task::Builder};
/// Sim::new(1).run(async {
///     let t = Builder::new().name("writer").spawn(async {});
///     assert_eq!(t.name(), Some("writer"));
///     t.await.unwrap();
/// }).unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    name: Option<Rc<str>>,
    eager: bool,
    cancellable_by_check: bool,
}

impl Builder {
    /// A builder with no name set.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task; the name appears in traces and reports.
    pub fn name(mut self, name: impl AsRef<str>) -> Builder {
        self.name = Some(name.as_ref().into());
        self
    }

    /// Whether the task starts eagerly: polled at once, inside `spawn`,
    /// until it first suspends (see [`spawn_eager`](super::spawn_eager)).
    /// Off by default. asyncio: `eager_task_factory` (3.12), `eager_start=True`.
    ///
    /// ```
    /// use seedloop::{Sim, task::Builder};
    /// Sim::new(1).run(async {
    ///     let t = Builder::new().name("quick").eager(true).spawn(async { 5 });
    ///     assert!(t.is_finished(), "it ran to its end inside spawn");
    ///     assert_eq!(t.await, Ok(5));
    /// }).unwrap();
    /// ```
    #[doc(alias = "eager_task_factory")]
    #[doc(alias = "eager_start")]
    pub fn eager(mut self, eager: bool) -> Builder {
        self.eager = eager;
        self
    }

    /// Marks the task as one a check may cancel: under
    /// [`Check::inject_cancels`](crate::check::Check::inject_cancels) (or
    /// [`Sim::inject_cancels`](crate::Sim::inject_cancels)) the run chooses,
    /// when the task is spawned, whether to cancel it and at which of its
    /// first N awaits (a [`ChoiceKind::Cancel`](crate::sim::ChoiceKind)
    /// choice: replayed, shrunk toward "never", enumerated by exhaustive
    /// search). The cancel is an ordinary one, as if another task called
    /// [`Task::cancel`](crate::Task::cancel) while this one waited there:
    /// the future is dropped at the task's next scheduling point and
    /// awaiting it gives `Err(JoinError::Cancelled)`. Without the option
    /// the mark does nothing (no choice, no cancel). Off by default. See
    /// `docs/exploring.md`, "Cancellation at the worst moment".
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::Builder, JoinError};
    /// use std::time::Duration;
    /// // Option 1: cancelled at its first await (the sleep).
    /// let mut sim = Sim::guided(0, vec![1]).inject_cancels(true);
    /// let out = sim.run(async {
    ///     let t = Builder::new().cancellable_by_check(true).spawn(async {
    ///         sleep(Duration::from_secs(1)).await;
    ///         "woke up"
    ///     });
    ///     t.await
    /// }).unwrap();
    /// assert_eq!(out, Err(JoinError::Cancelled));
    /// assert!(sim.trace().render().contains("cancelled by check at await 1"));
    /// ```
    pub fn cancellable_by_check(mut self, on: bool) -> Builder {
        self.cancellable_by_check = on;
        self
    }

    /// Spawns the task. See [`crate::spawn`] and, if [`eager`](Builder::eager)
    /// is set, [`spawn_eager`](super::spawn_eager).
    ///
    /// # Panics
    /// Outside a runtime. An eager task's panic, when panics fail the run
    /// (sim's default), unwinds out of this call.
    ///
    /// ```
    /// use seedloop::{Sim, task::Builder};
    /// Sim::new(1).run(async {
    ///     let t = Builder::new().name("worker").spawn(async { "done" });
    ///     assert_eq!(t.await, Ok("done"));
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F: Future + 'static>(self, fut: F) -> Task<F::Output> {
        let site = self.cancellable_by_check.then(Location::caller);
        with_core("seedloop::task::Builder::spawn", |core| {
            if self.eager {
                crate::time::timeout_nesting::isolated(|| {
                    Task::from_cell(core.spawn_eager(self.name, site, fut))
                })
            } else {
                Task::from_cell(core.spawn_candidate(self.name, site, fut))
            }
        })
    }
}
