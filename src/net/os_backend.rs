//! The OS network: non-blocking mio sockets registered with the real-mode
//! reactor. The first implementation of the backend seam (`backend.rs`).

use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::task::{Context, Poll};

use super::addr::AddrSpec;
use super::backend::{ConnectFuture, DatagramIo, ListenerIo, Network, StreamIo};
use crate::os::reactor::{Reactor, Ready};
use crate::os::registered::Registered;

/// The OS network of one real-mode run.
pub(crate) struct OsNetwork {
    reactor: Rc<Reactor>,
}

impl OsNetwork {
    pub fn new(reactor: Rc<Reactor>) -> OsNetwork {
        OsNetwork { reactor }
    }
}

impl Network for OsNetwork {
    fn resolve(&self, spec: AddrSpec) -> io::Result<Vec<SocketAddr>> {
        super::addr::resolve_with_os(spec)
    }

    fn bind_tcp(&self, addr: SocketAddr) -> io::Result<Box<dyn ListenerIo>> {
        let listener = mio::net::TcpListener::bind(addr)?;
        Ok(Box::new(Registered::new(
            &self.reactor,
            listener,
            Ready::BOTH,
        )?))
    }

    fn connect_tcp(&self, addr: SocketAddr) -> ConnectFuture {
        Box::pin(connect(self.reactor.clone(), addr))
    }

    fn bind_udp(&self, addr: SocketAddr) -> io::Result<Box<dyn DatagramIo>> {
        let socket = mio::net::UdpSocket::bind(addr)?;
        Ok(Box::new(Registered::new(
            &self.reactor,
            socket,
            Ready::BOTH,
        )?))
    }
}

/// Connects to one address: start the non-blocking connect, wait until the
/// socket is writable, then ask the OS how it went.
async fn connect(reactor: Rc<Reactor>, addr: SocketAddr) -> io::Result<Box<dyn StreamIo>> {
    let stream = mio::net::TcpStream::connect(addr)?;
    let registered = Registered::new(&reactor, stream, Ready::NONE)?;
    poll_fn(|cx| loop {
        if registered.poll_ready(Ready::WRITE, cx).is_pending() {
            return Poll::Pending;
        }
        if let Some(e) = registered.get().take_error()? {
            return Poll::Ready(Err(e));
        }
        match registered.get().peer_addr() {
            Ok(_) => return Poll::Ready(Ok(())),
            // Woken before the handshake finished: wait for the next event.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                registered.clear_ready(Ready::WRITE);
            }
            Err(e) => return Poll::Ready(Err(e)),
        }
    })
    .await?;
    registered.set_ready(Ready::READ);
    Ok(Box::new(registered))
}

impl ListenerIo for Registered<mio::net::TcpListener> {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get().local_addr()
    }

    fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(Box<dyn StreamIo>, SocketAddr)>> {
        match self.poll_io(Ready::READ, cx, |l| l.accept()) {
            Poll::Ready(Ok((stream, peer))) => Poll::Ready(
                Registered::new(self.reactor(), stream, Ready::BOTH)
                    .map(|s| (Box::new(s) as Box<dyn StreamIo>, peer)),
            ),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl StreamIo for Registered<mio::net::TcpStream> {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get().local_addr()
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get().peer_addr()
    }

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_transfer(Ready::READ, cx, buf.len(), |mut s| s.read(buf))
    }

    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_io(Ready::READ, cx, |s| s.peek(buf))
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_transfer(Ready::WRITE, cx, buf.len(), |mut s| s.write(buf))
    }

    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.poll_transfer(Ready::WRITE, cx, len, |mut s| s.write_vectored(bufs))
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.get().shutdown(how)
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.get().set_nodelay(nodelay)
    }

    fn nodelay(&self) -> io::Result<bool> {
        self.get().nodelay()
    }
}

impl DatagramIo for Registered<mio::net::UdpSocket> {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get().local_addr()
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get().peer_addr()
    }

    fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.get().connect(addr)
    }

    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.poll_io(Ready::WRITE, cx, |s| s.send_to(buf, target))
    }

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.poll_io(Ready::READ, cx, |s| s.recv_from(buf))
    }

    fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_io(Ready::WRITE, cx, |s| s.send(buf))
    }

    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_io(Ready::READ, cx, |s| s.recv(buf))
    }
}
