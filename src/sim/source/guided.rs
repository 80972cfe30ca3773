//! Guided: follow a list of picks, each capped at the last option, then FIFO
//! (and each value its domain's first).
//!
//! Unlike a replay this never diverges: any list of numbers is a valid
//! schedule for any program. That is what shrinking, bounded exhaustive
//! search and proptest need: they edit the list freely, and "shorter" or
//! "smaller" always means "closer to FIFO". Picks are capped, not reduced
//! modulo the options, so that a smaller pick never means a later option:
//! proptest's binary-search shrinking relies on that.

use crate::runtime::sched::value::ValueView;
use crate::runtime::sched::Divergence;
use crate::runtime::sched::{ReadyView, SchedulePolicy};

pub(crate) struct Guided {
    picks: Vec<u64>,
    next: usize,
}

impl Guided {
    pub fn new(picks: Vec<u64>) -> Guided {
        Guided { picks, next: 0 }
    }

    fn next(&mut self, last: u64) -> u64 {
        let pick = self.picks.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        pick.min(last)
    }
}

impl SchedulePolicy for Guided {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        Ok(self.next(view.len() as u64 - 1) as usize)
    }

    fn value(&mut self, view: &ValueView<'_>) -> Result<u64, Divergence> {
        Ok(self.next(view.request.last()))
    }
}
