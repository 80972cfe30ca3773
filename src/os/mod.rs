//! The operating system's services, below the core: the mio reactor with its
//! table of registered sources, and the bounded pool of blocking threads.
//!
//! Nothing here knows the executor: real mode builds them and hands them to
//! the core as typed [`Services`](crate::runtime::Services); sockets
//! (`net/`) and [`to_thread`](crate::to_thread) reach them through the
//! current core. A sim run has none (it models I/O and blocking instead).

pub(crate) mod blocking_pool;
pub(crate) mod reactor;
pub(crate) mod registered;
