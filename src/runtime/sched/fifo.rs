//! FIFO: asyncio's order, exactly.

use rand_chacha::ChaCha8Rng;

use super::value::ValueView;
use super::{ReadyView, SchedulePolicy};
use crate::runtime::sched::Divergence;

/// Always the oldest ready option: what asyncio's event loop runs next.
/// Values are drawn plainly (uniform, or a biased coin) from the seed's
/// value stream: FIFO fixes the order, not the program's data.
pub(crate) struct Fifo {
    values: ChaCha8Rng,
}

impl Fifo {
    pub fn new(values: ChaCha8Rng) -> Fifo {
        Fifo { values }
    }
}

impl SchedulePolicy for Fifo {
    fn pick(&mut self, _view: &ReadyView<'_>) -> Result<usize, Divergence> {
        Ok(0)
    }

    fn always_oldest(&self) -> bool {
        true
    }

    fn value(&mut self, view: &ValueView<'_>) -> Result<u64, Divergence> {
        Ok(view.request.draw_plain(&mut self.values))
    }
}
