//! Cancel-correctness, as properties: tasks use the primitives with random
//! delays and timeouts, and are cancelled at random moments, under several
//! seeds and policies. Whatever happens, nothing is lost (items put = got +
//! left; permits constant; a notification reaches exactly the waiters it
//! should), no waiter is left behind, and no task stays blocked when the
//! state would let it go on.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use proptest::prelude::*;
use seedloop::queue::{Queue, QueueShutDown, TooManyTaskDone};
use seedloop::sync::{Barrier, Condition, Lock, Semaphore};
use seedloop::time::{sleep_until, Instant};
use seedloop::{sleep, spawn, timeout, yield_now, Policy, Sim, Task};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn at_ms(n: u64) -> Instant {
    Instant::ZERO + ms(n)
}

/// When everything a case does is over: later than any plan can reach.
const SETTLED_MS: u64 = 20_000;

/// The runs of one case: three seeds, under three policies.
fn schedules(seed: u64) -> Vec<Sim> {
    vec![
        Sim::new(seed).policy(Policy::Random),
        Sim::new(seed.wrapping_add(1)).policy(Policy::Pct { depth: 3 }),
        Sim::new(seed.wrapping_add(2)).policy(Policy::Fifo),
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A counter raised while a task waits, lowered when it stops waiting, also
/// when its wait is dropped (cancelled).
struct Waiting(Rc<Cell<usize>>);

impl Waiting {
    fn raise(c: &Rc<Cell<usize>>) -> Waiting {
        c.set(c.get() + 1);
        Waiting(c.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// One step of a task: wait `delay`, then use the primitive (giving up after
/// `patience`, if any) and hold what it got for `hold`.
#[derive(Clone, Debug)]
struct Step {
    delay: u64,
    hold: u64,
    patience: Option<u64>,
}

#[derive(Clone, Debug)]
struct Plan {
    steps: Vec<Step>,
    cancel_at: Option<u64>,
}

/// Times are multiples of 100 ms, so that cancellations, timeouts and
/// releases often fall on the same instant, where the order within the
/// instant (the seed's choice) decides who wins: a waiter may be cancelled
/// right after it was granted, before it runs.
fn plans(max_tasks: usize) -> impl Strategy<Value = Vec<Plan>> {
    let step = (0..3u64, 0..4u64, prop::option::weighted(0.3, 1..5u64)).prop_map(
        |(delay, hold, patience)| Step {
            delay: delay * 100,
            hold: hold * 100,
            patience: patience.map(|p| p * 100),
        },
    );
    let plan = (
        prop::collection::vec(step, 1..4),
        prop::option::weighted(0.5, 0..12u64),
    )
        .prop_map(|(steps, cancel_at)| Plan {
            steps,
            cancel_at: cancel_at.map(|c| c * 100),
        });
    prop::collection::vec(plan, 1..max_tasks)
}

/// Cancels each planned task at its time (in time order), then waits until
/// everything has settled.
async fn cancel_as_planned<T>(plans: &[Plan], tasks: &[Task<T>]) {
    let mut cancels: Vec<(u64, usize)> = plans
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.cancel_at.map(|t| (t, i)))
        .collect();
    cancels.sort();
    for (t, i) in cancels {
        sleep_until(at_ms(t)).await;
        tasks[i].cancel();
    }
    sleep_until(at_ms(SETTLED_MS)).await;
}

fn check_runs(seed: u64, run: impl Fn(&mut Sim) -> Result<(), seedloop::SimError>) {
    for mut sim in schedules(seed) {
        if let Err(e) = run(&mut sim) {
            panic!("{e}");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_lock_is_exclusive_never_lost_and_never_leaves_a_waiter_behind(
        seed in any::<u64>(),
        plans in plans(6),
    ) {
        check_runs(seed, |sim| sim.run(async {
            let lock = Lock::new(0u32);
            let inside = Rc::new(Cell::new(0));
            let tasks: Vec<_> = plans.iter().map(|plan| {
                let (lock, inside, steps) = (lock.clone(), inside.clone(), plan.steps.clone());
                spawn(async move {
                    for s in steps {
                        sleep(ms(s.delay)).await;
                        let mut guard = match s.patience {
                            None => lock.lock().await,
                            Some(p) => match timeout(ms(p), lock.lock()).await {
                                Ok(g) => g,
                                Err(_) => continue,
                            },
                        };
                        let _in = Waiting::raise(&inside);
                        assert_eq!(inside.get(), 1, "two holders at once");
                        *guard += 1;
                        sleep(ms(s.hold)).await;
                    }
                })
            }).collect();
            cancel_as_planned(&plans, &tasks).await;
            // Settled: every task has finished or was cancelled; none waits
            // for a lock that nobody holds.
            assert!(tasks.iter().all(Task::is_finished), "a task is still blocked");
            assert!(!lock.is_locked(), "the lock was lost");
            assert!(lock.try_lock().is_some());
        }));
    }

    #[test]
    fn semaphore_permits_are_conserved_and_bound_the_holders(
        seed in any::<u64>(),
        permits in 1..4usize,
        plans in plans(7),
    ) {
        check_runs(seed, |sim| sim.run(async {
            let sem = Semaphore::new(permits);
            let inside = Rc::new(Cell::new(0));
            let tasks: Vec<_> = plans.iter().map(|plan| {
                let (sem, inside, steps) = (sem.clone(), inside.clone(), plan.steps.clone());
                spawn(async move {
                    for s in steps {
                        sleep(ms(s.delay)).await;
                        let _permit = match s.patience {
                            None => sem.acquire().await,
                            Some(p) => match timeout(ms(p), sem.acquire()).await {
                                Ok(permit) => permit,
                                Err(_) => continue,
                            },
                        };
                        let _in = Waiting::raise(&inside);
                        assert!(inside.get() <= permits, "more holders than permits");
                        sleep(ms(s.hold)).await;
                    }
                })
            }).collect();
            cancel_as_planned(&plans, &tasks).await;
            assert!(tasks.iter().all(Task::is_finished), "a task is still blocked");
            assert_eq!(sem.available(), permits, "a permit was lost");
        }));
    }

    #[test]
    fn queue_items_put_are_items_got_plus_items_left(
        seed in any::<u64>(),
        maxsize in 0..4usize,
        producers in plans(5),
        consumers in plans(4),
    ) {
        check_runs(seed, |sim| sim.run(async {
            let q = Queue::new(maxsize);
            let accepted = Rc::new(RefCell::new(Vec::new()));
            let got = Rc::new(RefCell::new(Vec::new()));
            let (putting, getting) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
            let mut tasks: Vec<Task<()>> = Vec::new();
            for (p, plan) in producers.iter().enumerate() {
                let (q, accepted, putting) = (q.clone(), accepted.clone(), putting.clone());
                let steps = plan.steps.clone();
                tasks.push(spawn(async move {
                    for (i, s) in steps.into_iter().enumerate() {
                        sleep(ms(s.delay)).await;
                        let item = (p, i);
                        let _w = Waiting::raise(&putting);
                        let put = match s.patience {
                            None => q.put(item).await,
                            Some(t) => match timeout(ms(t), q.put(item)).await {
                                Ok(r) => r,
                                Err(_) => continue,
                            },
                        };
                        match put {
                            Ok(()) => accepted.borrow_mut().push(item),
                            Err(QueueShutDown) => return,
                        }
                    }
                }));
            }
            for plan in &consumers {
                let (q, got, getting) = (q.clone(), got.clone(), getting.clone());
                let steps = plan.steps.clone();
                tasks.push(spawn(async move {
                    for s in steps.iter().cycle() {
                        sleep(ms(s.delay)).await;
                        let _w = Waiting::raise(&getting);
                        let item = match s.patience {
                            None => q.get().await,
                            Some(t) => match timeout(ms(t), q.get()).await {
                                Ok(r) => r,
                                Err(_) => continue,
                            },
                        };
                        match item {
                            Ok(item) => {
                                got.borrow_mut().push(item);
                                q.task_done().unwrap();
                            }
                            Err(QueueShutDown) => return,
                        }
                        drop(_w);
                        sleep(ms(s.hold)).await;
                    }
                }));
            }
            let plans: Vec<Plan> = producers.iter().chain(&consumers).cloned().collect();
            cancel_as_planned(&plans, &tasks).await;
            // Settled: nobody waits to get while there are items, nor to put
            // while there is room.
            assert!(getting.get() == 0 || q.is_empty(), "a getter waits beside {} item(s)", q.len());
            assert!(putting.get() == 0 || q.is_full(), "a putter waits beside free room");
            q.shutdown(false);
            for t in tasks {
                let _ = t.await;
            }
            let mut left = Vec::new();
            while let Ok(item) = q.get_nowait() {
                left.push(item);
                q.task_done().unwrap();
            }
            let mut out: Vec<_> = got.borrow().iter().copied().chain(left).collect();
            let mut accepted = accepted.borrow().clone();
            out.sort();
            accepted.sort();
            assert_eq!(out, accepted, "items put != items got + items left");
            q.join().await;
            assert_eq!(q.task_done(), Err(TooManyTaskDone));
        }));
    }

    #[test]
    fn a_notification_reaches_exactly_the_first_live_waiters(
        seed in any::<u64>(),
        waiters in 1..7usize,
        n in 1..7usize,
        cancel_before in prop::collection::vec(any::<bool>(), 7),
        cancel_after in prop::collection::vec(any::<bool>(), 7),
        hold_lock in any::<bool>(),
    ) {
        check_runs(seed, |sim| sim.run(async {
            let cond = Condition::new(());
            let entered = Rc::new(RefCell::new(Vec::new()));
            let woke = Rc::new(RefCell::new(Vec::new()));
            let tasks: Vec<_> = (0..waiters).map(|i| {
                let (cond, entered, woke) = (cond.clone(), entered.clone(), woke.clone());
                spawn(async move {
                    let guard = cond.lock().await;
                    entered.borrow_mut().push(i); // the order of the wait list
                    let _guard = cond.wait(guard).await;
                    woke.borrow_mut().push(i);
                })
            }).collect();
            sleep(ms(10)).await;
            assert_eq!(entered.borrow().len(), waiters);
            for (i, t) in tasks.iter().enumerate() {
                if cancel_before[i] {
                    t.cancel();
                }
            }
            yield_now().await;
            let guard = cond.lock().await;
            cond.notify(n);
            if hold_lock {
                // The notified run and queue for the lock we hold.
                yield_now().await;
                yield_now().await;
            }
            for (i, t) in tasks.iter().enumerate() {
                if cancel_after[i] {
                    t.cancel();
                }
            }
            drop(guard);
            sleep(ms(10)).await;
            let live: Vec<usize> = entered
                .borrow()
                .iter()
                .copied()
                .filter(|&i| !cancel_before[i] && !cancel_after[i])
                .collect();
            let expected: Vec<usize> = live.iter().copied().take(n).collect();
            let mut got = woke.borrow().clone();
            got.sort();
            let mut want = expected.clone();
            want.sort();
            assert_eq!(got, want, "woken vs the first {n} live waiters of {live:?}");
            cond.notify_all();
            for t in tasks {
                let _ = t.await;
            }
            assert_eq!(woke.borrow().len(), live.len());
        }));
    }

    #[test]
    fn a_barrier_never_keeps_a_cancelled_party_nor_gets_stuck(
        seed in any::<u64>(),
        parties in 1..4usize,
        plans in plans(8),
    ) {
        check_runs(seed, |sim| sim.run(async {
            let barrier = Barrier::new(parties).unwrap();
            let waiting = Rc::new(Cell::new(0));
            let passed = Rc::new(RefCell::new(Vec::new()));
            let tasks: Vec<_> = plans.iter().map(|plan| {
                let (b, waiting, passed) = (barrier.clone(), waiting.clone(), passed.clone());
                let steps = plan.steps.clone();
                spawn(async move {
                    for s in steps {
                        sleep(ms(s.delay)).await;
                        let _w = Waiting::raise(&waiting);
                        let r = match s.patience {
                            None => b.wait().await,
                            Some(p) => match timeout(ms(p), b.wait()).await {
                                Ok(r) => r,
                                Err(_) => continue,
                            },
                        };
                        passed.borrow_mut().push(r);
                    }
                })
            }).collect();
            cancel_as_planned(&plans, &tasks).await;
            assert_eq!(waiting.get(), barrier.n_waiting(), "a gone party still counts, or the barrier is stuck draining");
            assert!(barrier.n_waiting() < parties);
            for r in passed.borrow().iter() {
                assert!(matches!(r, Ok(i) if *i < parties), "{r:?}");
            }
            barrier.abort();
            for t in tasks {
                let _ = t.await;
            }
        }));
    }
}
