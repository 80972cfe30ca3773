//! Shrinking a failing schedule toward FIFO.
//!
//! A schedule is edited as a list of picks (0 = the oldest ready task, i.e.
//! FIFO), replayed with [`Sim::guided`]. Passes, repeated until none helps
//! or the budget is spent: drop the tail; set each deviation to 0, last
//! first; merge two deviations into one (drop the later, and let the earlier
//! pick a few options further, which often reaches the same interleaving in
//! one step); lower each remaining deviation to the smallest value that
//! still fails. A candidate is kept only if it fails *the same way* (same panic
//! message, or same kind of failure). The result has the fewest and smallest
//! deviations from FIFO that this greedy search could reach.

use std::future::Future;

use super::outcome::{run_once, Signature};
use super::quiet::quietly;
use super::Check;
use crate::sim::Sim;

/// The smallest failing picks found, and how many runs it took.
pub(crate) struct Shrunk {
    pub picks: Vec<u32>,
    pub runs: usize,
}

pub(crate) fn shrink<F, Fut>(
    check: &Check,
    seed: u64,
    picks: Vec<u32>,
    target: &Signature,
    body: &F,
) -> Shrunk
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    quietly(|| {
        let runs = std::cell::Cell::new(0);
        let fails = |candidate: &[u32]| -> bool {
            if runs.get() >= check.shrink_budget {
                return false;
            }
            runs.set(runs.get() + 1);
            let (_, outcome) =
                run_once(check.configure(Sim::guided(seed, candidate.to_vec())), body);
            outcome.signature().as_ref() == Some(target)
        };
        let mut best = trim(picks);
        loop {
            let before = best.clone();
            // Drop the tail: the shortest prefix (then FIFO) that still fails.
            let mut len = 0;
            while len < best.len() {
                if best[len..].iter().any(|&p| p != 0) && fails(&best[..len]) {
                    best.truncate(len);
                    break;
                }
                len = (len * 2).max(len + 1).min(best.len());
            }
            // Remove deviations, last first.
            for i in (0..best.len()).rev() {
                if best[i] != 0 {
                    let mut c = best.clone();
                    c[i] = 0;
                    if fails(&c) {
                        best = trim(c);
                    }
                }
            }
            // Merge pairs: the later deviation goes, the earlier reaches further.
            'merge: for later in (0..best.len()).rev() {
                for earlier in 0..later {
                    if best[earlier] == 0 || best[later] == 0 {
                        continue;
                    }
                    for reach in 1..=MERGE_REACH {
                        let mut c = best.clone();
                        c[later] = 0;
                        c[earlier] += reach;
                        if fails(&c) {
                            best = trim(c);
                            continue 'merge;
                        }
                    }
                }
            }
            // Make the remaining ones as small as they can be.
            for i in 0..best.len() {
                for smaller in 1..best[i] {
                    let mut c = best.clone();
                    c[i] = smaller;
                    if fails(&c) {
                        best = c;
                        break;
                    }
                }
            }
            if best == before || runs.get() >= check.shrink_budget {
                return Shrunk {
                    picks: best,
                    runs: runs.get(),
                };
            }
        }
    })
}

/// How many options further an earlier deviation may reach when it absorbs
/// a later one.
const MERGE_REACH: u32 = 3;

fn trim(mut picks: Vec<u32>) -> Vec<u32> {
    while picks.last() == Some(&0) {
        picks.pop();
    }
    picks
}
