//! Queue, PriorityQueue and LifoQueue: the tutorial ports (checked against
//! CPython: `sim-tests/asyncio/queue_scenarios.py SCENARIO`), orderings,
//! hand-off to waiting getters (gh-83055), cancellation, shutdown, and the
//! misuse errors with their messages.

use seedloop::queue::{
    LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull, QueueShutDown, TooManyTaskDone,
};
use seedloop::task::Builder;
use seedloop::time::Instant;
use seedloop::{sleep, spawn, yield_now};

use crate::common::{fifo, secs, Log};
use crate::oracle::Scenario;
use crate::snapshot;

/// The `queue_workers` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/queue_scenarios.py queue_workers`).
pub const QUEUE_WORKERS: Scenario = Scenario {
    name: "queue_workers",
    lines: &[
        "0.100 worker-1 has slept for 0.10 seconds",
        "0.300 worker-0 has slept for 0.30 seconds",
        "0.300 worker-1 has slept for 0.20 seconds",
        "0.450 worker-1 has slept for 0.15 seconds",
        "0.500 worker-2 has slept for 0.50 seconds",
        "0.700 worker-0 has slept for 0.40 seconds",
        "0.700 worker-1 has slept for 0.25 seconds",
        "0.700 3 workers slept in parallel for 0.70 seconds",
        "0.700 total expected sleep time: 1.90 seconds",
    ],
    asyncio_swaps: &[],
};

#[test]
fn queue_tutorial_three_workers_task_done_and_join() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let sleep_for = [0.3, 0.1, 0.5, 0.2, 0.4, 0.15, 0.25];
            let queue = Queue::new(0);
            for s in sleep_for {
                queue.put_nowait(s).unwrap();
            }
            let workers: Vec<_> = (0..3)
                .map(|i| {
                    let (q, l) = (queue.clone(), l.clone());
                    let name = format!("worker-{i}");
                    Builder::new().name(&name).spawn(async move {
                        loop {
                            let s = q.get().await.unwrap();
                            sleep(secs(s)).await;
                            q.task_done().unwrap();
                            l.say(format!("{name} has slept for {s:.2} seconds"));
                        }
                    })
                })
                .collect();
            let started_at = Instant::now();
            queue.join().await;
            let total = (Instant::now() - started_at).as_secs_f64();
            for w in &workers {
                w.cancel();
            }
            for w in workers {
                assert!(w.await.unwrap_err().is_cancelled());
            }
            l.say(format!(
                "3 workers slept in parallel for {total:.2} seconds"
            ));
            let expected: f64 = sleep_for.iter().sum();
            l.say(format!("total expected sleep time: {expected:.2} seconds"));
        })
        .unwrap();
    assert_eq!(log.lines(), QUEUE_WORKERS.lines);
}

/// The `queue_producer_consumer` tutorial's lines; CPython prints the same
/// (`python3 sim-tests/asyncio/queue_scenarios.py queue_producer_consumer`).
pub const QUEUE_PRODUCER_CONSUMER: Scenario = Scenario {
    name: "queue_producer_consumer",
    lines: &[
        "0.000 put 0",
        "0.000 put 1",
        "0.000 got 0",
        "0.000 put 2",
        "0.100 got 1",
        "0.100 put 3",
        "0.200 got 2",
        "0.200 put 4",
        "0.200 producer done",
        "0.300 got 3",
        "0.400 got 4",
        "0.500 all done",
    ],
    asyncio_swaps: &[],
};

#[test]
fn queue_tutorial_producer_and_consumer_over_a_bounded_queue() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let queue = Queue::new(2);
        let (q, lc) = (queue.clone(), l.clone());
        let consumer = Builder::new().name("consumer").spawn(async move {
            loop {
                let item = q.get().await.unwrap();
                lc.say(format!("got {item}"));
                sleep(secs(0.1)).await;
                q.task_done().unwrap();
            }
        });
        let (q, lp) = (queue.clone(), l.clone());
        let producer = Builder::new().name("producer").spawn(async move {
            for i in 0..5 {
                q.put(i).await.unwrap();
                lp.say(format!("put {i}"));
            }
            lp.say("producer done");
        });
        producer.await.unwrap();
        queue.join().await;
        l.say("all done");
        consumer.cancel();
    })
    .unwrap();
    assert_eq!(log.lines(), QUEUE_PRODUCER_CONSUMER.lines);
    snapshot!("queue_producer_consumer", sim.trace().render());
}

