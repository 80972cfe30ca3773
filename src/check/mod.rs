//! Exploring schedules: run one async test body under many schedules, and
//! when one fails, shrink it, check it replays deterministically, and say
//! exactly how to get it back.
//!
//! [`Check`] is the harness; `#[seedloop::test]` is the attribute form. See
//! `docs/exploring.md`.

mod coverage;
mod determinism;
mod env;
mod exhaustive;
mod failure;
mod guided;
mod inject_cancels;
mod outcome;
mod quiet;
mod shrink;
#[cfg(feature = "proptest")]
mod strategy;
mod sweep;
mod test_return;

pub use coverage::{AssertionCoverage, AssertionKind, Coverage, SiteCoverage};
pub use determinism::Determinism;
pub use failure::{CheckFailure, DrawnValue, DrawnValues};
#[cfg(feature = "proptest")]
pub use strategy::{schedules, Picks};
pub use test_return::TestReturn;

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use crate::sim::{ConfigError, Policy, Repro, Schedule, Sim, SimError};
use outcome::run_once;

/// Runs an async test body under many schedules.
///
/// ```
/// use seedloop::check::Check;
/// use seedloop::{spawn, yield_now};
/// let summary = Check::new().seeds(0..50).run(|| async {
///     let a = spawn(async { yield_now().await; 1 });
///     let b = spawn(async { 2 });
///     assert_eq!(a.await.unwrap() + b.await.unwrap(), 3);
/// });
/// assert_eq!(summary.runs, 50);
/// ```
///
/// The `SEEDLOOP_*` environment variables override the builder:
/// `SEEDLOOP_SEED` (one seed), `SEEDLOOP_SEEDS` (`1000` or `5000..6000`),
/// `SEEDLOOP_POLICY` (`random`, `fifo`, `pct:<d>`, `exhaustive:<k>`),
/// `SEEDLOOP_REPLAY` (a schedule string: run just that), `SEEDLOOP_SHARD`
/// (`k/n`: this machine's stripe of the seeds), `SEEDLOOP_TRACE_DIR` (where
/// failure traces go).
#[derive(Clone, Debug)]
pub struct Check {
    seeds: Range<u64>,
    policy: Policy,
    exhaustive: Option<usize>,
    threads: usize,
    shrink: bool,
    shrink_budget: usize,
    self_check_all: bool,
    self_check_sample: u64,
    name: Option<String>,
    trace_dir: Option<PathBuf>,
    max_runs: u64,
    step_limit: Option<u64>,
    time_limit: Option<Duration>,
    isolate_panics: bool,
    expected_steps: Option<u64>,
    shard: Option<(u64, u64)>,
    /// Injected cancels' bound, if on (see `inject_cancels.rs`).
    inject_cancels: Option<u32>,
    network: Option<crate::net::Config>,
    must_exercise: Vec<&'static str>,
    guided_by_assertions: bool,
}

impl Default for Check {
    fn default() -> Check {
        Check::new()
    }
}

/// What a passing check covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSummary {
    /// How many schedules ran.
    pub runs: u64,
    /// For exhaustive search: whether the whole bounded space was covered.
    pub exhausted: Option<bool>,
    /// How the schedules were chosen, in words.
    pub how: String,
    /// The sweep's assertions and `buggify!` sites, counted over its runs
    /// (empty for exhaustive search and replays, which do not count them).
    pub coverage: Coverage,
}

/// `N schedules passed (how)`, then the [`Coverage`] table when the body
/// has assertions or fault sites.
impl fmt::Display for CheckSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} schedules passed ({})", self.runs, self.how)?;
        match self.exhausted {
            Some(true) => write!(f, "; the bounded space is exhausted")?,
            Some(false) => write!(f, "; stopped at the run limit before exhausting the space")?,
            None => {}
        }
        if !self.coverage.is_empty() {
            write!(f, "\n{}", self.coverage)?;
        }
        Ok(())
    }
}

