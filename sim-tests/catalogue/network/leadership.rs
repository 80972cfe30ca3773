//! The leadership protocol the split-brain and lease bugs share.
//!
//! Host `a` leads at first and sends a heartbeat to `b` every 50 ms (of its
//! own clock); `b` answers each while it follows. If `b` hears nothing for
//! 300 ms (of its clock), it takes over, and refuses heartbeats from then
//! on. A leader serves a write every 50 ms; the test checks that no write
//! of `a` comes after `b` took over (two leaders at once: split brain).
//! How `a` decides that it still leads is what the bugs get wrong.

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use seedloop::net::{self, TcpListener};
use seedloop::time::Instant;
use seedloop::{sleep, spawn};

use super::{call, receive, send};
use crate::programs::ms;

const HEARTBEAT: u8 = 1;
const YES: u8 = 2;
const NO: u8 = 3;

/// How long `b` waits without a heartbeat before it takes over.
const TAKEOVER: Duration = Duration::from_millis(300);

/// How `a` decides that it still leads.
#[derive(Clone, Copy)]
pub enum Lead {
    /// Forever: `a` never steps down.
    Always,
    /// While its last answered heartbeat is at most this old, by its clock.
    Lease(Duration),
}

/// The oracle: whether `b` leads now (its leadership ends with its crash),
/// and how many writes `a` served meanwhile. The hosts' clocks may
/// disagree; the order of events cannot.
#[derive(Default)]
struct Oracle {
    b_leads: Cell<bool>,
    split: Cell<u32>,
}

type Served = Rc<Oracle>;

/// Clears `b_leads` when `b`'s task goes, at a crash.
struct Leadership(Served);

impl Drop for Leadership {
    fn drop(&mut self) {
        self.0.b_leads.set(false);
    }
}

async fn leader_a(lead: Lead, served: Served) -> io::Result<()> {
    // No lease until `b` answered: after a crash, `a` starts without one.
    let last_answer = Rc::new(Cell::new(None::<Instant>));
    let answered = last_answer.clone();
    // Heartbeats.
    spawn(async move {
        loop {
            if let Ok((YES, _)) = call("b:7000", HEARTBEAT, 0, ms(40)).await {
                answered.set(Some(Instant::now()));
            }
            sleep(ms(50)).await;
        }
    })
    .detach();
    loop {
        let leads = match lead {
            Lead::Always => true,
            Lead::Lease(lease) => last_answer
                .get()
                .is_some_and(|at| Instant::now() - at <= lease),
        };
        if leads && served.b_leads.get() {
            served.split.set(served.split.get() + 1);
        }
        sleep(ms(50)).await;
    }
}

async fn follower_b(served: Served) -> io::Result<()> {
    let _leadership = Leadership(served.clone());
    let leads = Rc::new(Cell::new(false));
    let heard = Rc::new(Cell::new(Instant::now()));
    let listener = TcpListener::bind("0.0.0.0:7000").await?;
    let (l, h) = (leads.clone(), heard.clone());
    spawn(async move {
        loop {
            let (mut conn, _) = listener.accept().await?;
            let (l, h) = (l.clone(), h.clone());
            spawn(async move {
                while let Ok((_, _)) = receive(&mut conn).await {
                    let answer = if l.get() {
                        NO
                    } else {
                        h.set(Instant::now());
                        YES
                    };
                    send(&mut conn, answer, 0).await?;
                }
                Ok::<_, io::Error>(())
            })
            .detach();
        }
        #[allow(unreachable_code)]
        Ok::<_, io::Error>(())
    })
    .detach();
    loop {
        if !leads.get() && Instant::now() - heard.get() > TAKEOVER {
            leads.set(true);
        }
        served.b_leads.set(leads.get());
        sleep(ms(10)).await;
    }
}

/// Runs `a` and `b` for 3 s and checks that `a` served nothing once `b`
/// led.
pub async fn run(lead: Lead) {
    let served: Served = Rc::default();
    let s = served.clone();
    net::host("a", move || leader_a(lead, s.clone()));
    let s = served.clone();
    net::host("b", move || follower_b(s.clone()));
    sleep(ms(3000)).await;
    let split = served.split.get();
    assert_eq!(split, 0, "split brain: a served {split} writes while b led");
}
