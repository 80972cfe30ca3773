//! Task wakers: `Send + Sync` handles that find their task again, without
//! allocating.
//!
//! A task's `Waker` carries no pointer at all: its data word *is* the task's
//! address, packed as `index (32 bits) | generation (16) | runtime tag (16)`.
//! Cloning copies the word, dropping does nothing, and waking unpacks it:
//!
//! - on the thread where that runtime is current, the task goes straight into
//!   the ready set (stale keys are ignored by the arena's generation check);
//! - anywhere else, the key goes into the runtime's [`RemoteInbox`], found
//!   through a global table of live runtimes by tag, and the loop drains the
//!   inbox at the start of its next turn. A waker of a runtime that has ended
//!   does nothing.
//!
//! Per-task `Arc` wakers cost an allocation, a free and a cache miss per
//! wake; `cargo bench --bench core` measured the difference (see the commit
//! that introduced this file). The price is one `unsafe` call, below, and
//! the requirement of 64-bit pointers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::context;
use super::ids::TaskKey;

#[cfg(not(target_pointer_width = "64"))]
compile_error!("seedloop packs task keys into waker data words and needs 64-bit pointers");

/// Wake-ups that arrived from other threads.
#[derive(Default)]
pub(crate) struct RemoteInbox {
    keys: Mutex<Vec<TaskKey>>,
    /// Set after every push, cleared by `take`: lets the loop look at an
    /// empty inbox (the usual case, twice a turn) without locking. A push
    /// sets it before it notifies, so a park never misses one.
    maybe_pending: AtomicBool,
    notify: Mutex<Option<Arc<dyn Fn() + Send + Sync>>>,
}

impl RemoteInbox {
    pub fn push(&self, key: TaskKey) {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(key);
        self.maybe_pending.store(true, Ordering::Release);
        let notify = self
            .notify
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(n) = notify {
            n();
        }
    }

    pub fn take(&self) -> Vec<TaskKey> {
        if !self.maybe_pending.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        std::mem::take(&mut *self.keys.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn is_empty(&self) -> bool {
        !self.maybe_pending.load(Ordering::Acquire)
    }

    /// Sets what to call after a remote push (the real driver's poll waker).
    pub fn set_notify(&self, f: Arc<dyn Fn() + Send + Sync>) {
        *self.notify.lock().unwrap_or_else(PoisonError::into_inner) = Some(f);
    }
}

/// The table of live runtimes, by tag: how a waker woken on another thread
/// finds its runtime's inbox.
static LIVE_RUNTIMES: Mutex<Vec<Option<Weak<RemoteInbox>>>> = Mutex::new(Vec::new());

/// A runtime's entry in the table; frees the tag when dropped.
pub(crate) struct RuntimeTag {
    tag: u16,
}

impl RuntimeTag {
    /// Registers a runtime's inbox under the lowest free tag.
    ///
    /// # Panics
    /// With more than 65,536 runtimes alive at once in one process.
    pub fn register(inbox: &Arc<RemoteInbox>) -> RuntimeTag {
        let mut live = LIVE_RUNTIMES.lock().unwrap_or_else(PoisonError::into_inner);
        let weak = Some(Arc::downgrade(inbox));
        let tag = match live.iter().position(Option::is_none) {
            Some(free) => {
                live[free] = weak;
                free
            }
            None => {
                live.push(weak);
                live.len() - 1
            }
        };
        let tag = u16::try_from(tag)
            .expect("more than 65,536 seedloop runtimes are alive at once in this process");
        RuntimeTag { tag }
    }

    pub fn get(&self) -> u16 {
        self.tag
    }
}

impl Drop for RuntimeTag {
    fn drop(&mut self) {
        let mut live = LIVE_RUNTIMES.lock().unwrap_or_else(PoisonError::into_inner);
        live[usize::from(self.tag)] = None;
    }
}

fn pack(tag: u16, key: TaskKey) -> usize {
    (u64::from(key.index) | u64::from(key.generation) << 32 | u64::from(tag) << 48) as usize
}

fn unpack(word: usize) -> (u16, TaskKey) {
    let w = word as u64;
    let key = TaskKey {
        index: w as u32,
        generation: (w >> 32) as u16,
    };
    ((w >> 48) as u16, key)
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop_waker);

fn raw(word: usize) -> RawWaker {
    RawWaker::new(std::ptr::without_provenance(word), &VTABLE)
}

fn clone(data: *const ()) -> RawWaker {
    raw(data.addr())
}

fn wake(data: *const ()) {
    let (tag, key) = unpack(data.addr());
    if context::wake_local(tag, key) {
        return;
    }
    let inbox = {
        let live = LIVE_RUNTIMES.lock().unwrap_or_else(PoisonError::into_inner);
        live.get(usize::from(tag))
            .and_then(|w| w.as_ref())
            .and_then(Weak::upgrade)
    };
    if let Some(inbox) = inbox {
        inbox.push(key);
    }
}

fn drop_waker(_: *const ()) {}

/// The waker of task `key` in the runtime tagged `tag`.
#[allow(unsafe_code)]
pub(crate) fn task_waker(tag: u16, key: TaskKey) -> Waker {
    // SAFETY: `Waker::from_raw` requires the vtable functions to uphold the
    // `RawWaker` contract for this data pointer. Ours never dereference it:
    // the pointer is an integer (created without provenance, read back with
    // `addr`), so any number of copies may live on any thread for any time,
    // `clone` copies it, `drop_waker` does nothing, and `wake` only reads the
    // integer and locks a `Mutex`. All four functions are thread-safe.
    unsafe { Waker::from_raw(raw(pack(tag, key))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_packing() {
        let key = TaskKey {
            index: 0xdead_beef,
            generation: 0xabcd,
        };
        assert_eq!(unpack(pack(0x1234, key)), (0x1234, key));
    }

    #[test]
    fn waking_a_finished_runtime_does_nothing() {
        let inbox = Arc::new(RemoteInbox::default());
        let tag = RuntimeTag::register(&inbox);
        let key = TaskKey {
            index: 3,
            generation: 1,
        };
        let waker = task_waker(tag.get(), key);
        let w2 = waker.clone();
        std::thread::spawn(move || w2.wake()).join().unwrap();
        assert_eq!(inbox.take(), vec![key]);
        drop(tag);
        waker.wake_by_ref();
        assert!(inbox.take().is_empty());
    }
}
