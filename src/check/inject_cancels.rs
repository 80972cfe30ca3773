//! `Check::inject_cancels`: explore *when* a cancel lands, and name the
//! injected cancels in the failure report. The mechanism is
//! `runtime/cancel_injection.rs`; the guide's section is "Cancellation at
//! the worst moment" in `docs/exploring.md`.

use super::Check;
use crate::runtime::cancel_injection::{DEFAULT_CANCEL_AWAITS, MAX_CANCEL_AWAITS};
use crate::trace::{report_task_name, EventKind, Trace};

impl Check {
    /// With `true`, every run also chooses whether, and at which await, to
    /// cancel each candidate: tasks spawned with
    /// [`Builder::cancellable_by_check`](crate::task::Builder::cancellable_by_check),
    /// every [`TaskGroup`](crate::task::TaskGroup) child, and a task while it
    /// waits inside a [`timeout`](crate::timeout). Each is one
    /// [`ChoiceKind::Cancel`](crate::sim::ChoiceKind) choice: "never"
    /// (option 0) or one of the first 8 awaits (see
    /// [`inject_cancels_up_to`](Check::inject_cancels_up_to)). It is logged
    /// like every choice: the schedule string replays it, shrinking lowers
    /// it toward "never", exhaustive search enumerates it, and the failure
    /// report names the cancels of the reported run. The cancel is an
    /// ordinary one (see [`Sim::inject_cancels`](crate::Sim::inject_cancels)).
    /// Off by default; `#[seedloop::test(inject_cancels = true)]`.
    ///
    /// There is no `SEEDLOOP_*` variable for it: turning it on changes what
    /// a test must tolerate (its tasks may be cancelled), so it belongs to
    /// the test, not to the command line.
    ///
    /// ```
    /// use seedloop::check::{Check, CheckError};
    /// use seedloop::{sleep, task::Builder};
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// let err = Check::new().inject_cancels(true).seeds(0..100).try_run(|| async {
    ///     let busy = Rc::new(Cell::new(false));
    ///     let b = busy.clone();
    ///     let t = Builder::new().name("job").cancellable_by_check(true).spawn(async move {
    ///         b.set(true); // a flag set by hand, not cleared if cancelled
    ///         sleep(Duration::from_millis(5)).await;
    ///         b.set(false);
    ///     });
    ///     let _ = t.await;
    ///     assert!(!busy.get(), "left busy");
    /// }).unwrap_err();
    /// let CheckError::Failed(f) = err else { panic!("{err}") };
    /// assert_eq!(f.injected_cancels, ["\"job\" at await 1"]);
    /// assert_eq!(f.schedule().deviations(), 1);
    /// ```
    pub fn inject_cancels(mut self, on: bool) -> Check {
        self.inject_cancels = on.then_some(DEFAULT_CANCEL_AWAITS);
        self
    }

    /// Turns cancel injection on with cancels landing at one of the first
    /// `awaits` awaits of each candidate (default 8; clamped to 1..=15, so a
    /// choice has at most 16 options and exhaustive search enumerates it
    /// whole). See [`Sim::inject_cancels_up_to`](crate::Sim::inject_cancels_up_to).
    ///
    /// ```
    /// use seedloop::{check::Check, sleep, task::Builder};
    /// use std::time::Duration;
    /// Check::new().inject_cancels_up_to(2).seeds(0..20).run(|| async {
    ///     let t = Builder::new().cancellable_by_check(true).spawn(sleep(Duration::from_secs(1)));
    ///     let _ = t.await; // finished or cancelled: both are fine here
    /// });
    /// ```
    pub fn inject_cancels_up_to(mut self, awaits: u32) -> Check {
        self.inject_cancels = Some(awaits.clamp(1, MAX_CANCEL_AWAITS));
        self
    }
}

/// The injected cancels of a run, as its report names them:
/// `#3 at await 2`, `"withdraw" at await 1 in a timeout`.
pub(super) fn injected(trace: &Trace) -> Vec<String> {
    trace
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::CancelInjected {
                task,
                at_await,
                in_timeout,
            } => Some(format!(
                "{} at await {at_await}{}",
                report_task_name(&trace.task_name(task), task),
                if in_timeout { " in a timeout" } else { "" }
            )),
            _ => None,
        })
        .collect()
}
