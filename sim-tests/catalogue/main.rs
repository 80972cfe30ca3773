//! The bug catalogue: sixteen small programs with a classic concurrency bug
//! each, and a fixed version (`programs/`, shared with
//! `examples/bug_table.rs`), and their tests (`bugs.rs`, one `bug_tests!`
//! per program): every policy of the harness finds every bug. See
//! `docs/bugs.md`.

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;

#[macro_use]
mod bug_tests;
mod bugs;
mod network;
mod network_bugs;
mod programs;
mod schedule_corpus;

/// The `cargo test --test catalogue …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("catalogue");
}
