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
    /// Datagrams due before this arrived before the socket was there.
    bound_at: Instant,
    /// Tasks waiting to receive; the first one's waker is on the timer.
    waiters: Vec<Waker>,
    timer: WakeTimer,
}

/// Datagrams on their way to one address (host, port), earliest first:
/// whichever socket is bound there when one is due takes it.
pub(crate) type Inbox = BinaryHeap<Reverse<Datagram>>;

impl UdpEntry {
    /// Sets the timer for the first datagram, on the first waiter.
    fn rearm(&mut self, inbox: Option<&Inbox>) {
        match (self.waiters.first(), inbox.and_then(|i| i.peek())) {
            (Some(w), Some(Reverse(d))) => {
                let w = w.clone();
                if self.timer.at() != Some(d.at) {
                    self.timer.arm(Some(d.at), &w);
                }
            }
            _ => self.timer.cancel(),
        }
    }
}

/// Re-arms the timer of the socket bound at (`host`, `port`), if any.
fn rearm_at(state: &mut State, host: HostNumber, port: u16) {
    let Some(key) = state.ports.get(&(host, Proto::Udp, port)).copied() else {
        return;
    };
    if let Some(entry) = state.udp.get_mut(key) {
        entry.rearm(state.udp_inboxes.get(&(host, port)));
    }
}

/// Takes the datagrams `from -> to` still in flight at `now` out of the
/// inboxes, in the order they were sent, with the address they go to.
pub(crate) fn take_in_flight(
    state: &mut State,
    from: HostNumber,
    to: HostNumber,
    now: Instant,
) -> Vec<(SocketAddr, Datagram)> {
    let mut taken = Vec::new();
    let ports: Vec<u16> = state
        .udp_inboxes
        .keys()
        .filter(|(h, _)| *h == to)
        .map(|(_, p)| *p)
        .collect();
    for port in ports {
        let inbox = state
            .udp_inboxes
            .get_mut(&(to, port))
            .expect("listed above");
        if !inbox
            .iter()
            .any(|Reverse(d)| d.from_host == from && d.at > now)
        {
            continue;
        }
        let (moved, kept): (Vec<_>, Vec<_>) = std::mem::take(inbox)
            .into_vec()
            .into_iter()
            .partition(|Reverse(d)| d.from_host == from && d.at > now);
        *inbox = kept.into();
        let target = SocketAddr::new(std::net::Ipv4Addr::UNSPECIFIED.into(), port);
        taken.extend(moved.into_iter().map(|Reverse(d)| (target, d)));
        rearm_at(state, to, port);
    }
    taken.sort_by_key(|(_, d)| d.seq);
    taken
}

pub(crate) fn bind(world: &Rc<World>, addr: SocketAddr) -> io::Result<Box<dyn DatagramIo>> {
    let host = acting_host();
    let mut state = world.state.borrow_mut();
    let addr = state.bind_addr(host, Proto::Udp, addr)?;
    let key = state.udp.insert(UdpEntry {
        host,
        addr,
        peer: None,
        bound_at: now(),
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
        super::maybe_strike(&self.world);
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
        } else if config.udp_loss > 0.0
            && crate::random::chance_drawn(config.udp_loss, std::panic::Location::caller(), false)
        {
            Some("lost")
        } else {
            None
        };
        let copies = if fate.is_none()
            && config.udp_duplicate > 0.0
            && crate::random::chance_drawn(
                config.udp_duplicate,
                std::panic::Location::caller(),
                false,
            ) {
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
                            Some(f) => format!("{} {f}", super::bytes(buf.len())),
                            None if copy == 1 => {
                                format!(
                                    "{} duplicate (delay {})",
                                    super::bytes(buf.len()),
                                    show_delay(delay)
                                )
                            }
                            None => {
                                format!("{} (delay {})", super::bytes(buf.len()), show_delay(delay))
                            }
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
        let state = &mut *state;
        let Some(entry) = state.udp.get_mut(self.key) else {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the socket is gone",
            )));
        };
        let mut inbox = state.udp_inboxes.get_mut(&(self.host, self.addr.port()));
        if let Some(inbox) = inbox.as_deref_mut() {
            while inbox.peek().is_some_and(|Reverse(d)| d.at <= now) {
                let Reverse(d) = inbox.pop().expect("peeked");
                if d.at < entry.bound_at || entry.peer.is_some_and(|p| p != d.from) {
                    // Nobody was there yet; or not from the connected peer.
                    continue;
                }
                let n = d.data.len().min(buf.len());
                buf[..n].copy_from_slice(&d.data[..n]);
                entry.waiters.retain(|w| !w.will_wake(cx.waker()));
                entry.rearm(Some(inbox));
                return Poll::Ready(Ok((n, d.from)));
            }
        }
        if !entry.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            entry.waiters.push(cx.waker().clone());
        }
        entry.rearm(inbox.as_deref());
        wait::note(&self.wait);
        Poll::Pending
    }
}

/// Sends a datagram on its way to `target`'s port on `to`.
pub(crate) fn deliver(state: &mut State, to: HostNumber, target: SocketAddr, datagram: Datagram) {
    let port = target.port();
    let bound = state.ports.contains_key(&(to, Proto::Udp, port));
    let inbox = state.udp_inboxes.entry((to, port)).or_default();
    if !bound {
        // Those that arrived while nobody was bound there are gone.
        let now = now();
        while inbox.peek().is_some_and(|Reverse(d)| d.at <= now) {
            inbox.pop();
        }
    }
    let first = inbox.peek().is_none_or(|Reverse(d)| datagram.at < d.at);
    inbox.push(Reverse(datagram));
    if first {
        rearm_at(state, to, port);
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

/// Host `host` crashed: its UDP sockets vanish, and what was on its way
/// to it.
pub(crate) fn crash(state: &mut State, host: HostNumber) {
    state.udp_inboxes.retain(|(h, _), _| *h != host);
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
        let Some(at) = super::try_now() else {
            return;
        };
        let mut state = self.world.state.borrow_mut();
        if state.udp.remove(self.key).is_some() {
            state.release_port(self.host, Proto::Udp, self.addr.port(), self.key);
            // What arrived and was not read is gone with the socket.
            let key = (self.host, self.addr.port());
            if let Some(inbox) = state.udp_inboxes.get_mut(&key) {
                let kept: Vec<_> = std::mem::take(inbox)
                    .into_vec()
                    .into_iter()
                    .filter(|Reverse(d)| d.at > at)
                    .collect();
                if kept.is_empty() {
                    state.udp_inboxes.remove(&key);
                } else {
                    *inbox = kept.into();
                }
            }
        }
    }
}
