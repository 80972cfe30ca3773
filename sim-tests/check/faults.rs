//! `buggify!` and the sweep assertions (`assert_always!`,
//! `assert_sometimes!`, `assert_reachable!`, `assert_unreachable!`): fault
//! decisions are choices (replayed, shrunk, enumerated), assertions are
//! counted over a sweep, and a sweep that never exercised a `sometimes`
//! fails.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use seedloop::check::{Check, CheckError, CheckFailure};
use seedloop::sim::ChoiceKind;
use seedloop::{
    assert_always, assert_reachable, assert_sometimes, assert_unreachable, buggify, sleep, spawn,
    yield_now, Sim, SimError,
};

fn check() -> Check {
    Check::new()
        .threads(1)
        .trace_dir(std::env::temp_dir().join("seedloop-faults"))
}

fn failed(result: Result<seedloop::check::CheckSummary, CheckError>) -> Box<CheckFailure> {
    match result {
        Err(CheckError::Failed(f)) => f,
        Err(other) => panic!("expected a failing schedule, got {other}"),
        Ok(summary) => panic!("expected a failing schedule, but {summary}"),
    }
}

/// Three fault sites; only the second one's firing breaks the program.
async fn three_sites() {
    let mut written = 0;
    for _ in 0..3 {
        if buggify!() {
            sleep(Duration::from_millis(5)).await; // a slow disk: harmless
        }
        if buggify!() {
            continue; // a lost write: the bug
        }
        if buggify!() {
            yield_now().await; // a hiccup: harmless
        }
        written += 1;
    }
    assert!(written == 3, "a write was lost");
}

/// The number of fault choices that are not "no" in a schedule.
fn faults_on(s: &seedloop::Schedule) -> usize {
    s.choices()
        .iter()
        .filter(|c| c.kind == ChoiceKind::Fault && c.picked != 0)
        .count()
}

#[test]
fn a_site_decides_once_per_run_and_the_trace_names_it() {
    let line = line!() + 4;
    for seed in 0..20 {
        let mut sim = Sim::new(seed);
        let fires = sim
            .run(async { (0..10).filter(|_| buggify!(0.5)).count() })
            .unwrap();
        let trace = sim.trace().render();
        let here = format!("sim-tests/check/faults.rs:{line}");
        let decided = trace.matches("buggify enabled at").count()
            + trace.matches("buggify disabled at").count();
        assert_eq!(decided, 1, "{trace}");
        assert!(trace.contains(&here), "{trace}");
        assert_eq!(trace.matches("buggify fired at").count(), fires, "{trace}");
        if trace.contains("buggify disabled at") {
            assert_eq!(fires, 0);
            assert_eq!(
                sim.schedule().len(),
                1,
                "a disabled site makes no more choices"
            );
        } else {
            assert_eq!(sim.schedule().len(), 11);
        }
        let kinds: Vec<ChoiceKind> = sim.schedule().choices().iter().map(|c| c.kind).collect();
        assert!(kinds.iter().all(|&k| k == ChoiceKind::Fault), "{kinds:?}");
    }
}

#[test]
fn sites_enable_about_half_the_time_and_fire_about_a_quarter() {
    let (mut enabled, mut hits, mut fired) = (0, 0, 0);
    for seed in 0..400 {
        let mut sim = Sim::new(seed).tracing(false);
        let n = sim
            .run(async { (0..8).filter(|_| buggify!()).count() })
            .unwrap();
        if sim.schedule().choices()[0].picked == 1 {
            enabled += 1;
            hits += 8;
            fired += n;
        }
    }
    assert!(
        (160..240).contains(&enabled),
        "{enabled} of 400 runs enabled"
    );
    let rate = fired as f64 / hits as f64;
    assert!((0.2..0.3).contains(&rate), "fire rate {rate}");
}

#[test]
fn a_buggify_failure_replays_from_its_string_alone() {
    let f = failed(check().seeds(0..200).shrink(false).try_run(three_sites));
    assert!(
        f.to_string()
            .contains("buggify fired: sim-tests/check/faults.rs:"),
        "{f}"
    );
    let string = f.found.to_string();
    let mut replay = Sim::replay(&string).unwrap();
    let err = replay.run(three_sites()).unwrap_err();
    let SimError::Panic(report) = &err else {
        panic!("{err}")
    };
    assert!(report.message.contains("a write was lost"), "{err}");
    assert_eq!(replay.schedule().to_string(), string);
    // The same string under another seed's number: the seed is not needed.
    let other_seed = string.replacen(&format!(":{}:", f.seed), ":999:", 1);
    assert!(Sim::replay(&other_seed)
        .unwrap()
        .run(three_sites())
        .is_err());
}

