//! Lock, Semaphore and BoundedSemaphore: the tutorial ports (checked against
//! CPython: `sim-tests/asyncio/sync_scenarios.py SCENARIO`), FIFO hand-off,
//! cancellation, and the misuse errors with their messages.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use seedloop::sync::{BoundedSemaphore, Lock, LockReleaseError, Semaphore, TooManyReleases};
use seedloop::task::Builder;
use seedloop::time::Instant;
use seedloop::{call_later, sleep, spawn, timeout, yield_now, Policy, Sim};

use crate::common::{fifo, py, secs, Log};
use crate::oracle::Scenario;
use crate::snapshot;

/// The `lock_guard_and_explicit` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/sync_scenarios.py lock_guard_and_explicit`).
pub const LOCK_GUARD_AND_EXPLICIT: Scenario = Scenario {
    name: "lock_guard_and_explicit",
    lines: &[
        "0.000 acquiring the lock before starting coroutines",
        "0.000 lock acquired: True",
        "0.000 waiting for coroutines",
        "0.000 coro1 waiting for the lock",
        "0.000 coro2 waiting for the lock",
        "0.100 callback releasing lock",
        "0.100 coro1 acquired lock",
        "0.100 coro1 released lock",
        "0.100 coro2 acquired lock",
        "0.100 coro2 released lock",
        "0.100 main done, locked: False",
    ],
    asyncio_swaps: &[],
};

#[test]
fn lock_tutorial_one_with_the_guard_one_with_acquire_and_release() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let lock = Lock::new(());
        l.say("acquiring the lock before starting coroutines");
        lock.acquire().await;
        l.say(format!("lock acquired: {}", py(lock.is_locked())));
        let (lc, ll) = (lock.clone(), l.clone());
        call_later(secs(0.1), move || {
            ll.say("callback releasing lock");
            lc.release().unwrap();
        });
        l.say("waiting for coroutines");
        let (lock1, l1) = (lock.clone(), l.clone());
        let coro1 = Builder::new().name("coro1").spawn(async move {
            l1.say("coro1 waiting for the lock");
            {
                let _guard = lock1.lock().await;
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
    })
    .unwrap();
    assert_eq!(log.lines(), LOCK_GUARD_AND_EXPLICIT.lines);
    snapshot!("sync_lock_tutorial", sim.trace().render());
}

