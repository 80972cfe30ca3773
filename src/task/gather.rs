//! `gather` and `try_gather`: run futures as tasks, collect their outputs in
//! argument order. asyncio: `gather`.

use std::convert::Infallible;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::completion::ChildTasks;
use super::object::id_list;
use super::JoinError;
use crate::runtime::context::with_core;
use crate::sync::object::ObjectName;

/// Why a [`gather`] or [`try_gather`] gave no results: the first child to
/// fail, in the order the children ended (not argument order).
///
/// ```
/// use seedloop::{Sim, task::{try_gather, GatherError}};
/// Sim::new(1).run(async {
///     let job = |r: Result<u32, &'static str>| async move { r };
///     let err = try_gather([job(Ok(1)), job(Err("bad"))]).await.unwrap_err();
///     assert_eq!(err, GatherError::Failed { index: 1, error: "bad" });
///     assert_eq!(err.index(), 1);
/// }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GatherError<E = Infallible> {
    /// The future at `index` returned `Err(error)` ([`try_gather`] only).
    Failed {
        /// Its position among the arguments.
        index: usize,
        /// What it returned.
        error: E,
    },
    /// The task running the future at `index` panicked (or was cancelled:
    /// only possible when the run itself ends).
    Join {
        /// Its position among the arguments.
        index: usize,
        /// How it ended.
        error: JoinError,
    },
}

impl<E> GatherError<E> {
    /// The position of the failed future among the arguments.
    pub fn index(&self) -> usize {
        match self {
            GatherError::Failed { index, .. } | GatherError::Join { index, .. } => *index,
        }
    }
}

impl<E: fmt::Display> fmt::Display for GatherError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatherError::Failed { index, error } => {
                write!(f, "gathered future {index} failed: {error}")
            }
            GatherError::Join { index, error } => write!(f, "gathered future {index}: {error}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> Error for GatherError<E> {}

/// Where a gathering is. Legal transitions: `Running → Aborting` (first
/// failure, siblings being cancelled), `Running → Done`, `Aborting → Done`,
/// and `Running → Done` at once on a failure when siblings are left to run.
#[derive(Debug)]
enum GatherState<O> {
    /// Children run; outputs arrive.
    Running,
    /// A child failed; the others were asked to stop and we wait until they
    /// have (a turn at most).
    Aborting {
        index: usize,
        failure: Result<O, JoinError>,
    },
    /// The result was returned.
    Done,
}

/// The engine both `Gather` and `TryGather` drive; `O` is a child's output.
struct Gathering<O> {
    label: ObjectName,
    children: ChildTasks<O>,
    outputs: Vec<Option<O>>,
    state: GatherState<O>,
    cancel_on_failure: bool,
}

impl<O: 'static> Gathering<O> {
    fn start<I>(what: &str, futures: I) -> Gathering<O>
    where
        I: IntoIterator,
        I::Item: Future<Output = O> + 'static,
    {
        let label = ObjectName::new("Gather");
        let mut children = ChildTasks::new(label.name());
        with_core(what, |core| {
            for fut in futures {
                children.push(crate::task::Task::spawn_on(core, None, fut));
            }
        });
        label.record("start", |out| {
            out.push_str(&{ id_list((0..children.len()).map(|i| children.id(i))) })
        });
        let outputs = (0..children.len()).map(|_| None).collect();
        Gathering {
            label,
            children,
            outputs,
            state: GatherState::Running,
            cancel_on_failure: true,
        }
    }

    /// `Ok(outputs)` in argument order, or the first failure (by ending order).
    #[allow(clippy::type_complexity)]
    fn poll_gather(
        &mut self,
        cx: &mut Context<'_>,
        is_failure: fn(&O) -> bool,
    ) -> Poll<Result<Vec<O>, (usize, Result<O, JoinError>)>> {
        while let Some((index, out)) = self.children.next_ended() {
            let failed = match &out {
                Ok(o) => is_failure(o),
                Err(_) => true,
            };
            match (&self.state, failed) {
                (GatherState::Running, false) => {
                    if let Ok(o) = out {
                        self.outputs[index] = Some(o);
                    }
                }
                (GatherState::Running, true) => {
                    let id = self.children.id(index);
                    self.label.record("failure", |text| {
                        text.push_str(&format!("{index} ({id}) {}", describe(&out)))
                    });
                    if !self.cancel_on_failure {
                        self.label.record("detach", |out| {
                            out.push_str(&id_list(self.children.unfinished_ids()))
                        });
                        self.children.detach_unfinished();
                        self.state = GatherState::Done;
                        return Poll::Ready(Err((index, out)));
                    }
                    let reason =
                        format!("{} failed: future {index} ({id}) failed", self.label.name());
                    self.children.cancel_unfinished(&reason);
                    self.state = GatherState::Aborting {
                        index,
                        failure: out,
                    };
                }
                // Siblings ending while we abort: cancelled, or done just before.
                (GatherState::Aborting { .. }, _) | (GatherState::Done, _) => {}
            }
        }
        if self.children.unfinished() == 0 {
            match std::mem::replace(&mut self.state, GatherState::Done) {
                GatherState::Running => {
                    self.label.record("done", |out| {
                        out.push_str(&format!("{} results", self.outputs.len()))
                    });
                    let outputs = self.outputs.drain(..).map(Option::unwrap).collect();
                    return Poll::Ready(Ok(outputs));
                }
                GatherState::Aborting { index, failure } => {
                    self.label
                        .record("failed", |out| out.push_str(&format!("future {index}")));
                    return Poll::Ready(Err((index, failure)));
                }
                GatherState::Done => panic!("a gather was polled after it completed"),
            }
        }
        self.children.wait_for_next(cx);
        Poll::Pending
    }
}

