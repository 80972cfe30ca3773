//! Simulated TCP connections: two ends, each with the bytes flowing in to
//! it (listeners and connect are in `listen.rs`).
//!
//! A write stores its bytes at the receiving end with the instant they are
//! due (now + a drawn delay, never before the previous segment: one stream
//! is never reordered). A reader takes what is due; otherwise it sets one
//! timer for the first segment (or the reset, or the partition's timeout)
//! and waits. A segment still in flight when its link stopped waits until
//! the link clears, then is due no earlier than that.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::link::waits;
use super::wait::{self, NetWait, NetWaitOn, WakeTimer};
use super::{now, show_delay, Proto, State, World};
use crate::net::backend::StreamIo;
use crate::runtime::context::with_core;
use crate::runtime::hosts::HostNumber;
use crate::slab::SlabKey;
use crate::time::Instant;
use crate::trace::EventKind;

/// A run of bytes (or the end of the stream) due at one instant.
struct Segment {
    len: usize,
    /// When it is due at the receiver.
    at: Instant,
    /// When it was sent (the partition timeout counts from here).
    sent: Instant,
    fin: bool,
}

/// The bytes flowing in to one end.
#[derive(Default)]
pub(crate) struct Flow {
    bytes: VecDeque<u8>,
    segments: VecDeque<Segment>,
    /// When the last segment is due: the next is due no earlier.
    last_at: Instant,
}

impl Flow {
    /// The first segment still in flight on a link blocked since `blocked`.
    fn first_held(&self, blocked: Option<Instant>) -> Option<&Segment> {
        blocked?;
        self.segments.iter().find(|s| waits(s.at, blocked))
    }

    /// Segments held by a block since `since` are due no earlier than `now`.
    pub fn release(&mut self, since: Instant, now: Instant) {
        for s in &mut self.segments {
            if s.at > since && s.at < now {
                s.at = now;
            }
        }
        if self.last_at > since && self.last_at < now {
            self.last_at = now;
        }
    }

    fn has_unread_bytes(&self) -> bool {
        self.segments.iter().any(|s| s.len > 0)
    }
}

/// One end of a connection.
pub(crate) struct End {
    pub host: HostNumber,
    pub addr: SocketAddr,
    /// `main:40001`.
    pub label: Rc<str>,
    pub inbound: Flow,
    /// Reads and writes fail with `ConnectionReset` from then on.
    pub reset_at: Option<Instant>,
    /// Its socket is gone (dropped, or its host crashed).
    pub closed: bool,
    write_shut: bool,
    read_shut: bool,
    reader: Option<Waker>,
    timer: WakeTimer,
    /// A writer of this end waiting for room at the peer (the window is full).
    writer: Option<Waker>,
    writer_timer: WakeTimer,
}

/// How many bytes one direction holds, in flight and unread, before writes
/// wait: the sockets' buffers. A program that writes without its peer
/// reading blocks, as it would on real sockets.
pub(crate) const WINDOW: usize = 256 * 1024;

impl End {
    pub(super) fn new(host: HostNumber, addr: SocketAddr, label: Rc<str>) -> End {
        End {
            host,
            addr,
            label,
            inbound: Flow::default(),
            reset_at: None,
            closed: false,
            write_shut: false,
            read_shut: false,
            reader: None,
            timer: WakeTimer::default(),
            writer: None,
            writer_timer: WakeTimer::default(),
        }
    }

    fn is_reset(&self, now: Instant) -> bool {
        self.reset_at.is_some_and(|t| t <= now)
    }

    /// Resets this end at `at` (keeping an earlier reset) and wakes its reader.
    pub fn reset(&mut self, at: Instant) {
        if self.reset_at.is_none_or(|t| t > at) {
            self.reset_at = Some(at);
        }
        self.wake_reader();
        self.wake_writer();
    }

    /// Wakes a writer of this end that waits for room at the peer.
    pub fn wake_writer(&mut self) {
        self.writer_timer.cancel();
        if let Some(w) = self.writer.take() {
            w.wake();
        }
    }