/// Why a check did not pass.
#[non_exhaustive]
pub enum CheckError {
    /// A `SEEDLOOP_*` variable holds something unusable.
    Config(ConfigError),
    /// A schedule failed.
    Failed(Box<CheckFailure>),
    /// The same seed gave two different traces (self-check of every seed).
    Nondeterministic {
        /// The seed.
        seed: u64,
        /// Where the traces first differ.
        determinism: Determinism,
    },
    /// Every run passed, but no run made some `assert_sometimes!` true or
    /// reached some `assert_reachable!`: the sweep never exercised what the
    /// body says it must. The table says what each run did reach.
    Unexercised(Box<Coverage>),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Config(e) => write!(f, "{e}"),
            CheckError::Failed(failure) => write!(f, "{failure}"),
            CheckError::Nondeterministic { seed, determinism } => {
                write!(f, "seed {seed} ran twice: {determinism}")
            }
            CheckError::Unexercised(coverage) => {
                for m in &coverage.missing {
                    writeln!(f, "your sweep never exercised {m:?} (no run reached it)")?;
                }
                for a in coverage.unmet() {
                    writeln!(
                        f,
                        "your sweep never exercised {:?} ({} at {}:{})",
                        a.message,
                        a.kind.macro_name(),
                        a.site.file(),
                        a.site.line()
                    )?;
                }
                write!(f, "{coverage}")
            }
        }
    }
}

/// Prints the same readable report as `Display`, so that `.unwrap()`, `?` in
/// a test and `{:?}` all show it.
impl fmt::Debug for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for CheckError {}

impl Check {
    /// Seeds `0..100`, `Policy::Random`, all cores, shrinking on.
    ///
    /// ```
    /// let summary = seedloop::check::Check::new().run(|| async {});
    /// assert_eq!(summary.runs, 100);
    /// ```
    pub fn new() -> Check {
        Check {
            seeds: 0..100,
            policy: Policy::Random,
            exhaustive: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            shrink: true,
            shrink_budget: 2000,
            self_check_all: false,
            self_check_sample: 64,
            name: None,
            trace_dir: None,
            max_runs: 1_000_000,
            step_limit: None,
            time_limit: None,
            isolate_panics: false,
            expected_steps: None,
            shard: None,
            inject_cancels: None,
            network: None,
            must_exercise: Vec::new(),
            guided_by_assertions: false,
        }
    }

    /// The seeds to run (default `0..100`).
    ///
    /// ```
    /// let s = seedloop::check::Check::new().seeds(5..15).run(|| async {});
    /// assert_eq!(s.runs, 10);
    /// ```
    pub fn seeds(mut self, seeds: Range<u64>) -> Check {
        self.seeds = seeds;
        self
    }

    /// The scheduling policy for seeded runs (default `Policy::Random`).
    ///
    /// ```
    /// use seedloop::{check::Check, Policy};
    /// Check::new().policy(Policy::Pct { depth: 2 }).seeds(0..10).run(|| async {});
    /// ```
    pub fn policy(mut self, policy: Policy) -> Check {
        self.policy = policy;
        self
    }

    /// The simulated network every run gets (default
    /// `net::Config::default()`): latencies, losses, host clocks, faults.
    ///
    /// ```
    /// use seedloop::{check::Check, net};
    /// use std::time::Duration;
    /// let fixed = Duration::from_millis(2);
    /// Check::new()
    ///     .network(net::Config { latency: fixed..fixed, ..net::Config::default() })
    ///     .seeds(0..5)
    ///     .run(|| async {});
    /// ```
    pub fn network(mut self, config: crate::net::Config) -> Check {
        self.network = Some(config);
        self
    }

    /// The simulated network injects crashes and partitions by itself in
    /// every run, at chosen points (see [`net::Faults`](crate::net::Faults)):
    /// each strike, its target and its outage are choices of the run, so a
    /// failure replays from its schedule string and shrinks to the strikes
    /// it needs. Keeps the rest of [`Check::network`]'s configuration.
    ///
    /// ```
    /// use seedloop::{check::Check, net};
    /// let summary = Check::new()
    ///     .network_faults(net::Faults::default())
    ///     .seeds(0..5)
    ///     .run(|| async {});
    /// assert_eq!(summary.runs, 5);
    /// ```
    pub fn network_faults(mut self, faults: crate::net::Faults) -> Check {
        let mut config = self.network.take().unwrap_or_default();
        config.faults = Some(faults);
        self.network = Some(config);
        self
    }

