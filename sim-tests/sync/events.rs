//! Event, Condition and Barrier: the tutorial ports (checked against CPython:
//! `sim-tests/asyncio/sync_scenarios.py SCENARIO`), wake order, cancellation,
//! and the misuse errors with their messages.

use std::cell::RefCell;
use std::rc::Rc;

use seedloop::sync::{Barrier, BrokenBarrier, Condition, Event, Lock, ZeroParties};
use seedloop::task::Builder;
use seedloop::{call_later, sleep, spawn, yield_now, Policy, Sim};

use crate::common::{fifo, py, secs, Log};
use crate::oracle::Scenario;
use crate::snapshot;

/// The `event_runners` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/sync_scenarios.py event_runners`).
pub const EVENT_RUNNERS: Scenario = Scenario {
    name: "event_runners",
    lines: &[
        "0.000 event set: False",
        "0.000 ann ready",
        "0.000 bob ready",
        "0.000 cy ready",
        "0.200 starter fires",
        "0.200 ann off",
        "0.200 bob off",
        "0.200 cy off",
        "0.700 bob finished",
        "0.950 cy finished",
        "1.200 ann finished",
        "1.200 event set: True",
    ],
    asyncio_swaps: &[],
};

#[test]
fn event_tutorial_runners_start_together_when_the_starter_fires_at_200ms() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let start = Event::new();
        let (s, ls) = (start.clone(), l.clone());
        call_later(secs(0.2), move || {
            ls.say("starter fires");
            s.set();
        });
        let runners: Vec<_> = [("ann", 1.0), ("bob", 0.5), ("cy", 0.75)]
            .into_iter()
            .map(|(name, lap)| {
                let (start, l) = (start.clone(), l.clone());
                Builder::new().name(name).spawn(async move {
                    l.say(format!("{name} ready"));
                    start.wait().await;
                    l.say(format!("{name} off"));
                    sleep(secs(lap)).await;
                    l.say(format!("{name} finished"));
                })
            })
            .collect();
        l.say(format!("event set: {}", py(start.is_set())));
        for r in runners {
            r.await.unwrap();
        }
        l.say(format!("event set: {}", py(start.is_set())));
    })
    .unwrap();
    assert_eq!(log.lines(), EVENT_RUNNERS.lines);
    snapshot!("sync_event_runners", sim.trace().render());
}

#[test]
fn set_wakes_every_waiter_in_order_and_clear_does_not_unwake_them() {
    for seed in 0..20 {
        let woke = Rc::new(RefCell::new(Vec::new()));
        let w = woke.clone();
        Sim::new(seed)
            .run(async move {
                let ev = Event::new();
                let tasks: Vec<_> = (0..4)
                    .map(|i| {
                        let (ev, w) = (ev.clone(), w.clone());
                        spawn(async move {
                            ev.wait().await;
                            w.borrow_mut().push(i);
                        })
                    })
                    .collect();
                sleep(secs(1.0)).await;
                ev.set();
                ev.clear(); // before any of them ran
                assert!(!ev.is_set());
                for t in tasks {
                    t.await.unwrap();
                }
                // A new wait after the clear waits again.
                let e = ev.clone();
                let late = spawn(async move { e.wait().await });
                yield_now().await;
                assert!(!late.is_finished());
                ev.set();
                late.await.unwrap();
            })
            .unwrap();
        let mut got = woke.borrow().clone();
        got.sort();
        assert_eq!(got, [0, 1, 2, 3], "seed {seed}");
    }
    let mut sim = fifo();
    sim.run(async {
        let ev = Event::new();
        let waiters: Vec<_> = ["w1", "w2", "w3"]
            .into_iter()
            .map(|n| {
                let e = ev.clone();
                Builder::new().name(n).spawn(async move { e.wait().await })
            })
            .collect();
        yield_now().await;
        ev.set();
        for w in waiters {
            w.await.unwrap();
        }
    })
    .unwrap();
    let trace = sim.trace().render();
    let wakes: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("main wake w"))
        .collect();
    assert_eq!(
        wakes,
        [
            "0.000000 main wake w1",
            "0.000000 main wake w2",
            "0.000000 main wake w3"
        ]
    );
    assert!(trace.contains("main Event#1 set woke 3"), "{trace}");
}

