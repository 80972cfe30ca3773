//! Cancel-correctness, as properties: tasks use the primitives with random
//! delays and timeouts, and are cancelled at random moments, under several
//! seeds and policies. Whatever happens, nothing is lost (every queue item
//! is taken exactly once, or dropped because its put never happened;
//! permits constant; a notification reaches exactly the waiters it
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

/// An item of the queue property: who put it, and where it went.
type ItemId = (usize, usize);

/// Where each item of one queue case went.
#[derive(Default)]
struct Ledger {
    /// Taken out of the queue (by a getter, or left and drained at the end).
    taken: RefCell<Vec<ItemId>>,
    /// Dropped without ever being taken: its put did not happen.
    dropped: RefCell<Vec<ItemId>>,
    /// Puts that returned `Ok`.
    put_ok: RefCell<Vec<ItemId>>,
    /// Puts that never returned `Ok` (cancelled, timed out, shut down).
    abandoned: RefCell<Vec<ItemId>>,
}

/// A queue item that tells the ledger whether it was taken or dropped.
struct Item {
    id: ItemId,
    ledger: Rc<Ledger>,
    taken: bool,
}

impl Item {
    fn take(mut self) -> ItemId {
        self.taken = true;
        self.ledger.taken.borrow_mut().push(self.id);
        self.id
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        if !self.taken {
            self.ledger.dropped.borrow_mut().push(self.id);
        }
    }
}

/// One put attempt: unless `finish`ed, it counts as abandoned when dropped
/// (also when the putting task is cancelled inside `put`).
struct Attempt {
    id: ItemId,
    ledger: Rc<Ledger>,
    finished: bool,
}

impl Attempt {
    fn finish(mut self) {
        self.finished = true;
        self.ledger.put_ok.borrow_mut().push(self.id);
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.finished {
            self.ledger.abandoned.borrow_mut().push(self.id);
        }
    }
}

/// How often one queue case went down the cancellation paths that hand
/// something on.
#[derive(Default, Debug)]
struct QueueCoverage {
    /// Putters dropped after their item had entered the queue.
    put_then_dropped: usize,
    /// Getters dropped after they were handed an item.
    handed_then_dropped: usize,
}

fn sorted(v: &RefCell<Vec<ItemId>>) -> Vec<ItemId> {
    let mut v = v.borrow().clone();
    v.sort();
    v
}