    pub fn wake_reader(&mut self) {
        if let Some(w) = self.reader.take() {
            w.wake();
        }
    }

    /// Makes the stored reader's timer follow the first segment, if the
    /// timer is later (or absent) and the segment is not held.
    fn rearm_for(&mut self, at: Instant) {
        if let Some(w) = &self.reader {
            if self.timer.at().is_none_or(|t| t > at) {
                let w = w.clone();
                self.timer.arm(Some(at), &w);
            }
        }
    }
}

/// A connection: end 0 connected, end 1 was accepted.
pub(crate) struct Conn {
    pub ends: [End; 2],
}

impl Conn {
    /// When the partition timeout resets the connection, if data waits on
    /// a partitioned link: the later of the partition's start and the
    /// oldest held segment's sending, plus the timeout.
    fn timeout_at(&self, state: &State, tcp_timeout: std::time::Duration) -> Option<Instant> {
        let mut earliest: Option<Instant> = None;
        for side in 0..2 {
            let (from, to) = (self.ends[1 - side].host, self.ends[side].host);
            let Some(cut) = state.partitioned_since(from, to) else {
                continue;
            };
            let blocked = state.blocked_since(from, to);
            if let Some(s) = self.ends[side].inbound.first_held(blocked) {
                let t = cut.max(s.sent) + tcp_timeout;
                earliest = Some(earliest.map_or(t, |e| e.min(t)));
            }
        }
        earliest
    }
}

/// Applies a partition timeout that has passed: both ends reset at it.
fn apply_timeout(world: &World, state: &mut State, key: SlabKey, now: Instant) {
    let Some(conn) = state.conns.get(key) else {
        return;
    };
    if let Some(t) = conn.timeout_at(state, world.config.tcp_timeout) {
        if t <= now {
            let conn = state.conns.get_mut(key).expect("checked above");
            for end in &mut conn.ends {
                end.reset(t);
            }
        }
    }
}

/// Resets every connection whose partition timeout passed by `now` (before
/// a repair forgets the partition).
pub(crate) fn apply_timeouts(world: &World, state: &mut State, now: Instant) {
    let keys: Vec<SlabKey> = state.conns.iter().map(|(k, _)| k).collect();
    for key in keys {
        apply_timeout(world, state, key, now);
    }
}

pub(super) fn reset_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "the simulated connection was reset",
    )
}

pub(super) fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the socket is gone")
}

fn describe_write(world: &World, on: &NetWaitOn) -> String {
    let NetWaitOn::Stream(key, side) = on else {
        unreachable!()
    };
    let state = world.state.borrow();
    match state.conns.get(*key) {
        Some(c) => {
            let (me, peer) = (&c.ends[*side], &c.ends[1 - *side]);
            format!(
                "to write {} -> {} ({} unread there){}",
                me.label,
                peer.label,
                super::bytes(peer.inbound.bytes.len()),
                state.link_note(me.host, peer.host)
            )
        }
        None => "to write to a connection that is gone".into(),
    }
}

fn describe_read(world: &World, on: &NetWaitOn) -> String {
    let NetWaitOn::Stream(key, side) = on else {
        unreachable!()
    };
    let state = world.state.borrow();
    match state.conns.get(*key) {
        Some(c) => {
            let (me, peer) = (&c.ends[*side], &c.ends[1 - *side]);
            format!(
                "to read {} <- {}{}",
                me.label,
                peer.label,
                state.link_note(peer.host, me.host)
            )
        }
        None => "to read a connection that is gone".into(),
    }
}

/// One end of a simulated connection, as the socket types hold it.
pub(crate) struct SimStream {
    world: Rc<World>,
    key: SlabKey,
    side: usize,
    local: SocketAddr,
    peer: SocketAddr,
    nodelay: Cell<bool>,
    wait: Rc<NetWait>,
    write_wait: Rc<NetWait>,
}

