//! Real mode: the same executor on the monotonic clock and a mio reactor,
//! scheduling in asyncio's FIFO order, for production.
//!
//! [`Runtime`] (and [`run`], asyncio's `asyncio.run`) runs a program written
//! against seedloop's API, unchanged from the one tested under
//! [`Sim`](crate::Sim). What differs from sim is only the clock (real), the
//! scheduling order (FIFO, never seeded) and the network (real sockets in
//! [`seedloop::net`](crate::net)). `docs/real-mode.md` is the guide.
//!
//! ```
//! use seedloop::{spawn, sleep, time::Instant};
//! use std::time::Duration;
//! let took = seedloop::run(async {
//!     let tasks: Vec<_> = (0..3).map(|_| spawn(sleep(Duration::from_millis(5)))).collect();
//!     for t in tasks {
//!         t.await.unwrap();
//!     }
//!     Instant::now().since_start()
//! });
//! assert!(took >= Duration::from_millis(5)); // concurrently: not 15 ms
//! ```
//!
//! Inside: `driver.rs` is the real [`Driver`](crate::runtime) (clock, park in
//! `mio::Poll`), `reactor.rs` the poller and its table of sockets,
//! `blocking_pool.rs` the threads of [`to_thread`](crate::to_thread),
//! `debug.rs` asyncio's debug mode.

mod blocking_pool;
mod builder;
mod debug;
pub(crate) mod driver;
mod error;
pub(crate) mod reactor;
pub(crate) mod registered;
mod runtime;
mod stop;
mod to_thread;

pub use builder::{Builder, DEFAULT_SLOW_POLL_THRESHOLD};
pub use debug::DebugEvent;
pub use error::RuntimeError;
pub use runtime::{run, Runtime};
pub use stop::StopHandle;
pub use to_thread::{to_thread, to_thread_for, ToThread};
