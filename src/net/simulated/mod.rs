//! The simulated network: the second backend of the seam (`backend.rs`).
//!
//! One [`World`] per sim run holds every host (its name, its address
//! 10.0.0.N, its ports), every connection, listener and UDP socket, and the
//! links between hosts. Nothing here polls: a message is stored with the
//! instant it is due (now + a delay drawn through `crate::random`), and the
//! one waiting for it sets one timer on the virtual clock for the earliest
//! thing it waits for. Partitions, holds and crashes change the tables and
//! wake whoever they concern.

mod control;
mod current;
mod link;
mod listen;
mod strike;
mod tcp;
mod udp;
mod wait;

pub(crate) use control::{host_main, Ways};
pub(crate) use current::{current, enter, Entered};
pub(crate) use strike::maybe_strike;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use super::addr::AddrSpec;
use super::backend::{ConnectFuture, DatagramIo, ListenerIo, Network};
use super::Config;
use crate::runtime::context::with_core;
use crate::runtime::hosts::HostNumber;
use crate::slab::{Slab, SlabKey};
use crate::time::Instant;
use link::Link;
use listen::ListenerEntry;
use tcp::Conn;
use udp::UdpEntry;

/// A host's code: the closure given to `net::host`, run at start and at
/// every restart.
pub(crate) type HostMain = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>>>>>;

/// One simulated host.
pub(crate) struct HostEntry {
    pub name: Rc<str>,
    pub ip: Ipv4Addr,
    /// Running (not crashed).
    pub up: bool,
    /// The next port of the host's sequence (port 0 binds, client ends).
    next_port: u16,
    pub main: Option<HostMain>,
}

/// Which table a port belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Proto {
    Tcp,
    Udp,
}

/// The first port of every host's sequence.
const FIRST_PORT: u16 = 40001;

/// Everything the network holds.
#[derive(Default)]
pub(crate) struct State {
    pub hosts: Vec<HostEntry>,
    pub conns: Slab<Conn>,
    pub listeners: Slab<ListenerEntry>,
    pub udp: Slab<UdpEntry>,
    /// Datagrams on their way, by the (host, port) they go to.
    pub udp_inboxes: BTreeMap<(HostNumber, u16), udp::Inbox>,
    /// Taken ports: (host, protocol, port) -> the socket holding it.
    pub ports: BTreeMap<(HostNumber, Proto, u16), SlabKey>,
    /// Links that something stops, by (from, to).
    pub links: BTreeMap<(HostNumber, HostNumber), Link>,
    /// Connects waiting for a link to clear.
    pub link_waiters: Vec<Waker>,
    /// Datagram sequence numbers (ties between equal delivery instants).
    pub next_datagram: u64,
}

/// The simulated network of one run.
pub(crate) struct World {
    pub config: Config,
    pub state: RefCell<State>,
}

impl World {
    pub fn new(config: Config) -> World {
        let state = State {
            hosts: vec![HostEntry {
                name: "main".into(),
                ip: Ipv4Addr::new(10, 0, 0, 1),
                up: true,
                next_port: FIRST_PORT,
                main: None,
            }],
            ..State::default()
        };
        World {
            config,
            state: RefCell::new(state),
        }
    }