impl SimStream {
    pub(super) fn boxed(
        world: &Rc<World>,
        key: SlabKey,
        side: usize,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> Box<dyn StreamIo> {
        Box::new(SimStream {
            wait: Rc::new(NetWait {
                world: Rc::downgrade(world),
                describe: describe_read,
                on: NetWaitOn::Stream(key, side),
            }),
            write_wait: Rc::new(NetWait {
                world: Rc::downgrade(world),
                describe: describe_write,
                on: NetWaitOn::Stream(key, side),
            }),
            world: world.clone(),
            key,
            side,
            local,
            peer,
            nodelay: Cell::new(false),
        })
    }

    fn poll_take(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        peek: bool,
    ) -> Poll<io::Result<usize>> {
        let now = now();
        let mut state = self.world.state.borrow_mut();
        let state = &mut *state;
        apply_timeout(&self.world, state, self.key, now);
        let timeout_at = match state.conns.get(self.key) {
            Some(c) => c.timeout_at(state, self.world.config.tcp_timeout),
            None => return Poll::Ready(Err(gone())),
        };
        let (from, to) = {
            let c = state.conns.get(self.key).expect("checked above");
            (c.ends[1 - self.side].host, c.ends[self.side].host)
        };
        let blocked = state.blocked_since(from, to);
        let [a, b] = &mut state.conns.get_mut(self.key).expect("checked above").ends;
        let (end, peer) = if self.side == 0 { (a, b) } else { (b, a) };
        if end.closed {
            return Poll::Ready(Err(reset_error()));
        }
        // What is due, up to `buf`'s length: what arrived before a reset is
        // read first, what would arrive after it never is.
        let mut due = 0;
        let mut at_end = false;
        let mut next: Option<Instant> = None;
        for s in &end.inbound.segments {
            if end.reset_at.is_some_and(|r| s.at > r) {
                break;
            }
            if s.at > now || waits(s.at, blocked) {
                if !waits(s.at, blocked) {
                    next = Some(s.at);
                }
                break;
            }
            if s.fin {
                at_end = true;
                break;
            }
            due += s.len;
            if due >= buf.len() {
                break;
            }
        }
        let n = due.min(buf.len());
        if n > 0 || at_end || end.read_shut || buf.is_empty() || end.is_reset(now) {
            // Not waiting any more: no wake-ups for this reader.
            end.reader = None;
            end.timer.cancel();
        }
        if n > 0 {
            let (a, b) = end.inbound.bytes.as_slices();
            let from_a = n.min(a.len());
            buf[..from_a].copy_from_slice(&a[..from_a]);
            buf[from_a..n].copy_from_slice(&b[..n - from_a]);
            if !peek {
                end.inbound.bytes.drain(..n);
                // Room at this end: a writer of the peer may go on.
                peer.wake_writer();
                let mut left = n;
                while left > 0 {
                    let s = end
                        .inbound
                        .segments
                        .front_mut()
                        .expect("bytes are in segments");
                    if s.len <= left {
                        left -= s.len;
                        end.inbound.segments.pop_front();
                    } else {
                        s.len -= left;
                        left = 0;
                    }
                }
            }
            return Poll::Ready(Ok(n));
        }
        if at_end || end.read_shut || buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if end.is_reset(now) {
            return Poll::Ready(Err(reset_error()));
        }
        let wake_at = [next, end.reset_at, timeout_at].into_iter().flatten().min();
        end.timer.arm(wake_at, cx.waker());
        match &end.reader {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => end.reader = Some(cx.waker().clone()),
        }
        wait::note(&self.wait);
        Poll::Pending
    }

    /// Sends the bytes of `parts` (with `fin`: the end of the stream) to the
    /// peer, as many as its window has room for. With `cx`, a full window
    /// waits (`Pending`); without (closing), the window is not counted.
    fn send(
        &self,
        cx: Option<&mut Context<'_>>,
        parts: &[&[u8]],
        fin: bool,
    ) -> Poll<io::Result<usize>> {
        super::maybe_strike(&self.world);
        let now = now();
        let mut len: usize = parts.iter().map(|p| p.len()).sum();
        let mut state = self.world.state.borrow_mut();
        let state = &mut *state;
        apply_timeout(&self.world, state, self.key, now);
        let Some(conn) = state.conns.get(self.key) else {
            return Poll::Ready(Err(gone()));
        };
        let (from, to) = (conn.ends[self.side].host, conn.ends[1 - self.side].host);
        let blocked = state.blocked_since(from, to);
        let conn = state.conns.get_mut(self.key).expect("checked above");
        let [a, b] = &mut conn.ends;
        let (me, peer) = if self.side == 0 { (a, b) } else { (b, a) };
        if me.is_reset(now) || me.closed {
            return Poll::Ready(Err(reset_error()));
        }
        if me.write_shut {
            if fin {
                return Poll::Ready(Ok(0));
            }
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "this end of the connection was shut down for writing",
            )));
        }
        if len == 0 && !fin {
            return Poll::Ready(Ok(0));
        }
        if let (Some(cx), false) = (cx, peer.closed) {
            let room = WINDOW.saturating_sub(peer.inbound.bytes.len());
            if room == 0 {
                me.writer = Some(cx.waker().clone());
                let timeout_at = {
                    let conn = state.conns.get(self.key).expect("checked above");
                    conn.timeout_at(state, self.world.config.tcp_timeout)
                };
                let conn = state.conns.get_mut(self.key).expect("checked above");
                let me = &mut conn.ends[self.side];
                me.writer_timer.arm(timeout_at, cx.waker());
                wait::note(&self.write_wait);
                return Poll::Pending;
            }
            len = len.min(room);
        }
        let delay = self.world.draw_delay();
        let at = (now + delay).max(peer.inbound.last_at);
        with_core("seedloop::net", |core| {
            core.record_with(|| {
                let what = if fin {
                    "end of stream".to_string()
                } else {
                    super::bytes(len)
                };
                let held = if waits(at, blocked) {
                    format!(", {}", state_note(blocked))
                } else {
                    String::new()
                };
                EventKind::object(
                    format!("{} -> {}", me.label, peer.label),
                    "tcp",
                    format!("{what} (delay {}{held})", show_delay(at - now)),
                )
            })
        });
        if fin {
            me.write_shut = true;
        }
        if peer.closed {
            // Nobody reads it: the peer's host answers with a reset.
            me.reset(at);
            return Poll::Ready(Ok(len));
        }
        let mut left = len;
        for p in parts {
            let take = left.min(p.len());
            peer.inbound.bytes.extend(&p[..take]);
            left -= take;
        }
        peer.inbound.segments.push_back(Segment {
            len,
            at,
            sent: now,
            fin,
        });
        peer.inbound.last_at = at;
        if peer.inbound.segments.len() == 1 && !waits(at, blocked) {
            peer.rearm_for(at);
        }
        Poll::Ready(Ok(len))
    }
}

