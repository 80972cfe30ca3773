//! shield, and the task cancellation API the combinators build on:
//! cancel_with, cancelling/uncancel, on_done.

use std::time::Duration;

use seedloop::task::{shield, Builder};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, timeout, yield_now, JoinError, Policy, Sim};

use crate::common::{fifo, Log};
use crate::snapshot;

/// The tutorial scenario: the waiter gives up at 5 s, the shielded 10 s task
/// finishes anyway.
#[test]
fn shield_keeps_a_ten_second_task_alive_past_a_five_second_timeout() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let l2 = l.clone();
        let work = async move {
            sleep(Duration::from_secs(10)).await;
            l2.say("work finished");
            "saved"
        };
        match timeout(Duration::from_secs(5), shield(work)).await {
            Ok(_) => l.say("no timeout?"),
            Err(e) => l.say(format!("timeout: {e}")),
        }
        sleep(Duration::from_secs(6)).await;
        l.say("main exits");
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            "5.000 timeout: deadline has elapsed (at 5.000000)",
            "10.000 work finished",
            "11.000 main exits"
        ]
    );
    snapshot!("combinators_shield_timeout", sim.trace().render());
}

#[test]
fn shield_gives_the_output_when_nobody_gives_up() {
    let out = fifo()
        .run(async {
            let v = shield(async {
                sleep(Duration::from_secs(1)).await;
                5
            })
            .await;
            (v, Instant::now())
        })
        .unwrap();
    assert_eq!(out.0, Ok(5));
    assert_eq!(out.1.as_secs_f64(), 1.0);
}

#[test]
fn cancelling_the_task_awaiting_a_shield_leaves_the_inner_work_running() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let waiter = Builder::new().name("waiter").spawn(async move {
                let l3 = l2.clone();
                let r = shield(async move {
                    sleep(Duration::from_secs(3)).await;
                    l3.say("inner finished");
                })
                .await;
                l2.say(format!("waiter saw {r:?}"));
            });
            sleep(Duration::from_secs(1)).await;
            waiter.cancel();
            assert_eq!(waiter.await, Err(JoinError::Cancelled));
            l.say("waiter cancelled");
            sleep(Duration::from_secs(5)).await;
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        ["1.000 waiter cancelled", "3.000 inner finished"]
    );
}

#[test]
fn when_the_inner_task_is_cancelled_so_is_the_outer() {
    fifo()
        .run(async {
            let mut s = shield(sleep(Duration::from_secs(10)));
            assert_eq!(s.inner().id().to_string(), "#2");
            // Waiting through `&mut` and giving up leaves the shield intact.
            assert!(timeout(Duration::from_secs(1), &mut s).await.is_err());
            s.inner().cancel_with("operator");
            assert_eq!(s.inner().cancelling(), 1);
            let r = s.await;
            assert_eq!(
                r,
                Err(JoinError::CancelledWith {
                    reason: "operator".into()
                })
            );
            assert!(r.unwrap_err().is_cancelled());
            assert_eq!(Instant::now().as_secs_f64(), 1.0);
        })
        .unwrap();
}

#[test]
fn a_panic_in_the_shielded_task_reaches_the_waiter() {
    let r = Sim::new(0)
        .policy(Policy::Fifo)
        .isolate_panics(true)
        .run(async {
            shield(async {
                sleep(Duration::from_millis(10)).await;
                panic!("inner broke")
            })
            .await
        })
        .unwrap();
    assert_eq!(
        r,
        Err::<(), _>(JoinError::Panicked {
            message: "inner broke".into()
        })
    );
}

#[test]
fn a_deadlock_report_names_the_shield() {
    let err = fifo()
        .run(async { shield(std::future::pending::<()>()).await })
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("  \"main\" (#1) waits on Shield#1 (shielding #2)\n"),
        "{text}"
    );
    assert!(
        text.contains("  #2 waits on something seedloop cannot see"),
        "{text}"
    );
}

#[test]
fn cancel_with_keeps_the_first_reason_and_counts_requests() {
    let mut sim = fifo();
    sim.run(async {
        let t = spawn(sleep(Duration::from_secs(10)));
        assert_eq!(t.cancelling(), 0);
        t.cancel();
        t.cancel_with("first reason");
        t.cancel_with("second reason");
        assert_eq!(t.cancelling(), 3);
        let err = t.await.unwrap_err();
        assert_eq!(
            err,
            JoinError::CancelledWith {
                reason: "first reason".into()
            }
        );
        assert_eq!(err.to_string(), "task was cancelled: first reason");
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("0.000000 main cancel #2\n"), "{trace}");
    assert!(trace.contains(r#"main Task#2 cancel reason "first reason""#));
    assert!(trace.contains(r#"main Task#2 cancel reason "second reason" (ignored)"#));
}

#[test]
fn cancelling_a_finished_task_counts_nothing() {
    fifo()
        .run(async {
            let t = spawn(async { 1 });
            yield_now().await;
            assert!(t.is_finished());
            t.cancel_with("too late");
            assert_eq!(t.cancelling(), 0);
            assert_eq!(t.await, Ok(1));
        })
        .unwrap();
}

#[test]
fn uncancel_before_the_scheduling_point_lets_the_task_run_on() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let l2 = l.clone();
        let t = spawn(async move {
            sleep(Duration::from_secs(1)).await;
            l2.say("task finished");
            7
        });
        sleep(Duration::from_millis(500)).await;
        t.cancel_with("maybe");
        t.cancel();
        assert_eq!(t.uncancel(), 1); // one request left: still cancelling
        assert_eq!(t.uncancel(), 0); // none left: called off
        assert_eq!(t.uncancel(), 0); // nothing to withdraw
        assert_eq!(t.await, Ok(7));

        // After the cancellation took effect, uncancel changes nothing.
        let u = spawn(sleep(Duration::from_secs(1)));
        u.cancel();
        yield_now().await;
        assert!(u.is_cancelled());
        assert_eq!(u.uncancel(), 1);
        assert_eq!(u.await, Err(JoinError::Cancelled));
    })
    .unwrap();
    assert_eq!(log.lines(), ["1.000 task finished"]);
    let trace = sim.trace().render();
    assert!(trace.contains("0.500000 main Task#2 uncancel 1 pending"));
    assert!(trace.contains("0.500000 main Task#2 uncancel 0 pending"));
}

#[test]
fn on_done_callbacks_run_in_order_in_the_next_turn_with_the_outcome() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let ok = spawn(async {
                sleep(Duration::from_secs(1)).await;
                1
            });
            let cancelled = spawn(async {
                sleep(Duration::from_secs(5)).await;
                2
            });
            for (i, t) in [&ok, &cancelled].into_iter().enumerate() {
                for j in 0..2 {
                    let l = l.clone();
                    t.on_done(move |end| l.say(format!("task {i} callback {j}: {end:?}")));
                }
            }
            cancelled.cancel_with("stop");
            sleep(Duration::from_secs(2)).await;
            // Registered after the end: runs in the next turn.
            let l2 = l.clone();
            ok.on_done(move |end| l2.say(format!("late callback: {end:?}")));
            l.say("registered late");
            yield_now().await;
            assert_eq!(ok.await, Ok(1)); // the output is still there
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            r#"0.000 task 1 callback 0: Err(CancelledWith { reason: "stop" })"#,
            r#"0.000 task 1 callback 1: Err(CancelledWith { reason: "stop" })"#,
            "1.000 task 0 callback 0: Ok(())",
            "1.000 task 0 callback 1: Ok(())",
            "2.000 registered late",
            "2.000 late callback: Ok(())",
        ]
    );
}
