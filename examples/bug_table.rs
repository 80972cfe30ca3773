//! The catalogue table of `docs/bugs.md`: for each bug of
//! `sim-tests/catalogue/programs/` and each policy, how many runs the harness
//! needs to find it, how long that takes, and how small the shrunk schedule
//! is; then the harness's throughput on the catalogue programs, on 1 and 2
//! threads.
//!
//! ```text
//! cargo run --release --example bug_table
//! ```
//!
//! - Seeded policies (random, PCT): 20 sweeps over disjoint seed ranges
//!   (`i * BUDGET .. (i + 1) * BUDGET`), each a `Check` on one thread with
//!   shrinking off; `CheckFailure::runs` is then exactly the runs up to and
//!   including the first failing seed. Medians (the 11th of 20); a sweep
//!   that finds nothing counts as "more than BUDGET". PCT is told the run
//!   length (`expected_steps`): the most choices seen in a few runs.
//! - Exhaustive search (`Check::exhaustive(k)`, k = the bug's bound) is
//!   deterministic: one number of runs; its times are medians of 20 calls.
//! - *Search* time: the runs up to the failing one, measured as a `Check`
//!   over the passing seeds before it (for exhaustive search, `max_runs` one
//!   short) plus the failing run on a bare `Sim`. *With report*: the whole
//!   `Check` call, which also re-runs the failing schedule three times with
//!   tracing (once to see how it fails, twice to compare the traces) and
//!   writes two trace files.
//! - Shrunk: the schedule the report gives, from the first sweep's failure
//!   (shrinking on), as choices / deviations from FIFO.
//! - Throughput: `Check::new().seeds(0..N)` over each bug's *fixed* program
//!   (the buggy ones stop at their first failure), policy random, on 1 thread
//!   and on every core (at least 2), next to the speed-up the machine gives
//!   plain arithmetic at the same moment. `-- throughput` prints only this.
//! - Values: uniform sampling against PCT, the runs-to-find medians side by
//!   side for every bug, with issue 11's target for the timing bugs (those
//!   whose failure needs specific delays): PCT needs at most a tenth of the
//!   runs uniform sampling needs, a fifth where uniform needs fewer than
//!   100. `-- target` prints only this table (the same 20 sweeps, runs
//!   only).
//! - Bugs that need a cancel at the worst moment (`Bug::cancels`) are
//!   searched with `Check::inject_cancels(true)`. `-- <bug name>...` prints
//!   only those bugs' rows of the table.

#[path = "../sim-tests/catalogue/programs/mod.rs"]
mod bugs;

use std::ops::Range;
use std::time::{Duration, Instant};

use bugs::{run_length, Bug, Program, CATALOGUE};
use seedloop::check::{Check, CheckError, CheckFailure};
use seedloop::{Policy, Sim};

/// Sweeps per seeded policy.
const SWEEPS: u64 = 20;
/// Seeds per sweep.
const BUDGET: u64 = 10_000;

fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    v[v.len() / 2]
}

fn trace_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("seedloop-bug-table")
}

/// A one-thread check of `program` as the table runs it.
fn check(bug: &Bug, policy: Policy, steps: u64) -> Check {
    Check::new()
        .name(bug.name)
        .policy(policy)
        .expected_steps(steps)
        .threads(1)
        .trace_dir(trace_dir())
        .inject_cancels(bug.cancels)
}

/// The failure of a check that found the bug, if it did.
fn found(result: Result<seedloop::check::CheckSummary, CheckError>) -> Option<Box<CheckFailure>> {
    match result {
        Err(CheckError::Failed(f)) => Some(f),
        Err(other) => panic!("{other}"),
        Ok(_) => None,
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn fmt_time(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.1} ms", us / 1000.0)
    }
}

fn shrunk(f: &CheckFailure) -> String {
    match &f.shrunk {
        Some((s, _)) => format!("{} / {}", s.len(), s.deviations()),
        None => "not shrunk".into(),
    }
}

/// Medians over the sweeps of one bug under one policy.
struct Row {
    /// Runs to the first failure per sweep; `None`: not found in the budget.
    runs: Vec<Option<u64>>,
    /// The search alone: the passing runs before the failure (a `Check`
    /// over them) plus the failing run (a `Sim`, as the harness runs it).
    search: Vec<Duration>,
    /// The whole `Check` call: the search and the failure report.
    total: Vec<Duration>,
    /// The first sweep's failure, shrunk.
    shrunk: Option<Box<CheckFailure>>,
}