fn state_note(blocked: Option<Instant>) -> &'static str {
    match blocked {
        Some(_) => "held on the link",
        None => "",
    }
}

impl StreamIo for SimStream {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        let state = self.world.state.borrow();
        match state.conns.get(self.key) {
            Some(c) if !super::try_now().is_some_and(|t| c.ends[self.side].is_reset(t)) => {
                Ok(self.peer)
            }
            _ => Err(gone()),
        }
    }

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_take(cx, buf, false)
    }

    fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_take(cx, buf, true)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.send(Some(cx), &[buf], false)
    }

    fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let parts: Vec<&[u8]> = bufs.iter().map(|b| &**b).collect();
        self.send(Some(cx), &parts, false)
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            let mut state = self.world.state.borrow_mut();
            let Some(conn) = state.conns.get_mut(self.key) else {
                return Err(gone());
            };
            let end = &mut conn.ends[self.side];
            end.read_shut = true;
            end.wake_reader();
        }
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            let sent = match self.send(None, &[], true) {
                Poll::Ready(r) => r,
                Poll::Pending => unreachable!("closing does not wait for the window"),
            };
            sent.map_err(|e| {
                if e.kind() == io::ErrorKind::ConnectionReset {
                    io::Error::new(io::ErrorKind::NotConnected, e.to_string())
                } else {
                    e
                }
            })?;
        }
        Ok(())
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.nodelay.set(nodelay);
        Ok(())
    }

    fn nodelay(&self) -> io::Result<bool> {
        Ok(self.nodelay.get())
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        let Some(at) = super::try_now() else {
            return;
        };
        let unread_or_open = {
            let mut state = self.world.state.borrow_mut();
            let Some(conn) = state.conns.get_mut(self.key) else {
                return;
            };
            let me = &mut conn.ends[self.side];
            if me.closed {
                None
            } else {
                me.reader = None;
                me.timer.cancel();
                let unread = me.inbound.has_unread_bytes() && !me.is_reset(at);
                Some((unread, me.write_shut || me.is_reset(at)))
            }
        };
        match unread_or_open {
            // Unread data: the OS resets the connection.
            Some((true, _)) => {
                let mut state = self.world.state.borrow_mut();
                let conn = state.conns.get_mut(self.key).expect("checked above");
                conn.ends[1 - self.side].reset(at);
            }
            // A clean close: the end of the stream follows the data.
            Some((false, false)) => {
                let _ = self.send(None, &[], true);
            }
            _ => {}
        }
        let mut state = self.world.state.borrow_mut();
        let Some(conn) = state.conns.get_mut(self.key) else {
            return;
        };
        conn.ends[self.side].closed = true;
        conn.ends[self.side].writer = None;
        // Writes to a closed end go nowhere: a writer waiting for room goes on.
        conn.ends[1 - self.side].wake_writer();
        if conn.ends[1 - self.side].closed {
            let conn = state.conns.remove(self.key).expect("checked above");
            let client = &conn.ends[0];
            state.release_port(client.host, Proto::Tcp, client.addr.port(), self.key);
        }
    }
}

