//! The run loop: pick, poll, fire timers, park. See `design.md`, "The run loop".
//!
//! A *turn* runs the items that were ready when it began, and only those (the
//! ready set's turn fence): under FIFO in arrival order, exactly asyncio's
//! `_run_once`; under other policies in the order the policy picks. Between
//! turns, timers due at the current instant join the ready set; only when
//! nothing at all is ready does the driver park, which in sim jumps the clock
//! to the next timer.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::callbacks::CallbackCell;
use super::driver::Park;
use super::eager::EagerPanic;
use super::ids::{TaskId, TaskKey};
use super::raw_task::{RawTask, TaskHeader};
use super::ready_set::Runnable;
use super::state::TaskState;
use super::timer_heap::TimerTarget;
use super::{Core, LiveTask, PanicMode};
use crate::runtime::sched::Divergence;
use crate::time::Instant;
use crate::trace::{Actor, CancelCause, EventKind};

/// Why a run stopped before its main task finished.
#[derive(Debug)]
pub(crate) enum RunError {
    Deadlock,
    Panic {
        /// `None` when a callback panicked.
        task: Option<TaskId>,
        message: String,
        /// What the task panicked with, so real mode can resume unwinding
        /// with the original payload.
        payload: Box<dyn Any + Send>,
    },
    StepLimit(u64),
    TimeLimit(Instant),
    Diverged(Divergence),
    /// The driver failed (real mode: the OS poller returned an error).
    Driver(std::io::Error),
}

/// A failed run, as it stood when it failed (before teardown).
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: RunError,
    pub at: Instant,
    pub tasks: Vec<LiveTask>,
    /// How many events the trace held at the failure.
    pub trace_len: usize,
}

/// The main future, polled in place (so it may borrow from its caller).
struct Main<'a, F: Future> {
    header: TaskHeader,
    future: Pin<&'a mut F>,
    output: Option<F::Output>,
}

impl Core {
    /// Runs `fut` as the main task until it finishes or the run fails, then
    /// cancels whatever is left.
    pub fn run<F: Future>(self: &Rc<Self>, fut: F) -> Result<F::Output, Failure> {
        let mut fut = std::pin::pin!(fut);
        let mut main = Main {
            header: self.admit(Some("main".into())),
            future: fut.as_mut(),
            output: None,
        };
        let result = self.turns(&mut main).map_err(|error| Failure {
            error,
            at: self.global_now(),
            tasks: self.task_reports(),
            trace_len: self.trace_len(),
        });
        self.teardown();
        result.map(|()| main.output.take().expect("main finished"))
    }

    fn turns<F: Future>(&self, main: &mut Main<'_, F>) -> Result<(), RunError> {
        let mut steps = 0u64;
        loop {
            if self.ready.borrow().options() == 0 {
                self.start_turn();
                if self.ready.borrow().options() == 0 {
                    let next = self.next_timer_deadline();
                    if let (Some(limit), Some(at)) = (self.config.time_limit, next) {
                        if at > Instant::ZERO + limit {
                            return Err(RunError::TimeLimit(at));
                        }
                    }
                    match self.driver.park(next, !self.inbox.is_empty()) {
                        Park::Resumed => continue,
                        Park::Stuck => return Err(RunError::Deadlock),
                        Park::Failed(e) => return Err(RunError::Driver(e)),
                    }
                }
            }
            steps += 1;
            if self.config.step_limit.is_some_and(|limit| steps > limit) {
                return Err(RunError::StepLimit(steps - 1));
            }
            let runnable = {
                let mut ready = self.ready.borrow_mut();
                let i = if ready.options() <= 1 {
                    0
                } else {
                    self.chooser
                        .borrow_mut()
                        .pick(&ready)
                        .map_err(RunError::Diverged)?
                };
                ready.take(i)
            };
            let main_done = match runnable {
                Runnable::Task(key) => self.run_task(key, main)?,
                Runnable::Callback(cb) => {
                    self.run_callback(&cb)?;
                    false
                }
            };
            if let Some(d) = self.value_divergence.take() {
                return Err(RunError::Diverged(*d));
            }
            if main_done {
                return Ok(());
            }
        }
    }

    /// Outside events the driver has ready, wakes from other threads and due
    /// timers join the ready set, and a new turn begins with everything that
    /// is ready.
    fn start_turn(&self) {
        self.driver.between_turns();
        for key in self.inbox.take() {
            self.wake_by_waker(key);
        }
        // Real mode's clock is an OS call: read it only if a timer waits.
        if self.next_timer_deadline().is_some() {
            self.fire_due_timers(self.global_now());
        }
        self.ready.borrow_mut().begin_turn();
    }