#[test]
fn shrinking_turns_unneeded_sites_off() {
    let f = failed(check().seeds(0..200).try_run(three_sites));
    let (shrunk, _) = f.shrunk.as_ref().expect("shrunk");
    // Enable the lossy site, fire it once: nothing else.
    assert_eq!(faults_on(shrunk), 2, "{f}");
    assert_eq!(shrunk.deviations(), 2, "{f}");
    let mut sim = Sim::replay(&shrunk.to_string()).unwrap();
    assert!(sim.run(three_sites()).is_err());
    let trace = sim.trace().render();
    let lossy = format!("sim-tests/check/faults.rs:{}", 39);
    assert_eq!(trace.matches("buggify enabled at").count(), 1, "{trace}");
    assert!(
        trace.contains(&format!("buggify enabled at {lossy}")),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("buggify fired at {lossy}")),
        "{trace}"
    );
    assert_eq!(trace.matches("buggify disabled at").count(), 2, "{trace}");
    assert_eq!(f.run.sites.iter().map(|s| s.fired).sum::<u64>(), 1, "{f}");
    // The report names the one site that fired, not those that did not.
    assert_eq!(f.run.sites.len(), 3, "{f}");
    assert!(
        f.to_string()
            .contains(&format!("\nbuggify fired: {lossy} (once)\n")),
        "{f}"
    );
}

#[test]
fn exhaustive_search_enumerates_sites_and_fires() {
    // Enabling the site and firing it are two deviations from "no fault".
    let below = check().exhaustive(1).try_run(three_sites).unwrap();
    assert_eq!(below.exhausted, Some(true), "{below}");
    let f = failed(check().exhaustive(2).shrink(false).try_run(three_sites));
    assert_eq!(f.found.deviations(), 2, "{f}");
    assert_eq!(faults_on(&f.found), 2, "{f}");
    // A site that always fires once enabled: one deviation.
    let sure = || async {
        if buggify!(1.0) {
            panic!("the fault happened");
        }
    };
    assert_eq!(check().exhaustive(0).try_run(sure).unwrap().runs, 1);
    let f = failed(check().exhaustive(1).try_run(sure));
    assert_eq!(f.found.choices().len(), 1, "{f}");
    assert_eq!(faults_on(&f.found), 1, "{f}");
}

#[test]
fn the_fuzzer_and_guided_picks_drive_sites() {
    let fires = |sim: &mut Sim| sim.run(async { (0..4).filter(|_| buggify!()).count() });
    assert_eq!(fires(&mut Sim::guided(0, vec![])).unwrap(), 0);
    assert_eq!(fires(&mut Sim::guided(0, vec![1, 1, 0, 1, 1])).unwrap(), 3);
    let mut fuzzed = Sim::fuzz(&[0; 8]);
    assert_eq!(fires(&mut fuzzed).unwrap(), 0, "bytes run out: no fault");
}

#[test]
fn an_unmet_sometimes_fails_the_sweep_with_the_table() {
    let body = || async {
        let n = seedloop::random::range(0..10);
        assert_sometimes!(n == 3, "drew a three");
        assert_sometimes!(n == 10, "drew a ten");
        assert_always!(n < 10, "in range");
    };
    let err = check().seeds(0..50).try_run(body).unwrap_err();
    let CheckError::Unexercised(coverage) = &err else {
        panic!("{err}")
    };
    let text = err.to_string();
    assert!(
        text.starts_with(
            "your sweep never exercised \"drew a ten\" (assert_sometimes! at sim-tests/check/faults.rs:"
        ),
        "{text}"
    );
    assert!(!text.contains("never exercised \"drew a three\""), "{text}");
    let unmet: Vec<&str> = coverage.unmet().iter().map(|a| a.message).collect();
    assert_eq!(unmet, ["drew a ten"]);
    assert_eq!(coverage.runs, 50);
    // Check::run panics with the same words.
    let panicked = std::panic::catch_unwind(|| check().seeds(0..50).run(body)).unwrap_err();
    let message = panicked.downcast_ref::<String>().expect("a message");
    assert_eq!(message, &text);
}

/// Exhaustive search counts assertions too: it enumerates every value of a
/// small domain, so a `sometimes` no value makes true fails it, and one
/// that some value makes true passes, with the table in its summary.
#[test]
fn exhaustive_search_counts_assertions_and_fails_an_unmet_sometimes() {
    let body = |wanted: u64| {
        move || async move {
            let n = seedloop::random::range(0..10);
            assert_sometimes!(n == wanted, "drew the wanted one");
        }
    };
    let s = check().exhaustive(1).run(body(9));
    assert_eq!((s.runs, s.exhausted), (10, Some(true)), "{s}");
    assert_eq!(s.coverage.runs, 10, "{s}");
    assert_eq!(s.coverage.assertions[0].held, 1, "{s}");
    let err = check().exhaustive(1).try_run(body(10)).unwrap_err();
    let CheckError::Unexercised(coverage) = &err else {
        panic!("{err}")
    };
    assert_eq!(coverage.runs, 10);
    assert!(
        err.to_string()
            .contains("never exercised \"drew the wanted one\""),
        "{err}"
    );
    // A search stopped at its run limit did not cover its space: it cannot
    // say a path is never exercised.
    let partial = check().exhaustive(1).max_runs(5).try_run(body(10));
    assert!(partial.is_ok(), "{}", partial.unwrap_err());
}

