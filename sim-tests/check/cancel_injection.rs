//! Cancellation at the worst moment (`Check::inject_cancels`): the cancel
//! choice is logged, lands where it says, replays from the schedule string,
//! shrinks toward "never", and is enumerated by exhaustive search.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use seedloop::check::{Check, CheckError, CheckFailure};
use seedloop::sim::ChoiceKind;
use seedloop::task::{Builder, TaskGroup};
use seedloop::{sleep, spawn, timeout, yield_now, JoinError, Policy, Sim, SimError};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn failed(r: Result<seedloop::check::CheckSummary, CheckError>) -> Box<CheckFailure> {
    match r {
        Err(CheckError::Failed(f)) => f,
        Err(other) => panic!("expected a failing schedule, got {other}"),
        Ok(summary) => panic!("expected a failing schedule, but {summary}"),
    }
}

/// A marked worker that notes each step it completes: three awaits.
async fn three_steps(steps: Rc<Cell<u32>>) -> Result<u32, JoinError> {
    let s = steps.clone();
    let worker = Builder::new()
        .name("worker")
        .cancellable_by_check(true)
        .spawn(async move {
            for _ in 0..3 {
                sleep(ms(1)).await;
                s.set(s.get() + 1);
            }
            s.get()
        });
    worker.await
}

fn cancel_choices(sim: &Sim) -> Vec<(u64, u64)> {
    sim.schedule()
        .choices()
        .iter()
        .filter(|c| c.kind == ChoiceKind::Cancel)
        .map(|c| (c.options, c.picked))
        .collect()
}

#[test]
fn without_the_option_a_mark_makes_no_choice_and_changes_nothing() {
    for seed in 0..20 {
        let mut marked = Sim::new(seed);
        let steps = Rc::new(Cell::new(0));
        assert_eq!(marked.run(three_steps(steps.clone())).unwrap(), Ok(3));
        assert!(cancel_choices(&marked).is_empty());
        // The same program unmarked records the same schedule and trace.
        let mut plain = Sim::new(seed);
        plain
            .run(async {
                Builder::new()
                    .name("worker")
                    .spawn(async {
                        for _ in 0..3 {
                            sleep(ms(1)).await;
                        }
                    })
                    .await
            })
            .unwrap()
            .unwrap();
        assert_eq!(marked.schedule().to_string(), plain.schedule().to_string());
        assert_eq!(marked.trace().render(), plain.trace().render());
    }
}

#[test]
fn option_k_cancels_the_task_as_it_suspends_at_its_kth_await() {
    for k in 0..=8u32 {
        let steps = Rc::new(Cell::new(0));
        let mut sim = Sim::guided(0, vec![u64::from(k) as u32]).inject_cancels(true);
        let out = sim.run(three_steps(steps.clone())).unwrap();
        assert_eq!(cancel_choices(&sim), [(9, u64::from(k))]);
        let trace = sim.trace().render();
        if k == 0 || k > 3 {
            // Never, or an await the task does not reach.
            assert_eq!(out, Ok(3), "k = {k}");
            assert!(!trace.contains("by check"), "k = {k}\n{trace}");
        } else {
            assert_eq!(out, Err(JoinError::Cancelled), "k = {k}");
            assert_eq!(steps.get(), k - 1, "k = {k}: steps before await k");
            assert!(
                trace.contains(&format!("worker cancelled by check at await {k}\n")),
                "{trace}"
            );
        }
    }
}

