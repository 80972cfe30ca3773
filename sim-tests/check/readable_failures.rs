//! A failed run reads the same however it is printed: `Debug` (what
//! `.unwrap()` and `?` in a test show) prints the `Display` report.

use seedloop::check::Check;
use seedloop::time::Instant;
use seedloop::{spawn, Sim};
use std::time::Duration;

#[test]
fn a_sim_error_debugs_as_its_report() {
    let err = Sim::new(7)
        .run(async {
            spawn(async { panic!("the account went negative") })
                .await
                .unwrap();
        })
        .unwrap_err();
    let debug = format!("{err:?}");
    assert_eq!(debug, err.to_string());
    assert!(debug.contains("the account went negative"), "{debug}");
    assert!(debug.contains("replay"), "{debug}");
    assert!(!debug.contains("PanicReport {"), "{debug}");
    assert!(!debug.contains("nanos"), "{debug}");
}

#[test]
fn a_deadlock_debugs_as_its_report() {
    let err = Sim::new(1).run(std::future::pending::<()>()).unwrap_err();
    assert_eq!(format!("{err:?}"), err.to_string());
    let seedloop::SimError::Deadlock(report) = &err else {
        panic!("{err}")
    };
    assert_eq!(format!("{report:?}"), report.to_string());
}

#[test]
fn a_check_error_and_its_failure_debug_as_their_report() {
    let err = Check::new()
        .seeds(0..5)
        .threads(1)
        .try_run(|| async { panic!("always") })
        .unwrap_err();
    assert_eq!(format!("{err:?}"), err.to_string());
    let seedloop::check::CheckError::Failed(failure) = &err else {
        panic!("{err}")
    };
    assert_eq!(format!("{failure:?}"), failure.to_string());
    assert!(format!("{failure:?}").contains("always"));
}

#[test]
fn an_instant_debugs_as_seconds() {
    let at = Sim::new(1)
        .run(async {
            seedloop::sleep(Duration::from_secs(3)).await;
            Instant::now()
        })
        .unwrap();
    assert_eq!(format!("{at:?}"), "3.000000s");
    assert_eq!(format!("{:?}", Some(at)), "Some(3.000000s)");
}
