//! Timing helpers shared by the benchmarks: medians of repeated runs, and
//! rows that print seedloop's ratio to a peer.

#![allow(dead_code)] // each bench uses a subset

use std::time::Instant;

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
        Some(b) => println!(
            "  {name:<40} {ns:>9.1} ns/op   ratio seedloop/this {:.2}",
            b / ns
        ),
        None => println!("  {name:<40} {ns:>9.1} ns/op"),
    }
}
