//! `Barrier`: parties wait until all have arrived. asyncio's `Barrier`.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::error::{BrokenBarrier, ZeroParties};
use super::object::{self, with_runtime, ObjectName};
use super::wait_list::{WaitKey, WaitList};
use crate::runtime::blocker::Blocker;
use crate::runtime::ids::TaskId;

/// A barrier for a fixed number of parties: each [`wait`](Barrier::wait)s
/// until all have arrived, then all go on together, each with its index
/// (`0..parties`, in arrival order; the last to arrive gets `parties - 1`).
///
/// It has asyncio's states: *filling* (parties arriving), *draining* (the
/// released parties leaving; newcomers wait until all have left, then fill
/// the next round in the order they came), *resetting* ([`reset`](Barrier::reset)
/// while parties were inside: those waiting get [`BrokenBarrier`]) and
/// *broken* ([`abort`](Barrier::abort): every wait, now and later, gets
/// `BrokenBarrier` until a `reset`).
///
/// A `Barrier` is a handle: clones share the same barrier. Traces name it
/// `Barrier#n` and record `wait`, `release`, `reset`, `abort` and `leave`.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, sync::Barrier, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let barrier = Barrier::new(3).unwrap();
///     let tasks: Vec<_> = (1..=3u64).map(|i| {
///         let b = barrier.clone();
///         spawn(async move {
///             sleep(Duration::from_secs(i)).await;
///             b.wait().await.unwrap();
///             Instant::now().as_secs_f64()
///         })
///     }).collect();
///     for t in tasks {
///         assert_eq!(t.await.unwrap(), 3.0); // all leave when the last arrives
///     }
/// }).unwrap();
/// ```
#[doc(alias = "asyncio.Barrier")]
#[derive(Clone)]
pub struct Barrier {
    core: Rc<BarrierCore>,
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.core.state.borrow();
        f.debug_struct("Barrier")
            .field("name", &self.core.name.show())
            .field("parties", &self.core.parties)
            .field("phase", &st.phase)
            .field("inside", &st.inside)
            .finish()
    }
}

impl Barrier {
    /// Names it: traces and deadlock reports say `Barrier "<name>"`
    /// instead of `Barrier#<n>`. A by-value builder, for construction.
    ///
    /// ```
    /// let b = seedloop::sync::Barrier::new(2).unwrap().named("round");
    /// assert!(format!("{b:?}").contains("Barrier \\\"round\\\""));
    /// ```
    pub fn named(self, name: &str) -> Self {
        self.core.name.set_own(name);
        self
    }

    /// A barrier for `parties` tasks.
    ///
    /// # Errors
    /// [`ZeroParties`] if `parties` is 0.
    ///
    /// ```
    /// use seedloop::sync::Barrier;
    /// assert_eq!(Barrier::new(2).unwrap().parties(), 2);
    /// assert!(Barrier::new(0).is_err());
    /// ```
    pub fn new(parties: usize) -> Result<Barrier, ZeroParties> {
        if parties == 0 {
            return Err(ZeroParties);
        }
        Ok(Barrier {
            core: Rc::new(BarrierCore {
                name: ObjectName::new("Barrier"),
                parties,
                state: RefCell::new(BarrierState {
                    phase: BarrierPhase::Filling,
                    inside: 0,
                    seats: WaitList::default(),
                }),
            }),
        })
    }

