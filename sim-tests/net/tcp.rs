//! TCP on the simulated network: order, delays, half-close, peek, resets,
//! partitions (in flight included), the TCP timeout, hold and release.

use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net::{self, TcpListener, TcpStream};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, Sim};

use crate::sim_with_latency;

/// A server on host "server", port 7000, that echoes every connection.
async fn echo_server() -> io::Result<()> {
    let l = TcpListener::bind("0.0.0.0:7000").await?;
    loop {
        let (mut s, _) = l.accept().await?;
        spawn(async move {
            let mut buf = [0; 1024];
            loop {
                let n = s.read(&mut buf).await?;
                if n == 0 {
                    return Ok::<_, io::Error>(());
                }
                s.write_all(&buf[..n]).await?;
            }
        })
        .detach();
    }
}

fn now() -> f64 {
    Instant::now().as_secs_f64()
}

#[test]
fn a_round_trip_takes_the_drawn_delays() {
    let mut sim = sim_with_latency(5);
    sim.run(async {
        net::host("server", echo_server);
        let mut c = TcpStream::connect("server:7000").await.unwrap();
        assert_eq!(now(), 0.005); // the handshake: one delay
        c.write_all(b"hello").await.unwrap();
        let mut buf = [0; 5];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        assert_eq!(now(), 0.015); // there and back
    })
    .unwrap();
}

#[test]
fn one_stream_is_never_reordered_whatever_the_delays() {
    for seed in 0..20 {
        let mut sim = Sim::new(seed).network(net::Config {
            latency: Duration::from_millis(1)..Duration::from_millis(100),
            ..net::Config::default()
        });
        let got = sim
            .run(async {
                net::host("server", echo_server);
                let c = TcpStream::connect("server:7000").await.unwrap();
                let (mut r, mut w) = c.split();
                let writer = spawn(async move {
                    for i in 0..200u32 {
                        w.write_all(&i.to_be_bytes()).await.unwrap();
                    }
                    w.close().await.unwrap();
                });
                let mut got = Vec::new();
                r.read_to_end(&mut got).await.unwrap();
                writer.await.unwrap();
                got
            })
            .unwrap();
        let expected: Vec<u8> = (0..200u32).flat_map(|i| i.to_be_bytes()).collect();
        assert_eq!(got, expected, "seed {seed}");
    }
}

#[test]
fn the_same_seed_gives_the_same_delays_and_another_seed_others() {
    let run = |seed| {
        let mut sim = Sim::new(seed);
        sim.run(async {
            net::host("server", echo_server);
            let mut c = TcpStream::connect("server:7000").await.unwrap();
            let mut times = Vec::new();
            for _ in 0..5 {
                c.write_all(b"x").await.unwrap();
                c.read_exact(&mut [0]).await.unwrap();
                times.push(Instant::now());
            }
            times
        })
        .unwrap()
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn half_close_reads_as_end_of_stream_and_the_other_half_still_answers() {
    Sim::new(1)
        .run(async {
            net::host("server", || async {
                let l = TcpListener::bind("0.0.0.0:7000").await?;
                let (mut s, _) = l.accept().await?;
                let mut req = Vec::new();
                s.read_to_end(&mut req).await?;
                assert_eq!(s.read(&mut [0; 4]).await?, 0); // still the end
                s.write_all(&req).await?;
                s.write_all(b"!").await?;
                Ok::<_, io::Error>(())
            });
            let mut c = TcpStream::connect("server:7000").await.unwrap();
            c.write_all(b"request").await.unwrap();
            c.shutdown(Shutdown::Write).unwrap();
            let err = c.write_all(b"late").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            let mut resp = Vec::new();
            c.read_to_end(&mut resp).await.unwrap();
            assert_eq!(resp, b"request!");
        })
        .unwrap();
}

#[test]
fn peek_leaves_the_bytes_to_be_read() {
    let mut sim = sim_with_latency(2);
    sim.run(async {
        let l = TcpListener::bind("127.0.0.1:9").await.unwrap();
        let mut c = TcpStream::connect("127.0.0.1:9").await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        c.write_all(b"abc").await.unwrap();
        c.write_all(b"def").await.unwrap();
        let mut buf = [0; 8];
        let n = s.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"abcdef"); // both due at once: 2 ms
        let n = s.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"abcdef");
    })
    .unwrap();
}