    /// Instead of seeds: every schedule with at most `max_deviations` picks
    /// other than FIFO's, depth-first, until the space is exhausted (or
    /// [`Check::max_runs`]). A drawn value counts as a deviation when it is
    /// above its domain's first; a domain of at most 16 values is enumerated
    /// whole, a larger one at its two ends and three points between (the
    /// summary says so when that happened).
    ///
    /// ```
    /// let s = seedloop::check::Check::new().exhaustive(2).run(|| async {});
    /// assert_eq!(s.exhausted, Some(true));
    /// ```
    pub fn exhaustive(mut self, max_deviations: usize) -> Check {
        self.exhaustive = Some(max_deviations);
        self
    }

    /// How many threads sweep seeds (default: every core). Each runs one
    /// `Sim` at a time; the result does not depend on the number.
    ///
    /// ```
    /// seedloop::check::Check::new().threads(1).seeds(0..10).run(|| async {});
    /// ```
    pub fn threads(mut self, threads: usize) -> Check {
        self.threads = threads.max(1);
        self
    }

    /// Whether to shrink a failing schedule toward FIFO (default on).
    ///
    /// ```
    /// seedloop::check::Check::new().shrink(false).seeds(0..10).run(|| async {});
    /// ```
    pub fn shrink(mut self, on: bool) -> Check {
        self.shrink = on;
        self
    }

    /// The most runs shrinking may spend (default 2000).
    ///
    /// ```
    /// seedloop::check::Check::new().shrink_budget(100).seeds(0..10).run(|| async {});
    /// ```
    pub fn shrink_budget(mut self, runs: usize) -> Check {
        self.shrink_budget = runs;
        self
    }

    /// Run every seed twice and compare traces (default: a sample, see
    /// [`self_check_sample`](Check::self_check_sample)).
    ///
    /// ```
    /// seedloop::check::Check::new().self_check_every_seed(true).seeds(0..5).run(|| async {});
    /// ```
    pub fn self_check_every_seed(mut self, on: bool) -> Check {
        self.self_check_all = on;
        self
    }

    /// After a passing sweep, run the first seed and every `every`-th after
    /// it twice more, traced, and fail with the first differing event if
    /// the two runs differ: nondeterminism (a `HashMap`'s order, a thread,
    /// a wall clock) is caught by default, not only on request. Default 64
    /// (with tracing, the sample costs under a tenth of an untraced sweep);
    /// 0 turns it off.
    ///
    /// ```
    /// use seedloop::check::{Check, CheckError};
    /// use std::collections::HashSet;
    /// // Spawning in a HashSet's order: the order changes from run to run.
    /// let err = Check::new().seeds(0..10).try_run(|| async {
    ///     let names: HashSet<String> = (0..8).map(|i| format!("t{i}")).collect();
    ///     for name in names {
    ///         seedloop::task::Builder::new().name(&name).spawn(async {}).await.unwrap();
    ///     }
    /// }).unwrap_err();
    /// assert!(matches!(err, CheckError::Nondeterministic { seed: 0, .. }), "{err}");
    /// ```
    pub fn self_check_sample(mut self, every: u64) -> Check {
        self.self_check_sample = every;
        self
    }

    /// The test name used in the replay command (default: the current
    /// thread's name, which `cargo test` sets to the test's path).
    ///
    /// ```
    /// seedloop::check::Check::new().name("bank::transfer").seeds(0..5).run(|| async {});
    /// ```
    pub fn name(mut self, name: &str) -> Check {
        self.name = Some(name.to_string());
        self
    }