    /// Waits until `parties` tasks are waiting, and returns this task's
    /// index among them.
    ///
    /// # Errors
    /// [`BrokenBarrier`] if the barrier is broken, or is aborted or reset
    /// while this task waits.
    ///
    /// # Cancel safety
    /// Cancel-correct: a party dropped before the barrier filled leaves it
    /// (one fewer has arrived); one dropped after it was released still
    /// counts as having left, so the barrier drains and the next round can
    /// fill. Indices are given at release, in arrival order among the parties
    /// still there, so they are always `0..parties` without repeats.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Barrier};
    /// Sim::new(1).run(async {
    ///     let alone = Barrier::new(1).unwrap();
    ///     assert_eq!(alone.wait().await, Ok(0));
    /// }).unwrap();
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            core: &self.core,
            key: None,
        }
    }

    /// Puts the barrier back to empty. Parties waiting for it to fill get
    /// [`BrokenBarrier`]; parties already released keep their index. While
    /// any of them has not left yet, the barrier is *resetting* and
    /// newcomers wait. Resetting a broken barrier makes it usable again.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Barrier};
    /// Sim::new(1).run(async {
    ///     let b = Barrier::new(2).unwrap();
    ///     b.abort();
    ///     b.reset();
    ///     assert!(!b.is_broken());
    /// }).unwrap();
    /// ```
    pub fn reset(&self) {
        let wakers = {
            let mut st = self.core.state.borrow_mut();
            let wakers = if st.phase == BarrierPhase::Filling {
                st.seats.grant_where(|seat| match seat {
                    Seat::Arrived => {
                        *seat = Seat::broken(true);
                        true
                    }
                    _ => false,
                })
            } else {
                Vec::new()
            };
            if st.inside > 0 {
                st.phase = BarrierPhase::Resetting;
                wakers
            } else {
                st.phase = BarrierPhase::Filling;
                let mut w = wakers;
                w.extend(self.core.admit(&mut st));
                w
            }
        };
        self.core.record("reset", |_| {});
        wake_all(wakers);
    }

    /// Breaks the barrier: every waiting party, and every later `wait`
    /// until a [`reset`](Barrier::reset), gets [`BrokenBarrier`].
    ///
    /// ```
    /// use seedloop::sync::Barrier;
    /// let b = Barrier::new(2).unwrap();
    /// b.abort();
    /// assert!(b.is_broken());
    /// ```
    pub fn abort(&self) {
        let wakers = {
            let mut st = self.core.state.borrow_mut();
            st.phase = BarrierPhase::Broken;
            st.seats.grant_where(|seat| {
                let inside = matches!(seat, Seat::Arrived);
                *seat = Seat::broken(inside);
                true
            })
        };
        self.core.record("abort", |_| {});
        wake_all(wakers);
    }

    /// How many parties wait for the barrier to fill (0 unless it is filling).
    ///
    /// ```
    /// assert_eq!(seedloop::sync::Barrier::new(3).unwrap().n_waiting(), 0);
    /// ```
    pub fn n_waiting(&self) -> usize {
        let st = self.core.state.borrow();
        match st.phase {
            BarrierPhase::Filling => st.inside,
            _ => 0,
        }
    }

    /// How many parties it takes to fill the barrier.
    ///
    /// ```
    /// assert_eq!(seedloop::sync::Barrier::new(3).unwrap().parties(), 3);
    /// ```
    pub fn parties(&self) -> usize {
        self.core.parties
    }

    /// Whether the barrier is broken. asyncio: `broken`.
    ///
    /// ```
    /// assert!(!seedloop::sync::Barrier::new(3).unwrap().is_broken());
    /// ```
    #[doc(alias = "broken")]
    pub fn is_broken(&self) -> bool {
        self.core.state.borrow().phase == BarrierPhase::Broken
    }
}

/// The future of [`Barrier::wait`].
///
/// # Cancel safety
/// Cancel-correct: see [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    core: &'a Rc<BarrierCore>,
    key: Option<WaitKey>,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrier>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = self.core;
        let mut wakers = Vec::new();
        let mut step = Step::Resumed;
        let mut st = core.state.borrow_mut();
        let outcome = match self.key {
            Some(key) => match st.seats.poll_granted(key, cx) {
                Poll::Ready(Seat::Done { result, inside }) => {
                    if inside {
                        wakers = core.leave(&mut st);
                    }
                    Poll::Ready(result)
                }
                Poll::Ready(_) => unreachable!("a released barrier seat holds its result"),
                Poll::Pending => Poll::Pending,
            },
            None => match st.phase {
                BarrierPhase::Broken => Poll::Ready(Err(BrokenBarrier)),
                BarrierPhase::Draining | BarrierPhase::Resetting => {
                    self.key = Some(st.seats.push(Seat::Blocked, cx.waker()));
                    step = Step::Blocked;
                    Poll::Pending
                }
                BarrierPhase::Filling => {
                    st.inside += 1;
                    if st.inside == core.parties {
                        wakers = core.release(&mut st);
                        wakers.extend(core.leave(&mut st));
                        step = Step::Released;
                        Poll::Ready(Ok(core.parties - 1))
                    } else {
                        self.key = Some(st.seats.push(Seat::Arrived, cx.waker()));
                        step = Step::Arrived(st.inside);
                        Poll::Pending
                    }
                }
            },
        };
        drop(st);
        let parties = core.parties;
        match step {
            Step::Resumed => {}
            Step::Blocked => core.record("wait", |out| {
                out.push_str("to enter, once the last round has left")
            }),
            Step::Arrived(n) => core.record("wait", |out| {
                let _ = write!(out, "{n}/{parties} arrived");
            }),
            Step::Released => core.record("release", |out| {
                let _ = write!(out, "{parties}/{parties} arrived");
            }),
        }
        if outcome.is_ready() {
            self.key = None;
        } else {
            core.note_wait();
        }
        wake_all(wakers);
        outcome
    }
}

