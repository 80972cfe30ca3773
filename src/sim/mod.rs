//! Sim mode: one seed decides every race, on a virtual clock.
//!
//! [`Sim`] is the builder and the runner; policies, the choice log and
//! environment configuration live in the submodules.

pub(crate) mod env;
mod error;
mod inject_cancels;
mod report;
pub(crate) mod schedule;
mod slow_poll;
mod source;

pub use crate::runtime::sched::{Choice, ChoiceKind, Divergence, Policy};
pub use env::ConfigError;
pub use error::SimError;
#[allow(deprecated)]
pub use report::{DeadlockReport, LimitReport, PanicReport, Repro, TaskReport, TaskState};
pub use schedule::{Schedule, ScheduleError};
pub use slow_poll::{SlowPoll, DEFAULT_SLOW_POLL_THRESHOLD};

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use crate::runtime::driver::VirtualClock;
use crate::runtime::hooks::PollHooks;
use crate::runtime::launch::run_main;
use crate::runtime::probes::RunProbes;
use crate::runtime::run_loop::{Failure, RunError};
use crate::runtime::sched::rng::{stream, Stream};
use crate::runtime::sched::{Chooser, SchedulePolicy};
use crate::runtime::{CoreConfig, PanicMode, Services};
use crate::trace::Trace;
use slow_poll::SlowPollWatch;
use source::bytes::Bytes;
use source::guided::Guided;
use source::prefixed::Prefixed;
use source::replay::Replay;

/// How many events of the trace a failure report shows.
const TAIL: usize = 20;

/// Where a run's choices come from.
#[derive(Clone, Debug)]
enum Source {
    /// The policy, from the seed.
    Policy,
    /// A recorded schedule, strictly.
    Replay(Schedule),
    /// A list of picks, each capped at the last option, then FIFO (and
    /// each value its domain's first).
    Guided(Vec<u64>),
    /// Fuzzer bytes through `arbitrary::Unstructured`, then FIFO.
    Bytes(Vec<u8>),
    /// A list of picks (capped like `Guided`), then the policy, from the seed.
    Prefixed(Vec<u64>),
}

/// A deterministic simulation: build it with a seed and options, then
/// [`run`](Sim::run) an async main function on it.
///
/// The same seed (and the same program) gives the same run, event for event,
/// on any machine. After a run, [`trace`](Sim::trace) and
/// [`schedule`](Sim::schedule) describe it.
///
/// ```
/// use seedloop::{Sim, Policy, spawn, sleep, time::Instant};
/// use std::time::Duration;
/// let mut sim = Sim::new(42).policy(Policy::Fifo);
/// let at = sim.run(async {
///     let a = spawn(sleep(Duration::from_secs(3)));
///     let b = spawn(sleep(Duration::from_secs(3)));
///     a.await.unwrap();
///     b.await.unwrap();
///     Instant::now()
/// }).unwrap();
/// assert_eq!(at.as_secs_f64(), 3.0); // concurrently: 3 s, not 6 s
/// ```
#[derive(Debug)]
pub struct Sim {
    seed: u64,
    policy: Policy,
    tracing: bool,
    time_limit: Option<Duration>,
    step_limit: Option<u64>,
    expected_steps: u64,
    isolate_panics: bool,
    source: Source,
    trace: Trace,
    schedule: Schedule,
    slow_poll_threshold: Option<Duration>,
    slow_polls: Rc<RefCell<Vec<SlowPoll>>>,
    /// Injected cancels' bound (see `inject_cancels.rs`), if on.
    inject_cancels: Option<u32>,
    network: crate::net::Config,
    /// The last run's `buggify!` sites and sweep assertions.
    probes: Rc<RefCell<RunProbes>>,
}

impl Sim {
    /// The default step limit: enough for tens of millions of polls, small
    /// enough that a livelock fails in seconds rather than hanging.
    pub const DEFAULT_STEP_LIMIT: u64 = 50_000_000;

