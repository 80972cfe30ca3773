//! The deadlock report as a wait-for graph: what each blocked task waits on
//! (which lock held by whom since when, which queue empty or full, which
//! condition, barrier, event, semaphore) and the cycle when there is one.

use seedloop::queue::Queue;
use seedloop::sync::{Barrier, Condition, Event, Lock, Semaphore};
use seedloop::task::Builder;
use seedloop::{call_soon, sleep, yield_now, Sim, SimError};

use crate::common::{fifo, report_head, secs};
use crate::snapshot;

fn deadlock(mut sim: Sim, main: impl std::future::Future<Output = ()>) -> String {
    let err = sim.run(main).unwrap_err();
    assert!(
        matches!(err, SimError::Deadlock(_)),
        "expected a deadlock, got {err}"
    );
    err.to_string()
}

#[test]
fn two_tasks_locking_two_locks_in_opposite_order_report_the_cycle() {
    let err = fifo()
        .run(async {
            let (a, b) = (Lock::new("a"), Lock::new("b"));
            let (a1, b1) = (a.clone(), b.clone());
            let left = Builder::new().name("left").spawn(async move {
                let _a = a1.lock().await;
                sleep(secs(1.0)).await;
                let _b = b1.lock().await;
            });
            let right = Builder::new().name("right").spawn(async move {
                sleep(secs(0.5)).await;
                let _b = b.lock().await;
                sleep(secs(1.0)).await;
                let _a = a.lock().await;
            });
            left.await.unwrap();
            right.await.unwrap();
        })
        .unwrap_err();
    let SimError::Deadlock(r) = &err else {
        panic!("expected a deadlock, got {err}");
    };
    let name = |id| r.tasks.iter().find(|t| t.id == id).unwrap().name.clone();
    let cycle: Vec<String> = r
        .cycle
        .clone()
        .expect("a cycle")
        .into_iter()
        .map(name)
        .collect();
    assert_eq!(cycle, ["left", "right", "left"]);
    let report = err.to_string();
    assert!(report.contains("\"left\" (#2) waits on Lock#2 held by \"right\" since 0.500000"));
    assert!(report.contains("\"right\" (#3) waits on Lock#1 held by \"left\" since 0.000000"));
    snapshot!("sync_deadlock_lock_cycle", report);
    // docs/sync.md shows the report's head.
    snapshot!("docs_sync_deadlock_lock_cycle", report_head(&report));
}

#[test]
fn every_primitive_says_what_its_blocked_task_waits_on() {
    let report = deadlock(fifo(), async {
        let never = Event::new();
        let lock = Lock::new(0);
        let (l, n) = (lock.clone(), never.clone());
        Builder::new()
            .name("writer")
            .spawn(async move {
                sleep(secs(1.25)).await;
                let _g = l.lock().await;
                n.wait().await;
            })
            .detach();
        let (l, lock_waiter) = (lock.clone(), Builder::new().name("lock waiter"));
        lock_waiter
            .spawn(async move {
                sleep(secs(2.0)).await;
                drop(l.lock().await);
            })
            .detach();

        let empty: Queue<u8> = Queue::new(1);
        let e = empty.clone();
        Builder::new()
            .name("getter")
            .spawn(async move {
                let _ = e.get().await;
            })
            .detach();
        let full = Queue::new(1);
        full.put_nowait(1).unwrap();
        let f = full.clone();
        Builder::new()
            .name("putter")
            .spawn(async move {
                let _ = f.put(2).await;
            })
            .detach();
        let f = full.clone();
        Builder::new()
            .name("joiner")
            .spawn(async move { f.join().await })
            .detach();

        let cond = Condition::new(());
        let c = cond.clone();
        Builder::new()
            .name("cond waiter")
            .spawn(async move {
                let g = c.lock().await;
                drop(c.wait(g).await);
            })
            .detach();

        let barrier = Barrier::new(3).unwrap();
        for name in ["party 1", "party 2"] {
            let b = barrier.clone();
            Builder::new()
                .name(name)
                .spawn(async move {
                    let _ = b.wait().await;
                })
                .detach();
        }

        let sem = Semaphore::new(1);
        sem.acquire().await.forget();
        let s = sem.clone();
        Builder::new()
            .name("permit waiter")
            .spawn(async move { drop(s.acquire().await) })
            .detach();

        let n = never.clone();
        Builder::new()
            .name("event waiter")
            .spawn(async move { n.wait().await })
            .detach();

        // A lock taken in a callback is held by the loop.
        let by_loop = Lock::new(());
        let bl = by_loop.clone();
        call_soon(move || std::mem::forget(bl.try_lock().unwrap()));
        yield_now().await;
        sleep(secs(3.0)).await;
        drop(by_loop.lock().await);
    });
    for line in [
        "\"writer\" (#2) waits on Event#1",
        "\"lock waiter\" (#3) waits on Lock#2 held by \"writer\" since 1.250000",
        "\"getter\" (#4) waits on Queue#3 get: empty, 1 waiting to get",
        "\"putter\" (#5) waits on Queue#4 put: full (1/1), 1 waiting to put",
        "\"joiner\" (#6) waits on Queue#4 join: 1 item(s) not yet marked task_done",
        "\"cond waiter\" (#7) waits on Condition#6 wait",
        "\"party 1\" (#8) waits on Barrier#7 2/3 arrived",
        "\"permit waiter\" (#10) waits on Semaphore#8 acquire: no permit free (1 at start, 1 waiting)",
        "\"event waiter\" (#11) waits on Event#1",
        "\"main\" (#1) waits on Lock#9 held by the loop (a callback) since 0.000000",
    ] {
        assert!(report.contains(line), "missing {line:?} in\n{report}");
    }
    snapshot!("sync_deadlock_every_primitive", report);
}

/// With tracing off a run does no tracing work, naming included: a lock
/// made outside the run, and only locked and unlocked, is never numbered;
/// the lock the report names is the first numbered.
#[test]
fn with_tracing_off_only_the_locks_a_report_names_are_numbered() {
    let (used, waited) = (Lock::new(()), Lock::new(()));
    let report = deadlock(fifo().tracing(false), async move {
        drop(used.lock().await);
        let _held = waited.lock().await;
        let again = waited.clone();
        let waiter = Builder::new().name("waiter").spawn(async move {
            let _ = again.lock().await;
        });
        waiter.await.unwrap();
    });
    assert!(
        report.contains("\"waiter\" (#2) waits on Lock#1 held by \"main\""),
        "{report}"
    );
}
