//! Integration tests: scenarios ported from asyncio tutorials, run under sim
//! with exact virtual times, plus trace snapshots (in `snapshots/`).

mod common;
mod conformance;
mod conformance_core;
mod core_determinism;
mod core_scenarios;
mod core_semantics;
mod real_debug;
mod real_net_tcp;
mod real_net_udp;
mod real_runtime;
mod real_to_thread;
