//! TaskGroup: waiting for children, aborting on the first failure, nested
//! groups, spawn errors, and the owner's cancellation.

use std::time::Duration;

use seedloop::task::{Builder, ChildError, Failure, GroupError, Promise, SpawnError, TaskGroup};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, timeout, JoinError, Policy, Sim};

use crate::common::{fifo, report_head, Log};
use crate::gather::DropLog;
use crate::snapshot;

/// A child that sleeps `ms`, logs, and returns `r`; logs if dropped first.
async fn child<T>(
    log: Log,
    name: &'static str,
    ms: u64,
    r: Result<T, String>,
) -> Result<T, String> {
    let mut guard = DropLog {
        log: log.clone(),
        what: name.to_string(),
        armed: true,
    };
    sleep(Duration::from_millis(ms)).await;
    guard.armed = false;
    log.say(format!("{name} ends"));
    r
}

/// A guard for a body: logs when the body is dropped before it finished.
fn body_guard(log: &Log) -> DropLog {
    DropLog {
        log: log.clone(),
        what: "body".into(),
        armed: true,
    }
}

fn isolated() -> Sim {
    Sim::new(0).policy(Policy::Fifo).isolate_panics(true)
}

fn task_ids(err: &GroupError<String>) -> Vec<String> {
    err.failures()
        .iter()
        .map(|f| f.task().map_or("body".into(), |t| t.to_string()))
        .collect()
}

#[test]
fn the_scope_waits_for_every_child_and_returns_the_body_output() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let out = TaskGroup::scope(|tg| {
                let l = l.clone();
                async move {
                    let a = tg.spawn(child(l.clone(), "a", 200, Ok(2))).unwrap();
                    tg.spawn(child(l.clone(), "b", 500, Ok(5))).unwrap();
                    l.say("body spawned");
                    let a = a.await.unwrap();
                    l.say(format!("body got {a}"));
                    Ok::<_, String>(a * 10)
                }
            })
            .await;
            l.say(format!("scope returned {out:?}"));
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.000 body spawned",
            "0.200 a ends",
            "0.200 body got 2",
            "0.500 b ends",
            "0.500 scope returned Ok(20)"
        ]
    );
}

#[test]
fn a_child_failing_at_100ms_cancels_a_ten_second_sibling_and_the_body_then() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let r = TaskGroup::scope(|tg| {
            let l = l.clone();
            async move {
                let _guard = body_guard(&l);
                tg.spawn_named(
                    "failing",
                    child::<()>(l.clone(), "failing", 100, Err("disk full".into())),
                )
                .unwrap();
                tg.spawn_named("sibling", child(l.clone(), "sibling", 10_000, Ok(())))
                    .unwrap();
                sleep(Duration::from_secs(60)).await;
                l.say("body finished");
                Ok(())
            }
        })
        .await;
        let err = r.unwrap_err();
        l.say(format!("scope failed: {err}"));
        assert_eq!(task_ids(&err), ["#2"]);
        assert_eq!(err.group(), "TaskGroup#1");
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 failing ends",
            "0.100 body dropped",
            "0.100 sibling dropped",
            "0.100 scope failed: TaskGroup#1 failed: #2 returned an error: disk full"
        ]
    );
    let trace = sim.trace().render();
    snapshot!("combinators_taskgroup_abort", trace);
    // docs/structured-concurrency.md shows the objects' own lines.
    snapshot!("docs_combinator_trace_lines", object_lines(&trace));
}

/// The trace lines an object records (`main TaskGroup#1 open`), without the
/// tasks' own (`main poll`, `main spawn #2`).
fn object_lines(trace: &str) -> String {
    let lines: Vec<&str> = trace
        .lines()
        .filter(|line| {
            line.split_whitespace().nth(2).is_some_and(|word| {
                word.starts_with(|c: char| c.is_ascii_uppercase()) && word.contains('#')
            })
        })
        .collect();
    lines.join("\n")
}

#[test]
fn a_panicking_child_is_a_failure() {
    let log = Log::new();
    let l = log.clone();
    isolated()
        .run(async move {
            let err = TaskGroup::scope(|tg| {
                let l = l.clone();
                async move {
                    tg.spawn::<_, ()>(async {
                        sleep(Duration::from_millis(300)).await;
                        panic!("child broke")
                    })
                    .unwrap();
                    tg.spawn(child(l, "other", 1_000, Ok(()))).unwrap();
                    Ok::<(), String>(())
                }
            })
            .await
            .unwrap_err();
            assert!(
                matches!(err.failures(), [Failure::Panicked { message, .. }] if message == "child broke"),
                "{err:?}"
            );
            assert_eq!(err.failures()[0].task().unwrap().to_string(), "#2");
            assert_eq!(Instant::now().as_secs_f64(), 0.3);
        })
        .unwrap();
    assert_eq!(log.lines(), ["0.300 other dropped"]);
}

