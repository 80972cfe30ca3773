//! Bounded exhaustive search: every schedule with at most `k` deviations from
//! FIFO, depth-first, until the space is exhausted.
//!
//! Each run follows a prefix of picks and then FIFO (and each value its
//! domain's first). From the choices a run actually made, the next prefix
//! backtracks to the deepest choice that can take its next option without
//! exceeding `k` non-zero picks. Every schedule within the bound is run
//! exactly once; when no choice can move, the space is exhausted and the
//! check says so.
//!
//! A value counts as a deviation when it is not its domain's first. A
//! domain of at most [`SMALL_DOMAIN`] values is enumerated whole; a larger
//! one by its endpoints and three interior points (a quarter, half and
//! three quarters of the way), which is what "exhausted" then means.

use std::future::Future;

use super::coverage::Coverage;
use super::outcome::run_once;
use super::quiet::quietly;
use super::Check;
use crate::sim::{Choice, Schedule, Sim, SimError};

/// What the search covered.
pub(crate) struct Explored {
    pub runs: u64,
    /// Whether every schedule within the bound was run.
    pub exhausted: bool,
    /// Whether some value's domain was too large to enumerate whole (it was
    /// sampled: its ends and three points between).
    pub sampled: bool,
    /// The runs' assertions and fault sites, merged (every run shares the
    /// seed, which the table's "first seed" then names).
    pub coverage: Coverage,
    pub failure: Option<(SimError, Schedule)>,
}

/// The widest value domain enumerated whole.
pub(crate) const SMALL_DOMAIN: u64 = 16;

/// The option after `picked` that the search tries for choice `c`, if any.
fn next_option(c: &Choice) -> Option<u64> {
    if !c.kind.is_value() || c.options <= SMALL_DOMAIN {
        return (c.picked + 1 < c.options).then_some(c.picked + 1);
    }
    let last = c.options - 1;
    let sample = [0, last, last / 4, last / 2, last / 4 * 3];
    let at = sample.iter().position(|&v| v == c.picked)?;
    sample[at + 1..].first().copied()
}

/// The next prefix after a run that made `choices`, or `None` when done.
pub(crate) fn next_prefix(choices: &[Choice], max_deviations: usize) -> Option<Vec<u64>> {
    let picks: Vec<u64> = choices.iter().map(|c| c.picked).collect();
    let mut deviations_before: Vec<usize> = Vec::with_capacity(picks.len());
    let mut d = 0;
    for &p in &picks {
        deviations_before.push(d);
        d += usize::from(p != 0);
    }
    (0..choices.len()).rev().find_map(|i| {
        let next = next_option(&choices[i])?;
        (deviations_before[i] < max_deviations).then(|| {
            let mut prefix = picks[..i].to_vec();
            prefix.push(next);
            prefix
        })
    })
}

pub(crate) fn explore<F, Fut>(check: &Check, seed: u64, max_deviations: usize, body: &F) -> Explored
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    quietly(|| {
        let mut prefix = Vec::new();
        let mut runs = 0;
        let mut sampled = false;
        let mut coverage = Coverage::default();
        loop {
            if runs >= check.max_runs {
                return Explored {
                    runs,
                    exhausted: false,
                    sampled,
                    coverage,
                    failure: None,
                };
            }
            let sim = check.configure(Sim::guided_choices(seed, prefix));
            let (_, outcome) = run_once(sim, body);
            runs += 1;
            sampled |= outcome.schedule.values().any(|c| c.options > SMALL_DOMAIN);
            coverage.add_run(seed, &outcome.probes);
            if let Some(error) = outcome.error {
                return Explored {
                    runs,
                    exhausted: false,
                    sampled,
                    coverage,
                    failure: Some((error, outcome.schedule)),
                };
            }
            match next_prefix(outcome.schedule.choices(), max_deviations) {
                Some(p) => prefix = p,
                None => {
                    return Explored {
                        runs,
                        exhausted: true,
                        sampled,
                        coverage,
                        failure: None,
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ChoiceKind;

    fn c(options: u64, picked: u64) -> Choice {
        Choice {
            kind: ChoiceKind::Run,
            options,
            picked,
        }
    }

    fn v(options: u64, picked: u64) -> Choice {
        Choice {
            kind: ChoiceKind::Value,
            options,
            picked,
        }
    }

    #[test]
    fn small_value_domains_are_enumerated_whole_and_large_ones_sampled() {
        assert_eq!(next_prefix(&[v(16, 14)], 1), Some(vec![15]));
        assert_eq!(next_prefix(&[v(16, 15)], 1), None);
        // 101 values: 0, 100, 25, 50, 75, then done.
        let mut tried = vec![0];
        let mut choice = v(101, 0);
        while let Some(p) = next_prefix(&[choice], 1) {
            tried.push(p[0]);
            choice.picked = p[0];
        }
        assert_eq!(tried, [0, 100, 25, 50, 75]);
    }

    #[test]
    fn backtracks_depth_first_within_the_bound() {
        assert_eq!(next_prefix(&[c(2, 0), c(3, 0)], 1), Some(vec![0, 1]));
        assert_eq!(next_prefix(&[c(2, 0), c(3, 2)], 1), Some(vec![1]));
        // One deviation already spent before the last choice: back up further.
        assert_eq!(next_prefix(&[c(2, 1), c(3, 0)], 1), None);
        assert_eq!(next_prefix(&[c(2, 1), c(3, 0)], 2), Some(vec![1, 1]));
        assert_eq!(next_prefix(&[], 3), None);
    }
}
