//! The simulated network beside turmoil's, in one process: wall time per
//! TCP round trip between two simulated hosts, and runs per second of a
//! seed sweep over a three-host scenario. Both simulators run the same
//! programs: an echo server per host, a client on the run's own host.
//!
//! `cargo bench --bench net`. Medians of several repetitions; the ratio is
//! turmoil's time over seedloop's (above 1, seedloop is faster).

#[path = "common/mod.rs"]
#[macro_use]
mod common;

use std::time::{Duration, Instant};

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net::{self, TcpListener, TcpStream};
use seedloop::Sim;

use common::median;

const REPS: usize = 5;

/// The message size of every round trip.
const SIZE: usize = 64;

// ---- seedloop ----

/// An echo server on the current host: every connection gets its bytes
/// back, `SIZE` at a time.
async fn seedloop_echo_server() -> std::io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:7000").await?;
    loop {
        let (mut conn, _) = listener.accept().await?;
        seedloop::spawn(async move {
            let mut buf = [0u8; SIZE];
            while conn.read_exact(&mut buf).await.is_ok() {
                conn.write_all(&buf).await?;
            }
            Ok::<_, std::io::Error>(())
        })
        .detach();
    }
}

async fn seedloop_round_trips(server: &str, n: usize) -> std::io::Result<()> {
    let mut conn = TcpStream::connect(server).await?;
    let mut buf = [7u8; SIZE];
    for _ in 0..n {
        conn.write_all(&buf).await?;
        conn.read_exact(&mut buf).await?;
    }
    Ok(())
}

/// `n` round trips between the run's host and one echo server.
fn seedloop_two_hosts(seed: u64, n: usize) {
    Sim::new(seed)
        .tracing(false)
        .run(async move {
            net::host("server", seedloop_echo_server);
            seedloop_round_trips("server:7000", n).await
        })
        .expect("the run")
        .expect("the round trips");
}

/// 5 round trips with each of two echo servers.
fn seedloop_three_hosts(seed: u64) {
    Sim::new(seed)
        .tracing(false)
        .run(async {
            net::host("server-a", seedloop_echo_server);
            net::host("server-b", seedloop_echo_server);
            seedloop_round_trips("server-a:7000", 5).await?;
            seedloop_round_trips("server-b:7000", 5).await
        })
        .expect("the run")
        .expect("the round trips");
}

// ---- turmoil ----

mod peer {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use turmoil::net::{TcpListener, TcpStream};

    use super::SIZE;

    type Result = std::result::Result<(), Box<dyn std::error::Error>>;

    async fn echo_server() -> Result {
        let listener = TcpListener::bind("0.0.0.0:7000").await?;
        loop {
            let (mut conn, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut buf = [0u8; SIZE];
                while conn.read_exact(&mut buf).await.is_ok() {
                    if conn.write_all(&buf).await.is_err() {
                        break;
                    }
                }
            });
        }
    }

    async fn round_trips(server: &str, n: usize) -> Result {
        let mut conn = TcpStream::connect(server).await?;
        let mut buf = [7u8; SIZE];
        for _ in 0..n {
            conn.write_all(&buf).await?;
            conn.read_exact(&mut buf).await?;
        }
        Ok(())
    }

    fn sim(seed: u64) -> turmoil::Sim<'static> {
        turmoil::Builder::new()
            .rng_seed(seed)
            .simulation_duration(Duration::from_secs(24 * 3600))
            .build()
    }

    pub fn two_hosts(seed: u64, n: usize) {
        let mut sim = sim(seed);
        sim.host("server", echo_server);
        sim.client("client", async move { round_trips("server:7000", n).await });
        sim.run().expect("the turmoil run");
    }

    pub fn three_hosts(seed: u64) {
        let mut sim = sim(seed);
        sim.host("server-a", echo_server);
        sim.host("server-b", echo_server);
        sim.client("client", async {
            round_trips("server-a:7000", 5).await?;
            round_trips("server-b:7000", 5).await
        });
        sim.run().expect("the turmoil run");
    }
}

/// Median seconds of `f` over `REPS` runs, after a warm-up.
fn seconds(mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..REPS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    let smoke = common::smoke();
    let trips = if smoke { 10 } else { 10_000 };
    let seeds: u64 = if smoke { 3 } else { 1_000 };

    say!("TCP round trips of {SIZE} bytes between two simulated hosts ({trips} per run):");
    let ours = seconds(|| seedloop_two_hosts(1, trips));
    let theirs = seconds(|| peer::two_hosts(1, trips));
    let per = |s: f64| Duration::from_secs_f64(s / trips as f64);
    say!(
        "  seedloop {:>10.2?} per round trip ({:>9.0}/s)",
        per(ours),
        trips as f64 / ours
    );
    say!(
        "  turmoil  {:>10.2?} per round trip ({:>9.0}/s)   ratio turmoil/seedloop {:.1}",
        per(theirs),
        trips as f64 / theirs,
        theirs / ours
    );

    say!("\nA sweep of {seeds} seeds: a client doing 5 round trips with each of two echo servers:");
    let ours = seconds(|| (0..seeds).for_each(seedloop_three_hosts));
    let theirs = seconds(|| (0..seeds).for_each(peer::three_hosts));
    say!("  seedloop {:>9.0} runs/s", seeds as f64 / ours);
    say!(
        "  turmoil  {:>9.0} runs/s   ratio turmoil/seedloop {:.1}",
        seeds as f64 / theirs,
        theirs / ours
    );
    common::smoke_done("net");
}
