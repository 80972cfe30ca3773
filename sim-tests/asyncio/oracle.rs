//! The CPython oracles of this folder, run by the scenario tests.
//!
//! `virtual_loop.py`, `sync_scenarios.py` and `queue_scenarios.py` run the
//! tutorial scenarios on CPython's own event loop with a virtual clock and
//! print one `"<time> <what happened>"` line per event. The Rust tests that
//! port them (`core/scenarios.rs`, `sync/locks.rs`, `sync/events.rs`,
//! `queues/queues.rs`) keep their expected lines as a [`Scenario`] constant:
//! the test asserts seedloop's run against it, and [`check`] asserts
//! CPython's output against it, so the Rust expectation and the oracle cannot
//! drift apart. Where seedloop deliberately orders two lines otherwise than
//! asyncio, the scenario names the pair and says why ([`Swapped`]); every
//! other line must be CPython's, in CPython's order.
//!
//! Without `python3` on the `PATH`, [`check`] prints
//! `skipped: python3 not found` and returns.

#![allow(dead_code)]

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One scenario: its name in the Python script's `SCENARIOS`, and the lines
/// seedloop's run prints under `Policy::Fifo`.
pub struct Scenario {
    /// The Python function's name (`python3 SCRIPT NAME` runs it).
    pub name: &'static str,
    /// What seedloop prints, in order.
    pub lines: &'static [&'static str],
    /// Where asyncio prints two of these lines in the other order.
    pub asyncio_swaps: &'static [Swapped],
}

/// Two lines asyncio prints in the opposite order, and why seedloop differs.
pub struct Swapped {
    /// The two lines, as seedloop prints them (first, then second).
    pub lines: [&'static str; 2],
    /// The reason for the difference (shown when the check fails).
    pub why: &'static str,
}

impl Scenario {
    /// The lines CPython must print: [`Scenario::lines`] with each swapped
    /// pair exchanged.
    ///
    /// # Panics
    ///
    /// If a swapped line is not exactly once among the lines.
    pub fn asyncio_lines(&self) -> Vec<&'static str> {
        let mut lines = self.lines.to_vec();
        for swap in self.asyncio_swaps {
            let [a, b] = swap.lines.map(|line| {
                let at: Vec<_> = (0..lines.len()).filter(|&i| lines[i] == line).collect();
                assert_eq!(
                    at.len(),
                    1,
                    "{}: a swapped line must be exactly once among the lines: {line:?}",
                    self.name
                );
                at[0]
            });
            assert!(
                a < b,
                "{}: a swap names its lines in seedloop's order",
                self.name
            );
            lines.swap(a, b);
        }
        lines
    }
}

/// The folder of the scripts.
fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sim-tests/asyncio")
}

/// Runs `python3 SCRIPT ARGS` in this folder; `None` when there is no python3.
fn python(script: &str, args: &[&str]) -> Option<Output> {
    match Command::new("python3")
        .arg(script)
        .args(args)
        .current_dir(folder())
        .output()
    {
        Ok(output) => {
            assert!(
                output.status.success(),
                "python3 {script} {}: {}\n{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            Some(output)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => panic!("python3 {script}: {e}"),
    }
}

/// What `python3 SCRIPT --all` printed: each scenario's name and lines.
fn sections(output: &Output) -> Vec<(String, Vec<String>)> {
    let text = String::from_utf8(output.stdout.clone()).expect("the oracle prints UTF-8");
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            sections.push((name.to_owned(), Vec::new()));
        } else {
            let (_, lines) = sections.last_mut().expect("a line before the first header");
            lines.push(line.to_owned());
        }
    }
    sections
}

/// Runs every scenario of `script` under CPython (`python3 SCRIPT --all`,
/// one process) and compares its output with the Rust expectations;
/// `scenarios` must be exactly the script's, so a scenario added on one side
/// only fails too.
///
/// # Panics
///
/// When CPython prints anything but the scenario's [`Scenario::asyncio_lines`],
/// or when the two sides list different scenarios.
pub fn check(script: &str, scenarios: &[&Scenario]) {
    let Some(output) = python(script, &["--all"]) else {
        println!("skipped: python3 not found");
        return;
    };
    let printed = sections(&output);
    let mut in_python: Vec<&str> = printed.iter().map(|(name, _)| name.as_str()).collect();
    let mut in_rust: Vec<&str> = scenarios.iter().map(|s| s.name).collect();
    in_python.sort_unstable();
    in_rust.sort_unstable();
    assert_eq!(
        in_rust, in_python,
        "the Rust scenarios (left) and {script}'s SCENARIOS (right) must be the same"
    );
    for (name, lines) in &printed {
        let scenario = scenarios.iter().find(|s| s.name == name).expect("listed");
        let why: Vec<_> = scenario.asyncio_swaps.iter().map(|s| s.why).collect();
        assert_eq!(
            lines,
            &scenario.asyncio_lines(),
            "`python3 sim-tests/asyncio/{script} {name}` (left) against the Rust expectation \
             with its documented swaps (right; swaps: {why:?})",
        );
    }
}
