//! Helpers shared by the scenario tests.

#![allow(dead_code)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use seedloop::{time::Instant, Policy, Sim};

/// A log of `(virtual seconds, message)` lines that tasks append to.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn new() -> Log {
        Log::default()
    }

    /// Appends `"<time> <msg>"`, the time with 3 decimals.
    pub fn say(&self, msg: impl AsRef<str>) {
        let t = Instant::now().as_secs_f64();
        self.0.borrow_mut().push(format!("{t:.3} {}", msg.as_ref()));
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// Seconds as a `Duration`.
pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// A bool as Python prints it, to compare with CPython's output.
pub fn py(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// A FIFO sim: asyncio's order.
pub fn fifo() -> Sim {
    Sim::new(0).policy(Policy::Fifo)
}

/// Polls `fut` once, with the current task's waker: to look at a future
/// after its first poll (waiting in line, or done at once).
pub async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx: &mut Context<'_>| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

/// Snapshot settings: snapshots at the crate root, no module prefix.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// A failure report without its last events and how to reproduce it: the
/// part of a report the docs show.
pub fn report_head(report: &str) -> String {
    let end = report.find("last events:").unwrap_or(report.len());
    report[..end].trim_end().to_string()
}
