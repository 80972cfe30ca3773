//! wait (ReturnWhen, timeout, given order, never cancels) and as_completed
//! (completion order, ties, timeout, dropping).

use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use seedloop::task::{as_completed, try_wait, wait, AsCompletedError, ReturnWhen, WaitError};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, task::Builder, JoinError, Policy, Sim, Task};

use crate::common::{fifo, Log};
use crate::snapshot;

async fn after<T>(ms: u64, v: T) -> T {
    sleep(Duration::from_millis(ms)).await;
    v
}

fn named<T: 'static>(name: &str, ms: u64, v: T) -> Task<T> {
    Builder::new().name(name).spawn(after(ms, v))
}

fn ids<T>(tasks: &[Task<T>]) -> Vec<String> {
    tasks
        .iter()
        .map(|t| t.name().unwrap().to_string())
        .collect()
}

#[test]
fn first_completed_returns_at_the_first_end_with_the_rest_pending() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let tasks = [named("fast", 100, 1), named("slow", 200, 2)];
        let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await.unwrap();
        l.say(format!("done {:?} pending {:?}", ids(&done), ids(&pending)));
        for t in pending {
            assert!(!t.is_finished());
            l.say(format!("pending one gave {:?}", t.await));
        }
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            r#"0.100 done ["fast"] pending ["slow"]"#,
            "0.200 pending one gave Ok(2)"
        ]
    );
    snapshot!("combinators_wait_first_completed", sim.trace().render());
}

#[test]
fn first_error_returns_at_the_moment_of_the_first_error() {
    fifo()
        .run(async {
            let tasks = [
                named("ok-early", 100, Ok(1)),
                named("fails", 200, Err("no")),
                named("ok-late", 300, Ok(3)),
            ];
            let (done, pending) = try_wait(tasks, ReturnWhen::FirstError, None).await.unwrap();
            assert_eq!(Instant::now().as_secs_f64(), 0.2);
            assert_eq!(ids(&done), ["ok-early", "fails"]);
            assert_eq!(ids(&pending), ["ok-late"]);

            // No error at all: it returns when everything has ended.
            let tasks = [named("a", 100, Ok::<u8, ()>(1)), named("b", 300, Ok(2))];
            let (done, pending) = try_wait(tasks, ReturnWhen::FirstError, None).await.unwrap();
            assert_eq!(Instant::now().as_secs_f64(), 0.5);
            assert_eq!((done.len(), pending.len()), (2, 0));

            // With plain `wait`, an Err output is just an output.
            let tasks = [named("e", 100, Err::<u8, ()>(())), named("f", 300, Ok(2))];
            let (done, _) = wait(tasks, ReturnWhen::FirstError, None).await.unwrap();
            assert_eq!(Instant::now().as_secs_f64(), 0.8);
            assert_eq!(done.len(), 2);
        })
        .unwrap();
}

#[test]
fn first_error_counts_a_panic_but_not_a_cancellation() {
    Sim::new(0)
        .policy(Policy::Fifo)
        .isolate_panics(true)
        .run(async {
            let cancelled = named("cancelled", 1_000, 0);
            cancelled.cancel();
            let panics = Builder::new().name("panics").spawn(async {
                sleep(Duration::from_millis(200)).await;
                panic!("boom")
            });
            let tasks = [cancelled, panics, named("slow", 500, 2)];
            let (done, pending) = wait(tasks, ReturnWhen::FirstError, None).await.unwrap();
            assert_eq!(Instant::now().as_secs_f64(), 0.2);
            assert_eq!(ids(&done), ["cancelled", "panics"]);
            assert_eq!(ids(&pending), ["slow"]);
            let mut done = done.into_iter();
            assert_eq!(done.next().unwrap().await, Err(JoinError::Cancelled));
            assert!(done.next().unwrap().await.unwrap_err().is_panic());
        })
        .unwrap();
}

#[test]
fn all_completed_returns_at_the_last_end_in_the_given_order() {
    fifo()
        .run(async {
            let tasks = [named("c", 300, 3), named("a", 100, 1), named("b", 200, 2)];
            let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, None).await.unwrap();
            assert_eq!(Instant::now().as_secs_f64(), 0.3);
            assert_eq!(ids(&done), ["c", "a", "b"]);
            assert!(pending.is_empty());
            let mut outs = Vec::new();
            for t in done {
                outs.push(t.await.unwrap());
            }
            assert_eq!(outs, [3, 1, 2]);
        })
        .unwrap();
}

#[test]
fn a_timeout_returns_what_is_done_and_cancels_nothing() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let tasks = [named("a", 100, 1), named("b", 200, 2), named("c", 300, 3)];
            let (done, pending) = wait(
                tasks,
                ReturnWhen::AllCompleted,
                Some(Duration::from_millis(150)),
            )
            .await
            .unwrap();
            l.say(format!("done {:?} pending {:?}", ids(&done), ids(&pending)));
            for t in pending {
                l.say(format!("{:?}", t.await));
            }
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            r#"0.150 done ["a"] pending ["b", "c"]"#,
            "0.200 Ok(2)",
            "0.300 Ok(3)"
        ]
    );
}

#[test]
fn tasks_ending_in_the_same_turn_are_all_done() {
    fifo()
        .run(async {
            let tasks = [named("x", 100, 1), named("y", 100, 2), named("z", 200, 3)];
            let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await.unwrap();
            assert_eq!(ids(&done), ["x", "y"]);
            assert_eq!(ids(&pending), ["z"]);
        })
        .unwrap();
}

