//! The core: tasks, the virtual clock, callbacks, cancellation, panics and
//! deadlocks, determinism and replay. The asyncio tutorial scenarios are
//! checked line by line against CPython (`sim-tests/asyncio/`), and traces
//! against snapshots (in `snapshots/`).

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;
#[path = "../asyncio/oracle.rs"]
mod oracle;

mod architecture;
mod choices;
mod determinism;
mod docs_samples;
mod isolation;
/// The main demonstration's program, for the quick start's snapshots.
#[path = "../../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;
mod remote_wakes;
mod resident_sleeps;
mod run_loop_edges;
mod scenarios;
mod semantics;
mod task_extras;
mod timeouts;
mod value_steering;
mod wake_order;

/// The `cargo test --test core …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("core");
}

/// The core tutorials print what CPython prints (`virtual_loop.py`).
#[test]
fn the_core_tutorials_print_what_cpython_prints() {
    oracle::check(
        "virtual_loop.py",
        &[
            &scenarios::THREE_SLEEPERS,
            &scenarios::TICKER_AND_DELAYS,
            &scenarios::SPAWN_ORDER,
            &scenarios::CANCEL_AFTER_FIVE,
            &scenarios::WAIT_FOR_TIMEOUT,
        ],
    );
}
