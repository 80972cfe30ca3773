//! `to_thread`: a bounded pool in real mode, inline and modelled in sim.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use seedloop::real::Runtime;
use seedloop::time::Instant;
use seedloop::{sleep, spawn, to_thread, to_thread_for, yield_now, Sim};

use crate::common::{fifo, Log};

#[test]
fn real_blocking_work_runs_on_at_most_the_configured_threads() {
    let mut rt = Runtime::builder().blocking_threads(2).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let results = rt
        .block_on(async {
            let jobs: Vec<_> = (0..8u64)
                .map(|i| {
                    let (running, most) = (running.clone(), most.clone());
                    spawn(to_thread(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(2));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i * i
                    }))
                })
                .collect();
            let mut out = Vec::new();
            for j in jobs {
                out.push(j.await.unwrap());
            }
            out
        })
        .unwrap();
    assert_eq!(results, [0, 1, 4, 9, 16, 25, 36, 49]);
    let most = most.load(Ordering::SeqCst);
    assert!((1..=2).contains(&most), "{most} threads at once");
}

#[test]
fn real_the_loop_keeps_running_while_a_thread_blocks() {
    seedloop::run(async {
        let (tx, rx) = mpsc::channel::<u32>();
        // The thread blocks until a task on the loop sends: if to_thread
        // blocked the loop, this would never finish.
        let blocked = spawn(to_thread(move || rx.recv().unwrap() + 1));
        for _ in 0..3 {
            yield_now().await;
        }
        tx.send(41).unwrap();
        assert_eq!(blocked.await.unwrap(), 42);
    });
}

#[test]
fn real_a_dropped_to_thread_that_never_started_never_runs() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    seedloop::run(async move {
        let never = to_thread(move || r.fetch_add(1, Ordering::SeqCst));
        drop(never);
        yield_now().await;
    });
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn sim_to_thread_runs_inline_at_first_poll_and_takes_its_modelled_time() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let lt = l.clone();
        let ticker = spawn(async move {
            for _ in 0..3 {
                lt.say("tick");
                sleep(Duration::from_secs(1)).await;
            }
        });
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let work = spawn(to_thread_for(Duration::from_millis(2500), move || {
            r.store(true, Ordering::SeqCst);
            "result"
        }));
        l.say(format!("spawned, ran: {}", ran.load(Ordering::SeqCst)));
        yield_now().await; // the work's first poll
        l.say(format!(
            "after its first poll, ran: {}",
            ran.load(Ordering::SeqCst)
        ));
        let out = work.await.unwrap();
        l.say(format!("got {out}"));
        assert_eq!(Instant::now().as_secs_f64(), 2.5);
        ticker.await.unwrap();
    })
    .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.000 spawned, ran: false",
            "0.000 tick",
            "0.000 after its first poll, ran: true",
            "1.000 tick",
            "2.000 tick",
            "2.500 got result"
        ]
    );
    assert!(sim.trace().render().contains("to_thread run inline"));
}

#[test]
fn sim_to_thread_is_deterministic_across_seeds_and_runs() {
    let run = |seed| {
        let mut sim = Sim::new(seed);
        sim.run(async {
            let a = spawn(to_thread_for(Duration::from_millis(3), || 1));
            let b = spawn(to_thread(|| 2));
            a.await.unwrap() + b.await.unwrap()
        })
        .unwrap();
        sim.trace().render()
    };
    for seed in 0..20 {
        assert_eq!(run(seed), run(seed), "seed {seed}");
    }
}
