//! The executor's contract: cancellation, callbacks, the end of a run,
//! limits, reports and misuse.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use seedloop::task::Builder;
use seedloop::time::{sleep_until, Instant};
use seedloop::{
    call_at, call_later, call_soon, sleep, spawn, yield_now, JoinError, Policy, Sim, SimError,
};

use crate::common::{fifo, Log};
use crate::snapshot;

#[test]
fn a_task_cancelled_before_its_first_poll_never_runs() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let mut sim = fifo();
    sim.run(async move {
        let t = spawn(async move { r.set(true) });
        t.cancel();
        assert!(!t.is_finished());
        assert_eq!(t.await, Err(JoinError::Cancelled));
    })
    .unwrap();
    assert!(!ran.get());
    assert!(!sim.trace().render().contains("#2 poll"));
}

#[test]
fn dropping_a_task_cancels_it_and_detach_lets_it_run() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let (a, b) = (l.clone(), l.clone());
            drop(spawn(async move { a.say("dropped ran") }));
            spawn(async move { b.say("detached ran") }).detach();
            yield_now().await;
        })
        .unwrap();
    assert_eq!(log.lines(), ["0.000 detached ran"]);
}

#[test]
fn cancel_takes_effect_at_the_next_scheduling_point() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let lt = l.clone();
            let t = spawn(async move {
                lt.say("step 1");
                yield_now().await;
                lt.say("step 2 (never)");
            });
            yield_now().await; // t runs step 1
            t.cancel();
            l.say("cancel requested");
            assert!(!t.is_cancelled(), "not before its next scheduling point");
            yield_now().await; // t's turn: dropped, not polled
            assert!(t.is_cancelled() && t.is_finished());
            // Cancelling again, or a finished task, changes nothing.
            t.cancel();
            assert_eq!(t.await, Err(JoinError::Cancelled));
        })
        .unwrap();
    assert_eq!(log.lines(), ["0.000 step 1", "0.000 cancel requested"]);
}

#[test]
fn cancelling_a_finished_task_keeps_its_output() {
    fifo()
        .run(async {
            let t = spawn(async { 5 });
            yield_now().await;
            assert!(t.is_finished());
            t.cancel();
            assert!(!t.is_cancelled());
            assert_eq!(t.await, Ok(5));
        })
        .unwrap();
}

#[test]
fn the_end_of_the_run_cancels_pending_tasks_and_the_trace_says_so() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let lt = l.clone();
        Builder::new()
            .name("forever")
            .spawn(async move {
                let _c = Dropped(lt);
                sleep(Duration::from_secs(3600)).await;
            })
            .detach();
        yield_now().await;
    })
    .unwrap();
    assert_eq!(log.lines(), ["0.000 forever dropped"]);
    assert!(sim
        .trace()
        .render()
        .ends_with("0.000000 forever cancelled (run ended)\n"));
}

struct Dropped(Log);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.say("forever dropped");
    }
}

#[test]
fn a_task_woken_twice_is_queued_once() {
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    fifo()
        .run(async move {
            let waker_slot: Rc<RefCell<Option<std::task::Waker>>> = Rc::default();
            let w = waker_slot.clone();
            let t = spawn(std::future::poll_fn(move |cx| {
                p.set(p.get() + 1);
                if p.get() == 1 {
                    *w.borrow_mut() = Some(cx.waker().clone());
                    std::task::Poll::Pending
                } else {
                    std::task::Poll::Ready(())
                }
            }));
            yield_now().await;
            let waker = waker_slot.borrow_mut().take().unwrap();
            waker.wake_by_ref();
            waker.wake_by_ref();
            waker.wake();
            t.await.unwrap();
        })
        .unwrap();
    assert_eq!(polls.get(), 2);
}

#[test]
fn callbacks_run_at_their_time_and_cancelled_ones_never_run() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let (a, b, c, d) = (l.clone(), l.clone(), l.clone(), l.clone());
            let later = call_later(Duration::from_millis(200), move || a.say("later 0.2"));
            assert_eq!(later.when(), Instant::ZERO + Duration::from_millis(200));
            let at = call_at(Instant::ZERO + Duration::from_secs(1), move || {
                b.say("at 1.0")
            });
            let cancelled = call_later(Duration::from_millis(500), move || c.say("never"));
            let soon = call_soon(move || d.say("soon"));
            cancelled.cancel();
            assert!(cancelled.is_cancelled() && !soon.is_cancelled() && !at.is_cancelled());
            // Callbacks are numbered in the order they were scheduled.
            assert_eq!(format!("{soon:?}"), "Handle { id: 4, cancelled: false }");
            let e = l.clone();
            call_soon(move || e.say("soon, then cancelled")).cancel();
            sleep_until(Instant::ZERO + Duration::from_secs(2)).await;
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        ["0.000 soon", "0.200 later 0.2", "1.000 at 1.0"]
    );
}

