//! Prefixed: follow a list of picks (each capped at the last option), then
//! the seeded policy. A search guided by assertions runs a kept schedule's
//! beginning again and lets the seed vary the rest.

use crate::runtime::sched::value::ValueView;
use crate::runtime::sched::Divergence;
use crate::runtime::sched::{ReadyView, SchedulePolicy};

pub(crate) struct Prefixed {
    prefix: Vec<u64>,
    next: usize,
    then: Box<dyn SchedulePolicy>,
}

impl Prefixed {
    pub fn new(prefix: Vec<u64>, then: Box<dyn SchedulePolicy>) -> Prefixed {
        Prefixed {
            prefix,
            next: 0,
            then,
        }
    }

    /// The prefix's next pick, capped at `last`, while the prefix lasts.
    fn next_in_prefix(&mut self, last: u64) -> Option<u64> {
        let pick = self.prefix.get(self.next).copied()?;
        self.next += 1;
        Some(pick.min(last))
    }
}

impl SchedulePolicy for Prefixed {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        match self.next_in_prefix(view.len() as u64 - 1) {
            Some(p) => Ok(p as usize),
            None => self.then.pick(view),
        }
    }

    fn value(&mut self, view: &ValueView<'_>) -> Result<u64, Divergence> {
        match self.next_in_prefix(view.request.last()) {
            Some(p) => Ok(p),
            None => self.then.value(view),
        }
    }
}
