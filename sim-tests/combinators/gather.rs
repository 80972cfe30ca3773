//! gather and try_gather: argument order, first failure by completion order,
//! siblings cancelled (or not), cancellation of the gatherer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use seedloop::task::{gather, try_gather, GatherError};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, timeout, JoinError, Sim};

use crate::common::{fifo, Log};
use crate::snapshot;

type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;

/// Logs when its owner's future is dropped before finishing.
pub struct DropLog {
    pub log: Log,
    pub what: String,
    pub armed: bool,
}

impl Drop for DropLog {
    fn drop(&mut self) {
        if self.armed {
            self.log.say(format!("{} dropped", self.what));
        }
    }
}

/// A future that sleeps `ms`, logs, and returns `v`; logs if dropped first.
fn job<T: 'static>(log: &Log, name: &str, ms: u64, v: T) -> impl Future<Output = T> {
    let log = log.clone();
    let name = name.to_string();
    async move {
        let mut guard = DropLog {
            log: log.clone(),
            what: name.clone(),
            armed: true,
        };
        sleep(Duration::from_millis(ms)).await;
        guard.armed = false;
        log.say(format!("{name} done"));
        v
    }
}

#[test]
fn gather_returns_outputs_in_argument_order() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let out = gather([
            job(&l, "a", 300, 2),
            job(&l, "b", 100, 1),
            job(&l, "c", 200, 3),
        ])
        .await
        .unwrap();
        l.say(format!("gathered {out:?}"));
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 b done",
            "0.200 c done",
            "0.300 a done",
            "0.300 gathered [2, 1, 3]"
        ]
    );
    snapshot!("combinators_gather_order", sim.trace().render());
}

#[test]
fn gather_of_nothing_is_empty_at_once() {
    let at = fifo()
        .run(async {
            let none: Vec<Boxed<u8>> = Vec::new();
            assert_eq!(gather(none).await, Ok(vec![]));
            let none: Vec<Boxed<Result<u8, ()>>> = Vec::new();
            assert_eq!(try_gather(none).await, Ok(vec![]));
            Instant::now()
        })
        .unwrap();
    assert_eq!(at, Instant::ZERO);
}

#[test]
fn gather_collects_err_values_as_values() {
    fifo()
        .run(async {
            let f = |r: Result<u8, &'static str>| async move { r };
            let out = gather([f(Ok(1)), f(Err("no")), f(Ok(3))]).await.unwrap();
            assert_eq!(out, [Ok(1), Err("no"), Ok(3)]);
        })
        .unwrap();
}

#[test]
fn a_panicking_child_cancels_its_siblings_at_that_instant() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = Sim::new(0)
        .policy(seedloop::Policy::Fifo)
        .isolate_panics(true);
    sim.run(async move {
        let boom: Boxed<u32> = Box::pin(async {
            sleep(Duration::from_millis(100)).await;
            panic!("boom")
        });
        let futs: Vec<Boxed<u32>> = vec![
            Box::pin(job(&l, "slow", 10_000, 1)),
            boom,
            Box::pin(job(&l, "slower", 20_000, 2)),
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
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 slow dropped",
            "0.100 slower dropped",
            "0.100 gather failed: gathered future 1: task panicked: boom"
        ]
    );
    let trace = sim.trace().render();
    assert!(trace.contains(r#"main Task#2 cancel reason "Gather#1 failed: future 1 (#3) failed""#));
}

#[test]
fn cancel_on_failure_false_keeps_asyncio_behaviour() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let bad = |ms: u64| async move {
                sleep(Duration::from_millis(ms)).await;
                Err::<u32, String>(format!("failed at {ms}"))
            };
            let futs: Vec<Boxed<Result<u32, String>>> = vec![
                Box::pin(bad(100)),
                Box::pin(async {
                    sleep(Duration::from_secs(1)).await;
                    Ok(1)
                }),
            ];
            let mut futs = futs.into_iter();
            let first = futs.next().unwrap();
            let sibling = futs.next().unwrap();
            let l2 = l.clone();
            let sibling: Boxed<Result<u32, String>> = Box::pin(async move {
                let r = sibling.await;
                l2.say("sibling ran on to the end");
                r
            });
            let err = try_gather(vec![first, sibling])
                .cancel_on_failure(false)
                .await
                .unwrap_err();
            l.say(format!("{err}"));
            sleep(Duration::from_secs(2)).await;
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 gathered future 0 failed: failed at 100",
            "1.000 sibling ran on to the end"
        ]
    );
}

