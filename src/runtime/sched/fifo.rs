//! FIFO: asyncio's order, exactly.

use super::{ReadyView, SchedulePolicy};
use crate::runtime::sched::Divergence;

/// Always the oldest ready option: what asyncio's event loop runs next.
pub(crate) struct Fifo;

impl SchedulePolicy for Fifo {
    fn pick(&mut self, _view: &ReadyView<'_>) -> Result<usize, Divergence> {
        Ok(0)
    }
}