    /// Where failure traces are written. By default `SEEDLOOP_TRACE_DIR`;
    /// else `seedloop/` in cargo's target directory: `$CARGO_TARGET_DIR`
    /// when set, else the package's `target/` (found through
    /// `CARGO_MANIFEST_DIR`, which `cargo test` sets, or the working
    /// directory); else the system's temp dir.
    ///
    /// ```
    /// seedloop::check::Check::new().trace_dir(std::env::temp_dir()).seeds(0..5).run(|| async {});
    /// ```
    pub fn trace_dir(mut self, dir: impl Into<PathBuf>) -> Check {
        self.trace_dir = Some(dir.into());
        self
    }

    /// The most runs an exhaustive search makes (default 1,000,000).
    ///
    /// ```
    /// let s = seedloop::check::Check::new().exhaustive(9).max_runs(1).run(|| async {
    ///     let a = seedloop::spawn(seedloop::yield_now());
    ///     let b = seedloop::spawn(seedloop::yield_now());
    ///     a.await.unwrap();
    ///     b.await.unwrap();
    /// });
    /// assert_eq!((s.runs, s.exhausted), (1, Some(false)));
    /// ```
    pub fn max_runs(mut self, runs: u64) -> Check {
        self.max_runs = runs;
        self
    }

    /// A step limit for each run (see [`Sim::step_limit`]).
    ///
    /// ```
    /// seedloop::check::Check::new().step_limit(10_000).seeds(0..5).run(|| async {});
    /// ```
    pub fn step_limit(mut self, steps: u64) -> Check {
        self.step_limit = Some(steps);
        self
    }

    /// A virtual time limit for each run (see [`Sim::time_limit`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// seedloop::check::Check::new().time_limit(Duration::from_secs(60)).seeds(0..5).run(|| async {});
    /// ```
    pub fn time_limit(mut self, limit: Duration) -> Check {
        self.time_limit = Some(limit);
        self
    }

    /// See [`Sim::isolate_panics`].
    ///
    /// ```
    /// use seedloop::{check::Check, spawn};
    /// Check::new().isolate_panics(true).seeds(0..5).run(|| async {
    ///     assert!(spawn(async { panic!("child") }).await.is_err());
    /// });
    /// ```
    pub fn isolate_panics(mut self, on: bool) -> Check {
        self.isolate_panics = on;
        self
    }

    /// For PCT: the expected number of choices per run (see [`Sim::expected_steps`]).
    ///
    /// ```
    /// use seedloop::{check::Check, Policy};
    /// Check::new().policy(Policy::Pct { depth: 3 }).expected_steps(40).seeds(0..5).run(|| async {});
    /// ```
    pub fn expected_steps(mut self, k: u64) -> Check {
        self.expected_steps = Some(k);
        self
    }

    /// The sweep fails (with [`CheckError::Unexercised`]) unless some run
    /// reached the assertion with this message and, for a `sometimes`, saw
    /// it true. A sweep learns of an assertion only when a run reaches it:
    /// an `assert_reachable!` that no run reaches is unknown to it unless
    /// named here.
    ///
    /// ```
    /// use seedloop::{assert_reachable, check::{Check, CheckError}};
    /// let body = || async {
    ///     if seedloop::random::range(0..1000) == 1000 {
    ///         assert_reachable!("the impossible branch");
    ///     }
    /// };
    /// assert!(Check::new().seeds(0..10).try_run(body).is_ok()); // never reached: unknown
    /// let err = Check::new().seeds(0..10).must_exercise("the impossible branch").try_run(body);
    /// assert!(matches!(err, Err(CheckError::Unexercised(_))));
    /// ```
    pub fn must_exercise(mut self, message: &'static str) -> Check {
        self.must_exercise.push(message);
        self
    }

