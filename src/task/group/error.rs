//! The errors of a task group: the group's own, a spawn's, a child handle's.

use std::error::Error;
use std::fmt;

use crate::runtime::ids::TaskId;
use crate::task::JoinError;

/// One failure inside a [`TaskGroup`](super::TaskGroup).
///
/// ```
/// use seedloop::task::Failure;
/// let f: Failure<&str> = Failure::Body("bad input");
/// assert_eq!(f.task(), None);
/// assert_eq!(f.to_string(), "the body returned an error: bad input");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure<E> {
    /// A child returned `Err(error)`.
    Error {
        /// The child.
        task: TaskId,
        /// What it returned.
        error: E,
    },
    /// A child panicked (with [`Sim::isolate_panics`](crate::Sim::isolate_panics),
    /// or in real mode).
    Panicked {
        /// The child.
        task: TaskId,
        /// The panic message.
        message: String,
    },
    /// The group's body returned `Err`.
    Body(E),
}

impl<E> Failure<E> {
    /// The child that failed, or `None` for the body.
    pub fn task(&self) -> Option<TaskId> {
        match self {
            Failure::Error { task, .. } | Failure::Panicked { task, .. } => Some(*task),
            Failure::Body(_) => None,
        }
    }

    /// The error a child or the body returned, if it was not a panic.
    pub fn error(&self) -> Option<&E> {
        match self {
            Failure::Error { error, .. } | Failure::Body(error) => Some(error),
            Failure::Panicked { .. } => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error { task, error } => write!(f, "{task} returned an error: {error}"),
            Failure::Panicked { task, message } => write!(f, "{task} panicked: {message}"),
            Failure::Body(error) => write!(f, "the body returned an error: {error}"),
        }
    }
}

/// Why a task group failed: every failure, in the order they happened.
/// asyncio: `ExceptionGroup`.
///
/// The first failure aborted the group; the others happened before the
/// cancellation reached their tasks (children that fail in the same turn).
///
/// ```
/// use seedloop::{Sim, sleep, task::{TaskGroup, Failure}};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let err = TaskGroup::scope(|tg| async move {
///         tg.spawn(async { sleep(Duration::from_millis(100)).await; Err::<(), _>("disk full") }).unwrap();
///         Ok(())
///     }).await.unwrap_err();
///     assert_eq!(err.failures().len(), 1);
///     assert_eq!(err.failures()[0].error(), Some(&"disk full"));
///     assert_eq!(err.to_string(), "TaskGroup#1 failed: #2 returned an error: disk full");
/// }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupError<E> {
    group: String,
    failures: Vec<Failure<E>>,
}

impl<E> GroupError<E> {
    pub(crate) fn new(group: String, failures: Vec<Failure<E>>) -> GroupError<E> {
        GroupError { group, failures }
    }

    /// The failures, in the order they happened (never empty).
    pub fn failures(&self) -> &[Failure<E>] {
        &self.failures
    }

    /// The failures, by value.
    pub fn into_failures(self) -> Vec<Failure<E>> {
        self.failures
    }

    /// The group's name, e.g. `TaskGroup#1`.
    pub fn group(&self) -> &str {
        &self.group
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: ", self.group)?;
        for (i, failure) in self.failures.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> Error for GroupError<E> {}

/// Why [`TaskGroup::spawn`](super::TaskGroup::spawn) refused a child.
///
/// ```
/// use seedloop::{Sim, task::{TaskGroup, SpawnError}};
/// Sim::new(1).run(async {
///     let mut kept = None;
///     TaskGroup::scope(|tg| { kept = Some(tg.clone()); async { Ok::<_, ()>(()) } }).await.unwrap();
///     let late = kept.unwrap().spawn(async { Ok(()) });
///     assert!(matches!(late, Err(SpawnError::Closed { .. })));
/// }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// A child or the body failed: the group is cancelling the rest and takes
    /// no new children.
    Aborting {
        /// The group's name.
        group: String,
    },
    /// The group's scope has ended (or was dropped).
    Closed {
        /// The group's name.
        group: String,
    },
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::Aborting { group } => write!(
                f,
                "{group} is aborting after a failure and takes no new children; \
                 its scope will return the failure"
            ),
            SpawnError::Closed { group } => write!(
                f,
                "{group} has ended: spawn into a group only while its scope runs (from its \
                 body or its children); use seedloop::spawn for a task that outlives it"
            ),
        }
    }
}

impl Error for SpawnError {}

/// Why awaiting a [`GroupTask`](super::GroupTask) gave no output.
///
/// ```
/// use seedloop::{Sim, sleep, JoinError, task::{TaskGroup, ChildError}};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     TaskGroup::scope(|tg| async move {
///         let t = tg.spawn(async { sleep(Duration::from_secs(9)).await; Ok::<_, ()>(()) }).unwrap();
///         t.cancel();
///         assert_eq!(t.await, Err(ChildError::Join(JoinError::Cancelled)));
///         Ok(())
///     }).await.unwrap();
/// }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChildError {
    /// The child returned `Err`: the error went to the group, which returns
    /// it in its [`GroupError`].
    Failed,
    /// The child was cancelled (by its handle, or by the group aborting) or
    /// panicked.
    Join(JoinError),
}

impl fmt::Display for ChildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildError::Failed => write!(
                f,
                "the child returned an error, which its task group reports in its GroupError"
            ),
            ChildError::Join(e) => write!(f, "{e}"),
        }
    }
}

impl Error for ChildError {}
