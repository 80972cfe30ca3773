//! Same seed, same run; different seeds, different races; replay reproduces.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use seedloop::sim::ScheduleError;
use seedloop::{spawn, yield_now, Policy, Sim, SimError};

/// Four tasks, each: read a shared counter, yield, write it back plus one.
/// The classic lost update; the final count depends on the interleaving.
async fn racy_counter(order: Rc<RefCell<Vec<usize>>>) -> u32 {
    let counter = Rc::new(RefCell::new(0u32));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let (counter, order) = (counter.clone(), order.clone());
            spawn(async move {
                for _ in 0..10 {
                    let seen = *counter.borrow();
                    order.borrow_mut().push(i);
                    yield_now().await;
                    *counter.borrow_mut() = seen + 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let n = *counter.borrow();
    n
}

fn run_racy(sim: &mut Sim) -> (u32, Vec<usize>) {
    let order = Rc::new(RefCell::new(Vec::new()));
    let n = sim.run(racy_counter(order.clone())).unwrap();
    let order = order.borrow().clone();
    (n, order)
}

#[test]
fn the_same_seed_gives_the_same_trace_for_500_seeds() {
    for seed in 0..500 {
        // The wall-clock slow-poll watch off: a loaded machine must not
        // make the two runs' traces differ (see docs/determinism.md).
        let mut a = Sim::new(seed).slow_poll_threshold(None);
        let mut b = Sim::new(seed).slow_poll_threshold(None);
        let ra = run_racy(&mut a);
        let rb = run_racy(&mut b);
        assert_eq!(ra, rb, "seed {seed}");
        assert_eq!(a.trace().hash(), b.trace().hash(), "seed {seed}");
        assert_eq!(a.trace().render(), b.trace().render(), "seed {seed}");
        assert_eq!(a.schedule(), b.schedule(), "seed {seed}");
    }
}

#[test]
fn a_sim_run_twice_gives_the_same_run() {
    let mut sim = Sim::new(77);
    let first = run_racy(&mut sim);
    let trace = sim.trace().render();
    assert_eq!(run_racy(&mut sim), first);
    assert_eq!(sim.trace().render(), trace);
}

#[test]
fn different_seeds_give_many_different_orders() {
    let mut orders = BTreeSet::new();
    let mut counts = BTreeSet::new();
    for seed in 0..200 {
        let (n, order) = run_racy(&mut Sim::new(seed));
        orders.insert(order);
        counts.insert(n);
    }
    assert!(orders.len() >= 190, "only {} distinct orders", orders.len());
    // Each `yield_now` sends a task behind every other ready task, as in
    // asyncio, so every read of a round happens before the writes of the
    // next: the count is 10 under every order asyncio can produce.
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), [10]);
}

#[test]
fn fifo_is_the_same_for_every_seed_and_loses_no_update_here() {
    let base = run_racy(&mut Sim::new(0).policy(Policy::Fifo));
    for seed in 1..20 {
        assert_eq!(run_racy(&mut Sim::new(seed).policy(Policy::Fifo)), base);
    }
    // Round-robin: every task reads before any writes, so each round adds 1.
    assert_eq!(base.0, 10);
}

#[test]
fn pct_runs_are_deterministic_and_explore() {
    let mut orders = BTreeSet::new();
    for seed in 0..100 {
        let mut a = Sim::new(seed).policy(Policy::Pct { depth: 3 });
        let mut b = Sim::new(seed).policy(Policy::Pct { depth: 3 });
        let ra = run_racy(&mut a);
        assert_eq!(ra, run_racy(&mut b));
        orders.insert(ra.1);
    }
    assert!(orders.len() >= 20, "only {} distinct orders", orders.len());
}

#[test]
fn replay_reproduces_the_run_even_under_another_policy() {
    for seed in [3, 14, 15, 92] {
        let mut original = Sim::new(seed);
        let result = run_racy(&mut original);
        let schedule = original.schedule().to_string();
        let mut replay = Sim::replay(&schedule).unwrap().policy(Policy::Fifo);
        assert_eq!(run_racy(&mut replay), result);
        assert_eq!(replay.trace().render(), original.trace().render());
        assert_eq!(replay.schedule().to_string(), schedule);
    }
}

#[test]
fn user_randomness_does_not_reshuffle_the_schedule() {
    let order_with = |draw: bool| {
        let order = Rc::new(RefCell::new(Vec::new()));
        let o = order.clone();
        Sim::new(5)
            .run(async move {
                let tasks: Vec<_> = (0..4)
                    .map(|i| {
                        let o = o.clone();
                        spawn(async move {
                            for _ in 0..5 {
                                if draw {
                                    let _: u64 = seedloop::random();
                                }
                                o.borrow_mut().push(i);
                                yield_now().await;
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
            .unwrap();
        let v = order.borrow().clone();
        v
    };
    assert_eq!(order_with(true), order_with(false));
}

#[test]
fn user_randomness_is_reproducible_and_differs_by_seed() {
    let draw = |seed| {
        Sim::new(seed)
            .run(async {
                (0..4)
                    .map(|_| seedloop::random::<u32>())
                    .collect::<Vec<_>>()
            })
            .unwrap()
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
}

#[test]
fn a_schedule_that_no_longer_fits_names_the_step() {
    let mut original = Sim::new(8);
    run_racy(&mut original);
    let schedule = original.schedule().to_string();
    // A different program: three tasks instead of four.
    let err = Sim::replay(&schedule)
        .unwrap()
        .run(async {
            let t: Vec<_> = (0..3).map(|_| spawn(yield_now())).collect();
            for t in t {
                t.await.unwrap();
            }
        })
        .unwrap_err();
    let SimError::ScheduleDiverged { divergence, .. } = &err else {
        panic!("expected a divergence, got {err}");
    };
    assert_eq!(divergence.step, 0);
    assert!(
        err.to_string().starts_with(
            "the schedule no longer fits the program at choice 0: the schedule picked"
        ),
        "{err}"
    );
    // A shorter program than the schedule: leftover choices are a divergence too.
    let err = Sim::replay(&schedule).unwrap().run(async {}).unwrap_err();
    assert!(
        err.to_string()
            .contains("the run ended after 0 choices, but the schedule has"),
        "{err}"
    );
}

#[test]
fn a_bad_schedule_string_is_a_clear_error() {
    let err: ScheduleError = Sim::replay("sl3:1:AA").unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a seedloop schedule: it starts with `sl3`, but this seedloop reads versions \
         `sl2` and `sl1`; a schedule looks like `sl2:42:EAAQAA` (copy it whole from a failure \
         report or from `Sim::schedule()`)"
    );
}

#[test]
fn tracing_off_records_nothing_and_changes_nothing() {
    let mut on = Sim::new(21);
    let mut off = Sim::new(21).tracing(false);
    assert_eq!(run_racy(&mut on), run_racy(&mut off));
    assert!(off.trace().is_empty());
    assert!(!on.trace().is_empty());
    assert_eq!(on.schedule(), off.schedule());
}

/// Three draws and a sleep between each: the values a run drew. A coin
/// that cannot come up and one that must come before them (a version 1
/// run drew a word for each).
async fn three_draws() -> Vec<u64> {
    assert!(!seedloop::random::chance(0.0) && seedloop::random::chance(1.0));
    let mut drawn = Vec::new();
    for _ in 0..3 {
        drawn.push(seedloop::random::range(0..1_000_000));
        seedloop::sleep(std::time::Duration::from_millis(1)).await;
    }
    drawn
}

/// A version 1 schedule (recorded before values were choices) draws its
/// values from the seed's stream, unlogged, as those runs did: the values
/// are the seed's, whatever the (empty) list of choices, and the replay
/// records no value choice. The numbers are frozen with the `sl1` format.
#[test]
fn a_version_1_schedule_draws_its_values_from_the_seed() {
    let mut sim = Sim::replay("sl1:7:").unwrap();
    let drawn = sim.run(three_draws()).unwrap();
    assert_eq!(sim.schedule().values().count(), 0);
    let mut again = Sim::replay("sl1:7:").unwrap();
    assert_eq!(again.run(three_draws()).unwrap(), drawn);
    let mut other = Sim::replay("sl1:8:").unwrap();
    assert_ne!(other.run(three_draws()).unwrap(), drawn);
    assert_eq!(drawn, [799150, 164695, 445047]);
}

/// Two tasks that yield, awaited; then `second` more.
async fn two_phases(second: usize) {
    for n in [2, second] {
        let tasks: Vec<_> = (0..n).map(|_| spawn(yield_now())).collect();
        for t in tasks {
            t.await.unwrap();
        }
    }
}

/// A program that changes after its first choices diverges at the first
/// choice that differs, and the divergence counts the choices before it.
#[test]
fn a_divergence_after_some_choices_names_its_step() {
    let mut first_phase = Sim::new(3);
    first_phase.run(two_phases(0)).unwrap();
    let before = first_phase.schedule().choices().len();
    assert!(before > 0);
    let mut original = Sim::new(3);
    original.run(two_phases(2)).unwrap();
    let err = Sim::replay(&original.schedule().to_string())
        .unwrap()
        .run(two_phases(3))
        .unwrap_err();
    let SimError::ScheduleDiverged { divergence, .. } = &err else {
        panic!("expected a divergence, got {err}");
    };
    assert_eq!(divergence.step, before, "{err}");
}
