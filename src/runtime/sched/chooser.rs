//! The chooser: the one place every nondeterministic decision goes through.
//!
//! It asks the run's [`SchedulePolicy`](super::SchedulePolicy) and logs the
//! answer as a [`Choice`] `(kind, options, picked)`: which ready task runs
//! next, and every value the program draws (`seedloop::random`, faults,
//! injected cancellations). The log is what sim mode prints as a schedule
//! string and replays; the codec lives in `sim/`.

use std::fmt;

use super::fifo::Fifo;
use super::rng::{stream, Stream};
use super::value::{ValueRequest, ValueView};
use super::{ReadyView, SchedulePolicy};
use crate::runtime::ready_set::ReadySet;

/// What a choice decided.
///
/// Option 0 is always the plain one: what asyncio would run next, the
/// smallest value of a domain, a fault that does not happen. Shrinking and
/// bounded search measure a schedule by its non-zero picks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChoiceKind {
    /// Which ready task (or due callback) runs next.
    Run,
    /// A value the program drew (`seedloop::random`, `random::range`,
    /// `random::chance`): option `i` is the domain's `i`-th value.
    Value,
    /// A fault: whether a `buggify!` site is enabled in this run, and
    /// whether an enabled one fires (option 1 is "yes").
    Fault,
    /// Whether, and at which await, the exploration cancels a task.
    Cancel,
}

impl ChoiceKind {
    pub(crate) fn code(self) -> u64 {
        match self {
            ChoiceKind::Run => 0,
            ChoiceKind::Value => 1,
            ChoiceKind::Fault => 2,
            ChoiceKind::Cancel => 3,
        }
    }

    pub(crate) fn from_code(c: u64) -> Option<ChoiceKind> {
        match c {
            0 => Some(ChoiceKind::Run),
            1 => Some(ChoiceKind::Value),
            2 => Some(ChoiceKind::Fault),
            3 => Some(ChoiceKind::Cancel),
            _ => None,
        }
    }

    /// Whether this is a value drawn by the program (anything but a pick of
    /// the next task).
    ///
    /// ```
    /// use seedloop::sim::ChoiceKind;
    /// assert!(ChoiceKind::Value.is_value() && ChoiceKind::Fault.is_value());
    /// assert!(!ChoiceKind::Run.is_value());
    /// ```
    pub fn is_value(self) -> bool {
        self != ChoiceKind::Run
    }
}

/// One decision: `picked` among `options` (0 is what FIFO would pick, or
/// the smallest value).
///
/// ```
/// use seedloop::{Sim, sim::ChoiceKind};
/// let mut sim = Sim::new(3);
/// let ms = sim.run(async { seedloop::random::range(1..11) }).unwrap();
/// let c = sim.schedule().choices()[0];
/// assert_eq!((c.kind, c.options, c.picked + 1), (ChoiceKind::Value, 10, ms));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Choice {
    /// What was decided.
    pub kind: ChoiceKind,
    /// How many options there were (at least 2: forced moves are not logged).
    /// A value's domain is at most 2^53 options (wider draws are made of
    /// several choices).
    pub options: u64,
    /// Which one was taken, from 0.
    pub picked: u64,
}

/// Where a replayed schedule stopped fitting the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The choice (from 0) at which it diverged.
    pub step: usize,
    /// What went wrong there, in words.
    pub problem: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the schedule no longer fits the program at choice {}: {}. The program \
             changed since the schedule was recorded, or it is not deterministic \
             (docs/determinism.md lists what breaks determinism)",
            self.step, self.problem
        )
    }
}

/// The one place every nondeterministic decision goes through: asks the
/// policy, logs the answer (unless built [`unlogged`](Chooser::unlogged)).
pub(crate) struct Chooser {
    policy: Box<dyn SchedulePolicy>,
    /// The policy's `always_oldest`, asked once.
    always_oldest: bool,
    log: Vec<Choice>,
    /// Whether `log` records choices (sim) or stays empty (real mode, whose
    /// runs may last for months: a log there would grow without bound).
    logging: bool,
    /// Choices made so far, logged or not.
    made: usize,
    /// Value choices made so far.
    drawn: usize,
}