/// A candidate that ends forgets its own plan only: another candidate's
/// cancel still lands at its await.
#[test]
fn a_candidate_that_ends_leaves_the_other_plans_in_place() {
    // The first candidate never (0), the second at its 2nd await.
    let mut sim = Sim::guided(0, vec![0, 2]).inject_cancels(true);
    let steps = Rc::new(Cell::new(0));
    let s = steps.clone();
    let (quick, slow) = sim
        .run(async move {
            let quick = Builder::new()
                .name("quick")
                .cancellable_by_check(true)
                .spawn(async {});
            let slow = Builder::new()
                .name("slow")
                .cancellable_by_check(true)
                .spawn(async move {
                    for _ in 0..3 {
                        sleep(ms(1)).await;
                        s.set(s.get() + 1);
                    }
                });
            (quick.await, slow.await)
        })
        .unwrap();
    assert_eq!(cancel_choices(&sim), [(9, 0), (9, 2)]);
    assert_eq!(quick, Ok(()));
    assert_eq!(slow, Err(JoinError::Cancelled));
    assert_eq!(steps.get(), 1);
}

/// A candidate already being cancelled (here by itself) when it reaches
/// its chosen await gets no second cancel: one request, and no injected
/// cancel in the trace.
#[test]
fn a_candidate_already_cancelled_gets_no_injected_cancel() {
    let mut sim = Sim::guided(0, vec![1]).inject_cancels(true);
    let out = sim
        .run(async {
            let t = Builder::new()
                .name("quitter")
                .cancellable_by_check(true)
                .spawn(async {
                    seedloop::task::current_handle().unwrap().cancel();
                    sleep(ms(1)).await;
                });
            sleep(ms(2)).await;
            (t.cancelling(), t.await)
        })
        .unwrap();
    assert_eq!(out, (1, Err(JoinError::Cancelled)));
    assert!(!sim.trace().render().contains("by check"));
}

#[test]
fn the_trace_shows_the_choice_and_the_cancel() {
    let mut sim = Sim::guided(0, vec![2])
        .inject_cancels(true)
        .policy(Policy::Fifo);
    let steps = Rc::new(Cell::new(0));
    sim.run(three_steps(steps)).unwrap().unwrap_err();
    let trace = sim.trace().render();
    let expected = "\
0.000000 main poll
0.000000 main spawn #2 \"worker\"
0.000000 main choose to cancel worker at await 2 (never, 1..=8)
0.000000 main pending
0.000000 worker poll
0.000000 worker sleep until 0.001000
0.000000 worker pending
0.001000 loop timer worker
0.001000 loop wake worker
0.001000 worker poll
0.001000 worker sleep until 0.002000
0.001000 worker pending
0.001000 worker cancelled by check at await 2
0.001000 worker cancelled
0.001000 loop wake main
0.001000 main poll
0.001000 main finish
";
    assert_eq!(trace, expected);
}

#[test]
fn an_injected_cancel_is_an_ordinary_cancel_request() {
    let mut sim = Sim::guided(0, vec![1]).inject_cancels(true);
    sim.run(async {
        let t = Builder::new()
            .cancellable_by_check(true)
            .spawn(sleep(ms(5)));
        yield_now().await; // the task suspends at its first await
        yield_now().await;
        assert_eq!(t.cancelling(), 1, "counted like Task::cancel");
        assert!(t.is_finished(), "dropped at its next scheduling point");
        assert_eq!(t.await, Err(JoinError::Cancelled));
    })
    .unwrap();
    // uncancel withdraws it, as for Task::cancel, before it takes effect.
    let mut sim = Sim::guided(0, vec![1])
        .inject_cancels(true)
        .policy(Policy::Fifo);
    sim.run(async {
        let t = Builder::new().cancellable_by_check(true).spawn(async {
            sleep(ms(5)).await;
            7
        });
        yield_now().await; // the task ran and was cancelled at await 1 ...
        assert_eq!(t.uncancel(), 0); // ... and is called off before it runs
        assert_eq!(t.await, Ok(7));
    })
    .unwrap();
}

#[test]
fn an_eager_task_counts_its_eager_poll_as_its_first_await() {
    let mut sim = Sim::guided(0, vec![1]).inject_cancels(true);
    let out = sim
        .run(async {
            let t = Builder::new()
                .eager(true)
                .cancellable_by_check(true)
                .spawn(async {
                    sleep(ms(1)).await;
                    1
                });
            t.await
        })
        .unwrap();
    assert_eq!(out, Err(JoinError::Cancelled));
}