#[test]
fn callbacks_keep_registration_order_under_random_scheduling() {
    for seed in 0..50 {
        let log = Log::new();
        let l = log.clone();
        Sim::new(seed)
            .run(async move {
                let noise: Vec<_> = (0..3).map(|_| spawn(yield_now())).collect();
                for i in 0..5 {
                    let l = l.clone();
                    call_soon(move || l.say(format!("cb {i}")));
                }
                for t in noise {
                    t.await.unwrap();
                }
                sleep(Duration::from_millis(1)).await;
            })
            .unwrap();
        let want: Vec<String> = (0..5).map(|i| format!("0.000 cb {i}")).collect();
        assert_eq!(log.lines(), want, "seed {seed}");
    }
}

#[test]
fn every_policy_keeps_asyncio_turns() {
    // a and b are ready together; a schedules a callback and wakes itself.
    // Whatever order a and b run in, both run before the callback and
    // before a's second step: those became ready during the turn.
    for policy in [Policy::Fifo, Policy::Random, Policy::Pct { depth: 3 }] {
        for seed in 0..100 {
            let log = Log::new();
            let l = log.clone();
            Sim::new(seed)
                .policy(policy)
                .run(async move {
                    let (la, lb) = (l.clone(), l.clone());
                    let a = spawn(async move {
                        la.say("a");
                        let lc = la.clone();
                        call_soon(move || lc.say("callback"));
                        yield_now().await;
                        la.say("a again");
                    });
                    let b = spawn(async move { lb.say("b") });
                    a.await.unwrap();
                    b.await.unwrap();
                })
                .unwrap();
            let lines = log.lines();
            let pos = |m: &str| lines.iter().position(|x| x.ends_with(m)).unwrap();
            assert!(
                pos(" b") < pos(" callback"),
                "{policy} seed {seed}: {lines:?}"
            );
            assert!(
                pos(" b") < pos(" a again"),
                "{policy} seed {seed}: {lines:?}"
            );
        }
    }
}

