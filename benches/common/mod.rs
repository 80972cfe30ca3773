//! Timing helpers shared by the benchmarks: medians of repeated runs, rows
//! that print seedloop's ratio to a peer, and interleaved side-by-side
//! comparisons.

#![allow(dead_code)] // each bench uses a subset

use std::time::Instant;

/// Whether this is a smoke run: `cargo test --all-targets` runs the benches
/// too, without `--bench` (which `cargo bench` passes). A smoke run does
/// every workload once at a tiny size, prints nothing but one line, and so
/// proves the benches still build and run without slowing the tests.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// `println!`, except in a smoke run.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::common::smoke() {
            println!($($arg)*);
        }
    };
}

/// Ends a smoke run with its one line.
pub fn smoke_done(bench: &str) {
    if smoke() {
        println!("bench {bench}: smoke run passed (`cargo bench --bench {bench}` for figures)");
    }
}

/// The median of `v` (which must not be empty).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Median ns per op of `f`, which performs `ops` operations, over `reps`
/// repetitions after one warm-up.
pub fn measure(reps: usize, ops: u64, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_nanos() as f64 / ops as f64
            })
            .collect(),
    )
}

/// Prints `name ns/op`, and with a baseline (seedloop's figure), the ratio
/// seedloop/this: below 1.0, seedloop is faster.
pub fn row(name: &str, ns: f64, baseline: Option<f64>) {
    match baseline {
        Some(b) => say!(
            "  {name:<40} {ns:>9.1} ns/op   ratio seedloop/this {:.2}",
            b / ns
        ),
        None => say!("  {name:<40} {ns:>9.1} ns/op"),
    }
}

/// How a contender's figure is compared with the reference (the first
/// contender, seedloop with tracing off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versus {
    /// The reference itself.
    Reference,
    /// A peer runtime: prints reference/this (below 1.0, seedloop is faster).
    Peer,
    /// A variant of seedloop (tracing on): prints this/reference, its cost.
    Variant,
}

/// One workload as one runtime runs it.
pub struct Contender<'a> {
    pub name: String,
    /// Operations one call of `run` performs.
    pub ops: u64,
    pub versus: Versus,
    pub run: Box<dyn FnMut() + 'a>,
}

impl<'a> Contender<'a> {
    pub fn new(name: impl Into<String>, ops: u64, versus: Versus, run: impl FnMut() + 'a) -> Self {
        Contender {
            name: name.into(),
            ops,
            versus,
            run: Box::new(run),
        }
    }
}

/// Runs every contender once to warm up, then `reps` rounds in which each
/// runs once, in turn (so load that comes and goes hits all alike). Prints
/// each one's median ns per op and the median of its per-round ratio to the
/// first contender. Returns the medians, in order.
///
/// For profiling one runtime alone, `BENCH_ONLY=<part of a name>` runs only
/// the matching contenders (ratios are then to the first of those).
pub fn compare(reps: usize, contenders: &mut [Contender<'_>]) -> Vec<f64> {
    let only = std::env::var("BENCH_ONLY").ok();
    let mut contenders: Vec<&mut Contender<'_>> = contenders
        .iter_mut()
        .filter(|c| only.as_deref().is_none_or(|o| c.name.contains(o)))
        .collect();
    for c in contenders.iter_mut() {
        (c.run)();
    }
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for _ in 0..reps {
        for (i, c) in contenders.iter_mut().enumerate() {
            let t = Instant::now();
            (c.run)();
            ns[i].push(t.elapsed().as_nanos() as f64 / c.ops as f64);
        }
    }
    let Some(reference) = ns.first().cloned() else {
        return Vec::new();
    };
    let mut medians = Vec::new();
    for (c, v) in contenders.iter().zip(&ns) {
        let ratios: Vec<f64> = v.iter().zip(&reference).map(|(x, r)| x / r).collect();
        let m = median(v.clone());
        medians.push(m);
        match c.versus {
            Versus::Reference => say!("  {:<44} {m:>9.1} ns/op", c.name),
            Versus::Peer => say!(
                "  {:<44} {m:>9.1} ns/op   seedloop/this {:.2}",
                c.name,
                1.0 / median(ratios)
            ),
            Versus::Variant => say!(
                "  {:<44} {m:>9.1} ns/op   this/untraced {:.2}",
                c.name,
                median(ratios)
            ),
        }
    }
    medians
}

/// Whether the workload `name` was asked for: no filter arguments, or one
/// that is part of its name (`cargo bench --bench core -- timers`).
pub fn wanted(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}