#[test]
fn a_task_inside_a_timeout_is_cancelled_at_an_await_of_the_wrapped_future() {
    for k in 0..=3u32 {
        let mut sim = Sim::guided(0, vec![k]).inject_cancels(true);
        let reached = Rc::new(Cell::new(0));
        let r = reached.clone();
        let out = sim
            .run(async move {
                let t = spawn(async move {
                    let wrapped = timeout(ms(100), async {
                        sleep(ms(1)).await;
                        r.set(1);
                        sleep(ms(1)).await;
                        r.set(2);
                    })
                    .await;
                    wrapped.is_ok()
                });
                t.await
            })
            .unwrap();
        assert_eq!(cancel_choices(&sim), [(9, u64::from(k))], "k = {k}");
        match k {
            0 | 3 => assert_eq!(out, Ok(true), "k = {k}"),
            _ => {
                // The task is cancelled: the timeout never reports Elapsed.
                assert_eq!(out, Err(JoinError::Cancelled), "k = {k}");
                assert_eq!(reached.get(), k - 1, "k = {k}");
                assert!(sim
                    .trace()
                    .render()
                    .contains(&format!("cancelled by check at await {k} in a timeout")));
            }
        }
    }
}

#[test]
fn a_timeout_in_the_main_task_makes_no_choice() {
    let mut sim = Sim::new(3).inject_cancels(true);
    sim.run(async {
        assert!(timeout(ms(1), sleep(ms(5))).await.is_err());
    })
    .unwrap();
    assert!(cancel_choices(&sim).is_empty());
}

#[test]
fn a_cancelled_task_group_child_is_not_a_failure() {
    let mut sim = Sim::guided(0, vec![1]).inject_cancels(true);
    let out = sim
        .run(async {
            TaskGroup::scope(|tg| async move {
                let child = tg
                    .spawn(async {
                        sleep(ms(1)).await;
                        Ok::<_, ()>(1)
                    })
                    .unwrap();
                let other = tg.spawn(async { Ok(2) }).unwrap();
                Ok((child.await.is_err(), other.await))
            })
            .await
        })
        .unwrap();
    let (child_cancelled, other) = out.unwrap();
    assert!(child_cancelled);
    assert_eq!(other, Ok(2));
    assert_eq!(cancel_choices(&sim), [(9, 1), (9, 0)]);
}

#[test]
fn the_bound_sets_the_domain() {
    let mut sim = Sim::new(1).inject_cancels_up_to(3);
    let _ = sim.run(three_steps(Rc::default()));
    assert_eq!(cancel_choices(&sim).first().map(|c| c.0), Some(4));
    let mut sim = Sim::new(1).inject_cancels_up_to(100);
    let _ = sim.run(three_steps(Rc::default()));
    assert_eq!(cancel_choices(&sim).first().map(|c| c.0), Some(16));
}

/// A hand-made "busy" flag cleared after the await: a cancel there leaves
/// it set. Two marked tasks, so there is noise for shrinking to remove.
async fn busy_flag_left_set() {
    let busy = Rc::new(RefCell::new(Vec::new()));
    let tasks: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let busy = busy.clone();
            Builder::new()
                .name(name)
                .cancellable_by_check(true)
                .spawn(async move {
                    sleep(ms(1)).await;
                    busy.borrow_mut().push(name);
                    sleep(ms(1)).await; // the step the flag guards
                    busy.borrow_mut().retain(|n| *n != name);
                    sleep(ms(1)).await;
                })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    assert!(busy.borrow().is_empty(), "left busy: {:?}", busy.borrow());
}