impl<O> Drop for Gathering<O> {
    fn drop(&mut self) {
        if matches!(
            self.state,
            GatherState::Running | GatherState::Aborting { .. }
        ) {
            // Dropping `children` cancels every unfinished child.
            self.label.record("drop", |_| {});
        }
    }
}

fn describe<O>(out: &Result<O, JoinError>) -> String {
    match out {
        Ok(_) => "returned an error".to_string(),
        Err(e) => e.to_string(),
    }
}

/// Runs every future as a task, at once, and waits for all of them: their
/// outputs in argument order. asyncio: `gather(*aws)`.
///
/// The tasks start when `gather` is called (as in asyncio), not when the
/// returned future is first polled. `gather` of nothing gives `Ok(vec![])`.
///
/// A child that returns a `Result` is not a failure here, whatever its
/// value: `gather` collects `Err`s as values (asyncio's
/// `return_exceptions=True`); use [`try_gather`] to stop at the first `Err`.
/// A child that panics (with [`Sim::isolate_panics`](crate::Sim::isolate_panics),
/// or in real mode) is a failure.
///
/// # Differences from asyncio
/// On the first failure the other children are **cancelled** (with a reason
/// naming the failure) and the gather returns once they are gone, in the
/// same instant. asyncio lets them run on unobserved, a well-known footgun;
/// [`Gather::cancel_on_failure`]`(false)` keeps asyncio's behaviour.
///
/// # Cancel safety
/// Dropping the gather (say, its owner is cancelled or a timeout fires)
/// cancels every child still running.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, sleep, task::gather, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let job = |v: u32, ms: u64| async move { sleep(Duration::from_millis(ms)).await; v };
///     let out = gather([job(2, 300), job(1, 100), job(3, 200)]).await.unwrap();
///     assert_eq!(out, [2, 1, 3]); // argument order, not completion order
///     assert_eq!(Instant::now().as_secs_f64(), 0.3);
/// }).unwrap();
/// ```
pub fn gather<I>(futures: I) -> Gather<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
    <I::Item as Future>::Output: 'static,
{
    Gather {
        run: Gathering::start("seedloop::task::gather", futures),
    }
}

