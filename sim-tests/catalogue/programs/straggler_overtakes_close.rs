//! **One straggler.** A client writes a file on a replica with eight
//! messages, one every 135 ms: `open`, six `append`s, `close`. The network
//! delays each message 1 to 1000 ms (`random::range(1..1001)`), so messages
//! overtake one another. The replica orders the appends by their sequence
//! numbers, but applies `open` and `close` as they arrive.
//!
//! It fails only when `open` arrives after `close`: the first message is
//! slow (947 ms or more) and the last one fast, one run in about 670 under
//! uniform draws (one deviation: the first delay at its longest, every
//! other delay at its shortest). The late `open` reopens a closed file.
//! PCT's delay-bounded half finds it: a run that makes one site's delays
//! minimal and pushes the first draw to its top. Fix: the replica remembers
//! that the file was closed and ignores an `open` that comes after.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use seedloop::{call_later, random, sleep};

use super::ms;

/// What the client sends.
#[derive(Clone, Copy, Debug)]
enum Message {
    Open,
    Append(u32),
    Close,
}

/// The replica's copy of the file.
#[derive(Default)]
struct Replica {
    open: bool,
    /// Whether a `close` came (the fix's memory).
    closed: bool,
    appends: BTreeSet<u32>,
}

/// Sends the eight messages through the network, one every 135 ms, and
/// waits until every one has arrived; `apply` is the replica's handler.
async fn write_file(apply: fn(&mut Replica, Message)) -> Replica {
    let replica = Rc::new(RefCell::new(Replica::default()));
    let messages = std::iter::once(Message::Open)
        .chain((1..=6).map(Message::Append))
        .chain(std::iter::once(Message::Close));
    for message in messages {
        let delay = random::range(1..1001);
        let r = replica.clone();
        call_later(ms(delay), move || apply(&mut r.borrow_mut(), message));
        sleep(ms(135)).await;
    }
    sleep(ms(1000)).await; // every message has arrived
    Rc::try_unwrap(replica)
        .unwrap_or_else(|_| panic!("a message is still in flight"))
        .into_inner()
}

fn check(replica: &Replica) {
    assert_eq!(replica.appends.len(), 6, "an append was lost");
    assert!(!replica.open, "the file is open after it was closed");
}

/// The replica applies `open` and `close` as they arrive.
pub async fn straggler_overtakes_close() {
    let replica = write_file(|replica, message| match message {
        Message::Open => replica.open = true,
        Message::Append(seq) => {
            replica.appends.insert(seq);
        }
        Message::Close => replica.open = false,
    })
    .await;
    check(&replica);
}

/// The fix: an `open` after the `close` is a straggler, and is ignored.
pub async fn straggler_overtakes_close_fixed() {
    let replica = write_file(|replica, message| match message {
        Message::Open => replica.open = !replica.closed,
        Message::Append(seq) => {
            replica.appends.insert(seq);
        }
        Message::Close => {
            replica.open = false;
            replica.closed = true;
        }
    })
    .await;
    check(&replica);
}
