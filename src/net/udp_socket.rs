//! `UdpSocket`: datagrams.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;

use super::backend::DatagramIo;
use super::{current_network, first_that_works, resolve, ToSocketAddrs};

/// A UDP socket. asyncio: `create_datagram_endpoint`.
///
/// Several tasks may send and receive on one socket at once (share it in an
/// `Rc`); each datagram goes to exactly one receiver.
///
/// ```
/// use seedloop::net::UdpSocket;
/// seedloop::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"hi", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
///     Ok::<_, std::io::Error>(())
/// }).unwrap();
/// ```
#[doc(alias = "create_datagram_endpoint")]
pub struct UdpSocket {
    io: Box<dyn DatagramIo>,
}

impl UdpSocket {
    /// Binds a socket to `addr` (port 0: the OS picks one).
    ///
    /// # Errors
    /// The address is in use (`AddrInUse`) or not available, no address
    /// resolved, or the call was made outside a runtime.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let network = current_network("seedloop::net::UdpSocket::bind")?;
        let addrs = resolve(&*network, &addr)?;
        first_that_works(addrs, |addr| {
            let io = network.bind_udp(addr);
            async move { Ok(UdpSocket { io: io? }) }
        })
        .await
    }

    /// Sets the default peer: [`send`](UdpSocket::send) goes there, and
    /// [`recv`](UdpSocket::recv) only takes datagrams from there.
    ///
    /// # Errors
    /// No address resolved or the OS refused (for every resolved address).
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let network = current_network("seedloop::net::UdpSocket::connect")?;
        let addrs = resolve(&*network, &addr)?;
        first_that_works(addrs, |addr| async move { self.io.connect(addr) }).await
    }

    /// Sends one datagram to `target`; returns the bytes sent.
    ///
    /// # Cancel safety
    /// Cancel-safe: the datagram is either sent whole or not at all.
    ///
    /// # Errors
    /// The OS refused (too large, unreachable, …).
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let network = current_network("seedloop::net::UdpSocket::send_to")?;
        let target = resolve(&*network, &target)?[0];
        poll_fn(|cx| self.io.poll_send_to(cx, buf, target)).await
    }

    /// Receives one datagram into `buf` (the rest of a longer datagram is
    /// lost); returns its length and sender.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is taken only when it is returned.
    ///
    /// # Errors
    /// The OS failed (on some systems an earlier send's ICMP error shows up here).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.io.poll_recv_from(cx, buf)).await
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Errors
    /// Not connected, or as [`send_to`](UdpSocket::send_to).
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_send(cx, buf)).await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Errors
    /// Not connected, `ConnectionRefused` if the peer's port is closed (an
    /// ICMP error from an earlier send), or as [`recv_from`](UdpSocket::recv_from).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_recv(cx, buf)).await
    }

    /// The address it is bound to.
    ///
    /// # Errors
    /// The OS could not say.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    /// `NotConnected` if [`connect`](UdpSocket::connect) was not called.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
