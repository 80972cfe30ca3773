//! Synchronization primitives: Lock, Semaphore, Event, Condition, Barrier
//! (the asyncio tutorials, checked against CPython in `sim-tests/asyncio/`),
//! cancel-correctness properties (queues included), and the deadlock report's
//! wait-for graph.

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;
#[path = "../asyncio/oracle.rs"]
mod oracle;

mod barrier_rounds;
mod condition_lock;
mod deadlock_reports;
mod debug_output;
mod dropped_waiters;
mod events;
mod locks;
mod named;
mod properties;
mod semaphore_permits;

/// The `cargo test --test sync …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("sync");
}

/// The sync tutorials print what CPython prints (`sync_scenarios.py`).
#[test]
fn the_sync_tutorials_print_what_cpython_prints() {
    oracle::check(
        "sync_scenarios.py",
        &[
            &locks::LOCK_GUARD_AND_EXPLICIT,
            &events::EVENT_RUNNERS,
            &events::CONDITION_NOTIFY,
            &events::CONDITION_WAIT_FOR,
        ],
    );
}
