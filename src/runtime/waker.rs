//! Task wakers: `Send + Sync` handles that find their task again, without
//! allocating, and never find another task.
//!
//! A task's `Waker` carries no pointer at all: its data word *is* the task's
//! address, packed as `stamp (32 bits) | slot index (22) | runtime tag (10)`.
//! Cloning copies the word, dropping does nothing, and waking unpacks it:
//!
//! - on the thread where the runtime tagged so is current, the task goes
//!   straight into the ready set;
//! - anywhere else, the slot and stamp go into the runtime's [`RemoteInbox`],
//!   found through a global table of live runtimes by tag, and the loop
//!   drains the inbox at the start of its next turn.
//!
//! Either way the wake is accepted only if the slot's occupant has the
//! waker's stamp (`TaskArena::resolve`). Stamps come from one process-wide
//! counter (`ids.rs`), so:
//!
//! - a waker of a run that has ended does nothing, locally or from another
//!   thread, however many runs followed on this thread: tags are reused (the
//!   lowest free one), slots restart at 0 in every run, but no later task
//!   has the stamp;
//! - a waker never reaches a later occupant of its task's slot.
//!
//! Both hold until 2^32 stamps have been handed out in the process after the
//! waker's task was spawned; even then, a stale waker reaches a task only if
//! that task's stamp is the same modulo 2^32 *and* it sits in the same slot
//! of a runtime with the same tag.
//!
//! # Limits
//! At most 1,024 runtimes alive at once in one process (10 bits of tag) and
//! 2^22 tasks alive at once in one runtime (22 bits of slot index); beyond
//! either, creating the runtime or spawning the task panics and says so.
//!
//! Per-task `Arc` wakers cost an allocation, a free and a cache miss per
//! wake; `cargo bench --bench core` measured the difference (see the commit
//! that introduced this file). The price is one `unsafe` call, below, and
//! the requirement of 64-bit pointers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::context;
use super::ids::WakeKey;

#[cfg(not(target_pointer_width = "64"))]
compile_error!("seedloop packs task keys into waker data words and needs 64-bit pointers");

/// Wake-ups that arrived from other threads.
#[derive(Default)]
pub(crate) struct RemoteInbox {
    keys: Mutex<Vec<WakeKey>>,
    /// Set after every push, cleared by `take`: lets the loop look at an
    /// empty inbox (the usual case, twice a turn) without locking. A push
    /// sets it before it notifies, so a park never misses one.
    maybe_pending: AtomicBool,
    notify: Mutex<Option<Arc<dyn Fn() + Send + Sync>>>,
}

impl RemoteInbox {
    pub fn push(&self, key: WakeKey) {
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

    #[inline]
    pub fn take(&self) -> Vec<WakeKey> {
        // A plain load first: the swap's locked write is paid only when
        // something may be waiting.
        if !self.maybe_pending.load(Ordering::Relaxed) {
            return Vec::new();
        }
        self.take_pending()
    }

    #[inline(never)]
    fn take_pending(&self) -> Vec<WakeKey> {
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

/// How many runtimes may be alive at once (a waker has 10 bits of tag).
pub(crate) const MAX_LIVE_RUNTIMES: usize = 1 << TAG_BITS;

const STAMP_BITS: u32 = 32;
const INDEX_BITS: u32 = 22;
const TAG_BITS: u32 = 10;
const _: () = assert!(STAMP_BITS + INDEX_BITS + TAG_BITS == 64);
const _: () = assert!(super::arena::MAX_LIVE_TASKS == 1 << INDEX_BITS);

/// A runtime's entry in the table; frees the tag when dropped.
pub(crate) struct RuntimeTag {
    tag: u16,
}

impl RuntimeTag {
    /// Registers a runtime's inbox under the lowest free tag.
    ///
    /// # Panics
    /// With more than 1,024 runtimes alive at once in one process.
    pub fn register(inbox: &Arc<RemoteInbox>) -> RuntimeTag {
        let mut live = LIVE_RUNTIMES.lock().unwrap_or_else(PoisonError::into_inner);
        let weak = Some(Arc::downgrade(inbox));
        let tag = match live.iter().position(Option::is_none) {
            Some(free) => {
                live[free] = weak;
                free
            }
            None => {
                assert!(
                    live.len() < MAX_LIVE_RUNTIMES,
                    "more than {MAX_LIVE_RUNTIMES} seedloop runtimes are alive at once in \
                     this process (a task waker has 10 bits for its runtime's tag)"
                );
                live.push(weak);
                live.len() - 1
            }
        };
        RuntimeTag { tag: tag as u16 }
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

fn pack(tag: u16, key: WakeKey) -> usize {
    debug_assert!(u64::from(key.index) < 1 << INDEX_BITS && u64::from(tag) < 1 << TAG_BITS);
    (u64::from(key.stamp)
        | u64::from(key.index) << STAMP_BITS
        | u64::from(tag) << (STAMP_BITS + INDEX_BITS)) as usize
}

fn unpack(word: usize) -> (u16, WakeKey) {
    let w = word as u64;
    let key = WakeKey {
        stamp: w as u32,
        index: ((w >> STAMP_BITS) & ((1 << INDEX_BITS) - 1)) as u32,
    };
    ((w >> (STAMP_BITS + INDEX_BITS)) as u16, key)
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

/// The runtime tag and wake key a waker of ours carries (`None` for a
/// waker made elsewhere).
pub(crate) fn decode(waker: &Waker) -> Option<(u16, WakeKey)> {
    std::ptr::eq(waker.vtable(), &VTABLE).then(|| unpack(waker.data().addr()))
}

/// The waker of the task `key` names in the runtime tagged `tag`.
#[allow(unsafe_code)]
pub(crate) fn task_waker(tag: u16, key: WakeKey) -> Waker {
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
        let key = WakeKey {
            index: (1 << INDEX_BITS) - 1,
            stamp: 0xdead_beef,
        };
        assert_eq!(unpack(pack(0x3ff, key)), (0x3ff, key));
        let key = WakeKey {
            index: 0x2_abcd,
            stamp: 1,
        };
        assert_eq!(unpack(pack(5, key)), (5, key));
        assert_eq!(unpack(pack(0, key)), (0, key));
    }

    #[test]
    fn waking_a_finished_runtime_does_nothing() {
        let inbox = Arc::new(RemoteInbox::default());
        let tag = RuntimeTag::register(&inbox);
        let key = WakeKey { index: 3, stamp: 1 };
        let waker = task_waker(tag.get(), key);
        let w2 = waker.clone();
        std::thread::spawn(move || w2.wake()).join().unwrap();
        assert_eq!(inbox.take(), vec![key]);
        drop(tag);
        waker.wake_by_ref();
        assert!(inbox.take().is_empty());
    }
}
