//! What `{:?}` shows of the queue errors and futures: `QueueFull` hides its
//! item (it has no `T: Debug` bound); each future names its queue and says
//! whether it waits in line.

use seedloop::queue::{Queue, QueueFull};

use crate::common::{fifo, poll_once};

#[test]
fn queue_full_hides_its_item() {
    struct NoDebug;
    assert_eq!(format!("{:?}", QueueFull(NoDebug)), "QueueFull(..)");
    assert_eq!(format!("{:?}", QueueFull(7)), "QueueFull(..)");
}

#[test]
fn the_queue_futures_name_their_queue_and_say_whether_they_wait() {
    fifo()
        .run(async {
            let q = Queue::new(1).named("jobs");
            let queue = r#"queue: "Queue \"jobs\"""#;

            let mut get = q.get();
            assert_eq!(
                format!("{get:?}"),
                format!("QueueGet {{ {queue}, waiting: false }}")
            );
            assert!(poll_once(&mut get).await.is_pending(), "the queue is empty");
            assert_eq!(
                format!("{get:?}"),
                format!("QueueGet {{ {queue}, waiting: true }}")
            );
            drop(get);

            q.put_nowait(1).unwrap();
            let mut put = q.put(2);
            assert_eq!(
                format!("{put:?}"),
                format!("QueuePut {{ {queue}, waiting: false }}")
            );
            assert!(poll_once(&mut put).await.is_pending(), "the queue is full");
            assert_eq!(
                format!("{put:?}"),
                format!("QueuePut {{ {queue}, waiting: true }}")
            );
            drop(put);

            let mut join = q.join();
            assert_eq!(
                format!("{join:?}"),
                format!("QueueJoin {{ {queue}, waiting: false }}")
            );
            assert!(
                poll_once(&mut join).await.is_pending(),
                "one item is unfinished"
            );
            assert_eq!(
                format!("{join:?}"),
                format!("QueueJoin {{ {queue}, waiting: true }}")
            );
        })
        .unwrap();
}
