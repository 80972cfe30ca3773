//! **Missed notification (notify before wait).** A consumer locks a
//! mailbox and waits on its condition without first checking whether the
//! message is already there; the producer stores the message and notifies.
//!
//! Both get going at 1 ms. Under FIFO the consumer (whose timer was set
//! first) is already waiting when the producer notifies. If the producer
//! runs first (one deviation), its notification wakes nobody, and the
//! consumer then waits for one that never comes: a deadlock. Fix: wait for
//! the *state* (`wait_for(|m| m.is_some())`), not for the notification.

use seedloop::sleep;
use seedloop::sync::Condition;

use super::{ms, spawn_as};

/// The consumer must receive 42.
pub async fn missed_notification() {
    let mailbox = Condition::new(None);
    let m = mailbox.clone();
    let consumer = spawn_as("consumer", async move {
        sleep(ms(1)).await; // connect
        let guard = m.lock().await;
        let guard = m.wait(guard).await; // no check of the mailbox first
        assert_eq!(*guard, Some(42));
    });
    let producer = spawn_as("producer", produce(mailbox));
    producer.await.unwrap();
    consumer.await.unwrap();
}

async fn produce(mailbox: Condition<Option<u32>>) {
    sleep(ms(1)).await; // compute
    *mailbox.lock().await = Some(42);
    mailbox.notify(1);
}

/// The fix: check the mailbox under the lock before (and after) waiting.
pub async fn missed_notification_fixed() {
    let mailbox = Condition::new(None);
    let m = mailbox.clone();
    let consumer = spawn_as("consumer", async move {
        sleep(ms(1)).await;
        let guard = m.lock().await;
        let guard = m.wait_for(guard, Option::is_some).await;
        assert_eq!(*guard, Some(42));
    });
    let producer = spawn_as("producer", produce(mailbox));
    producer.await.unwrap();
    consumer.await.unwrap();
}
