//! The blocking pool: a few threads for work that would block the loop
//! ([`to_thread`](crate::to_thread) in real mode).
//!
//! Threads start on demand, up to a bound; an idle thread waits on a condvar
//! (no CPU) and exits after [`KEEP_ALIVE`] without work. Jobs beyond the
//! bound queue up in submission order. Dropping the pool (with its runtime)
//! lets idle threads exit at once; a thread running a job finishes that job
//! first (a thread cannot be interrupted), then exits.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long an idle pool thread waits for work before it exits.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// A job: it catches its own panics (see `to_thread`).
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The pool's state, one mutex for all of it.
///
/// `threads` counts live workers, `idle` those waiting for work; `idle ≤
/// threads ≤ max_threads`. `shutdown` only goes from false to true.
#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
    shutdown: bool,
    next_name: usize,
}

struct Shared {
    state: Mutex<PoolState>,
    work: Condvar,
    max_threads: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A handle to the pool; the pool shuts down when the runtime drops its handle.
pub(crate) struct BlockingPool {
    shared: Arc<Shared>,
}

impl BlockingPool {
    /// A pool of at most `max_threads` threads (at least 1); none start yet.
    pub fn new(max_threads: usize) -> BlockingPool {
        BlockingPool {
            shared: Arc::new(Shared {
                state: Mutex::default(),
                work: Condvar::new(),
                max_threads: max_threads.max(1),
            }),
        }
    }

    /// Queues `job`, starting a thread for it if no idle thread is free to
    /// take it and the bound allows.
    ///
    /// # Errors
    /// The OS refused a new thread while the pool had none at all (with one
    /// or more threads the job waits for them instead).
    pub fn submit(&self, job: Job) -> io::Result<()> {
        let mut state = self.shared.lock();
        state.queue.push_back(job);
        // Enough idle threads for every queued job (this one included)?
        if state.queue.len() <= state.idle {
            drop(state);
            self.shared.work.notify_one();
            return Ok(());
        }
        if state.threads >= self.shared.max_threads {
            return Ok(());
        }
        state.threads += 1;
        state.next_name += 1;
        let name = format!("seedloop-blocking-{}", state.next_name);
        drop(state);
        let shared = self.shared.clone();
        match std::thread::Builder::new()
            .name(name)
            .spawn(move || work(&shared))
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut state = self.shared.lock();
                state.threads -= 1;
                if state.threads == 0 {
                    let job = state.queue.pop_back();
                    drop(state);
                    drop(job);
                    return Err(e);
                }
                Ok(())
            }
        }
    }

    /// Live threads (tests).
    #[cfg(test)]
    fn threads(&self) -> usize {
        self.shared.lock().threads
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.work.notify_all();
    }
}

/// A worker: runs jobs until the pool shuts down or it idles for `KEEP_ALIVE`.
fn work(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            job();
            state = shared.lock();
            continue;
        }
        if state.shutdown {
            break;
        }
        state.idle += 1;
        let (next, timeout) = shared
            .work
            .wait_timeout(state, KEEP_ALIVE)
            .unwrap_or_else(PoisonError::into_inner);
        state = next;
        state.idle -= 1;
        if timeout.timed_out() && state.queue.is_empty() {
            break;
        }
    }
    state.threads -= 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn jobs_run_on_at_most_max_threads() {
        let pool = BlockingPool::new(2);
        let (tx, rx) = mpsc::channel();
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        for i in 0..5 {
            let (tx, gate) = (tx.clone(), gate.clone());
            pool.submit(Box::new(move || {
                let (open, cond) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = cond.wait(open).unwrap();
                }
                tx.send(i).unwrap();
            }))
            .unwrap();
        }
        assert_eq!(pool.threads(), 2);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        let mut got: Vec<i32> = (0..5).map(|_| rx.recv().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3, 4]);
    }
}
