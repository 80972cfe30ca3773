//! Core executor benchmarks, side by side with peers in one process.
//!
//! `cargo bench --bench core` (or `-- spawn`, `-- timers`, `-- runs` for one
//! workload) runs every contender once to warm up, then several rounds in
//! which each contender runs once in turn, and prints each one's median ns
//! per operation with the median of its per-round ratio to seedloop (tracing
//! off): `seedloop/this` for a peer (below 1.0 = seedloop is faster),
//! `this/untraced` for seedloop with tracing on (the cost of tracing).
//!
//! Targets (issue 9): spawn+join at or below async-executor's
//! `LocalExecutor`; 100,000 sleeping tasks at most half of tokio's paused
//! clock per timer; tracing at most 2x.

#[path = "common/mod.rs"]
#[macro_use]
mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use seedloop::{Policy, Sim};

use common::{compare, measure, wanted, Contender, Versus};

const REPS: usize = 9;

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

fn spawn_join(n: u64) {
    say!("spawn and join {n} trivial tasks");
    let seedloop = |tracing: bool| {
        move || {
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
        }
    };
    let rt = tokio_rt();
    let ex = async_executor::LocalExecutor::new();
    compare(
        REPS,
        &mut [
            Contender::new(
                "seedloop sim (tracing off)",
                n,
                Versus::Reference,
                seedloop(false),
            ),
            Contender::new(
                "seedloop sim (tracing on)",
                n,
                Versus::Variant,
                seedloop(true),
            ),
            Contender::new("tokio current-thread", n, Versus::Peer, || {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
                    let mut sum = 0;
                    for t in tasks {
                        sum += t.await.unwrap();
                    }
                    black_box(sum)
                });
            }),
            Contender::new("async-executor LocalExecutor", n, Versus::Peer, || {
                futures::executor::block_on(ex.run(async {
                    let tasks: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
                    let mut sum = 0;
                    for t in tasks {
                        sum += t.await;
                    }
                    black_box(sum)
                }));
            }),
        ],
    );
}

/// `n` deterministic pseudo-random durations from 1 ms to 10 s, all
/// distinct (whole microseconds: tokio's wheel rounds them up to its
/// millisecond ticks, seedloop keeps them exact).
fn durations(n: u64) -> Vec<Duration> {
    const RANGE: u64 = 9_999_001; // microseconds in 1 ms ..= 10 s
    assert!(n <= RANGE / 2);
    let mut seen = std::collections::HashSet::new();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(n as usize);
    while out.len() < n as usize {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let micros = 1_000 + x % RANGE;
        if seen.insert(micros) {
            out.push(Duration::from_micros(micros));
        }
    }
    out
}

fn timers(n: u64) {
    say!("{n} tasks each sleeping a distinct 1 ms to 10 s of virtual time, Policy::Fifo");
    let ds = durations(n);
    let seedloop = |tracing: bool| {
        let ds = &ds;
        move || {
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
        }
    };
    compare(
        REPS,
        &mut [
            Contender::new(
                "seedloop sim (tracing off)",
                n,
                Versus::Reference,
                seedloop(false),
            ),
            Contender::new(
                "seedloop sim (tracing on)",
                n,
                Versus::Variant,
                seedloop(true),
            ),
            Contender::new(
                "tokio current-thread, paused clock",
                n,
                Versus::Peer,
                || {
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
                },
            ),
        ],
    );
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
    say!("whole seeded runs of a 4-task racy counter (Policy::Random)");
    for tracing in [false, true] {
        let ns = measure(REPS, runs, || {
            for seed in 0..runs {
                black_box(Sim::new(seed).tracing(tracing).run(racy()).unwrap());
            }
        });
        say!(
            "  seedloop sim (tracing {:<3})           {:>9.0} runs/s ({ns:.0} ns/run)",
            if tracing { "on" } else { "off" },
            1e9 / ns
        );
    }
}

fn main() {
    // `cargo test --benches` runs this with `--bench`-less args; keep it quick then.
    let quick = common::smoke() || std::env::args().any(|a| a == "--quick");
    let n = if quick { 2_000 } else { 100_000 };
    // `cargo bench --bench core -- timers` (or `spawn`, `runs`) runs one workload.
    if wanted("spawn") {
        spawn_join(n);
    }
    if wanted("timers") {
        timers(n);
    }
    if wanted("runs") {
        whole_runs(if quick { 100 } else { 20_000 });
    }
    common::smoke_done("core");
}
