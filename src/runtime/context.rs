//! The thread-local "current runtime", and the guard that restores the
//! previous one on drop.

use std::cell::RefCell;
use std::rc::Rc;

use super::ids::WakeKey;
use super::Core;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Runs `f` with the current runtime, or panics with a message that says
/// what `what` needs and how to provide it.
pub(crate) fn with_core<R>(what: &str, f: impl FnOnce(&Rc<Core>) -> R) -> R {
    try_with_core(f).unwrap_or_else(|| {
        panic!(
            "{what} was called outside a seedloop runtime: call it from inside \
             `Sim::new(seed).run(async {{ .. }})` (sim) or `seedloop::run(async {{ .. }})` (real)"
        )
    })
}

/// Runs `f` with the current runtime, if there is one.
pub(crate) fn try_with_core<R>(f: impl FnOnce(&Rc<Core>) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// Wakes the task `key` names (if it is still alive) when the runtime tagged
/// `tag` is current on this thread; says whether it was.
pub(crate) fn wake_local(tag: u16, key: WakeKey) -> bool {
    CURRENT
        .try_with(|c| match &*c.borrow() {
            Some(core) if core.tag.get() == tag => {
                core.wake_by_waker(key);
                true
            }
            _ => false,
        })
        .unwrap_or(false)
}

/// Whether any runtime is current on this thread.
pub(crate) fn is_entered() -> bool {
    CURRENT.try_with(|c| c.borrow().is_some()).unwrap_or(false)
}

/// Makes a runtime current until dropped; the previous one comes back then,
/// also when the thread unwinds from a panic.
pub(crate) struct EnterGuard {
    previous: Option<Rc<Core>>,
}

impl EnterGuard {
    pub fn enter(core: Rc<Core>) -> EnterGuard {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(core));
        EnterGuard { previous }
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs `f` with the current runtime, or `None` if there is none, without
/// touching the runtime's reference count: with a runtime current, `f`
/// runs under a shared borrow of the current-runtime cell. Every other
/// reader takes a shared borrow too (`f` may wake tasks and record
/// events), and the only mutable borrows (entering and leaving a run)
/// cannot happen then: a run does not start while one is current. With
/// none current, `f` runs outside the cell (it may even start a run).
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    let mut f = Some(f);
    let inside = CURRENT.try_with(|c| match c.borrow().as_deref() {
        Some(core) => f.take().map(|f| f(Some(core))),
        None => None,
    });
    match (inside, f) {
        (Ok(Some(out)), _) => out,
        (_, Some(f)) => f(None),
        (_, None) => unreachable!("`f` ran inside the runtime and returned"),
    }
}