#[test]
fn a_failure_replays_from_its_schedule_string_alone() {
    let f = failed(
        Check::new()
            .inject_cancels(true)
            .threads(1)
            .seeds(0..200)
            .shrink(false)
            .try_run(busy_flag_left_set),
    );
    let text = f.found.to_string();
    // No inject_cancels here: a schedule holding cancel choices turns it on.
    let err = Sim::replay(&text)
        .unwrap()
        .run(busy_flag_left_set())
        .unwrap_err();
    let SimError::Panic(report) = err else {
        panic!("{err}")
    };
    assert!(report.message.starts_with("left busy"), "{report}");
}

#[test]
fn shrinking_lowers_the_cancel_to_the_one_that_matters() {
    let f = failed(
        Check::new()
            .inject_cancels(true)
            .threads(1)
            .seeds(0..200)
            .try_run(busy_flag_left_set),
    );
    let (shrunk, _) = f.shrunk.as_ref().expect("shrunk");
    assert_eq!(shrunk.deviations(), 1, "{f}");
    let cancels: Vec<u64> = shrunk
        .choices()
        .iter()
        .filter(|c| c.kind == ChoiceKind::Cancel)
        .map(|c| c.picked)
        .collect();
    // One task cancelled at await 2 (the flag is set), the other never.
    assert!(cancels == [2, 0] || cancels == [0, 2], "{cancels:?}\n{f}");
    assert_eq!(f.injected_cancels.len(), 1, "{f}");
    assert!(f.injected_cancels[0].ends_with("at await 2"), "{f}");
    assert!(f.to_string().contains("cancelled by the check: "), "{f}");
}

#[test]
fn exhaustive_search_enumerates_every_await_of_the_domain() {
    // One candidate and no other choice: FIFO plus each of the 8 awaits.
    let outcomes = std::sync::Mutex::new(Vec::new());
    let s = Check::new()
        .inject_cancels(true)
        .exhaustive(1)
        .threads(1)
        .run(|| async {
            let steps = Rc::new(Cell::new(0));
            let out = three_steps(steps.clone()).await;
            outcomes.lock().unwrap().push((out.is_ok(), steps.get()));
        });
    assert_eq!((s.runs, s.exhausted), (9, Some(true)), "{s}");
    let mut seen = outcomes.into_inner().unwrap();
    seen.sort_unstable();
    // Cancelled at await 1, 2, 3 (after 0, 1, 2 steps); finished otherwise
    // (never, or an await the task does not reach: 4..=8).
    assert_eq!(
        seen,
        [
            (false, 0),
            (false, 1),
            (false, 2),
            (true, 3),
            (true, 3),
            (true, 3),
            (true, 3),
            (true, 3),
            (true, 3)
        ]
    );
}

#[test]
fn exhaustive_search_finds_the_cancel_and_a_smaller_bound_misses_it() {
    let f = failed(
        Check::new()
            .inject_cancels(true)
            .exhaustive(1)
            .shrink(false)
            .try_run(busy_flag_left_set),
    );
    assert_eq!(f.found.deviations(), 1, "{f}");
    // With cancels only at a first await, the flag's await (2) is out of
    // reach: the whole space passes.
    let s = Check::new()
        .inject_cancels_up_to(1)
        .exhaustive(2)
        .try_run(busy_flag_left_set)
        .unwrap();
    assert_eq!(s.exhausted, Some(true), "{s}");
}

/// The ledger of docs/exploring.md, "Cancellation at the worst moment".
async fn ledger_keeps_its_entries() {
    let ledger = Rc::new(RefCell::new(vec!["opening balance"]));
    let l = ledger.clone();
    let bookkeeper = Builder::new()
        .name("bookkeeper")
        .cancellable_by_check(true)
        .spawn(async move {
            let mut entries = std::mem::take(&mut *l.borrow_mut());
            entries.push("invoice 17");
            sleep(ms(2)).await; // write to disk
            *l.borrow_mut() = entries;
        });
    let _ = bookkeeper.await;
    assert!(!ledger.borrow().is_empty(), "the ledger lost its entries");
}

