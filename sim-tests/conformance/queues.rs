//! The scenarios of `queues/queues.rs` that do not depend on exact virtual times,
//! run under sim and real mode by one body each: Queue, PriorityQueue and
//! LifoQueue orders, task_done/join, hand-off to waiting getters, cancelled
//! getters and putters, shutdown. Orders are forced by the queues' own waits
//! and by yields; sleeps only make time pass, and time is asserted from below.

use futures::FutureExt;
use seedloop::queue::{
    LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull, QueueShutDown, TooManyTaskDone,
};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, yield_now};

use crate::harness::Lines;

crate::conformance! {
    async fn queue_producer_and_consumer_over_a_bounded_queue(env: Env) {
        let l = Lines::new();
        let queue = Queue::new(2);
        let start = Instant::now();
        let (q, lc) = (queue.clone(), l.clone());
        let consumer = spawn(async move {
            loop {
                let item = q.get().await.unwrap();
                lc.say(format!("got {item}"));
                sleep(env.units(0.1)).await;
                q.task_done().unwrap();
            }
        });
        let (q, lp) = (queue.clone(), l.clone());
        let producer = spawn(async move {
            for i in 0..5 {
                q.put(i).await.unwrap();
                lp.say(format!("put {i}"));
            }
            lp.say("producer done");
        });
        producer.await.unwrap();
        queue.join().await;
        l.say("all done");
        assert!(Instant::now() - start >= env.units(0.5), "five items, one at a time");
        consumer.cancel();
        assert!(consumer.await.unwrap_err().is_cancelled());
        assert_eq!(
            l.lines(),
            [
                "put 0",
                "put 1",
                "got 0",
                "put 2",
                "got 1",
                "put 3",
                "got 2",
                "put 4",
                "producer done",
                "got 3",
                "got 4",
                "all done"
            ]
        );
    }

    async fn queue_three_workers_task_done_and_join(env: Env) {
        // Which worker takes which item depends on which real timer fires
        // first: asserted is what join promises, not who slept when.
        let slept = Lines::new();
        let sleep_for = [0.3, 0.1, 0.5, 0.2, 0.4, 0.15, 0.25];
        let queue = Queue::new(0);
        for s in sleep_for {
            queue.put_nowait(s).unwrap();
        }
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (q, slept) = (queue.clone(), slept.clone());
                spawn(async move {
                    loop {
                        let s = q.get().await.unwrap();
                        sleep(env.units(s)).await;
                        slept.say(format!("{s:.2}"));
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        let start = Instant::now();
        queue.join().await;
        let total: f64 = sleep_for.iter().sum();
        assert!(Instant::now() - start >= env.units(total / 3.0), "three at a time");
        assert_eq!(slept.lines().len(), 7, "join waits for every task_done");
        for w in &workers {
            w.cancel();
        }
        for w in workers {
            assert!(w.await.unwrap_err().is_cancelled());
        }
        let mut got = slept.lines();
        got.sort();
        assert_eq!(got, ["0.10", "0.15", "0.20", "0.25", "0.30", "0.40", "0.50"]);
    }

    async fn priority_queue_gives_the_smallest_first_and_lifo_the_newest(env: Env) {
        let _ = env;
        let pq = PriorityQueue::new(0);
        for job in [(3, "low"), (1, "urgent"), (2, "normal"), (1, "urgent too")] {
            pq.put(job).await.unwrap();
        }
        let mut got = Vec::new();
        while let Ok(job) = pq.get_nowait() {
            got.push(job);
        }
        assert_eq!(got, [(1, "urgent"), (1, "urgent too"), (2, "normal"), (3, "low")]);

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
        // Nothing unfinished: join returns at its first poll.
        let q: PriorityQueue<u8> = PriorityQueue::new(0);
        assert_eq!(q.join().now_or_never(), Some(()));
    }

    async fn an_item_put_while_a_getter_waits_is_that_getters_not_a_newcomers(env: Env) {
        let _ = env;
        let q = Queue::new(0);
        let q2 = q.clone();
        let getter = spawn(async move { q2.get().await });
        yield_now().await; // the getter waits
        q.put_nowait("for the getter").unwrap();
        assert_eq!(q.len(), 1, "counted until the getter runs, as qsize() is");
        assert_eq!(q.get_nowait(), Err(QueueEmpty), "a newcomer cannot take it");
        assert_eq!(getter.await.unwrap(), Ok("for the getter"));
        assert!(q.is_empty());
        // The same for a PriorityQueue: the waiting getter gets the item put
        // first, even if a smaller one is put before it runs.
        let pq = PriorityQueue::new(0);
        let p2 = pq.clone();
        let getter = spawn(async move { p2.get().await });
        yield_now().await;
        pq.put_nowait(5).unwrap();
        pq.put_nowait(1).unwrap();
        assert_eq!(getter.await.unwrap(), Ok(5));
        assert_eq!(pq.get_nowait(), Ok(1));
    }

    async fn a_getter_cancelled_after_it_was_handed_an_item_puts_it_back_in_place(env: Env) {
        let _ = env;
        let q = Queue::new(0);
        let getter = || {
            let q = q.clone();
            spawn(async move { q.get().await })
        };
        let (g1, g2) = (getter(), getter());
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
        let (g3, g4) = (getter(), getter());
        yield_now().await;
        q.put_nowait("d").unwrap(); // to g3
        g3.cancel();
        assert_eq!(g4.await.unwrap(), Ok("d"));
        assert!(q.is_empty());
    }

    async fn a_waiting_putter_keeps_its_place_ahead_of_a_later_put_nowait(env: Env) {
        let _ = env;
        let q = Queue::new(2);
        q.put_nowait(1).unwrap();
        q.put_nowait(2).unwrap();
        let q2 = q.clone();
        let putter = spawn(async move { q2.put(3).await });
        yield_now().await; // the putter waits: the queue is full
        assert_eq!(q.get_nowait(), Ok(1));
        assert_eq!(q.put_nowait(9), Err(QueueFull(9)), "3 took the room");
        assert_eq!(q.get_nowait(), Ok(2));
        q.put_nowait(4).unwrap();
        assert_eq!(q.get_nowait(), Ok(3));
        assert_eq!(q.get_nowait(), Ok(4));
        assert_eq!(putter.await.unwrap(), Ok(()));
    }

    async fn a_putter_cancelled_before_its_room_frees_leaves_and_after_keeps_its_item_put(env: Env) {
        let _ = env;
        let q = Queue::new(1);
        q.put_nowait(0).unwrap();
        let putter = |x: i32| {
            let q = q.clone();
            spawn(async move { q.put(x).await })
        };
        let (p1, p2, p3) = (putter(1), putter(2), putter(3));
        yield_now().await; // all three wait: the queue is full
        p2.cancel();
        assert!(p2.await.unwrap_err().is_cancelled());
        assert_eq!(q.get_nowait(), Ok(0)); // p1's item enters
        p1.cancel();
        assert!(p1.await.unwrap_err().is_cancelled());
        assert_eq!(q.put_nowait(9), Err(QueueFull(9)));
        assert_eq!(q.get_nowait(), Ok(1), "p1's item was put");
        assert_eq!(p3.await.unwrap(), Ok(()));
        assert_eq!(q.get_nowait(), Ok(3), "p2's never was");
        assert_eq!(q.get_nowait(), Err(QueueEmpty));
        for _ in 0..3 {
            assert_eq!(q.task_done(), Ok(()));
        }
        assert_eq!(q.task_done(), Err(TooManyTaskDone), "three items were put");
    }

    async fn queue_shutdown_fails_putters_at_once_and_getters_once_empty(env: Env) {
        let _ = env;
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
    }

    async fn immediate_shutdown_drops_queued_items_but_not_one_already_handed_out(env: Env) {
        let _ = env;
        let l = Lines::new();
        let q = Queue::new(0);
        let q2 = q.clone();
        let handed = spawn(async move { q2.get().await });
        yield_now().await; // the getter waits
        for x in ["to the getter", "x", "y"] {
            q.put_nowait(x).unwrap();
        }
        let (q3, lj) = (q.clone(), l.clone());
        let joiner = spawn(async move {
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
        assert_eq!(l.lines(), ["shut down", "join returned"]);
    }

    async fn immediate_shutdown_with_nothing_handed_out_releases_join(env: Env) {
        let _ = env;
        let q = LifoQueue::new(0);
        for x in 0..3 {
            q.put_nowait(x).unwrap();
        }
        let q2 = q.clone();
        let joiner = spawn(async move { q2.join().await });
        yield_now().await; // the joiner waits
        assert!(!joiner.is_finished());
        q.shutdown(true);
        joiner.await.unwrap();
        assert!(q.is_empty());
    }
}
