//! The public queue types: one macro writes `Queue`, `PriorityQueue` and
//! `LifoQueue` over the shared core, each with its ordering.

use std::fmt;

use super::error::{QueueEmpty, QueueFull, TooManyTaskDone};
use super::futures::{QueueGet, QueueJoin, QueuePut};
use super::order::Items;
use super::shared::QueueCore;

macro_rules! queue_type {
    (
        $(#[$meta:meta])*
        $name:ident, $store:ident $(, $bound:path)?
    ) => {
        $(#[$meta])*
        pub struct $name<T> {
            core: QueueCore<T>,
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                $name { core: self.core.clone() }
            }
        }

        impl<T $(: $bound)?> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("name", &self.core.name())
                    .field("len", &self.len())
                    .field("maxsize", &self.maxsize())
                    .field("shut_down", &self.is_shut_down())
                    .finish()
            }
        }

        impl<T $(: $bound)?> $name<T> {
            /// A queue holding at most `maxsize` items; `0` means unbounded.
            /// asyncio: `Queue(maxsize)`.
            ///
            /// ```
            #[doc = concat!("let q = seedloop::queue::", stringify!($name), "::<u32>::new(10);")]
            /// assert_eq!(q.maxsize(), 10);
            /// assert!(q.is_empty());
            /// ```
            pub fn new(maxsize: usize) -> Self {
                $name { core: QueueCore::new(maxsize, Items::$store()) }
            }

            /// Names it: traces and deadlock reports say
            #[doc = concat!("`", stringify!($name), " \"<name>\"` instead of `", stringify!($name), "#<n>`.")]
            /// A by-value builder, for construction.
            ///
            /// ```
            #[doc = concat!("let q = seedloop::queue::", stringify!($name), "::<u32>::new(4).named(\"jobs\");")]
            /// assert!(format!("{q:?}").contains("jobs"));
            /// ```
            pub fn named(self, name: &str) -> Self {
                self.core.set_name(name);
                self
            }

            /// Puts an item, waiting for room while the queue is full. An item
            /// put while getters wait goes straight to the first of them;
            /// putters that wait for room are served in the order they
            /// started waiting, each item entering the queue as soon as room
            /// frees for it. Returns a [`QueuePut`].
            ///
            /// # Errors
            /// [`QueueShutDown`](super::QueueShutDown) if the queue is (or
            /// while waiting, gets) shut down; the item is dropped.
            ///
            /// # Cancel safety
            /// Cancel-correct: if the future is dropped while it still waits
            /// for room, the item was not put (it is dropped with the
            /// future); once room freed for it, its item is in the queue.
            /// See [`QueuePut`].
            ///
            /// ```
            /// use seedloop::Sim;
            #[doc = concat!("use seedloop::queue::", stringify!($name), ";")]
            /// Sim::new(1).run(async {
            #[doc = concat!("    let q = ", stringify!($name), "::new(1);")]
            ///     q.put(5).await.unwrap();
            ///     assert!(q.is_full());
            /// }).unwrap();
            /// ```
            pub fn put(&self, item: T) -> QueuePut<'_, T> {
                self.core.put(item)
            }

            /// Takes the next item, waiting while the queue is empty. Getters
            /// are served in the order they started waiting, each with the
            /// item handed to it (no newcomer takes it first). Returns a
            /// [`QueueGet`].
            ///
            /// # Errors
            /// [`QueueShutDown`](super::QueueShutDown) if the queue is shut
            /// down and empty.
            ///
            /// # Cancel safety
            /// Cancel-correct: if the future is dropped before it completes, no
            /// item was taken; an item already handed to it goes back where it
            /// was (or to the next getter).
            ///
            /// ```
            /// use seedloop::{Sim, spawn};
            #[doc = concat!("use seedloop::queue::", stringify!($name), ";")]
            /// Sim::new(1).run(async {
            #[doc = concat!("    let q = ", stringify!($name), "::new(0);")]
            ///     let q2 = q.clone();
            ///     let getter = spawn(async move { q2.get().await });
            ///     q.put("hello").await.unwrap();
            ///     assert_eq!(getter.await.unwrap(), Ok("hello"));
            /// }).unwrap();
            /// ```
            pub fn get(&self) -> QueueGet<'_, T> {
                self.core.get()
            }

            /// Puts an item if there is room now.
            ///
            /// # Errors
            /// [`QueueFull`] with the item if the queue is full, or shut down.
            /// Putters already waiting keep their turn: while one waits, the
            /// queue is full for newcomers (room that frees goes to the
            /// waiting putter's item first).
            ///
            /// ```
            #[doc = concat!("use seedloop::queue::{", stringify!($name), ", QueueFull};")]
            #[doc = concat!("let q = ", stringify!($name), "::new(1);")]
            /// assert_eq!(q.put_nowait(1), Ok(()));
            /// assert_eq!(q.put_nowait(2), Err(QueueFull(2)));
            /// ```
            pub fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
                self.core.put_nowait(item)
            }

            /// Takes the next item if there is one now.
            ///
            /// # Errors
            /// [`QueueEmpty`] if there is none (also on a shut-down queue).
            ///
            /// ```
            #[doc = concat!("use seedloop::queue::{", stringify!($name), ", QueueEmpty};")]
            #[doc = concat!("let q = ", stringify!($name), "::new(0);")]
            /// q.put_nowait('x').unwrap();
            /// assert_eq!(q.get_nowait(), Ok('x'));
            /// assert_eq!(q.get_nowait(), Err(QueueEmpty));
            /// ```
            pub fn get_nowait(&self) -> Result<T, QueueEmpty> {
                self.core.get_nowait()
            }

            /// How many items the queue holds, counting items already handed to
            /// a getter that has not run yet (as asyncio's `qsize()` does).
            ///
            /// ```
            #[doc = concat!("let q = seedloop::queue::", stringify!($name), "::new(0);")]
            /// q.put_nowait(1).unwrap();
            /// assert_eq!(q.len(), 1);
            /// ```
            #[doc(alias = "qsize")]
            pub fn len(&self) -> usize {
                self.core.len()
            }

            /// Whether the queue holds no item. asyncio: `empty()`.
            ///
            /// ```
            #[doc = concat!("assert!(seedloop::queue::", stringify!($name), "::<u8>::new(0).is_empty());")]
            /// ```
            #[doc(alias = "empty")]
            pub fn is_empty(&self) -> bool {
                self.core.len() == 0
            }

            /// Whether a new item would have to wait: the queue holds `maxsize`
            /// items. Never true for an unbounded queue. asyncio: `full()`.
            ///
            /// ```
            #[doc = concat!("let q = seedloop::queue::", stringify!($name), "::new(1);")]
            /// q.put_nowait(1).unwrap();
            /// assert!(q.is_full());
            /// ```
            #[doc(alias = "full")]
            pub fn is_full(&self) -> bool {
                self.core.is_full()
            }

            /// The most items the queue holds; `0` for unbounded.
            ///
            /// ```
            #[doc = concat!("assert_eq!(seedloop::queue::", stringify!($name), "::<u8>::new(0).maxsize(), 0);")]
            /// ```
            pub fn maxsize(&self) -> usize {
                self.core.maxsize()
            }

            /// Marks one item taken with `get` as processed; when every item
            /// put has been marked, [`join`](Self::join) returns.
            ///
            /// # Errors
            /// [`TooManyTaskDone`] if called more times than items were put.
            ///
            /// ```
            #[doc = concat!("let q = seedloop::queue::", stringify!($name), "::new(0);")]
            /// q.put_nowait(1).unwrap();
            /// q.get_nowait().unwrap();
            /// assert!(q.task_done().is_ok());
            /// assert!(q.task_done().is_err());
            /// ```
            pub fn task_done(&self) -> Result<(), TooManyTaskDone> {
                self.core.task_done()
            }

            /// Waits until every item put has been marked with
            /// [`task_done`](Self::task_done) (at once if none is pending).
            /// Returns a [`QueueJoin`].
            ///
            /// # Cancel safety
            /// Cancel-safe: dropping it just stops waiting.
            ///
            /// ```
            /// use seedloop::{Sim, spawn};
            #[doc = concat!("use seedloop::queue::", stringify!($name), ";")]
            /// Sim::new(1).run(async {
            #[doc = concat!("    let q = ", stringify!($name), "::new(0);")]
            ///     let q2 = q.clone();
            ///     spawn(async move {
            ///         while let Ok(_item) = q2.get().await {
            ///             q2.task_done().unwrap();
            ///         }
            ///     }).detach();
            ///     for i in 0..3 { q.put(i).await.unwrap(); }
            ///     q.join().await;
            ///     assert!(q.is_empty());
            /// }).unwrap();
            /// ```
            pub fn join(&self) -> QueueJoin<'_, T> {
                self.core.join()
            }

            /// Shuts the queue down: `put` fails from now on, waiting putters
            /// fail, and `get` fails once the queue is empty (waiting getters
            /// fail at once, since the queue is empty when they wait). With
            /// `immediate`, the items still queued are dropped and count as
            /// done, which may release [`join`](Self::join); items already
            /// handed to a getter are still delivered.
            ///
            /// ```
            /// use seedloop::Sim;
            #[doc = concat!("use seedloop::queue::{", stringify!($name), ", QueueShutDown};")]
            /// Sim::new(1).run(async {
            #[doc = concat!("    let q = ", stringify!($name), "::new(0);")]
            ///     q.put(1).await.unwrap();
            ///     q.shutdown(false);
            ///     assert_eq!(q.get().await, Ok(1));
            ///     assert_eq!(q.get().await, Err(QueueShutDown));
            /// }).unwrap();
            /// ```
            pub fn shutdown(&self, immediate: bool) {
                self.core.shutdown(immediate)
            }

            /// Whether [`shutdown`](Self::shutdown) was called.
            ///
            /// ```
            #[doc = concat!("let q = seedloop::queue::", stringify!($name), "::<u8>::new(0);")]
            /// q.shutdown(true);
            /// assert!(q.is_shut_down());
            /// ```
            pub fn is_shut_down(&self) -> bool {
                self.core.is_shut_down()
            }
        }
    };
}

