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
//! Inside: `driver.rs` is the real driver (clock, park in `mio::Poll`),
//! `debug.rs` asyncio's debug mode. The services real mode gives the core
//! (the reactor, the blocking pool) live in `src/os/`, below the core.

mod builder;
mod debug;
pub(crate) mod driver;
mod error;
mod runtime;
mod stop;

pub use crate::task::{to_thread, to_thread_for, ToThread};
pub use builder::{Builder, DEFAULT_SLOW_POLL_THRESHOLD};
pub use debug::DebugEvent;
pub use error::RuntimeError;
pub use runtime::{run, Runtime};
pub use stop::StopHandle;
