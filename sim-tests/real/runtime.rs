//! Real mode's runtime: runs, nesting, panics, waking from threads,
//! run_forever/stop, tracing, and that nothing grows without bound.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use seedloop::net::UdpSocket;
use seedloop::real::{Runtime, RuntimeError};
use seedloop::runtime::RuntimeHandle;
use seedloop::task::Builder;
use seedloop::time::{block_for, Instant};
use seedloop::{sleep, spawn, timeout, yield_now, JoinError, Sim, SimError};

#[test]
fn run_returns_the_output_and_the_clock_starts_at_zero_each_run() {
    assert_eq!(seedloop::run(async { 7 }), 7);
    let mut rt = Runtime::new().unwrap();
    for _ in 0..3 {
        let (start, after) = rt
            .block_on(async {
                let start = Instant::now();
                sleep(Duration::from_millis(2)).await;
                (start, Instant::now())
            })
            .unwrap();
        assert!(start.since_start() < Duration::from_secs(5));
        assert!(after - start >= Duration::from_millis(2));
    }
}

#[test]
fn a_runtime_inside_another_is_an_error_in_every_combination() {
    let mut rt = Runtime::new().unwrap();
    let inner = rt
        .block_on(async { Runtime::new().unwrap().block_on(async { 1 }) })
        .unwrap();
    let err = inner.unwrap_err();
    assert!(matches!(err, RuntimeError::NestedRuntime));
    assert!(err
        .to_string()
        .starts_with("a seedloop runtime is already running on this thread"));
    let sim_in_real = rt.block_on(async { Sim::new(1).run(async { 1 }) }).unwrap();
    assert_eq!(sim_in_real, Err(SimError::NestedRuntime));
    let real_in_sim = Sim::new(1)
        .run(async { Runtime::new().unwrap().block_on(async { 1 }) })
        .unwrap();
    assert!(matches!(real_in_sim, Err(RuntimeError::NestedRuntime)));
    // The runtime is still usable afterwards.
    assert_eq!(rt.block_on(async { 2 }).unwrap(), 2);
}

#[test]
fn a_panic_in_main_unwinds_out_of_block_on_with_its_payload() {
    let mut rt = Runtime::new().unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            spawn(sleep(Duration::from_secs(3600))).detach();
            yield_now().await;
            std::panic::panic_any(42u32)
        })
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
    // The left-over task was cancelled; the runtime runs again.
    assert_eq!(rt.block_on(async { "again" }).unwrap(), "again");
}

#[test]
fn without_isolation_a_child_panic_ends_the_run() {
    let mut rt = Runtime::builder().isolate_panics(false).build().unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            let t = spawn(async { panic!("child broke") });
            let _ = t.await;
            unreachable!("the run ended at the child's panic")
        })
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"child broke"));
}

#[test]
fn a_task_woken_from_another_thread_is_polled() {
    seedloop::run(async {
        for i in 0..20u32 {
            let (tx, rx) = oneshot::channel();
            let thread = std::thread::spawn(move || tx.send(i).unwrap());
            // Nothing else can wake the loop: no timer but this long timeout,
            // no socket. Only the cross-thread waker can.
            let got = timeout(Duration::from_secs(30), rx).await;
            assert_eq!(got.expect("woken long before the timeout"), Ok(i));
            thread.join().unwrap();
        }
    });
}

#[test]
fn busy_tasks_do_not_starve_the_sockets() {
    seedloop::run(async {
        let spinner = spawn(async {
            loop {
                yield_now().await; // the loop is never idle, so it never parks
            }
        });
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0; 8];
        for _ in 0..10 {
            a.send_to(b"x", b.local_addr().unwrap()).await.unwrap();
            let got = timeout(Duration::from_secs(30), b.recv_from(&mut buf)).await;
            assert_eq!(got.expect("I/O seen while busy").unwrap().0, 1);
        }
        spinner.cancel();
    });
}

