//! UDP over loopback in real mode.

use std::io::ErrorKind;
use std::rc::Rc;

use seedloop::net::UdpSocket;
use seedloop::{spawn, yield_now};

use crate::net_tcp::real;

#[test]
fn real_udp_round_trips_with_send_to_and_recv_from() {
    real(async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (server_addr, client_addr) =
            (server.local_addr().unwrap(), client.local_addr().unwrap());
        let echo = spawn(async move {
            let mut buf = [0; 1500];
            for _ in 0..200 {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                server.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let mut buf = [0; 1500];
        for i in 0..200usize {
            let msg: Vec<u8> = (0..1 + i % 1400).map(|j| (i ^ j) as u8).collect();
            assert_eq!(client.send_to(&msg, server_addr).await.unwrap(), msg.len());
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&msg[..], server_addr), "datagram {i}");
        }
        echo.await.unwrap();
        assert_ne!(server_addr, client_addr);
    });
}

#[test]
fn real_udp_connected_sockets_send_and_recv() {
    real(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        let mut buf = [0; 16];
        for i in 0..50u8 {
            a.send(&[i; 3]).await.unwrap();
            assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
            assert_eq!(buf[..3], [i; 3]);
            b.send(&[i]).await.unwrap();
            assert_eq!(a.recv(&mut buf).await.unwrap(), 1);
        }
    });
}

#[test]
fn real_udp_two_tasks_receiving_on_one_socket_each_get_one_datagram() {
    real(async {
        let socket = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = socket.local_addr().unwrap();
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let socket = socket.clone();
                spawn(async move {
                    let mut buf = [0; 8];
                    let (n, _) = socket.recv_from(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                })
            })
            .collect();
        yield_now().await; // both wait now
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        sender.send_to(b"one", addr).await.unwrap();
        sender.send_to(b"two", addr).await.unwrap();
        let mut got = Vec::new();
        for r in receivers {
            got.push(r.await.unwrap());
        }
        got.sort();
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
    });
}

#[cfg(target_os = "linux")]
#[test]
fn real_udp_a_closed_peer_port_is_an_error_not_a_panic() {
    real(async {
        let gone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let gone_addr = gone.local_addr().unwrap();
        drop(gone);
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.connect(gone_addr).await.unwrap();
        s.send(b"anyone?").await.unwrap();
        // Linux reports the ICMP "port unreachable" on the next receive.
        let err = s.recv(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}
