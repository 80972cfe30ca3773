//! Values are choices: every `seedloop::random` draw is logged beside the
//! scheduling picks, so it replays from the schedule string alone, shrinks
//! toward its domain's first value, is enumerated by exhaustive search and
//! is driven by fuzzer bytes.

use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::check::{Check, CheckError};
use seedloop::net::{self, TcpListener, TcpStream};
use seedloop::sim::ChoiceKind;
use seedloop::{sleep, spawn, timeout, Sim, SimError};

/// Five hops of 1..=20 ms; the message is late if their sum passes 90 ms.
async fn five_hops() -> u64 {
    let mut total = 0;
    for _ in 0..5 {
        let ms = seedloop::random::range(1..21);
        sleep(Duration::from_millis(ms)).await;
        total += ms;
    }
    total
}

#[test]
fn a_schedule_string_replays_the_values_without_the_seed() {
    let mut sim = Sim::new(77);
    let total = sim.run(five_hops()).unwrap();
    let recorded = sim.schedule().to_string();
    assert_eq!(sim.schedule().values().count(), 5);
    // The same choices under another seed: the seed no longer matters.
    let (_, choices) = recorded.rsplit_once(':').unwrap();
    let mut other = Sim::replay(&format!("sl2:123456:{choices}")).unwrap();
    assert_eq!(other.run(five_hops()).unwrap(), total);
    assert_eq!(other.trace().render(), sim.trace().render());
}

#[test]
fn every_draw_is_a_value_choice_with_its_domain() {
    let mut sim = Sim::new(3);
    let (ms, coin, byte) = sim
        .run(async {
            (
                seedloop::random::range(10..20),
                seedloop::random::chance(0.25),
                seedloop::random::<u8>(),
            )
        })
        .unwrap();
    let values: Vec<_> = sim.schedule().values().copied().collect();
    assert_eq!(values.len(), 3);
    assert!(values.iter().all(|c| c.kind == ChoiceKind::Value));
    assert_eq!((values[0].options, values[0].picked + 10), (10, ms));
    assert_eq!((values[1].options, values[1].picked == 1), (2, coin));
    assert_eq!(
        (values[2].options, values[2].picked),
        (256, u64::from(byte))
    );
    let trace = sim.trace().render();
    assert!(
        trace.contains(&format!("main random {ms} in 10..20")),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("main random {coin} (chance 0.25)")),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("main random {byte} in 0..256")),
        "{trace}"
    );
}

#[test]
fn a_certain_chance_and_a_one_value_range_are_not_choices() {
    let mut sim = Sim::new(3);
    sim.run(async {
        assert!(seedloop::random::chance(1.0));
        assert!(!seedloop::random::chance(0.0));
        assert!(!seedloop::random::chance(f64::NAN));
        assert_eq!(seedloop::random::range(7..8), 7);
    })
    .unwrap();
    assert!(sim.schedule().is_empty());
}

#[test]
fn wide_draws_cover_their_whole_domain() {
    // u64 is two 32-bit choices; a range wider than 2^53 is a high and a
    // low choice; both replay.
    let mut sim = Sim::new(9);
    let (a, b) = sim
        .run(async {
            (
                seedloop::random::<u64>(),
                seedloop::random::range(0..u64::MAX),
            )
        })
        .unwrap();
    assert!(sim.schedule().values().all(|c| c.options <= 1 << 53));
    let mut again = Sim::replay(&sim.schedule().to_string()).unwrap();
    assert_eq!(
        again
            .run(async {
                (
                    seedloop::random::<u64>(),
                    seedloop::random::range(0..u64::MAX),
                )
            })
            .unwrap(),
        (a, b)
    );
    // The largest values are reachable: guided picks cap at the last option.
    let top = Sim::guided(0, vec![u32::MAX, u32::MAX])
        .run(async { seedloop::random::<u64>() })
        .unwrap();
    assert_eq!(top, u64::MAX);
}

