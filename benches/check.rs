//! Harness throughput: schedules per second on a small racy program, on 1
//! thread and on every core. The same figures on the bug catalogue
//! (`sim-tests/catalogue/programs/`), with how many runs each policy needs to find each
//! bug, come from `cargo run --release --example bug_table` (see
//! `docs/bugs.md`).
//!
//! `cargo bench --bench check`. Medians of several repetitions.

#[path = "common/mod.rs"]
#[macro_use]
mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use seedloop::check::Check;
use seedloop::{spawn, yield_now};

use common::median;

const REPS: usize = 5;

/// The small program of issue 2: 4 tasks × 10 × (read, yield, write), with
/// the counter checked only loosely so every schedule passes.
async fn small_program() {
    let counter = Rc::new(Cell::new(0u32));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let c = counter.clone();
            spawn(async move {
                for _ in 0..10 {
                    let seen = c.get();
                    yield_now().await;
                    c.set(seen + 1);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert!(black_box(counter.get()) <= 40);
}

fn runs_per_second(threads: usize, seeds: u64) -> f64 {
    let secs = median(
        (0..REPS)
            .map(|_| {
                let t = Instant::now();
                Check::new()
                    .seeds(0..seeds)
                    .threads(threads)
                    .run(small_program);
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    seeds as f64 / secs
}

fn main() {
    let quick = common::smoke();
    let seeds = if quick { 200 } else { 200_000 };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    say!("Check sweep of the 4-task racy program ({seeds} seeds, Policy::Random)");
    let one = runs_per_second(1, seeds);
    say!("  1 thread:   {one:>10.0} runs/s");
    let all = runs_per_second(cores, seeds);
    say!(
        "  {cores} threads:  {all:>10.0} runs/s   speed-up {:.2}x over 1 thread",
        all / one
    );
    common::smoke_done("check");
}
