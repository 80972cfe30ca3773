//! Simulated UDP: each datagram is due at its own instant (datagrams may
//! overtake each other), may be lost or duplicated, and is lost if a
//! partition cuts its link before it arrives.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::wait::{self, NetWait, NetWaitOn, WakeTimer};
use super::{acting_host, now, show_delay, Proto, State, World};
use crate::net::backend::DatagramIo;
use crate::runtime::context::with_core;
use crate::runtime::hosts::HostNumber;
use crate::slab::SlabKey;
use crate::time::Instant;
use crate::trace::EventKind;

/// A datagram on its way.
pub(crate) struct Datagram {
    pub at: Instant,
    seq: u64,
    pub from: SocketAddr,
    pub from_host: HostNumber,
    data: Vec<u8>,
}

impl PartialEq for Datagram {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Datagram {}

impl PartialOrd for Datagram {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Datagram {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A bound UDP socket.
pub(crate) struct UdpEntry {
    pub host: HostNumber,
    pub addr: SocketAddr,
    peer: Option<SocketAddr>,
    /// Arriving datagrams, earliest first.
    pub inbox: BinaryHeap<Reverse<Datagram>>,
    /// Tasks waiting to receive; the first one's waker is on the timer.
    waiters: Vec<Waker>,
    timer: WakeTimer,
}

impl UdpEntry {
    /// Sets the timer for the first datagram, on the first waiter.
    fn rearm(&mut self) {
        match (self.waiters.first(), self.inbox.peek()) {
            (Some(w), Some(Reverse(d))) => {
                let w = w.clone();
                if self.timer.at() != Some(d.at) {
                    self.timer.arm(Some(d.at), &w);
                }
            }
            _ => self.timer.cancel(),
        }
    }

    /// Drops the datagrams from `from` still in flight at `now`.
    pub fn drop_in_flight_from(&mut self, from: HostNumber, now: Instant) {
        if self
            .inbox
            .iter()
            .any(|Reverse(d)| d.from_host == from && d.at > now)
        {
            let kept: Vec<_> = std::mem::take(&mut self.inbox)
                .into_vec()
                .into_iter()
                .filter(|Reverse(d)| !(d.from_host == from && d.at > now))
                .collect();
            self.inbox = kept.into();
            self.rearm();
        }
    }
}

pub(crate) fn bind(world: &Rc<World>, addr: SocketAddr) -> io::Result<Box<dyn DatagramIo>> {
    let host = acting_host();
    let mut state = world.state.borrow_mut();
    let addr = state.bind_addr(host, Proto::Udp, addr)?;
    let key = state.udp.insert(UdpEntry {
        host,
        addr,
        peer: None,
        inbox: BinaryHeap::new(),
        waiters: Vec::new(),
        timer: WakeTimer::default(),
    });
    state.ports.insert((host, Proto::Udp, addr.port()), key);
    Ok(Box::new(SimUdp {
        wait: Rc::new(NetWait {
            world: Rc::downgrade(world),
            describe: describe_recv,
            on: NetWaitOn::Socket(key),
        }),
        world: world.clone(),
        key,
        host,
        addr,
        peer: RefCell::new(None),
    }))
}

fn describe_recv(world: &World, on: &NetWaitOn) -> String {
    let NetWaitOn::Socket(key) = on else {
        unreachable!()
    };
    let state = world.state.borrow();
    match state.udp.get(*key) {
        Some(u) => format!("to receive on {} (udp)", state.label(u.host, u.addr.port())),
        None => "to receive on a UDP socket that is gone".into(),
    }
}

/// A simulated UDP socket.
struct SimUdp {
    world: Rc<World>,
    key: SlabKey,
    host: HostNumber,
    addr: SocketAddr,
    peer: RefCell<Option<SocketAddr>>,
    wait: Rc<NetWait>,
}

fn not_connected() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the UDP socket has no peer: call connect first",
    )
}

impl SimUdp {
    fn send(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let now = now();
        let mut state = self.world.state.borrow_mut();
        let state = &mut *state;
        if !state.udp.contains(self.key) {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the socket is gone",
            ));
        }
        let Some(to) = state.host_at(target.ip(), self.host) else {
            return Ok(buf.len()); // no such host: the datagram goes nowhere
        };
        let from = state.source_addr(self.host, self.addr, target.ip());
        let config = &self.world.config;
        let fate = if state.partitioned_since(self.host, to).is_some() {
            Some("lost (partitioned)")
        } else if config.udp_loss > 0.0 && crate::random::chance(config.udp_loss) {
            Some("lost")
        } else {
            None
        };
        let copies = if fate.is_none()
            && config.udp_duplicate > 0.0
            && crate::random::chance(config.udp_duplicate)
        {
            2
        } else {
            1
        };
        for copy in 0..copies {
            let delay = if fate.is_none() {
                self.world.draw_delay()
            } else {
                std::time::Duration::ZERO
            };
            with_core("seedloop::net", |core| {
                core.record_with(|| {
                    EventKind::object(
                        format!(
                            "{} -> {}",
                            state.label(self.host, from.port()),
                            state.label(to, target.port())
                        ),
                        "udp",
                        match fate {
                            Some(f) => format!("{} bytes {f}", buf.len()),
                            None if copy == 1 => {
                                format!(
                                    "{} bytes duplicate (delay {})",
                                    buf.len(),
                                    show_delay(delay)
                                )
                            }
                            None => format!("{} bytes (delay {})", buf.len(), show_delay(delay)),
                        },
                    )
                })
            });
            if fate.is_some() {
                break;
            }
            state.next_datagram += 1;
            let datagram = Datagram {
                at: now + delay,
                seq: state.next_datagram,
                from,
                from_host: self.host,
                data: buf.to_vec(),
            };
            if self.host != to {
                if let Some(link) = state.links.get_mut(&(self.host, to)) {
                    if link.held_since.is_some() {
                        link.held_datagrams.push((target, datagram));
                        continue;
                    }
                }
            }
            deliver(state, to, target, datagram);
        }
        Ok(buf.len())
    }

    fn poll_take(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        let now = now();
        let mut state = self.world.state.borrow_mut();
        let Some(entry) = state.udp.get_mut(self.key) else {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the socket is gone",
            )));
        };
        while entry.inbox.peek().is_some_and(|Reverse(d)| d.at <= now) {
            let Reverse(d) = entry.inbox.pop().expect("peeked");
            if entry.peer.is_some_and(|p| p != d.from) {
                continue; // a connected socket takes only its peer's datagrams
            }
            let n = d.data.len().min(buf.len());
            buf[..n].copy_from_slice(&d.data[..n]);
            entry.waiters.retain(|w| !w.will_wake(cx.waker()));
            entry.rearm();
            return Poll::Ready(Ok((n, d.from)));
        }
        if !entry.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            entry.waiters.push(cx.waker().clone());
        }
        entry.rearm();
        drop(state);
        wait::note(&self.wait);
        Poll::Pending
    }
}

