//! Bytes: every choice drawn from fuzzer input through `arbitrary::Unstructured`;
//! FIFO once the bytes run out.
//!
//! A coverage-guided fuzzer then steers the schedule: mutating a byte changes
//! one decision, and an input that runs out early means "FIFO from here".

use crate::runtime::sched::Divergence;
use crate::runtime::sched::{ReadyView, SchedulePolicy};

pub(crate) struct Bytes {
    data: Vec<u8>,
    offset: usize,
}

impl Bytes {
    pub fn new(data: Vec<u8>) -> Bytes {
        Bytes { data, offset: 0 }
    }
}

impl SchedulePolicy for Bytes {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        let rest = &self.data[self.offset.min(self.data.len())..];
        if rest.is_empty() {
            return Ok(0);
        }
        let mut u = arbitrary::Unstructured::new(rest);
        let pick = u.int_in_range(0..=view.len() - 1).unwrap_or(0);
        self.offset += rest.len() - u.len();
        Ok(pick)
    }
}
