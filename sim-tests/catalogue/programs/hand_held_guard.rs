//! **A guard held by hand across an await that is cancelled.** A pool holds
//! one database connection (a `Queue` of connections). A reporting job
//! takes the connection, runs its query (2 ms), and puts the connection
//! back by hand, after the await. A second client asks for the connection
//! at 1 ms.
//!
//! With no cancel, every order of the tasks works: the job returns the
//! connection at 2 ms and the client gets it. If the job is cancelled while
//! its query runs (its first await; one deviation, found with
//! `Check::inject_cancels`), the line that puts the connection back never
//! runs: the connection is gone and the client waits forever (the deadlock
//! report names it waiting on the pool). Fix: a guard whose `Drop` puts the
//! connection back, which dropping the cancelled future runs.

use seedloop::queue::Queue;
use seedloop::sleep;
use seedloop::task::Builder;

use super::{ms, spawn_as};

/// A connection, by number.
type Connection = u32;

/// The job may be cancelled; the client must still get the connection.
pub async fn hand_held_guard() {
    run(false).await;
}

/// The fix: the connection is held by a guard.
pub async fn hand_held_guard_fixed() {
    run(true).await;
}

async fn run(guarded: bool) {
    let pool: Queue<Connection> = Queue::new(1);
    pool.put_nowait(1).expect("room for one");
    let p = pool.clone();
    let job = Builder::new()
        .name("report-job")
        .cancellable_by_check(true)
        .spawn(async move {
            if guarded {
                report_fixed(&p).await;
            } else {
                report(&p).await;
            }
        });
    let p = pool.clone();
    let client = spawn_as("client", async move {
        sleep(ms(1)).await;
        let c = p.get().await.expect("the pool is open");
        p.put_nowait(c).expect("room for it");
    });
    let _ = job.await; // finished or cancelled: both are fine
    client.await.unwrap();
}

/// The bug: the connection goes back only if the query completes.
async fn report(pool: &Queue<Connection>) {
    let c = pool.get().await.expect("the pool is open");
    query(c).await;
    pool.put_nowait(c).expect("room for it");
}

/// The fix: a guard puts the connection back when it is dropped, whether
/// the query completed or the future was dropped at its await.
async fn report_fixed(pool: &Queue<Connection>) {
    let lease = Lease {
        pool,
        connection: pool.get().await.expect("the pool is open"),
    };
    query(lease.connection).await;
}

struct Lease<'a> {
    pool: &'a Queue<Connection>,
    connection: Connection,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.pool.put_nowait(self.connection).expect("room for it");
    }
}

async fn query(_connection: Connection) {
    sleep(ms(2)).await;
}
