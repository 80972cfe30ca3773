//! The combinator scenarios of `combinators_*.rs` that do not depend on exact
//! virtual times, run under sim and real mode by one body each.
//!
//! Where a sim test orders children by sleeps of different lengths, these
//! order them by the program's own waits (a [`Relay`], an [`Event`] gate, a
//! child that ends at its first poll), so the real order is forced too; sleeps
//! only make time pass, and time is asserted from below. A child that must
//! still be running when something else happens waits on a gate that is set
//! only afterwards, never on a longer timer.

use std::future::Future;
use std::pin::Pin;

use futures::StreamExt;
use seedloop::sync::Event;
use seedloop::task::{
    as_completed, gather, shield, try_gather, try_wait, wait, AsCompletedError, Builder,
    GatherError, Promise, ReturnWhen, WaitError,
};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, timeout, yield_now, JoinError, Task};

use crate::harness::{at_once, gated, leg, Lines, Relay};

type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

fn names<T>(tasks: &[Task<T>]) -> Vec<&str> {
    tasks.iter().map(|t| t.name().unwrap()).collect()
}

crate::conformance! {
    // ---- Promise ----

    async fn promise_set_by_another_task(env: Env) {
        let l = Lines::new();
        let p: Promise<&str> = Promise::new();
        let (setter, ls) = (p.clone(), l.clone());
        let start = Instant::now();
        Builder::new()
            .name("setter")
            .spawn(async move {
                sleep(env.units(1.0)).await;
                ls.say("set");
                setter.set("hello").unwrap();
            })
            .detach();
        let got = p.wait().await.unwrap();
        l.say(format!("main got {got}"));
        assert!(Instant::now() - start >= env.units(1.0));
        assert_eq!(l.lines(), ["set", "main got hello"]);
    }

    async fn every_promise_awaiter_gets_the_value_in_the_order_they_started_waiting(env: Env) {
        let _ = env;
        let l = Lines::new();
        let p: Promise<u32> = Promise::new();
        let waiters: Vec<_> = (0..3)
            .map(|i| {
                let (p, l) = (p.clone(), l.clone());
                spawn(async move {
                    for _ in 0..(2 - i) {
                        yield_now().await; // start waiting in reverse order
                    }
                    let v = p.wait().await.unwrap();
                    l.say(format!("waiter {i} got {v}"));
                })
            })
            .collect();
        for _ in 0..3 {
            yield_now().await; // every waiter waits now
        }
        p.set(7).unwrap();
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!((&p).await, Ok(7));
        assert_eq!(p.clone().await, Ok(7));
        assert_eq!(l.lines(), ["waiter 2 got 7", "waiter 1 got 7", "waiter 0 got 7"]);
    }

    async fn promise_callbacks_run_in_registration_order_in_the_next_turn(env: Env) {
        let l = Lines::new();
        let p: Promise<u32> = Promise::new();
        let waiter = {
            let (p, l) = (p.clone(), l.clone());
            spawn(async move { l.say(format!("waiter got {}", p.wait().await.unwrap())) })
        };
        yield_now().await; // the waiter is now blocked
        for i in 1..=3 {
            let l = l.clone();
            p.on_done(move |r| l.say(format!("callback {i} saw {r:?}")));
        }
        sleep(env.units(0.5)).await;
        p.set(4).unwrap();
        l.say("set returned");
        yield_now().await;
        l.say("main after one turn");
        let l2 = l.clone();
        p.on_done(move |_| l2.say("late callback"));
        l.say("late callback registered");
        yield_now().await;
        waiter.await.unwrap();
        assert_eq!(
            l.lines(),
            [
                "set returned",
                "waiter got 4",
                "callback 1 saw Ok(4)",
                "callback 2 saw Ok(4)",
                "callback 3 saw Ok(4)",
                "main after one turn",
                "late callback registered",
                "late callback",
            ]
        );
    }

    async fn a_dropped_promise_awaiter_loses_nothing_for_the_others(env: Env) {
        let l = Lines::new();
        let p: Promise<u32> = Promise::new();
        let patient = {
            let (p, l) = (p.clone(), l.clone());
            spawn(async move { l.say(format!("patient got {:?}", p.wait().await)) })
        };
        let impatient = timeout(env.units(1.0), p.wait()).await;
        l.say(format!("impatient gave up: {}", impatient.is_err()));
        p.set(1).unwrap();
        patient.await.unwrap();
        assert_eq!(p.wait().await, Ok(1));
        assert_eq!(l.lines(), ["impatient gave up: true", "patient got Ok(1)"]);
    }

    async fn cancelling_a_task_blocked_on_a_promise(env: Env) {
        let _ = env;
        let p: Promise<u32> = Promise::new();
        let blocked = {
            let p = p.clone();
            spawn(async move { p.wait().await })
        };
        yield_now().await; // blocked waits
        blocked.cancel_with("not needed");
        assert_eq!(blocked.await.unwrap_err().cancel_reason(), Some("not needed"));
        assert!(!p.is_done(), "the promise is untouched");
        p.set(2).unwrap();
        assert_eq!(p.wait().await, Ok(2));
    }

    // ---- gather ----

    async fn gather_returns_outputs_in_argument_order(env: Env) {
        let l = Lines::new();
        let relay = Relay::new(3);
        let start = Instant::now();
        let out = gather([
            leg(env, &l, &relay, 2, "a", 2),
            leg(env, &l, &relay, 0, "b", 1),
            leg(env, &l, &relay, 1, "c", 3),
        ])
        .await
        .unwrap();
        l.say(format!("gathered {out:?}"));
        assert!(Instant::now() - start >= env.units(3.0));
        assert_eq!(l.lines(), ["b done", "c done", "a done", "gathered [2, 1, 3]"]);
    }

    async fn gather_of_nothing_is_empty_and_err_values_are_values(env: Env) {
        let _ = env;
        let none: Vec<Boxed<u8>> = Vec::new();
        assert_eq!(gather(none).await, Ok(vec![]));
        let none: Vec<Boxed<Result<u8, ()>>> = Vec::new();
        assert_eq!(try_gather(none).await, Ok(vec![]));
        let f = |r: Result<u8, &'static str>| async move { r };
        let out = gather([f(Ok(1)), f(Err("no")), f(Ok(3))]).await.unwrap();
        assert_eq!(out, [Ok(1), Err("no"), Ok(3)]);
    }

    async fn a_panicking_gathered_child_cancels_its_siblings(env: Env) {
        let l = Lines::new();
        let never = Event::new();
        let boom: Boxed<u32> = Box::pin(async move {
            sleep(env.units(1.0)).await;
            panic!("boom")
        });
        let futs: Vec<Boxed<u32>> = vec![
            Box::pin(gated(&l, &never, "slow", 1)),
            boom,
            Box::pin(gated(&l, &never, "slower", 2)),
        ];
        let err = gather(futs).await.unwrap_err();
        l.say(format!("gather failed: {err}"));
        assert_eq!(
            err,
            GatherError::Join {
                index: 1,
                error: JoinError::Panicked {
                    message: "boom".into()
                }
            }
        );
        assert_eq!(
            l.lines(),
            [
                "slow dropped",
                "slower dropped",
                "gather failed: gathered future 1: task panicked: boom"
            ]
        );
    }

    async fn try_gather_fails_with_the_first_error_and_cancels_the_rest(env: Env) {
        let l = Lines::new();
        let (relay, never) = (Relay::new(1), Event::new());
        let futs: Vec<Boxed<Result<u32, &str>>> = vec![
            Box::pin(gated(&l, &never, "a", Err("a failed"))),
            Box::pin(gated(&l, &never, "b", Ok(1))),
            Box::pin(leg(env, &l, &relay, 0, "c", Err("c failed"))),
        ];
        let err = try_gather(futs).await.unwrap_err();
        assert_eq!(err, GatherError::Failed { index: 2, error: "c failed" });
        l.say("returned");
        assert_eq!(l.lines(), ["c done", "a dropped", "b dropped", "returned"]);
        // Without failures: the values, in argument order.
        let relay = Relay::new(3);
        let ok = [2, 0, 1].map(|k| leg(env, &l, &relay, k, "ok", Ok::<usize, ()>(k)));
        assert_eq!(try_gather(ok).await, Ok(vec![2, 0, 1]));
    }

    async fn try_gather_without_cancel_on_failure_lets_the_siblings_run_on(env: Env) {
        let l = Lines::new();
        let (relay, gate) = (Relay::new(1), Event::new());
        let sibling_done: Promise<()> = Promise::new();
        let (done, ls) = (sibling_done.clone(), l.clone());
        let sibling = gated(&l, &gate, "sibling", ());
        let futs: Vec<Boxed<Result<u32, String>>> = vec![
            Box::pin(leg(env, &l, &relay, 0, "first", Err("failed".to_string()))),
            Box::pin(async move {
                sibling.await;
                ls.say("sibling ran on to the end");
                done.set(()).unwrap();
                Ok(1)
            }),
        ];
        let err = try_gather(futs).cancel_on_failure(false).await.unwrap_err();
        l.say(err.to_string());
        gate.set();
        sibling_done.wait().await.unwrap();
        assert_eq!(
            l.lines(),
            [
                "first done",
                "gathered future 0 failed: failed",
                "sibling done",
                "sibling ran on to the end"
            ]
        );
    }

    async fn cancelling_a_task_blocked_in_gather_cancels_the_children(env: Env) {
        let _ = env;
        let l = Lines::new();
        let never = Event::new();
        let children = [gated(&l, &never, "a", 1), gated(&l, &never, "b", 2)];
        let gatherer = spawn(gather(children));
        yield_now().await; // the gatherer waits on its children
        gatherer.cancel();
        assert_eq!(gatherer.await, Err(JoinError::Cancelled));
        l.say("gatherer cancelled");
        assert_eq!(l.lines(), ["a dropped", "b dropped", "gatherer cancelled"]);
    }

    async fn a_timeout_around_gather_cancels_the_children(env: Env) {
        let l = Lines::new();
        let never = Event::new();
        let futs: Vec<Boxed<u32>> = vec![
            Box::pin(at_once(&l, "a", 1)),
            Box::pin(gated(&l, &never, "b", 2)),
        ];
        let start = Instant::now();
        let r = timeout(env.units(1.0), gather(futs)).await;
        l.say(format!("timed out: {}", r.is_err()));
        assert!(Instant::now() - start >= env.units(1.0));
        yield_now().await; // b is dropped at its next scheduling point
        assert_eq!(l.lines(), ["a done", "timed out: true", "b dropped"]);
    }

    // ---- wait ----

    async fn wait_first_completed_returns_the_first_end_with_the_rest_pending(env: Env) {
        let l = Lines::new();
        let (relay, gate) = (Relay::new(1), Event::new());
        let tasks = [
            Builder::new().name("fast").spawn(leg(env, &l, &relay, 0, "fast", 1)),
            Builder::new().name("slow").spawn(gated(&l, &gate, "slow", 2)),
        ];
        let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await.unwrap();
        assert_eq!((names(&done), names(&pending)), (vec!["fast"], vec!["slow"]));
        gate.set();
        for t in pending {
            assert!(!t.is_finished());
            assert_eq!(t.await, Ok(2));
        }
        assert_eq!(l.lines(), ["fast done", "slow done"]);
    }

    async fn wait_first_error_returns_at_the_first_error(env: Env) {
        let l = Lines::new();
        let (relay, never) = (Relay::new(2), Event::new());
        let tasks = [
            Builder::new().name("ok-early").spawn(leg(env, &l, &relay, 0, "ok-early", Ok(1))),
            Builder::new().name("fails").spawn(leg(env, &l, &relay, 1, "fails", Err("no"))),
            Builder::new().name("ok-late").spawn(gated(&l, &never, "ok-late", Ok(3))),
        ];
        let start = Instant::now();
        let (done, pending) = try_wait(tasks, ReturnWhen::FirstError, None).await.unwrap();
        assert!(Instant::now() - start >= env.units(2.0));
        assert_eq!(names(&done), ["ok-early", "fails"]);
        assert_eq!(names(&pending), ["ok-late"]);
        drop(pending);

        // No error at all: it returns when everything has ended.
        let relay = Relay::new(2);
        let tasks = [
            Builder::new().name("a").spawn(leg(env, &l, &relay, 1, "a", Ok::<u8, ()>(1))),
            Builder::new().name("b").spawn(leg(env, &l, &relay, 0, "b", Ok(2))),
        ];
        let (done, pending) = try_wait(tasks, ReturnWhen::FirstError, None).await.unwrap();
        assert_eq!((done.len(), pending.len()), (2, 0));

        // With plain `wait`, an Err output is just an output.
        let relay = Relay::new(1);
        let tasks = [
            Builder::new().name("e").spawn(at_once(&l, "e", Err::<u8, ()>(()))),
            Builder::new().name("f").spawn(leg(env, &l, &relay, 0, "f", Ok(2))),
        ];
        let (done, _) = wait(tasks, ReturnWhen::FirstError, None).await.unwrap();
        assert_eq!(names(&done), ["e", "f"]);
        assert_eq!(
            l.lines(),
            [
                "ok-early done",
                "fails done",
                "ok-late dropped",
                "b done",
                "a done",
                "e done",
                "f done"
            ]
        );
    }

    async fn wait_first_error_counts_a_panic_but_not_a_cancellation(env: Env) {
        let l = Lines::new();
        let never = Event::new();
        let cancelled = Builder::new().name("cancelled").spawn(gated(&l, &never, "cancelled", 0));
        cancelled.cancel();
        let panics = Builder::new().name("panics").spawn(async move {
            sleep(env.units(1.0)).await;
            panic!("boom")
        });
        let slow = Builder::new().name("slow").spawn(gated(&l, &never, "slow", 2));
        let (done, pending) = wait([cancelled, panics, slow], ReturnWhen::FirstError, None)
            .await
            .unwrap();
        assert_eq!(names(&done), ["cancelled", "panics"]);
        assert_eq!(names(&pending), ["slow"]);
        let mut done = done.into_iter();
        assert_eq!(done.next().unwrap().await, Err(JoinError::Cancelled));
        assert!(done.next().unwrap().await.unwrap_err().is_panic());
    }

    async fn wait_all_completed_returns_the_tasks_in_the_given_order(env: Env) {
        // The ends' order does not matter here: plain sleeps will do.
        let named = |name: &str, units: f64, v: u32| {
            Builder::new().name(name).spawn(async move {
                sleep(env.units(units)).await;
                v
            })
        };
        let start = Instant::now();
        let tasks = [named("c", 3.0, 3), named("a", 1.0, 1), named("b", 2.0, 2)];
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, None).await.unwrap();
        assert!(Instant::now() - start >= env.units(3.0));
        assert_eq!(names(&done), ["c", "a", "b"]);
        assert!(pending.is_empty());
        let mut outs = Vec::new();
        for t in done {
            outs.push(t.await.unwrap());
        }
        assert_eq!(outs, [3, 1, 2]);
        let none: Vec<Task<u8>> = Vec::new();
        let err = wait(none, ReturnWhen::FirstCompleted, Some(env.units(1.0))).await;
        assert_eq!(err.unwrap_err(), WaitError::Empty);
    }

    async fn a_wait_timeout_returns_what_is_done_and_cancels_nothing(env: Env) {
        let l = Lines::new();
        let gate = Event::new();
        let tasks = [
            Builder::new().name("a").spawn(at_once(&l, "a", 1)),
            Builder::new().name("b").spawn(gated(&l, &gate, "b", 2)),
            Builder::new().name("c").spawn(gated(&l, &gate, "c", 3)),
        ];
        let start = Instant::now();
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, Some(env.units(1.0)))
            .await
            .unwrap();
        assert!(Instant::now() - start >= env.units(1.0));
        l.say(format!("done {:?} pending {:?}", names(&done), names(&pending)));
        gate.set();
        for t in pending {
            l.say(format!("{:?}", t.await));
        }
        assert_eq!(
            l.lines(),
            [
                "a done",
                r#"done ["a"] pending ["b", "c"]"#,
                "b done",
                "c done",
                "Ok(2)",
                "Ok(3)"
            ]
        );
    }

    async fn tasks_ending_in_the_same_turn_are_all_done(env: Env) {
        let l = Lines::new();
        let (gate, never) = (Event::new(), Event::new());
        let tasks = [
            Builder::new().name("x").spawn(gated(&l, &gate, "x", 1)),
            Builder::new().name("y").spawn(gated(&l, &gate, "y", 2)),
            Builder::new().name("z").spawn(gated(&l, &never, "z", 3)),
        ];
        let g = gate.clone();
        spawn(async move {
            sleep(env.units(1.0)).await;
            g.set(); // wakes x and y in one turn
        })
        .detach();
        let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await.unwrap();
        assert_eq!(names(&done), ["x", "y"]);
        assert_eq!(names(&pending), ["z"]);
    }

    async fn cancelling_a_task_blocked_in_wait_cancels_the_tasks_it_holds(env: Env) {
        let _ = env;
        let l = Lines::new();
        let never = Event::new();
        let a = gated(&l, &never, "a", 1);
        let waiter = spawn(async move {
            let _ = wait([spawn(a)], ReturnWhen::AllCompleted, None).await; // a never ends
        });
        yield_now().await; // the waiter waits
        waiter.cancel();
        assert_eq!(waiter.await, Err(JoinError::Cancelled));
        l.say("waiter cancelled");
        assert_eq!(l.lines(), ["a dropped", "waiter cancelled"]);
    }

    // ---- as_completed ----

    async fn as_completed_yields_in_completion_order(env: Env) {
        let l = Lines::new();
        let relay = Relay::new(3);
        let start = Instant::now();
        let mut s = as_completed([
            leg(env, &l, &relay, 2, "c", "c"),
            leg(env, &l, &relay, 0, "a", "a"),
            leg(env, &l, &relay, 1, "b", "b"),
        ]);
        assert_eq!(s.remaining(), 3);
        let mut k = 0.0;
        while let Some(v) = s.next().await {
            k += 1.0;
            assert!(Instant::now() - start >= env.units(k));
            l.say(format!("got {}", v.unwrap()));
        }
        assert_eq!(l.lines(), ["a done", "got a", "b done", "got b", "c done", "got c"]);
    }

    async fn as_completed_keeps_the_order_of_children_that_ended_before_the_first_poll(env: Env) {
        let l = Lines::new();
        let relay = Relay::new(3);
        let s = as_completed([
            leg(env, &l, &relay, 2, "3", 3),
            leg(env, &l, &relay, 0, "1", 1),
            leg(env, &l, &relay, 1, "2", 2),
        ]);
        relay.ended(2).await; // every child ends meanwhile
        let out: Vec<u32> = s.map(Result::unwrap).collect().await;
        assert_eq!(out, [1, 2, 3]);
    }

    async fn as_completed_with_a_timeout_yields_what_ended_then_leaves_the_rest_running(
        env: Env
    ) {
        let l = Lines::new();
        let gate = Event::new();
        let futs: Vec<Boxed<&str>> = vec![
            Box::pin(gated(&l, &gate, "slow", "slow")),
            Box::pin(at_once(&l, "a", "a")),
            Box::pin(at_once(&l, "b", "b")),
        ];
        let start = Instant::now();
        let mut s = as_completed(futs).timeout(env.units(1.0));
        while let Some(item) = s.next().await {
            match item {
                Ok(v) => l.say(format!("got {v}")),
                Err(e) => {
                    assert!(e.is_elapsed() && Instant::now() - start >= env.units(1.0));
                    l.say("elapsed");
                }
            }
        }
        let rest = s.into_pending();
        l.say(format!("{} still running", rest.len()));
        gate.set();
        for t in rest {
            l.say(format!("got {}", t.await.unwrap()));
        }
        assert_eq!(
            l.lines(),
            [
                "a done",
                "b done",
                "got a",
                "got b",
                "elapsed",
                "1 still running",
                "slow done",
                "got slow"
            ]
        );
    }

    async fn a_panicking_child_of_as_completed_yields_its_error_in_place(env: Env) {
        let l = Lines::new();
        let relay = Relay::new(3);
        let first = leg(env, &l, &relay, 0, "panics", 0);
        let futs: Vec<Boxed<u32>> = vec![
            Box::pin(leg(env, &l, &relay, 2, "3", 3)),
            Box::pin(async move {
                first.await;
                panic!("boom")
            }),
            Box::pin(leg(env, &l, &relay, 1, "2", 2)),
        ];
        let items = as_completed(futs).collect::<Vec<_>>().await;
        assert_eq!(
            items,
            [
                Err(AsCompletedError::Join {
                    index: 1,
                    error: JoinError::Panicked {
                        message: "boom".into()
                    }
                }),
                Ok(2),
                Ok(3)
            ]
        );
    }

    async fn dropping_the_as_completed_stream_cancels_the_children_still_running(env: Env) {
        let _ = env;
        let l = Lines::new();
        let (never, got_one) = (Event::new(), Event::new());
        let futs: Vec<Boxed<u32>> = vec![
            Box::pin(at_once(&l, "fast", 1)),
            Box::pin(gated(&l, &never, "slow", 2)),
        ];
        let (lc, g) = (l.clone(), got_one.clone());
        let consumer = spawn(async move {
            let mut s = as_completed(futs);
            while let Some(v) = s.next().await {
                lc.say(format!("got {}", v.unwrap()));
                g.set();
            }
        });
        got_one.wait().await;
        consumer.cancel();
        assert!(consumer.await.unwrap_err().is_cancelled());
        l.say("consumer cancelled");
        assert_eq!(l.lines(), ["fast done", "got 1", "slow dropped", "consumer cancelled"]);
    }

    // ---- shield ----

    async fn shield_keeps_the_work_alive_past_the_outer_timeout(env: Env) {
        let l = Lines::new();
        let (release, finished) = (Event::new(), Event::new());
        let (lw, r, f) = (l.clone(), release.clone(), finished.clone());
        let work = async move {
            r.wait().await;
            sleep(env.units(1.0)).await;
            lw.say("work finished");
            f.set();
            "saved"
        };
        let start = Instant::now();
        match timeout(env.units(5.0), shield(work)).await {
            Ok(_) => l.say("no timeout?"),
            Err(e) => {
                assert!(e.deadline() - start >= env.units(5.0));
                l.say("timeout");
            }
        }
        release.set();
        finished.wait().await;
        l.say("main exits");
        assert!(Instant::now() - start >= env.units(6.0));
        assert_eq!(l.lines(), ["timeout", "work finished", "main exits"]);
        // Nobody gives up: the output.
        let v = shield(async move {
            sleep(env.units(1.0)).await;
            5
        })
        .await;
        assert_eq!(v, Ok(5));
    }

    async fn cancelling_the_task_awaiting_a_shield_leaves_the_inner_work_running(env: Env) {
        let l = Lines::new();
        let (gate, finished) = (Event::new(), Event::new());
        let (lw, g, f) = (l.clone(), gate.clone(), finished.clone());
        let waiter = Builder::new().name("waiter").spawn(async move {
            let li = lw.clone();
            let r = shield(async move {
                g.wait().await;
                sleep(env.units(1.0)).await;
                li.say("inner finished");
                f.set();
            })
            .await;
            lw.say(format!("waiter saw {r:?}"));
        });
        yield_now().await; // the waiter waits on the shield
        waiter.cancel();
        assert_eq!(waiter.await, Err(JoinError::Cancelled));
        l.say("waiter cancelled");
        gate.set();
        finished.wait().await;
        assert_eq!(l.lines(), ["waiter cancelled", "inner finished"]);
    }

    async fn when_the_shielded_task_is_cancelled_so_is_the_outer(env: Env) {
        let mut s = shield(std::future::pending::<()>());
        // Waiting through `&mut` and giving up leaves the shield intact.
        assert!(timeout(env.units(1.0), &mut s).await.is_err());
        s.inner().cancel_with("operator");
        assert_eq!(s.inner().cancelling(), 1);
        assert_eq!(
            s.await,
            Err(JoinError::CancelledWith {
                reason: "operator".into()
            })
        );
    }

    async fn a_panic_in_the_shielded_task_reaches_the_waiter(env: Env) {
        let r = shield(async move {
            sleep(env.units(0.1)).await;
            panic!("inner broke")
        })
        .await;
        assert_eq!(
            r,
            Err::<(), _>(JoinError::Panicked {
                message: "inner broke".into()
            })
        );
    }

    // ---- the cancellation API: cancel_with, uncancel, on_done ----

    async fn cancel_with_keeps_the_first_reason_and_counts_requests(env: Env) {
        let t = spawn(std::future::pending::<()>());
        assert_eq!(t.cancelling(), 0);
        t.cancel();
        t.cancel_with("first reason");
        t.cancel_with("second reason");
        assert_eq!(t.cancelling(), 3);
        let err = t.await.unwrap_err();
        assert_eq!(err.to_string(), "task was cancelled: first reason");
        // A finished task counts nothing.
        let done = spawn(async { 1 });
        yield_now().await;
        done.cancel_with("too late");
        assert_eq!(done.cancelling(), 0);
        assert_eq!(done.await, Ok(1));
        // Withdrawn before the task's next scheduling point: it runs on.
        let t = spawn(async move {
            sleep(env.units(1.0)).await;
            7
        });
        yield_now().await;
        t.cancel_with("maybe");
        t.cancel();
        assert_eq!((t.uncancel(), t.uncancel(), t.uncancel()), (1, 0, 0));
        assert_eq!(t.await, Ok(7));
        // After the cancellation took effect, uncancel changes nothing.
        let u = spawn(std::future::pending::<()>());
        u.cancel();
        yield_now().await;
        assert!(u.is_cancelled());
        assert_eq!(u.uncancel(), 1);
        assert_eq!(u.await, Err(JoinError::Cancelled));
    }

    async fn on_done_callbacks_run_in_order_in_the_next_turn_with_the_outcome(env: Env) {
        let l = Lines::new();
        let ended = Event::new();
        let e = ended.clone();
        let ok = spawn(async move {
            sleep(env.units(1.0)).await;
            e.set();
            1
        });
        let cancelled = spawn(std::future::pending::<u32>());
        for (i, t) in [&ok, &cancelled].into_iter().enumerate() {
            for j in 0..2 {
                let l = l.clone();
                t.on_done(move |end| l.say(format!("task {i} callback {j}: {end:?}")));
            }
        }
        cancelled.cancel_with("stop");
        ended.wait().await; // ok ends in the turn that woke us
        yield_now().await; // its callbacks run meanwhile
        let l2 = l.clone();
        ok.on_done(move |end| l2.say(format!("late callback: {end:?}")));
        l.say("registered late");
        yield_now().await;
        assert_eq!(ok.await, Ok(1));
        assert_eq!(
            l.lines(),
            [
                r#"task 1 callback 0: Err(CancelledWith { reason: "stop" })"#,
                r#"task 1 callback 1: Err(CancelledWith { reason: "stop" })"#,
                "task 0 callback 0: Ok(())",
                "task 0 callback 1: Ok(())",
                "registered late",
                "late callback: Ok(())",
            ]
        );
    }
}
