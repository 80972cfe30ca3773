//! Lost acknowledged write: a primary acknowledges a write, then copies it
//! to its backup without waiting; if the copy is lost (the backup crashes
//! while it is on its way, or the primary crashes while a partition holds
//! it), the backup never has a write the client was told is safe.
//! `examples/replicated_kv.rs` is the same bug at full size.
//!
//! The fix: acknowledge only once the backup confirmed the copy.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io;
use std::rc::Rc;

use seedloop::net::{self, TcpListener};
use seedloop::sleep;

use super::{call, receive, send, with_faults};
use crate::programs::ms;

const WRITE: u8 = 1;
const HAS: u8 = 2;
const YES: u8 = 3;
const NO: u8 = 4;

pub fn network() -> net::Config {
    with_faults()
}

/// A store on port 7000: `WRITE k` stores k (and copies it to `backup`,
/// confirmed or not), `HAS k` answers whether it has k.
async fn store(
    disk: Rc<RefCell<BTreeSet<u64>>>,
    backup: Option<&'static str>,
    confirm: bool,
) -> io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:7000").await?;
    loop {
        let (mut conn, _) = listener.accept().await?;
        let disk = disk.clone();
        seedloop::spawn(async move {
            while let Ok((tag, k)) = receive(&mut conn).await {
                let reply = match tag {
                    WRITE => {
                        disk.borrow_mut().insert(k);
                        match backup {
                            None => YES,
                            Some(b) if confirm => match call(b, WRITE, k, ms(200)).await {
                                Ok((YES, _)) => YES,
                                _ => NO,
                            },
                            Some(b) => {
                                // Copy in the background; acknowledge now.
                                seedloop::spawn(async move {
                                    let _ = call(b, WRITE, k, ms(200)).await;
                                })
                                .detach();
                                YES
                            }
                        }
                    }
                    _ => {
                        if disk.borrow().contains(&k) {
                            YES
                        } else {
                            NO
                        }
                    }
                };
                send(&mut conn, reply, k).await?;
            }
            Ok::<_, io::Error>(())
        })
        .detach();
    }
}

async fn run(confirm: bool) {
    let (primary_disk, backup_disk) = (Rc::default(), Rc::default());
    net::host("backup", move || {
        store(Rc::clone(&backup_disk), None, false)
    });
    net::host("primary", move || {
        store(Rc::clone(&primary_disk), Some("backup:7000"), confirm)
    });
    let mut acknowledged = Vec::new();
    for k in 1..=3 {
        if let Ok((YES, _)) = call("primary:7000", WRITE, k, ms(500)).await {
            acknowledged.push(k);
        }
    }
    sleep(ms(5000)).await; // every outage is over
    for k in acknowledged {
        if let Ok((answer, _)) = call("backup:7000", HAS, k, ms(500)).await {
            assert_eq!(answer, YES, "acknowledged write {k} is not on the backup");
        }
    }
}

pub async fn lost_ack_on_crash() {
    run(false).await;
}

pub async fn lost_ack_on_crash_fixed() {
    run(true).await;
}