    /// The earliest timer's deadline (the arena is looked at only if the
    /// heap does not know it: resident sleeps are live by their task's slot).
    #[inline]
    fn next_timer_deadline(&self) -> Option<Instant> {
        let mut timers = self.timers.borrow_mut();
        match timers.known_deadline() {
            Some(known) => known,
            None => timers.next_deadline(&self.tasks.borrow()),
        }
    }

    /// Timers due at `now` fire: wake-ups wake, callbacks join the ready set.
    fn fire_due_timers(&self, now: Instant) {
        loop {
            let due = self
                .timers
                .borrow_mut()
                .pop_due(now, &mut self.tasks.borrow_mut());
            match due {
                None => return,
                Some(TimerTarget::Wake { waker, task }) => {
                    if let Some(task) = task {
                        self.record_as(Actor::Loop, EventKind::TimerFired { task });
                    }
                    waker.wake();
                }
                Some(TimerTarget::Callback(cb)) => {
                    cb.timer.set(None);
                    self.ready.borrow_mut().push_callback(cb);
                }
                Some(TimerTarget::WakeTask { wake, task }) => {
                    self.record_as(Actor::Loop, EventKind::TimerFired { task });
                    self.wake_by_waker(wake);
                }
            }
        }
    }

    /// Polls (or cancels) one task. Returns whether the main task finished.
    fn run_task<F: Future>(&self, key: TaskKey, main: &mut Main<'_, F>) -> Result<bool, RunError> {
        let (raw, id) = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(slot) = tasks.get_mut(key) else {
                return Ok(false);
            };
            slot.set_queued(false);
            slot.waits.restart();
            self.acting_host.set(slot.host);
            (slot.task.clone(), slot.id)
        };
        let is_main = raw.is_none();
        let header: &TaskHeader = match &raw {
            Some(r) => r.header(),
            None => &main.header,
        };
        if header.cancel_requested.get() && !is_main {
            if let Some(h) = self.config.hooks.as_deref() {
                h.not_polling();
            }
            self.drop_task(key, raw.as_deref(), CancelCause::Requested);
            self.acting_host.set(0);
            return Ok(false);
        }
        header.state.set(TaskState::Running);
        self.running.set(Some((id, key)));
        self.record_with(|| EventKind::Poll);
        let hooks = self.config.hooks.as_deref();
        if let Some(h) = hooks {
            h.poll_started();
        }
        let waker = self.waker_of(header);
        let mut cx = Context::from_waker(&waker);
        let outer_locals = self.replace_locals(header.locals.take());
        let polled = catch_unwind(AssertUnwindSafe(|| match &raw {
            Some(r) => r.poll(&mut cx),
            None => match main.future.as_mut().poll(&mut cx) {
                Poll::Ready(out) => {
                    main.output = Some(out);
                    Poll::Ready(())
                }
                Poll::Pending => Poll::Pending,
            },
        }));
        // Whether the task was woken during this poll. Only a poll sets it
        // (a task being cancelled has left the arena, so wakes miss it), and
        // every poll takes it here: false again outside polls.
        let woke_itself = self.woke_running.take();
        let header: &TaskHeader = match &raw {
            Some(r) => r.header(),
            None => &main.header,
        };
        header.locals.set(self.replace_locals(outer_locals));
        if let Some(h) = hooks {
            h.poll_ended(header, polled.is_err());
        }
        let result = match polled {
            Ok(Poll::Pending) => {
                // Woken during its own poll: it goes behind everything the
                // poll made ready (see `Core::wake`).
                if woke_itself {
                    self.ready.borrow_mut().push_task(key, id);
                }
                self.record_with(|| EventKind::Pending);
                header.state.set(TaskState::Waiting);
                Ok(false)
            }
            Ok(Poll::Ready(())) => {
                self.record_with(|| EventKind::Finished);
                self.forget_task(key);
                header.complete(TaskState::Finished);
                Ok(is_main)
            }
            Err(payload) if payload.is::<EagerPanic>() => {
                // An eager task spawned in this poll panicked (recorded in
                // its name): the run fails in its name.
                Err(EagerPanic::fail_run(payload))
            }
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                self.record(EventKind::Panicked {
                    message: message.as_str().into(),
                });
                header.set_panic_message(&message);
                // Only a spawned task can end alone; a panic in main (or any
                // panic when failing the run) ends the run.
                match (self.config.panic_mode, is_main) {
                    // A failed sweep assertion fails the run wherever it is.
                    (PanicMode::Isolate, false) if !self.assertion_violated() => {
                        self.forget_task(key);
                        if let Some(r) = &raw {
                            r.drop_future();
                        }
                        header.complete(TaskState::Panicked);
                        if let (Some(h), Some(r)) = (hooks, &raw) {
                            h.task_panicked(r);
                        }
                        Ok(false)
                    }
                    _ => Err(RunError::Panic {
                        task: Some(id),
                        message,
                        payload,
                    }),
                }
            }
        };
        self.running.set(None);
        if matches!(result, Ok(false))
            && raw.is_some()
            && header.state.get() == TaskState::Waiting
            && self.has_cancel_plans()
        {
            self.count_await(key, header);
        }
        self.acting_host.set(0);
        result
    }

    /// Removes a task from the arena. It is not in the ready set: the loop
    /// took it out to poll or cancel it, and a wake during that poll only
    /// queues it when the poll returns `Pending` (teardown, which removes
    /// queued tasks too, clears the ready set after).
    pub(super) fn forget_task(&self, key: TaskKey) {
        // (`had_sleep` is read before the removal: read from the slot moved
        // out, it made the compiler copy the whole slot, measurably slower.)
        let (slot, had_sleep) = {
            let mut tasks = self.tasks.borrow_mut();
            let had_sleep = tasks
                .get(key)
                .is_some_and(|s| s.sleep() != super::arena::NO_SLEEP);
            (tasks.remove(key), had_sleep)
        };
        if had_sleep {
            // Its resident sleep goes with it.
            self.timers.borrow_mut().forget_resident();
        }
        drop(slot);
        self.forget_plan(key);
    }

    /// Cancels a task at a scheduling point: records it, drops its future
    /// (destructors run now, attributed to the task), completes its handle.
    fn drop_task(&self, key: TaskKey, raw: Option<&dyn RawTask>, cause: CancelCause) {
        let Some(raw) = raw else {
            self.forget_task(key);
            return;
        };
        let header = raw.header();
        self.forget_task(key);
        if header.state.get().is_final() {
            return;
        }
        self.record_as(Actor::Task(header.id), EventKind::Cancelled { cause });
        let previous = self.running.replace(Some((header.id, key)));
        let outer_locals = self.replace_locals(header.locals.take());
        let _ = catch_unwind(AssertUnwindSafe(|| raw.drop_future()));
        header.locals.set(self.replace_locals(outer_locals));
        self.running.set(previous);
        header.complete(TaskState::Cancelled);
    }

    fn run_callback(&self, cb: &Rc<CallbackCell>) -> Result<(), RunError> {
        if cb.cancelled.get() || self.host_epoch(cb.host) != cb.host_epoch {
            return Ok(());
        }
        let Some(f) = cb.f.borrow_mut().take() else {
            return Ok(());
        };
        self.record_with(|| EventKind::Callback { id: cb.id });
        if let Some(h) = self.config.hooks.as_deref() {
            h.not_polling();
        }
        let outer_locals = self.replace_locals(cb.locals.take());
        let outer_host = self.acting_host.replace(cb.host);
        let called = catch_unwind(AssertUnwindSafe(f));
        self.acting_host.set(outer_host);
        drop(self.replace_locals(outer_locals));
        match called {
            Ok(()) => Ok(()),
            Err(payload) if payload.is::<EagerPanic>() => Err(EagerPanic::fail_run(payload)),
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                self.record(EventKind::Panicked {
                    message: message.as_str().into(),
                });
                match self.config.panic_mode {
                    _ if self.assertion_violated() => Err(RunError::Panic {
                        task: None,
                        message,
                        payload,
                    }),
                    PanicMode::FailRun => Err(RunError::Panic {
                        task: None,
                        message,
                        payload,
                    }),
                    PanicMode::Isolate => {
                        eprintln!("seedloop: callback {} panicked: {message}", cb.id);
                        Ok(())
                    }
                }
            }
        }
    }

    /// End of run: every task still alive is cancelled, in id order, and the
    /// timers and callbacks are dropped. Destructors may spawn or wake; the
    /// loop repeats until nothing is left (bounded, in case they never stop).
    fn teardown(&self) {
        self.running.set(None);
        for _round in 0..1000 {
            let keys = self.tasks.borrow().keys_by_id();
            if keys.is_empty() {
                break;
            }
            for (_, key) in keys {
                let raw = self.tasks.borrow().get(key).and_then(|s| s.task.clone());
                self.drop_task(key, raw.as_deref(), CancelCause::RunEnded);
            }
        }
        let callbacks = self.ready.borrow_mut().clear();
        drop(callbacks);
        let timers = self.timers.borrow_mut().drain();
        let _ = catch_unwind(AssertUnwindSafe(|| drop(timers)));
        let _ = self.inbox.take();
    }
}

/// The text of a panic payload (`&str` or `String`; anything else is named as such).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<a panic payload that is not a string>".to_string()
    }
}