#[test]
fn waiters_get_the_lock_in_the_order_they_asked_under_every_seed() {
    for seed in 0..50 {
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        let o = order.clone();
        Sim::new(seed)
            .run(async move {
                let lock = Lock::new(());
                let tasks: Vec<_> = (0..5u64)
                    .map(|i| {
                        let (lock, o) = (lock.clone(), o.clone());
                        spawn(async move {
                            sleep(Duration::from_millis(10 * i)).await;
                            let _g = lock.lock().await;
                            o.borrow_mut().push(i);
                            sleep(Duration::from_millis(100)).await;
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                assert!(!lock.is_locked());
            })
            .unwrap();
        assert_eq!(*order.borrow(), [0, 1, 2, 3, 4], "seed {seed}");
    }
}

#[test]
fn a_release_hands_the_lock_over_so_a_newcomer_cannot_barge_in() {
    fifo()
        .run(async {
            let lock = Lock::new(0);
            let guard = lock.lock().await;
            let l = lock.clone();
            let waiter = Builder::new().name("waiter").spawn(async move {
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
        })
        .unwrap();
}

#[test]
fn a_waiter_cancelled_after_it_was_handed_the_lock_hands_it_on() {
    let mut sim = fifo();
    sim.run(async {
        let lock = Lock::new(Vec::new());
        let guard = lock.lock().await;
        let spawn_locker = |name: &'static str| {
            let l = lock.clone();
            Builder::new()
                .name(name)
                .spawn(async move { l.lock().await.push(name) })
        };
        let b = spawn_locker("b");
        let c = spawn_locker("c");
        yield_now().await; // b and c queue, in that order
        drop(guard); // hands the lock to b ...
        b.cancel(); // ... which is cancelled before it runs
        assert!(b.await.unwrap_err().is_cancelled());
        c.await.unwrap();
        assert_eq!(*lock.lock().await, ["c"]);
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("main Lock#1 release to b"), "{trace}");
    assert!(trace.contains("b Lock#1 pass on to c"), "{trace}");
    snapshot!("sync_lock_pass_on", trace);
}

#[test]
fn a_queued_waiter_that_times_out_leaves_the_line() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let lock = Lock::new(());
        let guard = lock.lock().await;
        let (lk, lt) = (lock.clone(), l.clone());
        let impatient = Builder::new().name("impatient").spawn(async move {
            match timeout(secs(1.0), lk.lock()).await {
                Ok(_) => lt.say("impatient got it"),
                Err(_) => lt.say("impatient gave up"),
            }
        });
        sleep(secs(2.0)).await;
        drop(guard);
        assert!(!lock.is_locked(), "nobody left in line");
        impatient.await.unwrap();
        l.say("done");
    })
    .unwrap();
    assert_eq!(log.lines(), ["1.000 impatient gave up", "2.000 done"]);
    assert!(sim.trace().render().contains("impatient Lock#1 leave"));
}

#[test]
fn a_lock_made_outside_the_runtime_is_numbered_at_first_use() {
    let lock = Lock::new(5);
    let other = Lock::new(());
    let mut sim = fifo();
    sim.run(async {
        let _named_first = Semaphore::new(1);
        *lock.lock().await += 1;
        other.acquire().await;
        other.release().unwrap();
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("main Lock#2 acquire"), "{trace}");
    assert!(trace.contains("main Lock#3 acquire"), "{trace}");
    assert_eq!(*lock.try_lock().unwrap(), 6);
}

#[test]
fn releasing_a_lock_nobody_holds_is_an_error_that_says_what_to_do() {
    fifo()
        .run(async {
            let lock = Lock::new(());
            let err = lock.release().unwrap_err();
            assert_eq!(err, LockReleaseError::NotLocked);
            assert_eq!(
                err.to_string(),
                "Lock::release() was called on a lock that is not locked: each release() \
                 must follow an acquire().await"
            );
            let guard = lock.lock().await;
            let err = lock.release().unwrap_err();
            assert_eq!(err, LockReleaseError::HeldByGuard);
            assert_eq!(
                err.to_string(),
                "Lock::release() was called while a LockGuard holds the lock: drop the guard \
                 (or call guard.release()) instead; release() only ends an acquire().await"
            );
            assert!(lock.is_locked(), "a refused release changes nothing");
            guard.release();
            assert!(!lock.is_locked());
        })
        .unwrap();
}

#[test]
fn semaphore_tutorial_five_workers_at_most_three_at_once() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = Sim::new(7).policy(Policy::Fifo);
    let works = sim
        .run(async move {
            let sem = Semaphore::new(3);
            let works: Vec<u64> = (0..5).map(|_| seedloop::random::range(100..1000)).collect();
            let inside = Rc::new(Cell::new(0));
            let tasks: Vec<_> = works
                .iter()
                .enumerate()
                .map(|(i, &ms)| {
                    let (sem, l, inside) = (sem.clone(), l.clone(), inside.clone());
                    Builder::new()
                        .name(format!("worker-{i}"))
                        .spawn(async move {
                            let _permit = sem.acquire().await;
                            inside.set(inside.get() + 1);
                            assert!(inside.get() <= 3);
                            l.say(format!("worker-{i} starts {ms} ms of work"));
                            sleep(Duration::from_millis(ms)).await;
                            inside.set(inside.get() - 1);
                            l.say(format!("worker-{i} done"));
                        })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(sem.available(), 3);
            works
        })
        .unwrap();
    // An independent model: three slots, workers start in order as slots free.
    let mut slots = [0u64; 3];
    let mut expected: Vec<(u64, String)> = Vec::new();
    for (i, ms) in works.iter().enumerate() {
        let slot = (0..3).min_by_key(|&s| (slots[s], s)).unwrap();
        let start = slots[slot];
        slots[slot] = start + ms;
        expected.push((start, format!("worker-{i} starts {ms} ms of work")));
        expected.push((start + ms, format!("worker-{i} done")));
    }
    let mut got = log.lines();
    let mut want: Vec<String> = expected
        .into_iter()
        .map(|(t, m)| format!("{:.3} {m}", t as f64 / 1000.0))
        .collect();
    // The model does not know the order within an instant: compare as sets
    // (the snapshot pins the order).
    got.sort();
    want.sort();
    assert_eq!(got, want);
    snapshot!("sync_semaphore_five_workers", log.lines().join("\n"));
}

#[test]
fn a_semaphore_waiter_cancelled_after_it_was_handed_a_permit_hands_it_on() {
    fifo()
        .run(async {
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
        })
        .unwrap();
}

#[test]
fn explicit_semaphore_style_and_try_acquire() {
    fifo()
        .run(async {
            let sem = Semaphore::new(2);
            sem.acquire().await.forget();
            let p = sem.try_acquire().unwrap();
            assert!(sem.is_locked());
            assert!(sem.try_acquire().is_none());
            drop(p);
            sem.release();
            sem.release(); // a plain Semaphore may grow past its start
            assert_eq!(sem.available(), 3);
        })
        .unwrap();
}

#[test]
fn a_bounded_semaphore_refuses_a_release_too_many_with_a_clear_error() {
    fifo()
        .run(async {
            let sem = BoundedSemaphore::new(2);
            let err = sem.release().unwrap_err();
            assert_eq!(err, TooManyReleases { bound: 2 });
            assert_eq!(
                err.to_string(),
                "BoundedSemaphore released too many times: release() would raise it above its \
                 initial value of 2; release only permits that were acquired (and forgotten), \
                 or use a Semaphore if the count may grow"
            );
            assert_eq!(sem.available(), 2, "a refused release changes nothing");
            sem.acquire().await.forget();
            sem.acquire().await.forget();
            let s = sem.clone();
            let waiter = spawn(async move {
                let _p = s.acquire().await;
                Instant::now()
            });
            yield_now().await;
            sem.release().unwrap(); // to the waiter
            assert_eq!(waiter.await.unwrap(), Instant::ZERO);
            assert_eq!(sem.available(), 1, "the waiter's permit came back on drop");
            sem.release().unwrap();
            assert!(sem.release().is_err());
        })
        .unwrap();
}

#[test]
fn a_second_release_before_the_next_holder_runs_is_refused() {
    fifo()
        .run(async {
            let lock = Lock::new(());
            lock.acquire().await;
            let l = lock.clone();
            let next = Builder::new().name("next").spawn(async move {
                l.acquire().await;
                l.release().unwrap();
            });
            yield_now().await; // next waits
            lock.release().unwrap(); // handed to next
                                     // asyncio would find the lock unlocked here; releasing it again
                                     // must not take it away from next before it even ran.
            assert_eq!(lock.release(), Err(LockReleaseError::NotLocked));
            assert!(lock.is_locked());
            next.await.unwrap();
            assert!(!lock.is_locked());
        })
        .unwrap();
}
