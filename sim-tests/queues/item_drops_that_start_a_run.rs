//! A queue operation runs the primitive's code under the current-runtime
//! cell's shared borrow (`with_runtime`). An item dropped inside it may
//! start a run of its own: outside a run that works, inside one it is
//! refused like any nested run, and neither is a borrow panic.

use std::cell::Cell;
use std::rc::Rc;

use seedloop::queue::{Queue, QueueShutDown};
use seedloop::Sim;

/// An item whose destructor starts a run and notes how it went.
struct StartsARun(Rc<Cell<Option<bool>>>);

impl Drop for StartsARun {
    fn drop(&mut self) {
        let started = Sim::new(5).run(async { 1 }).is_ok();
        self.0.set(Some(started));
    }
}

#[test]
fn outside_a_run_an_item_dropped_by_a_put_may_start_a_run() {
    let q = Queue::new(1);
    q.shutdown(false);
    let ran = Rc::new(Cell::new(None));
    // The put finds the queue shut down and drops its item inside the
    // queue's code, with no runtime current.
    let out = futures::executor::block_on(q.put(StartsARun(ran.clone())));
    assert_eq!(out, Err(QueueShutDown));
    assert_eq!(
        ran.get(),
        Some(true),
        "the destructor's run started and ended"
    );
}

#[test]
fn inside_a_run_an_item_dropped_by_a_put_is_refused_a_nested_run() {
    let ran = Rc::new(Cell::new(None));
    let ran2 = ran.clone();
    Sim::new(1)
        .run(async move {
            let q = Queue::new(1);
            q.shutdown(false);
            assert_eq!(q.put(StartsARun(ran2)).await, Err(QueueShutDown));
        })
        .unwrap();
    assert_eq!(ran.get(), Some(false), "runs do not nest");
}
