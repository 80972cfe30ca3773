//! Integration tests: scenarios ported from asyncio tutorials, run under sim
//! with exact virtual times, plus trace snapshots (in `snapshots/`).

mod common;
mod core_determinism;
mod core_scenarios;
mod core_semantics;
mod deadlock_reports;
mod queues;
mod sync_events;
mod sync_locks;
mod sync_properties;
