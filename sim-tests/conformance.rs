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
//! use crate::conformance::{Env, Lines};
//! crate::conformance! {
//!     async fn my_scenario(env: Env) {
//!         // the same code for sim and real
//!     }
//! }
//! ```
//!
//! and add `mod conformance_<topic>;` to `main.rs`. Use [`run_on`] directly
//! to check something after a run has ended.

#![allow(dead_code)]

use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use seedloop::real::Runtime;
use seedloop::{Policy, Sim};

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
                $crate::conformance::on_both(|$env: $crate::conformance::Env| async move $body)
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
