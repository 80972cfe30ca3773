//! Hosts: tasks belong to the host whose code spawned them; a crash
//! cancels exactly those and drops the host's sockets; a restart runs the
//! closure again with what it captured (the host's disk).

use std::cell::{Cell, RefCell};
use std::io::{self, ErrorKind};
use std::rc::Rc;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net::{self, TcpListener, TcpStream};
use seedloop::{sleep, spawn, JoinError, Sim, SimError};

#[test]
fn a_crash_cancels_exactly_the_hosts_tasks() {
    Sim::new(1)
        .run(async {
            let log = Rc::new(RefCell::new(Vec::new()));
            let l = log.clone();
            let server = net::host("server", move || {
                let l = l.clone();
                async move {
                    // A grandchild: spawned by a task the host spawned.
                    let l2 = l.clone();
                    spawn(async move {
                        spawn(async move {
                            let _guard = Noted(l2, "grandchild dropped");
                            sleep(Duration::from_secs(100)).await;
                        })
                        .detach();
                        sleep(Duration::from_secs(100)).await;
                    })
                    .detach();
                    let _guard = Noted(l, "host task dropped");
                    sleep(Duration::from_secs(100)).await;
                    Ok::<_, ()>(())
                }
            });
            // main's own child is not the server's.
            let mine = spawn(async {
                sleep(Duration::from_secs(10)).await;
                "main's child ran on"
            });
            sleep(Duration::from_secs(1)).await;
            server.crash();
            sleep(Duration::from_secs(1)).await;
            let mut dropped = log.borrow().clone();
            dropped.sort();
            assert_eq!(dropped, ["grandchild dropped", "host task dropped"]);
            assert_eq!(mine.await.unwrap(), "main's child ran on");
        })
        .unwrap();
}

struct Noted(Rc<RefCell<Vec<&'static str>>>, &'static str);

impl Drop for Noted {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

#[test]
fn a_crashed_peer_resets_its_connections_and_refuses_new_ones() {
    Sim::new(1)
        .run(async {
            let server = net::host("server", || async {
                let l = TcpListener::bind("0.0.0.0:7000").await?;
                let (mut s, _) = l.accept().await?;
                let mut buf = [0; 1];
                s.read_exact(&mut buf).await?;
                sleep(Duration::from_secs(100)).await;
                Ok::<_, io::Error>(())
            });
            let mut c = TcpStream::connect("server:7000").await.unwrap();
            c.write_all(b"x").await.unwrap();
            let reader = spawn(async move {
                let err = c.read(&mut [0; 8]).await.unwrap_err();
                err.kind()
            });
            sleep(Duration::from_secs(1)).await;
            server.crash();
            assert_eq!(reader.await.unwrap(), ErrorKind::ConnectionReset);
            let err = TcpStream::connect("server:7000").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        })
        .unwrap();
}

#[test]
fn awaiting_a_crashed_hosts_task_gives_cancelled() {
    Sim::new(1)
        .run(async {
            let (tx, rx) = futures::channel::oneshot::channel();
            let tx = Rc::new(Cell::new(Some(tx)));
            let server = net::host("server", move || {
                let tx = tx.clone();
                async move {
                    let child = spawn(sleep(Duration::from_secs(100)));
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(child);
                    }
                    sleep(Duration::from_secs(100)).await;
                    Ok::<_, ()>(())
                }
            });
            let child = rx.await.unwrap();
            server.crash();
            assert!(matches!(child.await, Err(JoinError::Cancelled)));
        })
        .unwrap();
}

#[test]
fn a_restart_runs_the_closure_again_with_what_it_captured() {
    Sim::new(1)
        .run(async {
            // The host's disk: a log that survives crashes.
            let disk = Rc::new(RefCell::new(Vec::<u8>::new()));
            let d = disk.clone();
            let server = net::host("server", move || {
                let disk = d.clone();
                async move {
                    let l = TcpListener::bind("0.0.0.0:7000").await?;
                    // The port is free again after the crash: the new boot binds it.
                    loop {
                        let (mut s, _) = l.accept().await?;
                        let mut b = [0; 1];
                        s.read_exact(&mut b).await?;
                        disk.borrow_mut().push(b[0]);
                        let stored = disk.borrow().len() as u8;
                        s.write_all(&[stored]).await?;
                    }
                    #[allow(unreachable_code)]
                    Ok::<_, io::Error>(())
                }
            });
            let put = |v: u8| async move {
                let mut c = TcpStream::connect("server:7000").await?;
                c.write_all(&[v]).await?;
                let mut n = [0; 1];
                c.read_exact(&mut n).await?;
                Ok::<_, io::Error>(n[0])
            };
            assert_eq!(put(7).await.unwrap(), 1);
            server.restart();
            assert!(server.is_up());
            sleep(Duration::from_millis(1)).await; // the new boot binds
            assert_eq!(put(8).await.unwrap(), 2);
            assert_eq!(*disk.borrow(), [7, 8]);
        })
        .unwrap();
}