/// Producers put and consumers get with random delays, timeouts and
/// cancellations; then checks that every item was either taken exactly
/// once or dropped because its put never happened, that a put that
/// returned `Ok` was never dropped, that the queue never held more than
/// `maxsize`, and that nobody was left waiting beside items or room.
fn queue_case(
    sim: &mut Sim,
    maxsize: usize,
    producers: &[Plan],
    consumers: &[Plan],
) -> Result<QueueCoverage, seedloop::SimError> {
    let ledger = Rc::new(Ledger::default());
    let created = Rc::new(RefCell::new(Vec::new()));
    let l = ledger.clone();
    let c = created.clone();
    sim.run(async move {
        let (ledger, created) = (l, c);
        let q = Queue::new(maxsize);
        let bounded = move |q: &Queue<Item>| maxsize == 0 || q.len() <= maxsize;
        let (putting, getting) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let mut tasks: Vec<Task<()>> = Vec::new();
        for (p, plan) in producers.iter().enumerate() {
            let (q, ledger, created, putting) =
                (q.clone(), ledger.clone(), created.clone(), putting.clone());
            let steps = plan.steps.clone();
            tasks.push(spawn(async move {
                for (i, s) in steps.into_iter().enumerate() {
                    sleep(ms(s.delay)).await;
                    let id = (p, i);
                    created.borrow_mut().push(id);
                    let item = Item {
                        id,
                        ledger: ledger.clone(),
                        taken: false,
                    };
                    let attempt = Attempt {
                        id,
                        ledger: ledger.clone(),
                        finished: false,
                    };
                    let _w = Waiting::raise(&putting);
                    let put = match s.patience {
                        None => q.put(item).await,
                        Some(t) => match timeout(ms(t), q.put(item)).await {
                            Ok(r) => r,
                            Err(_) => continue,
                        },
                    };
                    assert!(bounded(&q), "{} items in a Queue({maxsize})", q.len());
                    match put {
                        Ok(()) => attempt.finish(),
                        Err(QueueShutDown) => return,
                    }
                }
            }));
        }
        for plan in consumers {
            let (q, getting) = (q.clone(), getting.clone());
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
                    assert!(bounded(&q), "{} items in a Queue({maxsize})", q.len());
                    match item {
                        Ok(item) => {
                            item.take();
                            q.task_done().unwrap();
                        }
                        Err(QueueShutDown) => return,
                    }
                    drop(_w);
                    sleep(ms(s.hold)).await;
                }
            }));
        }
        let plans: Vec<Plan> = producers.iter().chain(consumers).cloned().collect();
        cancel_as_planned(&plans, &tasks).await;
        // Settled: nobody waits to get while there are items, nor to put
        // while there is room.
        assert!(
            getting.get() == 0 || q.is_empty(),
            "a getter waits beside {} item(s)",
            q.len()
        );
        assert!(
            putting.get() == 0 || q.is_full(),
            "a putter waits beside free room"
        );
        assert!(bounded(&q), "{} items in a Queue({maxsize})", q.len());
        q.shutdown(false);
        for t in tasks {
            let _ = t.await;
        }
        while let Ok(item) = q.get_nowait() {
            item.take();
            q.task_done().unwrap();
        }
        q.join().await;
        assert_eq!(
            q.task_done(),
            Err(TooManyTaskDone),
            "an item was counted but not delivered"
        );
    })?;
    let (taken, dropped) = (sorted(&ledger.taken), sorted(&ledger.dropped));
    let (put_ok, abandoned) = (sorted(&ledger.put_ok), sorted(&ledger.abandoned));
    let mut all: Vec<ItemId> = taken.iter().chain(&dropped).copied().collect();
    all.sort();
    assert_eq!(
        all,
        sorted(&created),
        "an item was lost, or taken twice, or taken and dropped"
    );
    for id in &put_ok {
        assert!(
            taken.binary_search(id).is_ok(),
            "item {id:?} was put (Ok) but never taken"
        );
    }
    for id in &dropped {
        assert!(
            abandoned.binary_search(id).is_ok(),
            "item {id:?} was dropped, yet its put said Ok"
        );
    }
    let trace = sim.trace().render();
    Ok(QueueCoverage {
        put_then_dropped: abandoned
            .iter()
            .filter(|id| taken.binary_search(id).is_ok())
            .count(),
        handed_then_dropped: trace.matches("pass on item").count(),
    })
}

/// The property's random cancellations do reach the paths where a waiter
/// is dropped after it was served: a putter after its item entered the
/// queue (its item must stay put: dropping or re-offering it would break
/// `queue_case`'s ledger or bound), a getter after it was handed an item
/// (which must be handed on). Deterministic: a fixed proptest seed.
#[test]
fn queue_cancellations_reach_the_hand_on_paths() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let case = (any::<u64>(), 1..4usize, plans(5), plans(4));
    let mut total = QueueCoverage::default();
    for _ in 0..48 {
        let (seed, maxsize, producers, consumers) =
            case.new_tree(&mut runner).expect("a case").current();
        for mut sim in schedules(seed) {
            let c = queue_case(&mut sim, maxsize, &producers, &consumers)
                .unwrap_or_else(|e| panic!("{e}"));
            total.put_then_dropped += c.put_then_dropped;
            total.handed_then_dropped += c.handed_then_dropped;
        }
    }
    assert!(total.put_then_dropped > 0, "{total:?}");
    assert!(total.handed_then_dropped > 0, "{total:?}");
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
        for mut sim in schedules(seed) {
            if let Err(e) = queue_case(&mut sim, maxsize, &producers, &consumers) {
                panic!("{e}");
            }
        }
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
