//! TCP over loopback in real mode: echo, many connections, resets,
//! half-closes, a listener that goes away, bulk transfer. Only 127.0.0.1,
//! port 0; every test is bounded by a generous timeout so a bug fails
//! rather than hangs.

use std::future::Future;
use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::rc::Rc;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net::{TcpListener, TcpStream, UdpSocket};
use seedloop::{spawn, timeout, yield_now, Sim, Task};

/// Runs `body` in real mode, failing the test if it takes over a minute.
pub fn real<F: Future<Output = ()>>(body: F) {
    seedloop::run(async {
        timeout(Duration::from_secs(60), body)
            .await
            .expect("the scenario finished within 60 s");
    });
}

/// An echo server: accepts `connections` connections (then drops the
/// listener) and echoes each until its peer closes. Returns bytes echoed.
fn echo_server(listener: TcpListener, connections: usize) -> Task<io::Result<usize>> {
    spawn(async move {
        let mut handlers = Vec::new();
        for _ in 0..connections {
            let (conn, _) = listener.accept().await?;
            handlers.push(spawn(async move {
                let mut total = 0;
                let mut buf = [0; 4096];
                loop {
                    let n = (&conn).read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<_, io::Error>(total);
                    }
                    (&conn).write_all(&buf[..n]).await?;
                    total += n;
                }
            }));
        }
        drop(listener);
        let mut total = 0;
        for h in handlers {
            total += h.await.unwrap()?;
        }
        Ok(total)
    })
}

#[test]
fn real_echo_server_and_client() {
    real(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
        let server = echo_server(listener, 1);
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        assert_eq!(client.peer_addr().unwrap(), addr);
        let mut sent = 0;
        for i in 0..100usize {
            let msg: Vec<u8> = (0..1 + i * 37 % 1000).map(|j| (i + j) as u8).collect();
            client.write_all(&msg).await.unwrap();
            let mut echo = vec![0; msg.len()];
            client.read_exact(&mut echo).await.unwrap();
            assert_eq!(echo, msg, "message {i}");
            sent += msg.len();
        }
        client.close().await.unwrap();
        assert_eq!(server.await.unwrap().unwrap(), sent);
    });
}

#[test]
fn real_512_concurrent_connections_each_exchange_ten_messages() {
    const CONNECTIONS: usize = 512;
    real(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = echo_server(listener, CONNECTIONS);
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|c| {
                spawn(async move {
                    let mut s = TcpStream::connect(addr).await?;
                    for m in 0..10u32 {
                        let msg = format!("client {c:4} message {m}");
                        s.write_all(msg.as_bytes()).await?;
                        let mut echo = vec![0; msg.len()];
                        s.read_exact(&mut echo).await?;
                        assert_eq!(echo, msg.as_bytes());
                        yield_now().await; // let the others interleave
                    }
                    s.close().await?;
                    Ok::<_, io::Error>(())
                })
            })
            .collect();
        for (c, t) in clients.into_iter().enumerate() {
            t.await
                .unwrap()
                .unwrap_or_else(|e| panic!("client {c}: {e}"));
        }
        let per_client: usize = (0..10)
            .map(|m| format!("client    0 message {m}").len())
            .sum();
        assert_eq!(server.await.unwrap().unwrap(), CONNECTIONS * per_client);
    });
}

/// A connection closed with unread data in its receive buffer is reset.
fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

#[test]
fn real_a_server_that_resets_mid_stream_gives_the_client_an_error() {
    real(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut half = [0; 4];
            conn.read_exact(&mut half).await.unwrap();
            // Wait until the rest has arrived, then close without reading
            // it: with unread data, the OS answers with a reset.
            assert!(conn.peek(&mut half).await.unwrap() > 0);
            drop(conn);
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"12345678").await.unwrap();
        server.await.unwrap();
        let mut buf = [0; 8];
        let err = client.read_exact(&mut buf).await.unwrap_err();
        assert!(is_reset(&err), "{err:?}");
        // Writing to a reset connection is an error too, never a panic.
        let mut write_err = None;
        for _ in 0..100 {
            if let Err(e) = client.write_all(b"more").await {
                write_err = Some(e);
                break;
            }
        }
        assert!(write_err.is_some_and(|e| is_reset(&e)));
        assert!(client.close().await.is_err() || client.peer_addr().is_err());
    });
}