impl Chooser {
    /// A chooser that logs every choice (sim), in the thread's spare log
    /// buffer if there is one (see `spare_tables.rs`).
    pub fn new(policy: Box<dyn SchedulePolicy>) -> Chooser {
        Chooser {
            always_oldest: policy.always_oldest(),
            policy,
            log: crate::runtime::spare_tables::take_choice_log(),
            logging: true,
            made: 0,
            drawn: 0,
        }
    }

    /// A chooser that asks `policy` but keeps no log (real mode).
    pub fn unlogged(policy: Box<dyn SchedulePolicy>) -> Chooser {
        Chooser {
            always_oldest: policy.always_oldest(),
            policy,
            log: Vec::new(),
            logging: false,
            made: 0,
            drawn: 0,
        }
    }

    pub fn fifo() -> Chooser {
        Chooser::new(Box::new(Fifo::new(stream(0, Stream::User))))
    }

    /// Picks which ready option runs next (there are at least two).
    #[inline]
    pub fn pick(&mut self, ready: &ReadySet) -> Result<usize, Divergence> {
        if self.always_oldest {
            self.log_pick(ready.options(), 0);
            return Ok(0);
        }
        self.ask_policy(ready)
    }

    /// [`pick`](Chooser::pick) by asking the policy.
    #[inline(never)]
    fn ask_policy(&mut self, ready: &ReadySet) -> Result<usize, Divergence> {
        let view = ReadyView::new(ready, self.made);
        let options = view.len();
        let picked = self.policy.pick(&view)?;
        assert!(picked < options, "policy picked {picked} of {options}");
        self.log_pick(options, picked);
        Ok(picked)
    }

    #[inline]
    fn log_pick(&mut self, options: usize, picked: usize) {
        self.made += 1;
        if self.logging {
            self.log.push(Choice {
                kind: ChoiceKind::Run,
                options: options as u64,
                picked: picked as u64,
            });
        }
    }

    /// Picks a value of `request`'s domain (at least 2 options).
    pub fn value(&mut self, request: &ValueRequest) -> Result<u64, Divergence> {
        let view = ValueView {
            request,
            step: self.made,
            draw: self.drawn,
        };
        let picked = self.policy.value(&view)?;
        assert!(
            picked < request.options,
            "policy picked value {picked} of {}",
            request.options
        );
        self.made += 1;
        self.drawn += 1;
        if self.logging {
            self.log.push(Choice {
                kind: request.kind,
                options: request.options,
                picked,
            });
        }
        Ok(picked)
    }

    /// After the run: a replay that was not used up is a divergence too.
    pub fn finish(&self) -> Result<(), Divergence> {
        self.policy.finish(self.made)
    }

    pub fn into_log(self) -> Vec<Choice> {
        self.log
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlogged_chooser_picks_but_keeps_no_log() {
        use crate::runtime::ids::{TaskId, TaskKey};
        let mut ready = ReadySet::default();
        for i in 0..3 {
            let key = TaskKey {
                index: i,
                generation: 0,
            };
            ready.push_task(key, TaskId(u64::from(i) + 1));
        }
        ready.begin_turn();
        let mut logged = Chooser::fifo();
        let mut unlogged = Chooser::unlogged(Box::new(Fifo::new(stream(0, Stream::User))));
        for _ in 0..1000 {
            assert_eq!(logged.pick(&ready), Ok(0));
            assert_eq!(unlogged.pick(&ready), Ok(0));
        }
        assert_eq!(logged.into_log().len(), 1000);
        assert!(unlogged.finish().is_ok());
        assert!(unlogged.into_log().is_empty());
    }
}
