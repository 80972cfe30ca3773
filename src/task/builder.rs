//! Naming a task before spawning it.

use std::future::Future;
use std::rc::Rc;

use super::Task;
use crate::runtime::context::with_core;

/// Configures a task before it is spawned. asyncio: `create_task(coro, name=...)`.
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

    /// Spawns the task. See [`crate::spawn`].
    ///
    /// # Panics
    /// Outside a runtime.
    pub fn spawn<F: Future + 'static>(self, fut: F) -> Task<F::Output> {
        with_core("seedloop::task::Builder::spawn", |core| {
            Task::spawn_on(core, self.name, fut)
        })
    }
}
