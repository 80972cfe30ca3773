//! `ToSocketAddrs`: seedloop's own address trait. std's trait would ask the
//! OS resolver for a name; this one hands the name to the run's network,
//! which resolves host names itself in sim and asks the OS in real mode.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// What a socket call resolves: socket addresses as given, or a host name
/// and a port for the network to look up.
#[derive(Clone, Debug)]
pub(crate) enum AddrSpec {
    Addrs(Vec<SocketAddr>),
    Name(String, u16),
}

mod sealed {
    /// Keeps [`ToSocketAddrs`](super::ToSocketAddrs) implemented here only.
    pub trait Sealed {
        #[doc(hidden)]
        fn spec(&self) -> std::io::Result<super::AddrSpecBox>;
    }
}

/// The address spec behind the sealed method (a private type in a public
/// signature must be nameable: this wrapper is, and shows nothing).
#[doc(hidden)]
#[derive(Debug)]
pub struct AddrSpecBox(pub(crate) AddrSpec);

/// Anything that names a socket address: a `SocketAddr`, `"10.0.0.2:7000"`,
/// `"server:7000"`, `("server", 7000)`, an `(IpAddr, u16)` pair, a slice of
/// addresses. The same types as `std::net::ToSocketAddrs`.
///
/// Host names are resolved by the run's network: in sim, the names of the
/// simulated hosts (`net::host`) and `localhost`; in real mode, the OS
/// resolver (which blocks the loop: pass an IP address where that matters).
///
/// ```
/// use seedloop::net::{self, TcpListener, TcpStream};
/// seedloop::Sim::new(1).run(async {
///     let _server = net::host("server", || async {
///         let l = TcpListener::bind("0.0.0.0:7000").await?;
///         let _conn = l.accept().await?;
///         Ok::<_, std::io::Error>(())
///     });
///     let c = TcpStream::connect(("server", 7000)).await.unwrap();
///     assert_eq!(c.peer_addr().unwrap().to_string(), "10.0.0.2:7000");
/// }).unwrap();
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

impl<T: sealed::Sealed + ?Sized> ToSocketAddrs for T {}

/// Resolves what `addr` names without a network (addresses as given; a
/// name stays a name).
pub(crate) fn spec(addr: &(impl ToSocketAddrs + ?Sized)) -> io::Result<AddrSpec> {
    addr.spec().map(|b| b.0)
}

fn addrs(list: Vec<SocketAddr>) -> io::Result<AddrSpecBox> {
    Ok(AddrSpecBox(AddrSpec::Addrs(list)))
}

impl sealed::Sealed for SocketAddr {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(vec![*self])
    }
}

impl sealed::Sealed for SocketAddrV4 {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(vec![SocketAddr::V4(*self)])
    }
}

impl sealed::Sealed for SocketAddrV6 {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(vec![SocketAddr::V6(*self)])
    }
}

impl sealed::Sealed for (IpAddr, u16) {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(vec![SocketAddr::new(self.0, self.1)])
    }
}

impl sealed::Sealed for (Ipv4Addr, u16) {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(vec![SocketAddr::new(IpAddr::V4(self.0), self.1)])
    }
}

impl sealed::Sealed for (Ipv6Addr, u16) {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(vec![SocketAddr::new(IpAddr::V6(self.0), self.1)])
    }
}

impl sealed::Sealed for (&str, u16) {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => addrs(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => Ok(AddrSpecBox(AddrSpec::Name(self.0.to_string(), self.1))),
        }
    }
}

impl sealed::Sealed for (String, u16) {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        (self.0.as_str(), self.1).spec()
    }
}

impl sealed::Sealed for str {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return addrs(vec![addr]);
        }
        let invalid = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{self:?} is not an address: write host:port, e.g. \"server:7000\""),
            )
        };
        let (host, port) = self.rsplit_once(':').ok_or_else(invalid)?;
        let port: u16 = port.parse().map_err(|_| invalid())?;
        (host, port).spec()
    }
}

impl sealed::Sealed for String {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        self.as_str().spec()
    }
}

impl sealed::Sealed for [SocketAddr] {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(self.to_vec())
    }
}

impl<const N: usize> sealed::Sealed for [SocketAddr; N] {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(self.to_vec())
    }
}

impl sealed::Sealed for Vec<SocketAddr> {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        addrs(self.clone())
    }
}

impl<T: sealed::Sealed + ?Sized> sealed::Sealed for &T {
    fn spec(&self) -> io::Result<AddrSpecBox> {
        (**self).spec()
    }
}

/// Resolves a spec as std does (the OS resolver for names): real mode.
pub(crate) fn resolve_with_os(spec: AddrSpec) -> io::Result<Vec<SocketAddr>> {
    match spec {
        AddrSpec::Addrs(list) => Ok(list),
        AddrSpec::Name(host, port) => {
            std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)).map(Iterator::collect)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses_are_told_apart() {
        assert!(matches!(spec("10.0.0.2:7000").unwrap(), AddrSpec::Addrs(a) if a.len() == 1));
        assert!(matches!(spec("server:7000").unwrap(), AddrSpec::Name(h, 7000) if h == "server"));
        assert!(matches!(
            spec(&("127.0.0.1", 9)).unwrap(),
            AddrSpec::Addrs(_)
        ));
        assert_eq!(
            spec("server").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert!(matches!(spec("[::1]:80").unwrap(), AddrSpec::Addrs(_)));
    }
}
