//! The one way a run starts, shared by `Sim::run` and `Runtime::block_on`:
//! refuse to nest, build the core, make it current, run the main task, and
//! hand back what the run leaves (its result, trace and chooser).

use std::future::Future;

use rand_chacha::ChaCha8Rng;

use super::context::{self, EnterGuard};
use super::driver::Driver;
use super::run_loop::Failure;
use super::sched::Chooser;
use super::{Core, CoreConfig};
use crate::trace::Trace;

/// What one run leaves behind.
pub(crate) struct Ended<T> {
    /// The main task's output, or how the run failed.
    pub result: Result<T, Failure>,
    /// Every recorded event (empty with tracing off).
    pub trace: Trace,
    /// The chooser, with its log of the run's choices.
    pub chooser: Chooser,
}

/// A runtime is already running on this thread: runs do not nest.
#[derive(Debug)]
pub(crate) struct AlreadyEntered;

/// Runs `main` on a fresh core built from the parts, current on this thread
/// for the run's length (the previous context comes back after, also on
/// unwinding).
///
/// # Errors
/// [`AlreadyEntered`] if a runtime is current on this thread already.
pub(crate) fn run_main<F: Future>(
    config: CoreConfig,
    driver: Box<dyn Driver>,
    chooser: Chooser,
    user_rng: ChaCha8Rng,
    main: F,
) -> Result<Ended<F::Output>, AlreadyEntered> {
    if context::is_entered() {
        return Err(AlreadyEntered);
    }
    let core = Core::new(config, driver, chooser, user_rng);
    let result = {
        let _entered = EnterGuard::enter(core.clone());
        core.run(main)
    };
    Ok(Ended {
        result,
        trace: core.take_trace(),
        chooser: core.take_chooser(),
    })
}