    /// A delay drawn from the configured latency range, in microsecond
    /// steps: a value choice of the run, not shown as a `random` line (the
    /// message's own line shows its delay).
    #[track_caller]
    pub fn draw_delay(&self) -> Duration {
        let lo = micros(self.config.latency.start);
        let hi = micros(self.config.latency.end);
        if hi <= lo {
            return Duration::from_micros(lo);
        }
        Duration::from_micros(crate::random::range_drawn(
            lo..hi,
            std::panic::Location::caller(),
            false,
        ))
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// `3 ms`, `2.5 ms`, `0.250 ms`: a delay as traces show it.
pub(crate) fn show_delay(d: Duration) -> String {
    let us = micros(d);
    if us % 1000 == 0 {
        format!("{} ms", us / 1000)
    } else {
        let s = format!("{}.{:03}", us / 1000, us % 1000);
        format!("{} ms", s.trim_end_matches('0'))
    }
}

/// `1 byte`, `5 bytes`.
pub(crate) fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// The run's clock (links run on it, whatever a host's clock says).
pub(crate) fn now() -> Instant {
    with_core("seedloop::net", |core| core.global_now())
}

/// The run's clock, if a run is current (a socket dropped after its run
/// ended finds none, and its network is gone with the run anyway).
pub(crate) fn try_now() -> Option<Instant> {
    crate::runtime::context::try_with_core(|core| core.global_now())
}

/// The host whose code runs now.
pub(crate) fn acting_host() -> HostNumber {
    with_core("seedloop::net", |core| core.acting_host())
}

impl State {
    pub fn host(&self, n: HostNumber) -> &HostEntry {
        &self.hosts[n as usize]
    }

    /// Every host's name, `main, server, backup`: for an error that names
    /// a host that is not there.
    pub fn host_names(&self) -> String {
        let names: Vec<&str> = self.hosts.iter().map(|h| &*h.name).collect();
        names.join(", ")
    }

    pub fn host_named(&self, name: &str) -> Option<HostNumber> {
        self.hosts
            .iter()
            .position(|h| &*h.name == name)
            .map(|i| i as HostNumber)
    }

    /// The host `ip` reaches from host `from`: loopback and the unspecified
    /// address reach `from` itself.
    pub fn host_at(&self, ip: IpAddr, from: HostNumber) -> Option<HostNumber> {
        if ip.is_loopback() || ip.is_unspecified() {
            return Some(from);
        }
        self.hosts
            .iter()
            .position(|h| IpAddr::V4(h.ip) == ip)
            .map(|i| i as HostNumber)
    }

    /// `server:7000`: an address as traces and reports name it.
    pub fn label(&self, host: HostNumber, port: u16) -> Rc<str> {
        format!("{}:{port}", self.host(host).name).into()
    }

    /// Since when the link `from -> to` is stopped, if it is.
    #[inline]
    pub fn blocked_since(&self, from: HostNumber, to: HostNumber) -> Option<Instant> {
        if from == to || self.links.is_empty() {
            return None;
        }
        self.links.get(&(from, to)).and_then(Link::blocked_since)
    }

    pub fn partitioned_since(&self, from: HostNumber, to: HostNumber) -> Option<Instant> {
        if from == to {
            return None;
        }
        self.links
            .get(&(from, to))
            .and_then(|l| l.partitioned_since)
    }

    /// What a report adds about the link `from -> to`: ` (partitioned)`.
    pub fn link_note(&self, from: HostNumber, to: HostNumber) -> &'static str {
        match self.links.get(&(from, to)).and_then(Link::describe) {
            _ if from == to => "",
            Some("partitioned") => " (partitioned)",
            Some(_) => " (held)",
            None => "",
        }
    }

    /// The next free port of `host`'s sequence for `proto`.
    fn free_port(&mut self, host: HostNumber, proto: Proto) -> io::Result<u16> {
        for _ in 0..=(u16::MAX - FIRST_PORT) {
            let h = &mut self.hosts[host as usize];
            let port = h.next_port;
            h.next_port = if port == u16::MAX {
                FIRST_PORT
            } else {
                port + 1
            };
            if !self.ports.contains_key(&(host, proto, port)) {
                return Ok(port);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "every port of the host's sequence is taken",
        ))
    }

    /// Checks that `host` may bind `addr` and picks its port (0: the next
    /// of the sequence). Returns the address as the socket reports it.
    pub fn bind_addr(
        &mut self,
        host: HostNumber,
        proto: Proto,
        addr: SocketAddr,
    ) -> io::Result<SocketAddr> {
        let ip = addr.ip();
        let own = IpAddr::V4(self.host(host).ip);
        if !(ip.is_unspecified() || ip.is_loopback() || ip == own) {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!(
                    "host \"{}\" has the address {own}: it cannot bind {addr}",
                    self.host(host).name
                ),
            ));
        }
        let port = match addr.port() {
            0 => self.free_port(host, proto)?,
            p if self.ports.contains_key(&(host, proto, p)) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "{} port {p} of host \"{}\" is in use",
                        match proto {
                            Proto::Tcp => "TCP",
                            Proto::Udp => "UDP",
                        },
                        self.host(host).name
                    ),
                ))
            }
            p => p,
        };
        Ok(SocketAddr::new(ip, port))
    }

    /// The address a socket bound to `bound` on `host` sends from, toward
    /// `to`: loopback stays loopback, otherwise the host's own address.
    pub fn source_addr(&self, host: HostNumber, bound: SocketAddr, to: IpAddr) -> SocketAddr {
        if to.is_loopback() || to.is_unspecified() {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), bound.port())
        } else {
            SocketAddr::new(IpAddr::V4(self.host(host).ip), bound.port())
        }
    }

    /// Frees `port` if `key` still holds it.
    pub fn release_port(&mut self, host: HostNumber, proto: Proto, port: u16, key: SlabKey) {
        if self.ports.get(&(host, proto, port)) == Some(&key) {
            self.ports.remove(&(host, proto, port));
        }
    }
}

impl Network for Rc<World> {
    fn resolve(&self, spec: AddrSpec) -> io::Result<Vec<SocketAddr>> {
        match spec {
            AddrSpec::Addrs(list) => Ok(list),
            AddrSpec::Name(name, port) => {
                if name == "localhost" {
                    return Ok(vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)]);
                }
                let state = self.state.borrow();
                match state.host_named(&name) {
                    Some(h) => Ok(vec![SocketAddr::new(IpAddr::V4(state.host(h).ip), port)]),
                    None => Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!(
                            "no simulated host is named {name:?} (hosts: {})",
                            state.host_names()
                        ),
                    )),
                }
            }
        }
    }

    fn bind_tcp(&self, addr: SocketAddr) -> io::Result<Box<dyn ListenerIo>> {
        listen::bind(self, addr)
    }

    fn connect_tcp(&self, addr: SocketAddr) -> ConnectFuture {
        Box::pin(listen::connect(self.clone(), addr))
    }

    fn bind_udp(&self, addr: SocketAddr) -> io::Result<Box<dyn DatagramIo>> {
        udp::bind(self, addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_show_in_milliseconds() {
        assert_eq!(show_delay(Duration::from_millis(3)), "3 ms");
        assert_eq!(show_delay(Duration::from_micros(2500)), "2.5 ms");
        assert_eq!(show_delay(Duration::from_micros(250)), "0.25 ms");
    }
}
