//! Property tests over random child durations, outcomes, seeds and
//! policies: nothing is lost, orders are as documented, no child is left
//! running unless documented.
//!
//! Durations are whole multiples of 100 ms from a small range, so many
//! children end at the same instant and the seed decides their order; the
//! expected "first" child is then read from the trace (the order of the
//! children's `finish`/`panic` events), which is what the docs promise.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Once;
use std::time::Duration;

use futures::StreamExt;
use proptest::prelude::*;
use seedloop::task::{
    as_completed, gather, try_gather, try_wait, AsCompletedError, Failure, GatherError, Promise,
    ReturnWhen, TaskGroup,
};
use seedloop::time::Instant;
use seedloop::trace::{Actor, EventKind, Trace};
use seedloop::{sleep, spawn, Policy, Sim};

const PLANNED: &str = "planned panic";

/// Planned panics in children would flood the test output: silence exactly
/// those, pass every other panic to the previous hook.
fn quiet_planned_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&PLANNED) {
                previous(info);
            }
        }));
    });
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Err,
    Panic,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![3 => Just(Outcome::Ok), 1 => Just(Outcome::Err), 1 => Just(Outcome::Panic)]
}

/// `(duration in units of 100 ms, outcome)` per child.
fn children() -> impl Strategy<Value = Vec<(u64, Outcome)>> {
    prop::collection::vec((0u64..4, outcome()), 1..6)
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![
        Just(Policy::Fifo),
        Just(Policy::Random),
        Just(Policy::Pct { depth: 2 })
    ]
}

fn sim(seed: u64, policy: Policy) -> Sim {
    quiet_planned_panics();
    Sim::new(seed).policy(policy).isolate_panics(true)
}

/// How many children are running: started and neither ended nor dropped.
#[derive(Clone, Default)]
struct Live(Rc<Cell<i64>>);

struct LiveGuard(Live);

impl Live {
    fn enter(&self) -> LiveGuard {
        self.0.set(self.0.get() + 1);
        LiveGuard(self.clone())
    }
    fn get(&self) -> i64 {
        self.0.get()
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        (self.0).0.set((self.0).0.get() - 1);
    }
}

type Child = Pin<Box<dyn Future<Output = Result<usize, usize>>>>;

fn child(live: &Live, i: usize, units: u64, outcome: Outcome) -> Child {
    let live = live.clone();
    Box::pin(async move {
        let _running = live.enter();
        sleep(Duration::from_millis(100 * units)).await;
        match outcome {
            Outcome::Ok => Ok(i),
            Outcome::Err => Err(i),
            Outcome::Panic => std::panic::panic_any(PLANNED),
        }
    })
}

/// Lets every ready task and callback run: cancelled children get dropped,
/// queued callbacks run. (One `yield_now` is not enough under random
/// policies, which may pick the yielding task again first; the clock only
/// moves once nothing is ready.)
async fn settle() {
    sleep(Duration::from_nanos(1)).await;
}

fn at(units: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(100 * units)
}

/// Child indexes (task ids `#2..`) in the order they ended in the trace,
/// with whether they panicked.
fn end_order(trace: &Trace, n: usize) -> Vec<(usize, bool)> {
    trace
        .events()
        .iter()
        .filter_map(|e| {
            let Actor::Task(id) = e.actor else {
                return None;
            };
            let i = usize::try_from(id.as_u64()).ok()?.checked_sub(2)?;
            if i >= n {
                return None;
            }
            match e.kind {
                EventKind::Finished => Some((i, false)),
                EventKind::Panicked { .. } => Some((i, true)),
                _ => None,
            }
        })
        .collect()
}