#[test]
fn a_replay_whose_value_domain_changed_diverges_at_that_draw() {
    let mut sim = Sim::new(1);
    sim.run(async { seedloop::random::range(0..10) }).unwrap();
    let err = Sim::replay(&sim.schedule().to_string())
        .unwrap()
        .run(async { seedloop::random::range(0..20) })
        .unwrap_err();
    let SimError::ScheduleDiverged { divergence, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(divergence.step, 0);
    assert_eq!(
        divergence.problem,
        format!(
            "the schedule drew value {} of 10 there, but the program asks for a value among 20",
            sim.schedule().choices()[0].picked
        )
    );
}

/// Fails when a hop passes its 15 ms deadline; every other hop is fine.
async fn hop_with_deadline(hops: usize) {
    for _ in 0..hops {
        let ms = seedloop::random::range(1..21);
        let reply = timeout(Duration::from_millis(15), sleep(Duration::from_millis(ms)));
        assert!(reply.await.is_ok(), "a hop took {ms} ms");
    }
}

#[test]
fn shrinking_keeps_only_the_slow_draw_at_the_smallest_value_that_fails() {
    let err = Check::new()
        .seeds(0..200)
        .threads(1)
        .try_run(|| hop_with_deadline(6))
        .unwrap_err();
    let CheckError::Failed(f) = &err else {
        panic!("{err}")
    };
    // One hop is slow, at 16 ms (at 15 the reply and the deadline tie and
    // FIFO lets the reply in); the hops before it shrank to 1 ms and the
    // run stops at the slow one.
    let slow: Vec<&str> = f
        .values
        .above_first
        .iter()
        .map(|v| v.what.as_str())
        .collect();
    assert_eq!(slow, ["random 16 in 1..21"], "{err}");
    let shrunk = f.schedule();
    assert_eq!(shrunk.deviations(), 1, "{err}");
    assert!(
        err.to_string()
            .contains("values: 1 drawn; 1 above its domain's first"),
        "{err}"
    );
}

#[test]
fn shrinking_lowers_a_value_by_binary_search_not_one_by_one() {
    // Fails for any value of 1,000,000 or more in a domain of 2^40: a
    // linear search could not get there within the budget.
    let err = Check::new()
        .seeds(0..100)
        .threads(1)
        .try_run(|| async {
            let v = seedloop::random::range(0..1 << 40);
            assert!(v < 1_000_000, "too big");
        })
        .unwrap_err();
    let CheckError::Failed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        f.values.above_first[0].what, "random 1000000 in 0..1099511627776",
        "{err}"
    );
    let (_, runs) = f.shrunk.as_ref().unwrap();
    assert!(*runs < 100, "{runs} shrinking runs");
}

#[test]
fn exhaustive_search_enumerates_small_domains_whole_and_samples_large_ones() {
    // Every value of a 0..4 draw, with no other choice: 4 runs.
    let s = Check::new()
        .exhaustive(1)
        .try_run(|| async {
            seedloop::random::range(0..4);
        })
        .unwrap();
    assert_eq!((s.runs, s.exhausted), (4, Some(true)));
    assert!(!s.how.contains("three points between"), "{s}");
    // A domain of 1,000: its first and last, and three points between.
    let s = Check::new()
        .exhaustive(1)
        .try_run(|| async {
            seedloop::random::range(0..1000);
        })
        .unwrap();
    assert_eq!((s.runs, s.exhausted), (5, Some(true)));
    assert!(
        s.to_string().ends_with(
            "values of domains over 16 taken at their two ends and three points between); \
             the bounded space is exhausted"
        ),
        "{s}"
    );
    // So a failure at the domain's far end is found, and reported.
    let err = Check::new()
        .exhaustive(1)
        .threads(1)
        .try_run(|| async {
            let ms = seedloop::random::range(1..1001);
            assert!(ms < 1000, "the slowest reply");
        })
        .unwrap_err();
    assert!(err.to_string().contains("random 1000 in 1..1001"), "{err}");
}

#[test]
fn fuzzer_bytes_drive_values_too() {
    // Seed bytes, then one byte per value choice of a small domain.
    let run = |data: &[u8]| {
        Sim::fuzz(data)
            .run(async { seedloop::random::range(1..21) })
            .unwrap()
    };
    let mut seed = vec![0u8; 8];
    assert_eq!(run(&seed), 1, "no bytes left: the domain's first");
    seed.push(19);
    let high = run(&seed);
    seed.pop();
    seed.push(0);
    let low = run(&seed);
    assert_ne!(high, low);
    assert_eq!(high, run(&[vec![0u8; 8], vec![19]].concat()));
}

