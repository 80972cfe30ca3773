//! `Handle`: a reference to the runtime this code runs in.

use std::fmt;
use std::rc::Rc;

use super::context::{try_with_core, with_core};
use super::Core;
use crate::time::Instant;

/// The runtime the current code runs in (not to be confused with the callback
/// handle [`crate::Handle`] that `call_soon` returns).
///
/// ```
/// use seedloop::{Sim, runtime::Handle};
/// assert!(Handle::try_current().is_none());
/// Sim::new(3).run(async {
///     let rt = Handle::current();
///     assert_eq!(rt.seed(), 3);
///     rt.spawn(async { 1 }).await.unwrap();
/// }).unwrap();
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) core: Rc<Core>,
}

impl Handle {
    /// The current runtime.
    ///
    /// # Panics
    /// Outside a runtime, with a message saying how to enter one. Use
    /// [`Handle::try_current`] to test instead.
    pub fn current() -> Handle {
        with_core("seedloop::runtime::Handle::current", |core| Handle {
            core: core.clone(),
        })
    }

    /// The current runtime, or `None` outside one.
    pub fn try_current() -> Option<Handle> {
        try_with_core(|core| Handle { core: core.clone() })
    }

    /// The runtime's current time. See [`Instant::now`].
    pub fn now(&self) -> Instant {
        self.core.now()
    }

    /// The seed this run was started with (real mode: the seed of its user
    /// randomness).
    pub fn seed(&self) -> u64 {
        self.core.config.seed
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("runtime", &self.core.id)
            .finish()
    }
}
