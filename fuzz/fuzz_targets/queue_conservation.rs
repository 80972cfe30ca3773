//! Producers and consumers over a bounded `Queue`, with puts and gets
//! cancelled by random timeouts, on a schedule chosen by the fuzzer. No item
//! is ever lost or duplicated: every item whose `put` returned `Ok` is got
//! exactly once or is still in the queue at the end, and the run never
//! deadlocks or panics.
//!
//! `cargo fuzz run -s none queue_conservation -- -max_total_time=30 -timeout=5`

#![no_main]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use seedloop::queue::Queue;
use seedloop::{random, spawn, timeout, Sim};

fn ms(max: u64) -> Duration {
    Duration::from_millis(random::range(0..max + 1))
}

fuzz_target!(|data: &[u8]| {
    let outcome = Sim::fuzz(data).run(async {
        let q: Queue<u32> = Queue::new(random::range(1..4) as usize);
        let put_ok = Rc::new(RefCell::new(Vec::new()));
        let got = Rc::new(RefCell::new(Vec::new()));
        let producers: Vec<_> = (0..2u32)
            .map(|p| {
                let (q, put_ok) = (q.clone(), put_ok.clone());
                spawn(async move {
                    for i in 0..6 {
                        let item = p * 100 + i;
                        if let Ok(Ok(())) = timeout(ms(3), q.put(item)).await {
                            put_ok.borrow_mut().push(item);
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let (q, got) = (q.clone(), got.clone());
                spawn(async move {
                    for _ in 0..8 {
                        if let Ok(Ok(item)) = timeout(ms(3), q.get()).await {
                            got.borrow_mut().push(item);
                        }
                    }
                })
            })
            .collect();
        for t in producers.into_iter().chain(consumers) {
            t.await.unwrap();
        }
        while let Ok(item) = q.get_nowait() {
            got.borrow_mut().push(item);
        }
        let (mut put_ok, mut got) = (put_ok.take(), got.take());
        put_ok.sort_unstable();
        got.sort_unstable();
        assert_eq!(put_ok, got, "items put = items got + items left");
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
});