impl Row {
    fn new() -> Row {
        Row {
            runs: Vec::new(),
            search: Vec::new(),
            total: Vec::new(),
            shrunk: None,
        }
    }

    /// The median of the runs to find it (`u64::MAX`: not found in most
    /// sweeps).
    fn median_runs(&self) -> u64 {
        median_runs(&self.runs)
    }

    fn print(&self, bug: &str, policy: &str) {
        let median_runs = fmt_runs(self.median_runs());
        let found = match self.runs.len() {
            1 => "deterministic".to_string(),
            n => format!("{}/{n}", self.runs.iter().flatten().count()),
        };
        println!(
            "| {bug} | {policy} | {median_runs} | {found} | {} | {} | {} |",
            fmt_time(median(self.search.clone())),
            fmt_time(median(self.total.clone())),
            self.shrunk.as_deref().map_or("-".into(), shrunk),
        );
    }
}

/// The median of runs to the first failure; `u64::MAX` if most sweeps found
/// nothing.
fn median_runs(runs: &[Option<u64>]) -> u64 {
    median(runs.iter().map(|r| r.unwrap_or(u64::MAX)).collect())
}

fn fmt_runs(runs: u64) -> String {
    match runs {
        u64::MAX => format!("> {BUDGET}"),
        r => r.to_string(),
    }
}

/// Runs to the first failure in each of `SWEEPS` sweeps over disjoint seed
/// ranges (`None`: not found in the sweep), shrinking off.
fn runs_to_find(bug: &Bug, policy: Policy, steps: u64) -> Vec<Option<u64>> {
    (0..SWEEPS)
        .map(|i| {
            let check = check(bug, policy, steps).shrink(false);
            found(
                check
                    .seeds(i * BUDGET..(i + 1) * BUDGET)
                    .try_run(bug.program),
            )
            .map(|f| f.runs)
        })
        .collect()
}

/// The policies the value table compares: uniform values against PCT's.
const VALUE_POLICIES: [Policy; 3] = [
    Policy::Random,
    Policy::Pct { depth: 2 },
    Policy::Pct { depth: 3 },
];

