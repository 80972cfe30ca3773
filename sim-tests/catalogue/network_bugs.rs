//! Every network bug of the catalogue (`network/`) is found by a check with
//! the network's faults, shrinks to the strikes it needs, replays, and its
//! fix passes.

use seedloop::check::{Check, CheckError, CheckFailure};

use crate::network::{NetBug, NETWORK};

fn bug(name: &str) -> &'static NetBug {
    NETWORK
        .iter()
        .find(|b| b.name == name)
        .expect("a network bug")
}

fn check(bug: &NetBug) -> Check {
    Check::new()
        .threads(1)
        .network((bug.network)())
        .trace_dir(crate::bug_tests::trace_dir())
}

/// The failure a sweep of the buggy program finds.
fn found(bug: &NetBug) -> Box<CheckFailure> {
    let program = bug.program;
    match check(bug).seeds(0..2000).try_run(program) {
        Err(CheckError::Failed(f)) => f,
        Err(other) => panic!("{}: {other}", bug.name),
        Ok(summary) => panic!("{}: not found: {summary}", bug.name),
    }
}

fn fix_passes(bug: &NetBug) {
    let fixed = bug.fixed;
    let summary = check(bug).seeds(0..300).try_run(fixed);
    assert!(
        summary.is_ok(),
        "{}'s fix fails:\n{}",
        bug.name,
        summary.unwrap_err()
    );
}

/// The shrunk failure keeps at least one strike of the network's faults,
/// and replays the same run.
fn shrinks_to_strikes_and_replays(f: &CheckFailure) {
    let text = f.to_string();
    assert!(
        f.values
            .above_first
            .iter()
            .any(|v| v.what.starts_with("faults strike")),
        "{text}"
    );
    assert!(text.contains("ran twice with identical traces"), "{text}");
}

#[test]
fn lost_ack_on_crash_is_found_and_its_fix_holds() {
    let b = bug("lost_ack_on_crash");
    let f = found(b);
    assert!(f.to_string().contains("is not on the backup"), "{f}");
    shrinks_to_strikes_and_replays(&f);
    fix_passes(b);
}

#[test]
fn split_brain_is_found_and_its_fix_holds() {
    let b = bug("split_brain");
    let f = found(b);
    assert!(f.to_string().contains("split brain: a served"), "{f}");
    shrinks_to_strikes_and_replays(&f);
    fix_passes(b);
}

#[test]
fn retry_not_idempotent_is_found_and_its_fix_holds() {
    let b = bug("retry_not_idempotent");
    let f = found(b);
    assert!(f.to_string().contains("balance 20"), "{f}");
    shrinks_to_strikes_and_replays(&f);
    fix_passes(b);
}

#[test]
fn lease_clock_drift_is_found_and_its_fix_holds() {
    let b = bug("lease_clock_drift");
    let f = found(b);
    assert!(f.to_string().contains("split brain: a served"), "{f}");
    shrinks_to_strikes_and_replays(&f);
    fix_passes(b);
    // Without the drift, the same lease holds: the clocks are the bug.
    let no_drift = Check::new()
        .threads(1)
        .network(crate::network::with_faults())
        .seeds(0..300)
        .try_run(b.program);
    assert!(no_drift.is_ok(), "{}", no_drift.unwrap_err());
}
