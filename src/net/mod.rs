//! Networking: [`TcpListener`], [`TcpStream`] and [`UdpSocket`], asyncio's
//! `start_server`/`open_connection`/datagram endpoints as Rust types.
//!
//! In real mode they are non-blocking OS sockets on the runtime's mio
//! reactor: an operation that would block parks the task until the reactor
//! reports readiness. [`TcpStream`] implements
//! [`futures::io::AsyncRead`]/[`AsyncWrite`](futures::io::AsyncWrite), so
//! `futures::io::AsyncReadExt`/`AsyncWriteExt` give `read`, `read_exact`,
//! `write_all`, `close`. Every failure is an [`io::Error`]:
//! a peer that resets the connection or closes half of it is an error or an
//! end of stream for that socket, never a panic of the runtime.
//!
//! The types sit on a backend seam (`backend.rs`: what every backend must
//! provide), with the OS network as its first implementation and a
//! simulated network for sim mode as the second: in a sim run the same
//! types talk over simulated hosts ([`host`], [`Host`]) with latencies,
//! partitions ([`partition`], [`hold`]) and crashes ([`Host::crash`]), all
//! decided by the seed. See the guide's page on the simulated network.
//!
//! ```
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//! use seedloop::net::{TcpListener, TcpStream};
//! seedloop::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = seedloop::spawn(async move {
//!         let (mut conn, _) = listener.accept().await?;
//!         let mut buf = [0; 5];
//!         conn.read_exact(&mut buf).await?;
//!         conn.write_all(&buf).await?;
//!         Ok::<_, std::io::Error>(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut echo = [0; 5];
//!     client.read_exact(&mut echo).await?;
//!     assert_eq!(&echo, b"hello");
//!     server.await.unwrap()
//! }).unwrap();
//! ```

mod addr;
mod backend;
mod config;
mod faults;
mod host;
mod os_backend;
mod simulated;
mod tcp_listener;
mod tcp_stream;
mod udp_socket;

pub use addr::ToSocketAddrs;
pub use config::Config;
pub use faults::Faults;
pub use host::{hold, host, partition, partition_oneway, release, repair, Host};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp_socket::UdpSocket;

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use crate::runtime::context::try_with_core;
use backend::Network;
use os_backend::OsNetwork;

/// Enters a simulated network with `config` for a sim run on this thread
/// (`Sim::run` holds the guard for the run's length).
pub(crate) fn enter_simulated(config: Config) -> simulated::Entered {
    simulated::enter(config)
}

/// The current runtime's network, or an error naming `what` and the fix.
pub(crate) fn current_network(what: &str) -> io::Result<Rc<dyn Network>> {
    let reactor = try_with_core(|core| core.services().reactor.clone());
    match reactor {
        Some(Some(reactor)) => Ok(Rc::new(OsNetwork::new(reactor))),
        Some(None) => match simulated::current() {
            Some(world) => Ok(Rc::new(world)),
            None => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("{what}: this runtime has no network"),
            )),
        },
        None => Err(io::Error::other(format!(
            "{what} was called outside a seedloop runtime: call it from inside \
             `seedloop::run(async {{ .. }})` (real mode) or `Sim::new(seed).run(async {{ .. }})`"
        ))),
    }
}

/// Resolves `addr` through `network` (sim: host names; real: the OS
/// resolver, which blocks) to at least one socket address.
pub(crate) fn resolve(
    network: &dyn Network,
    addr: &(impl ToSocketAddrs + ?Sized),
) -> io::Result<Vec<SocketAddr>> {
    let addrs = network.resolve(addr::spec(addr)?)?;
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to no socket address",
        ));
    }
    Ok(addrs)
}

/// Tries `attempt` on each address in turn; the first success wins, else
/// the last error.
pub(crate) async fn first_that_works<T, Fut>(
    addrs: Vec<SocketAddr>,
    mut attempt: impl FnMut(SocketAddr) -> Fut,
) -> io::Result<T>
where
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addrs {
        match attempt(addr).await {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("resolve returns at least one address"))
}