/// Runs-to-find medians per bug under `VALUE_POLICIES`, in that order.
type ValueRow = (&'static Bug, [u64; 3]);

/// Uniform against PCT for every bug, with the target for the timing bugs.
fn print_value_table(rows: &[ValueRow]) {
    println!("\nValues: runs to find each bug, uniform values (`random`) against PCT's");
    println!("steered values (median of {SWEEPS} sweeps of up to {BUDGET} seeds). Target");
    println!("(timing bugs, whose failure needs specific delays): PCT needs at most a tenth");
    println!("of uniform's runs, a fifth where uniform needs fewer than 100.\n");
    println!("| bug | needs | random | pct:2 | pct:3 | random / pct:2 | random / pct:3 | target |");
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for (bug, [random, pct2, pct3]) in rows {
        let ratio = |pct: u64| match (*random, pct) {
            (u64::MAX, u64::MAX) => "-".to_string(),
            (u64::MAX, _) => format!("> {:.0}", BUDGET as f64 / pct as f64),
            (_, u64::MAX) => "< 1".to_string(),
            (r, p) => format!("{:.1}", r as f64 / p as f64),
        };
        let target = if bug.timing {
            let factor = if *random < 100 { 5 } else { 10 };
            let met = |pct: u64| pct != u64::MAX && pct.saturating_mul(factor) <= *random;
            format!(
                "1/{factor}: {}",
                match (met(*pct2), met(*pct3)) {
                    (true, true) => "met (both depths)",
                    (true, false) => "met (pct:2 only)",
                    (false, true) => "met (pct:3 only)",
                    (false, false) => "not met",
                }
            )
        } else {
            "-".to_string()
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {target} |",
            bug.name,
            if bug.timing { "delays" } else { "an order" },
            fmt_runs(*random),
            fmt_runs(*pct2),
            fmt_runs(*pct3),
            ratio(*pct2),
            ratio(*pct3),
        );
    }
}

/// The value table alone (`-- target`).
fn print_target() {
    let rows: Vec<ValueRow> = CATALOGUE
        .iter()
        .map(|bug| {
            let steps = run_length(bug.program);
            let medians = VALUE_POLICIES.map(|p| median_runs(&runs_to_find(bug, p, steps)));
            (bug, medians)
        })
        .collect();
    print_value_table(&rows);
}

/// A bug under a seeded policy: `SWEEPS` sweeps over disjoint seed ranges.
fn seeded_row(bug: &Bug, policy: Policy, steps: u64) -> Row {
    let sweep = || check(bug, policy, steps).shrink(false);
    let mut row = Row::new();
    for i in 0..SWEEPS {
        let seeds: Range<u64> = i * BUDGET..(i + 1) * BUDGET;
        let (f, total) = timed(|| found(sweep().seeds(seeds.clone()).try_run(bug.program)));
        let search = match &f {
            Some(f) => {
                let (_, passing) = timed(|| sweep().seeds(seeds.start..f.seed).run(bug.program));
                let mut sim = Sim::new(f.seed)
                    .policy(policy)
                    .expected_steps(steps)
                    .inject_cancels(bug.cancels)
                    .tracing(false);
                let (failing, last) = timed(|| sim.run((bug.program)()));
                assert!(failing.is_err(), "seed {} fails again", f.seed);
                passing + last
            }
            None => total,
        };
        row.runs.push(f.map(|f| f.runs));
        row.search.push(search);
        row.total.push(total);
    }
    row.shrunk = found(
        check(bug, policy, steps)
            .seeds(0..BUDGET)
            .try_run(bug.program),
    );
    row
}

/// A bug under exhaustive search with its bound: deterministic runs, the
/// median of `SWEEPS` timings.
fn exhaustive_row(bug: &Bug) -> Row {
    let k = bug.deviations;
    let check = || {
        Check::new()
            .name(bug.name)
            .threads(1)
            .trace_dir(trace_dir())
            .inject_cancels(bug.cancels)
            .exhaustive(k)
    };
    let mut row = Row::new();
    for _ in 0..SWEEPS {
        let (f, total) = timed(|| found(check().shrink(false).try_run(bug.program)));
        let f = f.expect("exhaustive search finds every catalogue bug within its bound");
        let (_, passing) = timed(|| check().max_runs(f.runs - 1).run(bug.program));
        let mut sim = Sim::replay_schedule(f.found.clone()).tracing(false);
        let (failing, last) = timed(|| sim.run((bug.program)()));
        assert!(failing.is_err(), "the found schedule fails again");
        row.runs = vec![Some(f.runs)];
        row.search.push(passing + last);
        row.total.push(total);
    }
    row.shrunk = found(check().try_run(bug.program));
    row
}

/// Runs per second of a sweep of `program` over `seeds` seeds on 1 and on
/// `threads` threads, and the machine's own speed-up on plain arithmetic,
/// measured in alternation (the cores are shared with other processes, whose
/// load changes from second to second). Medians of 5.
fn throughput(program: Program, seeds: u64, threads: usize) -> (f64, f64, f64) {
    let sweep = |threads| {
        let t = timed(|| Check::new().seeds(0..seeds).threads(threads).run(program)).1;
        seeds as f64 / t.as_secs_f64()
    };
    let (mut one, mut many, mut machine) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        one.push(sweep(1));
        many.push(sweep(threads));
        machine.push(machine_speed_up(threads));
    }
    (median(one), median(many), median(machine))
}

fn main() {
    // Each failure report re-runs the failing schedule once with the panic
    // hook active; the table has no use for those messages.
    std::panic::set_hook(Box::new(|_| {}));
    if cfg!(debug_assertions) {
        println!("(a debug build: the times below are not the release figures)\n");
    }
    // `-- throughput` skips the table; `-- target` prints the value table
    // only; `-- <bug name>...` prints only those bugs' rows, and no
    // throughput.
    if std::env::args().any(|a| a == "target") {
        print_target();
        return;
    }
    let named = std::env::args().any(|a| CATALOGUE.iter().any(|b| b.name == a));
    if !std::env::args().any(|a| a == "throughput") {
        print_table();
    }
    if !named {
        print_throughput();
    }
}

