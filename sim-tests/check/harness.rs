//! The exploration harness: sweeps, PCT, exhaustive search, shrinking,
//! replay, proptest, fuzz bytes, and the report.

use std::cell::Cell;
use std::rc::Rc;

use proptest::prelude::*;
use seedloop::check::{schedules, Check, CheckError, Determinism};
use seedloop::task::Builder;
use seedloop::{spawn, yield_now, Policy, Sim};

/// Three tasks each read a counter, yield, write it plus one: a lost update
/// unless the writes happen to serialise.
async fn lost_update(tasks: usize) {
    let n = Rc::new(Cell::new(0));
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let n = n.clone();
            Builder::new().name(format!("adder-{i}")).spawn(async move {
                let v = n.get();
                yield_now().await;
                n.set(v + 1);
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(n.get(), tasks, "lost update");
}

fn failure(e: CheckError) -> Box<seedloop::check::CheckFailure> {
    match e {
        CheckError::Failed(f) => f,
        other => panic!("expected a failure, got {other}"),
    }
}

#[test]
fn a_sweep_finds_the_smallest_failing_seed_whatever_the_thread_count() {
    let find = |threads| {
        failure(
            Check::new()
                .seeds(0..300)
                .threads(threads)
                .shrink(false)
                .trace_dir(std::env::temp_dir().join("seedloop-tests"))
                .try_run(|| lost_update(2))
                .unwrap_err(),
        )
        .seed
    };
    let one = find(1);
    assert_eq!(find(2), one);
    assert_eq!(find(4), one);
    // The smallest failing seed really is the first one Sim finds.
    let first = (0..300)
        .find(|&s| {
            std::panic::catch_unwind(|| Sim::new(s).tracing(false).run(lost_update(2)).is_err())
                .unwrap_or(true)
        })
        .unwrap();
    assert_eq!(one, first);
}

/// `a` reads, yields, writes; `b` yields, reads, yields, writes. Under FIFO
/// `a` writes before `b` reads; one deviation (running `b` twice in a row
/// right after `a` reads) loses the update. So the minimum is exactly one.
pub(crate) async fn needs_one_deviation() -> u32 {
    let n = Rc::new(Cell::new(0));
    let (na, nb) = (n.clone(), n.clone());
    let a = Builder::new().name("a").spawn(async move {
        let v = na.get();
        yield_now().await;
        na.set(v + 1);
    });
    let b = Builder::new().name("b").spawn(async move {
        yield_now().await;
        let v = nb.get();
        yield_now().await;
        nb.set(v + 1);
    });
    a.await.unwrap();
    b.await.unwrap();
    n.get()
}

#[test]
fn shrinking_leaves_one_deviation_from_fifo() {
    assert_eq!(
        Sim::new(0)
            .policy(Policy::Fifo)
            .run(needs_one_deviation())
            .unwrap(),
        2
    );
    let f = failure(
        Check::new()
            .seeds(0..500)
            .trace_dir(std::env::temp_dir().join("seedloop-tests"))
            .try_run(|| async { assert_eq!(needs_one_deviation().await, 2, "lost update") })
            .unwrap_err(),
    );
    let (shrunk, runs) = f.shrunk.as_ref().expect("shrunk");
    assert_eq!(shrunk.deviations(), 1, "{f}");
    assert!(shrunk.deviations() <= f.found.deviations());
    assert!(*runs > 0);
    assert_eq!(f.determinism, Determinism::Same);
    // The shrunk schedule replays to the same lost update.
    let replayed = Sim::replay(&shrunk.to_string())
        .unwrap()
        .run(needs_one_deviation())
        .unwrap();
    assert_eq!(replayed, 1);
}

#[test]
fn the_report_says_everything_needed_to_reproduce() {
    let dir = std::env::temp_dir().join("seedloop-tests-report");
    let f = failure(
        Check::new()
            .seeds(0..200)
            .name("bank::lost_update")
            .trace_dir(&dir)
            .try_run(|| lost_update(3))
            .unwrap_err(),
    );
    let text = f.to_string();
    for needle in [
        "seedloop check `bank::lost_update` failed: seed ",
        "under policy random",
        "schedule found: sl2:",
        "shrunk to:      sl2:",
        "determinism: the failing schedule ran twice with identical traces",
        "panicked at 0.000000: assertion `left == right` failed: lost update",
        "last events:",
        "full trace:   ",
        "chrome trace: ",
        "reproduce:\n  seed ",
        " with policy random\n",
        "  replay: SEEDLOOP_REPLAY='sl2:",
        "' cargo test -- bank::lost_update --exact",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // One report: one reproduce block, naming the search's policy.
    assert_eq!(text.matches("reproduce:").count(), 1, "{text}");
    assert_eq!(text.matches("cargo test --").count(), 1, "{text}");
    assert!(!text.contains("policy replay"), "{text}");
    let trace = std::fs::read_to_string(f.trace_file.as_ref().unwrap()).unwrap();
    assert!(trace.contains("main panic \"assertion"));
    let json = std::fs::read_to_string(f.chrome_file.as_ref().unwrap()).unwrap();
    assert!(json.contains("\"name\":\"adder-0 #2\""));
}

#[test]
fn exhaustive_search_covers_the_bounded_space_and_says_so() {
    // Two tasks, each yielding once: small enough to count by hand.
    let counted = Rc::new(Cell::new(0u64));
    let body = || async {
        let a = spawn(yield_now());
        let b = spawn(yield_now());
        a.await.unwrap();
        b.await.unwrap();
    };
    let s0 = Check::new().exhaustive(0).run(body);
    assert_eq!(
        (s0.runs, s0.exhausted),
        (1, Some(true)),
        "bound 0 is FIFO alone"
    );
    let s1 = Check::new().exhaustive(1).run(body);
    let s2 = Check::new().exhaustive(2).run(body);
    let s9 = Check::new().exhaustive(9).run(body);
    assert!(s0.runs < s1.runs && s1.runs < s2.runs && s2.runs <= s9.runs);
    assert_eq!(s9.exhausted, Some(true));
    assert!(s9.to_string().ends_with("the bounded space is exhausted"));
    let capped = Check::new().exhaustive(9).max_runs(2).run(body);
    assert_eq!((capped.runs, capped.exhausted), (2, Some(false)));
    drop(counted);
}

#[test]
fn exhaustive_search_finds_a_one_deviation_bug() {
    let f = failure(
        Check::new()
            .exhaustive(1)
            .trace_dir(std::env::temp_dir().join("seedloop-tests"))
            .try_run(|| lost_update(3))
            .unwrap_err(),
    );
    assert_eq!(f.policy, "exhaustive:1");
}

#[test]
fn pct_finds_the_lost_update() {
    let f = failure(
        Check::new()
            .policy(Policy::Pct { depth: 2 })
            .expected_steps(10)
            .seeds(0..200)
            .trace_dir(std::env::temp_dir().join("seedloop-tests"))
            .try_run(|| lost_update(3))
            .unwrap_err(),
    );
    assert_eq!(f.policy, "pct:2");
}

#[test]
fn a_passing_check_reports_what_it_covered() {
    let s = Check::new()
        .seeds(10..60)
        .run(|| async { spawn(yield_now()).await.unwrap() });
    assert_eq!(s.runs, 50);
    assert_eq!(
        s.to_string(),
        "50 schedules passed (seeds 10..60, policy random)"
    );
    let s = Check::new()
        .seeds(0..20)
        .self_check_every_seed(true)
        .run(|| lost_update(1));
    assert_eq!(s.runs, 20);
}

#[seedloop::test(seeds = 64)]
async fn the_attribute_runs_a_body_under_many_seeds() {
    let t = spawn(async { 40 });
    yield_now().await;
    assert_eq!(t.await.unwrap() + 2, 42);
}

#[seedloop::test(exhaustive = 2)]
async fn the_attribute_can_search_exhaustively() {
    lost_update(1).await;
}

#[seedloop::test(policy = "pct:3", seeds = 16)]
async fn the_attribute_takes_a_policy() {
    lost_update(1).await;
}

#[seedloop::test(
    seeds = 8,
    threads = 1,
    expected_steps = 40,
    shrink = false,
    max_runs = 8
)]
async fn the_attribute_takes_every_check_option() {
    lost_update(1).await;
}

#[seedloop::test(seeds = 8)]
async fn the_attribute_accepts_a_result() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "41".parse()?;
    assert_eq!(n + 1, 42);
    Ok(())
}

