//! A sweep guided by assertions: runs that reach something new are kept,
//! and later runs replay a kept run's beginning and let their seed vary
//! the rest.
//!
//! "Something new": a `sometimes` true or a `reachable` reached for the
//! first time, a `buggify!` site enabled or fired for the first time. A program whose rare goal lies behind steps each marked by
//! an assertion (`assert_reachable!("logged in")`, then `"paid"`, ...)
//! climbs them one at a time instead of needing them all at once: each
//! kept run is a foothold. Every other run (by its seed) is such a
//! variation once something is kept; the rest are plain seeded runs. It is
//! sequential (one thread): which runs are kept depends on every run
//! before.

use std::future::Future;

use super::coverage::Coverage;
use super::outcome::run_once;
use super::quiet::quietly;
use super::sweep::Swept;
use super::Check;
use crate::sim::Sim;

/// A seed's 64 bits, mixed (splitmix64): which kept run, and where to cut it.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub(crate) fn sweep<F, Fut>(check: &Check, seeds: &[u64], body: &F) -> Swept
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut kept: Vec<Vec<u64>> = Vec::new();
    let mut coverage = Coverage::default();
    let mut runs = 0;
    quietly(|| {
        for &seed in seeds {
            let h = mix(seed);
            let sim = if !kept.is_empty() && h & 1 == 1 {
                let run = &kept[((h >> 1) % kept.len() as u64) as usize];
                // Cut before the end: the whole run again is the same run.
                let cut = ((h >> 32) % (run.len() as u64).max(1)) as usize;
                check.configure(Sim::prefixed(seed, run[..cut].to_vec()).policy(check.policy))
            } else {
                check.sim_for_seed(seed)
            };
            let (_, outcome) = run_once(sim, body);
            runs += 1;
            if let Some(error) = outcome.error {
                return Swept {
                    runs,
                    failure: Some((seed, error, outcome.schedule)),
                    coverage,
                };
            }
            if coverage.would_grow(&outcome.probes) {
                kept.push(
                    outcome
                        .schedule
                        .choices()
                        .iter()
                        .map(|c| c.picked)
                        .collect(),
                );
            }
            coverage.add_run(seed, &outcome.probes);
        }
        Swept {
            runs,
            failure: None,
            coverage,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::mix;

    #[test]
    fn the_mix_spreads_consecutive_seeds() {
        let odd = (0..1000).filter(|&s| mix(s) & 1 == 1).count();
        assert!((430..570).contains(&odd), "{odd}");
        assert_ne!(mix(0), mix(1));
    }

    /// The mix is splitmix64's output function: a seed's guided run must
    /// stay the same run from one version to the next. These are the first
    /// outputs of splitmix64 seeded with 0, 1 and 12345.
    #[test]
    fn the_mix_is_splitmix64() {
        assert_eq!(mix(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(mix(1), 0x910a_2dec_8902_5cc1);
        assert_eq!(mix(12345), 0x2211_8258_a9d1_11a0);
    }
}
