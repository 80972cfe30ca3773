//! The conformance harness: one test body, run under both backends.
//!
//! A body is an `async` block given an [`Env`]; it runs once under a FIFO
//! [`Sim`] (with panics isolated, as in real mode) and once under a real
//! [`Runtime`]. Bodies measure time in [`Env::units`]: a second of virtual
//! time in sim, a couple of milliseconds in real mode, and assert on the
//! *order* of what happened (and, for time, only lower bounds: a real timer
//! never fires early, but may fire late).
//!
//! To add scenarios (for combinators, primitives, …), write a file with
//!
//! ```ignore
//! use crate::harness::{Env, Lines};
//! crate::conformance! {
//!     async fn my_scenario(env: Env) {
//!         // the same code for sim and real
//!     }
//! }
//! ```
//!
//! and add `mod <topic>;` to `sim-tests/conformance/main.rs`. Use [`run_on`] directly
//! to check something after a run has ended.
//!
//! A body must be deterministic in real mode too: let the program's own waits
//! force the order it asserts, never a race between timers (real timers set
//! a few milliseconds apart can fire in either order under load), and never
//! a sleep to let another task get somewhere first (wait for it, or
//! `yield_now`, whose turns are the same on both backends). The helpers below
//! do this: a [`Relay`] orders children's ends, [`gated`] holds one until the
//! body opens its gate, [`at_once`] ends at its first poll (before any timer
//! of the same run can fire), and [`DropLog`] shows when a cancelled future
//! is dropped.

#![allow(dead_code)]

use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use seedloop::real::Runtime;
use seedloop::sync::Event;
use seedloop::{sleep, Policy, Sim};

/// Which backend a body runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sim,
    Real,
}

/// What a body knows about where it runs.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    pub backend: Backend,
}

impl Env {
    pub const SIM: Env = Env {
        backend: Backend::Sim,
    };
    pub const REAL: Env = Env {
        backend: Backend::Real,
    };
    pub const BOTH: [Env; 2] = [Env::SIM, Env::REAL];

    /// `n` time units: seconds of virtual time in sim, 2 ms each in real mode.
    pub fn units(&self, n: f64) -> Duration {
        match self.backend {
            Backend::Sim => Duration::from_secs_f64(n),
            Backend::Real => Duration::from_secs_f64(n * 0.002),
        }
    }

    pub fn is_sim(&self) -> bool {
        self.backend == Backend::Sim
    }
}

/// Runs `fut` as the main task on `env`'s backend and returns its output.
/// A failure (a panic in main, a deadlock) fails the test, naming the backend.
pub fn run_on<F: Future>(env: Env, fut: F) -> F::Output {
    match env.backend {
        Backend::Sim => {
            let mut sim = Sim::new(0).policy(Policy::Fifo).isolate_panics(true);
            sim.run(fut)
                .unwrap_or_else(|e| panic!("conformance: the sim backend failed:\n{e}"))
        }
        Backend::Real => {
            let mut rt = Runtime::new().expect("the OS poller starts");
            match catch_unwind(AssertUnwindSafe(|| rt.block_on(fut))) {
                Ok(Ok(out)) => out,
                Ok(Err(e)) => panic!("conformance: the real backend failed: {e}"),
                Err(payload) => {
                    let msg = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    panic!("conformance: the real backend failed: {msg}")
                }
            }
        }
    }
}

/// Runs the body under sim, then under real mode.
pub fn on_both<F, Fut>(body: F)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    for env in Env::BOTH {
        run_on(env, body(env));
    }
}

/// Declares conformance tests: each `async fn name(env: Env) { .. }` becomes
/// a `#[test] fn name()` that runs the body under both backends.
#[macro_export]
macro_rules! conformance {
    ($( $(#[$meta:meta])* async fn $name:ident($env:ident: Env) $body:block )*) => {
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                $crate::harness::on_both(|$env: $crate::harness::Env| async move $body)
            }
        )*
    };
}

/// An ordered log of lines, without times (times differ between backends).
#[derive(Clone, Default)]
pub struct Lines(Rc<RefCell<Vec<String>>>);

impl Lines {
    pub fn new() -> Lines {
        Lines::default()
    }

    pub fn say(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// Says `"<what> dropped"` when dropped while armed: shows when a cancelled
/// future's destructors run. Make it outside the future and move it in, and
/// it speaks for a future dropped before its first poll too; `disarm` it when
/// the future ends normally.
pub struct DropLog {
    lines: Lines,
    what: String,
    armed: bool,
}

impl DropLog {
    pub fn new(lines: &Lines, what: impl Into<String>) -> DropLog {
        DropLog {
            lines: lines.clone(),
            what: what.into(),
            armed: true,
        }
    }

    /// The future ended normally: say nothing when dropped.
    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for DropLog {
    fn drop(&mut self) {
        if self.armed {
            self.lines.say(format!("{} dropped", self.what));
        }
    }
}

/// Orders work by the program's own waits rather than by timers: leg `k`
/// starts only once leg `k - 1` has ended, so legs end in order on both
/// backends, however late a real timer fires. (A sim test may order three
/// children by sleeps of 1, 2 and 3 s; in real mode timers set a few
/// milliseconds apart can swap under load, a relay cannot.)
#[derive(Clone)]
pub struct Relay(Rc<Vec<Event>>);

impl Relay {
    pub fn new(legs: usize) -> Relay {
        Relay(Rc::new((0..legs).map(|_| Event::new()).collect()))
    }

    /// Waits until leg `k - 1` has ended (at once for leg 0).
    pub async fn start(&self, k: usize) {
        if k > 0 {
            self.0[k - 1].wait().await;
        }
    }

    /// Leg `k` has ended: leg `k + 1` may start.
    pub fn end(&self, k: usize) {
        self.0[k].set();
    }

    /// Waits until leg `k` has ended.
    pub async fn ended(&self, k: usize) {
        self.0[k].wait().await;
    }
}

/// Leg `k` of `relay`: waits for leg `k - 1`, then one unit of time; logs
/// `"<name> done"`, ends leg `k` and gives `v`. Says `"<name> dropped"` if
/// dropped first.
pub fn leg<T: 'static>(
    env: Env,
    l: &Lines,
    relay: &Relay,
    k: usize,
    name: &str,
    v: T,
) -> impl Future<Output = T> {
    let mut guard = DropLog::new(l, name);
    let (l, relay, name) = (l.clone(), relay.clone(), name.to_string());
    async move {
        relay.start(k).await;
        sleep(env.units(1.0)).await;
        guard.disarm();
        l.say(format!("{name} done"));
        relay.end(k);
        v
    }
}

/// Waits for `gate`, logs `"<name> done"` and gives `v`; says
/// `"<name> dropped"` if dropped first. A gate nobody sets: never ends.
pub fn gated<T: 'static>(l: &Lines, gate: &Event, name: &str, v: T) -> impl Future<Output = T> {
    let mut guard = DropLog::new(l, name);
    let (l, gate, name) = (l.clone(), gate.clone(), name.to_string());
    async move {
        gate.wait().await;
        guard.disarm();
        l.say(format!("{name} done"));
        v
    }
}

/// Logs `"<name> done"` at its first poll and gives `v`.
pub fn at_once<T: 'static>(l: &Lines, name: &str, v: T) -> impl Future<Output = T> {
    let (l, name) = (l.clone(), name.to_string());
    async move {
        l.say(format!("{name} done"));
        v
    }
}
