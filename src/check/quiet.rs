//! Silencing the panic hook while a check explores schedules.
//!
//! A sweep may see thousands of panicking runs; printing each would bury the
//! one report that matters. On threads marked quiet, the process's panic hook
//! is skipped; everywhere else it runs as before. The final re-run of the
//! failing schedule happens with the hook active, so the user sees the panic
//! once, with its location.
//!
//! The hook also notes where the first panic of a run happened, quiet or
//! not: shrinking compares failures by that place (see `outcome.rs`).

use std::cell::{Cell, RefCell};
use std::panic;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// `file:line:column` of the first panic since `forget_panic_site`.
    static PANIC_SITE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if let Some(at) = info.location() {
                PANIC_SITE.with(|site| {
                    site.borrow_mut().get_or_insert_with(|| at.to_string());
                });
            }
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f` with panic messages silenced on this thread.
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> R {
    install();
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let restore = Restore(QUIET.with(|q| q.replace(true)));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(out) => out,
        Err(payload) => {
            // A panic that escapes a quiet stretch is not a run's (the
            // runtime catches those): it is the harness's, or the test
            // body's outside its run. Its message was silenced; say it.
            drop(restore);
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(a non-string payload)");
            eprintln!("seedloop check: a panic escaped while exploring: {message}");
            std::panic::resume_unwind(payload)
        }
    }
}

/// Forgets the noted panic site: call before a run.
pub(crate) fn forget_panic_site() {
    install();
    PANIC_SITE.with(|site| site.borrow_mut().take());
}

/// Where the first panic since `forget_panic_site` happened, if one did.
pub(crate) fn take_panic_site() -> Option<String> {
    PANIC_SITE.with(|site| site.borrow_mut().take())
}
