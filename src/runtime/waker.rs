//! Task wakers: `Send + Sync` handles that find their task again.
//!
//! A waker woken on the runtime's own thread puts its task straight into the
//! ready set. Woken from another thread, it leaves the task's key in the
//! runtime's [`RemoteInbox`], which the loop drains at the start of each turn.

use std::sync::{Arc, Mutex};
use std::task::Wake;

use super::context;
use super::ids::TaskKey;

/// Wake-ups that arrived from other threads.
#[derive(Default)]
pub(crate) struct RemoteInbox {
    keys: Mutex<Vec<u64>>,
    notify: Mutex<Option<Arc<dyn Fn() + Send + Sync>>>,
}

impl RemoteInbox {
    pub fn push(&self, key: TaskKey) {
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(key.pack());
        let notify = self
            .notify
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(n) = notify {
            n();
        }
    }

    pub fn take(&self) -> Vec<TaskKey> {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.drain(..).map(TaskKey::unpack).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// Sets what to call after a remote push (the real driver's poll waker).
    #[allow(dead_code)] // used by the real-mode driver
    pub fn set_notify(&self, f: Arc<dyn Fn() + Send + Sync>) {
        *self.notify.lock().unwrap_or_else(|p| p.into_inner()) = Some(f);
    }
}

/// The data behind a task's `Waker`.
pub(crate) struct TaskWaker {
    pub runtime: u64,
    pub key: TaskKey,
    pub inbox: Arc<RemoteInbox>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !context::wake_local(self.runtime, self.key) {
            self.inbox.push(self.key);
        }
    }
}
