//! The backend seam: what every network backend provides, so that one socket
//! API ([`TcpListener`](super::TcpListener), [`TcpStream`](super::TcpStream),
//! [`UdpSocket`](super::UdpSocket)) runs over the OS network in real mode and
//! over a simulated one in sim mode.
//!
//! A backend is a [`Network`] that opens sockets, and one object per socket
//! kind. Every backend must provide:
//!
//! - `Network::bind_tcp`, `connect_tcp`, `bind_udp`: open a socket on one
//!   address (the socket types resolve names and try each address).
//!   `connect_tcp` finishes the handshake before it returns.
//! - `poll_*` methods that never block: `Poll::Pending` after registering
//!   `cx`'s waker, so the task is woken when the operation may succeed. An
//!   operation returns `Ready` only when it took effect (cancel safety: a
//!   dropped `accept`, `recv` or `read` loses nothing).
//! - End of stream as `Ok(0)` from `poll_read`; a reset as `ConnectionReset`;
//!   a write after the peer left as `BrokenPipe` or `ConnectionReset`.
//! - `shutdown(Write)` delivers end-of-stream to the peer after the bytes
//!   written before it.
//! - Dropping a socket object closes it (a listener stops accepting; a stream
//!   sends end-of-stream, or a reset if unread data remains, as the OS does).
//!
//! The OS backend (`os_backend.rs`, mio) is the first implementation; the
//! simulated network is the second.

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::addr::AddrSpec;

/// Opens sockets on one network.
pub(crate) trait Network {
    /// The socket addresses `spec` names (a name: looked up the network's way).
    fn resolve(&self, spec: AddrSpec) -> io::Result<Vec<SocketAddr>>;
    /// A listener bound to `addr`.
    fn bind_tcp(&self, addr: SocketAddr) -> io::Result<Box<dyn ListenerIo>>;
    /// A connection to `addr`, once its handshake is done.
    fn connect_tcp(&self, addr: SocketAddr) -> ConnectFuture;
    /// A datagram socket bound to `addr`.
    fn bind_udp(&self, addr: SocketAddr) -> io::Result<Box<dyn DatagramIo>>;
}

/// What `Network::connect_tcp` returns.
pub(crate) type ConnectFuture = Pin<Box<dyn Future<Output = io::Result<Box<dyn StreamIo>>>>>;

/// A listening TCP socket.
pub(crate) trait ListenerIo {
    fn local_addr(&self) -> io::Result<SocketAddr>;
    /// The next connection and its peer's address.
    fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(Box<dyn StreamIo>, SocketAddr)>>;
}

/// One TCP connection.
pub(crate) trait StreamIo {
    fn local_addr(&self) -> io::Result<SocketAddr>;
    fn peer_addr(&self) -> io::Result<SocketAddr>;
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    /// As `poll_read`, but the bytes stay to be read again.
    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;
    fn nodelay(&self) -> io::Result<bool>;
}

/// A UDP socket.
pub(crate) trait DatagramIo {
    fn local_addr(&self) -> io::Result<SocketAddr>;
    fn peer_addr(&self) -> io::Result<SocketAddr>;
    /// Sets the default peer.
    fn connect(&self, addr: SocketAddr) -> io::Result<()>;
    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>>;
    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>>;
    fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
}