#[test]
fn priority_queue_gives_the_smallest_first_and_lifo_the_newest() {
    fifo()
        .run(async {
            let pq = PriorityQueue::new(0);
            for job in [(3, "low"), (1, "urgent"), (2, "normal"), (1, "urgent too")] {
                pq.put(job).await.unwrap();
            }
            let mut got = Vec::new();
            while let Ok(job) = pq.get_nowait() {
                got.push(job);
            }
            assert_eq!(
                got,
                [(1, "urgent"), (1, "urgent too"), (2, "normal"), (3, "low")]
            );

            let lifo = LifoQueue::new(3);
            for x in ["a", "b", "c"] {
                lifo.put(x).await.unwrap();
            }
            assert!(lifo.is_full());
            assert_eq!(lifo.get().await, Ok("c"));
            lifo.put("d").await.unwrap();
            let mut rest = Vec::new();
            while let Ok(x) = lifo.get_nowait() {
                rest.push(x);
            }
            assert_eq!(rest, ["d", "b", "a"]);
        })
        .unwrap();
}

/// CPython gh-83055: asyncio wakes the getter but leaves the item in the
/// queue, where a newcomer can take it first. seedloop hands it over.
#[test]
fn an_item_put_while_a_getter_waits_is_that_getters_not_a_newcomers() {
    fifo()
        .run(async {
            let q = Queue::new(0);
            let q2 = q.clone();
            let getter = spawn(async move { q2.get().await });
            yield_now().await; // the getter waits
            q.put_nowait("for the getter").unwrap();
            assert_eq!(q.len(), 1, "counted until the getter runs, as qsize() is");
            assert_eq!(q.get_nowait(), Err(QueueEmpty), "a newcomer cannot take it");
            assert_eq!(getter.await.unwrap(), Ok("for the getter"));
            assert!(q.is_empty());

            // The same for a PriorityQueue: the waiting getter gets the item
            // put first, even if a smaller one is put before it runs.
            let pq = PriorityQueue::new(0);
            let p2 = pq.clone();
            let getter = spawn(async move { p2.get().await });
            yield_now().await;
            pq.put_nowait(5).unwrap();
            pq.put_nowait(1).unwrap();
            assert_eq!(getter.await.unwrap(), Ok(5));
            assert_eq!(pq.get_nowait(), Ok(1));
        })
        .unwrap();
}

#[test]
fn a_getter_cancelled_after_it_was_handed_an_item_puts_it_back_in_place() {
    let mut sim = fifo();
    sim.run(async {
        let q = Queue::new(0);
        let getter = |name: &'static str| {
            let q = q.clone();
            Builder::new()
                .name(name)
                .spawn(async move { q.get().await })
        };
        let (g1, g2) = (getter("g1"), getter("g2"));
        yield_now().await;
        q.put_nowait("a").unwrap(); // to g1
        q.put_nowait("b").unwrap(); // to g2
        q.put_nowait("c").unwrap(); // stored
        g1.cancel();
        assert_eq!(g2.await.unwrap(), Ok("b"));
        assert!(g1.await.unwrap_err().is_cancelled());
        assert_eq!(q.get_nowait(), Ok("a"), "back at the front, where it was");
        assert_eq!(q.get_nowait(), Ok("c"));

        // With another getter waiting, the item goes straight to it.
        let (g3, g4) = (getter("g3"), getter("g4"));
        yield_now().await;
        q.put_nowait("d").unwrap(); // to g3
        g3.cancel();
        assert_eq!(g4.await.unwrap(), Ok("d"));
        assert!(q.is_empty());
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("g1 Queue#1 pass on item back"), "{trace}");
    assert!(trace.contains("g3 Queue#1 pass on item to g4"), "{trace}");
}

#[test]
fn a_putter_cancelled_after_room_was_reserved_for_it_passes_the_room_on() {
    let mut sim = fifo();
    sim.run(async {
        let q = Queue::new(1);
        q.put_nowait(0).unwrap();
        let putter = |name: &'static str, x: i32| {
            let q = q.clone();
            Builder::new()
                .name(name)
                .spawn(async move { q.put(x).await })
        };
        let (p1, p2) = (putter("p1", 1), putter("p2", 2));
        yield_now().await; // both wait: the queue is full
        assert_eq!(q.get_nowait(), Ok(0)); // the room goes to p1 ...
        assert!(q.is_full(), "... so it is not free for newcomers");
        assert_eq!(q.put_nowait(9), Err(QueueFull(9)));
        p1.cancel(); // ... which gives it up: p2 gets it
        assert_eq!(p2.await.unwrap(), Ok(()));
        assert!(p1.await.unwrap_err().is_cancelled());
        assert_eq!(q.get_nowait(), Ok(2), "p1's item was never put");
        assert_eq!(q.get_nowait(), Err(QueueEmpty));
        assert_eq!(q.task_done(), Ok(()));
        assert_eq!(q.task_done(), Ok(()));
        assert_eq!(q.task_done(), Err(TooManyTaskDone), "two items were put");
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("p1 Queue#1 pass on room to p2"), "{trace}");
}