    /// Guides the sweep by its assertions: a run that makes progress (a
    /// `sometimes` true or a `reachable` reached for the first time, a
    /// `buggify!` site enabled or fired for the first time) is kept, and about half the later runs replay the beginning of a
    /// kept run (cut at a point the seed picks) and let the seed's policy
    /// choose the rest. A goal behind several steps, each marked by an
    /// assertion, is then reached step by step. The sweep runs on one
    /// thread (what is kept depends on every run before); a failure is
    /// reported with its schedule string, which replays it (the seed alone
    /// does not). `benches/guided.rs` measures it against the plain sweep.
    ///
    /// ```
    /// use seedloop::{assert_reachable, assert_sometimes, check::Check, random};
    /// // Three steps, each taken with chance 1/6, then the goal.
    /// let body = || async {
    ///     let mut step = 0;
    ///     while step < 3 && random::range(0..6) == 0 {
    ///         step += 1;
    ///         match step {
    ///             1 => assert_reachable!("step 1"),
    ///             2 => assert_reachable!("step 2"),
    ///             _ => {}
    ///         }
    ///     }
    ///     assert_sometimes!(step == 3, "all three steps");
    /// };
    /// let s = Check::new().seeds(0..400).guided_by_assertions(true).run(body);
    /// assert!(s.how.contains("guided by assertions"));
    /// ```
    pub fn guided_by_assertions(mut self, on: bool) -> Check {
        self.guided_by_assertions = on;
        self
    }

