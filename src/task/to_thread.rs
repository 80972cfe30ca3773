//! `to_thread`: blocking work off the loop. asyncio: `to_thread`,
//! `run_in_executor`.
//!
//! Real mode runs the function on the runtime's bounded blocking pool and
//! wakes the awaiting task through its (thread-safe) waker when the result is
//! in. Sim mode has no threads: the function runs inline, on the loop, at a
//! deterministic point (the future's first poll), and the result arrives
//! after a modelled duration of virtual time, during which other tasks run,
//! as they would while a thread worked.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use crate::runtime::context::with_core;
use crate::time::{sleep, Sleep};
use crate::trace::EventKind;

/// Runs blocking `f` without blocking the loop, and resolves to its result.
/// asyncio: `await asyncio.to_thread(f)`, `loop.run_in_executor(None, f)`.
///
/// In real mode `f` runs on the runtime's blocking pool
/// ([`Builder::blocking_threads`](crate::real::Builder::blocking_threads)).
/// In sim it runs inline when the future is first polled, and the result
/// comes one scheduling step later; [`to_thread_for`] models how long it takes.
///
/// # Cancel safety
/// Dropping the future before `f` has started means `f` never runs. Once
/// it runs, a thread cannot be interrupted: `f` completes and its result is
/// dropped.
///
/// # Panics
/// A panic in `f` resumes in the awaiting task (which then ends as
/// panicked, like any task). Polling it outside a runtime panics.
///
/// ```
/// use seedloop::{Sim, to_thread};
/// let sum = seedloop::run(async { to_thread(|| (1..=100u64).sum::<u64>()).await });
/// assert_eq!(sum, 5050);
/// // The same code in sim: inline, deterministic.
/// let sum = Sim::new(1).run(async { to_thread(|| (1..=100u64).sum::<u64>()).await }).unwrap();
/// assert_eq!(sum, 5050);
/// ```
#[doc(alias = "run_in_executor")]
pub fn to_thread<T, F>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    to_thread_for(Duration::ZERO, f)
}

/// [`to_thread`] whose work takes `modelled` of virtual time in sim (real
/// mode ignores it: the work takes what it takes).
///
/// # Cancel safety
/// As [`to_thread`].
///
/// # Panics
/// As [`to_thread`].
///
/// ```
/// use seedloop::{Sim, to_thread_for, time::Instant};
/// use std::time::Duration;
/// let at = Sim::new(1).run(async {
///     to_thread_for(Duration::from_secs(2), || std::fs::metadata(".").is_ok()).await;
///     Instant::now()
/// }).unwrap();
/// assert_eq!(at.as_secs_f64(), 2.0);
/// ```
pub fn to_thread_for<T, F>(modelled: Duration, f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    ToThread {
        stage: Stage::NotStarted {
            f: Box::new(f),
            modelled,
        },
    }
}

/// The result slot a pool thread fills, and the waker it then wakes.
struct Slot<T> {
    state: Mutex<SlotState<T>>,
}

struct SlotState<T> {
    result: Option<thread::Result<T>>,
    waker: Option<Waker>,
    /// The future was dropped: skip `f` if it has not started.
    abandoned: bool,
}

/// Where a [`ToThread`] is. `NotStarted` → `OnThread` (real) or
/// `Modelled` (sim) → `Done`.
enum Stage<T> {
    NotStarted {
        f: Box<dyn FnOnce() -> T + Send>,
        modelled: Duration,
    },
    OnThread(Arc<Slot<T>>),
    Modelled {
        result: Option<T>,
        /// `None`: no modelled time, one yield instead.
        sleep: Option<Pin<Box<Sleep>>>,
        yielded: bool,
    },
    Done,
}

/// The future returned by [`to_thread`] and [`to_thread_for`].
#[must_use = "futures do nothing unless awaited"]
pub struct ToThread<T> {
    stage: Stage<T>,
}

// The output is never pinned: it is moved out when ready.
impl<T> Unpin for ToThread<T> {}

