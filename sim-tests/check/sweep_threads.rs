//! Where a sweep runs its seeds: one thread is the calling thread (its
//! thread-locals, such as the quiet panic hook's flag, are the caller's);
//! more are threads of the sweep's own.

use std::sync::Mutex;
use std::thread::{self, ThreadId};

use seedloop::check::Check;

fn sweep_threads(threads: usize) -> Vec<ThreadId> {
    let seen = Mutex::new(Vec::new());
    let summary = Check::new()
        .threads(threads)
        .self_check_sample(0) // the sweep's runs only, no re-runs
        .seeds(0..12)
        .run(|| async { seen.lock().unwrap().push(thread::current().id()) });
    assert_eq!(summary.runs, 12);
    let mut seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 12);
    seen.dedup();
    seen
}

#[test]
fn one_thread_sweeps_on_the_caller_and_more_on_threads_of_their_own() {
    let caller = thread::current().id();
    assert_eq!(sweep_threads(1), [caller]);
    let many = sweep_threads(3);
    assert!(!many.contains(&caller), "{many:?}");
}
