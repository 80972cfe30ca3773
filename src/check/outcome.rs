//! One run of a check body, and what "fails the same way" means.

use std::future::Future;

use crate::runtime::probes::RunProbes;
use crate::sim::{Schedule, Sim, SimError};

/// How a run failed, reduced to what shrinking must preserve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Signature {
    Panic(String),
    Deadlock,
    StepLimit,
    TimeLimit,
    Other,
}

impl Signature {
    pub fn of(e: &SimError) -> Signature {
        match e {
            SimError::Panic(r) => Signature::Panic(r.message.clone()),
            SimError::Deadlock(_) => Signature::Deadlock,
            SimError::StepLimit(_) => Signature::StepLimit,
            SimError::TimeLimit(_) => Signature::TimeLimit,
            _ => Signature::Other,
        }
    }
}

/// A finished run: its error, if any, and its schedule.
pub(crate) struct Outcome {
    pub error: Option<SimError>,
    pub schedule: Schedule,
    /// What the run's `buggify!` sites and sweep assertions saw.
    pub probes: RunProbes,
}

impl Outcome {
    pub fn signature(&self) -> Option<Signature> {
        self.error.as_ref().map(Signature::of)
    }
}

/// Runs `body` once on `sim`.
pub(crate) fn run_once<F, Fut>(mut sim: Sim, body: &F) -> (Sim, Outcome)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let error = sim.run(body()).err();
    let schedule = sim.schedule().clone();
    let probes = sim.take_probes();
    (
        sim,
        Outcome {
            error,
            schedule,
            probes,
        },
    )
}
