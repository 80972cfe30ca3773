//! **A timeout that leaks a held lock.** A client takes the connection lock
//! asyncio-style (`acquire().await` … `release()`) inside a 10 ms timeout,
//! and waits for the server's reply, which comes at exactly 10 ms.
//!
//! Under FIFO the server's timer was set first: the reply is there when the
//! client's timeout is checked, and the client releases the lock. If the
//! client runs first at 10 ms (one deviation), the timeout fires, drops the
//! request future between `acquire` and `release`, and the lock stays held
//! forever: the next request cannot get the connection. Fix: hold the lock
//! through a guard, which the dropped future releases.

use seedloop::sync::Lock;
use seedloop::task::Promise;
use seedloop::{sleep, timeout};

use super::{ms, spawn_as};

/// One request that may time out; then the connection must be free again.
pub async fn timeout_leaks_lock() {
    let connection = Lock::new(());
    let reply = Promise::new();
    let server = spawn_as("server", serve(reply.clone()));
    let c = connection.clone();
    let client = spawn_as("client", async move {
        let _ = timeout(ms(10), async {
            c.acquire().await;
            let answer = reply.wait().await.unwrap();
            c.release().unwrap();
            answer
        })
        .await;
    });
    server.await.unwrap();
    client.await.unwrap();
    let next = timeout(ms(100), connection.lock()).await;
    if let Err(e) = next {
        panic!("the next request cannot get the connection: {e}");
    }
}

async fn serve(reply: Promise<u32>) {
    sleep(ms(10)).await;
    reply.set(7).unwrap();
}

/// The fix: the guard is released whenever the request future is dropped.
pub async fn timeout_leaks_lock_fixed() {
    let connection = Lock::new(());
    let reply = Promise::new();
    let server = spawn_as("server", serve(reply.clone()));
    let c = connection.clone();
    let client = spawn_as("client", async move {
        let _ = timeout(ms(10), async {
            let _connection = c.lock().await;
            reply.wait().await.unwrap()
        })
        .await;
    });
    server.await.unwrap();
    client.await.unwrap();
    let next = timeout(ms(100), connection.lock()).await;
    if let Err(e) = next {
        panic!("the next request cannot get the connection: {e}");
    }
}
