//! Real mode: the mio reactor and the real clock (`seedloop::real`), TCP and
//! UDP sockets (`seedloop::net`), `to_thread`, and debug mode.

#[path = "../common.rs"]
mod common;
#[path = "../documented_commands.rs"]
mod documented_commands;

mod debug;
mod docs_samples;
mod net_tcp;
mod net_udp;
mod runtime;
mod to_thread;

/// The `cargo test --test real …` commands of the docs match tests here.
#[test]
fn documented_commands_match_tests() {
    documented_commands::check("real");
}
