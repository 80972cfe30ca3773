//! Configuring a task before spawning it: its name, and whether it starts
//! eagerly.

use std::future::Future;
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
    pub fn spawn<F: Future + 'static>(self, fut: F) -> Task<F::Output> {
        with_core("seedloop::task::Builder::spawn", |core| {
            if self.eager {
                crate::time::timeout_nesting::isolated(|| {
                    Task::from_cell(core.spawn_eager(self.name, fut))
                })
            } else {
                Task::spawn_on(core, self.name, fut)
            }
        })
    }
}
