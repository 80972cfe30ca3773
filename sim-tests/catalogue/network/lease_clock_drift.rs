//! A lease that outlives itself under clock drift: `a` leads on a 200 ms
//! lease, shorter than `b`'s 300 ms takeover, but `a`'s clock runs half as
//! fast as `b`'s: 200 ms of its clock are 400 ms of `b`'s, and after a
//! partition both lead (see `leadership.rs`).
//!
//! The fix: size the lease for the worst drift the system allows (clocks
//! as slow as half speed): 100 ms of `a`'s clock, at most 200 ms of any
//! other's.

use std::time::Duration;

use seedloop::net;

use super::leadership::{run, Lead};
use super::with_faults;
use crate::programs::ms;

pub fn network() -> net::Config {
    net::Config {
        clocks: vec![("a".to_string(), Duration::ZERO, -0.5)],
        ..with_faults()
    }
}

pub async fn lease_clock_drift() {
    run(Lead::Lease(ms(200))).await;
}

pub async fn lease_clock_drift_fixed() {
    run(Lead::Lease(ms(100))).await;
}
