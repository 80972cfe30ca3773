//! The main demonstration: a seeded race, its trace, and how to replay it.
//!
//! Two customers withdraw 80 from an account holding 100. Each logs in (a
//! simulated, random latency), checks the balance, writes an audit line (an
//! `await`), then withdraws. Usually one of them is refused. But when both
//! log in at the same instant and the scheduler lets the second check run
//! before the first withdrawal, both pass the check: the account goes
//! negative. The seed decides; seedloop finds such a seed, shows the run,
//! replays it, and shrinks it: the latencies are choices of the run, and the
//! shrunk report shows that both at 1 ms already overdraw.
//!
//! ```text
//! cargo run --release --example quickstart
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use seedloop::check::Check;
use seedloop::task::Builder;
use seedloop::{sleep, yield_now, Policy, Sim};

/// The program under test: returns the final balance. (The quick start's
/// snapshot tests run it too: sim-tests/core/docs_samples.rs.)
pub async fn two_withdrawals() -> i64 {
    withdrawals(&["alice", "bob"]).await
}

/// Each customer withdraws 80 from an account holding 100, after a login
/// latency drawn from the seed; returns the final balance.
pub async fn withdrawals(customers: &[&'static str]) -> i64 {
    let balance = Rc::new(Cell::new(100i64));
    let customer = |name: &'static str| {
        let balance = balance.clone();
        Builder::new().name(name).spawn(async move {
            // Logging in takes 1 to 10 ms, drawn from the seed.
            sleep(Duration::from_millis(seedloop::random::range(1..11))).await;
            if balance.get() >= 80 {
                yield_now().await; // write the audit line
                balance.set(balance.get() - 80);
            }
        })
    };
    let tasks: Vec<_> = customers.iter().map(|&name| customer(name)).collect();
    for t in tasks {
        t.await.unwrap();
    }
    balance.get()
}

fn main() {
    // 1. asyncio's own order, seed 0: looks fine.
    let fifo = Sim::new(0)
        .policy(Policy::Fifo)
        .run(two_withdrawals())
        .unwrap();
    println!("seed 0, Policy::Fifo (asyncio's order): final balance {fifo}");

    // 2. Explore: each seed is one schedule (and one set of latencies).
    let mut failing = Vec::new();
    for seed in 0..1000 {
        let mut sim = Sim::new(seed).tracing(false);
        if sim.run(two_withdrawals()).unwrap() < 0 {
            failing.push(seed);
        }
    }
    println!(
        "Policy::Random over seeds 0..1000: {} seeds overdraw the account, e.g. {:?}\n",
        failing.len(),
        &failing[..failing.len().min(5)]
    );
    let Some(&seed) = failing.first() else {
        return;
    };
    let mut sim = Sim::new(seed);
    sim.run(two_withdrawals()).unwrap();
    println!("seed {seed}: the account went negative. The run, event by event:\n");
    print!("{}", sim.trace().render());

    // 3. Replay: the schedule string reproduces the run exactly.
    let schedule = sim.schedule().to_string();
    let mut replay = Sim::replay(&schedule).expect("a schedule we just printed");
    let balance = replay.run(two_withdrawals()).unwrap();
    println!("\nschedule: {schedule}");
    println!(
        "replayed with Sim::replay(\"{schedule}\"): balance {balance}, trace hash {:016x} (original {:016x})",
        replay.trace().hash(),
        sim.trace().hash()
    );
    println!("or, in a test that builds its Sim with Sim::from_env():");
    println!("  SEEDLOOP_REPLAY='{schedule}' cargo test -- <test name>");
    assert_eq!(replay.trace().render(), sim.trace().render());

    // 4. Shrink: a Check finds the same race and lowers every choice, the
    //    login latencies included, as far as the failure allows.
    let err = Check::new()
        .seeds(0..1000)
        .name("bank::overdraw")
        .try_run(|| async {
            let balance = two_withdrawals().await;
            assert!(balance >= 0, "overdrawn: balance {balance}");
        })
        .unwrap_err();
    println!("\nThe same race found by seedloop::check::Check, and shrunk:\n\n{err}");
}
