//! The ready set: tasks that can run and callbacks that are due, in arrival order.
//!
//! The scheduling policy picks by index among the *options*: every task that
//! was ready when the current turn began, plus the oldest such callback
//! (callbacks keep their registration order among themselves under every
//! policy, as asyncio guarantees). Options are listed in arrival order, so
//! option 0 is always what asyncio would run next.
//!
//! The *turn fence* keeps asyncio's turn structure under every policy:
//! whatever becomes ready during a turn (a task woken, a callback scheduled)
//! waits behind the fence until the next turn, so `call_soon` really means
//! "next turn" and `yield_now` really lets every ready task run first. A
//! policy permutes the order *within* a turn, never across turns.

use std::collections::VecDeque;
use std::rc::Rc;

use super::callbacks::CallbackCell;
use super::ids::{TaskId, TaskKey};

/// Something the loop can run next.
pub(crate) enum Runnable {
    Task(TaskKey),
    Callback(Rc<CallbackCell>),
}

/// What a policy sees of one option: enough to tell options apart, no more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choosable {
    /// A ready task.
    Task(TaskId),
    /// The oldest due callback.
    Callback,
}

#[derive(Default)]
pub(crate) struct ReadySet {
    tasks: VecDeque<(u64, TaskKey, TaskId)>,
    callbacks: VecDeque<(u64, Rc<CallbackCell>)>,
    next_seq: u64,
    /// Items with a sequence number below the fence belong to this turn.
    fence: u64,
    /// How many of `tasks` (a prefix: they are in sequence order) belong to
    /// this turn.
    turn_tasks: usize,
}

impl ReadySet {
    pub fn push_task(&mut self, key: TaskKey, id: TaskId) {
        let seq = self.bump();
        self.tasks.push_back((seq, key, id));
    }

    pub fn push_callback(&mut self, cb: Rc<CallbackCell>) {
        let seq = self.bump();
        self.callbacks.push_back((seq, cb));
    }

    fn bump(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// Starts a turn: everything ready now is this turn's.
    pub fn begin_turn(&mut self) {
        self.fence = self.next_seq;
        self.turn_tasks = self.tasks.len();
    }

    /// How many options a policy chooses among in this turn; 0 ends the turn.
    pub fn options(&self) -> usize {
        let callback = matches!(self.callbacks.front(), Some((seq, _)) if *seq < self.fence);
        self.turn_tasks + usize::from(callback)
    }

    /// Where this turn's head callback sits among the options.
    fn callback_position(&self) -> Option<usize> {
        let (seq, _) = self.callbacks.front()?;
        // Tasks are in sequence order and `seq` is below the fence, so this
        // position falls within the turn's prefix.
        (*seq < self.fence).then(|| self.tasks.partition_point(|(s, _, _)| s < seq))
    }

    /// The option at index `i`, for a policy to inspect.
    pub fn option(&self, i: usize) -> Choosable {
        match self.callback_position() {
            Some(p) if i == p => Choosable::Callback,
            Some(p) if i > p => Choosable::Task(self.tasks[i - 1].2),
            _ => Choosable::Task(self.tasks[i].2),
        }
    }

    /// Removes and returns option `i`. Panics if `i >= options()`.
    pub fn take(&mut self, i: usize) -> Runnable {
        let task_index = match self.callback_position() {
            Some(p) if i == p => {
                let (_, cb) = self.callbacks.pop_front().expect("head callback");
                return Runnable::Callback(cb);
            }
            Some(p) if i > p => i - 1,
            _ => i,
        };
        let (_, key, _) = self.tasks.remove(task_index).expect("option in range");
        self.turn_tasks -= 1;
        Runnable::Task(key)
    }

    /// Removes a cancelled callback so it is never offered as an option.
    pub fn remove_callback(&mut self, cb: &Rc<CallbackCell>) {
        self.callbacks.retain(|(_, c)| !Rc::ptr_eq(c, cb));
    }

    pub fn clear(&mut self) -> Vec<Rc<CallbackCell>> {
        self.tasks.clear();
        self.turn_tasks = 0;
        self.callbacks.drain(..).map(|(_, c)| c).collect()
    }
}
