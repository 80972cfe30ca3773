//! Waiting on the network: one timer per waiter for the earliest thing it
//! waits for, a future that waits until an instant of the run's clock, and
//! what deadlock reports say a task waits on.

use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use super::World;
use crate::runtime::blocker::{Blocker, WaitOn};
use crate::runtime::context::{try_with_core, with_core};
use crate::runtime::ids::TaskId;
use crate::runtime::timer_heap::TimerKey;
use crate::time::Instant;

/// A waiter's timer: at most one, for the earliest instant it waits for.
#[derive(Default)]
pub(crate) struct WakeTimer {
    set: Option<(TimerKey, Instant)>,
}

impl WakeTimer {
    /// Makes the timer wake `waker` at `at` (`None`: no timer). Keeps the
    /// timer it has if it is for that instant already.
    pub fn arm(&mut self, at: Option<Instant>, waker: &Waker) {
        if let Some((key, t)) = self.set {
            if Some(t) == at {
                with_core("seedloop::net", |core| core.update_wake_timer(key, waker));
                return;
            }
            self.cancel();
        }
        if let Some(at) = at {
            let key = with_core("seedloop::net", |core| core.insert_wake_timer(at, waker));
            self.set = Some((key, at));
        }
    }

    /// The instant it is set for.
    pub fn at(&self) -> Option<Instant> {
        self.set.map(|(_, t)| t)
    }

    pub fn cancel(&mut self) {
        if let Some((key, _)) = self.set.take() {
            try_with_core(|core| core.remove_timer(key));
        }
    }
}

impl Drop for WakeTimer {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Waits until `at` on the run's clock.
pub(crate) struct Until {
    at: Instant,
    timer: WakeTimer,
}

pub(crate) fn until(at: Instant) -> Until {
    Until {
        at,
        timer: WakeTimer::default(),
    }
}

impl Future for Until {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if super::now() >= self.at {
            self.timer.cancel();
            return Poll::Ready(());
        }
        let at = self.at;
        self.timer.arm(Some(at), cx.waker());
        Poll::Pending
    }
}

/// What a task waits on in the network, described from the world's state
/// when the report is made.
pub(crate) struct NetWait {
    pub world: Weak<World>,
    pub describe: fn(&World, &NetWaitOn) -> String,
    pub on: NetWaitOn,
}

/// The socket a [`NetWait`] is about.
#[derive(Clone, Copy)]
pub(crate) enum NetWaitOn {
    /// A connection's end (slab key, side).
    Stream(crate::slab::SlabKey, usize),
    /// A listener or a UDP socket, by slab key.
    Socket(crate::slab::SlabKey),
    /// A connect: from host, to address.
    Connect(crate::runtime::hosts::HostNumber, std::net::SocketAddr),
}

impl Blocker for NetWait {
    fn describe(&self, _name: &dyn Fn(TaskId) -> String) -> String {
        match self.world.upgrade() {
            Some(world) => (self.describe)(&world, &self.on),
            None => "the network (gone)".into(),
        }
    }
}

/// Notes for the deadlock report that the running task waits on `wait`.
pub(crate) fn note(wait: &Rc<NetWait>) {
    let wait: Rc<dyn Blocker> = wait.clone();
    with_core("seedloop::net", |core| core.note_wait(WaitOn::Object(wait)));
}
