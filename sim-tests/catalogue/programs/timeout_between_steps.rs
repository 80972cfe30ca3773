//! **A timeout that fires between two steps.** A transfer request travels
//! to the bank in 1 to 200 ms (`random::range(1..201)`); the bank withdraws,
//! writes its journal (1 ms), then deposits. The client wraps the whole
//! exchange in a timeout of 200.5 ms, just above the network's worst case.
//!
//! It fails only when the request takes the full 200 ms: the withdrawal
//! happens at 200 ms, the timeout fires at 200.5 ms and drops the exchange
//! before the deposit at 201 ms, and the money is gone. Uniform draws hit
//! that one value in 200 runs (one deviation: the longest delay); PCT's
//! swarm bias makes the site slow in a quarter of its runs, and its
//! delay-bounded half pushes the one draw to its top in half of them. Fix:
//! the timeout bounds only the wait for the request to arrive; the two
//! steps run whole once it has.

use std::cell::Cell;
use std::time::Duration;

use seedloop::{random, sleep, timeout};

use super::ms;

/// The two accounts: 100 in total.
struct Accounts {
    from: Cell<i64>,
    to: Cell<i64>,
}

impl Accounts {
    fn new() -> Accounts {
        Accounts {
            from: Cell::new(100),
            to: Cell::new(0),
        }
    }

    /// Withdraws, writes the journal, deposits: two steps 1 ms apart.
    async fn transfer(&self, amount: i64) {
        self.from.set(self.from.get() - amount);
        sleep(ms(1)).await; // the journal write
        self.to.set(self.to.get() + amount);
    }

    fn check(&self) {
        assert_eq!(self.from.get() + self.to.get(), 100, "money vanished");
    }
}

/// The client's timeout for a transfer.
fn client_timeout() -> Duration {
    Duration::from_micros(200_500)
}

/// The request's trip to the bank: 1 to 200 ms.
async fn request_arrives() {
    sleep(ms(random::range(1..201))).await;
}

/// The timeout covers the trip and both steps.
pub async fn timeout_between_steps() {
    let accounts = Accounts::new();
    let _ = timeout(client_timeout(), async {
        request_arrives().await;
        accounts.transfer(30).await;
    })
    .await;
    accounts.check();
}

/// The fix: the timeout covers the trip only.
pub async fn timeout_between_steps_fixed() {
    let accounts = Accounts::new();
    if timeout(client_timeout(), request_arrives()).await.is_ok() {
        accounts.transfer(30).await;
    }
    accounts.check();
}