/// The `condition_notify` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/sync_scenarios.py condition_notify`).
pub const CONDITION_NOTIFY: Scenario = Scenario {
    name: "condition_notify",
    lines: &[
        "0.000 consumer 0 is waiting",
        "0.000 consumer 1 is waiting",
        "0.000 consumer 2 is waiting",
        "0.000 consumer 3 is waiting",
        "0.000 consumer 4 is waiting",
        "0.000 starting manipulate_condition",
        "0.100 notifying 1 consumers",
        "0.100 consumer 0 triggered",
        "0.100 ending consumer 0",
        "0.200 notifying 2 consumers",
        "0.200 consumer 1 triggered",
        "0.200 ending consumer 1",
        "0.200 consumer 2 triggered",
        "0.200 ending consumer 2",
        "0.300 notifying remaining consumers",
        "0.300 ending manipulate_condition",
        "0.300 consumer 3 triggered",
        "0.300 ending consumer 3",
        "0.300 consumer 4 triggered",
        "0.300 ending consumer 4",
    ],
    asyncio_swaps: &[],
};

#[test]
fn condition_tutorial_notify_one_then_two_then_all() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let cond = Condition::new(());
        let consumers: Vec<_> = (0..5)
            .map(|n| {
                let (cond, l) = (cond.clone(), l.clone());
                Builder::new()
                    .name(format!("consumer-{n}"))
                    .spawn(async move {
                        {
                            let guard = cond.lock().await;
                            l.say(format!("consumer {n} is waiting"));
                            let _guard = cond.wait(guard).await;
                            l.say(format!("consumer {n} triggered"));
                        }
                        l.say(format!("ending consumer {n}"));
                    })
            })
            .collect();
        let (c, lm) = (cond.clone(), l.clone());
        let manipulator = Builder::new().name("manipulator").spawn(async move {
            lm.say("starting manipulate_condition");
            sleep(secs(0.1)).await;
            for i in 1..3 {
                {
                    let _guard = c.lock().await;
                    lm.say(format!("notifying {i} consumers"));
                    assert_eq!(c.notify(i), i);
                }
                sleep(secs(0.1)).await;
            }
            {
                let _guard = c.lock().await;
                lm.say("notifying remaining consumers");
                assert_eq!(c.notify_all(), 2);
            }
            lm.say("ending manipulate_condition");
        });
        for t in consumers {
            t.await.unwrap();
        }
        manipulator.await.unwrap();
    })
    .unwrap();
    assert_eq!(log.lines(), CONDITION_NOTIFY.lines);
    snapshot!("sync_condition_notify", sim.trace().render());
}

/// The `condition_wait_for` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/sync_scenarios.py condition_wait_for`).
pub const CONDITION_WAIT_FOR: Scenario = Scenario {
    name: "condition_wait_for",
    lines: &[
        "0.000 waiter checks: 0 item(s)",
        "0.100 x added",
        "0.100 waiter checks: 1 item(s)",
        "0.250 y added",
        "0.250 waiter checks: 2 item(s)",
        "0.250 waiter got x,y",
    ],
    asyncio_swaps: &[],
};

#[test]
fn condition_tutorial_wait_for_two_items_in_a_shared_list() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let cond = Condition::new(Vec::<&str>::new());
            let (c, lw) = (cond.clone(), l.clone());
            let waiter = Builder::new().name("waiter").spawn(async move {
                let guard = c.lock().await;
                let guard = c
                    .wait_for(guard, |items| {
                        lw.say(format!("waiter checks: {} item(s)", items.len()));
                        items.len() >= 2
                    })
                    .await;
                lw.say(format!("waiter got {}", guard.join(",")));
            });
            let adder = |name: &'static str, delay: f64| {
                let (c, l) = (cond.clone(), l.clone());
                Builder::new().name(name).spawn(async move {
                    sleep(secs(delay)).await;
                    let mut items = c.lock().await;
                    items.push(name);
                    l.say(format!("{name} added"));
                    c.notify_all();
                })
            };
            let (x, y) = (adder("x", 0.1), adder("y", 0.25));
            waiter.await.unwrap();
            x.await.unwrap();
            y.await.unwrap();
        })
        .unwrap();
    assert_eq!(log.lines(), CONDITION_WAIT_FOR.lines);
}

