//! One run of a check body, and what "fails the same way" means.

use std::future::Future;

use crate::runtime::probes::RunProbes;
use crate::sim::{Schedule, Sim, SimError};

/// How a run failed, reduced to what shrinking must preserve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Signature {
    /// A panic, by where it happened (`file:line:column`), or by its message
    /// when the place is unknown. By place, not message: a message that
    /// prints a drawn value (`assert_eq!`'s left and right, "took 17 ms")
    /// changes as shrinking lowers the value, and is still the same failure.
    Panic(String),
    Deadlock,
    StepLimit,
    TimeLimit,
    Other,
}

impl Signature {
    pub fn of(e: &SimError, panic_site: Option<&str>) -> Signature {
        match e {
            SimError::Panic(r) => {
                Signature::Panic(panic_site.map_or_else(|| r.message.clone(), str::to_string))
            }
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
    /// Where the run's first panic happened, if it panicked.
    pub panic_site: Option<String>,
    /// What the run's `buggify!` sites and sweep assertions saw.
    pub probes: RunProbes,
}

impl Outcome {
    pub fn signature(&self) -> Option<Signature> {
        self.error
            .as_ref()
            .map(|e| Signature::of(e, self.panic_site.as_deref()))
    }
}

/// Runs `body` once on `sim`.
pub(crate) fn run_once<F, Fut>(mut sim: Sim, body: &F) -> (Sim, Outcome)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    super::quiet::forget_panic_site();
    let error = sim.run(body()).err();
    let panic_site = super::quiet::take_panic_site();
    let schedule = sim.schedule().clone();
    let probes = sim.take_probes();
    (
        sim,
        Outcome {
            error,
            schedule,
            panic_site,
            probes,
        },
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Each way a run can fail has its own signature: shrinking a run that
    /// hit the step limit must not settle for one that hit the time limit.
    #[test]
    fn each_kind_of_failure_has_its_own_signature() {
        let spin = || async {
            loop {
                crate::yield_now().await;
            }
        };
        let steps = Sim::new(0).step_limit(10).run(spin()).unwrap_err();
        assert_eq!(Signature::of(&steps, None), Signature::StepLimit);
        let forever = || async {
            loop {
                crate::sleep(Duration::from_secs(1)).await;
            }
        };
        let time = Sim::new(0)
            .time_limit(Duration::from_secs(5))
            .run(forever())
            .unwrap_err();
        assert_eq!(Signature::of(&time, None), Signature::TimeLimit);
        let stuck = Sim::new(0).run(std::future::pending::<()>()).unwrap_err();
        assert_eq!(Signature::of(&stuck, None), Signature::Deadlock);
    }
}
