//! Shrinking a failing schedule toward FIFO and toward the smallest values.
//!
//! A schedule is edited as a list of picks (0 = the oldest ready task, or a
//! value's domain's first), replayed with `Sim::guided`. Passes, repeated
//! until none helps or the budget is spent: drop the tail; set each
//! deviation to 0, last first; merge two scheduling deviations into one
//! (drop the later, and let the earlier pick a few options further, which
//! often reaches the same interleaving in one step); lower each remaining
//! deviation to the smallest value that still fails (a scheduling pick by
//! trying each smaller one; a value by binary search toward its domain's
//! start, as Hypothesis does). A candidate is kept only if it fails *the
//! same way* (a panic at the same place, or the same kind of failure). The result has
//! the fewest and smallest deviations that this greedy search could reach.

use std::cell::{Cell, RefCell};
use std::future::Future;

use super::outcome::{run_once, Signature};
use super::quiet::quietly;
use super::Check;
use crate::sim::{Choice, ChoiceKind, Sim};

/// The smallest failing picks found, and how many runs it took.
pub(crate) struct Shrunk {
    pub picks: Vec<u64>,
    pub runs: usize,
}

pub(crate) fn shrink<F, Fut>(
    check: &Check,
    seed: u64,
    found: &[Choice],
    target: &Signature,
    body: &F,
) -> Shrunk
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    quietly(|| {
        let runs = Cell::new(0);
        // The kind of each choice of the last failing candidate: an edit
        // may change which choices a run makes, so kinds come from a run.
        let kinds: RefCell<Vec<ChoiceKind>> = RefCell::new(found.iter().map(|c| c.kind).collect());
        let fails = |candidate: &[u64]| -> bool {
            if runs.get() >= check.shrink_budget {
                return false;
            }
            runs.set(runs.get() + 1);
            let sim = check.configure(Sim::guided_choices(seed, candidate.to_vec()));
            let (_, outcome) = run_once(sim, body);
            let failed = outcome.signature().as_ref() == Some(target);
            if failed {
                *kinds.borrow_mut() = outcome.schedule.choices().iter().map(|c| c.kind).collect();
            }
            failed
        };
        let kind = |i: usize| kinds.borrow().get(i).copied().unwrap_or(ChoiceKind::Run);
        let mut best = trim(found.iter().map(|c| c.picked).collect());
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
            // Remove deviations, last first. (A success trims the trailing
            // zeros, so the list may get shorter than `i`.)
            for i in (0..best.len()).rev() {
                if best.get(i).is_some_and(|&p| p != 0) {
                    let mut c = best.clone();
                    c[i] = 0;
                    if fails(&c) {
                        best = trim(c);
                    }
                }
            }
            // Merge pairs of picks: the later goes, the earlier reaches further.
            'merge: for later in (0..best.len()).rev() {
                for earlier in 0..later {
                    if later >= best.len() || best[earlier] == 0 || best[later] == 0 {
                        continue;
                    }
                    if kind(earlier) != ChoiceKind::Run || kind(later) != ChoiceKind::Run {
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
                if best[i] == 0 {
                    continue;
                }
                if kind(i) == ChoiceKind::Run {
                    for smaller in 1..best[i] {
                        let mut c = best.clone();
                        c[i] = smaller;
                        if fails(&c) {
                            best = c;
                            break;
                        }
                    }
                } else {
                    best[i] = lowest_failing(&best, i, &fails);
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

/// The smallest value for choice `i` that still fails, by binary search
/// between 0 (passes: the zeroing pass tried it) and the current value
/// (fails). Failure need not be monotone in the value; the search keeps
/// the invariant "`high` fails", so its answer always fails.
fn lowest_failing(best: &[u64], i: usize, fails: &impl Fn(&[u64]) -> bool) -> u64 {
    let (mut low, mut high) = (0, best[i]);
    let mut c = best.to_vec();
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        c[i] = mid;
        if fails(&c) {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}

/// How many options further an earlier deviation may reach when it absorbs
/// a later one.
const MERGE_REACH: u64 = 3;

fn trim(mut picks: Vec<u64>) -> Vec<u64> {
    while picks.last() == Some(&0) {
        picks.pop();
    }
    picks
}
