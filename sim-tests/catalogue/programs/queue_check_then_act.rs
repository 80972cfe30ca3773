//! **Check-then-act on a queue.** A worker checks that the job queue is not
//! empty, reserves room for the result (1 ms), then takes the job with
//! `get_nowait`, sure it is still there.
//!
//! The second worker checks at 1 ms, the instant the first one takes the
//! only job. Under FIFO the first one's timer was set first: the job is gone
//! when the second checks, so it skips. If the second checks first (one
//! deviation), both saw a job and the second's `get_nowait` fails. Fix: act
//! and check in one step (`get_nowait` first, reserve after).

use seedloop::queue::Queue;
use seedloop::sleep;

use super::{ms, spawn_as};

/// One job, two workers starting at 0 ms and 1 ms.
pub async fn queue_check_then_act() {
    let jobs = Queue::new(0);
    jobs.put_nowait("resize image").unwrap();
    let first = spawn_as("worker-1", worker(jobs.clone(), 0));
    let second = spawn_as("worker-2", worker(jobs.clone(), 1));
    first.await.unwrap();
    second.await.unwrap();
}

async fn worker(jobs: Queue<&'static str>, at_ms: u64) {
    sleep(ms(at_ms)).await;
    if !jobs.is_empty() {
        sleep(ms(1)).await; // reserve room for the result
        let job = jobs.get_nowait().expect("the queue had a job a moment ago");
        assert!(!job.is_empty());
    }
}

/// The fix: take the job first; only a worker that got one reserves room.
pub async fn queue_check_then_act_fixed() {
    let jobs = Queue::new(0);
    jobs.put_nowait("resize image").unwrap();
    let first = spawn_as("worker-1", worker_fixed(jobs.clone(), 0));
    let second = spawn_as("worker-2", worker_fixed(jobs.clone(), 1));
    first.await.unwrap();
    second.await.unwrap();
}

async fn worker_fixed(jobs: Queue<&'static str>, at_ms: u64) {
    sleep(ms(at_ms)).await;
    if let Ok(job) = jobs.get_nowait() {
        sleep(ms(1)).await;
        assert!(!job.is_empty());
    }
}