/// An `Err` from the body fails the run, naming the error.
#[seedloop::test(seeds = 2, shrink = false)]
#[should_panic(expected = "the test returned Err: \"the ledger is off by one\"")]
async fn an_err_from_an_attribute_test_fails_it() {
    let ledger = || -> Result<(), String> { Err("the ledger is off by one".to_string()) };
    seedloop::check::TestReturn::into_outcome(ledger());
}

/// The same through the attribute's own `Result` handling.
#[test]
fn an_err_returned_by_an_attribute_test_fails_it() {
    mod inner {
        #[seedloop::test(seeds = 2, shrink = false)]
        pub async fn fails() -> Result<(), String> {
            Err("off by one".to_string())
        }
    }
    let panic = std::panic::catch_unwind(inner::fails).unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("the test returned Err: \"off by one\""),
        "{message}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The generated schedule and the input shrink together: any failure
    /// would be reported at the smallest n and the schedule closest to FIFO.
    #[test]
    fn proptest_generates_inputs_and_schedules_together(picks in schedules(40), n in 1usize..5) {
        let total = picks.sim(0).run(async move {
            let tasks: Vec<_> = (0..n).map(|i| spawn(async move { yield_now().await; i })).collect();
            let mut sum = 0;
            for t in tasks { sum += t.await.unwrap(); }
            sum
        }).unwrap();
        prop_assert_eq!(total, (0..n).sum::<usize>());
    }

    /// Fuzzer bytes drive every choice and never break a correct program.
    #[test]
    fn any_fuzz_input_is_a_valid_schedule(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut sim = Sim::fuzz(&data);
        let out = sim.run(async {
            let a = spawn(async { yield_now().await; 1 });
            let b = spawn(async { yield_now().await; 2 });
            a.await.unwrap() + b.await.unwrap()
        }).unwrap();
        prop_assert_eq!(out, 3);
    }
}

