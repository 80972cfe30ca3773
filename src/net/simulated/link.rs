//! A link: one direction between two hosts, and what stops it (a
//! partition, a hold). Loopback (a host to itself) never stops.

use std::net::SocketAddr;

use super::udp::Datagram;
use crate::time::Instant;

/// The state of the direction `from -> to` between two hosts. Absent from
/// the world's table while nothing stops it.
#[derive(Default)]
pub(crate) struct Link {
    /// Cut since then: TCP segments wait, datagrams are lost.
    pub partitioned_since: Option<Instant>,
    /// Held since then: everything waits until released.
    pub held_since: Option<Instant>,
    /// Datagrams that met the hold, in the order they were sent, with the
    /// address they were sent to.
    pub held_datagrams: Vec<(SocketAddr, Datagram)>,
}

impl Link {
    /// Since when nothing goes through, if something stops the link.
    pub fn blocked_since(&self) -> Option<Instant> {
        match (self.partitioned_since, self.held_since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Nothing stops it any more and it holds nothing: it can leave the table.
    pub fn is_clear(&self) -> bool {
        self.partitioned_since.is_none()
            && self.held_since.is_none()
            && self.held_datagrams.is_empty()
    }

    /// What a report says of it: `partitioned`, `held`, or nothing.
    pub fn describe(&self) -> Option<&'static str> {
        if self.partitioned_since.is_some() {
            Some("partitioned")
        } else if self.held_since.is_some() {
            Some("held")
        } else {
            None
        }
    }
}

/// Whether a message due at `at` on a link blocked since `blocked` must
/// wait: it was still in flight when the link stopped.
#[inline]
pub(crate) fn waits(at: Instant, blocked: Option<Instant>) -> bool {
    blocked.is_some_and(|since| at > since)
}