#[test]
fn an_unmet_reachable_fails_the_sweep_and_a_met_one_passes() {
    let body = |limit: u64| {
        move || async move {
            if seedloop::random::range(0..100) >= limit {
                assert_reachable!("the slow path");
            }
        }
    };
    // No run reaches it: the sweep cannot know it exists...
    let s = check().seeds(0..20).run(body(100));
    assert!(s.coverage.is_empty(), "{s}");
    // ...unless the check names it.
    let err = check()
        .seeds(0..20)
        .must_exercise("the slow path")
        .try_run(body(100))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("your sweep never exercised \"the slow path\" (no run reached it)"),
        "{err}"
    );
    let CheckError::Unexercised(coverage) = &err else {
        panic!("{err}")
    };
    assert_eq!(coverage.missing, ["the slow path"]);
    let s = check()
        .seeds(0..20)
        .must_exercise("the slow path")
        .run(body(50));
    assert!(s.coverage.assertions[0].held > 0, "{s}");
    assert!(s.coverage.missing.is_empty(), "{s}");
    // A sometimes reached but never true is unmet without being named.
    let err = check()
        .seeds(0..20)
        .try_run(|| async {
            assert_sometimes!(seedloop::random::range(0..100) == 100, "a hundred")
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("(assert_sometimes! at sim-tests/check/faults.rs:"),
        "{err}"
    );
}

#[test]
fn one_seed_chosen_to_look_at_does_not_fail_for_unmet_sometimes() {
    // A sweep of one seed from the builder still counts...
    let body = || async { assert_sometimes!(false, "never") };
    assert!(check().seeds(3..4).try_run(body).is_err());
    // ...but one the environment picks (SEEDLOOP_SEED) or a shard is a part
    // of the sweep (the env module's unit tests: tests here do not set
    // process-wide variables).
}

