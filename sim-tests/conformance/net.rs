//! Sockets: the same bodies over the simulated network (each on the sim's
//! "main" host, whose loopback is its own) and over real loopback sockets.

use std::io::{self, ErrorKind};
use std::net::Shutdown;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net::{TcpListener, TcpStream, UdpSocket};
use seedloop::{spawn, Task};

/// Echoes `connections` connections, each until its end of stream; returns
/// the bytes echoed.
fn echo_server(listener: TcpListener, connections: usize) -> Task<io::Result<usize>> {
    spawn(async move {
        let mut handlers = Vec::new();
        for _ in 0..connections {
            let (mut conn, _) = listener.accept().await?;
            handlers.push(spawn(async move {
                let mut total = 0;
                let mut buf = [0; 256];
                loop {
                    let n = conn.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<_, io::Error>(total);
                    }
                    conn.write_all(&buf[..n]).await?;
                    total += n;
                }
            }));
        }
        let mut total = 0;
        for h in handlers {
            total += h.await.expect("handler")?;
        }
        Ok(total)
    })
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

crate::conformance! {
    async fn net_echo_round_trips(_env: Env) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = echo_server(listener, 1);
        let mut c = TcpStream::connect(addr).await.unwrap();
        for word in ["alpha", "beta", "gamma"] {
            c.write_all(word.as_bytes()).await.unwrap();
            let mut buf = vec![0; word.len()];
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(buf, word.as_bytes());
        }
        c.close().await.unwrap();
        assert_eq!(server.await.unwrap().unwrap(), 14);
    }

    async fn net_many_clients_each_get_their_own_echo(_env: Env) {
        const CLIENTS: usize = 32;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = echo_server(listener, CLIENTS);
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                spawn(async move {
                    let mut s = TcpStream::connect(addr).await?;
                    for round in 0..5u8 {
                        let msg = [i as u8, round];
                        s.write_all(&msg).await?;
                        let mut echo = [0; 2];
                        s.read_exact(&mut echo).await?;
                        assert_eq!(echo, msg);
                    }
                    s.close().await?;
                    Ok::<_, io::Error>(())
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap().unwrap();
        }
        assert_eq!(server.await.unwrap().unwrap(), CLIENTS * 10);
    }

    async fn net_a_server_that_closes_with_unread_data_resets_the_client(_env: Env) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut half = [0; 4];
            conn.read_exact(&mut half).await.unwrap();
            // Wait until the rest is there, then close without reading it.
            assert!(conn.peek(&mut half).await.unwrap() > 0);
            drop(conn);
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"12345678").await.unwrap();
        server.await.unwrap();
        let err = client.read_exact(&mut [0; 8]).await.unwrap_err();
        assert!(is_reset(&err), "{err:?}");
        let mut write_err = None;
        for _ in 0..100 {
            if let Err(e) = client.write_all(b"more").await {
                write_err = Some(e);
                break;
            }
        }
        assert!(write_err.is_some_and(|e| is_reset(&e)));
    }

    async fn net_a_client_that_closes_with_unread_data_resets_the_server(_env: Env) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            conn.write_all(b"hello").await.unwrap(); // never read
            let mut request = [0; 100];
            conn.read_exact(&mut request).await
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(&[7; 50]).await.unwrap();
        assert_eq!(client.peek(&mut [0; 5]).await.unwrap(), 5);
        drop(client);
        let err = server.await.unwrap().unwrap_err();
        assert!(is_reset(&err), "{err:?}");
    }

    async fn net_half_close_reads_as_end_of_stream_and_the_peer_still_answers(_env: Env) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            conn.read_to_end(&mut request).await.unwrap();
            assert_eq!(request, b"request");
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
    }

    async fn net_connecting_to_a_closed_port_is_refused(_env: Env) {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap()
        };
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    }

    async fn net_udp_round_trips(_env: Env) {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let echo = spawn(async move {
            let mut buf = [0; 64];
            for _ in 0..3 {
                let (n, from) = b.recv_from(&mut buf).await.unwrap();
                b.send_to(&buf[..n], from).await.unwrap();
            }
        });
        for word in ["one", "two", "three"] {
            a.send_to(word.as_bytes(), b_addr).await.unwrap();
            let mut buf = [0; 64];
            let (n, from) = a.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (word.as_bytes(), b_addr));
        }
        echo.await.unwrap();
        // A connected socket: send and recv name no address.
        let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        c.connect(a_addr).await.unwrap();
        assert_eq!(c.peer_addr().unwrap(), a_addr);
        c.send(b"hi").await.unwrap();
        let mut buf = [0; 8];
        let (n, from) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"hi"[..], c.local_addr().unwrap()));
        a.send_to(b"ho", from).await.unwrap();
        let n = c.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ho");
    }
}
