//! Queues for passing items between tasks: asyncio's `Queue`,
//! `PriorityQueue` and `LifoQueue`, with `task_done`/`join` and `shutdown`.
//!
//! The three share one core and differ only in the order items come out.
//! Like the [`sync`](crate::sync) primitives they are fair (getters and
//! putters are served in the order they started waiting; an item put while
//! getters wait is handed to the first of them, and room freed while
//! putters wait takes the first waiting putter's item at once),
//! cancel-correct (a dropped `get` puts back an item it was handed; a
//! dropped `put` either never put its item or already did, never half) and
//! observable (trace events, and deadlock report lines
//! such as `Queue#1 get: empty, 1 waiting to get`). See `docs/queues.md`
//! for the differences from asyncio.
//!
//! ```
//! use seedloop::{Sim, spawn, queue::Queue};
//! Sim::new(1).run(async {
//!     let q = Queue::new(1);
//!     let q2 = q.clone();
//!     let worker = spawn(async move {
//!         let mut sum = 0;
//!         while let Ok(x) = q2.get().await {
//!             sum += x;
//!             q2.task_done().unwrap();
//!         }
//!         sum
//!     });
//!     for x in 1..=4 { q.put(x).await.unwrap(); }
//!     q.join().await;
//!     q.shutdown(false);
//!     assert_eq!(worker.await.unwrap(), 10);
//! }).unwrap();
//! ```

mod error;
mod futures;
mod handles;
mod order;
mod shared;
mod status;

pub use error::{QueueEmpty, QueueFull, QueueShutDown, TooManyTaskDone};
pub use futures::{QueueGet, QueueJoin, QueuePut};
pub use handles::{LifoQueue, PriorityQueue, Queue};