#[test]
fn closing_with_unread_data_resets_the_peer() {
    Sim::new(1)
        .run(async {
            let l = TcpListener::bind("0.0.0.0:7000").await.unwrap();
            let mut c = TcpStream::connect("main:7000").await.unwrap();
            let (mut s, _) = l.accept().await.unwrap();
            c.write_all(b"12345678").await.unwrap();
            let mut half = [0; 4];
            s.read_exact(&mut half).await.unwrap();
            drop(s); // four bytes unread
            let err = c.read(&mut [0; 8]).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
            let err = c.write_all(b"more").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
            assert!(c.peer_addr().is_err());
        })
        .unwrap();
}

#[test]
fn writing_to_a_closed_peer_comes_back_as_a_reset() {
    let mut sim = sim_with_latency(1);
    sim.run(async {
        let l = TcpListener::bind("0.0.0.0:7000").await.unwrap();
        let mut c = TcpStream::connect("main:7000").await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        drop(s); // a clean close: the end of the stream
        assert_eq!(c.read(&mut [0; 4]).await.unwrap(), 0);
        c.write_all(b"anyone?").await.unwrap(); // accepted, as by the OS
        sleep(Duration::from_millis(5)).await;
        let err = c.write_all(b"again").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    })
    .unwrap();
}

#[test]
fn a_dropped_listener_resets_the_connections_it_never_accepted() {
    Sim::new(1)
        .run(async {
            let l = TcpListener::bind("0.0.0.0:7000").await.unwrap();
            let mut c = TcpStream::connect("main:7000").await.unwrap();
            drop(l);
            let err = c.read(&mut [0; 4]).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
            let err = TcpStream::connect("main:7000").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        })
        .unwrap();
}

#[test]
fn a_partition_holds_data_in_flight_and_the_repair_delivers_it_in_order() {
    let mut sim = sim_with_latency(10);
    sim.run(async {
        net::host("server", echo_server);
        let mut c = TcpStream::connect("server:7000").await.unwrap(); // t = 10 ms
        c.write_all(b"one").await.unwrap(); // due at the server at 20 ms
        sleep(Duration::from_millis(5)).await;
        net::partition("main", "server"); // at 15 ms: "one" is in flight
        c.write_all(b"two").await.unwrap();
        let repair = spawn(async {
            sleep(Duration::from_secs(10)).await;
            net::repair("main", "server");
        });
        let mut buf = [0; 6];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"onetwo");
        // Held until the repair at 10.015 s, then one delay back.
        assert_eq!(now(), 10.025);
        repair.await.unwrap();
    })
    .unwrap();
}