    /// A simulation with this seed, `Policy::Random`, tracing on, no time
    /// limit and the default step limit.
    ///
    /// ```
    /// let sim = seedloop::Sim::new(7);
    /// assert_eq!(sim.seed(), 7);
    /// ```
    pub fn new(seed: u64) -> Sim {
        Sim {
            seed,
            policy: Policy::Random,
            tracing: true,
            time_limit: None,
            step_limit: Some(Sim::DEFAULT_STEP_LIMIT),
            expected_steps: 200,
            isolate_panics: false,
            source: Source::Policy,
            trace: Trace::default(),
            schedule: Schedule::new(seed, Vec::new()),
            slow_poll_threshold: Some(DEFAULT_SLOW_POLL_THRESHOLD),
            slow_polls: Rc::default(),
            inject_cancels: None,
            network: crate::net::Config::default(),
            probes: Rc::default(),
        }
    }

    /// A simulation configured by the environment: `SEEDLOOP_SEED` (decimal or
    /// `0x` hex; default 0), `SEEDLOOP_POLICY` (`fifo`, `random`, `pct`,
    /// `pct:<depth>`; default random) and `SEEDLOOP_REPLAY` (a schedule string,
    /// which wins over both).
    ///
    /// # Errors
    /// A variable that holds something else: the error names it and lists
    /// the accepted forms.
    ///
    /// ```
    /// let sim = seedloop::Sim::from_env().expect("SEEDLOOP_* variables are valid");
    /// # drop(sim);
    /// ```
    pub fn from_env() -> Result<Sim, ConfigError> {
        let cfg = env::read(|var| std::env::var(var).ok())?;
        let mut sim = Sim::new(cfg.seed.unwrap_or(0));
        if let Some(p) = cfg.policy {
            sim.policy = p;
        }
        if let Some(schedule) = cfg.replay {
            sim.seed = schedule.seed();
            sim.source = Source::Replay(schedule);
        }
        Ok(sim)
    }

    /// A simulation that replays a schedule string (from [`Sim::schedule`] or a
    /// failure report): the same seed, the same choices, whatever policy is set.
    ///
    /// # Errors
    /// A string that is not a schedule, with what is wrong with it. A schedule
    /// that no longer fits the program fails the *run* with
    /// [`SimError::ScheduleDiverged`], naming the choice where it diverged.
    ///
    /// ```
    /// use seedloop::Sim;
    /// assert!(Sim::replay("sl2:42:").is_ok());
    /// assert!(Sim::replay("sl1:42:").is_ok()); // version 1 strings still replay
    /// assert!(Sim::replay("not a schedule").is_err());
    /// ```
    pub fn replay(schedule: &str) -> Result<Sim, ScheduleError> {
        let schedule: Schedule = schedule.parse()?;
        Ok(Sim::replay_schedule(schedule))
    }

    /// Like [`Sim::replay`], from a parsed [`Schedule`].
    ///
    /// ```
    /// use seedloop::{Sim, Schedule};
    /// let s: Schedule = "sl2:7:".parse().unwrap();
    /// assert_eq!(Sim::replay_schedule(s).seed(), 7);
    /// ```
    pub fn replay_schedule(schedule: Schedule) -> Sim {
        let mut sim = Sim::new(schedule.seed());
        sim.source = Source::Replay(schedule);
        sim
    }

    /// A simulation that follows `picks`: at the n-th choice (a scheduling
    /// pick or a drawn value) it takes option `picks[n]`, capped at the last
    /// option (the last ready task, a value's largest), and option 0 once
    /// the list runs out (FIFO, each value its domain's first). Any list fits
    /// any program, so this is the form to edit: shrinking, exhaustive
    /// search and the proptest strategy use it. `Sim::guided(seed, vec![])`
    /// is FIFO with the smallest values.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now};
    /// let mut sim = Sim::guided(1, vec![1, 0, 1]);
    /// sim.run(async {
    ///     let (a, b) = (spawn(yield_now()), spawn(yield_now()));
    ///     a.await.unwrap();
    ///     b.await.unwrap();
    /// }).unwrap();
    /// assert_eq!(sim.schedule().choices()[0].picked, 1);
    /// ```
    pub fn guided(seed: u64, picks: Vec<u32>) -> Sim {
        let mut sim = Sim::new(seed);
        sim.source = Source::Guided(picks.into_iter().map(u64::from).collect());
        sim
    }

