//! A catalogue of classic concurrency bugs, one small program per file,
//! written against seedloop's own primitives.
//!
//! Each file holds the buggy program (`pub async fn <name>()`) and a fixed
//! version (`pub async fn <name>_fixed()`). The bugs marked `cancels` need
//! a cancel at the worst moment and are explored with
//! `Check::inject_cancels(true)`. Their tests, in
//! `sim-tests/catalogue/bugs.rs`, show that every exploration policy finds
//! each bug, that bounded exhaustive search finds it within its bound, that
//! shrinking reduces it to its essential deviations from FIFO, and that the
//! fix holds. Every program passes under FIFO (asyncio's order) with the
//! smallest values: each bug needs at least one choice away from the plain
//! one. The first eleven need a scheduling decision asyncio would not make
//! (and pass under FIFO for every seed); the last three (timing bugs) need
//! specific delays drawn with `seedloop::random::range`.
//!
//! This module is compiled three times: by the `catalogue` test binary
//! (`mod programs;` in `sim-tests/catalogue/main.rs`), by the `check` test
//! binary (whose shrinking test uses `aba_slot`), and by
//! `examples/bug_table.rs` through
//! `#[path = "../sim-tests/catalogue/programs/mod.rs"]`, which
//! `cargo test --all-targets` builds in test mode too; so no tests live here.
//! The table the example prints is in `docs/bugs.md`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use seedloop::task::Builder;
use seedloop::{Policy, Sim, Task};

pub mod aba_slot;
pub mod barrier_miscount;
pub mod cancel_between_steps;
pub mod cancelled_read_modify_write;
pub mod double_release;
pub mod hand_held_guard;
pub mod lock_order_deadlock;
pub mod lost_update;
pub mod missed_notification;
pub mod queue_check_then_act;
/// A bug that needs an injected fault: not in [`CATALOGUE`] (see its docs),
/// so the bug table does not use it.
#[allow(dead_code)]
pub mod retry_duplicates;
pub mod slow_hops_miss_deadline;
pub mod stale_cache;
pub mod starvation;
pub mod straggler_overtakes_close;
pub mod timeout_between_steps;
pub mod timeout_leaks_lock;

/// A catalogue program, boxed so that programs of different types share a table.
pub type Program = fn() -> Pin<Box<dyn Future<Output = ()>>>;

/// One entry of the catalogue.
pub struct Bug {
    /// The module's name, also the program's.
    pub name: &'static str,
    /// The program with the bug.
    pub program: Program,
    /// The same program with the bug fixed.
    pub fixed: Program,
    /// The fewest deviations from FIFO that make it fail: bounded exhaustive
    /// search with this bound finds it, with one less it exhausts the space.
    pub deviations: usize,
    /// Whether the failure needs specific values (delays drawn with
    /// `seedloop::random`) rather than a scheduling decision: such a program
    /// may fail under FIFO with values drawn from the seed.
    pub timing: bool,
    /// The bug needs a cancel at the worst moment: it is explored with
    /// `Check::inject_cancels(true)`, and passes with no cancel under every
    /// order of its tasks (FIFO included).
    pub cancels: bool,
}

macro_rules! entry {
    ($module:ident :: $program:ident, $fixed:ident, $deviations:expr) => {
        entry!($module::$program, $fixed, $deviations, timing: false, cancels: false)
    };
    ($module:ident :: $program:ident, $fixed:ident, $deviations:expr, timing: $timing:expr) => {
        entry!($module::$program, $fixed, $deviations, timing: $timing, cancels: false)
    };
    ($module:ident :: $program:ident, $fixed:ident, $deviations:expr, cancels: $cancels:expr) => {
        entry!($module::$program, $fixed, $deviations, timing: false, cancels: $cancels)
    };
    (
        $module:ident :: $program:ident,
        $fixed:ident,
        $deviations:expr,
        timing: $timing:expr,
        cancels: $cancels:expr
    ) => {
        Bug {
            name: stringify!($program),
            program: || Box::pin($module::$program()),
            fixed: || Box::pin($module::$fixed()),
            deviations: $deviations,
            timing: $timing,
            cancels: $cancels,
        }
    };
}

/// Every bug of the catalogue, in the order of `docs/bugs.md`.
pub const CATALOGUE: [Bug; 16] = [
    entry!(lost_update::lost_update, lost_update_fixed, 1),
    entry!(
        lock_order_deadlock::lock_order_deadlock,
        lock_order_deadlock_fixed,
        1
    ),
    entry!(
        missed_notification::missed_notification,
        missed_notification_fixed,
        1
    ),
    entry!(
        queue_check_then_act::queue_check_then_act,
        queue_check_then_act_fixed,
        1
    ),
    entry!(
        timeout_leaks_lock::timeout_leaks_lock,
        timeout_leaks_lock_fixed,
        1
    ),
    entry!(
        cancel_between_steps::cancel_between_steps,
        cancel_between_steps_fixed,
        1
    ),
    entry!(
        barrier_miscount::barrier_miscount,
        barrier_miscount_fixed,
        1
    ),
    entry!(aba_slot::aba_slot, aba_slot_fixed, 2),
    entry!(double_release::double_release, double_release_fixed, 1),
    entry!(starvation::starvation, starvation_fixed, 1),
    entry!(stale_cache::stale_cache, stale_cache_fixed, 3),
    entry!(
        slow_hops_miss_deadline::slow_hops_miss_deadline,
        slow_hops_miss_deadline_fixed,
        5,
        timing: true
    ),
    entry!(
        straggler_overtakes_close::straggler_overtakes_close,
        straggler_overtakes_close_fixed,
        1,
        timing: true
    ),
    entry!(
        timeout_between_steps::timeout_between_steps,
        timeout_between_steps_fixed,
        1,
        timing: true
    ),
    entry!(
        cancelled_read_modify_write::cancelled_read_modify_write,
        cancelled_read_modify_write_fixed,
        1,
        cancels: true
    ),
    entry!(
        hand_held_guard::hand_held_guard,
        hand_held_guard_fixed,
        1,
        cancels: true
    ),
];

/// How many scheduling choices a run of `program` makes: the most seen
/// under FIFO and 32 random schedules (failing ones included). PCT draws its
/// change points among the first this many choices (`Check::expected_steps`);
/// FIFO's count alone is too small when the buggy path is the longer one.
pub fn run_length(program: Program) -> u64 {
    let fifo = std::iter::once(Sim::new(0).policy(Policy::Fifo));
    let random = (0..32).map(|seed| Sim::new(seed).policy(Policy::Random));
    fifo.chain(random)
        .map(|sim| {
            let mut sim = sim.tracing(false);
            let _ = sim.run(program());
            sim.schedule().len() as u64
        })
        .max()
        .unwrap_or(1)
}

/// `n` milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Spawns a named task (the name shows in traces and deadlock reports).
pub fn spawn_as<F: Future + 'static>(name: &str, fut: F) -> Task<F::Output> {
    Builder::new().name(name).spawn(fut)
}