#[test]
fn the_same_seed_draws_the_same_values_but_the_picks_do_not_move() {
    // Values come from their own stream: adding a draw to a program does
    // not change which ready task a seed picks.
    let order = |draw: bool| {
        let mut sim = Sim::new(41);
        sim.run(async move {
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    spawn(async move {
                        if draw {
                            seedloop::random::range(0..100);
                        }
                        seedloop::yield_now().await;
                        i
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        })
        .unwrap();
        sim.schedule()
            .choices()
            .iter()
            .filter(|c| c.kind == ChoiceKind::Run)
            .map(|c| c.picked)
            .collect::<Vec<_>>()
    };
    assert_eq!(order(false), order(true));
}

#[test]
fn a_trace_with_draws_is_stable_text() {
    let mut sim = Sim::new(5);
    sim.run(async {
        let hops = spawn(five_hops());
        let coin = seedloop::random::chance(0.5);
        (hops.await.unwrap(), coin)
    })
    .unwrap();
    crate::snapshot!("check_values_trace", sim.trace().render());
}

/// Six hops drawn at once, each of which must answer within 15 ms.
async fn six_hops_each_within_15_ms() {
    let hops: Vec<u64> = (0..6).map(|_| seedloop::random::range(1..21)).collect();
    for (i, ms) in hops.into_iter().enumerate() {
        let reply = timeout(Duration::from_millis(15), sleep(Duration::from_millis(ms)));
        assert!(reply.await.is_ok(), "hop {i} took {ms} ms");
    }
}

/// docs/exploring.md's worked example: a straggler among six hops, found by
/// a sweep, shrunk to the one slow delay, which the report names.
#[test]
fn the_straggler_report_in_the_docs() {
    let dir = std::env::temp_dir().join("seedloop-docs-straggler");
    let err = Check::new()
        .seeds(0..200)
        .threads(1)
        .name("rpc::hops_meet_their_deadline")
        .trace_dir(&dir)
        .try_run(six_hops_each_within_15_ms)
        .unwrap_err();
    let CheckError::Failed(f) = &err else {
        panic!("{err}")
    };
    // The other five hops shrank to 1 ms; the slow one to the smallest
    // delay that misses.
    assert_eq!(f.values.total, 6, "{err}");
    assert_eq!(f.values.above_first.len(), 1, "{err}");
    assert_eq!(f.values.above_first[0].what, "random 16 in 1..21", "{err}");
    let text = err
        .to_string()
        .replace(&dir.display().to_string(), "target/seedloop");
    crate::snapshot!("check_straggler_report", text);
}

/// A one-byte echo server on port 7000.
async fn echo_server() -> std::io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:7000").await?;
    loop {
        let (mut stream, _) = listener.accept().await?;
        spawn(async move {
            let mut byte = [0; 1];
            while stream.read_exact(&mut byte).await.is_ok() {
                stream.write_all(&byte).await?;
            }
            Ok::<_, std::io::Error>(())
        })
        .detach();
    }
}

/// Draws one value the failure does not need, then twenty round trips to
/// an echo host, each of which must come back within 100 ms.
async fn round_trips_all_answer() {
    let _unneeded = seedloop::random::range(0..4);
    net::host("a", echo_server);
    let mut conn = TcpStream::connect("a:7000").await.expect("connect");
    for i in 0..20 {
        let mut byte = [0; 1];
        let trip = async {
            conn.write_all(b"x").await?;
            conn.read_exact(&mut byte).await
        };
        let answered = timeout(Duration::from_millis(100), trip).await;
        assert!(matches!(answered, Ok(Ok(()))), "round trip {i} failed");
        sleep(Duration::from_millis(10)).await;
    }
}

/// The network's fault strikes count among a report's values, as their own
/// trace lines: the shrunk run keeps one strike, listed as the only value
/// above its first, and the total counts it beside the one draw (which
/// shrank to its first). The network's other trace lines (connections,
/// bytes sent, hosts) are no values.
#[test]
fn a_report_lists_the_network_strikes_among_its_values_and_nothing_else() {
    let fixed = Duration::from_millis(1);
    let err = Check::new()
        .seeds(0..200)
        .threads(1)
        .network(net::Config {
            latency: fixed..fixed,
            ..net::Config::default()
        })
        .network_faults(net::Faults {
            rate: 0.2,
            outage: Duration::from_millis(500)..Duration::from_millis(500),
            ..net::Faults::default()
        })
        .try_run(round_trips_all_answer)
        .unwrap_err();
    let CheckError::Failed(f) = &err else {
        panic!("{err}")
    };
    let listed: Vec<&str> = f
        .values
        .above_first
        .iter()
        .map(|v| v.what.as_str())
        .collect();
    assert_eq!(listed, ["faults strike crash a for 500 ms"], "{err}");
    assert_eq!(f.values.total, 2, "{err}");
}