    /// Runs the body under every schedule and returns what was covered.
    ///
    /// # Panics
    /// When a schedule fails (with the full report: seed, schedules, shrunk
    /// schedule, trace tail, trace files, replay command), or when a
    /// `SEEDLOOP_*` variable is invalid (naming it and the accepted forms).
    ///
    /// ```
    /// use seedloop::{check::Check, spawn, yield_now};
    /// let s = Check::new().seeds(0..20).run(|| async {
    ///     let t = spawn(async { yield_now().await; 2 });
    ///     assert_eq!(t.await.unwrap(), 2);
    /// });
    /// assert_eq!(s.runs, 20);
    /// ```
    pub fn run<F, Fut>(self, body: F) -> CheckSummary
    where
        F: Fn() -> Fut + Sync,
        Fut: Future<Output = ()>,
    {
        match self.try_run(body) {
            Ok(summary) => summary,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`Check::run`], returning the failure instead of panicking.
    ///
    /// # Errors
    /// [`CheckError`]: an invalid `SEEDLOOP_*` variable, a failing schedule,
    /// or a seed whose two runs differ.
    ///
    /// ```
    /// use seedloop::check::{Check, CheckError};
    /// use seedloop::{spawn, yield_now};
    /// use std::{cell::Cell, rc::Rc};
    /// let err = Check::new().seeds(0..200).try_run(|| async {
    ///     let n = Rc::new(Cell::new(0));
    ///     let tasks: Vec<_> = (0..2).map(|_| {
    ///         let n = n.clone();
    ///         spawn(async move { let v = n.get(); yield_now().await; n.set(v + 1) })
    ///     }).collect();
    ///     for t in tasks { t.await.unwrap() }
    ///     assert_eq!(n.get(), 2, "lost update");
    /// }).unwrap_err();
    /// let CheckError::Failed(failure) = err else { panic!() };
    /// assert!(failure.shrunk.is_some());
    /// ```
    pub fn try_run<F, Fut>(mut self, body: F) -> Result<CheckSummary, CheckError>
    where
        F: Fn() -> Fut + Sync,
        Fut: Future<Output = ()>,
    {
        let env = env::read(|v| std::env::var(v).ok()).map_err(CheckError::Config)?;
        let partial = env.narrows_to_part();
        if let Some(seeds) = env.seeds {
            self.seeds = seeds;
            self.exhaustive = None;
        }
        if let Some(p) = env.policy {
            self.policy = p;
            self.exhaustive = None;
        }
        if env.exhaustive.is_some() {
            self.exhaustive = env.exhaustive;
        }
        if env.trace_dir.is_some() {
            self.trace_dir = env.trace_dir;
        }
        self.shard = env.shard.or(self.shard);
        if let Some(schedule) = env.replay {
            let seed = schedule.seed();
            let sim = self.configure(Sim::replay_schedule(schedule));
            let (_, outcome) = run_once(sim, &body);
            return match outcome.error {
                None => Ok(CheckSummary {
                    runs: 1,
                    exhausted: None,
                    how: "the SEEDLOOP_REPLAY schedule".into(),
                    coverage: Coverage::default(),
                }),
                Some(error) => Err(self.failure(
                    seed,
                    "replay".into(),
                    1,
                    (error, outcome.schedule),
                    false,
                    &body,
                )),
            };
        }
        if let Some(k) = self.exhaustive {
            let seed = self.seeds.start;
            let explored = exhaustive::explore(&self, seed, k, &body);
            let mut coverage = explored.coverage;
            coverage.require(&self.must_exercise);
            // Only a search that covered its whole space can say a path is
            // never exercised.
            if explored.failure.is_none() && explored.exhausted && !coverage.exercised_all() {
                return Err(CheckError::Unexercised(Box::new(coverage)));
            }
            return match explored.failure {
                None => Ok(CheckSummary {
                    runs: explored.runs,
                    exhausted: Some(explored.exhausted),
                    how: format!(
                        "every schedule with at most {k} deviations from FIFO{}",
                        if explored.sampled && k > 0 {
                            "; values of domains over 16 taken at their two ends and \
                             three points between"
                        } else {
                            ""
                        }
                    ),
                    coverage,
                }),
                Some(found) => Err(self.failure(
                    seed,
                    format!("exhaustive:{k}"),
                    explored.runs,
                    found,
                    self.shrink,
                    &body,
                )),
            };
        }
        let seeds: Vec<u64> = match self.shard {
            Some((k, n)) => self.seeds.clone().filter(|s| s % n == k - 1).collect(),
            None => self.seeds.clone().collect(),
        };
        let swept = if self.guided_by_assertions {
            guided::sweep(&self, &seeds, &body)
        } else {
            sweep::sweep(&self, &seeds, &body)
        };
        if let Some((seed, error, schedule)) = swept.failure {
            let policy = self.policy_words();
            return Err(self.failure(
                seed,
                policy,
                swept.runs,
                (error, schedule),
                self.shrink,
                &body,
            ));
        }
        for (i, &seed) in seeds.iter().enumerate() {
            let sampled = self.self_check_sample != 0 && i as u64 % self.self_check_sample == 0;
            if !(self.self_check_all || sampled) {
                continue;
            }
            // The slow-poll watch is off: it reports wall time, which a
            // loaded machine moves (a preempted poll), and what is checked
            // here is the program's determinism.
            let traced = || {
                self.sim_for_seed(seed)
                    .tracing(true)
                    .slow_poll_threshold(None)
            };
            let (a, _) = quiet::quietly(|| run_once(traced(), &body));
            let (b, _) = quiet::quietly(|| run_once(traced(), &body));
            let determinism = Determinism::compare(&a.trace().render(), &b.trace().render());
            if !determinism.is_same() {
                return Err(CheckError::Nondeterministic { seed, determinism });
            }
        }
        let mut coverage = swept.coverage;
        coverage.require(&self.must_exercise);
        if !partial && !coverage.exercised_all() {
            return Err(CheckError::Unexercised(Box::new(coverage)));
        }
        Ok(CheckSummary {
            runs: swept.runs,
            exhausted: None,
            coverage,
            how: format!(
                "seeds {}..{}{}, policy {}",
                self.seeds.start,
                self.seeds.end,
                self.shard
                    .map_or(String::new(), |(k, n)| format!(" (shard {k}/{n})")),
                self.policy_words()
            ),
        })
    }

    /// A run's `Sim` with this check's limits; tracing off (sweeps are fast,
    /// failures are re-run with tracing on).
    fn configure(&self, mut sim: Sim) -> Sim {
        sim = sim.tracing(false).isolate_panics(self.isolate_panics);
        if let Some(config) = &self.network {
            sim = sim.network(config.clone());
        }
        if let Some(n) = self.step_limit {
            sim = sim.step_limit(n);
        }
        if let Some(d) = self.time_limit {
            sim = sim.time_limit(d);
        }
        if let Some(k) = self.expected_steps {
            sim = sim.expected_steps(k);
        }
        if let Some(n) = self.inject_cancels {
            sim = sim.inject_cancels_up_to(n);
        }
        sim
    }

    /// The policy as reports name it.
    fn policy_words(&self) -> String {
        if self.guided_by_assertions {
            format!("{} guided by assertions", self.policy)
        } else {
            self.policy.to_string()
        }
    }

    fn sim_for_seed(&self, seed: u64) -> Sim {
        self.configure(Sim::new(seed).policy(self.policy))
    }

    fn test_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            std::thread::current()
                .name()
                .unwrap_or("<test name>")
                .to_string()
        })
    }

    fn trace_dir_or_default(&self) -> PathBuf {
        self.trace_dir.clone().unwrap_or_else(|| {
            default_trace_dir(
                |name| std::env::var_os(name).map(PathBuf::from),
                |dir| dir.is_dir(),
            )
        })
    }

    /// Shrinks (if asked), re-runs with tracing, self-checks, writes traces.
    /// `found` is the failure as the search saw it; the report keeps it even
    /// when the schedule passes on replay (a nondeterministic body).
    fn failure<F, Fut>(
        &self,
        seed: u64,
        policy: String,
        runs: u64,
        found: (SimError, Schedule),
        shrink: bool,
        body: &F,
    ) -> CheckError
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        let (search_error, found) = found;
        let replay = |schedule: &Schedule| {
            self.configure(Sim::replay_schedule(schedule.clone()))
                .tracing(true)
        };
        let (_, original) = quiet::quietly(|| run_once(replay(&found), body));
        let Some(target) = original.signature() else {
            return self.failed_only_once(seed, policy, runs, search_error, found, body);
        };
        let mut shrunk = None;
        if shrink {
            let s = shrink::shrink(self, found.seed(), found.choices(), &target, body);
            let sim = self
                .configure(Sim::guided_choices(found.seed(), s.picks))
                .tracing(true);
            let (_, outcome) = quiet::quietly(|| run_once(sim, body));
            if outcome.signature().as_ref() == Some(&target) {
                shrunk = Some((outcome.schedule, s.runs));
            }
        }
        let reported = shrunk.as_ref().map_or(&found, |(s, _)| s).clone();
        // The reported run, with the panic hook active: the user sees the
        // panic once, with its location.
        let (first, outcome) = run_once(replay(&reported), body);
        let (second, _) = quiet::quietly(|| run_once(replay(&reported), body));
        let determinism = Determinism::compare(&first.trace().render(), &second.trace().render());
        let mut faults = Coverage::default();
        faults.add_run(reported.seed(), &outcome.probes);
        let error = outcome
            .error
            .or(original.error)
            .expect("the original replay failed");
        let trace = first.trace();
        self.report(
            Found {
                seed,
                policy,
                runs,
                found,
            },
            shrunk,
            (error, faults),
            determinism,
            Some(trace),
        )
    }

    /// The failure as reported: the run's traces written to the trace
    /// directory, and the error's reproduce block naming this check's seed,
    /// policy, schedule (the shrunk one, if any) and test.
    fn report(
        &self,
        found: Found,
        shrunk: Option<(Schedule, usize)>,
        (mut error, run): (SimError, Coverage),
        determinism: Determinism,
        trace: Option<&crate::trace::Trace>,
    ) -> CheckError {
        let Found {
            seed,
            policy,
            runs,
            found,
        } = found;
        let test = self.test_name();
        let (trace_file, chrome_file) = match trace {
            Some(t) => failure::write_traces(&self.trace_dir_or_default(), &test, seed, t),
            None => (None, None),
        };
        let reported = shrunk.as_ref().map_or(&found, |(s, _)| s);
        error.set_repro(self.repro(seed, &policy, reported, &test));
        let values = trace.map(DrawnValues::of).unwrap_or_default();
        CheckError::Failed(Box::new(CheckFailure {
            test,
            seed,
            policy,
            runs,
            found,
            shrunk,
            error,
            determinism,
            trace_file,
            chrome_file,
            values,
            injected_cancels: trace.map(inject_cancels::injected).unwrap_or_default(),
            run,
        }))
    }

    /// How to reproduce a check's failure: the search's seed and policy,
    /// the schedule to replay, and the test to run it in.
    fn repro(&self, seed: u64, policy: &str, schedule: &Schedule, test: &str) -> Repro {
        Repro {
            seed,
            policy: policy.to_string(),
            schedule: schedule.to_string(),
            test: Some(test.to_string()),
        }
    }

    /// A schedule failed in the search and passed on replay: the body is
    /// not deterministic. The report keeps the search's failure and, if the
    /// seed fails again when run traced, names the first event where that
    /// failing run and the replay of its own schedule part.
    fn failed_only_once<F, Fut>(
        &self,
        seed: u64,
        policy: String,
        runs: u64,
        search_error: SimError,
        found: Schedule,
        body: &F,
    ) -> CheckError
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        const RERUNS: usize = 20;
        let seeded =
            found.seed() == seed && !policy.starts_with("exhaustive") && policy != "replay";
        let mut captured = None;
        if seeded {
            for _ in 0..RERUNS {
                let (sim, outcome) =
                    quiet::quietly(|| run_once(self.sim_for_seed(seed).tracing(true), body));
                if let Some(error) = outcome.error {
                    captured = Some((sim, error, outcome.schedule));
                    break;
                }
            }
        }
        let mut run = Coverage::default();
        let (error, schedule, determinism, trace) = match captured {
            Some((failing, error, schedule)) => {
                run.add_run(seed, &failing.take_probes());
                let replay = self
                    .configure(Sim::replay_schedule(schedule.clone()))
                    .tracing(true);
                let (again, _) = quiet::quietly(|| run_once(replay, body));
                let determinism =
                    Determinism::compare(&failing.trace().render(), &again.trace().render());
                (error, schedule, determinism, Some(failing.trace().clone()))
            }
            None => (
                search_error,
                found.clone(),
                Determinism::FailedOnce {
                    reruns: 1 + if seeded { RERUNS } else { 0 },
                },
                None,
            ),
        };
        self.report(
            Found {
                seed,
                policy,
                runs,
                found: schedule,
            },
            None,
            (error, run),
            determinism,
            trace.as_ref(),
        )
    }
}