#[test]
fn failures_in_the_same_turn_are_all_listed_in_completion_order() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let err = TaskGroup::scope(|tg| {
                let l = l.clone();
                async move {
                    tg.spawn(child::<()>(l.clone(), "x", 100, Err("x broke".into())))
                        .unwrap();
                    tg.spawn(child(l.clone(), "slow", 10_000, Ok(()))).unwrap();
                    tg.spawn(child::<()>(l.clone(), "y", 100, Err("y broke".into())))
                        .unwrap();
                    Ok(())
                }
            })
            .await
            .unwrap_err();
            l.say(err.to_string());
            assert_eq!(task_ids(&err), ["#2", "#4"]);
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 x ends",
            "0.100 y ends",
            "0.100 slow dropped",
            "0.100 TaskGroup#1 failed: #2 returned an error: x broke; #4 returned an error: y broke"
        ]
    );
}

#[test]
fn cancelling_one_child_does_not_abort_the_group() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let out = TaskGroup::scope(|tg| {
                let l = l.clone();
                async move {
                    let slow = tg.spawn(child(l.clone(), "slow", 10_000, Ok(1))).unwrap();
                    let fast = tg.spawn(child(l.clone(), "fast", 200, Ok(2))).unwrap();
                    sleep(Duration::from_millis(100)).await;
                    slow.cancel_with("not needed");
                    assert_eq!(slow.cancelling(), 1);
                    let r = slow.await;
                    l.say(format!("slow: {r:?}"));
                    Ok::<_, String>(fast.await.unwrap())
                }
            })
            .await;
            l.say(format!("scope: {out:?}"));
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 slow dropped",
            r#"0.100 slow: Err(Join(CancelledWith { reason: "not needed" }))"#,
            "0.200 fast ends",
            "0.200 scope: Ok(2)"
        ]
    );
}

#[test]
fn a_body_error_cancels_the_children() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let err = TaskGroup::scope(|tg| {
                let l = l.clone();
                async move {
                    tg.spawn(child(l.clone(), "worker", 10_000, Ok(())))
                        .unwrap();
                    sleep(Duration::from_millis(250)).await;
                    Err::<(), String>("bad input".into())
                }
            })
            .await
            .unwrap_err();
            l.say(err.to_string());
            assert_eq!(err.failures(), [Failure::Body("bad input".to_string())]);
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.250 worker dropped",
            "0.250 TaskGroup#1 failed: the body returned an error: bad input"
        ]
    );
}

#[test]
fn spawning_into_an_aborting_or_finished_group_is_an_error() {
    struct SpawnOnDrop(TaskGroup<String>, Log);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let r = self.0.spawn(async { Ok(()) });
            self.1.say(format!("spawn while aborting: {r:?}"));
        }
    }
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let mut kept = None;
            let err = TaskGroup::scope(|tg| {
                kept = Some(tg.clone());
                let l = l.clone();
                async move {
                    let _guard = SpawnOnDrop(tg.clone(), l.clone());
                    tg.spawn(child::<()>(l.clone(), "failing", 100, Err("no".into())))
                        .unwrap();
                    sleep(Duration::from_secs(1)).await;
                    Ok(())
                }
            })
            .await
            .unwrap_err();
            assert_eq!(err.failures().len(), 1);
            let late = kept.unwrap().spawn(async { Ok(()) }).unwrap_err();
            l.say(format!("spawn after the end: {late}"));
            assert_eq!(
                late,
                SpawnError::Closed {
                    group: "TaskGroup#1".into()
                }
            );
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 failing ends",
            r#"0.100 spawn while aborting: Err(Aborting { group: "TaskGroup#1" })"#,
            "0.100 spawn after the end: TaskGroup#1 has ended: spawn into a group only while its \
             scope runs (from its body or its children); use seedloop::spawn for a task that \
             outlives it"
        ]
    );
}

#[test]
fn nested_groups_propagate_a_failure_outwards() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let err = TaskGroup::scope(|outer| {
            let l = l.clone();
            async move {
                outer
                    .spawn_named("outer-slow", child(l.clone(), "outer-slow", 10_000, Ok(())))
                    .unwrap();
                let l2 = l.clone();
                outer
                    .spawn_named("inner-runner", async move {
                        let r = TaskGroup::scope(|inner| async move {
                            inner
                                .spawn_named(
                                    "inner-failing",
                                    child::<()>(
                                        l2.clone(),
                                        "inner-failing",
                                        100,
                                        Err("inner broke".into()),
                                    ),
                                )
                                .unwrap();
                            inner
                                .spawn_named(
                                    "inner-slow",
                                    child(l2.clone(), "inner-slow", 5_000, Ok(())),
                                )
                                .unwrap();
                            Ok(())
                        })
                        .await;
                        r.map_err(|e| e.to_string())
                    })
                    .unwrap();
                Ok(())
            }
        })
        .await
        .unwrap_err();
        l.say(err.to_string());
        assert_eq!(task_ids(&err), ["#3"]);
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 inner-failing ends",
            "0.100 inner-slow dropped",
            "0.100 outer-slow dropped",
            "0.100 TaskGroup#1 failed: #3 returned an error: TaskGroup#2 failed: #4 returned an \
             error: inner broke"
        ]
    );
    snapshot!("combinators_taskgroup_nested", sim.trace().render());
}

