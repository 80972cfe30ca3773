//! Silencing the panic hook while a check explores schedules.
//!
//! A sweep may see thousands of panicking runs; printing each would bury the
//! one report that matters. On threads marked quiet, the process's panic hook
//! is skipped; everywhere else it runs as before. The final re-run of the
//! failing schedule happens with the hook active, so the user sees the panic
//! once, with its location.

use std::cell::Cell;
use std::panic;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
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
    let _restore = Restore(QUIET.with(|q| q.replace(true)));
    f()
}
