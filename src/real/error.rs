//! `RuntimeError`: why a real-mode run could not give its main future's output.

use std::error::Error;
use std::fmt;
use std::io;

/// Why [`Runtime::block_on`](super::Runtime::block_on) returned no output.
/// (A panic in the main task is not an error value: it resumes unwinding out
/// of `block_on`, as if the main future had been called directly.)
///
/// ```
/// use seedloop::real::{Runtime, RuntimeError};
/// let mut outer = Runtime::new().unwrap();
/// let err = outer.block_on(async {
///     Runtime::new().unwrap().block_on(async { 1 })
/// }).unwrap().unwrap_err();
/// assert!(matches!(err, RuntimeError::NestedRuntime));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RuntimeError {
    /// `block_on` was called while a seedloop runtime (real or sim) was
    /// already running on this thread.
    NestedRuntime,
    /// The OS poller failed while the loop waited for events.
    Reactor(io::Error),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::NestedRuntime => write!(
                f,
                "a seedloop runtime is already running on this thread: Runtime::block_on (or \
                 seedloop::run) was called from inside a running task. Spawn the work as a task \
                 of the running runtime instead, or start the second runtime on another thread"
            ),
            RuntimeError::Reactor(e) => write!(
                f,
                "the OS poller (mio) failed while the loop waited for events: {e}"
            ),
        }
    }
}

impl Error for RuntimeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            RuntimeError::Reactor(e) => Some(e),
            RuntimeError::NestedRuntime => None,
        }
    }
}
