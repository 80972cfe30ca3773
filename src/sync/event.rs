//! `Event`: a flag tasks can wait for. asyncio's `Event`.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::object::{self, with_runtime, ObjectName};
use super::wait_list::{Phase, WaitKey, WaitList};
use crate::runtime::blocker::Blocker;
use crate::runtime::ids::TaskId;

/// A flag that tasks wait for: [`set`](Event::set) wakes every waiter, in
/// the order they started waiting; while it is set, [`wait`](Event::wait)
/// returns at once. [`clear`](Event::clear) lowers it again, but a waiter
/// already woken by `set` still returns (it does not go back to sleep).
///
/// An `Event` is a handle: clones share the same flag. Traces name it
/// `Event#n` and record `set` (with how many it woke), `clear`, `wait` and
/// `leave`.
///
/// ```
/// use seedloop::{Sim, spawn, call_later, sync::Event, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let start = Event::new();
///     let s = start.clone();
///     call_later(Duration::from_millis(200), move || s.set());
///     start.wait().await;
///     assert_eq!(Instant::now().as_secs_f64(), 0.2);
/// }).unwrap();
/// ```
#[doc(alias = "asyncio.Event")]
#[derive(Clone, Default)]
pub struct Event {
    core: Rc<EventCore>,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("name", &self.core.name.show())
            .field("set", &self.is_set())
            .finish()
    }
}

impl Event {
    /// Names it: traces and deadlock reports say `Event "<name>"`
    /// instead of `Event#<n>`. A by-value builder, for construction.
    ///
    /// ```
    /// let e = seedloop::sync::Event::new().named("started");
    /// assert!(format!("{e:?}").contains("Event \\\"started\\\""));
    /// ```
    pub fn named(self, name: &str) -> Self {
        self.core.name.set_own(name);
        self
    }

    /// A new event, not set.
    ///
    /// ```
    /// assert!(!seedloop::sync::Event::new().is_set());
    /// ```
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets the flag and wakes every waiter, in FIFO order. Setting a set
    /// event does nothing.
    ///
    /// ```
    /// let e = seedloop::sync::Event::new();
    /// e.set();
    /// assert!(e.is_set());
    /// ```
    pub fn set(&self) {
        let wakers = {
            let mut st = self.core.state.borrow_mut();
            if st.set {
                return;
            }
            st.set = true;
            st.waiters.grant_where(|()| true)
        };
        with_runtime(|core| {
            if let Some(core) = core {
                object::record(core, &self.core.name, "set", |out| {
                    if !wakers.is_empty() {
                        let _ = write!(out, "woke {}", wakers.len());
                    }
                });
            }
        });
        for w in wakers {
            w.wake();
        }
    }

    /// Lowers the flag. Waiters already woken by [`set`](Event::set) still
    /// return.
    ///
    /// ```
    /// let e = seedloop::sync::Event::new();
    /// e.set();
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn clear(&self) {
        let was = std::mem::replace(&mut self.core.state.borrow_mut().set, false);
        if was {
            with_runtime(|core| {
                if let Some(core) = core {
                    object::record(core, &self.core.name, "clear", object::no_detail);
                }
            });
        }
    }

    /// Whether the flag is set.
    ///
    /// ```
    /// assert!(!seedloop::sync::Event::new().is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.core.state.borrow().set
    }

    /// Waits until the flag is set (returns at once if it is).
    ///
    /// # Cancel safety
    /// Cancel-safe: a dropped waiter leaves the list; an event wakes
    /// everyone, so there is nothing to pass on.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, sync::Event};
    /// Sim::new(1).run(async {
    ///     let e = Event::new();
    ///     let e2 = e.clone();
    ///     let waiter = spawn(async move { e2.wait().await; "woken" });
    ///     e.set();
    ///     assert_eq!(waiter.await.unwrap(), "woken");
    /// }).unwrap();
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
        }
    }
}

/// The future of [`Event::wait`].
///
/// # Cancel safety
/// Cancel-safe: dropped, it leaves the event's wait list.
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<WaitKey>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let core = &self.event.core;
        let mut st = core.state.borrow_mut();
        match self.key {
            Some(key) => {
                if st.waiters.poll_granted(key, cx).is_ready() {
                    drop(st);
                    self.key = None;
                    return Poll::Ready(());
                }
            }
            None if st.set => return Poll::Ready(()),
            None => {
                let key = st.waiters.push((), cx.waker());
                drop(st);
                self.key = Some(key);
                with_runtime(|rt| {
                    if let Some(rt) = rt {
                        object::record(rt, &core.name, "wait", object::no_detail);
                    }
                });
            }
        }
        let core = self.event.core.clone();
        with_runtime(|rt| {
            if let Some(rt) = rt {
                object::note_wait(rt, &core.name, &core);
            }
        });
        Poll::Pending
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let removed = self.event.core.state.borrow_mut().waiters.remove(key);
        if let Some((Phase::Queued, ())) = removed {
            with_runtime(|rt| {
                if let Some(rt) = rt {
                    object::record(rt, &self.event.core.name, "leave", object::no_detail);
                }
            });
        }
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("event", &self.event.core.name.show())
            .finish()
    }
}

struct EventCore {
    name: ObjectName,
    state: RefCell<EventState>,
}

/// The flag and its waiters. `set` is `false` → `true` by [`Event::set`]
/// (which grants every queued waiter at that moment) and `true` → `false` by
/// [`Event::clear`] (which un-grants nobody). While `set` is `true` nobody
/// is queued.
#[derive(Default)]
struct EventState {
    set: bool,
    waiters: WaitList<()>,
}

impl Default for EventCore {
    fn default() -> Self {
        EventCore {
            name: ObjectName::new("Event"),
            state: RefCell::default(),
        }
    }
}

impl Blocker for EventCore {
    fn describe(&self, _name: &dyn Fn(TaskId) -> String) -> String {
        self.name.show()
    }
}
