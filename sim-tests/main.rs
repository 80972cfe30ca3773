//! Integration tests: scenarios ported from asyncio tutorials, run under sim
//! with exact virtual times, plus trace snapshots (in `snapshots/`).

mod bug_catalogue;
mod bugs;
mod check_harness;
mod common;
mod core_choices;
mod core_determinism;
mod core_isolation;
mod core_run_loop_edges;
mod core_scenarios;
mod core_schedule_corpus;
mod core_semantics;
mod core_wake_order;

// Waiting on many things: Promise, gather, wait, as_completed, shield, TaskGroup.
mod combinators_cancel;
mod combinators_gather;
mod combinators_group;
mod combinators_promise;
mod combinators_props;
mod combinators_wait;

// Synchronization and queues.
mod deadlock_reports;
mod queues;
mod sync_events;
mod sync_locks;
mod sync_properties;

// Real mode, and the conformance harness (one body, both backends).
mod conformance;
mod conformance_combinators;
mod conformance_core;
mod conformance_queues;
mod conformance_sync;
mod conformance_task_group;
mod real_debug;
mod real_net_tcp;
mod real_net_udp;
mod real_runtime;
mod real_to_thread;