/// Puts a datagram in the inbox of the socket bound to `target` on `to`,
/// if there is one.
pub(crate) fn deliver(state: &mut State, to: HostNumber, target: SocketAddr, datagram: Datagram) {
    let Some(key) = state.ports.get(&(to, Proto::Udp, target.port())).copied() else {
        return;
    };
    if let Some(entry) = state.udp.get_mut(key) {
        let first = entry
            .inbox
            .peek()
            .is_none_or(|Reverse(d)| datagram.at < d.at);
        entry.inbox.push(Reverse(datagram));
        if first {
            entry.rearm();
        }
    }
}

/// Releases held datagrams: due now, in the order they were sent.
pub(crate) fn release(
    state: &mut State,
    to: HostNumber,
    held: Vec<(SocketAddr, Datagram)>,
    now: Instant,
) {
    for (target, mut d) in held {
        d.at = d.at.max(now);
        deliver(state, to, target, d);
    }
}

/// Host `host` crashed: its UDP sockets vanish.
pub(crate) fn crash(state: &mut State, host: HostNumber) {
    let keys: Vec<SlabKey> = state
        .udp
        .iter()
        .filter(|(_, u)| u.host == host)
        .map(|(k, _)| k)
        .collect();
    for key in keys {
        state.udp.remove(key);
    }
}

impl DatagramIo for SimUdp {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        (*self.peer.borrow()).ok_or_else(not_connected)
    }

    fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        *self.peer.borrow_mut() = Some(addr);
        let mut state = self.world.state.borrow_mut();
        // The peer as datagrams from it will name it.
        let from_peer = match state.host_at(addr.ip(), self.host) {
            Some(h) if addr.ip().is_unspecified() => state.source_addr(h, addr, addr.ip()),
            _ => addr,
        };
        if let Some(entry) = state.udp.get_mut(self.key) {
            entry.peer = Some(from_peer);
        }
        Ok(())
    }

    fn poll_send_to(
        &self,
        _cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.send(buf, target))
    }

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.poll_take(cx, buf)
    }

    fn poll_send(&self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let peer = *self.peer.borrow();
        Poll::Ready(match peer {
            Some(p) => self.send(buf, p),
            None => Err(not_connected()),
        })
    }

    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.peer.borrow().is_none() {
            return Poll::Ready(Err(not_connected()));
        }
        self.poll_take(cx, buf).map(|r| r.map(|(n, _)| n))
    }
}

impl Drop for SimUdp {
    fn drop(&mut self) {
        let mut state = self.world.state.borrow_mut();
        if state.udp.remove(self.key).is_some() {
            state.release_port(self.host, Proto::Udp, self.addr.port(), self.key);
        }
    }
}
