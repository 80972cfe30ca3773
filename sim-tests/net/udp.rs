//! UDP on the simulated network: delay, loss, duplication, partitions
//! (in flight included), hold and release.

use std::time::Duration;

use seedloop::net::{self, UdpSocket};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, Sim};

use crate::sim_with_latency;

fn config(loss: f64, duplicate: f64) -> net::Config {
    let d = Duration::from_millis(1);
    net::Config {
        latency: d..d,
        udp_loss: loss,
        udp_duplicate: duplicate,
        ..net::Config::default()
    }
}

/// Sends `n` numbered datagrams from main to a socket on "peer", and
/// returns what arrived within a second, in arrival order.
async fn count_arrivals(n: u32) -> Vec<u32> {
    let receiver = spawn(async {
        let sock = UdpSocket::bind("0.0.0.0:9000").await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0; 4];
        while let Ok(Ok((_, _))) =
            seedloop::timeout(Duration::from_secs(1), sock.recv_from(&mut buf)).await
        {
            got.push(u32::from_be_bytes(buf));
        }
        got
    });
    seedloop::yield_now().await; // the receiver binds
    let out = UdpSocket::bind("0.0.0.0:0").await.unwrap();
    for i in 0..n {
        out.send_to(&i.to_be_bytes(), "main:9000").await.unwrap();
    }
    receiver.await.unwrap()
}

#[test]
fn datagrams_arrive_after_their_delay_with_the_sender_address() {
    let mut sim = sim_with_latency(4);
    sim.run(async {
        net::host("peer", || async {
            let s = UdpSocket::bind("0.0.0.0:53").await?;
            let mut buf = [0; 16];
            loop {
                let (n, from) = s.recv_from(&mut buf).await?;
                s.send_to(&buf[..n], from).await?;
            }
            #[allow(unreachable_code)]
            Ok::<_, std::io::Error>(())
        });
        let s = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        s.connect("peer:53").await.unwrap();
        s.send(b"query").await.unwrap();
        let mut buf = [0; 16];
        let n = s.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"query");
        assert_eq!(Instant::now().as_secs_f64(), 0.008);
        assert_eq!(s.peer_addr().unwrap().to_string(), "10.0.0.2:53");
    })
    .unwrap();
}

#[test]
fn without_faults_every_datagram_arrives_once() {
    let got = Sim::new(1)
        .network(config(0.0, 0.0))
        .run(count_arrivals(100))
        .unwrap();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn loss_and_duplication_are_drawn_from_the_seed() {
    let got = Sim::new(1)
        .network(config(0.3, 0.0))
        .run(count_arrivals(200))
        .unwrap();
    assert!((100..180).contains(&got.len()), "{}", got.len());
    let again = Sim::new(1)
        .network(config(0.3, 0.0))
        .run(count_arrivals(200))
        .unwrap();
    assert_eq!(got, again);
    let got = Sim::new(1)
        .network(config(0.0, 0.5))
        .run(count_arrivals(200))
        .unwrap();
    assert!((250..350).contains(&got.len()), "{}", got.len());
}

#[test]
fn datagrams_may_overtake_each_other() {
    let got = Sim::new(2)
        .network(net::Config {
            latency: Duration::from_millis(1)..Duration::from_millis(50),
            ..net::Config::default()
        })
        .run(count_arrivals(50))
        .unwrap();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    assert_ne!(got, sorted);
}

#[test]
fn a_partition_loses_datagrams_in_flight_and_after() {
    let mut sim = sim_with_latency(10);
    sim.run(async {
        net::host("peer", || async { Ok::<_, ()>(()) });
        let rx = UdpSocket::bind("0.0.0.0:9").await.unwrap();
        // main to main is its own loopback: a partition never cuts it.
        net::partition("main", "peer");
        let out = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        out.send_to(b"x", "main:9").await.unwrap();
        let mut buf = [0; 1];
        rx.recv_from(&mut buf).await.unwrap();
    })
    .unwrap();
    // From another host: lost in flight, lost after; the repair lets new ones through.
    sim.run(async {
        net::host("peer", || async {
            let s = UdpSocket::bind("0.0.0.0:0").await?;
            s.send_to(b"1", "main:9").await?; // in flight when the partition starts
            sleep(Duration::from_millis(5)).await;
            s.send_to(b"2", "main:9").await?; // sent during the partition
            sleep(Duration::from_millis(20)).await;
            s.send_to(b"3", "main:9").await?; // after the repair
            Ok::<_, std::io::Error>(())
        });
        let rx = UdpSocket::bind("0.0.0.0:9").await.unwrap();
        sleep(Duration::from_millis(2)).await;
        net::partition("main", "peer");
        sleep(Duration::from_millis(10)).await;
        net::repair("main", "peer");
        let mut buf = [0; 1];
        rx.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf, b"3");
    })
    .unwrap();
}

