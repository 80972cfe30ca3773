//! Real-mode benchmarks, side by side with peers in one process.
//!
//! `cargo bench --bench real` prints the median of several repetitions of
//! each workload and seedloop's ratio to each peer:
//!
//! - TCP echo over loopback: one client sends 100,000 64-byte messages and
//!   awaits each echo; the server runs on the same thread. Against a
//!   hand-written mio loop and tokio's current-thread runtime (targets:
//!   ≥ 95% of mio's round trips per second, ahead of tokio).
//! - Spawn+join and timers in real mode against tokio current-thread.
//! - Idle CPU: the process CPU time a runtime uses while it waits on a 10 s
//!   timer, measured over 1 s of that wait (target: none).

#[path = "common/mod.rs"]
#[macro_use]
mod common;

use std::future::Future;
use std::hint::black_box;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use futures::io::{AsyncReadExt, AsyncWriteExt};

use common::median;

/// Repetitions, reduced to one in a smoke run (`common::smoke`).
fn reps(full: usize) -> usize {
    if common::smoke() {
        1
    } else {
        full
    }
}

/// Round trips of the echo workloads (a thousandth in a smoke run).
fn messages() -> usize {
    if common::smoke() {
        100
    } else {
        100_000
    }
}

const REPS: usize = 5;
const ECHO_REPS: usize = 11;
const MSG: usize = 64;

// ---------------------------------------------------------------- TCP echo

/// seedloop: a server task and a client task on one runtime.
fn echo_seedloop(rt: &mut seedloop::Runtime) -> f64 {
    use seedloop::net::{TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = seedloop::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            let mut buf = [0; 4096];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.set_nodelay(true).unwrap();
        let msg = [7u8; MSG];
        let mut echo = [0u8; MSG];
        let t = Instant::now();
        for _ in 0..messages() {
            c.write_all(&msg).await.unwrap();
            c.read_exact(&mut echo).await.unwrap();
        }
        let rate = messages() as f64 / t.elapsed().as_secs_f64();
        drop(c);
        server.await.unwrap();
        rate
    })
    .unwrap()
}

/// tokio current-thread: the same program.
fn echo_tokio(rt: &tokio::runtime::Runtime) -> f64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            let mut buf = [0; 4096];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.set_nodelay(true).unwrap();
        let msg = [7u8; MSG];
        let mut echo = [0u8; MSG];
        let t = Instant::now();
        for _ in 0..messages() {
            c.write_all(&msg).await.unwrap();
            c.read_exact(&mut echo).await.unwrap();
        }
        let rate = messages() as f64 / t.elapsed().as_secs_f64();
        drop(c);
        server.await.unwrap();
        rate
    })
}

