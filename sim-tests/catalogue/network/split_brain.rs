//! Split brain under a partition: the leader `a` never steps down, so when
//! a partition keeps its heartbeats from `b` long enough for `b` to take
//! over, both lead (see `leadership.rs`).
//!
//! The fix: `a` leads only on a lease, while its last heartbeat answer is
//! at most 200 ms old, shorter than the 300 ms after which `b` takes over.

use seedloop::net;

use super::leadership::{run, Lead};
use super::with_faults;
use crate::programs::ms;

pub fn network() -> net::Config {
    with_faults()
}

pub async fn split_brain() {
    run(Lead::Always).await;
}

pub async fn split_brain_fixed() {
    run(Lead::Lease(ms(200))).await;
}
