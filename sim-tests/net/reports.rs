//! What traces and deadlock reports say of the network.

use std::io;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::net::{self, TcpListener, TcpStream};
use seedloop::{sleep, Policy, Sim, SimError};

use crate::common::report_head;
use crate::snapshot;

async fn echo_once() -> io::Result<()> {
    let l = TcpListener::bind("0.0.0.0:7000").await?;
    let (mut s, _) = l.accept().await?;
    let mut buf = [0; 5];
    s.read_exact(&mut buf).await?;
    s.write_all(&buf).await?;
    Ok(())
}

#[test]
fn a_network_trace_names_hosts_ports_delays_partitions_and_crashes() {
    let mut sim = Sim::new(3).policy(Policy::Fifo);
    sim.run(async {
        let server = net::host("server", echo_once);
        let mut c = TcpStream::connect("server:7000").await.unwrap();
        c.write_all(b"hello").await.unwrap();
        net::partition("main", "server");
        sleep(Duration::from_secs(1)).await;
        net::repair("main", "server");
        let mut buf = [0; 5];
        c.read_exact(&mut buf).await.unwrap();
        server.crash();
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(
        trace.contains("main main:40001 -> server:7000 tcp 5 bytes (delay "),
        "{trace}"
    );
    assert!(trace.contains("main partition main | server"), "{trace}");
    assert!(trace.contains("main server crash"), "{trace}");
    snapshot!("net_echo_partition_crash_trace", trace);
}

#[test]
fn a_deadlock_report_says_which_read_waits_and_that_its_link_is_partitioned() {
    let err = Sim::new(1)
        .policy(Policy::Fifo)
        .run(async {
            net::host("server", || async {
                let l = TcpListener::bind("0.0.0.0:7000").await?;
                let (s, _) = l.accept().await?;
                seedloop::spawn(async move {
                    let mut buf = [0; 1];
                    let _ = (&s).read(&mut buf).await;
                    drop(s);
                })
                .await
                .ok();
                Ok::<_, io::Error>(())
            });
            let c = TcpStream::connect("server:7000").await.unwrap();
            // Both wait to read; nothing is in flight, so no timeout either.
            net::partition("main", "server");
            let mut buf = [0; 1];
            (&c).read_exact(&mut buf).await.unwrap();
        })
        .unwrap_err();
    let SimError::Deadlock(report) = &err else {
        panic!("{err}")
    };
    let head = report_head(&report.to_string());
    assert!(
        head.contains("waits to read main:40001 <- server:7000 (partitioned)"),
        "{head}"
    );
    assert!(
        head.contains("#3 waits to read server:7000 <- main:40001 (partitioned)"),
        "{head}"
    );
    assert!(
        head.contains("\"server\" (#2) waits on task #3 to finish"),
        "{head}"
    );
    snapshot!("net_partition_deadlock_report", head);
}
