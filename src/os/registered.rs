//! `Registered<S>`: a mio source registered with the reactor for as long as
//! it lives. The real backend of every socket type in [`crate::net`].

use std::fmt;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Token;

use super::reactor::{Reactor, Ready};

/// A source and its slot in the reactor; dropping it deregisters, then closes.
pub(crate) struct Registered<S: Source> {
    source: S,
    token: Token,
    reactor: Rc<Reactor>,
}

impl<S: Source> Registered<S> {
    /// Registers `source`, assuming `ready` until the first event says otherwise.
    pub fn new(reactor: &Rc<Reactor>, mut source: S, ready: Ready) -> io::Result<Registered<S>> {
        let token = reactor.register(&mut source, ready)?;
        Ok(Registered {
            source,
            token,
            reactor: reactor.clone(),
        })
    }

    /// The source, for operations that cannot block.
    pub fn get(&self) -> &S {
        &self.source
    }

    /// The reactor this source is registered with.
    pub fn reactor(&self) -> &Rc<Reactor> {
        &self.reactor
    }

    /// Runs `op` once `dir` is ready, waiting again whenever it would block.
    pub fn poll_io<R>(
        &self,
        dir: Ready,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.reactor
            .poll_io(self.token, dir, cx, || op(&self.source))
    }

    /// [`poll_io`](Registered::poll_io) for a stream read or write of `len`
    /// bytes. A short transfer means the OS buffer was drained (read) or
    /// filled (write) just now, so the direction is marked not ready: the
    /// next attempt waits for an event instead of making a system call only
    /// to hear `WouldBlock`. Data arriving meanwhile raises a new event.
    pub fn poll_transfer(
        &self,
        dir: Ready,
        cx: &mut Context<'_>,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let polled = self.poll_io(dir, cx, op);
        if let Poll::Ready(Ok(n)) = polled {
            if n > 0 && n < len {
                self.clear_ready(dir);
            }
        }
        polled
    }

    /// Waits until `dir` is (believed) ready.
    pub fn poll_ready(&self, dir: Ready, cx: &mut Context<'_>) -> Poll<()> {
        self.reactor.poll_ready(self.token, dir, cx)
    }

    /// Marks `dir` not ready (the last attempt would have blocked).
    pub fn clear_ready(&self, dir: Ready) {
        self.reactor.clear_ready(self.token, dir);
    }

    /// Marks `dir` ready without an event.
    pub fn set_ready(&self, dir: Ready) {
        self.reactor.set_ready(self.token, dir);
    }
}

impl<S: Source> Drop for Registered<S> {
    fn drop(&mut self) {
        self.reactor.deregister(&mut self.source, self.token);
    }
}

impl<S: Source + fmt::Debug> fmt::Debug for Registered<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}
