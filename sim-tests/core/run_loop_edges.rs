//! The run loop's boundaries, exactly: a time limit the clock may reach but
//! not pass, a step limit that counts every poll and callback.

use std::time::Duration;

use seedloop::{call_soon, sleep, yield_now, Policy, Sim, SimError};

#[test]
fn the_clock_may_reach_the_time_limit_but_not_pass_it() {
    let limit = Duration::from_secs(1);
    let reach = Sim::new(0)
        .time_limit(limit)
        .run(async { sleep(Duration::from_secs(1)).await });
    assert_eq!(reach, Ok(()));
    let pass = Sim::new(0)
        .time_limit(limit)
        .run(async { sleep(Duration::from_nanos(1_000_000_001)).await });
    assert!(matches!(pass, Err(SimError::TimeLimit(_))), "{pass:?}");
}

/// Main polled three times (two yields) and one callback: four steps.
async fn four_steps() {
    call_soon(|| {});
    yield_now().await;
    yield_now().await;
}

#[test]
fn the_step_limit_counts_polls_and_callbacks_exactly() {
    let run = |limit: u64| {
        Sim::new(0)
            .policy(Policy::Fifo)
            .step_limit(limit)
            .run(four_steps())
    };
    assert_eq!(run(4), Ok(()));
    match run(3) {
        Err(SimError::StepLimit(report)) => {
            assert!(report.limit.contains("step limit of 3"), "{}", report.limit)
        }
        other => panic!("expected the step limit, got {other:?}"),
    }
}
