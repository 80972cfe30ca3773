//! The classic asyncio tutorial scenarios, under `Policy::Fifo`, with exact
//! virtual times. The expected lines (the [`Scenario`] constants) are what
//! CPython's own event loop prints on a virtual clock
//! (`sim-tests/asyncio/virtual_loop.py SCENARIO`), except for the swaps a
//! scenario lists where seedloop deliberately differs; a test in `main.rs`
//! runs the script and compares.

use std::time::Duration;

use seedloop::task::Builder;
use seedloop::time::{block_for, Instant};
use seedloop::{call_later, call_soon, sleep, spawn, timeout, yield_now, JoinError};

use crate::common::{fifo, secs, Log};
use crate::oracle::{Scenario, Swapped};
use crate::snapshot;

/// The `three_sleepers` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/virtual_loop.py three_sleepers`).
pub const THREE_SLEEPERS: Scenario = Scenario {
    name: "three_sleepers",
    lines: &[
        "0.000 a start",
        "0.000 b start",
        "0.000 c start",
        "3.000 a done",
        "3.000 b done",
        "3.000 c done",
        "3.000 main done",
    ],
    asyncio_swaps: &[],
};

#[test]
fn three_sleepers_finish_together_at_3s_not_9s() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let tasks: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let l = l.clone();
                Builder::new().name(name).spawn(async move {
                    l.say(format!("{name} start"));
                    sleep(secs(3.0)).await;
                    l.say(format!("{name} done"));
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        l.say("main done");
    })
    .unwrap();
    assert_eq!(log.lines(), THREE_SLEEPERS.lines);
    snapshot!("core_three_sleepers", sim.trace().render());
}

/// The `ticker_and_delays` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/virtual_loop.py ticker_and_delays`) but for the swaps.
pub const TICKER_AND_DELAYS: Scenario = Scenario {
    name: "ticker_and_delays",
    lines: &[
        "0.000 tick",
        "1.000 tick",
        "2.000 tick",
        "3.000 d1 done",
        "3.000 d2 done",
        "3.000 tick",
        "3.000 main done",
    ],
    asyncio_swaps: &[Swapped {
        lines: ["3.000 d1 done", "3.000 d2 done"],
        why: "CPython's timer heap leaves equal deadlines in no defined order; \
              seedloop fires ties in the order they were set",
    }],
};

#[test]
fn ticker_runs_every_second_while_two_delays_run() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let lt = l.clone();
        let ticker = Builder::new().name("ticker").spawn(async move {
            loop {
                lt.say("tick");
                sleep(secs(1.0)).await;
            }
        });
        let delay = |name: &'static str| {
            let l = l.clone();
            Builder::new().name(name).spawn(async move {
                sleep(secs(3.0)).await;
                l.say(format!("{name} done"));
            })
        };
        let (d1, d2) = (delay("d1"), delay("d2"));
        d1.await.unwrap();
        d2.await.unwrap();
        l.say("main done");
        ticker.cancel();
    })
    .unwrap();
    assert_eq!(log.lines(), TICKER_AND_DELAYS.lines);
    snapshot!("core_ticker", sim.trace().render());
}

/// The `spawn_order` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/virtual_loop.py spawn_order`).
pub const SPAWN_ORDER: Scenario = Scenario {
    name: "spawn_order",
    lines: &[
        "0.000 main before yield",
        "0.000 a 0",
        "0.000 b 0",
        "0.000 callback 1",
        "0.000 callback 2",
        "0.000 main after yield",
        "0.000 later 0",
        "0.000 a 1",
        "0.000 b 1",
        "0.000 a 2",
        "0.000 main done",
    ],
    asyncio_swaps: &[],
};

#[test]
fn spawned_tasks_and_callbacks_run_in_asyncio_order() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let child = |name: &'static str, n: usize| {
                let l = l.clone();
                spawn(async move {
                    for i in 0..n {
                        l.say(format!("{name} {i}"));
                        yield_now().await;
                    }
                })
            };
            let a = child("a", 3);
            let b = child("b", 2);
            let (l1, l2, l3) = (l.clone(), l.clone(), l.clone());
            call_soon(move || l1.say("callback 1"));
            call_later(Duration::ZERO, move || l2.say("later 0"));
            call_soon(move || l3.say("callback 2"));
            l.say("main before yield");
            yield_now().await;
            l.say("main after yield");
            a.await.unwrap();
            b.await.unwrap();
            l.say("main done");
        })
        .unwrap();
    assert_eq!(log.lines(), SPAWN_ORDER.lines);
}