queue_type!(
    /// A first-in, first-out queue for passing items between tasks.
    /// asyncio: `Queue`.
    ///
    /// Waiting getters and putters are served strictly in the order they
    /// started waiting, and an item put while getters wait is handed to the
    /// first of them: unlike asyncio (CPython gh-83055), a newcomer cannot
    /// take it first. Cancelling a waiter loses nothing (see `put` and
    /// `get`). A `Queue` is a handle: clones share the same queue. Traces
    /// name it `Queue#n` and record `put`, `get`, `wait`, `task_done`,
    /// `shutdown`, `leave` and `pass on`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, queue::Queue};
    /// Sim::new(1).run(async {
    ///     let q = Queue::new(2);
    ///     let q2 = q.clone();
    ///     let consumer = spawn(async move {
    ///         let mut got = Vec::new();
    ///         while let Ok(x) = q2.get().await { got.push(x) }
    ///         got
    ///     });
    ///     for i in 0..5 { q.put(i).await.unwrap(); }
    ///     q.shutdown(false);
    ///     assert_eq!(consumer.await.unwrap(), [0, 1, 2, 3, 4]);
    /// }).unwrap();
    /// ```
    #[doc(alias = "asyncio.Queue")]
    Queue, fifo
);

queue_type!(
    /// A queue that gives the smallest item first; equal items come out in
    /// the order they were put. asyncio: `PriorityQueue` (put `(priority,
    /// data)` tuples for the classic use).
    ///
    /// An item put while getters wait goes straight to the first of them,
    /// even if a smaller item is put before that getter runs (in asyncio the
    /// smaller one would win). Otherwise it behaves as [`Queue`]; traces
    /// name it `PriorityQueue#n`.
    ///
    /// ```
    /// use seedloop::queue::PriorityQueue;
    /// let q = PriorityQueue::new(0);
    /// for job in [(3, "low"), (1, "urgent"), (2, "normal")] {
    ///     q.put_nowait(job).unwrap();
    /// }
    /// assert_eq!(q.get_nowait(), Ok((1, "urgent")));
    /// assert_eq!(q.get_nowait(), Ok((2, "normal")));
    /// ```
    #[doc(alias = "asyncio.PriorityQueue")]
    PriorityQueue, priority, Ord
);

queue_type!(
    /// A last-in, first-out queue (a stack). asyncio: `LifoQueue`.
    ///
    /// Otherwise it behaves as [`Queue`]; traces name it `LifoQueue#n`.
    ///
    /// ```
    /// use seedloop::queue::LifoQueue;
    /// let q = LifoQueue::new(0);
    /// for x in 1..=3 { q.put_nowait(x).unwrap(); }
    /// assert_eq!(q.get_nowait(), Ok(3));
    /// ```
    #[doc(alias = "asyncio.LifoQueue")]
    LifoQueue, lifo
);