/// Host `host` crashed: its ends close; their peers read what was already
/// on its way, then a reset; its listeners vanish.
pub(crate) fn crash(state: &mut State, host: HostNumber, at: Instant) {
    let keys: Vec<SlabKey> = state.conns.iter().map(|(k, _)| k).collect();
    for key in keys {
        let conn = state.conns.get_mut(key).expect("listed above");
        let mut touched = false;
        for side in 0..2 {
            if conn.ends[side].host == host {
                touched = true;
                let end = &mut conn.ends[side];
                end.closed = true;
                end.reader = None;
                end.timer.cancel();
                // What was already on its way still arrives; then the reset.
                let other = &mut conn.ends[1 - side];
                if !other.closed {
                    let last = other.inbound.last_at;
                    other.reset(at.max(last));
                }
            }
        }
        if touched && conn.ends.iter().all(|e| e.closed) {
            let conn = state.conns.remove(key).expect("listed above");
            let client = &conn.ends[0];
            state.release_port(client.host, Proto::Tcp, client.addr.port(), key);
        }
    }
    let listeners: Vec<SlabKey> = state
        .listeners
        .iter()
        .filter(|(_, l)| l.host == host)
        .map(|(k, _)| k)
        .collect();
    for key in listeners {
        state.listeners.remove(key);
    }
}

/// Wakes every reader of a connection between `a` and `b` (a link changed).
pub(crate) fn wake_readers(state: &mut State, a: HostNumber, b: HostNumber) {
    let keys: Vec<SlabKey> = state.conns.iter().map(|(k, _)| k).collect();
    for key in keys {
        let conn = state.conns.get_mut(key).expect("listed above");
        let hosts = [conn.ends[0].host, conn.ends[1].host];
        if hosts == [a, b] || hosts == [b, a] {
            for end in &mut conn.ends {
                end.timer.cancel();
                end.wake_reader();
            }
        }
    }
}

/// The link `from -> to`, blocked since `since`, clears at `now`: held
/// segments are due no earlier than now.
pub(crate) fn release(
    state: &mut State,
    from: HostNumber,
    to: HostNumber,
    since: Instant,
    now: Instant,
) {
    let keys: Vec<SlabKey> = state.conns.iter().map(|(k, _)| k).collect();
    for key in keys {
        let conn = state.conns.get_mut(key).expect("listed above");
        for side in 0..2 {
            if conn.ends[side].host == to && conn.ends[1 - side].host == from {
                conn.ends[side].inbound.release(since, now);
            }
        }
    }
}