/// Logs when dropped: shows the moment a cancelled task's destructors run.
struct Cleanup(Log, &'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.0.say(format!("{} cleanup", self.1));
    }
}

/// The `cancel_after_five` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/virtual_loop.py cancel_after_five`).
pub const CANCEL_AFTER_FIVE: Scenario = Scenario {
    name: "cancel_after_five",
    lines: &[
        "0.000 long start",
        "5.000 main cancelled it",
        "5.000 long cleanup",
        "5.000 main saw cancelled",
    ],
    asyncio_swaps: &[],
};

#[test]
fn cancelling_a_10s_task_after_5s() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let ll = l.clone();
        let long = Builder::new().name("long").spawn(async move {
            let _cleanup = Cleanup(ll.clone(), "long");
            ll.say("long start");
            sleep(secs(10.0)).await;
            ll.say("long done");
        });
        sleep(secs(5.0)).await;
        long.cancel();
        l.say("main cancelled it");
        assert_eq!(long.await, Err(JoinError::Cancelled));
        l.say("main saw cancelled");
    })
    .unwrap();
    assert_eq!(log.lines(), CANCEL_AFTER_FIVE.lines);
    snapshot!("core_cancel_after_5s", sim.trace().render());
}

/// The `wait_for_timeout` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/virtual_loop.py wait_for_timeout`) but for the swaps.
pub const WAIT_FOR_TIMEOUT: Scenario = Scenario {
    name: "wait_for_timeout",
    lines: &["1.000 main timeout", "1.000 two cleanup", "6.000 main done"],
    asyncio_swaps: &[Swapped {
        lines: ["1.000 main timeout", "1.000 two cleanup"],
        why: "CPython's wait_for also waits for the cancelled task to finish, so its \
              cleanup prints first; seedloop's timeout drops the Task (requesting the \
              cancel) and returns at once, and the task's future is dropped at its next \
              scheduling point, the same instant",
    }],
};

#[test]
fn wait_for_a_2s_task_with_a_1s_timeout_cancels_it() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let lt = l.clone();
        let two = Builder::new().name("two").spawn(async move {
            let _cleanup = Cleanup(lt.clone(), "two");
            sleep(secs(2.0)).await;
            lt.say("two done");
        });
        let r = timeout(secs(1.0), two).await;
        assert_eq!(r.unwrap_err().deadline(), Instant::ZERO + secs(1.0));
        l.say("main timeout");
        sleep(secs(5.0)).await;
        l.say("main done");
    })
    .unwrap();
    assert_eq!(log.lines(), WAIT_FOR_TIMEOUT.lines);
    snapshot!("core_wait_for_timeout", sim.trace().render());
}

#[test]
fn timing_wrapper_two_tasks_of_2s_and_3s_end_main_at_3s() {
    let mut sim = fifo();
    let elapsed = sim
        .run(async {
            let start = Instant::now();
            let a = spawn(sleep(secs(2.0)));
            let b = spawn(sleep(secs(3.0)));
            a.await.unwrap();
            let after_a = Instant::now() - start;
            b.await.unwrap();
            (after_a, Instant::now() - start)
        })
        .unwrap();
    assert_eq!(elapsed, (secs(2.0), secs(3.0)));
}

#[test]
fn cpu_bound_work_blocks_the_loop_and_delays_the_others() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let lt = l.clone();
        let ticker = Builder::new().name("ticker").spawn(async move {
            for _ in 0..4 {
                lt.say("tick");
                sleep(secs(0.5)).await;
            }
        });
        let lc = l.clone();
        let cruncher = Builder::new().name("cruncher").spawn(async move {
            sleep(secs(0.2)).await;
            lc.say("crunch start");
            block_for(secs(2.0)); // two seconds of CPU, no await
            lc.say("crunch end");
        });
        ticker.await.unwrap();
        cruncher.await.unwrap();
    })
    .unwrap();
    // The tick due at 0.5 cannot run before the cruncher lets go at 2.2.
    assert_eq!(
        log.lines(),
        [
            "0.000 tick",
            "0.200 crunch start",
            "2.200 crunch end",
            "2.200 tick",
            "2.700 tick",
            "3.200 tick"
        ]
    );
    snapshot!("core_cpu_bound", sim.trace().render());
}
