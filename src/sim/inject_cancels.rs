//! `Sim::inject_cancels`: the run chooses whether, and at which await, to
//! cancel each candidate task. The mechanism, its domain and its
//! candidates are described in `runtime/cancel_injection.rs`; the guide's
//! section is "Cancellation at the worst moment" in `docs/exploring.md`.

use super::{Sim, Source};
use crate::runtime::cancel_injection::{DEFAULT_CANCEL_AWAITS, MAX_CANCEL_AWAITS};
use crate::runtime::sched::ChoiceKind;

impl Sim {
    /// With `true`, the run may cancel the tasks marked
    /// [`cancellable_by_check`](crate::task::Builder::cancellable_by_check),
    /// every [`TaskGroup`](crate::task::TaskGroup) child, and every task
    /// while it waits inside a [`timeout`](crate::timeout): for each, one
    /// [`ChoiceKind::Cancel`] choice picks "never" (option 0) or the await
    /// (1 to 8, see [`inject_cancels_up_to`](Sim::inject_cancels_up_to)) at
    /// which the cancel lands, an ordinary cancel request as
    /// [`Task::cancel`](crate::Task::cancel) makes. Off by default: then
    /// nothing is chosen and nothing changes. [`Sim::replay`] of a schedule
    /// that holds cancel choices turns it on by itself.
    ///
    /// The check's form is
    /// [`Check::inject_cancels`](crate::check::Check::inject_cancels).
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::Builder, JoinError};
    /// use std::time::Duration;
    /// let worker = || async {
    ///     let t = Builder::new().cancellable_by_check(true).spawn(async {
    ///         sleep(Duration::from_secs(1)).await;
    ///         sleep(Duration::from_secs(1)).await;
    ///     });
    ///     t.await
    /// };
    /// // Guided: the first choice is the cancel; option 2 is "at await 2".
    /// let out = Sim::guided(0, vec![2]).inject_cancels(true).run(worker()).unwrap();
    /// assert_eq!(out, Err(JoinError::Cancelled));
    /// // Without the option there is no choice: the task runs to its end.
    /// let out = Sim::guided(0, vec![2]).run(worker()).unwrap();
    /// assert_eq!(out, Ok(()));
    /// ```
    pub fn inject_cancels(mut self, on: bool) -> Sim {
        self.inject_cancels = on.then_some(DEFAULT_CANCEL_AWAITS);
        self
    }

    /// Turns cancel injection on (see [`inject_cancels`](Sim::inject_cancels))
    /// with cancels landing at one of the first `awaits` awaits of each
    /// candidate (default 8), clamped to 1..=15, so that each choice has
    /// at most 16 options and exhaustive search enumerates it whole. A
    /// larger bound reaches later awaits; a smaller one makes each likelier.
    ///
    /// ```
    /// use seedloop::{Sim, sim::ChoiceKind, task::Builder, yield_now};
    /// let mut sim = Sim::new(5).inject_cancels_up_to(3);
    /// let _ = sim.run(async {
    ///     let t = Builder::new().cancellable_by_check(true).spawn(yield_now());
    ///     let _ = t.await;
    /// });
    /// let cancel = sim.schedule().choices().iter().find(|c| c.kind == ChoiceKind::Cancel);
    /// assert_eq!(cancel.map(|c| c.options), Some(4)); // never, 1, 2, 3
    /// ```
    pub fn inject_cancels_up_to(mut self, awaits: u32) -> Sim {
        self.inject_cancels = Some(awaits.clamp(1, MAX_CANCEL_AWAITS));
        self
    }

    /// The bound the run uses: the one set, or, when replaying a schedule
    /// that holds cancel choices, the bound they were recorded with. None
    /// for the replay of a version 1 schedule: those runs injected nothing,
    /// and a cancel drawn from the seed would move their values.
    pub(super) fn cancel_awaits_for_run(&self) -> Option<u32> {
        if matches!(&self.source, Source::Replay(s) if s.values_from_seed()) {
            return None;
        }
        if self.inject_cancels.is_some() {
            return self.inject_cancels;
        }
        let Source::Replay(schedule) = &self.source else {
            return None;
        };
        schedule
            .choices()
            .iter()
            .find(|c| c.kind == ChoiceKind::Cancel)
            .and_then(|c| u32::try_from(c.options - 1).ok())
    }
}