#[test]
fn the_owners_cancellation_is_never_swallowed() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let owner = Builder::new().name("owner").spawn(async move {
                let r = TaskGroup::scope(|tg| {
                    let l = l2.clone();
                    async move {
                        tg.spawn(child(l.clone(), "a", 10_000, Ok(()))).unwrap();
                        tg.spawn(child(l.clone(), "b", 20_000, Ok(()))).unwrap();
                        Ok::<_, String>(())
                    }
                })
                .await;
                l2.say(format!("owner went on after the scope: {r:?}"));
            });
            sleep(Duration::from_secs(1)).await;
            owner.cancel_with("shutdown");
            assert_eq!(owner.cancelling(), 1);
            let r = owner.await;
            l.say(format!("owner: {r:?}"));
            sleep(Duration::from_secs(30)).await;
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "1.000 a dropped",
            "1.000 b dropped",
            r#"1.000 owner: Err(CancelledWith { reason: "shutdown" })"#
        ]
    );
}

#[test]
fn an_owner_cancelled_in_the_turn_a_child_fails_ends_cancelled() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let owner = Builder::new().name("owner").spawn(async move {
                let r = TaskGroup::scope(|tg| {
                    let l = l2.clone();
                    async move {
                        tg.spawn(child::<()>(l.clone(), "failing", 1_000, Err("x".into())))
                            .unwrap();
                        tg.spawn(child(l.clone(), "other", 9_000, Ok(()))).unwrap();
                        Ok(())
                    }
                })
                .await;
                l2.say(format!("owner saw {r:?}"));
            });
            // Main's timer was set first: at 1.0 main cancels the owner, then
            // the child fails, then the owner would collect the failure.
            sleep(Duration::from_secs(1)).await;
            owner.cancel();
            let r = owner.await;
            l.say(format!("owner: {r:?}"));
            assert_eq!(r, Err(JoinError::Cancelled));
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "1.000 failing ends",
            "1.000 other dropped",
            "1.000 owner: Err(Cancelled)"
        ]
    );
}

#[test]
fn children_may_spawn_siblings_while_the_group_joins() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let out = TaskGroup::scope(|tg| {
                let l = l.clone();
                async move {
                    let tg2 = tg.clone();
                    let l2 = l.clone();
                    tg.spawn(async move {
                        sleep(Duration::from_millis(500)).await;
                        tg2.spawn(child(l2.clone(), "grandchild", 500, Ok(())))
                            .unwrap();
                        l2.say("child spawned a sibling");
                        Ok(())
                    })
                    .unwrap();
                    l.say("body done");
                    Ok::<_, String>("body output")
                }
            })
            .await;
            l.say(format!("scope: {out:?}"));
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.000 body done",
            "0.500 child spawned a sibling",
            "1.000 grandchild ends",
            r#"1.000 scope: Ok("body output")"#
        ]
    );
}

#[test]
fn a_timeout_around_a_scope_cancels_the_body_and_children() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let r = timeout(
                Duration::from_secs(1),
                TaskGroup::scope(|tg| async move {
                    let _guard = body_guard(&l2);
                    tg.spawn(child(l2.clone(), "worker", 5_000, Ok(())))
                        .unwrap();
                    sleep(Duration::from_secs(3)).await;
                    Ok::<_, String>(())
                }),
            )
            .await;
            l.say(format!("timed out: {}", r.is_err()));
            sleep(Duration::from_secs(1)).await;
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "1.000 body dropped",
            "1.000 timed out: true",
            "1.000 worker dropped"
        ]
    );
}

#[test]
fn a_handle_of_a_failed_child_says_so() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let _ = TaskGroup::scope(|tg| {
                let l = l.clone();
                async move {
                    let h = tg
                        .spawn(child::<u8>(l.clone(), "failing", 100, Err("no".into())))
                        .unwrap();
                    let l2 = l.clone();
                    // An observer outside the group holds the handle.
                    spawn(async move { l2.say(format!("observer: {:?}", h.await)) }).detach();
                    Ok(())
                }
            })
            .await;
            sleep(Duration::from_secs(1)).await;
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        ["0.100 failing ends", "0.100 observer: Err(Failed)"]
    );
    assert_eq!(
        ChildError::Failed.to_string(),
        "the child returned an error, which its task group reports in its GroupError"
    );
}

#[test]
fn a_deadlock_report_names_the_group_and_its_children() {
    let err = fifo()
        .run(async {
            TaskGroup::scope(|tg| async move {
                tg.spawn_named("stuck", async {
                    let p: Promise<()> = Promise::new();
                    let _keep = p.clone();
                    p.wait().await.map_err(|_| ())
                })
                .unwrap();
                Ok::<_, ()>(())
            })
            .await
        })
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "  \"main\" (#1) waits on TaskGroup#1 (waiting for 1 of 1 children: \"stuck\")\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  \"stuck\" (#2) waits on Promise#2 (unset)\n"),
        "{text}"
    );
    // docs/structured-concurrency.md shows the report's head.
    snapshot!("docs_combinator_deadlock_report", report_head(&text));
}