#[test]
fn held_datagrams_go_on_release_in_the_order_they_were_sent() {
    let mut sim = Sim::new(5).network(net::Config {
        latency: Duration::from_millis(1)..Duration::from_millis(40),
        ..net::Config::default()
    });
    let got = sim
        .run(async {
            net::host("peer", || async {
                let s = UdpSocket::bind("0.0.0.0:0").await?;
                for i in 0..10u8 {
                    s.send_to(&[i], "main:9").await?;
                }
                Ok::<_, std::io::Error>(())
            });
            net::hold("main", "peer");
            let rx = UdpSocket::bind("0.0.0.0:9").await.unwrap();
            sleep(Duration::from_secs(1)).await;
            net::release("main", "peer");
            let mut got = Vec::new();
            for _ in 0..10 {
                let mut buf = [0; 1];
                rx.recv_from(&mut buf).await.unwrap();
                got.push(buf[0]);
            }
            got
        })
        .unwrap();
    assert_eq!(got, (0..10).collect::<Vec<u8>>());
}

#[test]
fn two_receivers_on_one_socket_each_get_one_datagram() {
    let mut sim = sim_with_latency(1);
    sim.run(async {
        let s = std::rc::Rc::new(UdpSocket::bind("0.0.0.0:9").await.unwrap());
        let recv = |s: std::rc::Rc<UdpSocket>| {
            spawn(async move {
                let mut buf = [0; 1];
                s.recv_from(&mut buf).await.unwrap();
                buf[0]
            })
        };
        let (a, b) = (recv(s.clone()), recv(s.clone()));
        seedloop::yield_now().await;
        let out = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        out.send_to(&[1], "main:9").await.unwrap();
        sleep(Duration::from_millis(3)).await;
        out.send_to(&[2], "main:9").await.unwrap();
        let mut got = [a.await.unwrap(), b.await.unwrap()];
        got.sort();
        assert_eq!(got, [1, 2]);
    })
    .unwrap();
}

#[test]
fn datagrams_on_their_way_to_a_crashed_host_are_lost() {
    let mut sim = sim_with_latency(10);
    sim.run(async {
        let got = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let g = got.clone();
        let peer = net::host("peer", move || {
            let g = g.clone();
            async move {
                let s = UdpSocket::bind("0.0.0.0:9").await?;
                let mut buf = [0; 1];
                loop {
                    s.recv_from(&mut buf).await?;
                    g.borrow_mut().push(buf[0]);
                }
                #[allow(unreachable_code)]
                Ok::<_, std::io::Error>(())
            }
        });
        let out = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        out.send_to(&[1], "peer:9").await.unwrap();
        sleep(Duration::from_millis(20)).await;
        out.send_to(&[2], "peer:9").await.unwrap(); // in flight at the crash
        peer.restart();
        sleep(Duration::from_millis(20)).await;
        out.send_to(&[3], "peer:9").await.unwrap();
        sleep(Duration::from_millis(20)).await;
        assert_eq!(*got.borrow(), [1, 3]);
    })
    .unwrap();
}
