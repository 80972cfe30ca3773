//! The reactor: one `mio::Poll`, the table of registered I/O sources, and the
//! cross-thread waker.
//!
//! Every socket registers with the reactor and gets a slot in a
//! [`SourceTable`]; its mio `Token` is the slot's index and generation, so an
//! event for a source that has gone (and whose slot was reused) is ignored.
//! A slot caches what the last events said (readable, writable) and holds the
//! wakers of the tasks waiting for each direction. Readiness is edge-triggered:
//! an operation that returns `WouldBlock` clears its direction, and the next
//! event sets it again. A closed direction (the peer's end of stream, a
//! reset, an error) stays ready for good: no further event will come for it,
//! and every operation must then see the end or the error. The loop is single-threaded and events are only read
//! while it parks, so nothing can slip in between a `WouldBlock` and the clear.

use std::cell::RefCell;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Token};

use crate::slab::{Slab, SlabKey};

/// Readiness bits of one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ready(u8);

impl Ready {
    pub const NONE: Ready = Ready(0);
    pub const READ: Ready = Ready(1);
    pub const WRITE: Ready = Ready(2);
    pub const BOTH: Ready = Ready(3);
    /// Sticky: the read side is closed or in error. Never cleared.
    const READ_CLOSED: u8 = 4;
    /// Sticky: the write side is closed or in error. Never cleared.
    const WRITE_CLOSED: u8 = 8;

    /// Whether `dir` may proceed: ready, or closed for good.
    fn allows(self, dir: Ready) -> bool {
        let closed = if dir == Ready::READ {
            Ready::READ_CLOSED
        } else {
            Ready::WRITE_CLOSED
        };
        self.0 & (dir.0 | closed) != 0
    }
}

/// The token of the cross-thread waker; source tokens never reach it.
const WAKER_TOKEN: Token = Token(usize::MAX);

/// How many events one `poll` call reads at most (more wait for the next).
const EVENTS_CAPACITY: usize = 1024;

/// One registered source's state.
#[derive(Default)]
struct SourceSlot {
    ready: u8,
    readers: Vec<Waker>,
    writers: Vec<Waker>,
}

/// Registered sources, in the crate's one slab: a token is a slab key, so an
/// event for a source that has gone (its slot reused or not) finds nothing.
#[derive(Default)]
struct SourceTable {
    slab: Slab<SourceSlot>,
}

impl SourceTable {
    fn insert(&mut self, ready: Ready) -> Token {
        token_of(self.slab.insert(SourceSlot {
            ready: ready.0,
            ..SourceSlot::default()
        }))
    }

    fn get_mut(&mut self, token: Token) -> Option<&mut SourceSlot> {
        self.slab.get_mut(untoken(token))
    }

    fn remove(&mut self, token: Token) -> Vec<Waker> {
        let Some(mut slot) = self.slab.remove(untoken(token)) else {
            return Vec::new();
        };
        let mut wakers = std::mem::take(&mut slot.readers);
        wakers.append(&mut slot.writers);
        wakers
    }
}

/// A slab key as a mio token. Slab indices stop below `u32::MAX`, so no
/// token equals [`WAKER_TOKEN`].
fn token_of(key: SlabKey) -> Token {
    Token(key.index as usize | (key.generation as usize) << 32)
}

fn untoken(token: Token) -> SlabKey {
    SlabKey {
        index: token.0 as u32,
        generation: (token.0 >> 32) as u32,
    }
}

/// The mio side of a real-mode runtime. Lives in an `Rc`, shared by the
/// runtime's driver and every socket registered with it.
pub(crate) struct Reactor {
    poll: RefCell<mio::Poll>,
    events: RefCell<Events>,
    waker: Arc<mio::Waker>,
    sources: RefCell<SourceTable>,
    /// Wakers taken out of the table during dispatch, woken after the borrow ends.
    woken: RefCell<Vec<Waker>>,
}