#[test]
fn run_forever_runs_until_stopped_from_a_task_or_a_thread() {
    let mut rt = Runtime::new().unwrap();
    let ticks = Rc::new(std::cell::Cell::new(0));
    let (stop, t) = (rt.stop_handle(), ticks.clone());
    rt.run_forever(async move {
        spawn(async move {
            for _ in 0..5 {
                t.set(t.get() + 1);
                sleep(Duration::from_millis(1)).await;
            }
            stop.stop();
            std::future::pending::<()>().await;
        })
        .detach();
    })
    .unwrap();
    assert_eq!(ticks.get(), 5);
    assert!(
        !rt.stop_handle().is_stop_requested(),
        "the request is cleared"
    );

    let stop = rt.stop_handle();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        ready_rx.recv().unwrap();
        stop.stop();
    });
    rt.run_forever(async move {
        ready_tx.send(()).unwrap();
    })
    .unwrap();
    thread.join().unwrap();
}

#[test]
fn a_stop_before_run_forever_ends_it_after_its_setup_starts() {
    let mut rt = Runtime::new().unwrap();
    rt.stop_handle().stop();
    let started = Rc::new(std::cell::Cell::new(false));
    let s = started.clone();
    rt.run_forever(async move { s.set(true) }).unwrap();
    assert!(started.get());
}

#[test]
fn block_for_really_blocks_the_thread() {
    seedloop::run(async {
        let before = Instant::now();
        let wall = std::time::Instant::now();
        block_for(Duration::from_millis(5));
        assert!(Instant::now() - before >= Duration::from_millis(5));
        assert!(wall.elapsed() >= Duration::from_millis(5));
    });
}

#[test]
fn tracing_is_off_by_default_and_available_on_request() {
    let mut rt = Runtime::new().unwrap();
    let id = rt
        .block_on(async {
            let t = Builder::new().name("worker").spawn(yield_now());
            let id = t.id();
            t.await.unwrap();
            id
        })
        .unwrap();
    assert!(rt.trace().is_empty());
    // Not even the names table grows when tracing is off.
    assert_eq!(rt.trace().task_name(id), id.to_string());

    let mut traced = Runtime::builder().tracing(true).build().unwrap();
    traced
        .block_on(async { Builder::new().name("worker").spawn(yield_now()).await })
        .unwrap()
        .unwrap();
    let text = traced.trace().render();
    assert!(text.contains("main spawn #2 \"worker\""), "{text}");
    assert!(text.contains("worker finish"), "{text}");
}

#[test]
fn many_tasks_leave_no_log_or_trace_behind() {
    let mut rt = Runtime::new().unwrap();
    let sum = rt
        .block_on(async {
            let mut sum = 0u64;
            for round in 0..100u64 {
                let tasks: Vec<_> = (0..100).map(|i| spawn(async move { round + i })).collect();
                for t in tasks {
                    sum += t.await.unwrap();
                }
            }
            sum
        })
        .unwrap();
    assert_eq!(sum, (0..100u64).map(|r| 100 * r + 4950).sum::<u64>());
    assert!(rt.trace().is_empty());
}

#[test]
fn the_handle_and_the_seed_work_in_real_mode() {
    let mut rt = Runtime::builder().seed(99).build().unwrap();
    assert_eq!(rt.seed(), 99);
    let (seed, out) = rt
        .block_on(async {
            let h = RuntimeHandle::current();
            (h.seed(), h.spawn(async { 3 }).await)
        })
        .unwrap();
    assert_eq!((seed, out), (99, Ok(3)));
}

#[test]
fn cancelling_a_sleeping_task_in_real_mode_is_immediate() {
    seedloop::run(async {
        let before = Instant::now();
        let t = spawn(sleep(Duration::from_secs(3600)));
        yield_now().await;
        t.cancel();
        assert_eq!(t.await, Err(JoinError::Cancelled));
        // Not an hour: the cancelled timer does not keep the loop waiting.
        assert!(Instant::now() - before < Duration::from_secs(3000));
    });
}
