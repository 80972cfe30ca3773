//! Queue, PriorityQueue and LifoQueue: the tutorial ports (checked against
//! CPython: `sim-tests/asyncio/queue_scenarios.py SCENARIO`), orderings,
//! hand-off to waiting getters and from waiting putters (gh-83055, both
//! sides), cancellation, shutdown, and the misuse errors with their
//! messages.

use seedloop::queue::{
    LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull, QueueShutDown, TooManyTaskDone,
};
use seedloop::task::Builder;
use seedloop::time::Instant;
use seedloop::{sleep, spawn, timeout, yield_now};

use crate::common::{fifo, secs, Log};
use crate::oracle::Scenario;
use crate::snapshot;

/// A task named `name` that waits for one item of `q`.
fn named_getter<T: 'static>(
    q: &Queue<T>,
    name: &'static str,
) -> seedloop::Task<Result<T, QueueShutDown>> {
    let q = q.clone();
    Builder::new()
        .name(name)
        .spawn(async move { q.get().await })
}

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
        let getter = |name| named_getter(&q, name);
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

/// Two getters handed items and both cancelled, the first one first: each
/// item goes back to its own place, the second between the first and the
/// item stored after both.
#[test]
fn getters_cancelled_in_turn_put_their_items_back_in_put_order() {
    let mut sim = fifo();
    sim.run(async {
        let q = Queue::new(0);
        let getter = |name| named_getter(&q, name);
        let (g1, g2) = (getter("g1"), getter("g2"));
        yield_now().await;
        q.put_nowait("a").unwrap(); // to g1
        q.put_nowait("b").unwrap(); // to g2
        q.put_nowait("c").unwrap(); // stored
        g1.cancel();
        g2.cancel();
        assert!(g1.await.unwrap_err().is_cancelled());
        assert!(g2.await.unwrap_err().is_cancelled());
        let got: Vec<_> = std::iter::from_fn(|| q.get_nowait().ok()).collect();
        assert_eq!(got, ["a", "b", "c"]);
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("g2 Queue#1 pass on item back"), "{trace}");
}

/// A join future dropped while it waits (here by a timeout) leaves the
/// line: the work done later wakes nobody.
#[test]
fn a_join_dropped_while_it_waits_is_not_woken_when_the_work_is_done() {
    let mut sim = fifo();
    sim.run(async {
        let q = Queue::new(0);
        q.put_nowait(1).unwrap();
        let q2 = q.clone();
        let joiner = Builder::new().name("joiner").spawn(async move {
            assert!(timeout(secs(1.0), q2.join()).await.is_err());
            sleep(secs(10.0)).await;
        });
        sleep(secs(2.0)).await;
        assert_eq!(q.get_nowait(), Ok(1));
        q.task_done().unwrap();
        joiner.await.unwrap();
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("main Queue#1 task_done all done"), "{trace}");
    assert!(!trace.contains("main wake joiner"), "{trace}");
}

/// CPython gh-83055, the putter side: in asyncio, room freed while a putter
/// waits only wakes it, and a `put_nowait` before it runs takes the room
/// (the queue yields 4, 3). In seedloop the waiting putter's item enters the
/// queue the moment its room frees: 3, 4.
#[test]
fn a_waiting_putter_keeps_its_place_ahead_of_a_later_put_nowait() {
    let mut sim = fifo();
    sim.run(async {
        let q = Queue::new(2);
        q.put_nowait(1).unwrap();
        q.put_nowait(2).unwrap();
        let q2 = q.clone();
        let putter = Builder::new()
            .name("putter")
            .spawn(async move { q2.put(3).await });
        yield_now().await; // the putter waits: the queue is full
        assert_eq!(q.get_nowait(), Ok(1)); // 3 enters in 1's room ...
        assert_eq!(q.len(), 2);
        assert!(q.is_full(), "... so a newcomer finds the queue full");
        assert_eq!(q.put_nowait(9), Err(QueueFull(9)));
        assert_eq!(q.get_nowait(), Ok(2));
        q.put_nowait(4).unwrap();
        assert!(!putter.is_finished(), "its put is done; it has not run yet");
        let mut got = Vec::new();
        while let Ok(x) = q.get_nowait() {
            got.push(x);
        }
        assert_eq!(got, [3, 4], "the putter that waited first goes first");
        assert_eq!(putter.await.unwrap(), Ok(()));
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(
        trace
            .contains("main Queue#1 get size 1/2\n0.000000 main Queue#1 put from putter, size 2/2"),
        "{trace}"
    );
}

/// The same for equal items in a PriorityQueue (ties come out in the order
/// they entered, and the waiting putter's entered first) and for a
/// LifoQueue (the waiting putter's item is in before the later one).
#[test]
fn a_waiting_putter_keeps_its_place_in_priority_ties_and_in_a_lifo_queue() {
    fifo()
        .run(async {
            // Ordered by the number only: ties are equal items.
            #[derive(Debug, PartialEq, Eq)]
            struct Job(u8, &'static str);
            impl PartialOrd for Job {
                fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
                    Some(self.cmp(o))
                }
            }
            impl Ord for Job {
                fn cmp(&self, o: &Self) -> std::cmp::Ordering {
                    self.0.cmp(&o.0)
                }
            }
            let pq = PriorityQueue::new(2);
            pq.put_nowait(Job(0, "a")).unwrap();
            pq.put_nowait(Job(0, "b")).unwrap();
            let p2 = pq.clone();
            let putter = spawn(async move { p2.put(Job(1, "waited")).await });
            yield_now().await;
            assert_eq!(pq.get_nowait(), Ok(Job(0, "a")));
            assert_eq!(pq.get_nowait(), Ok(Job(0, "b")));
            pq.put_nowait(Job(1, "later")).unwrap();
            assert_eq!(pq.get_nowait(), Ok(Job(1, "waited")));
            assert_eq!(pq.get_nowait(), Ok(Job(1, "later")));
            assert_eq!(putter.await.unwrap(), Ok(()));

            // LIFO: [1, 2] and a putter of 3 waiting. Taking 2 lets 3 in at
            // once, so it is the next out; 4, put later, is newer still.
            let lifo = LifoQueue::new(2);
            lifo.put_nowait(1).unwrap();
            lifo.put_nowait(2).unwrap();
            let l2 = lifo.clone();
            let putter = spawn(async move { l2.put(3).await });
            yield_now().await;
            assert_eq!(lifo.get_nowait(), Ok(2));
            assert_eq!(lifo.get_nowait(), Ok(3), "3 entered when 2 left");
            lifo.put_nowait(4).unwrap();
            assert_eq!(lifo.get_nowait(), Ok(4));
            assert_eq!(lifo.get_nowait(), Ok(1));
            assert_eq!(putter.await.unwrap(), Ok(()));
        })
        .unwrap();
}

/// Room freed while a getter waits for the putter's item: the item goes
/// straight to that getter, in the same step.
#[test]
fn a_waiting_putters_item_goes_straight_to_a_waiting_getter() {
    let mut sim = fifo();
    sim.run(async {
        let q = Queue::new(1);
        let getter = |name| named_getter(&q, name);
        let (g1, g2) = (getter("g1"), getter("g2"));
        yield_now().await; // both wait
        let q2 = q.clone();
        let putter = Builder::new()
            .name("putter")
            .spawn(async move { q2.put("b").await });
        q.put_nowait("a").unwrap(); // handed to g1: the queue is full
        yield_now().await; // the putter waits; then g1 runs: b goes to g2
        assert_eq!(g1.await.unwrap(), Ok("a"));
        assert_eq!(g2.await.unwrap(), Ok("b"));
        assert_eq!(putter.await.unwrap(), Ok(()));
        assert!(q.is_empty());
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(
        trace.contains("g1 Queue#1 put from putter to g2"),
        "{trace}"
    );
}

/// A putter cancelled while it waits leaves the line and takes its item
/// away; one cancelled after its room freed (its item entered) leaves the
/// item put, and the room used: nothing is lost and nothing is put twice.
#[test]
fn a_putter_cancelled_before_its_room_frees_leaves_and_after_keeps_its_item_put() {
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
        let (p1, p2, p3) = (putter("p1", 1), putter("p2", 2), putter("p3", 3));
        yield_now().await; // all three wait: the queue is full
        p2.cancel(); // still waiting: it leaves, its item is not put
        assert!(p2.await.unwrap_err().is_cancelled());
        assert_eq!(q.get_nowait(), Ok(0)); // p1's item enters ...
        p1.cancel(); // ... so cancelling p1 now leaves it put
        assert!(p1.await.unwrap_err().is_cancelled());
        assert!(q.is_full(), "p1's item holds the room");
        assert_eq!(q.put_nowait(9), Err(QueueFull(9)));
        assert_eq!(q.get_nowait(), Ok(1), "p1's item was put");
        assert_eq!(p3.await.unwrap(), Ok(()));
        assert_eq!(q.get_nowait(), Ok(3), "p2's never was");
        assert_eq!(q.get_nowait(), Err(QueueEmpty));
        for _ in 0..3 {
            assert_eq!(q.task_done(), Ok(()));
        }
        assert_eq!(q.task_done(), Err(TooManyTaskDone), "three items were put");
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("p2 Queue#1 leave"), "{trace}");
    assert!(
        trace.contains("main Queue#1 put from p1, size 1/1"),
        "{trace}"
    );
    assert!(!trace.contains("p1 Queue#1 leave"), "{trace}");
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

/// `maxsize`, `is_full` and `is_shut_down` of each kind of queue, bounded
/// and not: full at its bound and not before, never full without one, shut
/// down only once told.
#[test]
fn each_queue_reports_its_bound_whether_it_is_full_and_whether_it_is_shut_down() {
    fn check(maxsize: usize, put: &dyn Fn(usize), full: &dyn Fn() -> bool, bound: usize) {
        assert_eq!(bound, maxsize);
        let room = if maxsize == 0 { 5 } else { maxsize };
        for x in 0..room {
            assert!(!full(), "{x} item(s) in a queue of maxsize {maxsize}");
            put(x);
        }
        assert_eq!(full(), maxsize > 0, "{room} item(s), maxsize {maxsize}");
    }
    for maxsize in [0, 1, 3] {
        let q = Queue::new(maxsize);
        check(
            maxsize,
            &|x| q.put_nowait(x).unwrap(),
            &|| q.is_full(),
            q.maxsize(),
        );
        let p = PriorityQueue::new(maxsize);
        check(
            maxsize,
            &|x| p.put_nowait(x).unwrap(),
            &|| p.is_full(),
            p.maxsize(),
        );
        let l = LifoQueue::new(maxsize);
        check(
            maxsize,
            &|x| l.put_nowait(x).unwrap(),
            &|| l.is_full(),
            l.maxsize(),
        );
        assert!(!q.is_shut_down() && !p.is_shut_down() && !l.is_shut_down());
        q.shutdown(false);
        p.shutdown(false);
        l.shutdown(true);
        assert!(q.is_shut_down() && p.is_shut_down() && l.is_shut_down());
    }
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
