//! The TaskGroup scenarios of `combinators/group.rs` that do not depend on
//! exact virtual times, run under sim and real mode by one body each: the
//! first failure cancels the siblings and the body, nested groups, the
//! owner's cancellation, spawn errors, a timeout around a scope. As in
//! `combinators.rs`, orders are forced by the program's own waits
//! (relays, gates, children that end at once); sleeps only make time pass.

use seedloop::sync::Event;
use seedloop::task::{Builder, ChildError, Failure, GroupError, Promise, SpawnError, TaskGroup};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, timeout, yield_now, JoinError};

use crate::harness::{gated, leg, DropLog, Lines, Relay};

fn failed_tasks(err: &GroupError<String>) -> Vec<String> {
    err.failures()
        .iter()
        .map(|f| f.task().map_or("body".into(), |t| t.to_string()))
        .collect()
}

crate::conformance! {
    async fn a_task_group_waits_for_every_child_and_returns_the_body_output(env: Env) {
        let l = Lines::new();
        let (relay, gate) = (Relay::new(1), Event::new());
        let lb = l.clone();
        let out = TaskGroup::scope(|tg| async move {
            let a = tg.spawn(leg(env, &lb, &relay, 0, "a", Ok(2))).unwrap();
            tg.spawn(gated(&lb, &gate, "b", Ok(5))).unwrap();
            lb.say("body spawned");
            let a = a.await.unwrap();
            lb.say(format!("body got {a}"));
            gate.set();
            Ok::<_, String>(a * 10)
        })
        .await;
        l.say(format!("scope returned {out:?}"));
        assert_eq!(
            l.lines(),
            ["body spawned", "a done", "body got 2", "b done", "scope returned Ok(20)"]
        );
    }

    async fn a_failing_child_cancels_its_siblings_and_the_body(env: Env) {
        let l = Lines::new();
        let (relay, never) = (Relay::new(1), Event::new());
        let lb = l.clone();
        let r = TaskGroup::scope(|tg| async move {
            let _guard = DropLog::new(&lb, "body");
            let failing = leg(env, &lb, &relay, 0, "failing", Err::<(), _>("disk full".into()));
            tg.spawn_named("failing", failing).unwrap();
            tg.spawn_named("sibling", gated(&lb, &never, "sibling", Ok(()))).unwrap();
            never.wait().await;
            Ok(())
        })
        .await;
        let err = r.unwrap_err();
        l.say(format!("scope failed: {err}"));
        assert_eq!(failed_tasks(&err), ["#2"]);
        assert_eq!(
            l.lines(),
            [
                "failing done",
                "body dropped",
                "sibling dropped",
                format!("scope failed: {} failed: #2 returned an error: disk full", err.group())
                    .as_str()
            ]
        );
    }

    async fn a_panicking_child_is_a_group_failure(env: Env) {
        let l = Lines::new();
        let never = Event::new();
        let lb = l.clone();
        let err = TaskGroup::scope(|tg| async move {
            tg.spawn::<_, ()>(async move {
                sleep(env.units(1.0)).await;
                panic!("child broke")
            })
            .unwrap();
            tg.spawn(gated(&lb, &never, "other", Ok(()))).unwrap();
            Ok::<(), String>(())
        })
        .await
        .unwrap_err();
        assert!(
            matches!(
                err.failures(),
                [Failure::Panicked { message, .. }] if message == "child broke"
            ),
            "{err:?}"
        );
        assert_eq!(l.lines(), ["other dropped"]);
    }

    async fn group_failures_in_the_same_turn_are_all_listed_in_completion_order(env: Env) {
        let _ = env;
        let l = Lines::new();
        let (gate, never) = (Event::new(), Event::new());
        let lb = l.clone();
        let err = TaskGroup::scope(|tg| async move {
            tg.spawn(gated(&lb, &gate, "x", Err::<(), _>("x broke".to_string()))).unwrap();
            tg.spawn(gated(&lb, &never, "slow", Ok(()))).unwrap();
            tg.spawn(gated(&lb, &gate, "y", Err::<(), _>("y broke".to_string()))).unwrap();
            yield_now().await; // the children wait
            gate.set(); // x and y fail in the same turn
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(failed_tasks(&err), ["#2", "#4"]);
        assert!(err.to_string().ends_with(
            "failed: #2 returned an error: x broke; #4 returned an error: y broke"
        ));
        assert_eq!(l.lines(), ["x done", "y done", "slow dropped"]);
    }

    async fn cancelling_one_child_does_not_abort_the_group(env: Env) {
        let l = Lines::new();
        let (relay, gate, never) = (Relay::new(1), Event::new(), Event::new());
        let lb = l.clone();
        let out = TaskGroup::scope(|tg| async move {
            let slow = tg.spawn(gated(&lb, &never, "slow", Ok(1))).unwrap();
            let (g, lf) = (gate.clone(), lb.clone());
            let fast = tg
                .spawn(async move {
                    g.wait().await;
                    Ok(leg(env, &lf, &relay, 0, "fast", 2).await)
                })
                .unwrap();
            yield_now().await;
            slow.cancel_with("not needed");
            assert_eq!(slow.cancelling(), 1);
            let r = slow.await;
            assert_eq!(
                r,
                Err(ChildError::Join(JoinError::CancelledWith {
                    reason: "not needed".into()
                }))
            );
            gate.set();
            Ok::<_, String>(fast.await.unwrap())
        })
        .await;
        l.say(format!("scope: {out:?}"));
        assert_eq!(l.lines(), ["slow dropped", "fast done", "scope: Ok(2)"]);
    }

    async fn a_body_error_cancels_the_children(env: Env) {
        let l = Lines::new();
        let never = Event::new();
        let lb = l.clone();
        let err = TaskGroup::scope(|tg| async move {
            tg.spawn(gated(&lb, &never, "worker", Ok(()))).unwrap();
            sleep(env.units(1.0)).await;
            Err::<(), String>("bad input".into())
        })
        .await
        .unwrap_err();
        assert_eq!(err.failures(), [Failure::Body("bad input".to_string())]);
        assert_eq!(l.lines(), ["worker dropped"]);
    }

    async fn spawning_into_an_aborting_or_finished_group_is_an_error(env: Env) {
        struct SpawnOnDrop(TaskGroup<String>, Lines);
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let r = self.0.spawn(async { Ok(()) });
                self.1.say(format!("spawn while aborting: {:?}", r.map(|_| ())));
            }
        }
        let l = Lines::new();
        let (relay, never) = (Relay::new(1), Event::new());
        let mut kept = None;
        let lb = l.clone();
        let err = TaskGroup::scope(|tg| {
            kept = Some(tg.clone());
            async move {
                let _guard = SpawnOnDrop(tg.clone(), lb.clone());
                tg.spawn(leg(env, &lb, &relay, 0, "failing", Err::<(), _>("no".into())))
                    .unwrap();
                never.wait().await;
                Ok(())
            }
        })
        .await
        .unwrap_err();
        assert_eq!(err.failures().len(), 1);
        let group = err.group().to_string();
        let late = kept.unwrap().spawn(async { Ok(()) }).map(|_| ()).unwrap_err();
        assert_eq!(late, SpawnError::Closed { group: group.clone() });
        assert_eq!(
            l.lines(),
            [
                "failing done".to_string(),
                format!("spawn while aborting: Err(Aborting {{ group: {group:?} }})")
            ]
        );
    }

    async fn nested_task_groups_propagate_a_failure_outwards(env: Env) {
        let l = Lines::new();
        let (relay, never) = (Relay::new(1), Event::new());
        let lb = l.clone();
        let err = TaskGroup::scope(|outer| async move {
            outer
                .spawn_named("outer-slow", gated(&lb, &never, "outer-slow", Ok(())))
                .unwrap();
            let broke = Err::<(), String>("inner broke".into());
            let failing = leg(env, &lb, &relay, 0, "inner-failing", broke);
            let inner_slow = gated(&lb, &never, "inner-slow", Ok(()));
            outer
                .spawn_named("inner-runner", async move {
                    TaskGroup::scope(|inner| async move {
                        inner.spawn_named("inner-failing", failing).unwrap();
                        inner.spawn_named("inner-slow", inner_slow).unwrap();
                        Ok(())
                    })
                    .await
                    .map_err(|e| e.to_string())
                })
                .unwrap();
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(failed_tasks(&err), ["#3"]);
        assert!(err.to_string().contains("#3 returned an error: TaskGroup#"));
        assert!(err.to_string().ends_with("#4 returned an error: inner broke"));
        assert_eq!(
            l.lines(),
            ["inner-failing done", "inner-slow dropped", "outer-slow dropped"]
        );
    }

    async fn the_group_owners_cancellation_is_never_swallowed(env: Env) {
        let _ = env;
        let l = Lines::new();
        let (never, entered) = (Event::new(), Event::new());
        let (lo, e) = (l.clone(), entered.clone());
        let owner = Builder::new().name("owner").spawn(async move {
            let lb = lo.clone();
            let r = TaskGroup::scope(|tg| async move {
                tg.spawn(gated(&lb, &never, "a", Ok(()))).unwrap();
                tg.spawn(gated(&lb, &never, "b", Ok(()))).unwrap();
                e.set();
                Ok::<_, String>(())
            })
            .await;
            lo.say(format!("owner went on after the scope: {r:?}"));
        });
        entered.wait().await;
        owner.cancel_with("shutdown");
        assert_eq!(owner.cancelling(), 1);
        let r = owner.await;
        l.say(format!("owner: {r:?}"));
        assert_eq!(
            l.lines(),
            ["a dropped", "b dropped", r#"owner: Err(CancelledWith { reason: "shutdown" })"#]
        );
    }

    async fn a_group_owner_cancelled_in_the_turn_a_child_fails_ends_cancelled(env: Env) {
        let _ = env;
        let l = Lines::new();
        let (gate, never, entered) = (Event::new(), Event::new(), Event::new());
        let (lo, g, e) = (l.clone(), gate.clone(), entered.clone());
        let owner = Builder::new().name("owner").spawn(async move {
            let lb = lo.clone();
            let r = TaskGroup::scope(|tg| async move {
                tg.spawn(gated(&lb, &g, "failing", Err::<(), _>("x".to_string()))).unwrap();
                tg.spawn(gated(&lb, &never, "other", Ok(()))).unwrap();
                e.set();
                Ok(())
            })
            .await;
            lo.say(format!("owner saw {r:?}"));
        });
        entered.wait().await;
        // In one step: the child will fail, and the owner is cancelled.
        gate.set();
        owner.cancel();
        let r = owner.await;
        l.say(format!("owner: {r:?}"));
        assert_eq!(l.lines(), ["failing done", "other dropped", "owner: Err(Cancelled)"]);
    }

    async fn group_children_may_spawn_siblings_while_the_group_joins(env: Env) {
        let l = Lines::new();
        let start = Instant::now();
        let lb = l.clone();
        let out = TaskGroup::scope(|tg| async move {
            let (tg2, l2) = (tg.clone(), lb.clone());
            tg.spawn(async move {
                sleep(env.units(1.0)).await;
                let relay = Relay::new(1);
                tg2.spawn(leg(env, &l2, &relay, 0, "grandchild", Ok(()))).unwrap();
                l2.say("child spawned a sibling");
                Ok(())
            })
            .unwrap();
            lb.say("body done");
            Ok::<_, String>("body output")
        })
        .await;
        l.say(format!("scope: {out:?}"));
        assert!(Instant::now() - start >= env.units(2.0));
        assert_eq!(
            l.lines(),
            [
                "body done",
                "child spawned a sibling",
                "grandchild done",
                r#"scope: Ok("body output")"#
            ]
        );
    }

    async fn a_timeout_around_a_group_scope_cancels_the_body_and_children(env: Env) {
        let l = Lines::new();
        let never = Event::new();
        let lb = l.clone();
        let start = Instant::now();
        let r = timeout(
            env.units(1.0),
            TaskGroup::scope(|tg| async move {
                let _guard = DropLog::new(&lb, "body");
                tg.spawn(gated(&lb, &never, "worker", Ok(()))).unwrap();
                never.wait().await;
                Ok::<_, String>(())
            }),
        )
        .await;
        l.say(format!("timed out: {}", r.is_err()));
        assert!(Instant::now() - start >= env.units(1.0));
        yield_now().await; // the worker is dropped at its next scheduling point
        assert_eq!(l.lines(), ["body dropped", "timed out: true", "worker dropped"]);
    }

    async fn a_handle_of_a_failed_group_child_says_so(env: Env) {
        let l = Lines::new();
        let relay = Relay::new(1);
        let (lb, observed) = (l.clone(), Promise::<()>::new());
        let o = observed.clone();
        let _ = TaskGroup::scope(|tg| async move {
            let h = tg.spawn(leg(env, &lb, &relay, 0, "failing", Err::<u8, _>("no".to_string())))
                .unwrap();
            // An observer outside the group holds the handle.
            spawn(async move {
                lb.say(format!("observer: {:?}", h.await));
                o.set(()).unwrap();
            })
            .detach();
            Ok(())
        })
        .await;
        observed.wait().await.unwrap();
        assert_eq!(l.lines(), ["failing done", "observer: Err(Failed)"]);
    }
}
