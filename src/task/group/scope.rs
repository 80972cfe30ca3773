//! `Scope`: the future of [`TaskGroup::scope`]: runs the body, watches the
//! children, aborts on the first failure, returns when every child is gone.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Failure, GroupError, GroupState, TaskGroup};
use crate::task::object::id_list;
use crate::task::JoinError;

/// The future returned by [`TaskGroup::scope`].
#[must_use = "futures do nothing unless awaited; dropping a Scope cancels its children"]
pub struct Scope<Fut, R, E> {
    group: TaskGroup<E>,
    /// `None` once it returned or was dropped by an abort.
    body: Option<Pin<Box<Fut>>>,
    output: Option<R>,
}

impl<Fut, R, E> Scope<Fut, R, E> {
    pub(super) fn new(group: TaskGroup<E>, body: Fut) -> Scope<Fut, R, E> {
        Scope {
            group,
            body: Some(Box::pin(body)),
            output: None,
        }
    }
}

impl<Fut, R, E> Unpin for Scope<Fut, R, E> {}

impl<Fut, R, E> Scope<Fut, R, E>
where
    Fut: Future<Output = Result<R, E>>,
    E: 'static,
{
    /// Records a failure; the first one aborts the group.
    fn fail(&mut self, failure: Failure<E>) {
        let inner = &self.group.inner;
        let what = match &failure {
            Failure::Error { task, .. } => format!("{task} returned an error"),
            Failure::Panicked { task, .. } => format!("{task} panicked"),
            Failure::Body(_) => "the body returned an error".to_string(),
        };
        inner
            .label
            .record("failure", |out| out.push_str(&what.clone()));
        inner.failures.borrow_mut().push(failure);
        if matches!(inner.state.get(), GroupState::Open | GroupState::Joining) {
            self.abort(&what);
        }
    }

    /// `Open | Joining → Aborting`: drops the body, cancels the children.
    fn abort(&mut self, why: &str) {
        let inner = &self.group.inner;
        inner.state.set(GroupState::Aborting);
        let body = self.body.take();
        let unfinished = inner.children.borrow().unfinished_ids();
        inner.label.record("abort", |out| {
            out.push_str(&{
                let body = if body.is_some() { "body and " } else { "" };
                format!("cancels {body}[{}]", id_list(unfinished.iter().copied()))
            })
        });
        let reason = format!("{} aborted: {why}", inner.label.name());
        inner.children.borrow().cancel_unfinished(&reason);
        // The body's destructors run here, in the owner's task; the group is
        // already aborting, so they cannot spawn into it.
        drop(body);
    }

    /// Hands out the children that ended, in the order they ended.
    fn collect_ended(&mut self) {
        loop {
            let next = self.group.inner.children.borrow_mut().next_ended();
            let Some((index, out)) = next else { break };
            let task = self.group.inner.children.borrow().id(index);
            match out {
                Ok(Ok(())) => {}
                Ok(Err(error)) => self.fail(Failure::Error { task, error }),
                Err(JoinError::Panicked { message }) => {
                    self.fail(Failure::Panicked { task, message })
                }
                // Cancelled through its handle, by the abort, or by the end
                // of the run: not a failure.
                Err(_) => {}
            }
        }
    }
}

impl<Fut, R, E> Future for Scope<Fut, R, E>
where
    Fut: Future<Output = Result<R, E>>,
    E: 'static,
{
    type Output = Result<R, GroupError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(
            this.group.inner.state.get() != GroupState::Closed,
            "a TaskGroup scope was polled after it completed"
        );
        this.collect_ended();
        if let Some(body) = this.body.as_mut() {
            match body.as_mut().poll(cx) {
                Poll::Pending => {}
                Poll::Ready(Ok(r)) => {
                    this.body = None;
                    this.output = Some(r);
                    let inner = &this.group.inner;
                    inner.state.set(GroupState::Joining);
                    inner.label.record("join", |out| {
                        out.push_str(&{
                            format!("[{}]", id_list(inner.children.borrow().unfinished_ids()))
                        })
                    });
                }
                Poll::Ready(Err(e)) => {
                    this.body = None;
                    this.fail(Failure::Body(e));
                }
            }
        }
        let inner = &this.group.inner;
        if this.body.is_none() && inner.children.borrow().unfinished() == 0 {
            inner.state.set(GroupState::Closed);
            let failures = std::mem::take(&mut *inner.failures.borrow_mut());
            if failures.is_empty() {
                inner.label.record("done", |_| {});
                let out = this.output.take().expect("the body returned Ok");
                return Poll::Ready(Ok(out));
            }
            inner.label.record("failed", |out| {
                out.push_str(&format!("{} failure(s)", failures.len()))
            });
            this.output = None;
            return Poll::Ready(Err(GroupError::new(
                inner.label.name().to_string(),
                failures,
            )));
        }
        inner.children.borrow().wait_for_next(cx);
        Poll::Pending
    }
}

impl<Fut, R, E> Drop for Scope<Fut, R, E> {
    fn drop(&mut self) {
        let inner = &self.group.inner;
        if inner.state.get() == GroupState::Closed {
            return;
        }
        inner.state.set(GroupState::Closed);
        let unfinished = inner.children.borrow().unfinished_ids();
        inner.label.record("drop", |out| {
            out.push_str(&{
                let body = if self.body.is_some() { "body and " } else { "" };
                format!("cancels {body}[{}]", id_list(unfinished.iter().copied()))
            })
        });
        let reason = format!("{} was dropped", inner.label.name());
        inner.children.borrow().cancel_unfinished(&reason);
        drop(self.body.take());
        // Release the handles: the children hold `TaskGroup` clones, so the
        // group's state lives on until they are gone.
        let tasks = inner.children.borrow_mut().take_remaining();
        drop(tasks);
    }
}

impl<Fut, R, E> fmt::Debug for Scope<Fut, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("group", &self.group)
            .field("body_running", &self.body.is_some())
            .finish()
    }
}
