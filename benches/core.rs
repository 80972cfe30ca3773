//! Core executor benchmarks, side by side with peers in one process.
//!
//! `cargo bench --bench core` prints, for each workload, the median of
//! several repetitions as ns per operation, and seedloop's ratio to each peer
//! (below 1.0 = seedloop is faster). Targets (issue 2): spawn+join ≤ 150 ns
//! per task; a sleeping task ≤ 300 ns per timer; ≥ 200,000 whole runs/s of
//! the small racy program.

#[path = "common/mod.rs"]
mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use seedloop::{Policy, Sim};

use common::{measure, row};

const REPS: usize = 9;

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

fn spawn_join(n: u64) {
    println!("spawn and join {n} trivial tasks");
    let seedloop = |tracing: bool| {
        measure(REPS, n, || {
            let mut sim = Sim::new(1)
                .policy(Policy::Fifo)
                .tracing(tracing)
                .step_limit(u64::MAX);
            sim.run(async {
                let tasks: Vec<_> = (0..n).map(|i| seedloop::spawn(async move { i })).collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                black_box(sum)
            })
            .unwrap();
        })
    };
    let off = seedloop(false);
    let on = seedloop(true);
    let rt = tokio_rt();
    let tokio = measure(REPS, n, || {
        rt.block_on(async {
            let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            black_box(sum)
        });
    });
    let ex = async_executor::LocalExecutor::new();
    let async_ex = measure(REPS, n, || {
        futures::executor::block_on(ex.run(async {
            let tasks: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await;
            }
            black_box(sum)
        }));
    });
    row("seedloop sim (tracing off)", off, None);
    row("seedloop sim (tracing on)", on, None);
    row("tokio current-thread", tokio, Some(off));
    row("async-executor LocalExecutor", async_ex, Some(off));
}

/// Deterministic pseudo-random durations, 1 ms to 10 s.
fn durations(n: u64) -> Vec<Duration> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Duration::from_millis(1 + x % 10_000)
        })
        .collect()
}

fn timers(n: u64) {
    println!("{n} tasks each sleeping 1 ms to 10 s of virtual time");
    let ds = durations(n);
    let seedloop = |tracing: bool| {
        measure(REPS, n, || {
            let mut sim = Sim::new(1)
                .policy(Policy::Fifo)
                .tracing(tracing)
                .step_limit(u64::MAX);
            sim.run(async {
                let tasks: Vec<_> = ds
                    .iter()
                    .map(|&d| seedloop::spawn(seedloop::sleep(d)))
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
            .unwrap();
        })
    };
    let off = seedloop(false);
    let on = seedloop(true);
    let tokio = measure(REPS, n, || {
        let rt = tokio_rt();
        rt.block_on(async {
            let tasks: Vec<_> = ds
                .iter()
                .map(|&d| tokio::spawn(tokio::time::sleep(d)))
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
    });
    row("seedloop sim (tracing off)", off, None);
    row("seedloop sim (tracing on)", on, None);
    row("tokio current-thread, paused clock", tokio, Some(off));
}

/// The small racy program: 4 tasks × 10 × (read, yield, write).
async fn racy() -> u32 {
    let counter = Rc::new(Cell::new(0u32));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let c = counter.clone();
            seedloop::spawn(async move {
                for _ in 0..10 {
                    let seen = c.get();
                    seedloop::yield_now().await;
                    c.set(seen + 1);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    counter.get()
}

fn whole_runs(runs: u64) {
    println!("whole seeded runs of a 4-task racy counter (Policy::Random)");
    for tracing in [false, true] {
        let ns = measure(REPS, runs, || {
            for seed in 0..runs {
                black_box(Sim::new(seed).tracing(tracing).run(racy()).unwrap());
            }
        });
        println!(
            "  seedloop sim (tracing {:<3})           {:>9.0} runs/s ({ns:.0} ns/run)",
            if tracing { "on" } else { "off" },
            1e9 / ns
        );
    }
}

fn main() {
    // `cargo test --benches` runs this with `--bench`-less args; keep it quick then.
    let quick = std::env::args().any(|a| a == "--quick") || cfg!(debug_assertions);
    let n = if quick { 2_000 } else { 100_000 };
    spawn_join(n);
    timers(n);
    whole_runs(if quick { 100 } else { 20_000 });
}