impl<T> std::fmt::Debug for ToThread<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stage = match self.stage {
            Stage::NotStarted { .. } => "not started",
            Stage::OnThread(_) => "on a thread",
            Stage::Modelled { .. } => "modelled",
            Stage::Done => "done",
        };
        f.debug_struct("ToThread").field("stage", &stage).finish()
    }
}

impl<T: Send + 'static> ToThread<T> {
    /// First poll: hand `f` to the pool (real) or run it now (sim). Either
    /// way the result comes after at least one yield, so what other tasks
    /// see does not depend on how fast a thread is.
    fn start(&mut self, cx: &Context<'_>) {
        let Stage::NotStarted { f, modelled } = std::mem::replace(&mut self.stage, Stage::Done)
        else {
            return;
        };
        let pool = with_core("seedloop::to_thread", |core| {
            core.services().blocking_pool.clone()
        });
        self.stage = match pool {
            Some(pool) => {
                let slot = Arc::new(Slot {
                    state: Mutex::new(SlotState {
                        result: None,
                        waker: Some(cx.waker().clone()),
                        abandoned: false,
                    }),
                });
                let job_slot = slot.clone();
                let job = Box::new(move || run_job(&job_slot, f));
                if let Err(e) = pool.submit(job) {
                    panic!("seedloop::to_thread could not start a blocking thread: {e}");
                }
                Stage::OnThread(slot)
            }
            None => {
                with_core("seedloop::to_thread", |core| {
                    core.record(EventKind::object(
                        "to_thread",
                        "run inline",
                        format!("modelled {modelled:?}"),
                    ));
                });
                let result = f();
                Stage::Modelled {
                    result: Some(result),
                    sleep: (!modelled.is_zero()).then(|| Box::pin(sleep(modelled))),
                    yielded: false,
                }
            }
        };
    }
}

/// On a pool thread: run `f` unless abandoned, store the outcome, wake the task.
fn run_job<T>(slot: &Slot<T>, f: Box<dyn FnOnce() -> T + Send>) {
    if slot.lock().abandoned {
        return;
    }
    let outcome = catch_unwind(AssertUnwindSafe(f));
    let waker = {
        let mut state = slot.lock();
        state.result = Some(outcome);
        state.waker.take()
    };
    if let Some(w) = waker {
        w.wake();
    }
}

impl<T> Slot<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Send + 'static> Future for ToThread<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = &mut *self;
        if matches!(this.stage, Stage::NotStarted { .. }) {
            this.start(cx);
            if matches!(this.stage, Stage::OnThread(_)) {
                return Poll::Pending; // the pool thread wakes us
            }
        }
        match &mut this.stage {
            Stage::OnThread(slot) => {
                let outcome = {
                    let mut state = slot.lock();
                    match state.result.take() {
                        Some(outcome) => outcome,
                        None => {
                            match &state.waker {
                                Some(w) if w.will_wake(cx.waker()) => {}
                                _ => state.waker = Some(cx.waker().clone()),
                            }
                            return Poll::Pending;
                        }
                    }
                };
                this.stage = Stage::Done;
                match outcome {
                    Ok(value) => Poll::Ready(value),
                    Err(payload) => resume_unwind(payload),
                }
            }
            Stage::Modelled {
                result,
                sleep,
                yielded,
            } => {
                let pending = match sleep {
                    Some(s) => s.as_mut().poll(cx).is_pending(),
                    None if !*yielded => {
                        *yielded = true;
                        cx.waker().wake_by_ref();
                        true
                    }
                    None => false,
                };
                if pending {
                    return Poll::Pending;
                }
                let value = result.take().expect("a modelled result is taken once");
                this.stage = Stage::Done;
                Poll::Ready(value)
            }
            Stage::NotStarted { .. } | Stage::Done => {
                panic!("a ToThread future was polled again after it completed")
            }
        }
    }
}

impl<T> Drop for ToThread<T> {
    fn drop(&mut self) {
        if let Stage::OnThread(slot) = &self.stage {
            slot.lock().abandoned = true;
        }
    }
}