#[test]
fn a_notified_waiter_cancelled_before_it_runs_passes_the_wake_on() {
    let woke = Rc::new(RefCell::new(Vec::new()));
    let w = woke.clone();
    let mut sim = fifo();
    sim.run(async move {
        let cond = Condition::new(());
        let waiters: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|n| {
                let (cond, w) = (cond.clone(), w.clone());
                Builder::new().name(n).spawn(async move {
                    let g = cond.lock().await;
                    let _g = cond.wait(g).await;
                    w.borrow_mut().push(n);
                })
            })
            .collect();
        sleep(secs(1.0)).await;
        assert_eq!(cond.notify(1), 1); // a
        waiters[0].cancel(); // a never runs: b gets its wake-up
        sleep(secs(1.0)).await;
        assert_eq!(*w.borrow(), ["b"]);
        assert_eq!(cond.notify(1), 1);
        sleep(secs(1.0)).await;
        assert_eq!(*w.borrow(), ["b", "c"]);
        assert_eq!(cond.notify(1), 0, "nobody left");
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("main Condition#2 notify woke a"), "{trace}");
    assert!(trace.contains("a Condition#2 pass on to b"), "{trace}");
}

#[test]
fn a_waiter_cancelled_while_taking_the_lock_back_hands_on_both_wake_and_lock() {
    fifo()
        .run(async {
            let cond = Condition::new(0);
            let spawn_waiter = |n: &'static str| {
                let c = cond.clone();
                Builder::new().name(n).spawn(async move {
                    let g = c.lock().await;
                    let mut g = c.wait(g).await;
                    *g += 1;
                })
            };
            let a = spawn_waiter("a");
            let b = spawn_waiter("b");
            yield_now().await;
            let guard = cond.lock().await;
            cond.notify(1); // a, which now needs the lock we hold
            yield_now().await; // a runs and queues for the lock
            drop(guard); // the lock goes to a
            a.cancel(); // a gives both up
            yield_now().await;
            yield_now().await;
            b.await.unwrap();
            assert!(a.await.unwrap_err().is_cancelled());
            assert_eq!(*cond.lock().await, 1);
        })
        .unwrap();
}

#[test]
fn two_conditions_share_one_lock() {
    fifo()
        .run(async {
            let lock = Lock::new(Vec::new());
            let not_empty = Condition::with_lock(lock.clone());
            let ne = not_empty.clone();
            let consumer = spawn(async move {
                let g = ne.lock().await;
                let mut g = ne.wait_for(g, |v| !v.is_empty()).await;
                g.pop()
            });
            yield_now().await;
            assert!(
                !lock.is_locked(),
                "the waiting consumer released the shared lock"
            );
            lock.lock().await.push(9);
            not_empty.notify(1);
            assert_eq!(consumer.await.unwrap(), Some(9));
        })
        .unwrap();
}

#[test]
fn barrier_releases_all_parties_when_the_last_arrives_with_indices_in_arrival_order() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let barrier = Barrier::new(3).unwrap();
        let parties: Vec<_> = [("p1", 0.3), ("p2", 0.1), ("p3", 0.2)]
            .into_iter()
            .map(|(name, delay)| {
                let (b, l) = (barrier.clone(), l.clone());
                Builder::new().name(name).spawn(async move {
                    sleep(secs(delay)).await;
                    l.say(format!("{name} arrives"));
                    let index = b.wait().await.unwrap();
                    l.say(format!("{name} passes with index {index}"));
                })
            })
            .collect();
        sleep(secs(0.25)).await;
        assert_eq!(barrier.n_waiting(), 2);
        for p in parties {
            p.await.unwrap();
        }
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 p2 arrives",
            "0.200 p3 arrives",
            "0.300 p1 arrives",
            "0.300 p1 passes with index 2",
            "0.300 p2 passes with index 0",
            "0.300 p3 passes with index 1"
        ]
    );
    snapshot!("sync_barrier_round", sim.trace().render());
}

