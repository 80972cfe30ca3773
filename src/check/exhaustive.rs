//! Bounded exhaustive search: every schedule with at most `k` deviations from
//! FIFO, depth-first, until the space is exhausted.
//!
//! Each run follows a prefix of picks and then FIFO. From the choices a run
//! actually made, the next prefix backtracks to the deepest choice that can
//! take its next option without exceeding `k` non-zero picks. Every schedule
//! within the bound is run exactly once; when no choice can move, the space
//! is exhausted and the check says so.

use std::future::Future;

use super::outcome::run_once;
use super::quiet::quietly;
use super::Check;
use crate::sim::{Choice, Schedule, Sim, SimError};

/// What the search covered.
pub(crate) struct Explored {
    pub runs: u64,
    /// Whether every schedule within the bound was run.
    pub exhausted: bool,
    pub failure: Option<(SimError, Schedule)>,
}

/// The next prefix after a run that made `choices`, or `None` when done.
pub(crate) fn next_prefix(choices: &[Choice], max_deviations: usize) -> Option<Vec<u32>> {
    let picks: Vec<u32> = choices.iter().map(|c| c.picked).collect();
    let mut deviations_before: Vec<usize> = Vec::with_capacity(picks.len());
    let mut d = 0;
    for &p in &picks {
        deviations_before.push(d);
        d += usize::from(p != 0);
    }
    (0..choices.len()).rev().find_map(|i| {
        let next = picks[i] + 1;
        (next < choices[i].options && deviations_before[i] < max_deviations).then(|| {
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
        loop {
            if runs >= check.max_runs {
                return Explored {
                    runs,
                    exhausted: false,
                    failure: None,
                };
            }
            let sim = check.configure(Sim::guided(seed, prefix));
            let (_, outcome) = run_once(sim, body);
            runs += 1;
            if let Some(error) = outcome.error {
                return Explored {
                    runs,
                    exhausted: false,
                    failure: Some((error, outcome.schedule)),
                };
            }
            match next_prefix(outcome.schedule.choices(), max_deviations) {
                Some(p) => prefix = p,
                None => {
                    return Explored {
                        runs,
                        exhausted: true,
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

    fn c(options: u32, picked: u32) -> Choice {
        Choice {
            kind: ChoiceKind::Run,
            options,
            picked,
        }
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
