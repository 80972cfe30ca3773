//! `TcpListener`: accepts TCP connections.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::backend::ListenerIo;
use super::{current_network, first_that_works, resolve, TcpStream, ToSocketAddrs};

/// A TCP socket listening for connections. asyncio: the server of
/// `start_server`.
///
/// ```
/// use seedloop::net::{TcpListener, TcpStream};
/// seedloop::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = seedloop::spawn(async move { TcpStream::connect(addr).await });
///     let (conn, peer) = listener.accept().await?;
///     assert_eq!(peer, client.await.unwrap()?.local_addr()?);
///     assert_eq!(conn.local_addr()?, addr);
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct TcpListener {
    io: Box<dyn ListenerIo>,
}

impl TcpListener {
    /// Binds to `addr` and listens (port 0: the OS picks a free port; in
    /// sim, the next port of the host's sequence, from 40001). In real mode
    /// a host name is resolved by the OS resolver, which blocks the loop:
    /// pass an IP address where that matters. In sim, a host binds its own
    /// address, `0.0.0.0` or `127.0.0.1`.
    ///
    /// # Errors
    /// The address is in use (`AddrInUse`) or not available, no address
    /// resolved, or the call was made outside a runtime.
    ///
    /// ```
    /// use seedloop::{net::TcpListener, Sim};
    /// let err = Sim::new(1).run(async {
    ///     let _first = TcpListener::bind("0.0.0.0:80").await?;
    ///     TcpListener::bind("0.0.0.0:80").await.map(drop)
    /// }).unwrap().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let network = current_network("seedloop::net::TcpListener::bind")?;
        let addrs = resolve(&*network, &addr)?;
        first_that_works(addrs, |addr| {
            let io = network.bind_tcp(addr);
            async move { Ok(TcpListener { io: io? }) }
        })
        .await
    }

    /// Waits for the next connection and returns it with the peer's address.
    ///
    /// # Cancel safety
    /// Cancel-safe: a connection is taken from the OS only when it is
    /// returned.
    ///
    /// # Errors
    /// The OS failed to accept (out of file descriptors, …). The listener
    /// stays usable.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next connection: the building block of [`accept`](TcpListener::accept).
    ///
    /// # Errors
    /// As [`accept`](TcpListener::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.io.poll_accept(cx) {
            Poll::Ready(Ok((io, peer))) => Poll::Ready(Ok((TcpStream::from_io(io), peer))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address it listens on (with the port the OS picked, for port 0).
    ///
    /// # Errors
    /// The OS could not say.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
