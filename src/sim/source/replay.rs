//! Replay: follow a recorded schedule, choice by choice.

use crate::runtime::sched::{Choice, Divergence};
use crate::runtime::sched::{ReadyView, SchedulePolicy};

/// Picks exactly what the schedule says, and fails with a [`Divergence`]
/// the moment the program offers something the schedule did not record.
pub(crate) struct Replay {
    choices: Vec<Choice>,
    next: usize,
}

impl Replay {
    pub fn new(choices: Vec<Choice>) -> Replay {
        Replay { choices, next: 0 }
    }
}

impl SchedulePolicy for Replay {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        let step = view.step();
        let Some(&c) = self.choices.get(self.next) else {
            return Err(Divergence {
                step,
                problem: format!(
                    "the schedule has {} choices, but the program asks for another \
                     (among {} ready)",
                    self.choices.len(),
                    view.len()
                ),
            });
        };
        if c.kind != view.kind() || c.options as usize != view.len() {
            return Err(Divergence {
                step,
                problem: format!(
                    "the schedule picked {} of {} ready, but the program offers {} ready",
                    c.picked,
                    c.options,
                    view.len()
                ),
            });
        }
        self.next += 1;
        Ok(c.picked as usize)
    }

    fn finish(&self, made: usize) -> Result<(), Divergence> {
        if made < self.choices.len() {
            return Err(Divergence {
                step: made,
                problem: format!(
                    "the run ended after {made} choices, but the schedule has {}",
                    self.choices.len()
                ),
            });
        }
        Ok(())
    }
}