#[test]
fn proptest_shrinks_a_schedule_toward_fifo() {
    // A property that fails only when the second task runs first: proptest
    // must shrink the failing picks to the single deviation that matters.
    let result = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256)).run(
        &schedules(8),
        |picks| {
            let order = picks
                .sim(0)
                .run(async {
                    let order = Rc::new(std::cell::RefCell::new(Vec::new()));
                    let (o1, o2) = (order.clone(), order.clone());
                    let a = spawn(async move { o1.borrow_mut().push('a') });
                    let b = spawn(async move { o2.borrow_mut().push('b') });
                    a.await.unwrap();
                    b.await.unwrap();
                    let v = order.borrow().clone();
                    v
                })
                .unwrap();
            prop_assert_eq!(order, vec!['a', 'b']);
            Ok(())
        },
    );
    let Err(proptest::test_runner::TestError::Fail(_, minimal)) = result else {
        panic!("expected the property to fail, got {result:?}");
    };
    assert_eq!(
        minimal.0,
        vec![1],
        "shrunk to one deviation at the first choice"
    );
}

#[test]
fn shrinking_trades_two_deviations_for_one_where_it_can() {
    // PCT finds aba_slot (seed 0) with picks whose greedy shrink stopped at
    // three deviations; merging a later deviation into an earlier one
    // reaches the two the bug needs (its exhaustive bound).
    let bug = crate::programs::CATALOGUE
        .iter()
        .find(|b| b.name == "aba_slot")
        .unwrap();
    let program = crate::programs::aba_slot::aba_slot;
    let f = failure(
        Check::new()
            .policy(Policy::Pct { depth: 2 })
            .expected_steps(crate::programs::run_length(bug.program))
            .seeds(0..100)
            .threads(1)
            .trace_dir(std::env::temp_dir().join("seedloop-tests"))
            .try_run(program)
            .unwrap_err(),
    );
    assert_eq!(f.shrunk.as_ref().expect("shrunk").0.deviations(), 2, "{f}");
}

/// A failing property's message carries the schedule string and how to
/// replay it, whether the run fails or the property's assertion does.
#[test]
fn a_failing_property_names_its_schedule() {
    use proptest::test_runner::{Config, TestError, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&schedules(16), |picks| {
        picks.check(0, racy_count(), |total| {
            prop_assert_eq!(total, 2, "lost update");
            Ok(())
        })
    });
    let Err(TestError::Fail(why, picks)) = result else {
        panic!("the lost update was not found: {result:?}")
    };
    let why = why.to_string();
    assert!(why.contains("lost update"), "{why}");
    let schedule = why
        .split_whitespace()
        .find(|w| w.starts_with("sl2:"))
        .unwrap_or_else(|| panic!("no schedule in {why}"));
    assert!(why.contains("Sim::replay("), "{why}");
    // The named schedule replays the failing run.
    let mut sim = seedloop::Sim::replay(schedule).unwrap();
    let mut again = picks.sim(0);
    assert_eq!(sim.run(racy_count()).unwrap(), 1);
    assert_eq!(again.run(racy_count()).unwrap(), 1);
    assert_eq!(sim.trace().hash(), again.trace().hash());
}

