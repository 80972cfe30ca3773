//! Simulated TCP listeners and connect: a listener's backlog, and the
//! handshake that travels one delay (waiting while its link is stopped)
//! and ends in a listener's backlog or a refusal.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::tcp::{gone, Conn, End, SimStream};
use super::wait::{self, NetWait, NetWaitOn, WakeTimer};
use super::{acting_host, now, show_delay, Proto, World};
use crate::net::backend::{ListenerIo, StreamIo};
use crate::runtime::context::with_core;
use crate::runtime::hosts::HostNumber;
use crate::slab::SlabKey;
use crate::trace::EventKind;

/// A listener.
pub(crate) struct ListenerEntry {
    pub host: HostNumber,
    pub addr: SocketAddr,
    pub backlog: VecDeque<SlabKey>,
    pub acceptor: Option<Waker>,
}

pub(crate) fn bind(world: &Rc<World>, addr: SocketAddr) -> io::Result<Box<dyn ListenerIo>> {
    let host = acting_host();
    let mut state = world.state.borrow_mut();
    let addr = state.bind_addr(host, Proto::Tcp, addr)?;
    let key = state.listeners.insert(ListenerEntry {
        host,
        addr,
        backlog: VecDeque::new(),
        acceptor: None,
    });
    state.ports.insert((host, Proto::Tcp, addr.port()), key);
    Ok(Box::new(SimListener {
        wait: Rc::new(NetWait {
            world: Rc::downgrade(world),
            describe: describe_accept,
            on: NetWaitOn::Socket(key),
        }),
        world: world.clone(),
        key,
        addr,
    }))
}

fn describe_accept(world: &World, on: &NetWaitOn) -> String {
    let NetWaitOn::Socket(key) = on else {
        unreachable!()
    };
    let state = world.state.borrow();
    match state.listeners.get(*key) {
        Some(l) => format!("to accept on {}", state.label(l.host, l.addr.port())),
        None => "to accept on a listener that is gone".into(),
    }
}

/// A simulated listening socket.
struct SimListener {
    world: Rc<World>,
    key: SlabKey,
    addr: SocketAddr,
    wait: Rc<NetWait>,
}

impl ListenerIo for SimListener {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }

    fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(Box<dyn StreamIo>, SocketAddr)>> {
        let mut state = self.world.state.borrow_mut();
        let state = &mut *state;
        let Some(listener) = state.listeners.get_mut(self.key) else {
            return Poll::Ready(Err(gone()));
        };
        while let Some(conn) = listener.backlog.pop_front() {
            if let Some(c) = state.conns.get(conn) {
                let peer = c.ends[0].addr;
                let local = c.ends[1].addr;
                return Poll::Ready(Ok((
                    SimStream::boxed(&self.world, conn, 1, local, peer),
                    peer,
                )));
            }
        }
        listener.acceptor = Some(cx.waker().clone());
        wait::note(&self.wait);
        Poll::Pending
    }
}

impl Drop for SimListener {
    fn drop(&mut self) {
        let Some(at) = super::try_now() else {
            return;
        };
        let mut state = self.world.state.borrow_mut();
        let Some(listener) = state.listeners.remove(self.key) else {
            return;
        };
        state.release_port(listener.host, Proto::Tcp, self.addr.port(), self.key);
        // Connections never accepted: the OS resets them.
        for conn in listener.backlog {
            if let Some(c) = state.conns.get_mut(conn) {
                c.ends[1].closed = true;
                c.ends[0].reset(at);
            }
        }
    }
}

fn describe_connect(world: &World, on: &NetWaitOn) -> String {
    let NetWaitOn::Connect(from, to) = on else {
        unreachable!()
    };
    let state = world.state.borrow();
    match state.host_at(to.ip(), *from) {
        Some(h) => format!(
            "to connect {} -> {}{}",
            state.host(*from).name,
            state.label(h, to.port()),
            state.link_note(*from, h)
        ),
        None => format!("to connect to {to}"),
    }
}

/// Connects from the acting host to `addr`: the handshake travels one
/// delay; a stopped link makes it wait (a partition at most `tcp_timeout`).
pub(crate) async fn connect(world: Rc<World>, addr: SocketAddr) -> io::Result<Box<dyn StreamIo>> {
    let from = acting_host();
    let start = now();
    let (to, delay) = {
        let state = world.state.borrow();
        let to = state.host_at(addr.ip(), from);
        (to, world.draw_delay())
    };
    let Some(to) = to else {
        wait::until(start + delay).await;
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("no simulated host has the address {}", addr.ip()),
        ));
    };
    with_core("seedloop::net", |core| {
        core.record_with(|| {
            let state = world.state.borrow();
            EventKind::object(
                format!(
                    "{} -> {}",
                    state.host(from).name,
                    state.label(to, addr.port())
                ),
                "tcp",
                format!("connect (delay {})", show_delay(delay)),
            )
        })
    });
    wait::until(start + delay).await;
    let note = Rc::new(NetWait {
        world: Rc::downgrade(&world),
        describe: describe_connect,
        on: NetWaitOn::Connect(from, addr),
    });
    // A stopped link: wait for it to clear (or the partition to time out).
    let mut timer = WakeTimer::default();
    std::future::poll_fn(|cx| {
        let mut state = world.state.borrow_mut();
        // The handshake needs both ways (the answer comes back).
        if state.blocked_since(from, to).is_none() && state.blocked_since(to, from).is_none() {
            timer.cancel();
            return Poll::Ready(Ok(()));
        }
        let deadline = state
            .partitioned_since(from, to)
            .or(state.partitioned_since(to, from))
            .map(|cut| cut.max(start) + world.config.tcp_timeout);
        if deadline.is_some_and(|d| d <= now()) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connect timed out: the link is partitioned",
            )));
        }
        state.link_waiters.push(cx.waker().clone());
        timer.arm(deadline, cx.waker());
        wait::note(&note);
        Poll::Pending
    })
    .await?;
    establish(&world, from, to, addr)
}

/// The handshake arrives: a listener takes the connection into its backlog.
fn establish(
    world: &Rc<World>,
    from: HostNumber,
    to: HostNumber,
    addr: SocketAddr,
) -> io::Result<Box<dyn StreamIo>> {
    let mut state = world.state.borrow_mut();
    let listener = state
        .ports
        .get(&(to, Proto::Tcp, addr.port()))
        .copied()
        .filter(|k| state.listeners.contains(*k) && state.host(to).up);
    let Some(listener) = listener else {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!(
                "nothing listens on {} (host \"{}\"{})",
                addr,
                state.host(to).name,
                if state.host(to).up { "" } else { ", crashed" }
            ),
        ));
    };
    let port = state.free_port(from, Proto::Tcp)?;
    let local = state.source_addr(from, SocketAddr::new(addr.ip(), port), addr.ip());
    let server_addr = if addr.ip().is_unspecified() {
        SocketAddr::new(local.ip(), addr.port())
    } else {
        addr
    };
    let client_label = state.label(from, port);
    let server_label = state.label(to, addr.port());
    let key = state.conns.insert(Conn {
        ends: [
            End::new(from, local, client_label),
            End::new(to, server_addr, server_label),
        ],
    });
    state.ports.insert((from, Proto::Tcp, port), key);
    let l = state.listeners.get_mut(listener).expect("checked above");
    l.backlog.push_back(key);
    if let Some(w) = l.acceptor.take() {
        w.wake();
    }
    drop(state);
    Ok(SimStream::boxed(world, key, 0, local, server_addr))
}
