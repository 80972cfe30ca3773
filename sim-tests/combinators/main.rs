//! Waiting on many things: Promise, gather, wait, as_completed, shield,
//! TaskGroup; their cancellation rules, and properties under random
//! schedules.

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;

mod cancel;
mod gather;
mod group;
mod promise;
mod props;
mod wait;

/// The `cargo test --test combinators …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("combinators");
}
