//! `TcpStream`: one TCP connection, as `AsyncRead + AsyncWrite`.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::io::{AsyncRead, AsyncWrite};

use super::backend::StreamIo;
use super::{current_network, first_that_works, resolve, ToSocketAddrs};

/// A TCP connection. asyncio: the reader/writer pair of `open_connection`.
///
/// Read and write it with `futures::io::{AsyncReadExt, AsyncWriteExt}`.
/// `&TcpStream` is `AsyncRead + AsyncWrite` too, so one task can read while
/// another writes (share it in an `Rc`), or use `AsyncReadExt::split`.
///
/// A connection the peer reset gives `Err` (`ConnectionReset`, or
/// `BrokenPipe` on write); one the peer closed reads as end of stream
/// (`Ok(0)`). Neither panics.
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use seedloop::net::{TcpListener, TcpStream};
/// seedloop::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"ping").await?;
///     client.close().await?; // half-close: the server reads to the end
///     let mut got = Vec::new();
///     server.read_to_end(&mut got).await?;
///     assert_eq!(got, b"ping");
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
pub struct TcpStream {
    io: Box<dyn StreamIo>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn.
    /// In real mode a host name is resolved by the OS resolver, which blocks
    /// the loop; in sim, simulated hosts' names resolve (`"server:7000"`).
    ///
    /// # Cancel safety
    /// Dropping the future abandons the attempt and closes the socket.
    ///
    /// # Errors
    /// The connection was refused or failed (in sim: `ConnectionRefused`
    /// when nothing listens, `TimedOut` when a partition outlasts
    /// `net::Config::tcp_timeout`), no address resolved, or the call was
    /// made outside a runtime.
    ///
    /// ```
    /// use seedloop::net::{TcpListener, TcpStream};
    /// seedloop::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     drop(listener);
    ///     let err = TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// });
    /// ```
    #[doc(alias = "open_connection")]
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let network = current_network("seedloop::net::TcpStream::connect")?;
        let addrs = resolve(&*network, &addr)?;
        let io = first_that_works(addrs, |addr| network.connect_tcp(addr)).await?;
        Ok(TcpStream::from_io(io))
    }

    pub(crate) fn from_io(io: Box<dyn StreamIo>) -> TcpStream {
        TcpStream { io }
    }

    /// This end's address.
    ///
    /// # Errors
    /// The OS could not say.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    /// `NotConnected` once the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Waits for data and copies it into `buf` without taking it: the next
    /// read returns it again. Returns 0 at the end of the stream.
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is consumed.
    ///
    /// # Errors
    /// As a read: `ConnectionReset` if the peer reset the connection.
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use seedloop::net::{TcpListener, TcpStream};
    /// seedloop::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"abc").await?;
    ///     let mut buf = [0; 3];
    ///     let n = server.peek(&mut buf).await?;
    ///     server.read_exact(&mut buf[..n]).await?; // the same bytes again
    ///     assert_eq!(&buf[..n], &b"abc"[..n]);
    ///     Ok::<_, std::io::Error>(())
    /// }).unwrap();
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_peek(cx, buf)).await
    }

    /// Shuts down reading, writing or both. Shutting down writing sends
    /// end-of-stream to the peer (as `AsyncWriteExt::close` does).
    ///
    /// # Errors
    /// `NotConnected` if the connection is already gone.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// Turns Nagle's algorithm off (`true`: small writes go out at once).
    ///
    /// # Errors
    /// The OS refused.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off.
    ///
    /// # Errors
    /// The OS could not say.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.nodelay()
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, buf)
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_write(cx, buf)
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored(cx, bufs)
    }

    fn poll_close_priv(&self) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_priv(cx, buf)
    }
}

impl AsyncRead for &TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_priv(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_priv(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(())) // writes go straight to the OS
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_close_priv()
    }
}

impl AsyncWrite for &TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_priv(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_close_priv()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}
