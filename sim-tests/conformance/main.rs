//! Conformance: one test body run under both backends (a FIFO `Sim` and a
//! real `Runtime`), asserting the same order of events (see `harness.rs`).

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;

mod harness;

mod combinators;
mod core_scenarios;
mod net;
mod queues;
mod sync;
mod task_group;

/// The `cargo test --test conformance …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("conformance");
}
