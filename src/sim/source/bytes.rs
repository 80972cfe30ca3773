//! Bytes: every choice (picks and values) drawn from fuzzer input through
//! `arbitrary::Unstructured`; FIFO, and each value its domain's first, once
//! the bytes run out.
//!
//! A coverage-guided fuzzer then steers the schedule: mutating a byte changes
//! one decision, and an input that runs out early means "FIFO from here".

use crate::runtime::sched::value::ValueView;
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

impl Bytes {
    /// An option in `0..=last` from the next bytes, 0 once they run out.
    fn next(&mut self, last: u64) -> u64 {
        let rest = &self.data[self.offset.min(self.data.len())..];
        if rest.is_empty() {
            return 0;
        }
        let mut u = arbitrary::Unstructured::new(rest);
        let pick = u.int_in_range(0..=last).unwrap_or(0);
        self.offset += rest.len() - u.len();
        pick
    }
}

impl SchedulePolicy for Bytes {
    fn pick(&mut self, view: &ReadyView<'_>) -> Result<usize, Divergence> {
        Ok(self.next(view.len() as u64 - 1) as usize)
    }

    fn value(&mut self, view: &ValueView<'_>) -> Result<u64, Divergence> {
        Ok(self.next(view.request.last()))
    }
}