    /// As [`Sim::guided`], with picks as wide as a value's domain (shrinking
    /// and exhaustive search edit values with it).
    pub(crate) fn guided_choices(seed: u64, picks: Vec<u64>) -> Sim {
        let mut sim = Sim::new(seed);
        sim.source = Source::Guided(picks);
        sim
    }

    /// A simulation that follows `prefix` (as [`Sim::guided`] does), then
    /// its policy from the seed: a guided search's variation of a kept run.
    pub(crate) fn prefixed(seed: u64, prefix: Vec<u64>) -> Sim {
        let mut sim = Sim::new(seed);
        sim.source = Source::Prefixed(prefix);
        sim
    }

    /// A simulation driven by fuzzer input: the first 8 bytes (if present)
    /// are the seed the reports name, and every choice, scheduling picks and
    /// values alike, is drawn from the rest through `arbitrary::Unstructured`:
    /// FIFO, and each value its domain's first, once they run out. The input
    /// describes the whole run.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now};
    /// let mut sim = Sim::fuzz(&[0, 0, 0, 0, 0, 0, 0, 0, 255, 7]);
    /// sim.run(async { spawn(yield_now()).await.unwrap() }).unwrap();
    /// ```
    pub fn fuzz(data: &[u8]) -> Sim {
        let (seed, rest) = match data.split_first_chunk::<8>() {
            Some((seed, rest)) => (u64::from_le_bytes(*seed), rest),
            None => (0, data),
        };
        let mut sim = Sim::new(seed);
        sim.source = Source::Bytes(rest.to_vec());
        sim
    }

    /// Sets the scheduling policy (ignored by replayed, guided and fuzzed runs).
    ///
    /// ```
    /// use seedloop::{Sim, Policy};
    /// let order = Sim::new(3).policy(Policy::Fifo).run(async { 1 }).unwrap();
    /// assert_eq!(order, 1);
    /// ```
    pub fn policy(mut self, policy: Policy) -> Sim {
        self.policy = policy;
        self
    }

    /// Turns trace recording on (the default) or off. Off is faster; failure
    /// reports then have no trace tail.
    ///
    /// ```
    /// let mut sim = seedloop::Sim::new(1).tracing(false);
    /// sim.run(async {}).unwrap();
    /// assert!(sim.trace().is_empty());
    /// ```
    pub fn tracing(mut self, on: bool) -> Sim {
        self.tracing = on;
        self
    }

