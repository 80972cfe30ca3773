//! Optional instrumentation of the run loop: real mode's debug mode.
//!
//! A run built with hooks has them called around every task poll; a run
//! without (every sim run) pays one `Option` check. The core itself measures
//! nothing: whatever clock a hook reads is the hook's business, so sim code
//! paths never touch the real clock.

use std::rc::Rc;

use super::raw_task::{RawTask, TaskHeader};

/// What the loop tells an observer. Called on the loop's thread, with no
/// borrow of the core held.
pub(crate) trait PollHooks {
    /// A task (the main one included) is about to be polled.
    fn poll_started(&self);
    /// The poll announced by `poll_started` returned, or panicked
    /// (`panicked`: its time then includes the panic hook's, a backtrace's).
    fn poll_ended(&self, header: &TaskHeader, panicked: bool);
    /// The loop is about to run code that is not a poll: a callback, or
    /// the drop of a cancelled task's future. (A hook that times polls by
    /// the gaps between them must not charge that to the next poll.)
    fn not_polling(&self) {}
    /// A spawned task panicked and was isolated (`PanicMode::Isolate`): its
    /// awaiter, if it ever looks, gets `JoinError::Panicked`.
    fn task_panicked(&self, task: &Rc<dyn RawTask>);
}