/// What a barrier poll did, for the trace.
enum Step {
    /// Nothing new (still waiting, or picked up a result).
    Resumed,
    /// Waits to enter (the barrier drains or resets).
    Blocked,
    /// Arrived as the n-th party.
    Arrived(usize),
    /// Arrived last and released the round.
    Released,
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let wakers = {
            let mut st = self.core.state.borrow_mut();
            match st.seats.remove(key) {
                None => return,
                Some((_, Seat::Arrived)) => {
                    st.inside -= 1;
                    Vec::new()
                }
                Some((_, Seat::Done { inside: true, .. })) => self.core.leave(&mut st),
                Some(_) => Vec::new(),
            }
        };
        self.core.record("leave", |_| {});
        wake_all(wakers);
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("barrier", &self.core.name.show())
            .finish()
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

struct BarrierCore {
    name: ObjectName,
    parties: usize,
    state: RefCell<BarrierState>,
}

/// asyncio's barrier states.
///
/// `Filling` → `Draining`: the last party arrives; every arrived party is
/// released with its index. `Draining` → `Filling`: the last released party
/// leaves (returns or is dropped); parties that came meanwhile are admitted
/// in order (and may fill the next round at once). `Filling`/`Draining` →
/// `Resetting`: [`Barrier::reset`] while parties are inside (waiting ones get
/// `BrokenBarrier`). `Resetting` → `Filling`: the last of them leaves. Any →
/// `Broken`: [`Barrier::abort`]. `Broken` → `Resetting`/`Filling`: `reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BarrierPhase {
    Filling,
    Draining,
    Resetting,
    Broken,
}

struct BarrierState {
    phase: BarrierPhase,
    /// Parties inside: arrived and waiting (while filling), or released and
    /// not yet left (while draining or resetting).
    inside: usize,
    seats: WaitList<Seat>,
}

/// One waiting party.
enum Seat {
    /// Came while the barrier drained or reset: waits to be admitted.
    Blocked,
    /// Arrived; waits for the barrier to fill.
    Arrived,
    /// Released (granted): its result, and whether it counts as inside.
    Done {
        result: Result<usize, BrokenBarrier>,
        inside: bool,
    },
}

impl Seat {
    fn broken(inside: bool) -> Seat {
        Seat::Done {
            result: Err(BrokenBarrier),
            inside,
        }
    }
}

impl BarrierCore {
    /// Releases every arrived party, with indices in arrival order.
    fn release(&self, st: &mut BarrierState) -> Vec<Waker> {
        st.phase = BarrierPhase::Draining;
        let mut index = 0;
        st.seats.grant_where(|seat| match seat {
            Seat::Arrived => {
                *seat = Seat::Done {
                    result: Ok(index),
                    inside: true,
                };
                index += 1;
                true
            }
            _ => false,
        })
    }

    /// A party inside leaves; the last one to leave ends draining or resetting.
    fn leave(&self, st: &mut BarrierState) -> Vec<Waker> {
        st.inside -= 1;
        let ending = matches!(st.phase, BarrierPhase::Draining | BarrierPhase::Resetting);
        if st.inside == 0 && ending {
            st.phase = BarrierPhase::Filling;
            return self.admit(st);
        }
        Vec::new()
    }

    /// While filling: admits blocked parties in order until the barrier fills.
    fn admit(&self, st: &mut BarrierState) -> Vec<Waker> {
        let parties = self.parties;
        let mut inside = st.inside;
        st.seats.grant_where(|seat| {
            if inside < parties && matches!(seat, Seat::Blocked) {
                *seat = Seat::Arrived;
                inside += 1;
            }
            false
        });
        st.inside = inside;
        if inside == parties {
            self.release(st)
        } else {
            Vec::new()
        }
    }

    fn record(&self, action: &'static str, detail: impl FnOnce(&mut String)) {
        with_runtime(|rt| {
            if let Some(rt) = rt {
                object::record(rt, &self.name, action, detail);
            }
        });
    }

    fn note_wait(self: &Rc<Self>) {
        with_runtime(|rt| {
            if let Some(rt) = rt {
                object::note_wait(rt, &self.name, self);
            }
        });
    }
}

impl Blocker for BarrierCore {
    fn describe(&self, _name: &dyn Fn(TaskId) -> String) -> String {
        let st = self.state.borrow();
        let name = self.name.show();
        match st.phase {
            BarrierPhase::Filling => format!("{name} {}/{} arrived", st.inside, self.parties),
            BarrierPhase::Draining => format!(
                "{name} draining: {} released part(ies) yet to leave before a new round",
                st.inside
            ),
            BarrierPhase::Resetting => format!(
                "{name} resetting: {} part(ies) yet to leave before a new round",
                st.inside
            ),
            BarrierPhase::Broken => format!("{name} broken"),
        }
    }
}
