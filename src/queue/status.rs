//! What a deadlock report says about a queue: a copy of the queue's counts
//! that does not depend on its item type, and one view per way of waiting
//! on it (get, put, join).

use std::cell::Cell;
use std::rc::Rc;

use crate::runtime::blocker::Blocker;
use crate::runtime::ids::TaskId;
use crate::sync::object::ObjectName;

/// The counts of a queue, kept current by every operation.
pub(crate) struct QueueStatus {
    pub name: ObjectName,
    maxsize: usize,
    pub len: Cell<usize>,
    pub unfinished: Cell<usize>,
    pub getters: Cell<usize>,
    pub putters: Cell<usize>,
}

/// How a blocked task waits on a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Get,
    Put,
    Join,
}

/// One way of waiting on a queue, as a report line.
pub(crate) struct QueueWait {
    status: Rc<QueueStatus>,
    side: Side,
}

/// The three report views of one queue, made once per queue.
pub(crate) struct QueueWaits {
    pub status: Rc<QueueStatus>,
    pub get: Rc<QueueWait>,
    pub put: Rc<QueueWait>,
    pub join: Rc<QueueWait>,
}

impl QueueWaits {
    pub fn new(kind: &'static str, maxsize: usize) -> QueueWaits {
        let status = Rc::new(QueueStatus {
            name: ObjectName::new(kind),
            maxsize,
            len: Cell::new(0),
            unfinished: Cell::new(0),
            getters: Cell::new(0),
            putters: Cell::new(0),
        });
        let view = |side| {
            Rc::new(QueueWait {
                status: status.clone(),
                side,
            })
        };
        QueueWaits {
            get: view(Side::Get),
            put: view(Side::Put),
            join: view(Side::Join),
            status,
        }
    }
}

impl Blocker for QueueWait {
    fn describe(&self, _name: &dyn Fn(TaskId) -> String) -> String {
        let s = &self.status;
        let name = s.name.show();
        match self.side {
            Side::Get => format!("{name} get: empty, {} waiting to get", s.getters.get()),
            Side::Put => format!(
                "{name} put: full ({}/{}), {} waiting to put",
                s.len.get(),
                s.maxsize,
                s.putters.get()
            ),
            Side::Join => format!(
                "{name} join: {} item(s) not yet marked task_done",
                s.unfinished.get()
            ),
        }
    }
}
