//! Any string handed to `Sim::replay` is either rejected with a clear error
//! or replayed; a replay that does not fit the program fails with
//! `ScheduleDiverged`. Nothing panics, nothing hangs, and a schedule that was
//! accepted and ran to the end reproduces itself. The program draws values,
//! so value choices are replayed (and diverge) as well as picks.
//!
//! `cargo fuzz run -s none replay_any_schedule -- -max_total_time=30 -timeout=5`

#![no_main]

use libfuzzer_sys::fuzz_target;
use seedloop::{spawn, yield_now, Sim, SimError};

async fn program() -> u32 {
    let tasks: Vec<_> = (0..3u32)
        .map(|i| {
            spawn(async move {
                // A drawn value: replays must fit value choices too.
                for _ in 0..seedloop::random::range(1..4) {
                    yield_now().await;
                }
                i
            })
        })
        .collect();
    let mut sum = 0;
    for t in tasks {
        sum += t.await.unwrap();
    }
    sum
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(mut sim) = Sim::replay(&text) else {
        return;
    };
    match sim.run(program()) {
        Ok(sum) => {
            assert_eq!(sum, 3);
            let again = sim.schedule().to_string();
            let mut replay = Sim::replay(&again).expect("a printed schedule parses");
            assert_eq!(replay.run(program()).expect("a schedule replays"), 3);
            assert_eq!(replay.trace().render(), sim.trace().render());
        }
        Err(SimError::ScheduleDiverged { .. }) => {}
        Err(other) => panic!("unexpected failure: {other}"),
    }
});