#[test]
fn a_partition_that_outlasts_the_tcp_timeout_resets_the_connection() {
    let mut sim = sim_with_latency(10).network(net::Config {
        latency: Duration::from_millis(10)..Duration::from_millis(10),
        tcp_timeout: Duration::from_secs(30),
        ..net::Config::default()
    });
    sim.run(async {
        net::host("server", echo_server);
        let mut c = TcpStream::connect("server:7000").await.unwrap();
        net::partition("main", "server"); // at 10 ms
        c.write_all(b"ping").await.unwrap();
        let err = c.read(&mut [0; 4]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        assert_eq!(now(), 30.010);
        // A repair after the timeout does not bring the connection back.
        net::repair("main", "server");
        assert_eq!(
            c.write_all(b"x").await.unwrap_err().kind(),
            ErrorKind::ConnectionReset
        );
    })
    .unwrap();
}

#[test]
fn an_idle_connection_survives_a_long_partition() {
    let mut sim = sim_with_latency(1);
    sim.run(async {
        net::host("server", echo_server);
        let mut c = TcpStream::connect("server:7000").await.unwrap();
        net::partition("main", "server");
        sleep(Duration::from_secs(600)).await;
        net::repair("main", "server");
        c.write_all(b"still here").await.unwrap();
        let mut buf = [0; 10];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still here");
    })
    .unwrap();
}

#[test]
fn a_connect_across_a_partition_waits_for_the_repair_or_times_out() {
    let mut sim = sim_with_latency(1);
    sim.run(async {
        net::host("server", echo_server);
        sleep(Duration::from_millis(1)).await; // the server listens
        net::partition("main", "server");
        let repair = spawn(async {
            sleep(Duration::from_secs(5)).await;
            net::repair("main", "server");
        });
        TcpStream::connect("server:7000").await.unwrap();
        assert_eq!(now(), 5.001); // the handshake waited on the link
        repair.await.unwrap();
        // Only the way back is cut: the handshake's answer cannot return.
        net::partition_oneway("server", "main");
        let start = Instant::now();
        let err = TcpStream::connect("server:7000").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(Instant::now() - start, Duration::from_secs(30)); // tcp_timeout
    })
    .unwrap();
}

#[test]
fn a_one_way_partition_stops_one_direction_only() {
    let mut sim = sim_with_latency(1);
    sim.run(async {
        let l = TcpListener::bind("0.0.0.0:7000").await.unwrap();
        let server = net::host("server", || async { Ok::<_, ()>(()) });
        let _ = server;
        let mut c = TcpStream::connect("main:7000").await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        net::partition_oneway("main", "main"); // loopback is never cut
        c.write_all(b"a").await.unwrap();
        s.read_exact(&mut [0]).await.unwrap();
    })
    .unwrap();
    sim.run(async {
        net::host("server", echo_server);
        let mut c = TcpStream::connect("server:7000").await.unwrap();
        net::partition_oneway("server", "main");
        c.write_all(b"abc").await.unwrap();
        // It reaches the server (which echoes), but the echo waits.
        let read = spawn(async move {
            let mut buf = [0; 3];
            c.read_exact(&mut buf).await.unwrap();
            (buf, now())
        });
        sleep(Duration::from_secs(1)).await;
        net::repair("main", "server");
        let (buf, at) = read.await.unwrap();
        assert_eq!(&buf, b"abc");
        assert_eq!(at, 1.001); // due at the repair
    })
    .unwrap();
}

#[test]
fn hold_queues_messages_until_release_then_they_go_in_order() {
    let mut sim = sim_with_latency(2);
    sim.run(async {
        net::host("server", echo_server);
        let mut c = TcpStream::connect("server:7000").await.unwrap();
        net::hold("main", "server");
        for word in [&b"a"[..], b"b", b"c"] {
            c.write_all(word).await.unwrap();
            sleep(Duration::from_millis(1)).await;
        }
        // Held far longer than the TCP timeout: a hold never resets.
        sleep(Duration::from_secs(120)).await;
        net::release("main", "server");
        let mut buf = [0; 3];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abc");
    })
    .unwrap();
}

#[test]
fn a_network_run_replays_from_its_schedule_string() {
    let body = || async {
        net::host("server", echo_server);
        let mut c = TcpStream::connect("server:7000").await.unwrap();
        let mut at = Vec::new();
        for _ in 0..3 {
            c.write_all(b"ab").await.unwrap();
            c.read_exact(&mut [0; 2]).await.unwrap();
            at.push(Instant::now());
        }
        at
    };
    let mut first = Sim::new(11);
    let times = first.run(body()).unwrap();
    // Every delay is a choice in the log: the string alone replays them.
    let schedule = first.schedule().to_string();
    let mut again = Sim::replay(&schedule).unwrap();
    assert_eq!(again.run(body()).unwrap(), times);
    assert_eq!(again.trace().render(), first.trace().render());
    // Guided with no picks takes option 0 everywhere: the shortest delays.
    let mut shortest = Sim::guided(11, vec![]);
    let fastest = shortest.run(body()).unwrap();
    assert_eq!(fastest[0], Instant::ZERO + Duration::from_millis(3)); // connect, there, back
}

#[test]
fn a_writer_waits_while_its_peer_does_not_read_then_goes_on() {
    let mut sim = sim_with_latency(1);
    sim.run(async {
        let l = TcpListener::bind("0.0.0.0:7000").await.unwrap();
        let mut c = TcpStream::connect("main:7000").await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        let big = vec![7u8; 4 << 20]; // 4 MiB, far past the window
        let writer = spawn(async move {
            c.write_all(&big).await.unwrap();
            c.close().await.unwrap();
            Instant::now()
        });
        sleep(Duration::from_secs(1)).await;
        assert!(!writer.is_finished()); // the window is full: it waits
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), 4 << 20);
        assert!(writer.await.unwrap().as_secs_f64() > 1.0);
    })
    .unwrap();
}

#[test]
fn two_peers_that_only_write_deadlock_and_the_report_says_so() {
    let err = Sim::new(1)
        .policy(seedloop::Policy::Fifo)
        .run(async {
            let l = TcpListener::bind("0.0.0.0:7000").await.unwrap();
            let mut c = TcpStream::connect("main:7000").await.unwrap();
            let (mut s, _) = l.accept().await.unwrap();
            let other = spawn(async move { s.write_all(&vec![1; 1 << 20]).await });
            c.write_all(&vec![2; 1 << 20]).await.unwrap();
            other.await.unwrap().unwrap();
        })
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("waits to write main:40001 -> main:7000 (262144 bytes unread there)"),
        "{text}"
    );
    assert!(
        text.contains("waits to write main:7000 -> main:40001 (262144 bytes unread there)"),
        "{text}"
    );
}
