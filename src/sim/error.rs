//! `SimError`: every way a simulated run can fail.

use std::fmt;

use super::report::{DeadlockReport, LimitReport, PanicReport, Repro};
use crate::runtime::sched::Divergence;

/// Why [`Sim::run`](crate::Sim::run) returned no output. Every variant that
/// comes from a run carries how to reproduce it.
///
/// ```
/// use seedloop::{Sim, SimError};
/// let err = Sim::new(1).run(async {
///     std::future::pending::<()>().await
/// }).unwrap_err();
/// assert!(matches!(err, SimError::Deadlock(_)));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimError {
    /// Nothing ready, no timer pending, main unfinished.
    Deadlock(Box<DeadlockReport>),
    /// A task or callback panicked.
    Panic(Box<PanicReport>),
    /// More steps (polls and callbacks) than the step limit: a livelock guard.
    StepLimit(Box<LimitReport>),
    /// The virtual clock would pass the time limit.
    TimeLimit(Box<LimitReport>),
    /// A replayed schedule did not fit the program.
    ScheduleDiverged {
        /// Where and how.
        divergence: Divergence,
        /// How to reproduce.
        repro: Box<Repro>,
    },
    /// `run` was called while a seedloop runtime was already running on this thread.
    NestedRuntime,
}

impl SimError {
    /// Replaces how to reproduce the failure (a check reports its own search,
    /// not the replay it ran to explain it).
    pub(crate) fn set_repro(&mut self, new: Repro) {
        match self {
            SimError::Deadlock(r) => r.repro = new,
            SimError::Panic(r) => r.repro = new,
            SimError::StepLimit(r) | SimError::TimeLimit(r) => r.repro = new,
            SimError::ScheduleDiverged { repro, .. } => **repro = new,
            SimError::NestedRuntime => {}
        }
    }

    /// How to reproduce the failure, when it came from a run.
    pub fn repro(&self) -> Option<&Repro> {
        match self {
            SimError::Deadlock(r) => Some(&r.repro),
            SimError::Panic(r) => Some(&r.repro),
            SimError::StepLimit(r) | SimError::TimeLimit(r) => Some(&r.repro),
            SimError::ScheduleDiverged { repro, .. } => Some(repro),
            SimError::NestedRuntime => None,
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Deadlock(r) => write!(f, "{r}"),
            SimError::Panic(r) => write!(f, "{r}"),
            SimError::StepLimit(r) | SimError::TimeLimit(r) => write!(f, "{r}"),
            SimError::ScheduleDiverged { divergence, repro } => {
                write!(f, "{divergence}\n{repro}")
            }
            SimError::NestedRuntime => write!(
                f,
                "a seedloop runtime is already running on this thread: Sim::run (or \
                 Runtime::block_on) was called from inside a running task. Spawn the work \
                 as a task of the running runtime instead, or start the second runtime on \
                 another thread"
            ),
        }
    }
}

/// Prints the same readable report as `Display`, so that `.unwrap()`, `?` in
/// a test and `{:?}` all show it.
impl fmt::Debug for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for SimError {}
