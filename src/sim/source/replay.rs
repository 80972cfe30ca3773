//! Replay: follow a recorded schedule, choice by choice.

use crate::runtime::sched::value::ValueView;
use crate::runtime::sched::{Choice, ChoiceKind, Divergence};
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

impl Replay {
    /// The recorded choice for a `kind` choice among `options`, or where
    /// the program and the schedule part.
    fn next(&mut self, step: usize, kind: ChoiceKind, options: u64) -> Result<u64, Divergence> {
        let Some(&c) = self.choices.get(self.next) else {
            return Err(Divergence {
                step,
                problem: format!(
                    "the schedule has {} choices, but the program makes another (it {})",
                    self.choices.len(),
                    asks(kind, options)
                ),
            });
        };
        if c.kind != kind || c.options != options {
            return Err(Divergence {
                step,
                problem: format!(
                    "the schedule {} there, but the program {}",
                    recorded(&c),
                    asks(kind, options)
                ),
            });
        }
        self.next += 1;
        Ok(c.picked)
    }
}

/// What the schedule holds, in words: `picked 1 of 2 ready`.
fn recorded(c: &Choice) -> String {
    match c.kind {
        ChoiceKind::Run => format!("picked {} of {} ready", c.picked, c.options),
        ChoiceKind::Value => format!("drew value {} of {}", c.picked, c.options),
        ChoiceKind::Fault => "decided a fault".into(),
        ChoiceKind::Cancel => format!("decided a cancel ({} of {})", c.picked, c.options),
    }
}

/// What the program asks, in words: `offers 3 ready`.
fn asks(kind: ChoiceKind, options: u64) -> String {
    match kind {
        ChoiceKind::Run => format!("offers {options} ready"),
        ChoiceKind::Value => format!("asks for a value among {options}"),
        ChoiceKind::Fault => "asks for a fault decision".into(),
        ChoiceKind::Cancel => format!("asks for a cancel decision among {options}"),
    }
}

impl SchedulePolicy for Replay {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        self.next(view.step(), ChoiceKind::Run, view.len() as u64)
            .map(|p| p as usize)
    }

    fn value(&mut self, view: &ValueView<'_>) -> Result<u64, Divergence> {
        self.next(view.step, view.kind(), view.options())
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