/// The first child to fail in the trace, where `failed(i, panicked)` says
/// what a failure is.
fn first_failure(trace: &Trace, n: usize, failed: impl Fn(usize, bool) -> bool) -> Option<usize> {
    end_order(trace, n)
        .into_iter()
        .find(|&(i, p)| failed(i, p))
        .map(|(i, _)| i)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn gather_keeps_argument_order_and_leaves_nothing_running(
        kids in children(), seed in any::<u64>(), policy in policy()
    ) {
        let live = Live::default();
        let l = live.clone();
        let futs: Vec<Child> = kids.iter().enumerate().map(|(i, &(u, o))| child(&live, i, u, o)).collect();
        let mut sim = sim(seed, policy);
        let (r, when, left) = sim.run(async move {
            let r = gather(futs).await;
            (r, Instant::now(), l.get())
        }).unwrap();
        prop_assert_eq!(left, 0, "a child was left running");
        let panics: Vec<u64> = kids.iter().filter(|k| k.1 == Outcome::Panic).map(|k| k.0).collect();
        match r {
            Ok(values) => {
                prop_assert!(panics.is_empty());
                let expected: Vec<Result<usize, usize>> = kids.iter().enumerate()
                    .map(|(i, k)| if k.1 == Outcome::Ok { Ok(i) } else { Err(i) }).collect();
                prop_assert_eq!(values, expected);
                prop_assert_eq!(when, at(kids.iter().map(|k| k.0).max().unwrap()));
            }
            Err(GatherError::Join { index, error }) => {
                prop_assert!(error.is_panic());
                let first = first_failure(sim.trace(), kids.len(), |_, p| p);
                prop_assert_eq!(Some(index), first);
                prop_assert_eq!(when, at(*panics.iter().min().unwrap()));
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn try_gather_fails_with_the_first_failure_in_completion_order(
        kids in children(), seed in any::<u64>(), policy in policy()
    ) {
        let live = Live::default();
        let l = live.clone();
        let futs: Vec<Child> = kids.iter().enumerate().map(|(i, &(u, o))| child(&live, i, u, o)).collect();
        let mut sim = sim(seed, policy);
        let (r, when, left) = sim.run(async move {
            let r = try_gather(futs).await;
            (r, Instant::now(), l.get())
        }).unwrap();
        prop_assert_eq!(left, 0, "a child was left running");
        let failing: Vec<u64> = kids.iter().filter(|k| k.1 != Outcome::Ok).map(|k| k.0).collect();
        let first = first_failure(sim.trace(), kids.len(), |i, p| p || kids[i].1 == Outcome::Err);
        match r {
            Ok(values) => {
                prop_assert!(failing.is_empty());
                prop_assert_eq!(values, (0..kids.len()).collect::<Vec<_>>());
            }
            Err(e) => {
                prop_assert_eq!(Some(e.index()), first);
                match e {
                    GatherError::Failed { index, error } => {
                        prop_assert_eq!(index, error);
                        prop_assert_eq!(kids[index].1, Outcome::Err);
                    }
                    GatherError::Join { index, error } => {
                        prop_assert!(error.is_panic());
                        prop_assert_eq!(kids[index].1, Outcome::Panic);
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
                prop_assert_eq!(when, at(*failing.iter().min().unwrap()));
            }
        }
    }

    #[test]
    fn as_completed_yields_everything_in_the_order_children_ended(
        kids in children(), seed in any::<u64>(), policy in policy(), deadline in prop::option::of(0u64..5)
    ) {
        let live = Live::default();
        let l = live.clone();
        let futs: Vec<Child> = kids.iter().enumerate().map(|(i, &(u, o))| child(&live, i, u, o)).collect();
        let mut sim = sim(seed, policy);
        let (items, elapsed_at, pending, left) = sim.run(async move {
            let mut s = as_completed(futs);
            if let Some(d) = deadline {
                s = s.timeout(Duration::from_millis(100 * d));
            }
            let mut items = Vec::new();
            let mut elapsed_at = None;
            while let Some(item) = s.next().await {
                match item {
                    Ok(Ok(i) | Err(i)) => items.push(i),
                    Err(AsCompletedError::Join { index, error }) => {
                        assert!(error.is_panic());
                        items.push(index);
                    }
                    Err(AsCompletedError::Elapsed(_)) => elapsed_at = Some(Instant::now()),
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
            let pending = s.into_pending();
            let still_running = pending.iter().filter(|t| !t.is_finished()).count();
            let n = pending.len();
            drop(pending);
            settle().await;
            (items, elapsed_at, (n, still_running), l.get())
        }).unwrap();
        prop_assert_eq!(left, 0, "dropping the leftover handles cancels them");
        let ended: Vec<usize> = end_order(sim.trace(), kids.len()).into_iter().map(|e| e.0).collect();
        // Yielded in the order they ended; nothing twice.
        prop_assert_eq!(&items[..], &ended[..items.len()]);
        prop_assert_eq!(items.len() + pending.0, kids.len(), "an output was lost");
        match deadline {
            None => {
                prop_assert_eq!(items.len(), kids.len());
                prop_assert_eq!(elapsed_at, None);
            }
            Some(d) => {
                for (i, k) in kids.iter().enumerate() {
                    if k.0 < d { prop_assert!(items.contains(&i), "{} ended before the deadline", i); }
                    if k.0 > d { prop_assert!(!items.contains(&i), "{} ended after the deadline", i); }
                }
                if items.len() < kids.len() {
                    prop_assert_eq!(elapsed_at, Some(at(d)));
                    // The timeout cancelled nothing: children ending after it
                    // still ran (those due at the deadline itself may or may
                    // not have ended yet).
                    prop_assert!(pending.1 >= kids.iter().filter(|k| k.0 > d).count());
                    prop_assert!(pending.1 <= kids.iter().filter(|k| k.0 >= d).count());
                } else {
                    prop_assert_eq!(elapsed_at, None);
                }
            }
        }
    }

    #[test]
    fn wait_returns_when_documented_and_splits_in_the_given_order(
        kids in children(), seed in any::<u64>(), policy in policy(),
        when in prop_oneof![Just(ReturnWhen::FirstCompleted), Just(ReturnWhen::FirstError), Just(ReturnWhen::AllCompleted)],
        deadline in prop::option::of(0u64..5)
    ) {
        let live = Live::default();
        let l = live.clone();
        let futs: Vec<Child> = kids.iter().enumerate().map(|(i, &(u, o))| child(&live, i, u, o)).collect();
        let mut sim = sim(seed, policy);
        let (done, pending, returned, left) = sim.run(async move {
            let tasks: Vec<_> = futs.into_iter().map(spawn).collect();
            let (done, pending) = try_wait(tasks, when, deadline.map(|d| Duration::from_millis(100 * d)))
                .await
                .unwrap();
            let returned = Instant::now();
            assert!(done.iter().all(|t| t.is_finished()));
            assert!(pending.iter().all(|t| !t.is_finished()));
            let ids = |v: &[seedloop::Task<Result<usize, usize>>]| -> Vec<usize> {
                v.iter().map(|t| t.id().as_u64() as usize - 2).collect()
            };
            let (d, p) = (ids(&done), ids(&pending));
            // `wait` cancelled nothing: the pending tasks run to their end.
            for t in pending {
                assert!(!matches!(t.await, Err(e) if e.is_cancelled()));
            }
            (d, p, returned, l.get())
        }).unwrap();
        prop_assert_eq!(left, 0);
        let mut all: Vec<usize> = done.iter().chain(&pending).copied().collect();
        prop_assert!(done.windows(2).all(|w| w[0] < w[1]) && pending.windows(2).all(|w| w[0] < w[1]));
        all.sort_unstable();
        prop_assert_eq!(all, (0..kids.len()).collect::<Vec<_>>(), "a task was lost");
        let units: Vec<u64> = kids.iter().map(|k| k.0).collect();
        let failing = kids.iter().filter(|k| k.1 != Outcome::Ok).map(|k| k.0).min();
        let expected = match when {
            ReturnWhen::FirstCompleted => *units.iter().min().unwrap(),
            ReturnWhen::AllCompleted => *units.iter().max().unwrap(),
            ReturnWhen::FirstError => failing.unwrap_or(*units.iter().max().unwrap()),
        };
        let expected = deadline.map_or(expected, |d| expected.min(d));
        prop_assert_eq!(returned, at(expected));
        if !matches!(deadline, Some(d) if d <= expected) {
            match when {
                ReturnWhen::FirstCompleted => prop_assert!(!done.is_empty()),
                ReturnWhen::AllCompleted => prop_assert!(pending.is_empty()),
                ReturnWhen::FirstError => prop_assert!(
                    pending.is_empty() || done.iter().any(|&i| kids[i].1 != Outcome::Ok)
                ),
            }
        }
    }

    #[test]
    fn a_task_group_lists_failures_in_order_and_leaves_nothing_running(
        kids in children(), seed in any::<u64>(), policy in policy()
    ) {
        let live = Live::default();
        let l = live.clone();
        let futs: Vec<Child> = kids.iter().enumerate().map(|(i, &(u, o))| child(&live, i, u, o)).collect();
        let mut sim = sim(seed, policy);
        let (r, when, left) = sim.run(async move {
            let r = TaskGroup::scope(|tg| async move {
                for f in futs {
                    tg.spawn(f).unwrap();
                }
                Ok(())
            }).await;
            (r, Instant::now(), l.get())
        }).unwrap();
        prop_assert_eq!(left, 0, "a child was left running");
        let is_failure = |i: usize, p: bool| p || kids[i].1 == Outcome::Err;
        let failing_units = kids.iter().filter(|k| k.1 != Outcome::Ok).map(|k| k.0).min();
        match r {
            Ok(()) => {
                prop_assert_eq!(failing_units, None);
                prop_assert_eq!(when, at(kids.iter().map(|k| k.0).max().unwrap()));
            }
            Err(e) => {
                let min = failing_units.unwrap();
                prop_assert_eq!(when, at(min));
                let listed: Vec<usize> = e.failures().iter()
                    .map(|f| f.task().unwrap().as_u64() as usize - 2).collect();
                // Every failure that happened, in the order they ended (the
                // others were cancelled before they could fail).
                let order: Vec<usize> = end_order(sim.trace(), kids.len()).into_iter()
                    .filter(|&(i, p)| is_failure(i, p)).map(|e| e.0).collect();
                prop_assert_eq!(&listed, &order);
                for (f, &i) in e.failures().iter().zip(&listed) {
                    prop_assert_eq!(kids[i].0, min, "only failures of the first instant get in");
                    match (f, kids[i].1) {
                        (Failure::Error { error, .. }, Outcome::Err) => prop_assert_eq!(*error, i),
                        (Failure::Panicked { message, .. }, Outcome::Panic) => prop_assert_eq!(message.as_str(), PLANNED),
                        (f, o) => prop_assert!(false, "{:?} for a child that should {:?}", f, o),
                    }
                }
            }
        }
    }

    #[test]
    fn every_promise_waiter_gets_the_value_when_it_is_set(
        starts in prop::collection::vec(0u64..4, 1..5), set_at in 0u64..4,
        seed in any::<u64>(), policy in policy()
    ) {
        let n = starts.len();
        let got = sim(seed, policy).run(async move {
            let p: Promise<u64> = Promise::new();
            let calls = Rc::new(Cell::new(0));
            let waiters: Vec<_> = starts.iter().map(|&s| {
                let (p, calls) = (p.clone(), calls.clone());
                spawn(async move {
                    sleep(Duration::from_millis(100 * s)).await;
                    p.on_done(move |_| calls.set(calls.get() + 1));
                    let v = p.wait().await.unwrap();
                    (s, v, Instant::now())
                })
            }).collect();
            sleep(Duration::from_millis(100 * set_at)).await;
            p.set(42).unwrap();
            let mut got = Vec::new();
            for w in waiters {
                got.push(w.await.unwrap());
            }
            settle().await;
            (got, calls.get())
        }).unwrap();
        prop_assert_eq!(got.1, n, "every callback ran once");
        for (start, v, when) in got.0 {
            prop_assert_eq!(v, 42);
            prop_assert_eq!(when, at(start.max(set_at)));
        }
    }
}
