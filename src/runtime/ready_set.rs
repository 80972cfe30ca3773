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

use std::cmp::Ordering;
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

/// Where an option is (see `ReadySet::locate`).
enum Located {
    Callback,
    Task(usize),
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
    #[inline]
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
    #[inline]
    pub fn begin_turn(&mut self) {
        self.fence = self.next_seq;
        self.turn_tasks = self.tasks.len();
    }

    /// How many options a policy chooses among in this turn; 0 ends the turn.
    #[inline]
    pub fn options(&self) -> usize {
        self.turn_tasks + usize::from(self.turn_callback().is_some())
    }

    /// The head callback's sequence number, if it belongs to this turn.
    #[inline]
    fn turn_callback(&self) -> Option<u64> {
        let (seq, _) = self.callbacks.front()?;
        (*seq < self.fence).then_some(*seq)
    }

    /// Where this turn's head callback sits among the options.
    fn callback_position(&self) -> Option<usize> {
        let seq = self.turn_callback()?;
        // Tasks are in sequence order and `seq` is below the fence, so this
        // position falls within the turn's prefix. (No task has the
        // callback's sequence number: `<` and `<=` agree here.)
        Some(self.tasks.partition_point(|(s, _, _)| *s < seq))
    }

    /// Where option `i` is: the head callback, or a task by its index in
    /// `tasks` (the options are the turn's tasks in order, with the callback
    /// at its arrival position among them).
    fn locate(&self, i: usize) -> Located {
        let Some(p) = self.callback_position() else {
            return Located::Task(i);
        };
        match i.cmp(&p) {
            Ordering::Less => Located::Task(i),
            Ordering::Equal => Located::Callback,
            Ordering::Greater => Located::Task(i - 1),
        }
    }

    /// The option at index `i`, for a policy to inspect.
    pub fn option(&self, i: usize) -> Choosable {
        match self.locate(i) {
            Located::Callback => Choosable::Callback,
            Located::Task(t) => Choosable::Task(self.tasks[t].2),
        }
    }

    /// Removes and returns option `i`. Panics if `i >= options()`.
    #[inline]
    pub fn take(&mut self, i: usize) -> Runnable {
        // Option 0 with no callback of this turn ahead of the first task:
        // the first task (asyncio's next; FIFO's every pick).
        if i == 0 && self.turn_tasks > 0 {
            let first_task = self.tasks[0].0;
            if self.turn_callback().is_none_or(|seq| seq > first_task) {
                let (_, key, _) = self.tasks.pop_front().expect("a turn task");
                self.turn_tasks -= 1;
                return Runnable::Task(key);
            }
        }
        match self.locate(i) {
            Located::Callback => {
                let (_, cb) = self.callbacks.pop_front().expect("head callback");
                Runnable::Callback(cb)
            }
            Located::Task(t) => {
                let (_, key, _) = self.tasks.remove(t).expect("option in range");
                self.turn_tasks -= 1;
                Runnable::Task(key)
            }
        }
    }

    /// Removes a cancelled callback so it is never offered as an option.
    pub fn remove_callback(&mut self, cb: &Rc<CallbackCell>) {
        self.callbacks.retain(|(_, c)| !Rc::ptr_eq(c, cb));
    }

    /// Makes an empty ready set fresh for another run (its buffers kept).
    /// Returns false, changing nothing, if anything is still ready.
    pub fn reset(&mut self) -> bool {
        if !self.tasks.is_empty() || !self.callbacks.is_empty() {
            return false;
        }
        self.next_seq = 0;
        self.fence = 0;
        self.turn_tasks = 0;
        true
    }

