//! `net::Faults`: crashes and partitions the network injects by itself as
//! messages leave, each decision a choice of the run.

use std::io;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net::{self, TcpListener, TcpStream};
use seedloop::{sleep, spawn, Sim};

/// An echo server of one-byte messages.
async fn echo() -> io::Result<()> {
    let l = TcpListener::bind("0.0.0.0:7000").await?;
    loop {
        let (mut s, _) = l.accept().await?;
        spawn(async move {
            let mut b = [0; 1];
            while s.read_exact(&mut b).await.is_ok() {
                s.write_all(&b).await?;
            }
            Ok::<_, io::Error>(())
        })
        .detach();
    }
}

/// A client that talks to two servers, reconnecting after any failure,
/// for a second of virtual time.
async fn chatter() {
    net::host("a", echo);
    net::host("b", echo);
    for i in 0..40 {
        let to = if i % 2 == 0 { "a:7000" } else { "b:7000" };
        if let Ok(mut c) = TcpStream::connect(to).await {
            let _ = c.write_all(b"x").await;
            let mut b = [0; 1];
            let _ = seedloop::timeout(Duration::from_millis(20), c.read_exact(&mut b)).await;
        }
        sleep(Duration::from_millis(25)).await;
    }
}

fn sim(seed: u64, faults: net::Faults) -> Sim {
    Sim::new(seed).network(net::Config {
        faults: Some(faults),
        ..net::Config::default()
    })
}

fn strikes(sim: &Sim) -> Vec<String> {
    sim.trace()
        .render()
        .lines()
        .filter_map(|l| l.split_once("faults strike ").map(|(_, s)| s.to_string()))
        .collect()
}

#[test]
fn strikes_crash_hosts_but_main_and_cut_links_for_an_outage_in_range() {
    let faults = net::Faults {
        rate: 0.5,
        outage: Duration::from_millis(5)..Duration::from_millis(6),
        ..net::Faults::default()
    };
    let mut all = Vec::new();
    for seed in 0..10 {
        let mut s = sim(seed, faults.clone());
        s.run(chatter()).unwrap();
        all.extend(strikes(&s));
    }
    assert!(all.len() > 20, "{all:?}");
    // Every outage is the range's one value; main never crashes.
    assert!(all.iter().all(|s| s.ends_with(" for 5 ms")), "{all:?}");
    assert!(!all.iter().any(|s| s.starts_with("crash main")), "{all:?}");
    assert!(all.iter().any(|s| s.starts_with("crash a")), "{all:?}");
    assert!(
        all.iter().any(|s| s.starts_with("partition main | b")),
        "{all:?}"
    );
}

#[test]
fn an_empty_outage_range_means_its_start() {
    let faults = net::Faults {
        rate: 0.5,
        outage: Duration::ZERO..Duration::ZERO,
        ..net::Faults::default()
    };
    let mut s = sim(3, faults);
    s.run(chatter()).unwrap();
    let all = strikes(&s);
    assert!(!all.is_empty());
    assert!(all.iter().all(|s| s.ends_with(" for 0 ms")), "{all:?}");
}

#[test]
fn only_the_kinds_asked_for_strike_and_a_zero_rate_never_does() {
    let only_partitions = net::Faults {
        rate: 0.5,
        crashes: false,
        ..net::Faults::default()
    };
    let mut s = sim(1, only_partitions);
    s.run(chatter()).unwrap();
    let all = strikes(&s);
    assert!(!all.is_empty());
    assert!(all.iter().all(|s| s.starts_with("partition ")), "{all:?}");
    let never = net::Faults {
        rate: 0.0,
        ..net::Faults::default()
    };
    let mut s = sim(1, never);
    s.run(chatter()).unwrap();
    assert!(strikes(&s).is_empty());
    // Without faults, no choice is made for them: the schedule holds only
    // the network's delays and the scheduling picks.
    let mut plain = Sim::new(1);
    plain.run(chatter()).unwrap();
    let mut zero = sim(
        1,
        net::Faults {
            rate: 0.0,
            ..net::Faults::default()
        },
    );
    zero.run(chatter()).unwrap();
    assert_eq!(plain.schedule(), zero.schedule());
}

#[test]
fn a_run_with_strikes_replays_from_its_schedule_string() {
    let faults = net::Faults {
        rate: 0.3,
        ..net::Faults::default()
    };
    let mut first = sim(7, faults.clone());
    first.run(chatter()).unwrap();
    assert!(!strikes(&first).is_empty());
    let mut again = Sim::replay(&first.schedule().to_string())
        .unwrap()
        .network(net::Config {
            faults: Some(faults),
            ..net::Config::default()
        });
    again.run(chatter()).unwrap();
    assert_eq!(again.trace().render(), first.trace().render());
}
