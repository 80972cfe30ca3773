//! Hosts, addresses, names, ports.

use std::io::ErrorKind;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net::{self, TcpListener, TcpStream, UdpSocket};
use seedloop::Sim;

use crate::sim_with_latency;

#[test]
fn hosts_have_their_own_addresses_and_names_resolve() {
    Sim::new(1)
        .run(async {
            async fn greeter() -> std::io::Result<()> {
                let l = TcpListener::bind("0.0.0.0:7000").await?;
                loop {
                    let (mut s, peer) = l.accept().await?;
                    assert_eq!(peer.ip().to_string(), "10.0.0.1");
                    assert_eq!(s.local_addr()?.to_string(), "10.0.0.2:7000");
                    s.write_all(b"hi").await?;
                }
            }
            let server = net::host("server", greeter);
            assert_eq!(server.ip().to_string(), "10.0.0.2");
            for addr in ["server:7000", "10.0.0.2:7000"] {
                let mut c = TcpStream::connect(addr).await.unwrap();
                assert_eq!(c.peer_addr().unwrap().to_string(), "10.0.0.2:7000");
                assert_eq!(c.local_addr().unwrap().ip().to_string(), "10.0.0.1");
                let mut buf = [0; 2];
                c.read_exact(&mut buf).await.unwrap();
            }
            let c = TcpStream::connect(("server", 7000)).await.unwrap();
            let c2 = TcpStream::connect(server.addr(7000)).await.unwrap();
            assert_ne!(c.local_addr().unwrap(), c2.local_addr().unwrap());
        })
        .unwrap();
}

#[test]
fn port_zero_takes_the_next_port_of_a_deterministic_sequence() {
    let ports = |seed| {
        Sim::new(seed)
            .run(async {
                let a = TcpListener::bind("0.0.0.0:0").await.unwrap();
                let b = UdpSocket::bind("0.0.0.0:0").await.unwrap();
                let c = TcpListener::bind("127.0.0.1:0").await.unwrap();
                [
                    a.local_addr().unwrap(),
                    b.local_addr().unwrap(),
                    c.local_addr().unwrap(),
                ]
                .map(|a| a.port())
            })
            .unwrap()
    };
    assert_eq!(ports(1), [40001, 40002, 40003]);
    assert_eq!(ports(1), ports(99));
}

#[test]
fn binding_a_taken_port_is_addr_in_use_and_a_foreign_address_is_not_available() {
    Sim::new(1)
        .run(async {
            let _l = TcpListener::bind("0.0.0.0:80").await.unwrap();
            let err = TcpListener::bind("127.0.0.1:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            // UDP has its own ports.
            let _u = UdpSocket::bind("0.0.0.0:80").await.unwrap();
            let err = UdpSocket::bind("0.0.0.0:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            let err = TcpListener::bind("10.0.0.9:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
            // The port is free again once its listener is gone.
            drop(_l);
            TcpListener::bind("10.0.0.1:80").await.unwrap();
        })
        .unwrap();
}

#[test]
fn connecting_to_nothing_is_refused_after_one_delay() {
    let mut sim = sim_with_latency(3);
    sim.run(async {
        net::host("server", || async { Ok::<_, ()>(()) });
        let err = TcpStream::connect("server:7000").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        assert_eq!(seedloop::time::Instant::now().as_secs_f64(), 0.003);
        let err = TcpStream::connect("10.0.0.77:7000").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let err = TcpStream::connect("nobody:7000").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("hosts: main, server"), "{err}");
    })
    .unwrap();
}

#[test]
fn loopback_talks_to_its_own_host() {
    Sim::new(1)
        .run(async {
            net::host("server", || async {
                // The server's own loopback reaches the server, not main.
                let l = TcpListener::bind("127.0.0.1:5000").await?;
                let c = TcpStream::connect("localhost:5000").await?;
                let (s, peer) = l.accept().await?;
                assert_eq!(peer, c.local_addr()?);
                assert_eq!(peer.ip().to_string(), "127.0.0.1");
                drop(s);
                Ok::<_, std::io::Error>(())
            });
            // main has nothing on 127.0.0.1:5000.
            let err = TcpStream::connect("127.0.0.1:5000").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        })
        .unwrap();
}

#[test]
fn two_hosts_cannot_share_a_name() {
    let err = Sim::new(1)
        .run(async {
            net::host("a", || async { Ok::<_, ()>(()) });
            net::host("a", || async { Ok::<_, ()>(()) });
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a host named \"a\" exists already"),
        "{err}"
    );
}

#[test]
fn host_controls_in_real_mode_say_they_need_sim_mode() {
    let mut rt = seedloop::Runtime::new().unwrap();
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { net::partition("main", "server") })
    }));
    let payload = out.unwrap_err();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        msg.contains(
            "seedloop::net::partition needs the simulated network, which only sim mode has"
        ),
        "{msg}"
    );
}

#[test]
fn sockets_that_outlive_their_run_drop_quietly() {
    let (listener, stream, socket) = Sim::new(1)
        .run(async {
            let l = TcpListener::bind("0.0.0.0:7000").await.unwrap();
            let c = TcpStream::connect("main:7000").await.unwrap();
            let u = UdpSocket::bind("0.0.0.0:0").await.unwrap();
            (l, c, u)
        })
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap().to_string(), "10.0.0.1:7000");
    drop((listener, stream, socket));
}
