//! Sync and queue benchmarks, side by side with tokio in one process.
//!
//! `cargo bench --bench sync` (or `-- queue`, `-- lock`) prints, for each
//! workload, the median of several interleaved rounds as ns per operation,
//! seedloop's ratio to tokio (`seedloop/this`, below 1.0 = seedloop is
//! faster) and the cost of tracing (`this/untraced`). Targets: a round trip between two tasks
//! through two `Queue(1)`s ahead of tokio's `mpsc::channel(1)` (issue 9;
//! issue 4 asked ≤ 150 ns against tokio's ~170 ns on the reference machine); lock hand-off between 4 tasks
//! reported against tokio's `Mutex`.

#[path = "common/mod.rs"]
#[macro_use]
mod common;

use std::hint::black_box;

use seedloop::queue::Queue;
use seedloop::sync::Lock;
use seedloop::{spawn, yield_now, Policy, Sim};

use common::{compare, Contender, Versus};

const REPS: usize = 5;

fn sim(tracing: bool) -> Sim {
    Sim::new(1)
        .policy(Policy::Fifo)
        .tracing(tracing)
        .step_limit(u64::MAX)
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Two tasks, `n` round trips: ping puts into `a` and gets from `b`, pong
/// gets from `a` and puts into `b`.
async fn seedloop_ping_pong(n: u64) {
    let (a, b) = (Queue::new(1), Queue::new(1));
    let (a2, b2) = (a.clone(), b.clone());
    let pong = spawn(async move {
        for _ in 0..n {
            let x = a2.get().await.unwrap();
            b2.put(x).await.unwrap();
        }
    });
    let ping = spawn(async move {
        for i in 0..n {
            a.put(i).await.unwrap();
            black_box(b.get().await.unwrap());
        }
    });
    ping.await.unwrap();
    pong.await.unwrap();
}

async fn tokio_ping_pong(n: u64) {
    let (tx_a, mut rx_a) = tokio::sync::mpsc::channel(1);
    let (tx_b, mut rx_b) = tokio::sync::mpsc::channel(1);
    let pong = tokio::spawn(async move {
        for _ in 0..n {
            let x = rx_a.recv().await.unwrap();
            tx_b.send(x).await.unwrap();
        }
    });
    let ping = tokio::spawn(async move {
        for i in 0..n {
            tx_a.send(i).await.unwrap();
            black_box(rx_b.recv().await.unwrap());
        }
    });
    ping.await.unwrap();
    pong.await.unwrap();
}

fn ping_pong(n: u64, traced: u64) {
    say!("round trips between two tasks through two Queue(1)s / mpsc::channel(1)");
    let rt = tokio_rt();
    compare(
        REPS,
        &mut [
            Contender::new(
                format!("seedloop Queue (tracing off, {n})"),
                n,
                Versus::Reference,
                || sim(false).run(seedloop_ping_pong(n)).unwrap(),
            ),
            // A traced run keeps every event: fewer round trips, to bound memory.
            Contender::new(
                format!("seedloop Queue (tracing on, {traced})"),
                traced,
                Versus::Variant,
                || sim(true).run(seedloop_ping_pong(traced)).unwrap(),
            ),
            Contender::new(
                "tokio mpsc::channel(1), current-thread",
                n,
                Versus::Peer,
                || rt.block_on(tokio_ping_pong(n)),
            ),
        ],
    );
}

/// `tasks` tasks take the lock `n` times in all, each holding it across a
/// yield, so every acquisition is a hand-off to a waiting task.
async fn seedloop_lock_hand_off(n: u64, tasks: u64) {
    let lock = Lock::new(0u64);
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let lock = lock.clone();
            spawn(async move {
                for _ in 0..n / tasks {
                    let mut g = lock.lock().await;
                    *g += 1;
                    yield_now().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(*lock.lock().await, n);
}

async fn tokio_lock_hand_off(n: u64, tasks: u64) {
    let lock = std::sync::Arc::new(tokio::sync::Mutex::new(0u64));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let lock = lock.clone();
            tokio::spawn(async move {
                for _ in 0..n / tasks {
                    let mut g = lock.lock().await;
                    *g += 1;
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(*lock.lock().await, n);
}

fn lock_hand_off(n: u64, traced: u64) {
    say!("lock hand-off between 4 tasks (each holds the lock across a yield)");
    let rt = tokio_rt();
    compare(
        REPS,
        &mut [
            Contender::new(
                format!("seedloop Lock (tracing off, {n})"),
                n,
                Versus::Reference,
                || sim(false).run(seedloop_lock_hand_off(n, 4)).unwrap(),
            ),
            Contender::new(
                format!("seedloop Lock (tracing on, {traced})"),
                traced,
                Versus::Variant,
                || sim(true).run(seedloop_lock_hand_off(traced, 4)).unwrap(),
            ),
            Contender::new("tokio Mutex, current-thread", n, Versus::Peer, || {
                rt.block_on(tokio_lock_hand_off(n, 4))
            }),
        ],
    );
}

fn main() {
    // `cargo test --benches` runs this in debug: keep it quick then.
    let quick = common::smoke() || std::env::args().any(|a| a == "--quick");
    let (n, traced) = if quick {
        (2_000, 1_000)
    } else {
        (1_000_000, 100_000)
    };
    // `cargo bench --bench sync -- queue` (or `lock`) runs one workload.
    let only = |name: &str| {
        let filters: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect();
        filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
    };
    if only("queue") {
        ping_pong(n, traced);
    }
    if only("lock") {
        lock_hand_off(n, traced);
    }
    common::smoke_done("sync");
}