#[test]
fn shutdown_fails_putters_at_once_and_getters_once_empty() {
    fifo()
        .run(async {
            let q = Queue::new(2);
            q.put(1).await.unwrap();
            q.put(2).await.unwrap();
            let q2 = q.clone();
            let blocked_putter = spawn(async move { q2.put(3).await });
            yield_now().await;
            q.shutdown(false);
            assert!(q.is_shut_down());
            assert_eq!(blocked_putter.await.unwrap(), Err(QueueShutDown));
            assert_eq!(q.put(4).await, Err(QueueShutDown));
            assert_eq!(q.put_nowait(5), Err(QueueFull(5)));
            assert_eq!(q.get().await, Ok(1));
            assert_eq!(q.get().await, Ok(2));
            assert_eq!(q.get().await, Err(QueueShutDown));
            assert_eq!(q.get_nowait(), Err(QueueEmpty));

            let empty: Queue<u8> = Queue::new(0);
            let e2 = empty.clone();
            let blocked_getter = spawn(async move { e2.get().await });
            yield_now().await;
            empty.shutdown(false);
            assert_eq!(blocked_getter.await.unwrap(), Err(QueueShutDown));
        })
        .unwrap();
}

#[test]
fn immediate_shutdown_drops_queued_items_but_not_one_already_handed_out() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let q = Queue::new(0);
        let q2 = q.clone();
        let handed = spawn(async move { q2.get().await });
        yield_now().await; // the getter waits
        for x in ["to the getter", "x", "y"] {
            q.put_nowait(x).unwrap();
        }
        let (q3, lj) = (q.clone(), l.clone());
        let joiner = Builder::new().name("joiner").spawn(async move {
            q3.join().await;
            lj.say("join returned");
        });
        q.shutdown(true);
        l.say("shut down");
        assert_eq!(q.len(), 1, "only the handed item is left");
        assert_eq!(handed.await.unwrap(), Ok("to the getter"));
        assert!(!joiner.is_finished(), "the handed item is still unfinished");
        q.task_done().unwrap();
        joiner.await.unwrap();
        assert_eq!(q.get().await, Err(QueueShutDown));
        assert_eq!(q.task_done(), Err(TooManyTaskDone));
    })
    .unwrap();
    assert_eq!(log.lines(), ["0.000 shut down", "0.000 join returned"]);
    assert!(sim
        .trace()
        .render()
        .contains("main Queue#1 shutdown immediate, 2 item(s) dropped"));
}

#[test]
fn immediate_shutdown_with_nothing_handed_out_releases_join() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let q = LifoQueue::new(0);
            for x in 0..3 {
                q.put_nowait(x).unwrap();
            }
            let (q2, lj) = (q.clone(), l.clone());
            let joiner = spawn(async move {
                q2.join().await;
                lj.say("join returned");
            });
            sleep(secs(1.0)).await;
            q.shutdown(true);
            joiner.await.unwrap();
            assert!(q.is_empty());
        })
        .unwrap();
    assert_eq!(log.lines(), ["1.000 join returned"]);
}

#[test]
fn queue_misuse_errors_say_what_to_do() {
    let q = Queue::new(1);
    q.put_nowait("kept").unwrap();
    let err = q.put_nowait("given back").unwrap_err();
    assert_eq!(err, QueueFull("given back"));
    assert_eq!(
        err.to_string(),
        "the queue is full (or shut down): put_nowait gives the item back; \
         await put(item) to wait for room, or get items out first"
    );
    assert_eq!(err.into_inner(), "given back");
    assert_eq!(q.get_nowait(), Ok("kept"));
    assert_eq!(
        q.get_nowait().unwrap_err().to_string(),
        "the queue is empty: get_nowait has nothing to give; await get() to wait for an item"
    );
    q.task_done().unwrap();
    assert_eq!(
        q.task_done().unwrap_err().to_string(),
        "task_done() called too many times: call it once per item taken with get(), \
         after processing it"
    );
    assert_eq!(
        QueueShutDown.to_string(),
        "the queue was shut down: it takes no more items, and gives none once empty"
    );
}

#[test]
fn join_returns_at_once_when_nothing_is_unfinished() {
    fifo()
        .run(async {
            let q: PriorityQueue<u8> = PriorityQueue::new(0);
            q.join().await;
            assert_eq!(Instant::now(), Instant::ZERO);
        })
        .unwrap();
}
