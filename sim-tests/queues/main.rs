//! Queue, PriorityQueue, LifoQueue: the asyncio tutorials (checked against
//! CPython in `sim-tests/asyncio/`), hand-off order, cancellation, shutdown,
//! misuse.

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;
#[path = "../asyncio/oracle.rs"]
mod oracle;

mod debug_output;
mod item_drops_that_start_a_run;
mod queues;

/// The `cargo test --test queues …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("queues");
}

/// The queue tutorials print what CPython prints (`queue_scenarios.py`).
#[test]
fn the_queue_tutorials_print_what_cpython_prints() {
    oracle::check(
        "queue_scenarios.py",
        &[&queues::QUEUE_WORKERS, &queues::QUEUE_PRODUCER_CONSUMER],
    );
}
