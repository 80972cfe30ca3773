//! The exploration harness (`seedloop::check`): sweeps, PCT, exhaustive
//! search, shrinking, replay, proptest, fuzz bytes and the failure report;
//! and the rules of the documented-commands check every binary runs.

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;
/// The bug catalogue's programs (their tests are in `sim-tests/catalogue/`);
/// the harness's shrinking test uses one.
#[path = "../catalogue/programs/mod.rs"]
#[allow(dead_code)]
mod programs;

mod cancel_injection;
mod coverage_table;
mod documented_commands_rules;
mod faults;
mod harness;
mod panic_sites;
mod readable_failures;
mod settings;
mod shards;
mod sweep_threads;
mod values;

/// The `cargo test --test check …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("check");
}
