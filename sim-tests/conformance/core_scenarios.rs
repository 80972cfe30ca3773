//! The core scenarios of `core/scenarios.rs` and `core/semantics.rs` that do
//! not depend on exact virtual times, run under sim and real mode by one
//! body each. Orders are asserted exactly; times only from below.

use std::cell::Cell;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use seedloop::task::Builder;
use seedloop::time::{block_for, Instant};
use seedloop::{
    call_at, call_later, call_soon, sleep, spawn, timeout, to_thread, yield_now, JoinError,
};

use crate::harness::{run_on, Env, Lines};

/// Logs when dropped: shows when a cancelled task's destructors run.
struct Cleanup(Lines, &'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.0.say(format!("{} cleanup", self.1));
    }
}

crate::conformance! {
    async fn three_sleepers_finish_in_the_order_they_started(env: Env) {
        let log = Lines::new();
        let start = Instant::now();
        let tasks: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let l = log.clone();
                Builder::new().name(name).spawn(async move {
                    l.say(format!("{name} start"));
                    sleep(env.units(3.0)).await;
                    l.say(format!("{name} done"));
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        log.say("main done");
        let took = Instant::now() - start;
        assert!(took >= env.units(3.0), "{took:?}");
        if env.is_sim() {
            assert_eq!(took, env.units(3.0)); // concurrently: 3, not 9
        }
        assert_eq!(
            log.lines(),
            ["a start", "b start", "c start", "a done", "b done", "c done", "main done"]
        );
    }

    async fn spawned_tasks_and_callbacks_run_in_asyncio_order(env: Env) {
        let _ = env;
        let l = Lines::new();
        let child = |name: &'static str, n: usize| {
            let l = l.clone();
            spawn(async move {
                for i in 0..n {
                    l.say(format!("{name} {i}"));
                    yield_now().await;
                }
            })
        };
        let a = child("a", 3);
        let b = child("b", 2);
        let (l1, l2, l3) = (l.clone(), l.clone(), l.clone());
        call_soon(move || l1.say("callback 1"));
        call_later(Duration::ZERO, move || l2.say("later 0"));
        call_soon(move || l3.say("callback 2"));
        l.say("main before yield");
        yield_now().await;
        l.say("main after yield");
        a.await.unwrap();
        b.await.unwrap();
        l.say("main done");
        assert_eq!(
            l.lines(),
            [
                "main before yield",
                "a 0",
                "b 0",
                "callback 1",
                "callback 2",
                "main after yield",
                "later 0",
                "a 1",
                "b 1",
                "a 2",
                "main done"
            ]
        );
    }

    async fn a_long_task_cancelled_midway_runs_its_cleanup_then(env: Env) {
        let l = Lines::new();
        let ll = l.clone();
        let long = Builder::new().name("long").spawn(async move {
            let _cleanup = Cleanup(ll.clone(), "long");
            ll.say("long start");
            sleep(env.units(10.0)).await;
            ll.say("long done");
        });
        sleep(env.units(5.0)).await;
        long.cancel();
        l.say("main cancelled it");
        assert_eq!(long.await, Err(JoinError::Cancelled));
        l.say("main saw cancelled");
        assert_eq!(
            l.lines(),
            ["long start", "main cancelled it", "long cleanup", "main saw cancelled"]
        );
    }

    async fn a_timeout_cancels_the_slower_task(env: Env) {
        let l = Lines::new();
        let lt = l.clone();
        let two = Builder::new().name("two").spawn(async move {
            let _cleanup = Cleanup(lt.clone(), "two");
            sleep(env.units(2.0)).await;
            lt.say("two done");
        });
        let start = Instant::now();
        let err = timeout(env.units(1.0), two).await.unwrap_err();
        assert!(err.deadline() - start >= env.units(1.0));
        l.say("main timeout");
        sleep(env.units(5.0)).await;
        l.say("main done");
        assert_eq!(l.lines(), ["main timeout", "two cleanup", "main done"]);
        let fast = timeout(env.units(1.0), async { 2 }).await;
        assert_eq!(fast, Ok(2));
    }

    async fn two_tasks_of_2_and_3_units_end_main_after_3(env: Env) {
        let start = Instant::now();
        let a = spawn(sleep(env.units(2.0)));
        let b = spawn(sleep(env.units(3.0)));
        a.await.unwrap();
        let after_a = Instant::now() - start;
        b.await.unwrap();
        let after_b = Instant::now() - start;
        assert!(after_a >= env.units(2.0) && after_b >= env.units(3.0));
        assert!(after_b >= after_a);
        if env.is_sim() {
            assert_eq!((after_a, after_b), (env.units(2.0), env.units(3.0)));
        }
    }

    async fn cpu_bound_work_blocks_the_loop_and_delays_the_others(env: Env) {
        let l = Lines::new();
        let lt = l.clone();
        let ticker = Builder::new().name("ticker").spawn(async move {
            for _ in 0..4 {
                lt.say("tick");
                sleep(env.units(5.0)).await;
            }
        });
        let lc = l.clone();
        let cruncher = Builder::new().name("cruncher").spawn(async move {
            sleep(env.units(2.0)).await;
            lc.say("crunch start");
            let before = Instant::now();
            block_for(env.units(20.0)); // no await: nobody else runs
            assert!(Instant::now() - before >= env.units(20.0));
            lc.say("crunch end");
        });
        ticker.await.unwrap();
        cruncher.await.unwrap();
        // The tick due at 5 units cannot run before the cruncher lets go at 22.
        assert_eq!(
            l.lines(),
            [
                "tick",
                "crunch start",
                "crunch end",
                "tick",
                "tick",
                "tick"
            ]
        );
    }

    async fn a_task_cancelled_before_its_first_poll_never_runs(env: Env) {
        let _ = env;
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        let t = spawn(async move { r.set(true) });
        t.cancel();
        assert!(!t.is_finished());
        assert_eq!(t.await, Err(JoinError::Cancelled));
        assert!(!ran.get());
    }

    async fn dropping_a_task_cancels_it_and_detach_lets_it_run(env: Env) {
        let _ = env;
        let l = Lines::new();
        let (a, b) = (l.clone(), l.clone());
        drop(spawn(async move { a.say("dropped ran") }));
        spawn(async move { b.say("detached ran") }).detach();
        yield_now().await;
        assert_eq!(l.lines(), ["detached ran"]);
    }

    async fn cancel_takes_effect_at_the_next_scheduling_point(env: Env) {
        let _ = env;
        let l = Lines::new();
        let lt = l.clone();
        let t = spawn(async move {
            lt.say("step 1");
            yield_now().await;
            lt.say("step 2 (never)");
        });
        yield_now().await;
        t.cancel();
        l.say("cancel requested");
        assert!(!t.is_cancelled());
        yield_now().await;
        assert!(t.is_cancelled() && t.is_finished());
        t.cancel();
        assert_eq!(t.await, Err(JoinError::Cancelled));
        assert_eq!(l.lines(), ["step 1", "cancel requested"]);
    }

    async fn cancelling_a_finished_task_keeps_its_output(env: Env) {
        let _ = env;
        let t = spawn(async { 5 });
        yield_now().await;
        assert!(t.is_finished());
        t.cancel();
        assert!(!t.is_cancelled());
        assert_eq!(t.await, Ok(5));
    }

    async fn a_task_woken_twice_is_queued_once(env: Env) {
        let _ = env;
        let polls = Rc::new(Cell::new(0));
        let p = polls.clone();
        let slot: Rc<std::cell::RefCell<Option<std::task::Waker>>> = Rc::default();
        let w = slot.clone();
        let t = spawn(std::future::poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                *w.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }));
        yield_now().await;
        let waker = slot.borrow_mut().take().unwrap();
        waker.wake_by_ref();
        waker.wake_by_ref();
        waker.wake();
        t.await.unwrap();
        assert_eq!(polls.get(), 2);
    }

    async fn callbacks_run_in_deadline_order_and_cancelled_ones_never_run(env: Env) {
        let l = Lines::new();
        let (a, b, c, d) = (l.clone(), l.clone(), l.clone(), l.clone());
        let start = Instant::now();
        let later = call_later(env.units(0.2), move || a.say("later 0.2"));
        assert!(later.when() >= start + env.units(0.2));
        let at = call_at(start + env.units(1.0), move || b.say("at 1.0"));
        let cancelled = call_later(env.units(0.5), move || c.say("never"));
        let soon = call_soon(move || d.say("soon"));
        cancelled.cancel();
        assert!(cancelled.is_cancelled() && !soon.is_cancelled() && !at.is_cancelled());
        let e = l.clone();
        call_soon(move || e.say("soon, then cancelled")).cancel();
        sleep(env.units(2.0)).await;
        assert_eq!(l.lines(), ["soon", "later 0.2", "at 1.0"]);
    }

    async fn isolated_panics_reach_the_awaiter(env: Env) {
        let _ = env;
        let t = spawn(async {
            yield_now().await;
            panic!("child failed")
        });
        assert_eq!(
            t.await,
            Err(JoinError::Panicked {
                message: "child failed".into()
            })
        );
    }

    async fn fifo_interleaves_yielding_tasks_round_robin(env: Env) {
        let _ = env;
        let l = Lines::new();
        let tasks: Vec<_> = (0..3)
            .map(|i| {
                let l = l.clone();
                spawn(async move {
                    for step in 0..3 {
                        l.say(format!("{i}.{step}"));
                        yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            l.lines(),
            ["0.0", "1.0", "2.0", "0.1", "1.1", "2.1", "0.2", "1.2", "2.2"]
        );
    }

    async fn to_thread_gives_the_result_and_lets_others_run_meanwhile(env: Env) {
        let _ = env;
        let l = Lines::new();
        let lo = l.clone();
        let other = spawn(async move { lo.say("other ran") });
        l.say("before");
        let v = to_thread(|| 6 * 7).await;
        l.say(format!("got {v}"));
        other.await.unwrap();
        let failed = spawn(to_thread(|| -> u8 { panic!("thread work failed") }));
        assert_eq!(
            failed.await,
            Err(JoinError::Panicked {
                message: "thread work failed".into()
            })
        );
        assert_eq!(l.lines(), ["before", "other ran", "got 42"]);
    }
}

#[test]
fn the_end_of_the_run_cancels_pending_tasks() {
    for env in Env::BOTH {
        let l = Lines::new();
        let lt = l.clone();
        run_on(env, async move {
            Builder::new()
                .name("forever")
                .spawn(async move {
                    let _c = Cleanup(lt, "forever");
                    sleep(Duration::from_secs(3600)).await;
                })
                .detach();
            yield_now().await;
        });
        assert_eq!(l.lines(), ["forever cleanup"], "{env:?}");
    }
}

#[test]
fn the_same_seed_draws_the_same_user_randomness_on_both() {
    let draw = || async {
        (0..8)
            .map(|_| seedloop::random::<u64>())
            .collect::<Vec<_>>()
    };
    let sim = seedloop::Sim::new(5).run(draw()).unwrap();
    let mut rt = seedloop::Runtime::builder().seed(5).build().unwrap();
    assert_eq!(rt.block_on(draw()).unwrap(), sim);
}
