//! The scenarios of `sync/locks.rs` and `sync/events.rs` that do not depend
//! on exact virtual times, run under sim and real mode by one body each:
//! Lock, Semaphore, BoundedSemaphore, Event, Condition and Barrier.
//!
//! Where a sim test orders arrivals by sleeps of different lengths, these
//! order them by yields or by the program's own waits (a [`Relay`], a queue a
//! woken task reports to), so the real order is forced too; sleeps and
//! `call_later` only make time pass, and time is asserted from below.

use std::cell::Cell;
use std::rc::Rc;

use seedloop::queue::Queue;
use seedloop::sync::{
    Barrier, BoundedSemaphore, BrokenBarrier, Condition, Event, Lock, LockReleaseError, Semaphore,
    TooManyReleases,
};
use seedloop::task::Builder;
use seedloop::time::Instant;
use seedloop::{call_later, sleep, spawn, timeout, yield_now};

use crate::common::py;
use crate::harness::{Lines, Relay};

crate::conformance! {
    // ---- Lock ----

    async fn lock_tutorial_one_with_the_guard_one_with_acquire_and_release(env: Env) {
        let l = Lines::new();
        let lock = Lock::new(());
        l.say("acquiring the lock before starting coroutines");
        lock.acquire().await;
        l.say(format!("lock acquired: {}", py(lock.is_locked())));
        let start = Instant::now();
        let (lc, ll) = (lock.clone(), l.clone());
        call_later(env.units(0.1), move || {
            ll.say("callback releasing lock");
            lc.release().unwrap();
        });
        l.say("waiting for coroutines");
        let (lock1, l1) = (lock.clone(), l.clone());
        let coro1 = Builder::new().name("coro1").spawn(async move {
            l1.say("coro1 waiting for the lock");
            {
                let _guard = lock1.lock().await;
                assert!(Instant::now() - start >= env.units(0.1));
                l1.say("coro1 acquired lock");
            }
            l1.say("coro1 released lock");
        });
        let (lock2, l2) = (lock.clone(), l.clone());
        let coro2 = Builder::new().name("coro2").spawn(async move {
            l2.say("coro2 waiting for the lock");
            lock2.acquire().await;
            l2.say("coro2 acquired lock");
            l2.say("coro2 released lock");
            lock2.release().unwrap();
        });
        coro1.await.unwrap();
        coro2.await.unwrap();
        l.say(format!("main done, locked: {}", py(lock.is_locked())));
        assert_eq!(
            l.lines(),
            [
                "acquiring the lock before starting coroutines",
                "lock acquired: True",
                "waiting for coroutines",
                "coro1 waiting for the lock",
                "coro2 waiting for the lock",
                "callback releasing lock",
                "coro1 acquired lock",
                "coro1 released lock",
                "coro2 acquired lock",
                "coro2 released lock",
                "main done, locked: False"
            ]
        );
    }

    async fn lock_waiters_get_it_in_the_order_they_asked(env: Env) {
        let order = Lines::new();
        let lock = Lock::new(());
        let start = Instant::now();
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let (lock, order) = (lock.clone(), order.clone());
                spawn(async move {
                    for _ in 0..i {
                        yield_now().await; // task i asks i turns in
                    }
                    let _g = lock.lock().await;
                    order.say(i.to_string());
                    sleep(env.units(0.5)).await;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(Instant::now() - start >= env.units(2.5), "one holder at a time");
        assert!(!lock.is_locked());
        assert_eq!(order.lines(), ["0", "1", "2", "3", "4"]);
    }

    async fn a_lock_release_hands_it_over_so_a_newcomer_cannot_barge_in(env: Env) {
        let _ = env;
        let lock = Lock::new(0);
        let guard = lock.lock().await;
        let l = lock.clone();
        let waiter = spawn(async move {
            *l.lock().await += 1;
        });
        yield_now().await; // the waiter queues
        drop(guard);
        // Released, but already the waiter's: not free for us.
        assert!(lock.is_locked());
        assert!(lock.try_lock().is_none());
        let mut again = lock.lock().await; // queues behind the waiter
        assert_eq!(*again, 1, "the waiter went first");
        *again += 1;
        drop(again);
        waiter.await.unwrap();
        assert_eq!(*lock.try_lock().unwrap(), 2);
    }

    async fn a_lock_waiter_cancelled_after_it_was_handed_the_lock_hands_it_on(env: Env) {
        let _ = env;
        let lock = Lock::new(Vec::new());
        let guard = lock.lock().await;
        let spawn_locker = |name: &'static str| {
            let l = lock.clone();
            spawn(async move { l.lock().await.push(name) })
        };
        let b = spawn_locker("b");
        let c = spawn_locker("c");
        yield_now().await; // b and c queue, in that order
        drop(guard); // hands the lock to b ...
        b.cancel(); // ... which is cancelled before it runs
        assert!(b.await.unwrap_err().is_cancelled());
        c.await.unwrap();
        assert_eq!(*lock.lock().await, ["c"]);
    }

    async fn a_queued_lock_waiter_that_times_out_leaves_the_line(env: Env) {
        let lock = Lock::new(());
        let guard = lock.lock().await;
        let lk = lock.clone();
        let start = Instant::now();
        let impatient = spawn(async move {
            match timeout(env.units(1.0), lk.lock()).await {
                Ok(_) => "impatient got it",
                Err(_) => "impatient gave up",
            }
        });
        assert_eq!(impatient.await, Ok("impatient gave up")); // while we hold it
        assert!(Instant::now() - start >= env.units(1.0));
        drop(guard);
        assert!(!lock.is_locked(), "nobody left in line");
    }

    async fn a_second_lock_release_before_the_next_holder_runs_is_refused(env: Env) {
        let _ = env;
        let lock = Lock::new(());
        assert_eq!(lock.release(), Err(LockReleaseError::NotLocked));
        let guard = lock.lock().await;
        assert_eq!(lock.release(), Err(LockReleaseError::HeldByGuard));
        guard.release();
        lock.acquire().await;
        let l = lock.clone();
        let next = spawn(async move {
            l.acquire().await;
            l.release().unwrap();
        });
        yield_now().await; // next waits
        lock.release().unwrap(); // handed to next
        assert_eq!(lock.release(), Err(LockReleaseError::NotLocked));
        assert!(lock.is_locked(), "still next's");
        next.await.unwrap();
        assert!(!lock.is_locked());
    }

    // ---- Semaphore, BoundedSemaphore ----

    async fn semaphore_tutorial_five_workers_at_most_three_at_once(env: Env) {
        let starts = Lines::new();
        let sem = Semaphore::new(3);
        let (inside, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let ms = seedloop::random::range(100..1000);
                let (sem, starts) = (sem.clone(), starts.clone());
                let (inside, most) = (inside.clone(), most.clone());
                spawn(async move {
                    let _permit = sem.acquire().await;
                    inside.set(inside.get() + 1);
                    most.set(most.get().max(inside.get()));
                    starts.say(format!("worker-{i} starts"));
                    sleep(env.units(ms as f64 / 1000.0)).await;
                    inside.set(inside.get() - 1);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(most.get(), 3, "never more than 3 inside, and 3 at first");
        assert_eq!(sem.available(), 3);
        // Workers 3 and 4 queue in that order, and get permits so.
        let want: Vec<String> = (0..5).map(|i| format!("worker-{i} starts")).collect();
        assert_eq!(starts.lines(), want);
    }

    async fn a_semaphore_waiter_cancelled_after_it_was_handed_a_permit_hands_it_on(env: Env) {
        let _ = env;
        let sem = Semaphore::new(1);
        let permit = sem.acquire().await;
        let s = sem.clone();
        let b = spawn(async move { s.acquire().await.forget() });
        let s = sem.clone();
        let c = spawn(async move { s.acquire().await.forget() });
        yield_now().await;
        drop(permit); // to b
        b.cancel();
        c.await.unwrap();
        assert!(b.await.is_err());
        assert_eq!(sem.available(), 0, "c keeps the only permit");
        sem.release();
        assert_eq!(sem.available(), 1);
        // The explicit style, and try_acquire.
        let sem = Semaphore::new(2);
        sem.acquire().await.forget();
        let p = sem.try_acquire().unwrap();
        assert!(sem.is_locked() && sem.try_acquire().is_none());
        drop(p);
        sem.release();
        sem.release(); // a plain Semaphore may grow past its start
        assert_eq!(sem.available(), 3);
    }

    async fn a_bounded_semaphore_refuses_a_release_too_many(env: Env) {
        let _ = env;
        let sem = BoundedSemaphore::new(2);
        assert_eq!(sem.release(), Err(TooManyReleases { bound: 2 }));
        assert_eq!(sem.available(), 2, "a refused release changes nothing");
        sem.acquire().await.forget();
        sem.acquire().await.forget();
        let s = sem.clone();
        let waiter = spawn(async move {
            let _p = s.acquire().await;
        });
        yield_now().await;
        sem.release().unwrap(); // to the waiter
        waiter.await.unwrap();
        assert_eq!(sem.available(), 1, "the waiter's permit came back on drop");
        sem.release().unwrap();
        assert_eq!(sem.release(), Err(TooManyReleases { bound: 2 }));
    }

    // ---- Event ----

    async fn event_tutorial_runners_start_together_when_the_starter_fires(env: Env) {
        let l = Lines::new();
        let start = Event::new();
        let t0 = Instant::now();
        let (s, ls) = (start.clone(), l.clone());
        call_later(env.units(0.2), move || {
            ls.say("starter fires");
            s.set();
        });
        let runners: Vec<_> = [("ann", 1.0), ("bob", 0.5), ("cy", 0.75)]
            .into_iter()
            .map(|(name, lap)| {
                let (start, l) = (start.clone(), l.clone());
                spawn(async move {
                    l.say(format!("{name} ready"));
                    start.wait().await;
                    l.say(format!("{name} off"));
                    sleep(env.units(lap)).await;
                    assert!(Instant::now() - t0 >= env.units(0.2 + lap));
                    l.say(format!("{name} finished"));
                })
            })
            .collect();
        l.say(format!("event set: {}", py(start.is_set())));
        for r in runners {
            r.await.unwrap();
        }
        l.say(format!("event set: {}", py(start.is_set())));
        let mut lines = l.lines();
        assert_eq!(
            lines[..8],
            [
                "event set: False",
                "ann ready",
                "bob ready",
                "cy ready",
                "starter fires",
                "ann off",
                "bob off",
                "cy off",
            ]
        );
        assert_eq!(lines[11], "event set: True");
        // The laps end by their lengths: exactly so in sim; in real mode
        // timers this close may swap under load, so only as a set there.
        let finishes = &mut lines[8..11];
        if !env.is_sim() {
            finishes.sort();
        }
        let want = if env.is_sim() {
            ["bob finished", "cy finished", "ann finished"]
        } else {
            ["ann finished", "bob finished", "cy finished"]
        };
        assert_eq!(finishes, want);
    }

    async fn an_event_set_wakes_every_waiter_in_order_and_clear_does_not_unwake_them(env: Env) {
        let _ = env;
        let woke = Lines::new();
        let ev = Event::new();
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let (ev, w) = (ev.clone(), woke.clone());
                spawn(async move {
                    ev.wait().await;
                    w.say(i.to_string());
                })
            })
            .collect();
        yield_now().await; // every waiter waits
        ev.set();
        ev.clear(); // before any of them ran
        assert!(!ev.is_set());
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(woke.lines(), ["0", "1", "2", "3"]);
        // A new wait after the clear waits again.
        let e = ev.clone();
        let late = spawn(async move { e.wait().await });
        yield_now().await;
        assert!(!late.is_finished());
        ev.set();
        late.await.unwrap();
    }

    // ---- Condition ----

    async fn condition_tutorial_notify_one_then_two_then_all(env: Env) {
        let l = Lines::new();
        let cond = Condition::new(());
        let start = Instant::now();
        let consumers: Vec<_> = (0..5)
            .map(|n| {
                let (cond, l) = (cond.clone(), l.clone());
                spawn(async move {
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
        let manipulator = spawn(async move {
            lm.say("starting manipulate_condition");
            sleep(env.units(0.1)).await;
            for i in 1..3 {
                {
                    let _guard = c.lock().await;
                    lm.say(format!("notifying {i} consumers"));
                    assert_eq!(c.notify(i), i);
                }
                sleep(env.units(0.1)).await;
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
        assert!(Instant::now() - start >= env.units(0.3));
        assert_eq!(
            l.lines(),
            [
                "consumer 0 is waiting",
                "consumer 1 is waiting",
                "consumer 2 is waiting",
                "consumer 3 is waiting",
                "consumer 4 is waiting",
                "starting manipulate_condition",
                "notifying 1 consumers",
                "consumer 0 triggered",
                "ending consumer 0",
                "notifying 2 consumers",
                "consumer 1 triggered",
                "ending consumer 1",
                "consumer 2 triggered",
                "ending consumer 2",
                "notifying remaining consumers",
                "ending manipulate_condition",
                "consumer 3 triggered",
                "ending consumer 3",
                "consumer 4 triggered",
                "ending consumer 4"
            ]
        );
    }

    async fn condition_wait_for_two_items_in_a_shared_list(env: Env) {
        let l = Lines::new();
        let cond = Condition::new(Vec::<&str>::new());
        let (c, lw) = (cond.clone(), l.clone());
        let waiter = spawn(async move {
            let guard = c.lock().await;
            let guard = c
                .wait_for(guard, |items| {
                    lw.say(format!("waiter checks: {} item(s)", items.len()));
                    items.len() >= 2
                })
                .await;
            lw.say(format!("waiter got {}", guard.join(",")));
        });
        // x adds first; y only after x has (a relay, not two timers).
        let relay = Relay::new(2);
        let adder = |name: &'static str, k: usize| {
            let (c, l, relay) = (cond.clone(), l.clone(), relay.clone());
            spawn(async move {
                relay.start(k).await;
                sleep(env.units(0.1)).await;
                {
                    let mut items = c.lock().await;
                    items.push(name);
                    l.say(format!("{name} added"));
                    c.notify_all();
                }
                relay.end(k);
            })
        };
        let (x, y) = (adder("x", 0), adder("y", 1));
        waiter.await.unwrap();
        x.await.unwrap();
        y.await.unwrap();
        assert_eq!(
            l.lines(),
            [
                "waiter checks: 0 item(s)",
                "x added",
                "waiter checks: 1 item(s)",
                "y added",
                "waiter checks: 2 item(s)",
                "waiter got x,y"
            ]
        );
    }

    async fn a_notified_condition_waiter_cancelled_before_it_runs_passes_the_wake_on(env: Env) {
        let _ = env;
        let cond = Condition::new(());
        let woke = Queue::new(0); // each woken waiter reports here
        let waiters: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|n| {
                let (cond, woke) = (cond.clone(), woke.clone());
                spawn(async move {
                    let g = cond.lock().await;
                    let _g = cond.wait(g).await;
                    woke.put_nowait(n).unwrap();
                })
            })
            .collect();
        yield_now().await; // every waiter waits
        assert_eq!(cond.notify(1), 1); // a
        waiters[0].cancel(); // a never runs: b gets its wake-up
        assert_eq!(woke.get().await, Ok("b"));
        assert_eq!(cond.notify(1), 1);
        assert_eq!(woke.get().await, Ok("c"));
        assert_eq!(cond.notify(1), 0, "nobody left");
        assert!(woke.is_empty());
    }

    async fn a_condition_waiter_cancelled_while_taking_the_lock_back_hands_on_both(env: Env) {
        let _ = env;
        let cond = Condition::new(0);
        let spawn_waiter = || {
            let c = cond.clone();
            spawn(async move {
                let g = c.lock().await;
                let mut g = c.wait(g).await;
                *g += 1;
            })
        };
        let a = spawn_waiter();
        let b = spawn_waiter();
        yield_now().await;
        let guard = cond.lock().await;
        cond.notify(1); // a, which now needs the lock we hold
        yield_now().await; // a runs and queues for the lock
        drop(guard); // the lock goes to a
        a.cancel(); // a gives both up
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
        assert_eq!(*cond.lock().await, 1);
    }

    async fn two_conditions_share_one_lock(env: Env) {
        let _ = env;
        let lock = Lock::new(Vec::new());
        let not_empty = Condition::with_lock(lock.clone());
        let ne = not_empty.clone();
        let consumer = spawn(async move {
            let g = ne.lock().await;
            let mut g = ne.wait_for(g, |v| !v.is_empty()).await;
            g.pop()
        });
        yield_now().await;
        assert!(!lock.is_locked(), "the waiting consumer released the shared lock");
        lock.lock().await.push(9);
        not_empty.notify(1);
        assert_eq!(consumer.await.unwrap(), Some(9));
    }

    // ---- Barrier ----

    async fn a_barrier_releases_all_parties_when_the_last_arrives(env: Env) {
        let l = Lines::new();
        let barrier = Barrier::new(3).unwrap();
        // p2 arrives first, then p3; p1 when main lets it.
        let (relay, go) = (Relay::new(2), Event::new());
        let party = |name: &'static str, leg: Option<usize>| {
            let (b, l, relay, go) = (barrier.clone(), l.clone(), relay.clone(), go.clone());
            spawn(async move {
                match leg {
                    Some(k) => relay.start(k).await,
                    None => go.wait().await,
                }
                sleep(env.units(0.1)).await;
                l.say(format!("{name} arrives"));
                if let Some(k) = leg {
                    relay.end(k); // in this poll, before it waits
                }
                let index = b.wait().await.unwrap();
                l.say(format!("{name} passes with index {index}"));
            })
        };
        let parties = [party("p1", None), party("p2", Some(0)), party("p3", Some(1))];
        relay.ended(1).await;
        assert_eq!(barrier.n_waiting(), 2);
        go.set();
        for p in parties {
            p.await.unwrap();
        }
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
        assert_eq!(
            l.lines(),
            [
                "p2 arrives",
                "p3 arrives",
                "p1 arrives",
                "p1 passes with index 2",
                "p2 passes with index 0",
                "p3 passes with index 1"
            ]
        );
    }

    async fn barrier_newcomers_wait_for_the_round_to_drain_then_fill_the_next(env: Env) {
        let _ = env;
        let barrier = Barrier::new(2).unwrap();
        let parties: Vec<_> = (0..4)
            .map(|_| {
                let b = barrier.clone();
                spawn(async move { b.wait().await })
            })
            .collect();
        // a waits, b fills the round; c and d come while a has not left yet,
        // so they wait to enter, and fill the next round once a has left.
        let got: Vec<_> = futures::future::join_all(parties).await;
        let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, [Ok(0), Ok(1), Ok(0), Ok(1)]);
    }

    async fn barrier_abort_and_reset_break_the_waiters_and_a_cancelled_party_leaves(env: Env) {
        let _ = env;
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
    }
}