/// Like [`gather`], for futures that return `Result`: the first `Err` (or
/// panic) in completion order is the gather's error, and the other children
/// are cancelled. asyncio: `gather(*aws)` with exceptions.
///
/// # Cancel safety
/// Dropping it cancels every child still running.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, sleep, task::{try_gather, GatherError}, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let job = |ms: u64, ok: bool| async move {
///         sleep(Duration::from_millis(ms)).await;
///         if ok { Ok(ms) } else { Err(ms) }
///     };
///     let err = try_gather([job(500, true), job(200, false), job(300, false)]).await.unwrap_err();
///     // The failure at 0.2 s wins; the others are cancelled at 0.2 s.
///     assert_eq!(err, GatherError::Failed { index: 1, error: 200 });
///     assert_eq!(Instant::now().as_secs_f64(), 0.2);
/// }).unwrap();
/// ```
pub fn try_gather<I, T, E>(futures: I) -> TryGather<T, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: 'static,
{
    TryGather {
        run: Gathering::start("seedloop::task::try_gather", futures),
    }
}

/// The future returned by [`gather`].
#[must_use = "futures do nothing unless awaited; dropping a Gather cancels its children"]
pub struct Gather<T> {
    run: Gathering<T>,
}

impl<T> Gather<T> {
    /// With `false`, the first failure ends the gather at once and leaves
    /// the other children running, unobserved (detached): asyncio's default
    /// behaviour. With `true` (the default) they are cancelled first.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::gather};
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// let finished = Rc::new(Cell::new(false));
    /// let f = finished.clone();
    /// Sim::new(1).isolate_panics(true).run(async move {
    ///     let slow = async move { sleep(Duration::from_secs(1)).await; f.set(true) };
    ///     let boom = async { panic!("boom") };
    ///     let futs: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> =
    ///         vec![Box::pin(slow), Box::pin(boom)];
    ///     assert!(gather(futs).cancel_on_failure(false).await.is_err());
    ///     sleep(Duration::from_secs(2)).await;
    /// }).unwrap();
    /// assert!(finished.get()); // the sibling ran on
    /// ```
    pub fn cancel_on_failure(mut self, on: bool) -> Gather<T> {
        self.run.cancel_on_failure = on;
        self
    }
}

// Outputs are stored, never pinned: the gather can move freely.
impl<T> Unpin for Gather<T> {}
impl<T, E> Unpin for TryGather<T, E> {}

impl<T: 'static> Future for Gather<T> {
    type Output = Result<Vec<T>, GatherError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.run.poll_gather(cx, |_| false).map(|r| {
            r.map_err(|(index, failure)| match failure {
                Err(error) => GatherError::Join { index, error },
                Ok(_) => unreachable!("gather counts no output as a failure"),
            })
        })
    }
}

/// The future returned by [`try_gather`].
#[must_use = "futures do nothing unless awaited; dropping a TryGather cancels its children"]
pub struct TryGather<T, E> {
    run: Gathering<Result<T, E>>,
}

impl<T, E> TryGather<T, E> {
    /// See [`Gather::cancel_on_failure`].
    ///
    /// ```
    /// use seedloop::{Sim, task::try_gather};
    /// Sim::new(1).run(async {
    ///     let r = try_gather([async { Err::<(), _>(1) }]).cancel_on_failure(false).await;
    ///     assert!(r.is_err());
    /// }).unwrap();
    /// ```
    pub fn cancel_on_failure(mut self, on: bool) -> TryGather<T, E> {
        self.run.cancel_on_failure = on;
        self
    }
}

impl<T: 'static, E: 'static> Future for TryGather<T, E> {
    type Output = Result<Vec<T>, GatherError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.run.poll_gather(cx, Result::is_err).map(|r| match r {
            Ok(outputs) => Ok(outputs.into_iter().filter_map(Result::ok).collect()),
            Err((index, Ok(Err(error)))) => Err(GatherError::Failed { index, error }),
            Err((index, Err(error))) => Err(GatherError::Join { index, error }),
            Err((_, Ok(Ok(_)))) => unreachable!("an Ok output is not a failure"),
        })
    }
}

impl<T> fmt::Debug for Gather<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("name", &self.run.label.name())
            .field("unfinished", &self.run.children.unfinished())
            .finish()
    }
}

impl<T, E> fmt::Debug for TryGather<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGather")
            .field("name", &self.run.label.name())
            .field("unfinished", &self.run.children.unfinished())
            .finish()
    }
}
