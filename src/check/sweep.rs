//! Many seeds, on all cores: one `Sim` per thread at a time.
//!
//! Threads take seeds in order from a shared counter. When a seed fails,
//! seeds after it are skipped but every seed before it still runs, so the
//! failure reported is always the *smallest* failing seed: the same answer
//! on 1 thread or 16.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::coverage::Coverage;
use super::outcome::run_once;
use super::quiet::quietly;
use super::Check;
use crate::sim::{Schedule, SimError};

/// What a sweep found.
pub(crate) struct Swept {
    pub runs: u64,
    /// The smallest failing seed, its error and schedule.
    pub failure: Option<(u64, SimError, Schedule)>,
    /// The runs' assertions and fault sites, merged (complete only when
    /// every seed ran: without a failure).
    pub coverage: Coverage,
}

pub(crate) fn sweep<F, Fut>(check: &Check, seeds: &[u64], body: &F) -> Swept
where
    F: Fn() -> Fut + Sync,
    Fut: Future<Output = ()>,
{
    let next = AtomicUsize::new(0);
    let first_failing = AtomicUsize::new(usize::MAX);
    let runs = AtomicU64::new(0);
    let failures: Mutex<Vec<(usize, SimError, Schedule)>> = Mutex::new(Vec::new());
    let coverage: Mutex<Coverage> = Mutex::default();
    let worker = || {
        let mut covered = Coverage::default();
        quietly(|| loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= seeds.len() || i > first_failing.load(Ordering::Relaxed) {
                return;
            }
            let sim = check.sim_for_seed(seeds[i]);
            let (_, outcome) = run_once(sim, body);
            runs.fetch_add(1, Ordering::Relaxed);
            covered.add_run(seeds[i], &outcome.probes);
            if let Some(error) = outcome.error {
                first_failing.fetch_min(i, Ordering::Relaxed);
                failures.lock().unwrap_or_else(|p| p.into_inner()).push((
                    i,
                    error,
                    outcome.schedule,
                ));
            }
        });
        coverage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .merge(covered);
    };
    let threads = check.threads.clamp(1, seeds.len().max(1));
    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }
    let failure = failures
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .min_by_key(|(i, _, _)| *i)
        .map(|(i, e, s)| (seeds[i], e, s));
    Swept {
        runs: runs.into_inner(),
        failure,
        coverage: coverage.into_inner().unwrap_or_else(|p| p.into_inner()),
    }
}