#[test]
fn real_a_client_that_resets_mid_stream_gives_the_server_an_error() {
    real(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            conn.write_all(b"hello").await.unwrap(); // the client never reads it
            let mut request = [0; 100];
            conn.read_exact(&mut request).await
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(&[7; 50]).await.unwrap(); // half a request
                                                   // With the server's greeting unread in our buffer, closing resets
                                                   // the connection instead of ending it.
        assert_eq!(client.peek(&mut [0; 5]).await.unwrap(), 5);
        drop(client);
        let err = server.await.unwrap().unwrap_err();
        assert!(is_reset(&err), "{err:?}");
    });
}

#[test]
fn real_a_half_closed_peer_reads_as_end_of_stream_and_can_still_answer() {
    real(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            conn.read_to_end(&mut request).await.unwrap();
            assert_eq!(request, b"request");
            // Reading again at the end of the stream is still just the end.
            assert_eq!(conn.read(&mut [0; 8]).await.unwrap(), 0);
            conn.write_all(b"response").await.unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"request").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut response = Vec::new();
        client.read_to_end(&mut response).await.unwrap();
        assert_eq!(response, b"response");
        server.await.unwrap();
    });
}

#[test]
fn real_a_listener_dropped_while_clients_connect() {
    const SERVED: usize = 5;
    const CLIENTS: usize = 40;
    real(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = echo_server(listener, SERVED);
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                spawn(async move {
                    let mut s = TcpStream::connect(addr).await?;
                    s.write_all(b"hi").await?;
                    let mut echo = [0; 2];
                    s.read_exact(&mut echo).await?;
                    assert_eq!(&echo, b"hi");
                    Ok::<_, io::Error>(s)
                })
            })
            .collect();
        let mut served = Vec::new();
        let mut refused = 0;
        for t in clients {
            match t.await.unwrap() {
                Ok(s) => served.push(s),
                Err(e) => {
                    // Refused (after the drop) or reset (queued, never accepted).
                    assert!(
                        is_reset(&e)
                            || matches!(
                                e.kind(),
                                ErrorKind::ConnectionRefused | ErrorKind::UnexpectedEof
                            ),
                        "{e:?}"
                    );
                    refused += 1;
                }
            }
        }
        assert_eq!((served.len(), refused), (SERVED, CLIENTS - SERVED));
        drop(served); // the server's handlers see end of stream
        assert_eq!(server.await.unwrap().unwrap(), 2 * SERVED);
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    });
}

#[test]
fn real_four_mebibytes_each_way_through_one_connection() {
    const SIZE: usize = 4 << 20;
    real(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (conn, _) = listener.accept().await.unwrap();
            let (mut r, mut w) = (&conn, &conn);
            let copied = futures::io::copy(&mut r, &mut w).await.unwrap();
            conn.shutdown(Shutdown::Write).unwrap();
            copied
        });
        let client = Rc::new(TcpStream::connect(addr).await.unwrap());
        let writer = {
            let client = client.clone();
            spawn(async move {
                let chunk: Vec<u8> = (0..65536u32).map(|i| (i * 7 % 251) as u8).collect();
                for _ in 0..SIZE / chunk.len() {
                    (&*client).write_all(&chunk).await.unwrap();
                }
                client.shutdown(Shutdown::Write).unwrap();
            })
        };
        let mut received = Vec::with_capacity(SIZE);
        (&*client).read_to_end(&mut received).await.unwrap();
        writer.await.unwrap();
        assert_eq!(received.len(), SIZE);
        assert!(received
            .iter()
            .enumerate()
            .all(|(i, &b)| b == ((i % 65536) as u32 * 7 % 251) as u8));
        assert_eq!(server.await.unwrap(), SIZE as u64);
    });
}

#[test]
fn real_connecting_to_a_closed_port_is_refused() {
    real(async {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap()
        };
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        // The runtime is fine: another connection works.
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, peer) = l.accept().await.unwrap();
        assert_eq!(peer, c.local_addr().unwrap());
        assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
    });
}

#[test]
fn sim_sockets_run_on_the_simulated_network() {
    let addrs = Sim::new(1)
        .run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            [
                l.local_addr().unwrap(),
                c.peer_addr().unwrap(),
                u.local_addr().unwrap(),
            ]
        })
        .unwrap();
    assert_eq!(
        addrs.map(|a| a.to_string()),
        ["127.0.0.1:40001", "127.0.0.1:40001", "127.0.0.1:40003"]
    );
}

#[test]
fn sockets_outside_a_runtime_are_an_error_not_a_panic() {
    let err = futures::executor::block_on(TcpListener::bind("127.0.0.1:0")).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("seedloop::net::TcpListener::bind was called outside a seedloop runtime"));
}
