//! Guided: follow a list of picks, each capped at the last option, then FIFO.
//!
//! Unlike a replay this never diverges: any list of numbers is a valid
//! schedule for any program. That is what shrinking, bounded exhaustive
//! search and proptest need: they edit the list freely, and "shorter" or
//! "smaller" always means "closer to FIFO". Picks are capped, not reduced
//! modulo the options, so that a smaller pick never means a later option:
//! proptest's binary-search shrinking relies on that.

use crate::runtime::sched::Divergence;
use crate::runtime::sched::{ReadyView, SchedulePolicy};

pub(crate) struct Guided {
    picks: Vec<u32>,
    next: usize,
}

impl Guided {
    pub fn new(picks: Vec<u32>) -> Guided {
        Guided { picks, next: 0 }
    }
}

impl SchedulePolicy for Guided {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        let pick = self.picks.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        Ok((pick as usize).min(view.len() - 1))
    }
}