#[test]
fn a_host_whose_future_fails_fails_the_run_like_a_panic() {
    let err = Sim::new(1)
        .run(async {
            net::host("server", || async {
                TcpListener::bind("10.9.9.9:1").await?;
                Ok::<_, io::Error>(())
            });
            sleep(Duration::from_secs(1)).await;
        })
        .unwrap_err();
    let SimError::Panic(report) = &err else {
        panic!("{err}")
    };
    assert_eq!(report.task_name, "server");
    assert!(
        report
            .message
            .starts_with("host \"server\" failed: Custom { kind: AddrNotAvailable"),
        "{}",
        report.message
    );
}

#[test]
fn a_host_that_crashes_itself_stops_at_its_next_await() {
    Sim::new(1)
        .run(async {
            let handle: Rc<RefCell<Option<net::Host>>> = Rc::default();
            let steps = Rc::new(Cell::new(0));
            let (h, st) = (handle.clone(), steps.clone());
            let server = net::host("server", move || {
                let (h, st) = (h.clone(), st.clone());
                async move {
                    sleep(Duration::from_secs(1)).await;
                    let me = h.borrow().clone().expect("set by main");
                    me.crash();
                    st.set(1); // the rest of this poll still runs
                    sleep(Duration::from_secs(1)).await;
                    st.set(2); // never: cancelled at the await
                    Ok::<_, ()>(())
                }
            });
            *handle.borrow_mut() = Some(server.clone());
            sleep(Duration::from_secs(5)).await;
            assert_eq!(steps.get(), 1);
            assert!(!server.is_up());
        })
        .unwrap();
}

#[test]
fn a_three_host_run_is_the_same_for_the_same_seed() {
    async fn echo() -> io::Result<()> {
        let l = TcpListener::bind("0.0.0.0:7000").await?;
        loop {
            let (mut s, _) = l.accept().await?;
            spawn(async move {
                let mut buf = [0; 8];
                loop {
                    s.read_exact(&mut buf).await?;
                    s.write_all(&buf).await?;
                }
                #[allow(unreachable_code)]
                Ok::<_, io::Error>(())
            })
            .detach();
        }
    }
    let run = |seed| {
        let mut sim = Sim::new(seed).network(net::Config {
            latency: Duration::from_millis(1)..Duration::from_millis(30),
            ..net::Config::default()
        });
        sim.run(async {
            let a = net::host("a", echo);
            net::host("b", echo);
            let clients: Vec<_> = ["a:7000", "b:7000"]
                .into_iter()
                .map(|addr| {
                    spawn(async move {
                        let mut c = TcpStream::connect(addr).await?;
                        let mut buf = [7u8; 8];
                        for _ in 0..5 {
                            c.write_all(&buf.clone()).await?;
                            c.read_exact(&mut buf).await?;
                        }
                        Ok::<_, io::Error>(())
                    })
                })
                .collect();
            sleep(Duration::from_millis(40)).await;
            a.crash();
            for c in clients {
                let _ = c.await.unwrap();
            }
        })
        .unwrap();
        sim.trace().render()
    };
    for seed in 0..10 {
        assert_eq!(run(seed), run(seed), "seed {seed}");
    }
    assert_ne!(run(1), run(2));
}

#[test]
fn what_a_host_sent_before_crashing_still_arrives_then_the_reset() {
    let fixed = Duration::from_millis(10);
    let mut sim = Sim::new(1).network(net::Config {
        latency: fixed..fixed,
        ..net::Config::default()
    });
    sim.run(async {
        let server = net::host("server", || async {
            let l = TcpListener::bind("0.0.0.0:7000").await?;
            let (mut s, _) = l.accept().await?;
            s.write_all(b"ack").await?; // due at the client 10 ms later
            sleep(Duration::from_secs(100)).await;
            Ok::<_, io::Error>(())
        });
        let mut c = TcpStream::connect("server:7000").await.unwrap(); // at 10 ms
        seedloop::yield_now().await; // the server accepts and writes
        seedloop::yield_now().await;
        server.crash(); // the ack is in flight
        let mut ack = [0; 3];
        c.read_exact(&mut ack).await.unwrap();
        assert_eq!(&ack, b"ack");
        assert_eq!(seedloop::time::Instant::now().as_secs_f64(), 0.020);
        let err = c.read(&mut [0; 1]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    })
    .unwrap();
}

#[test]
fn a_crashed_hosts_pending_callbacks_never_run() {
    Sim::new(1)
        .run(async {
            let ran = Rc::new(RefCell::new(Vec::new()));
            let r = ran.clone();
            let server = net::host("server", move || {
                let r = r.clone();
                async move {
                    let boot = r.borrow().len();
                    seedloop::call_later(Duration::from_secs(5), move || {
                        r.borrow_mut()
                            .push(format!("server timer (boot at {boot} notes)"))
                    });
                    Ok::<_, ()>(())
                }
            });
            let r = ran.clone();
            seedloop::call_later(Duration::from_secs(5), move || {
                r.borrow_mut().push("main timer".into())
            });
            sleep(Duration::from_secs(1)).await;
            server.crash();
            sleep(Duration::from_secs(10)).await;
            assert_eq!(*ran.borrow(), ["main timer"]);
            server.restart();
            sleep(Duration::from_secs(10)).await;
            assert_eq!(
                *ran.borrow(),
                ["main timer", "server timer (boot at 1 notes)"]
            );
        })
        .unwrap();
}
