//! The simulated network: hosts and addresses, TCP and UDP over links with
//! latency, partitions, holds, crashes and restarts, host clocks, and what
//! traces and reports say of them. Sim only; `conformance` runs the same
//! socket bodies on real loopback too.

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;

mod clocks;
mod faults;
mod hosts;
mod reports;
mod tcp;
mod udp;
mod world;

use std::time::Duration;

use seedloop::{net, Policy, Sim};

/// A FIFO sim with a fixed latency of `ms` milliseconds.
pub fn sim_with_latency(ms: u64) -> Sim {
    let d = Duration::from_millis(ms);
    Sim::new(1).policy(Policy::Fifo).network(net::Config {
        latency: d..d,
        ..net::Config::default()
    })
}

/// The `cargo test --test net …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("net");
}
