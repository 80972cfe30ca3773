//! `Check::guided_by_assertions` against the plain sweep: how many runs each
//! needs until a `sometimes` assertion first holds, median of 20 disjoint
//! searches (seed ranges that do not overlap), side by side, with the ratio.
//!
//! `cargo bench --bench guided`.
//!
//! Two programs. `steps`: a goal behind four steps, each taken with chance
//! 1/6 (a message that must land in one slot of six), the first three
//! marked by `assert_reachable!`: uniform sampling needs all four at once
//! (1 in 1296 runs). `unmarked`: the same goal with no marks on the way,
//! where guidance has nothing to hold on to (it should not do worse).

#[path = "common/mod.rs"]
#[macro_use]
mod common;

use seedloop::check::{Check, CheckError, Coverage};
use seedloop::{assert_reachable, assert_sometimes, random};

const GOAL: &str = "all four steps";

async fn steps() {
    let mut step = 0;
    while step < 4 && random::range(0..6) == 0 {
        step += 1;
        match step {
            1 => assert_reachable!("step 1"),
            2 => assert_reachable!("step 2"),
            3 => assert_reachable!("step 3"),
            _ => {}
        }
    }
    assert_sometimes!(step == 4, "all four steps");
}

async fn unmarked() {
    let mut step = 0;
    while step < 4 && random::range(0..6) == 0 {
        step += 1;
    }
    assert_sometimes!(step == 4, "all four steps");
}

/// Runs until the goal first held in the search over `budget` seeds from
/// `start` (`budget` if it never did).
fn runs_to_goal(
    program: fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
    guided: bool,
    start: u64,
    budget: u64,
) -> f64 {
    let result = Check::new()
        .seeds(start..start + budget)
        .guided_by_assertions(guided)
        .try_run(program);
    let coverage: Coverage = match result {
        Ok(summary) => summary.coverage,
        Err(CheckError::Unexercised(c)) => *c,
        Err(e) => panic!("{e}"),
    };
    let goal = coverage
        .assertions
        .iter()
        .find(|a| a.message == GOAL)
        .expect("reached");
    goal.first_held.map_or(budget, |seed| seed - start + 1) as f64
}

fn main() {
    let quick = common::smoke();
    let (searches, budget) = if quick { (2, 300) } else { (20, 20_000) };
    say!("runs until a sometimes-assertion first holds, median of {searches} disjoint searches of at most {budget} runs");
    say!(
        "  {:<10} {:>10} {:>10}   ratio guided/plain",
        "program",
        "plain",
        "guided"
    );
    type Program = fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;
    let programs: [(&str, Program); 2] = [
        ("steps", || Box::pin(steps())),
        ("unmarked", || Box::pin(unmarked())),
    ];
    for (name, program) in programs {
        let mut plain = Vec::new();
        let mut guided = Vec::new();
        for k in 0..searches {
            let start = 1_000_000 + k * budget;
            plain.push(runs_to_goal(program, false, start, budget));
            guided.push(runs_to_goal(program, true, start, budget));
        }
        let (p, g) = (common::median(plain), common::median(guided));
        say!("  {name:<10} {p:>10.0} {g:>10.0}   {:.2}", g / p);
    }
    common::smoke_done("guided");
}