    /// In a traced run, a poll that holds the thread longer than `threshold`
    /// of wall time (default [`DEFAULT_SLOW_POLL_THRESHOLD`], 100 ms) is a
    /// likely blocking call: it is recorded in the trace, listed by
    /// [`slow_polls`](Sim::slow_polls), and summed up in one line on
    /// standard error. `None` turns the watch off. Untraced runs are not
    /// timed.
    ///
    /// The watch reads a clock once per poll. On Linux, a threshold of at
    /// least ten ticks of the kernel's coarse monotonic clock (40 ms with
    /// the usual 4 ms tick; the default qualifies) is watched with that
    /// clock, a few nanoseconds a read, which moves in ticks: a poll is then
    /// reported only if it surely passed the threshold (every poll longer
    /// than the threshold plus two ticks is), and [`SlowPoll::wall`] is
    /// right to within one tick. Shorter thresholds, and other systems, use
    /// the precise clock (`std::time::Instant`, 20 to 40 ns a read).
    ///
    /// ```
    /// use seedloop::Sim;
    /// use std::time::Duration;
    /// let mut sim = Sim::new(1).slow_poll_threshold(Some(Duration::from_millis(5)));
    /// sim.run(async { std::thread::sleep(Duration::from_millis(20)) }).unwrap();
    /// assert!(sim.trace().render().contains("main blocking: a poll held the thread over 5 ms"));
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: impl Into<Option<Duration>>) -> Sim {
        self.slow_poll_threshold = threshold.into();
        self
    }

    /// The polls of the last run that held the thread past the
    /// [`slow_poll_threshold`](Sim::slow_poll_threshold).
    ///
    /// ```
    /// let mut sim = seedloop::Sim::new(1);
    /// sim.run(async {}).unwrap();
    /// assert!(sim.slow_polls().is_empty());
    /// ```
    pub fn slow_polls(&self) -> Vec<SlowPoll> {
        self.slow_polls.borrow().clone()
    }

    /// Configures the simulated network every run of this `Sim` gets:
    /// latencies, UDP loss and duplication, the TCP timeout under a
    /// partition, host clocks (default: [`net::Config::default`](crate::net::Config)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use seedloop::{net, Sim};
    /// let fixed = Duration::from_millis(10);
    /// let mut sim = Sim::new(1).network(net::Config { latency: fixed..fixed, ..Default::default() });
    /// let rtt = sim.run(async {
    ///     let a = net::UdpSocket::bind("0.0.0.0:0").await?;
    ///     let b = net::UdpSocket::bind("0.0.0.0:9").await?;
    ///     a.send_to(b"ping", "main:9").await?;
    ///     let mut buf = [0; 4];
    ///     b.recv_from(&mut buf).await?;
    ///     Ok::<_, std::io::Error>(seedloop::time::Instant::now())
    /// }).unwrap().unwrap();
    /// assert_eq!(rtt.as_secs_f64(), 0.010);
    /// ```
    pub fn network(mut self, config: crate::net::Config) -> Sim {
        self.network = config;
        self
    }

    /// Fails the run with [`SimError::TimeLimit`] rather than let the virtual
    /// clock pass `limit`.
    ///
    /// ```
    /// use seedloop::{Sim, SimError, sleep};
    /// use std::time::Duration;
    /// let err = Sim::new(1).time_limit(Duration::from_secs(60))
    ///     .run(async { loop { sleep(Duration::from_secs(7)).await } })
    ///     .unwrap_err();
    /// assert!(matches!(err, SimError::TimeLimit(_)));
    /// ```
    pub fn time_limit(mut self, limit: Duration) -> Sim {
        self.time_limit = Some(limit);
        self
    }

    /// Fails the run with [`SimError::StepLimit`] after `steps` polls and
    /// callbacks (default [`Sim::DEFAULT_STEP_LIMIT`]); `u64::MAX` for none.
    ///
    /// ```
    /// use seedloop::{Sim, SimError, yield_now};
    /// let err = Sim::new(1).step_limit(100)
    ///     .run(async { loop { yield_now().await } })
    ///     .unwrap_err();
    /// assert!(matches!(err, SimError::StepLimit(_)));
    /// ```
    pub fn step_limit(mut self, steps: u64) -> Sim {
        self.step_limit = (steps != u64::MAX).then_some(steps);
        self
    }

    /// For `Policy::Pct`: roughly how many scheduling choices a run makes, the
    /// range its priority change points are drawn from (default 200).
    ///
    /// ```
    /// use seedloop::{Sim, Policy};
    /// let sim = Sim::new(1).policy(Policy::Pct { depth: 2 }).expected_steps(50);
    /// # drop(sim);
    /// ```
    pub fn expected_steps(mut self, k: u64) -> Sim {
        self.expected_steps = k.max(1);
        self
    }

    /// With `true`, a panicking task ends as panicked and whoever awaits it
    /// gets [`JoinError::Panicked`](crate::JoinError::Panicked), as in real
    /// mode, instead of the panic failing the whole run (the default). A panic
    /// in the main task or in a callback still fails the run.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, JoinError};
    /// let out = Sim::new(1).isolate_panics(true).run(async {
    ///     spawn(async { panic!("child") }).await
    /// }).unwrap();
    /// assert!(matches!(out, Err(JoinError::Panicked { .. })));
    /// ```
    pub fn isolate_panics(mut self, on: bool) -> Sim {
        self.isolate_panics = on;
        self
    }

    /// The seed.
    ///
    /// ```
    /// assert_eq!(seedloop::Sim::new(42).seed(), 42);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The trace of the last run (empty before the first).
    ///
    /// ```
    /// let mut sim = seedloop::Sim::new(1);
    /// sim.run(async {}).unwrap();
    /// assert!(sim.trace().render().contains("main poll"));
    /// ```
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The choice log of the last run; its `Display` is the schedule string.
    ///
    /// ```
    /// let mut sim = seedloop::Sim::new(1);
    /// sim.run(async {}).unwrap();
    /// assert_eq!(sim.schedule().to_string(), "sl2:1:"); // no choice to make
    /// ```
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// What the last run's `buggify!` sites and sweep assertions saw
    /// (taken: a second call gets nothing).
    pub(crate) fn take_probes(&self) -> RunProbes {
        std::mem::take(&mut *self.probes.borrow_mut())
    }

    fn policy_name(&self) -> String {
        match self.source {
            Source::Policy => self.policy.to_string(),
            Source::Replay(_) => "replay".into(),
            Source::Guided(_) => "guided".into(),
            Source::Bytes(_) => "fuzz".into(),
            Source::Prefixed(_) => format!("{} after a kept prefix", self.policy),
        }
    }

    /// Runs `main` as the main task until it finishes, then cancels every task
    /// still pending (as `asyncio.run` does). Each call starts afresh from the
    /// seed, so two calls give the same run.
    ///
    /// # Errors
    /// [`SimError`]: a deadlock, a panic in any task, a step or time limit,
    /// a replay that diverged, or a runtime already running on this thread.
    /// Each report names the seed and the schedule, and says how to replay it.
    ///
    /// ```
    /// use seedloop::{Sim, SimError};
    /// let err = Sim::new(1).run(async { panic!("boom") }).unwrap_err();
    /// assert!(matches!(err, SimError::Panic(ref r) if r.message == "boom"));
    /// ```
    #[doc(alias = "run_until_complete")]
    #[doc(alias = "asyncio.run")]
    pub fn run<F: Future>(&mut self, main: F) -> Result<F::Output, SimError> {
        let values_from_seed = matches!(&self.source, Source::Replay(s) if s.values_from_seed());
        let policy: Box<dyn SchedulePolicy> = match &self.source {
            Source::Policy => self.policy.build(self.seed, self.expected_steps),
            Source::Replay(s) => Box::new(Replay::new(s.choices().to_vec())),
            Source::Guided(picks) => Box::new(Guided::new(picks.clone())),
            Source::Bytes(data) => Box::new(Bytes::new(data.clone())),
            Source::Prefixed(picks) => Box::new(Prefixed::new(
                picks.clone(),
                self.policy.build(self.seed, self.expected_steps),
            )),
        };
        self.slow_polls.borrow_mut().clear();
        *self.probes.borrow_mut() = RunProbes::default();
        let watch = self
            .slow_poll_threshold
            .filter(|_| self.tracing)
            .map(|t| SlowPollWatch::new(t, self.slow_polls.clone()));
        // The run's simulated network, made at its first use; it ends with
        // the run.
        let network = crate::net::enter_simulated(self.network.clone());
        let ended = run_main(
            CoreConfig {
                seed: self.seed,
                tracing: self.tracing,
                step_limit: self.step_limit,
                time_limit: self.time_limit,
                panic_mode: if self.isolate_panics {
                    PanicMode::Isolate
                } else {
                    PanicMode::FailRun
                },
                retain_names: true,
                hooks: watch.map(|w| Box::new(w) as Box<dyn PollHooks>),
                services: Services::default(),
                main_clock: self
                    .network
                    .clocks
                    .iter()
                    .find(|(host, ..)| host == "main")
                    .map(|(_, offset, drift)| {
                        crate::runtime::hosts::HostClock::new(*offset, *drift)
                    }),
                values_from_seed,
                inject_cancels: self.cancel_awaits_for_run(),
                probes: Some(self.probes.clone()),
            },
            Box::new(VirtualClock::default()),
            Chooser::new(policy),
            stream(self.seed, Stream::User),
            main,
        )
        .map_err(|_| SimError::NestedRuntime)?;
        drop(network);
        let leftover = ended.chooser.finish();
        self.schedule = if values_from_seed {
            Schedule::legacy(self.seed, ended.chooser.into_log())
        } else {
            Schedule::new(self.seed, ended.chooser.into_log())
        };
        self.trace = ended.trace;
        let result = ended.result;
        if let (Some(threshold), false) = (
            self.slow_poll_threshold,
            self.slow_polls.borrow().is_empty(),
        ) {
            eprintln!(
                "{}",
                slow_poll::summary(&self.slow_polls.borrow(), threshold)
            );
        }
        match result {
            Ok(out) => match leftover {
                Ok(()) => Ok(out),
                Err(divergence) => Err(SimError::ScheduleDiverged {
                    divergence,
                    repro: Box::new(self.repro()),
                }),
            },
            Err(failure) => Err(self.report(failure)),
        }
    }

    fn repro(&self) -> Repro {
        let test = std::thread::current()
            .name()
            .filter(|n| *n != "main")
            .map(str::to_string);
        Repro {
            seed: self.seed,
            policy: self.policy_name(),
            schedule: self.schedule.to_string(),
            test,
        }
    }

    fn report(&self, failure: Failure) -> SimError {
        let events = &self.trace.events()[..failure.trace_len.min(self.trace.len())];
        let tail_trace = {
            let mut t = self.trace.clone();
            t.truncate(events.len());
            t
        };
        let trace_tail = tail_trace.tail(TAIL);
        let tasks: Vec<TaskReport> = failure.tasks.iter().map(TaskReport::from).collect();
        let repro = self.repro();
        match failure.error {
            RunError::Deadlock => SimError::Deadlock(Box::new(DeadlockReport {
                at: failure.at,
                cycle: report::find_cycle(&failure.tasks),
                tasks,
                trace_tail,
                repro,
            })),
            RunError::Panic { task, message, .. } => SimError::Panic(Box::new(PanicReport {
                at: failure.at,
                task,
                task_name: task.map_or("loop".into(), |id| self.trace.task_name(id)),
                message,
                trace_tail,
                repro,
            })),
            RunError::StepLimit(steps) => SimError::StepLimit(Box::new(LimitReport {
                limit: format!("step limit of {steps} (a livelock? raise it with Sim::step_limit)"),
                at: failure.at,
                tasks,
                trace_tail,
                repro,
            })),
            RunError::TimeLimit(next) => SimError::TimeLimit(Box::new(LimitReport {
                limit: format!(
                    "time limit of {} (the next timer is at {next}; raise it with Sim::time_limit)",
                    crate::time::Instant::ZERO + self.time_limit.unwrap_or_default()
                ),
                at: failure.at,
                tasks,
                trace_tail,
                repro,
            })),
            RunError::Diverged(divergence) => SimError::ScheduleDiverged {
                divergence,
                repro: Box::new(repro),
            },
            RunError::Driver(e) => unreachable!("the virtual clock never fails, yet: {e}"),
        }
    }
}