#[test]
fn waiting_on_nothing_is_an_error() {
    fifo()
        .run(async {
            let none: Vec<Task<u8>> = Vec::new();
            let err = wait(
                none,
                ReturnWhen::FirstCompleted,
                Some(Duration::from_secs(1)),
            )
            .await
            .unwrap_err();
            assert_eq!(err, WaitError::Empty);
            assert!(err.to_string().starts_with("wait() was given no tasks"));
            assert_eq!(Instant::now(), Instant::ZERO);
        })
        .unwrap();
}

#[test]
fn cancelling_a_task_blocked_in_wait_drops_the_handles_it_holds() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let waiter = spawn(async move {
                let tasks = [named("a", 5_000, 1)];
                let _ = wait(tasks, ReturnWhen::AllCompleted, None).await;
                l2.say("never");
            });
            sleep(Duration::from_secs(1)).await;
            waiter.cancel();
            assert_eq!(waiter.await, Err(JoinError::Cancelled));
            l.say("waiter cancelled");
            sleep(Duration::from_secs(10)).await;
        })
        .unwrap();
    assert_eq!(log.lines(), ["1.000 waiter cancelled"]);
}

#[test]
fn a_deadlock_report_names_the_wait() {
    let err = fifo()
        .run(async {
            let stuck = Builder::new()
                .name("stuck")
                .spawn(std::future::pending::<()>());
            wait([stuck], ReturnWhen::FirstCompleted, None).await
        })
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("\"main\" (#1) waits on Wait#1 (first_completed: \"stuck\")"),
        "{text}"
    );
}

#[test]
fn as_completed_yields_in_completion_order() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let mut s = as_completed([after(300, "c"), after(100, "a"), after(200, "b")]);
            assert_eq!(s.remaining(), 3);
            while let Some(v) = s.next().await {
                l.say(v.unwrap());
            }
        })
        .unwrap();
    assert_eq!(log.lines(), ["0.100 a", "0.200 b", "0.300 c"]);
}

#[test]
fn as_completed_keeps_the_order_of_children_that_ended_before_the_first_poll() {
    fifo()
        .run(async {
            let s = as_completed([after(300, 3), after(100, 1), after(200, 2)]);
            sleep(Duration::from_secs(1)).await; // every child ends meanwhile
            let out: Vec<u32> = s.map(Result::unwrap).collect().await;
            assert_eq!(out, [1, 2, 3]);
            assert_eq!(Instant::now().as_secs_f64(), 1.0);
        })
        .unwrap();
}

#[test]
fn as_completed_with_a_timeout_yields_what_finished_then_elapsed() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let mut s = as_completed([after(900, "slow"), after(100, "a"), after(200, "b")])
            .timeout(Duration::from_millis(500));
        while let Some(item) = s.next().await {
            match item {
                Ok(v) => l.say(v),
                Err(e) => l.say(e.to_string()),
            }
        }
        let rest = s.into_pending();
        l.say(format!("{} still running", rest.len()));
        for t in rest {
            l.say(t.await.unwrap());
        }
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.100 a",
            "0.200 b",
            "0.500 as_completed: deadline has elapsed (at 0.500000)",
            "0.500 1 still running",
            "0.900 slow"
        ]
    );
    snapshot!("combinators_as_completed_timeout", sim.trace().render());
}

#[test]
fn as_completed_breaks_ties_by_the_order_of_ending_in_the_schedule() {
    let out = fifo()
        .run(async {
            as_completed((0..4).map(|i| after(100, i)))
                .map(Result::unwrap)
                .collect::<Vec<u32>>()
                .await
        })
        .unwrap();
    assert_eq!(out, [0, 1, 2, 3]);
    for seed in 0..16 {
        let mut sim = Sim::new(seed);
        let out = sim
            .run(async {
                as_completed((0..4).map(|i| after(100, i)))
                    .map(Result::unwrap)
                    .collect::<Vec<u64>>()
                    .await
            })
            .unwrap();
        let trace = sim.trace().render();
        let ended: Vec<u64> = trace
            .lines()
            .filter_map(|l| l.strip_prefix("0.100000 #")?.strip_suffix(" finish"))
            .map(|id| id.parse::<u64>().unwrap() - 2)
            .collect();
        assert_eq!(out, ended, "seed {seed}");
    }
}

#[test]
fn a_panicking_child_yields_its_error_in_place_and_the_rest_go_on() {
    let items = Sim::new(0)
        .policy(Policy::Fifo)
        .isolate_panics(true)
        .run(async {
            let futs: Vec<std::pin::Pin<Box<dyn Future<Output = u32>>>> = vec![
                Box::pin(after(300, 3)),
                Box::pin(async {
                    sleep(Duration::from_millis(100)).await;
                    panic!("boom")
                }),
                Box::pin(after(200, 2)),
            ];
            as_completed(futs).collect::<Vec<_>>().await
        })
        .unwrap();
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

#[test]
fn dropping_the_stream_cancels_the_children_still_running() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let l2 = l.clone();
        let consumer = spawn(async move {
            let mut s = as_completed([after(100, 1), after(5_000, 2)]);
            while let Some(v) = s.next().await {
                l2.say(format!("got {}", v.unwrap()));
            }
        });
        sleep(Duration::from_secs(1)).await;
        consumer.cancel();
        assert!(consumer.await.unwrap_err().is_cancelled());
        sleep(Duration::from_secs(10)).await;
        l.say("end");
    })
    .unwrap();
    assert_eq!(log.lines(), ["0.100 got 1", "11.000 end"]);
    // Consumer #2; children #3 and #4. The slow child goes with the stream.
    let trace = sim.trace().render();
    assert!(
        trace.contains("1.000000 #2 AsCompleted#1 drop cancels [#4]"),
        "{trace}"
    );
    assert!(trace.contains("1.000000 #4 cancelled"), "{trace}");
    assert!(!trace.contains("#4 finish"), "{trace}");
}
