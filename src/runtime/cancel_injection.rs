//! Cancellation at the worst moment: the run chooses whether, and at which
//! of a task's await points, to cancel it (`Check::inject_cancels`).
//!
//! # The domain
//! One choice per candidate, made when the candidate begins: option 0 is
//! "never", option `k` (1..=N) is "at its k-th await", where an await is a
//! poll that returned `Pending` (the task is suspended there). N is the
//! run's bound (`Sim::inject_cancels_up_to`, 8 by default, at most 15 so
//! that the domain, N + 1 values, stays within what exhaustive search
//! enumerates whole). One choice at the start rather than a coin at every
//! await: the log grows by one choice per candidate, not one per
//! suspension; every await up to N is equally likely under uniform
//! sampling (a coin per await would make late awaits exponentially rare);
//! and shrinking lowers `k` toward "never" in one dimension.
//!
//! # Candidates
//! - a task spawned with `task::Builder::cancellable_by_check(true)`, and
//!   every `TaskGroup` child: its awaits are the task's own suspensions,
//!   counted from its first poll;
//! - every `timeout`/`timeout_at` polled by a spawned task: its awaits are
//!   the suspensions of the future it wraps, counted from its first; the
//!   cancel is of the task that runs it (the main task and callbacks cannot
//!   be cancelled, so a timeout there is no candidate).
//!
//! # What the cancel is
//! An ordinary cancel request, as `Task::cancel` makes it (the task's
//! `cancelling()` count goes up by one): made at the moment the task
//! suspends at await `k`, it takes effect at the task's next scheduling
//! point, where its future is dropped; awaiting the task gives
//! `JoinError::Cancelled`. asyncio produces the same when another task
//! calls `cancel()` while this one waits at that await. A timeout around the
//! await never reports `Elapsed` for it: the task is not polled again, as in
//! asyncio, where a cancel from outside propagates through `timeout()`.

use std::panic::Location;

use super::ids::{TaskId, TaskKey};
use super::raw_task::TaskHeader;
use super::sched::value::{Shape, ValueRequest};
use super::Core;
use crate::runtime::sched::ChoiceKind;
use crate::trace::EventKind;

/// The default bound N of the domain: "never" or one of the first 8 awaits.
pub(crate) const DEFAULT_CANCEL_AWAITS: u32 = 8;

/// The largest bound: the domain (N + 1 values) stays within 16.
pub(crate) const MAX_CANCEL_AWAITS: u32 = 15;

/// A task's chosen cancel: at its `at`-th await; `seen` awaits so far.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CancelPlan {
    key: TaskKey,
    at: u32,
    seen: u32,
}

/// A timeout's chosen cancel, kept in the timeout: `at` is the await (of
/// the future it wraps) at which its task is cancelled; `seen` counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimeoutCancel {
    pub at: u32,
    pub seen: u32,
}

impl TimeoutCancel {
    /// Counts one more await; true when it is the chosen one.
    pub fn counts_to_cancel(&mut self) -> bool {
        self.seen += 1;
        self.seen == self.at
    }
}

impl Core {
    /// The run's bound on the await at which a cancel may land, if cancels
    /// are injected at all.
    #[inline]
    pub fn cancel_awaits(&self) -> Option<u32> {
        self.config.inject_cancels
    }

    /// Chooses whether and at which await to cancel the task `header` just
    /// admitted (a marked task, a `TaskGroup` child). No choice unless the
    /// run injects cancels.
    pub(crate) fn plan_cancel(&self, header: &TaskHeader, site: &'static Location<'static>) {
        let Some(n) = self.cancel_awaits() else {
            return;
        };
        let at = self.draw_cancel(n, header.id, site);
        if at > 0 {
            self.cancel_plans.borrow_mut().push(CancelPlan {
                key: header.key,
                at,
                seen: 0,
            });
        }
    }

    /// Chooses whether and at which of its awaits a timeout polled by the
    /// running task cancels that task: `None` when there is no choice (no
    /// injection in this run, or the main task or a callback runs it) or
    /// the choice is "never".
    pub(crate) fn plan_timeout_cancel(&self) -> Option<TimeoutCancel> {
        let n = self.cancel_awaits()?;
        let raw = self.current_raw_task()?;
        let at = self.draw_cancel(n, raw.header().id, Location::caller());
        (at > 0).then_some(TimeoutCancel { at, seen: 0 })
    }

    fn draw_cancel(&self, n: u32, task: TaskId, site: &'static Location<'static>) -> u32 {
        let request = ValueRequest {
            kind: ChoiceKind::Cancel,
            options: u64::from(n) + 1,
            shape: Shape::Uniform,
            start: 0,
            site,
            traced: true,
        };
        // At most MAX_CANCEL_AWAITS: the pick fits.
        u32::try_from(self.draw_about(request, Some(task))).unwrap_or(0)
    }

    /// The task `key` just suspended (its poll returned `Pending`): if this
    /// is the await its plan chose, the cancel lands now. Called by the loop
    /// after every poll of a spawned task while any plan is live. The plans
    /// are searched linearly: a test has few live candidates, and a run
    /// without injection never gets here.
    pub(crate) fn count_await(&self, key: TaskKey, header: &TaskHeader) {
        let due = {
            let mut plans = self.cancel_plans.borrow_mut();
            let Some(i) = plans.iter().position(|p| p.key == key) else {
                return;
            };
            plans[i].seen += 1;
            if plans[i].seen < plans[i].at {
                return;
            }
            plans.swap_remove(i).at
        };
        self.inject_cancel(header, due, false);
    }

    /// Forgets the plan of a task that ended.
    #[inline]
    pub(crate) fn forget_plan(&self, key: TaskKey) {
        if self.has_cancel_plans() {
            self.cancel_plans.borrow_mut().retain(|p| p.key != key);
        }
    }

    /// Whether any task has a cancel planned (the loop counts awaits only then).
    #[inline]
    pub(crate) fn has_cancel_plans(&self) -> bool {
        !self.cancel_plans.borrow().is_empty()
    }

    /// A timeout's chosen await came: cancels the running task.
    pub(crate) fn inject_timeout_cancel(&self, at_await: u32) {
        if let Some(raw) = self.current_raw_task() {
            self.inject_cancel(raw.header(), at_await, true);
        }
    }

    /// Requests the cancel of a suspended (or suspending) task as
    /// `Task::cancel` would, recorded as made by the check. The task is
    /// queued, so its next scheduling point comes in the next turn.
    fn inject_cancel(&self, header: &TaskHeader, at_await: u32, in_timeout: bool) {
        if header.state.get().is_final() || header.cancel_requested.get() {
            return;
        }
        let c = header.cancels();
        c.count.set(c.count.get().saturating_add(1));
        header.cancel_requested.set(true);
        self.record_as(
            crate::trace::Actor::Task(header.id),
            EventKind::CancelInjected {
                task: header.id,
                at_await,
                in_timeout,
            },
        );
        self.queue_quietly(header.key);
    }

    /// Queues a task (unless it is queued already) without recording a wake:
    /// the injected cancel's event says why it runs.
    fn queue_quietly(&self, key: TaskKey) {
        let Some(id) = self.mark_queued(key) else {
            return;
        };
        if self.running.get().is_some_and(|(_, k)| k == key) {
            self.woke_running.set(true);
        } else {
            self.ready.borrow_mut().push_task(key, id);
        }
    }
}
