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
//! simulated network for sim mode as the second. It is not built yet, so in a sim run
//! every constructor returns an error of kind
//! [`Unsupported`](std::io::ErrorKind::Unsupported) saying so.
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

mod backend;
mod os_backend;
mod tcp_listener;
mod tcp_stream;
mod udp_socket;

pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp_socket::UdpSocket;

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;

use crate::runtime::context::try_with_core;
use backend::Network;
use os_backend::OsNetwork;

/// The current runtime's network, or an error naming `what` and the fix.
pub(crate) fn current_network(what: &str) -> io::Result<Rc<dyn Network>> {
    match try_with_core(|core| core.services().reactor.clone()) {
        Some(Some(reactor)) => Ok(Rc::new(OsNetwork::new(reactor))),
        Some(None) => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "{what} was called in a sim run, but the simulated network is not built yet: \
                 sim runs cannot open sockets. Run networking code in real mode \
                 (seedloop::run or seedloop::Runtime), or keep it out of sim tests for now"
            ),
        )),
        None => Err(io::Error::other(format!(
            "{what} was called outside a seedloop runtime: call it from inside \
             `seedloop::run(async {{ .. }})` (real mode)"
        ))),
    }
}

/// Resolves `addr` (an address, or a host name through the OS resolver,
/// which blocks) to at least one socket address.
pub(crate) fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
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