/// Two tasks increment a counter with a yield between read and write:
/// the count is 1 when they interleave.
async fn racy_count() -> u32 {
    let n = Rc::new(Cell::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let n = n.clone();
            spawn(async move {
                let v = n.get();
                yield_now().await;
                n.set(v + 1)
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap()
    }
    n.get()
}

/// The failure report docs/exploring.md shows: the lost update of three
/// adders, as a test named `bank::lost_update` reports it (the trace
/// directory written as `target/seedloop`).
#[test]
fn the_report_in_the_docs() {
    let dir = std::env::temp_dir().join("seedloop-docs-report");
    let err = Check::new()
        .seeds(0..200)
        .threads(1)
        .name("bank::lost_update")
        .trace_dir(&dir)
        .try_run(|| lost_update(3))
        .unwrap_err();
    let text = err
        .to_string()
        .replace(&dir.display().to_string(), "target/seedloop");
    crate::snapshot!("check_failure_report", text);
}

/// Spawning in a `HashSet`'s order (randomly seeded per set) is caught by
/// default: a passing sweep self-checks a sample of its seeds.
#[test]
fn nondeterminism_is_caught_by_default() {
    let err = Check::new()
        .seeds(0..50)
        .try_run(|| async {
            let names: std::collections::HashSet<String> =
                (0..8).map(|i| format!("t{i}")).collect();
            for name in names {
                Builder::new().name(name).spawn(async {}).await.unwrap();
            }
        })
        .unwrap_err();
    let CheckError::Nondeterministic { seed, determinism } = &err else {
        panic!("{err}")
    };
    assert_eq!(*seed, 0);
    let Determinism::Differs { first, second, .. } = determinism else {
        panic!("{err}")
    };
    assert_ne!(first, second);
    assert!(err.to_string().contains("docs/determinism.md"), "{err}");
}

/// A schedule that fails in the search and passes on replay keeps its
/// failure: the message, the schedule, the trace, and the first event where
/// a failing run and the replay of its schedule part.
#[test]
fn a_failure_that_does_not_replay_keeps_its_message() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join("seedloop-tests-flaky");
    let err = Check::new()
        .seeds(0..10)
        .threads(1)
        .trace_dir(&dir)
        .try_run(|| async {
            yield_now().await;
            // Global state outside the run: every other run fails.
            if RUNS.fetch_add(1, Ordering::Relaxed) % 2 == 0 {
                panic!("the cache was stale");
            }
        })
        .unwrap_err();
    let CheckError::Failed(f) = &err else {
        panic!("{err}")
    };
    let text = err.to_string();
    assert!(text.contains("the cache was stale"), "{text}");
    assert!(text.contains("NOT DETERMINISTIC"), "{text}");
    assert!(text.contains("schedule sl2:0:"), "{text}");
    assert!(f.trace_file.is_some(), "{text}");
    let Determinism::Differs { first, second, .. } = &f.determinism else {
        panic!("{text}")
    };
    assert!(first.contains("panic"), "{first}");
    assert!(second.contains("finish"), "{second}");
}

/// A failure that happened once and never again is still reported with
/// its message and schedule.
#[test]
fn a_failure_that_never_comes_back_is_still_reported() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FAILED: AtomicBool = AtomicBool::new(false);
    let err = Check::new()
        .seeds(0..10)
        .threads(1)
        .try_run(|| async {
            if !FAILED.swap(true, Ordering::Relaxed) {
                panic!("only the first time");
            }
        })
        .unwrap_err();
    let CheckError::Failed(f) = &err else {
        panic!("{err}")
    };
    assert!(err.to_string().contains("only the first time"), "{err}");
    assert!(
        matches!(f.determinism, Determinism::FailedOnce { .. }),
        "{err}"
    );
}

/// Under exhaustive search a schedule's seed is no policy's seed: a flaky
/// failure is reported as failing once (no seeded re-runs to compare).
#[test]
fn a_flaky_failure_in_an_exhaustive_search_is_reported_as_failing_once() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let err = Check::new()
        .exhaustive(1)
        .threads(1)
        .try_run(|| async {
            yield_now().await;
            if RUNS.fetch_add(1, Ordering::Relaxed) % 2 == 0 {
                panic!("flaky");
            }
        })
        .unwrap_err();
    let CheckError::Failed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        f.determinism,
        Determinism::FailedOnce { reruns: 1 },
        "{err}"
    );
    assert!(err.to_string().contains("flaky"), "{err}");
}