impl Reactor {
    /// Opens the OS poller (epoll, kqueue, …) and its cross-thread waker.
    ///
    /// # Errors
    /// The OS refused: out of file descriptors, or no poller on this platform.
    pub fn new() -> io::Result<Reactor> {
        let poll = mio::Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER_TOKEN)?);
        Ok(Reactor {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(EVENTS_CAPACITY)),
            waker,
            sources: RefCell::default(),
            woken: RefCell::default(),
        })
    }

    /// What another thread calls to interrupt a `poll` in progress.
    pub fn notifier(&self) -> Arc<dyn Fn() + Send + Sync> {
        let waker = self.waker.clone();
        // A failed wake means the poller is gone: nobody is waiting any more.
        Arc::new(move || drop(waker.wake()))
    }

    /// Waits for events for at most `timeout` (`None`: until one arrives) and
    /// wakes the tasks waiting on them. `Interrupted` counts as an early return.
    ///
    /// # Errors
    /// The poller failed (it has been closed or the OS ran out of memory).
    pub fn poll_events(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut events = self.events.borrow_mut();
        match self.poll.borrow_mut().poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        let mut woken = self.woken.borrow_mut();
        {
            let mut sources = self.sources.borrow_mut();
            for event in events.iter() {
                if event.token() == WAKER_TOKEN {
                    continue; // the core drains its inbox at the next turn
                }
                let Some(slot) = sources.get_mut(event.token()) else {
                    continue;
                };
                let error = event.is_error();
                if event.is_read_closed() || error {
                    slot.ready |= Ready::READ_CLOSED;
                }
                if event.is_write_closed() || error {
                    slot.ready |= Ready::WRITE_CLOSED;
                }
                if event.is_readable() || event.is_read_closed() || error {
                    slot.ready |= Ready::READ.0;
                    woken.append(&mut slot.readers);
                }
                if event.is_writable() || event.is_write_closed() || error {
                    slot.ready |= Ready::WRITE.0;
                    woken.append(&mut slot.writers);
                }
            }
        }
        for waker in woken.drain(..) {
            waker.wake();
        }
        Ok(())
    }

    /// Registers `source` for both directions; `ready` is what to assume
    /// before the first event (`BOTH` for a connected socket, so the first
    /// operation is simply tried; `NONE` for a connect in progress).
    pub fn register(&self, source: &mut impl Source, ready: Ready) -> io::Result<Token> {
        let token = self.sources.borrow_mut().insert(ready);
        let registered = self.poll.borrow().registry().register(
            source,
            token,
            Interest::READABLE | Interest::WRITABLE,
        );
        if let Err(e) = registered {
            drop(self.sources.borrow_mut().remove(token));
            return Err(e);
        }
        Ok(token)
    }

    /// Forgets a source; it will get no more events. Its waiters (there
    /// should be none: they borrow the socket) are woken so none is lost.
    pub fn deregister(&self, source: &mut impl Source, token: Token) {
        // Deregistering fails only for a source mio does not know; closing
        // the descriptor right after removes it from the poller anyway.
        let _ = self.poll.borrow().registry().deregister(source);
        let wakers = self.sources.borrow_mut().remove(token);
        for waker in wakers {
            waker.wake();
        }
    }

    /// `Ready` if `dir` is (believed) ready; otherwise remembers the task's
    /// waker for the next event in that direction.
    pub fn poll_ready(&self, token: Token, dir: Ready, cx: &mut Context<'_>) -> Poll<()> {
        let mut sources = self.sources.borrow_mut();
        let Some(slot) = sources.get_mut(token) else {
            return Poll::Ready(()); // gone: let the operation report it
        };
        if Ready(slot.ready).allows(dir) {
            return Poll::Ready(());
        }
        let waiters = if dir == Ready::READ {
            &mut slot.readers
        } else {
            &mut slot.writers
        };
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Marks `dir` not ready: an operation in that direction would block.
    /// A closed direction stays ready.
    pub fn clear_ready(&self, token: Token, dir: Ready) {
        if let Some(slot) = self.sources.borrow_mut().get_mut(token) {
            slot.ready &= !dir.0;
        }
    }

    /// Marks `dir` ready without an event (a connect that completed).
    pub fn set_ready(&self, token: Token, dir: Ready) {
        if let Some(slot) = self.sources.borrow_mut().get_mut(token) {
            slot.ready |= dir.0;
        }
    }

    /// Runs `op` when `dir` is ready, waiting for readiness again each time
    /// it would block. The pattern every socket operation follows.
    pub fn poll_io<R>(
        &self,
        token: Token,
        dir: Ready,
        cx: &mut Context<'_>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            if self.poll_ready(token, dir, cx).is_pending() {
                return Poll::Pending;
            }
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_ready(token, dir),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                result => return Poll::Ready(result),
            }
        }
    }

    /// How many sources are registered (tests: nothing leaks).
    #[cfg(test)]
    pub fn live_sources(&self) -> usize {
        self.sources.borrow().slab.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_index_and_generation() {
        let key = SlabKey {
            index: 7,
            generation: 3,
        };
        assert_eq!(untoken(token_of(key)), key);
        let last = SlabKey {
            index: u32::MAX - 1,
            generation: u32::MAX,
        };
        assert_ne!(token_of(last), WAKER_TOKEN);
    }

    #[test]
    fn a_deregistered_source_leaves_no_slot_behind() {
        let reactor = Reactor::new().unwrap();
        let mut socket = mio::net::UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let token = reactor.register(&mut socket, Ready::BOTH).unwrap();
        assert_eq!(reactor.live_sources(), 1);
        reactor.deregister(&mut socket, token);
        assert_eq!(reactor.live_sources(), 0);
    }

    #[test]
    fn a_reused_slot_ignores_its_previous_token() {
        let mut table = SourceTable::default();
        let old = table.insert(Ready::BOTH);
        drop(table.remove(old));
        let new = table.insert(Ready::NONE);
        assert_eq!(untoken(old).index, untoken(new).index);
        assert!(table.get_mut(old).is_none());
        assert!(table.get_mut(new).is_some());
    }
}
