//! Host clocks: an offset and a drift per host, read by `Instant::now`,
//! `sleep` and `timeout` inside the host.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use seedloop::net;
use seedloop::time::Instant;
use seedloop::{sleep, spawn, timeout, Sim};

/// A host's body: gets the log to write what it sees.
type Body = fn(Rc<RefCell<Vec<f64>>>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// Runs `body` on a host named "h" with the given clock; returns what it
/// recorded, with the run's clock when it ends.
fn on_skewed_host(offset: Duration, drift: f64, body: Body) -> (Vec<f64>, f64) {
    Sim::new(1)
        .run(async move {
            let log = Rc::new(RefCell::new(Vec::new()));
            let l = log.clone();
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            let tx = Rc::new(RefCell::new(Some(tx)));
            let h = net::host("h", move || {
                let (l, tx) = (l.clone(), tx.clone());
                async move {
                    body(l).await;
                    if let Some(tx) = tx.borrow_mut().take() {
                        let _ = tx.send(());
                    }
                    Ok::<_, ()>(())
                }
            });
            h.set_clock(offset, drift);
            rx.await.unwrap();
            let v = log.borrow().clone();
            (v, Instant::now().as_secs_f64())
        })
        .unwrap()
}

#[test]
fn an_offset_moves_the_hosts_now_and_not_the_run_clock() {
    let (seen, ended) = on_skewed_host(Duration::from_secs(100), 0.0, |log| {
        Box::pin(async move {
            log.borrow_mut().push(Instant::now().as_secs_f64());
            sleep(Duration::from_secs(2)).await;
            log.borrow_mut().push(Instant::now().as_secs_f64());
        })
    });
    assert_eq!(seen, [100.0, 102.0]);
    assert_eq!(ended, 2.0);
}

#[test]
fn a_fast_clock_sleeps_less_of_the_run_clock() {
    // 25 % fast: 10 s of the host's sleep are 8 s of the run.
    let (seen, ended) = on_skewed_host(Duration::ZERO, 0.25, |log| {
        Box::pin(async move {
            sleep(Duration::from_secs(10)).await;
            log.borrow_mut().push(Instant::now().as_secs_f64());
        })
    });
    assert_eq!(seen, [10.0]);
    assert_eq!(ended, 8.0);
}

#[test]
fn a_slow_clock_times_out_late() {
    // 50 % slow: a 1 s timeout fires after 2 s of the run.
    let (seen, ended) = on_skewed_host(Duration::ZERO, -0.5, |log| {
        Box::pin(async move {
            let r = timeout(Duration::from_secs(1), sleep(Duration::from_secs(60))).await;
            assert!(r.is_err());
            log.borrow_mut().push(Instant::now().as_secs_f64());
        })
    });
    assert_eq!(seen, [1.0]);
    assert_eq!(ended, 2.0);
}

#[test]
fn tasks_a_skewed_host_spawns_read_its_clock_too() {
    let (seen, _) = on_skewed_host(Duration::from_secs(5), 0.0, |log| {
        Box::pin(async move {
            let child = spawn(async { Instant::now().as_secs_f64() });
            let seen = child.await.unwrap();
            log.borrow_mut().push(seen);
        })
    });
    assert_eq!(seen, [5.0]);
}

#[test]
fn clocks_set_in_the_config_apply_from_the_start() {
    let config = net::Config {
        clocks: vec![
            ("main".into(), Duration::from_secs(7), 0.0),
            ("h".into(), Duration::from_secs(3), 0.0),
        ],
        ..net::Config::default()
    };
    Sim::new(1)
        .network(config)
        .run(async {
            assert_eq!(Instant::now().as_secs_f64(), 7.0);
            let (tx, rx) = futures::channel::oneshot::channel();
            let tx = Rc::new(RefCell::new(Some(tx)));
            net::host("h", move || {
                let tx = tx.clone();
                async move {
                    if let Some(tx) = tx.borrow_mut().take() {
                        let _ = tx.send(Instant::now().as_secs_f64());
                    }
                    Ok::<_, ()>(())
                }
            });
            assert_eq!(rx.await.unwrap(), 3.0);
            sleep(Duration::from_secs(1)).await;
            assert_eq!(Instant::now().as_secs_f64(), 8.0);
        })
        .unwrap();
}
