//! `RuntimeHandle`: a reference to the runtime this code runs in.

use std::fmt;
use std::rc::Rc;

use super::context::{try_with_core, with_core};
use super::Core;
use crate::time::Instant;

/// The runtime the current code runs in. asyncio: `get_running_loop()`.
///
/// (Named apart from [`crate::Handle`], the handle `call_soon` returns.)
///
/// ```
/// use seedloop::{Sim, runtime::RuntimeHandle};
/// assert!(RuntimeHandle::try_current().is_none());
/// Sim::new(3).run(async {
///     let rt = RuntimeHandle::current();
///     assert_eq!(rt.seed(), 3);
///     rt.spawn(async { 1 }).await.unwrap();
/// }).unwrap();
/// ```
#[derive(Clone)]
#[doc(alias = "get_running_loop")]
#[doc(alias = "Handle")]
pub struct RuntimeHandle {
    pub(crate) core: Rc<Core>,
}

impl RuntimeHandle {
    /// The current runtime.
    ///
    /// # Panics
    /// Outside a runtime, with a message saying how to enter one. Use
    /// [`RuntimeHandle::try_current`] to test instead.
    pub fn current() -> RuntimeHandle {
        with_core("seedloop::runtime::RuntimeHandle::current", |core| {
            RuntimeHandle { core: core.clone() }
        })
    }

    /// The current runtime, or `None` outside one.
    pub fn try_current() -> Option<RuntimeHandle> {
        try_with_core(|core| RuntimeHandle { core: core.clone() })
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

impl fmt::Debug for RuntimeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeHandle")
            .field("runtime", &self.core.id)
            .finish()
    }
}

/// The old name of [`RuntimeHandle`].
///
/// ```
/// #![allow(deprecated)]
/// assert!(seedloop::runtime::Handle::try_current().is_none());
/// ```
#[deprecated(
    since = "0.1.0",
    note = "renamed `RuntimeHandle`, so that it is not mistaken for `seedloop::Handle` \
            (the handle `call_soon` returns)"
)]
pub type Handle = RuntimeHandle;