/// The runs, times and shrunk sizes per bug and policy.
fn print_table() {
    println!("Runs to find each bug: median of {SWEEPS} sweeps of up to {BUDGET} seeds");
    println!("(exhaustive: one deterministic search). Search: the runs up to the failing");
    println!("one; with report: the whole `Check` call. Shrunk: choices / deviations from");
    println!("FIFO of the reported schedule.\n");
    println!("| bug | policy | runs to find | found in | search | with report | shrunk |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    let mut lengths = Vec::new();
    let mut value_rows = Vec::new();
    // `-- <bug name>...` prints only those bugs' rows.
    let only: Vec<String> = std::env::args()
        .filter(|a| CATALOGUE.iter().any(|b| b.name == a))
        .collect();
    for bug in CATALOGUE
        .iter()
        .filter(|b| only.is_empty() || only.iter().any(|o| o == b.name))
    {
        let steps = run_length(bug.program);
        let mut medians = [0; 3];
        for (policy, median) in VALUE_POLICIES.into_iter().zip(&mut medians) {
            let row = seeded_row(bug, policy, steps);
            row.print(bug.name, &policy.to_string());
            *median = row.median_runs();
        }
        value_rows.push((bug, medians));
        exhaustive_row(bug).print(bug.name, &format!("exhaustive:{}", bug.deviations));
        lengths.push((bug.name, steps));
    }
    println!("\nChoices per run (the most seen under FIFO and 32 random seeds), which PCT");
    println!("is told as `expected_steps`:\n");
    println!("| bug | choices per run |");
    println!("|---|---:|");
    for (name, steps) in &lengths {
        println!("| {name} | {steps} |");
    }
    print_value_table(&value_rows);

    let overhead = median(
        (0..SWEEPS)
            .map(|_| {
                timed(|| {
                    Check::new()
                        .seeds(0..0)
                        .threads(1)
                        .run(CATALOGUE[0].program)
                })
                .1
            })
            .collect(),
    );
    println!(
        "\nA `Check` call's fixed cost (no seeds at all): {}; it is part of every",
        fmt_time(overhead)
    );
    println!("search time above.");
}

/// The system's load average, where the OS tells it (the two cores of the
/// machine the figures in docs/bugs.md come from are shared).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Harness runs per second on the fixed programs, 1 thread against all cores.
fn print_throughput() {
    let quick = cfg!(debug_assertions);
    let seeds = if quick { 2_000 } else { 100_000 };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.max(2);
    println!("\nHarness throughput: `Check::new().seeds(0..{seeds})` over each fixed program,");
    println!(
        "policy random, median of 5; {cores} cores available, load average {}.\n",
        load_average()
    );
    println!(
        "| program | 1 thread (runs/s) | {threads} threads (runs/s) | speed-up | per core | machine's speed-up |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let (mut total_one, mut total_many, mut machines) = (0.0, 0.0, Vec::new());
    for bug in &CATALOGUE {
        let (one, many, machine) = throughput(bug.fixed, seeds, threads);
        total_one += 1.0 / one;
        total_many += 1.0 / many;
        machines.push(machine);
        println!(
            "| {}_fixed | {one:.0} | {many:.0} | {:.2}x | {:.0} | {machine:.2}x |",
            bug.name,
            many / one,
            many / threads as f64
        );
    }
    // Harmonic means: the rate of a sweep that runs every program equally often.
    let n = CATALOGUE.len() as f64;
    let (one, many) = (n / total_one, n / total_many);
    println!(
        "| all (harmonic mean) | {one:.0} | {many:.0} | {:.2}x | {:.0} | {:.2}x |",
        many / one,
        many / threads as f64,
        median(machines)
    );
    println!("\nLoad average after: {}.", load_average());
}

/// How much faster `threads` threads do a fixed amount of plain arithmetic
/// than one: what the machine offers at the moment, the ceiling for the
/// harness's speed-up.
fn machine_speed_up(threads: usize) -> f64 {
    fn spin(n: u64) -> u64 {
        (0..n).fold(1u64, |x, i| {
            std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i))
        })
    }
    const N: u64 = 50_000_000;
    let one = timed(|| spin(N)).1;
    let many = timed(|| {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| spin(N / threads as u64));
            }
        })
    })
    .1;
    one.as_secs_f64() / many.as_secs_f64()
}
