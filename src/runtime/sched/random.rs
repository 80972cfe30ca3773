//! Uniform random choice among the ready options.

use rand_chacha::ChaCha8Rng;

use super::{ReadyView, SchedulePolicy};
use crate::runtime::sched::rng::below;
use crate::runtime::sched::Divergence;

/// Each pick is uniform over the ready options, drawn from the schedule stream.
pub(crate) struct Random {
    rng: ChaCha8Rng,
}

impl Random {
    pub fn new(rng: ChaCha8Rng) -> Random {
        Random { rng }
    }
}

impl SchedulePolicy for Random {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        Ok(below(&mut self.rng, view.len() as u64) as usize)
    }
}