#[test]
fn a_false_always_fails_the_run_even_where_panics_are_isolated() {
    let f = failed(check().isolate_panics(true).seeds(0..20).try_run(|| async {
        let child = spawn(async {
            let n = seedloop::random::range(0..4);
            assert_always!(n != 2, "never two");
        });
        let _ = child.await; // an isolated panic would be Err here
    }));
    assert!(
        f.to_string().contains("assert_always!(never two) failed"),
        "{f}"
    );
    let (shrunk, _) = f.shrunk.as_ref().expect("shrunk");
    assert_eq!(
        shrunk
            .choices()
            .iter()
            .map(|c| c.picked)
            .collect::<Vec<_>>(),
        [2]
    );
    let err = Sim::new(0)
        .isolate_panics(true)
        .run(async {
            let _ = spawn(async { assert_unreachable!("here") }).await;
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("assert_unreachable!(here) was reached"),
        "{err}"
    );
    // The same in an eager task, which runs inside its spawner's poll.
    let err = Sim::new(0)
        .isolate_panics(true)
        .run(async {
            let _ = seedloop::task::spawn_eager(async { assert_unreachable!("eager") }).await;
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("assert_unreachable!(eager) was reached"),
        "{err}"
    );
    // And in a callback.
    let err = Sim::new(0)
        .isolate_panics(true)
        .run(async {
            seedloop::call_soon(|| assert_unreachable!("callback"));
            yield_now().await;
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("assert_unreachable!(callback) was reached"),
        "{err}"
    );
}

#[test]
fn the_table_merges_the_same_on_one_thread_or_four() {
    let body = || async {
        let n = seedloop::random::range(0..6);
        assert_sometimes!(n == 0, "zero");
        if buggify!() {
            assert_reachable!("after a fault");
        }
        let a = spawn(async { yield_now().await });
        a.await.unwrap();
    };
    let one = check().seeds(0..300).run(body);
    let four = check().threads(4).seeds(0..300).run(body);
    assert_eq!(one.coverage, four.coverage);
    assert_eq!(one.to_string(), four.to_string());
}

#[test]
fn real_mode_never_fires_and_keeps_no_tally() {
    let out = seedloop::run(async {
        let fired = (0..1000).any(|_| buggify!(1.0));
        assert_sometimes!(false, "nothing happens in real mode");
        assert_reachable!("nor here");
        assert_always!(true, "fine");
        fired
    });
    assert!(!out);
    // Outside any runtime too.
    assert!(!buggify!(1.0));
    assert_sometimes!(false, "no runtime");
    // In real mode an always is a debug_assert!.
    let failed = std::panic::catch_unwind(|| assert_always!(1 > 2, "one above two"));
    assert_eq!(failed.is_err(), cfg!(debug_assertions));
    let failed = std::panic::catch_unwind(|| assert_unreachable!("nowhere"));
    assert_eq!(failed.is_err(), cfg!(debug_assertions));
}

#[seedloop::test(seeds = 20)]
async fn the_test_attribute_passes_a_sweep_that_exercises_its_assertions() {
    assert_sometimes!(seedloop::random::chance(0.5), "heads");
}

#[seedloop::test(seeds = 5, policy = "fifo")]
#[should_panic(expected = "your sweep never exercised \"a reordering\"")]
async fn the_test_attribute_fails_on_an_unmet_sometimes() {
    let first = Rc::new(Cell::new(0));
    let f = first.clone();
    let a = spawn(async move { f.set(f.get() * 10 + 1) });
    let f = first.clone();
    let b = spawn(async move { f.set(f.get() * 10 + 2) });
    a.await.unwrap();
    b.await.unwrap();
    assert_sometimes!(first.get() == 21, "a reordering");
}

/// Four steps, each taken with chance 1/6, the first three marked; the
/// fourth fails the run.
async fn four_steps() {
    let mut step = 0;
    while step < 4 && seedloop::random::range(0..6) == 0 {
        step += 1;
        match step {
            1 => assert_reachable!("step 1"),
            2 => assert_reachable!("step 2"),
            3 => assert_reachable!("step 3"),
            _ => panic!("the fourth step"),
        }
    }
}

#[test]
fn a_guided_sweep_climbs_marked_steps_and_its_failure_replays() {
    let plain = check().seeds(0..1000).shrink(false).try_run(four_steps);
    assert!(
        plain.is_ok(),
        "1 run in 1296 fails: seeds 0..1000 pass plainly"
    );
    let f = failed(
        check()
            .seeds(0..1000)
            .guided_by_assertions(true)
            .shrink(false)
            .try_run(four_steps),
    );
    assert_eq!(f.policy, "random guided by assertions");
    assert!(f.to_string().contains("the fourth step"), "{f}");
    assert!(f.runs < 1000, "{f}");
    let err = Sim::replay(&f.found.to_string())
        .unwrap()
        .run(four_steps())
        .unwrap_err();
    assert!(err.to_string().contains("the fourth step"), "{err}");
    // The same search twice finds the same run.
    let again = failed(
        check()
            .seeds(0..1000)
            .guided_by_assertions(true)
            .shrink(false)
            .try_run(four_steps),
    );
    assert_eq!((again.seed, again.found.clone()), (f.seed, f.found.clone()));
    // Which run is varied, where it is cut, and which seeds vary a kept run
    // are all fixed by the seed: the search is the same from one version
    // to the next (a change here changes what users' guided checks find).
    assert_eq!((f.seed, f.runs), (207, 208), "{f}");
}

#[test]
fn a_passing_guided_sweep_counts_every_run() {
    let summary = check()
        .seeds(0..40)
        .guided_by_assertions(true)
        .run(|| async {
            if seedloop::random::range(0..3) == 0 {
                assert_reachable!("a third of the runs");
            }
        });
    assert_eq!(summary.runs, 40, "{summary}");
}

#[test]
fn without_progress_to_keep_a_guided_sweep_is_the_plain_sweep() {
    let body = || async {
        let n = seedloop::random::range(0..1_000_000);
        assert_sometimes!(n == 0, "zero");
        assert_always!(n < 1_000_000, "in range");
    };
    let plain = check().seeds(0..200).try_run(body).unwrap_err();
    let guided = check()
        .seeds(0..200)
        .guided_by_assertions(true)
        .try_run(body)
        .unwrap_err();
    let (CheckError::Unexercised(a), CheckError::Unexercised(b)) = (&plain, &guided) else {
        panic!("{plain}\n{guided}")
    };
    assert_eq!(a, b);
}

#[seedloop::test(
    seeds = 300,
    guided_by_assertions = true,
    must_exercise = "step 1",
    must_exercise = "step 2"
)]
async fn the_test_attribute_takes_the_sweep_assertion_options() {
    let mut step = 0;
    while step < 2 && seedloop::random::range(0..6) == 0 {
        step += 1;
        match step {
            1 => assert_reachable!("step 1"),
            _ => assert_reachable!("step 2"),
        }
    }
}

#[seedloop::test(seeds = 20, must_exercise = "a path no run takes")]
#[should_panic(expected = "your sweep never exercised \"a path no run takes\" (no run reached it)")]
async fn the_test_attribute_fails_on_a_named_message_no_run_reached() {
    if seedloop::random::range(0..10) == 10 {
        assert_reachable!("a path no run takes");
    }
}
