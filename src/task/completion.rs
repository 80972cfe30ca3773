//! `ChildTasks`: the tasks a combinator spawned, handed back in the order
//! they ended.
//!
//! Each child gets a done hook at spawn time that appends its index to a
//! shared [`CompletionLog`] and wakes the combinator. Because the hook runs
//! at the very moment the task ends, the log holds the order of endings in
//! the schedule, also for children that end at the same virtual instant and
//! for children that end before the combinator is first polled.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use super::{JoinError, Task};
use crate::runtime::blocker::{Blocker, WaitOn};
use crate::runtime::context::try_with_core;
use crate::runtime::ids::TaskId;

/// What the children's done hooks share with the combinator. Also what a
/// blocked combinator shows in a deadlock report.
pub(crate) struct CompletionLog {
    /// The combinator's name, e.g. `Gather#1`.
    label: Rc<str>,
    /// Child ids, by index.
    ids: RefCell<Vec<TaskId>>,
    /// Whether each child has ended, by index.
    ended: RefCell<Vec<bool>>,
    /// Indexes of ended children not yet handed out, in ending order.
    queue: RefCell<VecDeque<usize>>,
    waker: RefCell<Option<Waker>>,
}

impl CompletionLog {
    fn child_ended(&self, index: usize) {
        if let Some(e) = self.ended.borrow_mut().get_mut(index) {
            *e = true;
        }
        self.queue.borrow_mut().push_back(index);
        let w = self.waker.borrow_mut().take();
        if let Some(w) = w {
            w.wake();
        }
    }

    fn unfinished_ids(&self) -> Vec<TaskId> {
        let ended = self.ended.borrow();
        self.ids
            .borrow()
            .iter()
            .zip(ended.iter())
            .filter(|(_, e)| !**e)
            .map(|(id, _)| *id)
            .collect()
    }
}

impl Blocker for CompletionLog {
    fn describe(&self, name: &dyn Fn(TaskId) -> String) -> String {
        let waiting = self.unfinished_ids();
        let names: Vec<String> = waiting.iter().map(|id| name(*id)).collect();
        format!(
            "{} (waiting for {} of {} children: {})",
            self.label,
            waiting.len(),
            self.ids.borrow().len(),
            names.join(", ")
        )
    }

    fn holders(&self) -> Vec<TaskId> {
        self.unfinished_ids()
    }
}

/// A combinator's children. Dropping it drops their handles, which cancels
/// every child still running.
pub(crate) struct ChildTasks<T> {
    /// By index; `None` once the output was handed out or the task detached.
    tasks: Vec<Option<Task<T>>>,
    log: Rc<CompletionLog>,
}

impl<T> ChildTasks<T> {
    pub fn new(label: Rc<str>) -> ChildTasks<T> {
        ChildTasks {
            tasks: Vec::new(),
            log: Rc::new(CompletionLog {
                label,
                ids: RefCell::default(),
                ended: RefCell::default(),
                queue: RefCell::default(),
                waker: RefCell::default(),
            }),
        }
    }

    /// Adds a child; returns its index.
    pub fn push(&mut self, task: Task<T>) -> usize {
        let index = self.tasks.len();
        self.log.ids.borrow_mut().push(task.id());
        self.log.ended.borrow_mut().push(false);
        let log: Weak<CompletionLog> = Rc::downgrade(&self.log);
        task.add_done_hook(Box::new(move |_| {
            if let Some(log) = log.upgrade() {
                log.child_ended(index);
            }
        }));
        self.tasks.push(Some(task));
        index
    }

    /// The next child to have ended, with its output, in ending order.
    pub fn next_ended(&mut self) -> Option<(usize, Result<T, JoinError>)> {
        loop {
            let index = self.log.queue.borrow_mut().pop_front()?;
            let Some(mut task) = self.tasks.get_mut(index).and_then(Option::take) else {
                continue; // detached or handed out in `take_unfinished`
            };
            let mut cx = Context::from_waker(futures::task::noop_waker_ref());
            match Pin::new(&mut task).poll(&mut cx) {
                Poll::Ready(out) => return Some((index, out)),
                Poll::Pending => unreachable!("a task whose done hook ran has ended"),
            }
        }
    }

    /// Wakes `cx` when the next child ends, and notes for the deadlock report
    /// that the current task waits on these children (if any still run).
    pub fn wait_for_next(&self, cx: &Context<'_>) {
        let mut w = self.log.waker.borrow_mut();
        match &*w {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => *w = Some(cx.waker().clone()),
        }
        drop(w);
        if self.unfinished() > 0 {
            let blocker: Rc<dyn Blocker> = self.log.clone();
            try_with_core(|core| core.note_wait(WaitOn::Object(blocker)));
        }
    }

    /// How many children have not ended yet.
    pub fn unfinished(&self) -> usize {
        self.log.ended.borrow().iter().filter(|e| !**e).count()
    }

    /// The ids of the children that have not ended yet, in index order.
    pub fn unfinished_ids(&self) -> Vec<TaskId> {
        self.log.unfinished_ids()
    }

    /// How many children there are, ended or not.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// The id of child `index`.
    pub fn id(&self, index: usize) -> TaskId {
        self.log.ids.borrow()[index]
    }

    /// Asks every child that has not ended to stop, giving `reason`.
    pub fn cancel_unfinished(&self, reason: &str) {
        let ended = self.log.ended.borrow().clone();
        for (task, ended) in self.tasks.iter().zip(ended) {
            if let (Some(task), false) = (task, ended) {
                task.cancel_with(reason);
            }
        }
    }

    /// Lets every child that has not ended run on without a handle.
    pub fn detach_unfinished(&mut self) {
        for task in self.tasks.iter_mut().filter_map(Option::take) {
            task.detach();
        }
    }

    /// The handles of the children that were not handed out yet, in index
    /// order (children that ended but were not collected come too).
    pub fn take_remaining(&mut self) -> Vec<Task<T>> {
        self.tasks.iter_mut().filter_map(Option::take).collect()
    }

    /// How many children ended and were not handed out yet.
    pub fn ended_not_taken(&self) -> usize {
        let ended = self.log.ended.borrow();
        self.tasks
            .iter()
            .zip(ended.iter())
            .filter(|(t, e)| t.is_some() && **e)
            .count()
    }

    /// Whether a child that has not ended is still held here (dropping
    /// `self` would cancel it).
    pub fn holds_unfinished(&self) -> bool {
        let ended = self.log.ended.borrow();
        self.tasks
            .iter()
            .zip(ended.iter())
            .any(|(t, e)| t.is_some() && !*e)
    }
}