/// A failing schedule as the search found it: its seed, the policy that
/// found it, after how many runs.
struct Found {
    seed: u64,
    policy: String,
    runs: u64,
    found: Schedule,
}

/// The default trace directory (see [`Check::trace_dir`]), from the
/// environment `var` and a test of which directories exist.
fn default_trace_dir(
    var: impl Fn(&str) -> Option<PathBuf>,
    is_dir: impl Fn(&std::path::Path) -> bool,
) -> PathBuf {
    if let Some(target) = var("CARGO_TARGET_DIR") {
        return target.join("seedloop");
    }
    let package_target = var("CARGO_MANIFEST_DIR").map(|m| m.join("target"));
    for target in package_target.into_iter().chain([PathBuf::from("target")]) {
        if is_dir(&target) {
            return target.join("seedloop");
        }
    }
    std::env::temp_dir().join("seedloop")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn traces_go_to_cargos_target_dir() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| PathBuf::from(v))
            }
        };
        let dirs = |known: &'static [&'static str]| {
            move |p: &Path| known.iter().any(|k| p == Path::new(k))
        };
        assert_eq!(
            default_trace_dir(
                env(&[("CARGO_TARGET_DIR", "/tmp/t"), ("CARGO_MANIFEST_DIR", "/p")]),
                dirs(&["/p/target"])
            ),
            PathBuf::from("/tmp/t/seedloop")
        );
        assert_eq!(
            default_trace_dir(
                env(&[("CARGO_MANIFEST_DIR", "/p")]),
                dirs(&["/p/target", "target"])
            ),
            PathBuf::from("/p/target/seedloop")
        );
        assert_eq!(
            default_trace_dir(env(&[("CARGO_MANIFEST_DIR", "/p")]), dirs(&["target"])),
            PathBuf::from("target/seedloop")
        );
        assert_eq!(
            default_trace_dir(env(&[]), dirs(&[])),
            std::env::temp_dir().join("seedloop")
        );
    }
}