#[test]
fn barrier_newcomers_wait_for_the_round_to_drain_then_fill_the_next_one() {
    let mut sim = fifo();
    sim.run(async {
        let barrier = Barrier::new(2).unwrap();
        let parties: Vec<_> = ["a", "b", "c", "d"]
            .into_iter()
            .map(|n| {
                let b = barrier.clone();
                Builder::new().name(n).spawn(async move { b.wait().await })
            })
            .collect();
        // a waits, b fills the round; c and d come while a has not left yet,
        // so they wait to enter, and fill the next round once a has left.
        let got: Vec<_> = futures::future::join_all(parties).await;
        let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, [Ok(0), Ok(1), Ok(0), Ok(1)]);
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(
        trace.contains("c Barrier#1 wait to enter, once the last round has left"),
        "{trace}"
    );
}

#[test]
fn barrier_abort_and_reset_break_the_waiters_and_a_cancelled_party_leaves() {
    fifo()
        .run(async {
            let barrier = Barrier::new(3).unwrap();
            let go = |b: &Barrier| {
                let b = b.clone();
                spawn(async move { b.wait().await })
            };
            let a = go(&barrier);
            let gone = go(&barrier);
            yield_now().await;
            assert_eq!(barrier.n_waiting(), 2);
            gone.cancel();
            yield_now().await;
            assert_eq!(barrier.n_waiting(), 1, "the cancelled party left");
            barrier.reset();
            assert_eq!(a.await.unwrap(), Err(BrokenBarrier));
            assert!(!barrier.is_broken());

            let b = go(&barrier);
            yield_now().await;
            barrier.abort();
            assert!(barrier.is_broken());
            assert_eq!(b.await.unwrap(), Err(BrokenBarrier));
            assert_eq!(barrier.wait().await, Err(BrokenBarrier));
            barrier.reset();
            let (x, y) = (go(&barrier), go(&barrier));
            yield_now().await; // x and y arrive first
            assert_eq!(barrier.wait().await, Ok(2));
            assert_eq!((x.await.unwrap(), y.await.unwrap()), (Ok(0), Ok(1)));
        })
        .unwrap();
}

#[test]
fn barrier_misuse_errors_say_what_to_do() {
    let err = Barrier::new(0).unwrap_err();
    assert_eq!(err, ZeroParties);
    assert_eq!(
        err.to_string(),
        "Barrier::new(0): a barrier needs at least one party; pass the number of tasks \
         that will call wait() together"
    );
    assert_eq!(
        BrokenBarrier.to_string(),
        "the barrier is broken: it was aborted, or reset while this task waited; \
         call reset() before using it again"
    );
}

#[test]
fn primitives_behave_the_same_under_random_and_pct_schedules() {
    for policy in [Policy::Random, Policy::Pct { depth: 3 }] {
        for seed in 0..30 {
            let total = Sim::new(seed)
                .policy(policy)
                .run(async {
                    let cond = Condition::new(0u32);
                    let barrier = Barrier::new(4).unwrap();
                    let tasks: Vec<_> = (0..4)
                        .map(|_| {
                            let (c, b) = (cond.clone(), barrier.clone());
                            spawn(async move {
                                b.wait().await.unwrap();
                                *c.lock().await += 1;
                                c.notify_all();
                            })
                        })
                        .collect();
                    let g = cond.lock().await;
                    let g = cond.wait_for(g, |n| *n == 4).await;
                    let total = *g;
                    drop(g);
                    for t in tasks {
                        t.await.unwrap();
                    }
                    total
                })
                .unwrap();
            assert_eq!(total, 4);
        }
    }
}