#[test]
fn try_gather_fails_with_the_first_error_in_completion_order() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let f = |name: &str, ms: u64, r: Result<u32, &'static str>| job(&l, name, ms, r);
            let err = try_gather([
                f("a", 300, Err("a failed")),
                f("b", 500, Ok(1)),
                f("c", 200, Err("c failed")),
            ])
            .await
            .unwrap_err();
            assert_eq!(
                err,
                GatherError::Failed {
                    index: 2,
                    error: "c failed"
                }
            );
            assert_eq!(err.index(), 2);
            l.say("returned");
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.200 c done",
            "0.200 a dropped",
            "0.200 b dropped",
            "0.200 returned"
        ]
    );
}

#[test]
fn try_gather_at_one_instant_takes_the_first_to_end_in_the_schedule() {
    // Both fail at 0.1; FIFO runs the one whose timer was set first (index 0).
    let out = fifo()
        .run(async {
            let f = |i: u32| async move {
                sleep(Duration::from_millis(100)).await;
                Err::<(), u32>(i)
            };
            try_gather([f(0), f(1)]).await
        })
        .unwrap();
    assert_eq!(out, Err(GatherError::Failed { index: 0, error: 0 }));
    // Under random schedules the winner is whichever ended first in the trace.
    for seed in 0..16 {
        let mut sim = Sim::new(seed);
        let out = sim
            .run(async {
                let f = |i: u32| async move {
                    sleep(Duration::from_millis(100)).await;
                    Err::<(), u32>(i)
                };
                try_gather([f(0), f(1)]).await
            })
            .unwrap();
        let first_finish = sim
            .trace()
            .render()
            .lines()
            .find(|l| l.ends_with(" finish"))
            .unwrap()
            .to_string();
        let winner = out.unwrap_err().index();
        assert_eq!(
            first_finish,
            format!("0.100000 #{} finish", winner + 2),
            "seed {seed}"
        );
    }
}

#[test]
fn try_gather_all_ok_gives_the_values() {
    fifo()
        .run(async {
            let f = |v: u32| async move {
                sleep(Duration::from_millis(u64::from(10 - v))).await;
                Ok::<u32, ()>(v)
            };
            assert_eq!(try_gather((0..5).map(f)).await, Ok(vec![0, 1, 2, 3, 4]));
            assert_eq!(Instant::now().as_secs_f64(), 0.01);
        })
        .unwrap();
}

#[test]
fn cancelling_a_task_blocked_in_gather_cancels_the_children() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let gatherer = spawn(async move {
                gather([job(&l2, "a", 10_000, 1), job(&l2, "b", 20_000, 2)]).await
            });
            sleep(Duration::from_secs(1)).await;
            gatherer.cancel();
            assert_eq!(gatherer.await, Err(JoinError::Cancelled));
            l.say("gatherer cancelled");
            sleep(Duration::from_secs(30)).await;
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "1.000 a dropped",
            "1.000 b dropped",
            "1.000 gatherer cancelled"
        ]
    );
}

#[test]
fn a_timeout_around_gather_cancels_the_children() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let r = timeout(
                Duration::from_millis(500),
                gather([job(&l, "a", 100, 1), job(&l, "b", 1_000, 2)]),
            )
            .await;
            l.say(format!("timed out: {}", r.is_err()));
        })
        .unwrap();
    // Dropping the gather requests the cancellation; the child's future is
    // dropped at its next scheduling point: the same instant, a step later.
    assert_eq!(
        log.lines(),
        ["0.100 a done", "0.500 timed out: true", "0.500 b dropped"]
    );
}

#[test]
fn a_deadlock_report_names_the_gather_and_its_children() {
    let err = fifo()
        .run(async { gather([std::future::pending::<()>(), std::future::pending()]).await })
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("\"main\" (#1) waits on Gather#1 (waiting for 2 of 2 children: #2, #3)"),
        "{text}"
    );
}
