//! Shrinking keeps a schedule only if it fails the same way: a panic at the
//! same place. The place is noted per run, so a panic caught on the same
//! thread before the check is no part of its first run's failure.

use seedloop::check::{Check, CheckError};
use seedloop::{spawn, yield_now, Sim};

use crate::harness::needs_one_deviation;

#[test]
fn a_panic_caught_before_a_check_does_not_stop_its_shrinking() {
    let check = || {
        Check::new()
            .threads(1)
            .seeds(0..5)
            .trace_dir(std::env::temp_dir().join("seedloop-panic-sites"))
    };
    check().run(|| async {}); // the panic hook is installed
    let caught = std::panic::catch_unwind(|| panic!("before the check"));
    assert!(caught.is_err());
    let err = check()
        .try_run(|| async {
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    spawn(async {
                        yield_now().await;
                        yield_now().await;
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            panic!("every schedule fails here");
        })
        .unwrap_err();
    let CheckError::Failed(f) = err else {
        panic!("{err}")
    };
    assert_eq!(f.seed, 0, "{f}");
    assert!(f.found.deviations() > 0, "{f}");
    let (shrunk, _) = f.shrunk.as_ref().expect("shrunk");
    assert_eq!(shrunk.deviations(), 0, "the failure does not need any: {f}");
}

/// Every schedule fails, at one of two places: where the update was lost,
/// or (under FIFO, where it is not) at another. Shrinking the lost update
/// toward FIFO must stop at the one deviation that loses it, not take the
/// other failure for the same one.
#[test]
fn shrinking_does_not_trade_a_failure_for_one_at_another_place() {
    let lost = (0..200)
        .find(|&seed| Sim::new(seed).run(needs_one_deviation()).unwrap() == 1)
        .expect("a seed that loses the update");
    let err = Check::new()
        .threads(1)
        .seeds(lost..lost + 1)
        .trace_dir(std::env::temp_dir().join("seedloop-panic-sites"))
        .try_run(|| async {
            if needs_one_deviation().await == 1 {
                panic!("lost update");
            }
            panic!("no update lost");
        })
        .unwrap_err();
    let CheckError::Failed(f) = err else {
        panic!("{err}")
    };
    assert!(f.to_string().contains("lost update"), "{f}");
    let kept = f.shrunk.as_ref().map_or(&f.found, |(s, _)| s);
    assert_eq!(kept.deviations(), 1, "{f}");
}

/// The panic hook is silenced only while the check explores: the first
/// test above, run on its own, prints the panic caught before its check
/// (the hook is live there) and the failing schedule's panic from the
/// final re-runs, not one per explored run.
#[test]
fn only_panics_outside_the_exploration_are_printed() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(&exe)
        .args([
            "--exact",
            "panic_sites::a_panic_caught_before_a_check_does_not_stop_its_shrinking",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .output()
        .expect("the test binary runs one of its tests");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stderr.matches("before the check").count(), 1, "{stderr}");
    let printed = stderr.matches("every schedule fails here").count();
    assert!((1..=2).contains(&printed), "{printed} printed:\n{stderr}");
}