#[test]
fn an_hour_of_sleep_takes_no_time() {
    let start = std::time::Instant::now();
    let at = fifo()
        .run(async {
            for _ in 0..3600 {
                sleep(Duration::from_secs(1)).await;
            }
            Instant::now()
        })
        .unwrap();
    assert_eq!(at.since_start(), Duration::from_secs(3600));
    // Not a timing assertion on the runtime's speed: a generous sanity bound
    // that an hour of virtual sleep is not an hour of real time.
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_deadlock_is_a_report_not_a_hang() {
    let err = Sim::new(4)
        .run(async {
            let waiter = Builder::new()
                .name("waiter")
                .spawn(std::future::pending::<()>());
            sleep(Duration::from_millis(250)).await;
            waiter.await.unwrap();
        })
        .unwrap_err();
    let SimError::Deadlock(report) = &err else {
        panic!("expected a deadlock, got {err}");
    };
    assert_eq!(report.at, Instant::ZERO + Duration::from_millis(250));
    assert_eq!(report.tasks.len(), 2);
    snapshot!("core_deadlock_report", err.to_string());
}

#[test]
fn a_cycle_of_tasks_awaiting_each_other_is_named() {
    let err = Sim::new(4)
        .policy(seedloop::Policy::Fifo)
        .run(async {
            let slot: Rc<RefCell<Option<seedloop::Task<()>>>> = Rc::default();
            let s = slot.clone();
            let a = Builder::new().name("a").spawn(async move {
                yield_now().await;
                let b = s.borrow_mut().take().unwrap();
                b.await.unwrap();
            });
            let b = Builder::new().name("b").spawn(async move {
                a.await.unwrap();
            });
            // b awaits a; a takes b's handle and awaits b.
            *slot.borrow_mut() = Some(b);
            sleep(Duration::from_secs(1)).await;
            std::future::pending::<()>().await;
        })
        .unwrap_err();
    let SimError::Deadlock(report) = &err else {
        panic!("expected a deadlock, got {err}");
    };
    assert_eq!(report.cycle.as_ref().map(Vec::len), Some(3));
    snapshot!("core_deadlock_cycle_report", err.to_string());
}

#[test]
fn a_panic_names_the_task_the_seed_and_the_replay_command() {
    let err = Sim::new(11)
        .run(async {
            let t = Builder::new().name("worker").spawn(async {
                sleep(Duration::from_millis(1500)).await;
                panic!("invariant broken: balance went negative");
            });
            t.await.unwrap();
        })
        .unwrap_err();
    let SimError::Panic(report) = &err else {
        panic!("expected a panic report, got {err}");
    };
    assert_eq!(report.task_name, "worker");
    assert_eq!(report.message, "invariant broken: balance went negative");
    let text = err.to_string();
    assert!(text.contains("seed 11 with policy random"), "{text}");
    assert!(
        text.contains("cargo test -- semantics::a_panic_names_the_task_the_seed_and_the_replay_command --exact"),
        "{text}"
    );
    snapshot!("core_panic_report", text);
}

#[test]
fn the_step_limit_stops_a_livelock() {
    let err = Sim::new(1)
        .step_limit(1000)
        .run(async {
            let spinner = Builder::new().name("spinner").spawn(async {
                loop {
                    yield_now().await;
                }
            });
            spinner.await.unwrap();
        })
        .unwrap_err();
    assert!(matches!(err, SimError::StepLimit(_)), "{err}");
    assert!(err.to_string().starts_with(
        "step limit of 1000 (a livelock? raise it with Sim::step_limit) reached at 0.000000"
    ));
}

#[test]
fn the_time_limit_stops_a_run_that_sleeps_forever() {
    let err = Sim::new(1)
        .time_limit(Duration::from_secs(60))
        .run(async {
            loop {
                sleep(Duration::from_secs(7)).await;
            }
        })
        .unwrap_err();
    let SimError::TimeLimit(report) = &err else {
        panic!("expected a time limit, got {err}");
    };
    assert_eq!(report.at, Instant::ZERO + Duration::from_secs(56));
    assert!(err.to_string().starts_with(
        "time limit of 60.000000 (the next timer is at 63.000000; raise it with Sim::time_limit) reached at 56.000000"
    ));
    // What the task sleeps until comes from its timer.
    assert_eq!(report.tasks[0].waits, ["sleep until 63.000000"], "{err}");
    assert!(
        err.to_string()
            .contains("\"main\" (#1) waits on sleep until 63.000000"),
        "{err}"
    );
}

#[test]
fn a_runtime_entered_inside_another_is_an_error() {
    let inner = Sim::new(1)
        .run(async { Sim::new(2).run(async { 1 }) })
        .unwrap();
    let err = inner.unwrap_err();
    assert_eq!(err, SimError::NestedRuntime);
    assert!(err
        .to_string()
        .starts_with("a seedloop runtime is already running on this thread"));
}

#[test]
fn using_the_runtime_outside_one_panics_with_what_to_do() {
    let msg = std::panic::catch_unwind(|| spawn(async {}))
        .map(drop)
        .unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert_eq!(
        msg,
        "seedloop::spawn was called outside a seedloop runtime: call it from inside \
         `Sim::new(seed).run(async { .. })` (sim) or `seedloop::run(async { .. })` (real)"
    );
    let msg = std::panic::catch_unwind(Instant::now).unwrap_err();
    assert!(msg
        .downcast_ref::<String>()
        .unwrap()
        .starts_with("seedloop::time::Instant::now was called outside a seedloop runtime"));
    assert!(std::panic::catch_unwind(|| sleep(Duration::from_secs(1))).is_err());
}

#[test]
fn isolated_panics_reach_the_awaiter() {
    let out = Sim::new(1)
        .isolate_panics(true)
        .run(async {
            let t = spawn(async {
                yield_now().await;
                panic!("child failed")
            });
            t.await
        })
        .unwrap();
    assert_eq!(
        out,
        Err(JoinError::Panicked {
            message: "child failed".into()
        })
    );
}

/// With panics isolated, a callback that panics is reported and skipped:
/// the run goes on, and later callbacks still run.
#[test]
fn an_isolated_callback_panic_leaves_the_run_going() {
    let ran_after = Rc::new(Cell::new(false));
    let flag = ran_after.clone();
    let out = Sim::new(1).isolate_panics(true).run(async move {
        call_soon(|| panic!("callback failed"));
        call_soon(move || flag.set(true));
        sleep(Duration::from_millis(1)).await;
        7
    });
    assert_eq!(out, Ok(7));
    assert!(ran_after.get());
}

/// A sleep polled by main, then handed to a task that awaits it: its timer
/// wakes the task that polled it last, not main.
#[test]
fn a_sleep_handed_to_another_task_wakes_that_task() {
    let out = Sim::new(1).run(async {
        let mut slept = Box::pin(sleep(Duration::from_millis(10)));
        std::future::poll_fn(|cx| {
            assert!(std::future::Future::poll(slept.as_mut(), cx).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
        spawn(async move {
            slept.await;
            Instant::now()
        })
        .await
        .unwrap()
    });
    assert_eq!(out, Ok(Instant::ZERO + Duration::from_millis(10)));
}

/// Notes, when dropped, whether a runtime was current.
struct NotesTheRuntimeAtDrop(Rc<Cell<Option<bool>>>);

impl Drop for NotesTheRuntimeAtDrop {
    fn drop(&mut self) {
        let current = seedloop::runtime::RuntimeHandle::try_current().is_some();
        self.0.set(Some(current));
    }
}

/// A callback still waiting for its time when the run ends is dropped by
/// the run's teardown, inside the run: its captures' destructors may still
/// use the runtime.
#[test]
fn a_pending_timer_callback_is_dropped_inside_the_run_at_its_end() {
    let seen = Rc::new(Cell::new(None));
    let guard = NotesTheRuntimeAtDrop(seen.clone());
    Sim::new(1)
        .run(async move {
            call_later(Duration::from_secs(10), move || drop(guard));
        })
        .unwrap();
    assert_eq!(seen.get(), Some(true));
}

/// A blocking call in a task (the thread held, the virtual clock still) is
/// reported in the trace and by `Sim::slow_polls`, naming the task; the
/// trace says only that the threshold was passed, so it stays the same run
/// after run. (The sleep only guarantees a lower bound: never flaky.)
#[test]
fn a_blocking_call_in_a_task_is_reported() {
    let run = || {
        let mut sim = Sim::new(3).slow_poll_threshold(std::time::Duration::from_millis(1));
        sim.run(async {
            seedloop::task::Builder::new()
                .name("alice")
                .spawn(async { std::thread::sleep(std::time::Duration::from_millis(5)) })
                .await
                .unwrap();
        })
        .unwrap();
        sim
    };
    let (a, b) = (run(), run());
    let slow = a.slow_polls();
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert_eq!(slow[0].task_name, "alice");
    assert!(a
        .trace()
        .render()
        .contains("alice blocking: a poll held the thread over 1 ms"));
    assert_eq!(a.trace().hash(), b.trace().hash());
    // Untraced runs are not timed.
    let mut quiet = Sim::new(3)
        .tracing(false)
        .slow_poll_threshold(std::time::Duration::from_millis(1));
    quiet
        .run(async { std::thread::sleep(std::time::Duration::from_millis(5)) })
        .unwrap();
    assert!(quiet.slow_polls().is_empty());
}

/// The watch times a poll from the end of the one before (one clock read
/// per poll), but never charges a poll with a callback that ran in between:
/// a callback holding the thread 300 ms leaves the next poll's time alone.
/// (Only a lower bound of the sleep matters: a poll cannot take 300 ms of
/// wall time by itself.)
#[test]
fn a_blocking_callback_is_not_charged_to_the_next_poll() {
    let mut sim = Sim::new(3).slow_poll_threshold(std::time::Duration::from_millis(200));
    sim.run(async {
        seedloop::call_soon(|| std::thread::sleep(std::time::Duration::from_millis(300)));
        seedloop::task::Builder::new()
            .name("bob")
            .spawn(async {})
            .await
            .unwrap();
    })
    .unwrap();
    let slow = sim.slow_polls();
    assert!(slow.is_empty(), "{slow:?}");
}

/// `RuntimeHandle` reads the run's clock and seed (asyncio's
/// `get_running_loop().time()`).
#[test]
fn the_runtime_handle_reads_the_virtual_clock_and_the_seed() {
    Sim::new(9)
        .run(async {
            let rt = seedloop::runtime::RuntimeHandle::current();
            seedloop::sleep(Duration::from_millis(2500)).await;
            assert_eq!(rt.now(), Instant::ZERO + Duration::from_millis(2500));
            assert_eq!(rt.now(), Instant::now());
            assert_eq!(rt.seed(), 9);
            let tried = seedloop::runtime::RuntimeHandle::try_current();
            assert_eq!(tried.map(|rt| rt.seed()), Some(9));
            // Debug names the run (a number of the process's runtimes).
            let shown = format!("{rt:?}");
            assert!(shown.starts_with("RuntimeHandle { runtime: "), "{shown}");
            let again = format!("{:?}", seedloop::runtime::RuntimeHandle::current());
            assert_eq!(again, shown);
        })
        .unwrap();
    assert!(seedloop::runtime::RuntimeHandle::try_current().is_none());
}