/// The failure report docs/exploring.md shows for an injected cancel, as a
/// test named `ledger::keeps_its_entries` reports it.
#[test]
fn the_cancel_report_in_the_docs() {
    let dir = std::env::temp_dir().join("seedloop-docs-cancel-report");
    let err = Check::new()
        .inject_cancels(true)
        .seeds(0..100)
        .threads(1)
        .name("ledger::keeps_its_entries")
        .trace_dir(&dir)
        .try_run(ledger_keeps_its_entries)
        .unwrap_err();
    let text = err
        .to_string()
        .replace(&dir.display().to_string(), "target/seedloop");
    assert!(text.contains("cancelled by the check: \"bookkeeper\" at await 1\n"));
    crate::snapshot!("check_cancel_report", text);
}

/// `#[seedloop::test(inject_cancels = true)]` turns it on: the ledger's
/// bug is found; without the argument, the same body passes.
#[test]
fn the_attribute_takes_inject_cancels() {
    mod inner {
        #[seedloop::test(seeds = 100, threads = 1, inject_cancels = true)]
        pub async fn with_cancels() {
            super::ledger_keeps_its_entries().await;
        }

        #[seedloop::test(seeds = 100, threads = 1, inject_cancels_up_to = 3)]
        pub async fn with_cancels_up_to_3() {
            super::ledger_keeps_its_entries().await;
        }

        #[seedloop::test(seeds = 100, threads = 1)]
        pub async fn without() {
            super::ledger_keeps_its_entries().await;
        }
    }
    for (found, domain) in [
        (inner::with_cancels as fn(), "(never, 1..=8)"),
        (inner::with_cancels_up_to_3 as fn(), "(never, 1..=3)"),
    ] {
        let panic = std::panic::catch_unwind(found).unwrap_err();
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.contains("cancelled by the check: \"bookkeeper\" at await 1"),
            "{message}"
        );
        assert!(message.contains(domain), "{message}");
    }
    inner::without();
}

/// A version 1 schedule (recorded before values were choices) replays to
/// its recorded trace even under `inject_cancels`: those runs injected
/// nothing, and a cancel drawn from the seed would move their values. The
/// program has a candidate (its client waits inside a timeout).
#[test]
fn a_version_1_schedule_replays_without_injected_cancels() {
    use crate::programs::timeout_leaks_lock::timeout_leaks_lock;
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sim-tests/catalogue/corpus/schedules-v1.txt"
    );
    let text = std::fs::read_to_string(corpus).unwrap();
    let lines: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("timeout_leaks_lock "))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(!lines.is_empty());
    for fields in lines {
        let (schedule, hash) = (fields[2], u64::from_str_radix(fields[3], 16).unwrap());
        let mut sim = Sim::replay(schedule).unwrap().inject_cancels(true);
        let _ = sim.run(timeout_leaks_lock());
        assert_eq!(sim.trace().hash(), hash, "{schedule}");
        assert!(cancel_choices(&sim).is_empty());
    }
    // The same choices under other seeds: whatever the seed would draw,
    // nothing is cancelled.
    for seed in 0..60 {
        let schedule = format!("sl1:{seed}:EAAQAA");
        let mut plain = Sim::replay(&schedule).unwrap();
        let _ = plain.run(timeout_leaks_lock());
        let mut injecting = Sim::replay(&schedule).unwrap().inject_cancels(true);
        let _ = injecting.run(timeout_leaks_lock());
        assert_eq!(
            injecting.trace().render(),
            plain.trace().render(),
            "{schedule}"
        );
    }
    // The same program under a seed does have a cancel choice to make.
    let mut sim = Sim::new(1).inject_cancels(true);
    let _ = sim.run(timeout_leaks_lock());
    assert_eq!(cancel_choices(&sim).len(), 1);
}