    pub fn clear(&mut self) -> Vec<Rc<CallbackCell>> {
        self.tasks.clear();
        self.turn_tasks = 0;
        self.callbacks.drain(..).map(|(_, c)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use super::*;
    use crate::slab::SlabKey;

    fn key(n: u32) -> TaskKey {
        SlabKey {
            index: n,
            generation: 7,
        }
    }

    fn callback(id: u64) -> Rc<CallbackCell> {
        Rc::new(CallbackCell {
            id,
            f: RefCell::new(None),
            cancelled: Cell::new(false),
            when: None,
            timer: Cell::new(None),
            locals: Cell::new(None),
            host: 0,
            host_epoch: 0,
        })
    }

    /// Pushes tasks (`t<n>`) and callbacks (`c<n>`) in the order written.
    fn ready_set(items: &[&str]) -> ReadySet {
        let mut ready = ReadySet::default();
        push(&mut ready, items);
        ready
    }

    fn push(ready: &mut ReadySet, items: &[&str]) {
        for item in items {
            let n: u64 = item[1..].parse().unwrap();
            match &item[..1] {
                "t" => ready.push_task(key(n as u32), TaskId(n)),
                "c" => ready.push_callback(callback(n)),
                _ => unreachable!(),
            }
        }
    }

    /// The options as `t<n>`/`c`, in index order.
    fn options(ready: &ReadySet) -> Vec<String> {
        (0..ready.options())
            .map(|i| match ready.option(i) {
                Choosable::Task(id) => format!("t{}", id.as_u64()),
                Choosable::Callback => "c".to_string(),
            })
            .collect()
    }

    /// What `take(i)` returned, as `t<n>`/`c<n>`.
    fn taken(r: Runnable) -> String {
        match r {
            Runnable::Task(k) => {
                assert_eq!(k.generation, 7);
                format!("t{}", k.index)
            }
            Runnable::Callback(cb) => format!("c{}", cb.id),
        }
    }

    #[test]
    fn nothing_is_an_option_before_the_turn_begins() {
        let mut ready = ready_set(&["t1", "c1"]);
        assert_eq!(ready.options(), 0);
        ready.begin_turn();
        assert_eq!(options(&ready), ["t1", "c"]);
    }

    #[test]
    fn the_head_callback_sits_among_the_tasks_in_arrival_order() {
        for (items, expected) in [
            (&["c1", "t1", "t2"][..], &["c", "t1", "t2"][..]),
            (&["t1", "c1", "t2"], &["t1", "c", "t2"]),
            (&["t1", "t2", "c1"], &["t1", "t2", "c"]),
            // Only the oldest callback is an option.
            (&["t1", "c1", "c2", "t2", "c3"], &["t1", "c", "t2"]),
        ] {
            let mut ready = ready_set(items);
            ready.begin_turn();
            assert_eq!(options(&ready), expected, "{items:?}");
        }
    }

    #[test]
    fn option_and_take_name_the_same_item_at_every_index() {
        let items = ["t1", "c1", "t2", "t3", "c2", "t4"];
        let turn_options = 5; // t1 c1 t2 t3 t4, c2 waits for c1
        for i in 0..turn_options {
            let mut ready = ready_set(&items);
            ready.begin_turn();
            let before = options(&ready);
            assert_eq!(before, ["t1", "c", "t2", "t3", "t4"]);
            let said = before[i].clone();
            let got = taken(ready.take(i));
            if said == "c" {
                assert_eq!(got, "c1");
            } else {
                assert_eq!(got, said, "option {i}");
            }
            // The others keep their order; the next callback moves up.
            let mut rest: Vec<String> = before.clone();
            rest.remove(i);
            if said == "c" {
                // c2 arrived after t3: it sits there now.
                rest = vec![
                    "t1".into(),
                    "t2".into(),
                    "t3".into(),
                    "c".into(),
                    "t4".into(),
                ];
            }
            assert_eq!(options(&ready), rest, "after taking option {i}");
        }
    }

    #[test]
    fn a_callback_queued_at_the_fence_waits_for_the_next_turn() {
        let mut ready = ready_set(&["t1", "t2"]);
        ready.begin_turn();
        // The first item after the fence: its sequence number is the fence.
        push(&mut ready, &["c1", "t3"]);
        assert_eq!(options(&ready), ["t1", "t2"]);
        assert_eq!(taken(ready.take(1)), "t2");
        assert_eq!(taken(ready.take(0)), "t1");
        assert_eq!(ready.options(), 0);
        ready.begin_turn();
        assert_eq!(options(&ready), ["c", "t3"]);
    }

    #[test]
    fn a_callback_queued_during_a_turn_after_a_task_of_the_turn_waits_too() {
        let mut ready = ready_set(&["t1", "c1"]);
        ready.begin_turn();
        push(&mut ready, &["c2"]);
        assert_eq!(taken(ready.take(1)), "c1");
        // c2 is the head callback now, but behind the fence.
        assert_eq!(options(&ready), ["t1"]);
        assert_eq!(taken(ready.take(0)), "t1");
        ready.begin_turn();
        assert_eq!(options(&ready), ["c"]);
        assert_eq!(taken(ready.take(0)), "c2");
    }

    #[test]
    fn a_removed_callback_is_never_offered() {
        let mut ready = ReadySet::default();
        let (c1, c2) = (callback(1), callback(2));
        ready.push_task(key(1), TaskId(1));
        ready.push_callback(c1.clone());
        ready.push_callback(c2.clone());
        ready.remove_callback(&c1);
        ready.begin_turn();
        assert_eq!(options(&ready), ["t1", "c"]);
        assert_eq!(taken(ready.take(1)), "c2");
        ready.remove_callback(&c2); // already taken: nothing happens
        assert_eq!(options(&ready), ["t1"]);
    }

    #[test]
    fn reset_refuses_while_a_task_or_a_callback_is_ready() {
        for items in [&["t1"][..], &["c1"][..], &["t1", "c1"][..]] {
            let mut ready = ready_set(items);
            assert!(!ready.reset(), "{items:?} still ready");
            assert_eq!(
                ready.clear().len(),
                items.iter().filter(|i| i.starts_with('c')).count()
            );
            assert!(ready.reset(), "{items:?} cleared");
        }
    }

    #[test]
    fn clear_returns_the_callbacks_and_forgets_the_tasks() {
        let mut ready = ready_set(&["t1", "c1", "t2", "c2"]);
        ready.begin_turn();
        let cbs: Vec<u64> = ready.clear().iter().map(|c| c.id).collect();
        assert_eq!(cbs, [1, 2]);
        assert_eq!(ready.options(), 0);
        ready.begin_turn();
        assert_eq!(ready.options(), 0);
    }
}