/// A hand-written mio loop: one `Poll`, both ends, the usual event-driven
/// shape (act on each readable event, reading until `WouldBlock` as
/// edge-triggered mio requires; answer as soon as a whole message is in).
fn echo_mio() -> f64 {
    use mio::net::{TcpListener, TcpStream};
    use mio::{Events, Interest, Poll, Token};
    const SERVER: Token = Token(1);
    const CLIENT: Token = Token(2);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(addr).unwrap();
    // Accept (blocking-style spin on a fresh listener is fine in setup).
    let mut server = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    };
    // Wait for the client's connect to finish.
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    loop {
        poll.poll(&mut events, None).unwrap();
        if events
            .iter()
            .any(|e| e.token() == CLIENT && e.is_writable())
        {
            break;
        }
    }
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    let msg = [7u8; MSG];
    let mut sbuf = [0u8; 4096];
    let mut cbuf = [0u8; 4096];
    let mut got = 0;
    let mut done = 0;
    let t = Instant::now();
    client.write_all(&msg).unwrap();
    while done < messages() {
        poll.poll(&mut events, None).unwrap();
        for event in events.iter() {
            if !event.is_readable() {
                continue;
            }
            if event.token() == SERVER {
                loop {
                    match server.read(&mut sbuf) {
                        Ok(0) => break,
                        Ok(n) => server.write_all(&sbuf[..n]).unwrap(),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("{e}"),
                    }
                }
            } else {
                loop {
                    match client.read(&mut cbuf) {
                        Ok(0) => break,
                        Ok(n) => {
                            got += n;
                            if got == MSG {
                                got = 0;
                                done += 1;
                                if done < messages() {
                                    client.write_all(&msg).unwrap();
                                }
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }
    }
    messages() as f64 / t.elapsed().as_secs_f64()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn tcp_echo() {
    say!(
        "TCP echo over loopback: {} round trips of {MSG} bytes, one client, one thread",
        messages()
    );
    // Interleaved repetitions, so a neighbour's load hits all three alike.
    let mut rt = seedloop::Runtime::new().unwrap();
    let trt = tokio_rt();
    let (mut mio, mut sl, mut tk) = (Vec::new(), Vec::new(), Vec::new());
    for rep in 0..=reps(ECHO_REPS) {
        let (m, s, t) = (echo_mio(), echo_seedloop(&mut rt), echo_tokio(&trt));
        if rep > 0 {
            // rep 0 warms up
            mio.push(m);
            sl.push(s);
            tk.push(t);
        }
    }
    // Ratios within each repetition: robust to load that comes and goes.
    let vs_mio = median(sl.iter().zip(&mio).map(|(s, m)| s / m).collect());
    let vs_tokio = median(sl.iter().zip(&tk).map(|(s, t)| s / t).collect());
    let (mio, seedloop, tokio) = (median(mio), median(sl), median(tk));
    say!(
        "  {:<34} {:>10.0} round trips/s",
        "hand-written mio loop",
        mio
    );
    say!(
        "  {:<34} {:>10.0} round trips/s   {:.1}% of mio, {:.2}x tokio",
        "seedloop real mode",
        seedloop,
        100.0 * seedloop / mio,
        seedloop / tokio
    );
    say!(
        "  {:<34} {:>10.0} round trips/s",
        "tokio current-thread",
        tokio
    );
    say!(
        "  median of per-repetition ratios: seedloop {:.1}% of mio, {:.2}x tokio",
        100.0 * vs_mio,
        vs_tokio
    );
}

// ------------------------------------------------------ spawn+join, timers

fn row(name: &str, seedloop: f64, tokio: f64) {
    say!(
        "  {name:<34} seedloop {seedloop:>8.1} ns/op   tokio {tokio:>8.1} ns/op   tokio/seedloop {:.2}",
        tokio / seedloop
    );
}

/// Runs the seedloop and tokio versions of one workload in alternating
/// rounds (so load that comes and goes hits both alike) and prints their
/// medians. For profiling one side alone, `BENCH_ONLY=<part of a name>`
/// runs only the contenders whose name (`seedloop: <workload>`, `tokio:
/// <workload>`) contains it.
fn compare<S, T>(name: &str, ops: u64, seedloop: impl Fn() -> S, tokio: impl Fn() -> T)
where
    S: Future,
    T: Future,
{
    let only = std::env::var("BENCH_ONLY").ok();
    let wanted = |who: &str| {
        only.as_deref()
            .is_none_or(|o| format!("{who}: {name}").contains(o))
    };
    let (run_s, run_t) = (wanted("seedloop"), wanted("tokio"));
    let mut rt = seedloop::Runtime::new().unwrap();
    let trt = tokio_rt();
    let mut run_seedloop = || black_box(rt.block_on(seedloop()).unwrap());
    let run_tokio = || black_box(trt.block_on(tokio()));
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_nanos() as f64 / ops as f64
    };
    let (mut s, mut t) = (Vec::new(), Vec::new());
    for round in 0..=reps(REPS) {
        // Round 0 warms up.
        if run_s {
            let ns = time(&mut || {
                run_seedloop();
            });
            if round > 0 {
                s.push(ns);
            }
        }
        if run_t {
            let ns = time(&mut || {
                run_tokio();
            });
            if round > 0 {
                t.push(ns);
            }
        }
    }
    match (run_s, run_t) {
        (true, true) => row(name, median(s), median(t)),
        (true, false) => say!("  {name:<34} seedloop {:>8.1} ns/op", median(s)),
        (false, true) => say!("  {name:<34} tokio {:>8.1} ns/op", median(t)),
        (false, false) => {}
    }
}

fn spawn_join_and_timers() {
    let scale = if common::smoke() { 1_000 } else { 1 };
    let (tasks_n, timers_n, timeouts_n) = (100_000 / scale, 100_000 / scale, 1_000_000 / scale);
    say!("spawn+join and timers, real mode vs tokio current-thread");
    compare(
        "spawn+join 100k trivial tasks",
        tasks_n,
        || async {
            let tasks: Vec<_> = (0..tasks_n)
                .map(|i| seedloop::spawn(async move { i }))
                .collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        },
        || async {
            let tasks: Vec<_> = (0..tasks_n)
                .map(|i| tokio::spawn(async move { i }))
                .collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        },
    );
    compare(
        "100k tasks each sleeping 1 ms",
        timers_n,
        || async {
            let tasks: Vec<_> = (0..timers_n)
                .map(|_| seedloop::spawn(seedloop::sleep(Duration::from_millis(1))))
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        },
        || async {
            let tasks: Vec<_> = (0..timers_n)
                .map(|_| tokio::spawn(tokio::time::sleep(Duration::from_millis(1))))
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        },
    );
    compare(
        "1M timeouts set and cancelled",
        timeouts_n,
        || async {
            let mut sum = 0u64;
            for i in 0..timeouts_n {
                sum += seedloop::timeout(Duration::from_secs(1), async { i })
                    .await
                    .unwrap();
            }
            sum
        },
        || async {
            let mut sum = 0u64;
            for i in 0..timeouts_n {
                sum += tokio::time::timeout(Duration::from_secs(1), async { i })
                    .await
                    .unwrap();
            }
            sum
        },
    );
}

// ---------------------------------------------------------------- idle CPU

/// This process's user + system CPU time, from `/proc/self/stat` (in clock
/// ticks, 10 ms each on Linux).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime); 3 is the first after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// This thread's time on a CPU in nanoseconds, from `/proc/thread-self/schedstat`.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

fn idle_cpu() {
    const WAIT: Duration = Duration::from_secs(1);
    say!("idle CPU: a runtime waiting on a 10 s timer, measured over {WAIT:?} of the wait");
    let measure = |name: &str, wait: &mut dyn FnMut()| {
        let (p0, t0, w0) = (process_cpu(), thread_cpu(), Instant::now());
        wait();
        let (p1, t1, wall) = (process_cpu(), thread_cpu(), w0.elapsed());
        match (p0.zip(p1), t0.zip(t1)) {
            (Some((p0, p1)), Some((t0, t1))) => say!(
                "  {name:<34} wall {:>7.1} ms   process CPU {:>5.1} ms   loop thread CPU {:>7.3} ms",
                wall.as_secs_f64() * 1e3,
                (p1 - p0).as_secs_f64() * 1e3,
                (t1 - t0).as_secs_f64() * 1e3,
            ),
            _ => say!("  {name:<34} (no /proc: CPU time not measured)"),
        }
    };
    let mut rt = seedloop::Runtime::new().unwrap();
    measure("seedloop real mode", &mut || {
        rt.block_on(async {
            let long = seedloop::spawn(seedloop::sleep(Duration::from_secs(10)));
            let _ = seedloop::timeout(WAIT, long).await;
        })
        .unwrap();
    });
    let trt = tokio_rt();
    measure("tokio current-thread", &mut || {
        trt.block_on(async {
            let long = tokio::spawn(tokio::time::sleep(Duration::from_secs(10)));
            let _ = tokio::time::timeout(WAIT, long).await;
        });
    });
}

fn main() {
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let want = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if want("echo") {
        tcp_echo();
    }
    if want("spawn") || want("timers") {
        spawn_join_and_timers();
    }
    // The idle measurement waits a second of real time: not in a smoke run.
    if want("idle") && !common::smoke() {
        idle_cpu();
    }
    common::smoke_done("real");
}
