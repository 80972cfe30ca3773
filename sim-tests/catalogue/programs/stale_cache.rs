//! **A bug of depth 3: a stale cache fill.** A look-aside cache: a reader
//! that misses reads the database (the reply takes 1 ms) and fills the cache
//! (1 ms later); a writer updates the database and invalidates the cache
//! 1 ms after; an expiry task evicts the entry at 1 ms.
//!
//! Three ordering constraints, each at an instant where FIFO takes the safe
//! side: at 1 ms the eviction must come before the reader's lookup (else a
//! hit), at 2 ms the reader's database read before the writer's update (else
//! it reads the new value), and at 3 ms the writer's invalidation before the
//! reader's fill (else the invalidation removes the stale fill). With all
//! three the cache keeps the old value for good. Fix: fill only if the entry
//! was not invalidated since the miss (a version check, as memcache leases).

use std::cell::Cell;
use std::rc::Rc;

use seedloop::sleep;

use super::{ms, spawn_as};

/// The cache: a value and how many times it was invalidated.
#[derive(Default)]
struct Cache {
    entry: Cell<Option<u32>>,
    invalidations: Cell<u32>,
}

/// After the writer's update the cache must not hold the old value.
pub async fn stale_cache() {
    run(false).await;
}

/// The fix: a fill is dropped if an invalidation came after the miss.
pub async fn stale_cache_fixed() {
    run(true).await;
}

async fn run(versioned: bool) {
    let db = Rc::new(Cell::new(1));
    let cache = Rc::new(Cache::default());
    cache.entry.set(Some(1));
    let (d, c) = (db.clone(), cache.clone());
    let reader = spawn_as("reader", async move {
        sleep(ms(1)).await;
        if c.entry.get().is_some() {
            return; // a hit
        }
        let version = c.invalidations.get();
        sleep(ms(1)).await; // the database replies
        let value = d.get();
        sleep(ms(1)).await; // the fill reaches the cache
        if !versioned || c.invalidations.get() == version {
            c.entry.set(Some(value));
        }
    });
    let c = cache.clone();
    let expiry = spawn_as("expiry", async move {
        sleep(ms(1)).await;
        c.entry.set(None);
    });
    let (d, c) = (db.clone(), cache.clone());
    let writer = spawn_as("writer", async move {
        sleep(ms(2)).await;
        d.set(2);
        sleep(ms(1)).await;
        c.entry.set(None);
        c.invalidations.set(c.invalidations.get() + 1);
    });
    reader.await.unwrap();
    expiry.await.unwrap();
    writer.await.unwrap();
    if let Some(cached) = cache.entry.get() {
        assert_eq!(cached, db.get(), "the cache holds a stale value");
    }
}
