//! Uniform random choice among the ready options, and plain value draws.

use rand_chacha::ChaCha8Rng;

use super::value::ValueView;
use super::{ReadyView, SchedulePolicy};
use crate::runtime::sched::rng::below;
use crate::runtime::sched::Divergence;

/// Each pick is uniform over the ready options, drawn from the schedule
/// stream; each value is drawn plainly from the value stream, so drawing a
/// value never shifts the picks.
pub(crate) struct Random {
    picks: ChaCha8Rng,
    values: ChaCha8Rng,
}

impl Random {
    pub fn new(picks: ChaCha8Rng, values: ChaCha8Rng) -> Random {
        Random { picks, values }
    }
}

impl SchedulePolicy for Random {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        Ok(below(&mut self.picks, view.len() as u64) as usize)
    }

    fn value(&mut self, view: &ValueView<'_>) -> Result<u64, Divergence> {
        Ok(view.request.draw_plain(&mut self.values))
    }
}
