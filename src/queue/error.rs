//! The errors of the queues, named after asyncio's exceptions.

use std::error::Error;
use std::fmt;

/// `put_nowait` found no room: the item comes back. asyncio: `QueueFull`.
///
/// A shut-down queue accepts nothing, so its `put_nowait` also gives the
/// item back this way (asyncio raises `QueueShutDown` there; check
/// `is_shut_down()` to tell the two apart).
///
/// ```
/// use seedloop::queue::{Queue, QueueFull};
/// let q = Queue::new(1);
/// q.put_nowait("a").unwrap();
/// assert_eq!(q.put_nowait("b"), Err(QueueFull("b")));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QueueFull<T>(pub T);

impl<T> QueueFull<T> {
    /// The item that was not put.
    ///
    /// ```
    /// assert_eq!(seedloop::queue::QueueFull(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueFull(..)")
    }
}

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the queue is full (or shut down): put_nowait gives the item back; \
             await put(item) to wait for room, or get items out first"
        )
    }
}

impl<T> Error for QueueFull<T> {}

/// `get_nowait` found no item. asyncio: `QueueEmpty`.
///
/// ```
/// use seedloop::queue::{Queue, QueueEmpty};
/// let q: Queue<u8> = Queue::new(0);
/// assert_eq!(q.get_nowait(), Err(QueueEmpty));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueEmpty;

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the queue is empty: get_nowait has nothing to give; await get() to wait for an item"
        )
    }
}

impl Error for QueueEmpty {}

/// The queue was shut down: `put` fails, and `get` fails once the queue is
/// empty. asyncio: `QueueShutDown`.
///
/// ```
/// use seedloop::{Sim, queue::{Queue, QueueShutDown}};
/// Sim::new(1).run(async {
///     let q = Queue::new(0);
///     q.shutdown(false);
///     assert_eq!(q.put(1).await, Err(QueueShutDown));
/// }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueShutDown;

impl fmt::Display for QueueShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the queue was shut down: it takes no more items, and gives none once empty"
        )
    }
}

impl Error for QueueShutDown {}

/// `task_done` was called more times than items were put. asyncio:
/// `ValueError('task_done() called too many times')`.
///
/// ```
/// use seedloop::queue::{Queue, TooManyTaskDone};
/// let q: Queue<u8> = Queue::new(0);
/// assert_eq!(q.task_done(), Err(TooManyTaskDone));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyTaskDone;

impl fmt::Display for TooManyTaskDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task_done() called too many times: call it once per item taken with get(), \
             after processing it"
        )
    }
}

impl Error for TooManyTaskDone {}
