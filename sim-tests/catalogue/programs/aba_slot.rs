//! **ABA on a shared slot.** A slot holds the open connection, known by its
//! file descriptor, and descriptors are reused (a fresh one is always 3). A
//! reaper sees client A's connection, checks with the peer (1 ms), and
//! closes the connection in the slot if it still has the descriptor it saw.
//!
//! Two unlucky orders are needed. At 1 ms the reaper must look before A
//! closes its connection (else it sees an empty slot); then client B, woken
//! by that close, connects in 1 ms and must open its connection (fd 3 again)
//! at 2 ms before the reaper compares. FIFO gets both the safe way round;
//! with two deviations the reaper sees fd 3, fd 3, and closes B's connection.
//! Fix: compare the connection's identity (a generation), not a reused name.

use std::cell::Cell;
use std::rc::Rc;

use seedloop::sleep;
use seedloop::sync::Event;

use super::{ms, spawn_as};

/// An open connection: its descriptor and which opening it was.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Conn {
    fd: u32,
    generation: u32,
}

/// Client A's connection is open; A closes it at 1 ms, B opens one at 2 ms
/// and must still have it at 3 ms; the reaper may close A's in between.
pub async fn aba_slot() {
    run(|seen, now| seen.fd == now.fd).await;
}

/// The fix: the reaper closes only the very connection it saw.
pub async fn aba_slot_fixed() {
    run(|seen, now| seen == now).await;
}

async fn run(same: fn(Conn, Conn) -> bool) {
    let slot = Rc::new(Cell::new(Some(Conn {
        fd: 3,
        generation: 1,
    })));
    let closed = Event::new();
    let (s, c) = (slot.clone(), closed.clone());
    let a = spawn_as("client-a", async move {
        sleep(ms(1)).await; // done with it
        s.set(None);
        c.set();
    });
    let (s, c) = (slot.clone(), closed.clone());
    let b = spawn_as("client-b", async move {
        c.wait().await; // a descriptor is free
        sleep(ms(1)).await; // connect
        let mine = Conn {
            fd: 3,
            generation: 2,
        };
        s.set(Some(mine));
        sleep(ms(1)).await; // use it
        assert_eq!(
            s.get(),
            Some(mine),
            "the reaper closed client-b's connection"
        );
    });
    let s = slot.clone();
    let reaper = spawn_as("reaper", async move {
        sleep(ms(1)).await;
        let Some(seen) = s.get() else { return };
        sleep(ms(1)).await; // ask the peer whether it is idle
        if s.get().is_some_and(|now| same(seen, now)) {
            s.set(None);
        }
    });
    a.await.unwrap();
    reaper.await.unwrap();
    b.await.unwrap();
}
