//! How the seeded policies draw values: `Policy::Random` uniformly (the
//! baseline), `Policy::Pct` steered toward rare timings; neither lets the
//! values move its scheduling picks.

use std::time::Duration;

use seedloop::sim::ChoiceKind;
use seedloop::{random, sleep, spawn, timeout, yield_now, Policy, Sim};

/// Three tasks racing through yields, each drawing a value of `options`
/// at every step (unused: only the draws' count is the same for every
/// `options`).
async fn racing_tasks_drawing(options: u64) {
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            spawn(async move {
                for _ in 0..4 {
                    let _ = random::range(0..options);
                    yield_now().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

fn picks(policy: Policy, seed: u64, options: u64) -> Vec<u64> {
    let mut sim = Sim::new(seed).policy(policy).expected_steps(30);
    sim.run(racing_tasks_drawing(options)).unwrap();
    let choices = sim.schedule().choices().to_vec();
    choices
        .iter()
        .filter(|c| c.kind == ChoiceKind::Run)
        .map(|c| c.picked)
        .collect()
}

#[test]
fn which_values_are_drawn_never_moves_a_seeds_picks() {
    for policy in [
        Policy::Random,
        Policy::Pct { depth: 2 },
        Policy::Pct { depth: 3 },
    ] {
        let mut differ = 0;
        for seed in 0..50 {
            let small = picks(policy, seed, 2);
            assert_eq!(small, picks(policy, seed, 1000), "{policy}, seed {seed}");
            differ += usize::from(small != picks(policy, seed + 1, 2));
        }
        // The picks are not all alike: there is something to keep.
        assert!(differ > 10, "{policy}: {differ}");
    }
}

#[test]
fn random_draws_values_uniformly() {
    let mut counts = [0u32; 4];
    for seed in 0..100 {
        let values = Sim::new(seed)
            .run(async { (0..40).map(|_| random::range(0..4)).collect::<Vec<_>>() })
            .unwrap();
        for v in values {
            counts[v as usize] += 1;
        }
    }
    // 4000 draws: about 1000 each.
    assert!(
        counts.iter().all(|&c| (900..1100).contains(&c)),
        "{counts:?}"
    );
}

/// Five hops of 1 to 20 ms under an 89.5 ms deadline: only five slow hops
/// at once miss it.
async fn five_hops() -> bool {
    timeout(Duration::from_micros(89_500), async {
        for _ in 0..5 {
            sleep(Duration::from_millis(random::range(1..21))).await;
        }
    })
    .await
    .is_err()
}

fn missed(policy: Policy, seeds: std::ops::Range<u64>) -> usize {
    seeds
        .filter(|&seed| {
            let mut sim = Sim::new(seed).policy(policy).expected_steps(5);
            sim.run(five_hops()).unwrap()
        })
        .count()
}

#[test]
fn pct_makes_everything_slow_at_once_likely() {
    // Uniform: about one run in a thousand; PCT: a quarter of runs or more
    // (the hop site biased high).
    assert!(missed(Policy::Random, 0..200) <= 2);
    let pct = missed(Policy::Pct { depth: 2 }, 0..200);
    assert!((40..=90).contains(&pct), "{pct} of 200");
}

#[test]
fn pct_pushes_one_straggler_among_minimal_draws() {
    // Depth 2, eight draws from one site, k = 8: in about half the runs the
    // site is low, and then exactly the pushed draw is at its top.
    let mut stragglers = [0u32; 8];
    for seed in 0..400 {
        let mut sim = Sim::new(seed)
            .policy(Policy::Pct { depth: 2 })
            .expected_steps(8);
        let delays = sim
            .run(async { (0..8).map(|_| random::range(1..1001)).collect::<Vec<_>>() })
            .unwrap();
        let slow: Vec<usize> = (0..8).filter(|&i| delays[i] == 1000).collect();
        if slow.len() == 1 && delays.iter().filter(|&&d| d == 1).count() == 7 {
            stragglers[slow[0]] += 1;
        }
    }
    // About 200 runs with one straggler, 25 at each position.
    let total: u32 = stragglers.iter().sum();
    assert!((160..240).contains(&total), "{stragglers:?}");
    assert!(stragglers.iter().all(|&n| n >= 10), "{stragglers:?}");
}

#[test]
fn random_draws_coins_with_their_probability() {
    let heads = (0..400)
        .filter(|&seed| Sim::new(seed).run(async { random::chance(0.25) }).unwrap())
        .count();
    // About 100 of 400.
    assert!((70..130).contains(&heads), "{heads} of 400");
}
