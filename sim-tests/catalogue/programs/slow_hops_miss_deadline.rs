//! **Every hop slow at once.** A request passes through five services in
//! turn; each hop takes 1 to 20 ms (`random::range(1..21)`). The caller
//! gives the whole request a deadline of 89.5 ms: the hops average 10.5 ms,
//! so the typical request takes about 52 ms and the deadline looks generous.
//!
//! It fails only when the five hops together take 90 ms or more: all of
//! them slow at once, one run in about a thousand under uniform draws (five
//! deviations from the smallest delays). PCT's swarm bias makes the hop
//! site slow for a whole run in a quarter of its runs. Fix: bound each hop
//! (16.5 ms, then answer from the cache), so that five hops always fit the
//! deadline.

use seedloop::{random, sleep, timeout};
use std::time::Duration;

use super::ms;

/// The caller's deadline for the whole request.
fn deadline() -> Duration {
    Duration::from_micros(89_500)
}

/// One hop to the next service: 1 to 20 ms.
async fn hop() {
    sleep(ms(random::range(1..21))).await;
}

/// One request through five services, under the caller's deadline.
pub async fn slow_hops_miss_deadline() {
    let answered = timeout(deadline(), async {
        for _ in 0..5 {
            hop().await;
        }
    })
    .await;
    assert!(answered.is_ok(), "the request missed its 89.5 ms deadline");
}

/// The fix: a hop that takes longer than 16.5 ms is answered from the
/// service's cache, so five hops take at most 82.5 ms.
pub async fn slow_hops_miss_deadline_fixed() {
    let answered = timeout(deadline(), async {
        for _ in 0..5 {
            let _from_cache = timeout(Duration::from_micros(16_500), hop()).await.is_err();
        }
    })
    .await;
    assert!(answered.is_ok(), "the request missed its 89.5 ms deadline");
}
