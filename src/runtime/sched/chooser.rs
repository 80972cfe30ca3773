//! The chooser: the one place every nondeterministic decision goes through.
//!
//! It asks the run's [`SchedulePolicy`](super::SchedulePolicy) and logs the
//! answer as a [`Choice`] `(kind, options, picked)`. The log is what sim mode
//! prints as a schedule string and replays; the codec lives in `sim/`.

use std::fmt;

use super::fifo::Fifo;
use super::{ReadyView, SchedulePolicy};
use crate::runtime::ready_set::ReadySet;

/// What a choice decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChoiceKind {
    /// Which ready task (or due callback) runs next.
    Run,
}

impl ChoiceKind {
    pub(crate) fn code(self) -> u64 {
        match self {
            ChoiceKind::Run => 0,
        }
    }

    pub(crate) fn from_code(c: u64) -> Option<ChoiceKind> {
        match c {
            0 => Some(ChoiceKind::Run),
            _ => None,
        }
    }
}

/// One decision: `picked` among `options` (0 is what FIFO would pick).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Choice {
    /// What was decided.
    pub kind: ChoiceKind,
    /// How many options there were (at least 2: forced moves are not logged).
    pub options: u32,
    /// Which one was taken, from 0.
    pub picked: u32,
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
    log: Vec<Choice>,
    /// Whether `log` records choices (sim) or stays empty (real mode, whose
    /// runs may last for months: a log there would grow without bound).
    logging: bool,
    /// Choices made so far, logged or not.
    made: usize,
}

impl Chooser {
    pub fn new(policy: Box<dyn SchedulePolicy>) -> Chooser {
        Chooser {
            policy,
            log: Vec::with_capacity(64),
            logging: true,
            made: 0,
        }
    }

    /// A chooser that asks `policy` but keeps no log (real mode).
    pub fn unlogged(policy: Box<dyn SchedulePolicy>) -> Chooser {
        Chooser {
            log: Vec::new(),
            logging: false,
            ..Chooser::new(policy)
        }
    }

    pub fn fifo() -> Chooser {
        Chooser::new(Box::new(Fifo))
    }

    /// Picks which ready option runs next (there are at least two).
    pub fn pick(&mut self, ready: &ReadySet) -> Result<usize, Divergence> {
        let view = ReadyView::new(ChoiceKind::Run, ready, self.made);
        let options = view.len();
        let picked = self.policy.pick(&view)?;
        assert!(picked < options, "policy picked {picked} of {options}");
        self.made += 1;
        if self.logging {
            self.log.push(Choice {
                kind: ChoiceKind::Run,
                options: options as u32,
                picked: picked as u32,
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
        let mut unlogged = Chooser::unlogged(Box::new(Fifo));
        for _ in 0..1000 {
            assert_eq!(logged.pick(&ready), Ok(0));
            assert_eq!(unlogged.pick(&ready), Ok(0));
        }
        assert_eq!(logged.into_log().len(), 1000);
        assert!(unlogged.finish().is_ok());
        assert!(unlogged.into_log().is_empty());
    }
}
