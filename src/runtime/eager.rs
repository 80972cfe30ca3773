//! Eager tasks (asyncio 3.12's `eager_task_factory`): a task polled at once,
//! inside its spawner's poll, until it first suspends.
//!
//! The run loop polls tasks holding no borrow of the core; an eager poll
//! happens inside another task's poll (or a callback), so it must leave the
//! core as it found it: the `running` slot and the current task-locals are
//! saved and restored around it, as `drop_task` does. It is not a step of
//! the run loop and not a choice: it happens synchronously where `spawn` was
//! called. Debug-mode poll hooks do not time it separately (it is part of the
//! spawner's poll).
//!
//! A panic in an eager task follows the run's panic mode: isolated, the task
//! ends `Panicked` and its spawner goes on; failing the run, the panic
//! unwinds through the spawner (whose poll the run loop then ends), wrapped
//! in an [`EagerPanic`] that names the eager task, and the run fails in its
//! name. Code that catches that unwind itself (a `catch_unwind` around
//! `spawn_eager`) keeps the run going, as for a panic of its own.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::task::{Context, Poll};

use super::ids::{TaskId, TaskKey};
use super::raw_task::{RawTask, TaskCell};
use super::run_loop::{panic_message, RunError};
use super::state::TaskState;
use super::{Core, PanicMode};
use crate::trace::EventKind;

/// The panic payload that unwinds out of an eager spawn when a panic fails
/// the run: the eager task's id and its own payload.
pub(crate) struct EagerPanic {
    task: TaskId,
    payload: Box<dyn Any + Send>,
}

impl EagerPanic {
    /// The run's failure when an eager task's panic unwound into the loop:
    /// a panic in the eager task's name, with its own payload.
    pub fn fail_run(payload: Box<dyn Any + Send>) -> RunError {
        let (task, payload) = EagerPanic::open(payload);
        RunError::Panic {
            task,
            message: panic_message(payload.as_ref()),
            payload,
        }
    }

    /// The task that panicked and its payload (`None` and the payload
    /// itself if it is not an `EagerPanic`).
    pub fn open(payload: Box<dyn Any + Send>) -> (Option<TaskId>, Box<dyn Any + Send>) {
        match payload.downcast::<EagerPanic>() {
            Ok(eager) => (Some(eager.task), eager.payload),
            Err(payload) => (None, payload),
        }
    }
}

impl Core {
    /// Spawns a task and polls it at once, until it first suspends. If it
    /// finishes there it never enters the ready set; otherwise it waits like
    /// any task that returned `Pending` (in the ready set only if it woke
    /// itself). Returns the raw cell that `task::Task` wraps.
    /// With `cancel_site`, the task is a candidate for an injected cancel
    /// (chosen before its eager poll, which is its first await's poll).
    pub fn spawn_eager<F>(
        &self,
        name: Option<Rc<str>>,
        cancel_site: Option<&'static std::panic::Location<'static>>,
        fut: F,
    ) -> Rc<TaskCell<F>>
    where
        F: Future + 'static,
    {
        let header = self.admit_as(name, false);
        if let Some(site) = cancel_site {
            self.plan_cancel(&header, site);
        }
        let key = header.key;
        let cell = Rc::new(TaskCell::new(header, fut));
        let raw: Rc<dyn RawTask> = cell.clone();
        if let Some(slot) = self.tasks.borrow_mut().get_mut(key) {
            slot.task = Some(raw.clone());
        }
        self.poll_eagerly(key, &raw);
        cell
    }

    fn poll_eagerly(&self, key: TaskKey, raw: &Rc<dyn RawTask>) {
        let header = raw.header();
        header.state.set(TaskState::Running);
        let previous = self.running.replace(Some((header.id, key)));
        // The spawner may have woken itself already in its own poll: keep
        // that for it, and learn whether the eager task woke itself.
        let spawner_woke = self.woke_running.take();
        let outer_locals = self.replace_locals(header.locals.take());
        self.record_with(|| EventKind::Poll);
        let waker = self.waker_of(header);
        let mut cx = Context::from_waker(&waker);
        let polled = catch_unwind(AssertUnwindSafe(|| raw.poll(&mut cx)));
        let woke_itself = self.woke_running.replace(spawner_woke);
        header.locals.set(self.replace_locals(outer_locals));
        match polled {
            Ok(Poll::Pending) => {
                // Woken during its eager poll: it queues now, behind what
                // the poll made ready, as after any poll.
                if woke_itself {
                    self.ready.borrow_mut().push_task(key, header.id);
                }
                self.record_with(|| EventKind::Pending);
                header.state.set(TaskState::Waiting);
            }
            Ok(Poll::Ready(())) => {
                self.record_with(|| EventKind::Finished);
                self.forget_task(key);
                header.complete(TaskState::Finished);
            }
            Err(payload) if payload.is::<EagerPanic>() => {
                // An eager task this one spawned panicked, failing the run:
                // pass it on.
                self.running.set(previous);
                resume_unwind(payload);
            }
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                self.record(EventKind::Panicked {
                    message: message.as_str().into(),
                });
                header.set_panic_message(&message);
                match self.config.panic_mode {
                    // A failed sweep assertion fails the run wherever it is.
                    PanicMode::Isolate if !self.assertion_violated() => {
                        self.forget_task(key);
                        raw.drop_future();
                        header.complete(TaskState::Panicked);
                        if let Some(h) = self.config.hooks.as_deref() {
                            h.task_panicked(raw);
                        }
                    }
                    PanicMode::Isolate | PanicMode::FailRun => {
                        self.running.set(previous);
                        resume_unwind(Box::new(EagerPanic {
                            task: header.id,
                            payload,
                        }));
                    }
                }
            }
        }
        self.running.set(previous);
        if header.state.get() == TaskState::Waiting && self.has_cancel_plans() {
            self.count_await(key, header);
        }
    }
}
