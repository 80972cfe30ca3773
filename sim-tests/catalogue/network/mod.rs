//! The catalogue's network bugs: small distributed programs over the
//! simulated network (`seedloop::net`), each with the bug and a fixed
//! version. What finds them is the network's own nondeterminism, each a
//! choice of the run: message delays, and the crashes and partitions
//! `net::Faults` injects (`Check::network_faults`). Their tests are in
//! `sim-tests/catalogue/network_bugs.rs`; the table in `docs/bugs.md`.
//!
//! Compiled by the `catalogue` test binary and by `examples/bug_table.rs`,
//! so no tests live here.

use std::io;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net;
use seedloop::net::TcpStream;

use super::programs::Program;

mod leadership;
pub mod lease_clock_drift;
pub mod lost_ack_on_crash;
pub mod retry_not_idempotent;
pub mod split_brain;

/// One network bug of the catalogue.
pub struct NetBug {
    /// The module's name, also the program's.
    pub name: &'static str,
    /// The program with the bug.
    pub program: Program,
    /// The same program with the bug fixed.
    pub fixed: Program,
    /// The network every run gets (its faults, latencies, clocks).
    pub network: fn() -> net::Config,
}

macro_rules! net_entry {
    ($module:ident :: $program:ident, $fixed:ident) => {
        NetBug {
            name: stringify!($program),
            program: || Box::pin($module::$program()),
            fixed: || Box::pin($module::$fixed()),
            network: $module::network,
        }
    };
}

/// Every network bug of the catalogue, in the order of `docs/bugs.md`.
pub const NETWORK: [NetBug; 4] = [
    net_entry!(
        lost_ack_on_crash::lost_ack_on_crash,
        lost_ack_on_crash_fixed
    ),
    net_entry!(split_brain::split_brain, split_brain_fixed),
    net_entry!(
        retry_not_idempotent::retry_not_idempotent,
        retry_not_idempotent_fixed
    ),
    net_entry!(
        lease_clock_drift::lease_clock_drift,
        lease_clock_drift_fixed
    ),
];

/// The network with its default latencies and faults injected.
pub fn with_faults() -> net::Config {
    net::Config {
        faults: Some(net::Faults::default()),
        ..net::Config::default()
    }
}

/// A message on the wire: a tag and a number, 9 bytes.
pub async fn send(conn: &mut TcpStream, tag: u8, n: u64) -> io::Result<()> {
    let mut frame = [0; 9];
    frame[0] = tag;
    frame[1..].copy_from_slice(&n.to_le_bytes());
    conn.write_all(&frame).await
}

/// The next message: its tag and its number.
pub async fn receive(conn: &mut TcpStream) -> io::Result<(u8, u64)> {
    let mut frame = [0; 9];
    conn.read_exact(&mut frame).await?;
    Ok((frame[0], u64::from_le_bytes(frame[1..].try_into().unwrap())))
}

/// One request and its reply on a fresh connection, within `limit`.
pub async fn call(server: &str, tag: u8, n: u64, limit: Duration) -> io::Result<(u8, u64)> {
    seedloop::timeout(limit, async {
        let mut conn = TcpStream::connect(server).await?;
        send(&mut conn, tag, n).await?;
        receive(&mut conn).await
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply in time"))?
}
