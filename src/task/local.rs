//! Task-local values inherited at spawn: asyncio's `contextvars`.
//!
//! Every task has a context: a small map from [`TaskLocal`] to value. A task
//! starts with a copy of its spawner's context; a callback (`call_soon`,
//! `call_later`, `call_at`, `Task::on_done`) runs with a copy of the context
//! current when it was scheduled. Copies are cheap: the map sits behind an
//! `Rc` and is cloned only when someone writes to a shared one (copy on
//! write), and a run that never sets a value pays nothing at all.
//!
//! The core keeps the map opaque (`runtime::raw_task::Locals`) and makes the
//! right one current around each poll and each callback; this file is
//! everything that looks inside.
//!
//! Setting a value is not a trace event: values are arbitrary Rust values
//! with no stable text, and reading one must not change a trace.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::runtime::context::with_core;
use crate::runtime::raw_task::Locals;

/// One context: values by the address of their `static TaskLocal`.
#[derive(Clone, Default)]
struct LocalMap {
    entries: Vec<(usize, Rc<dyn Any>)>,
}

impl LocalMap {
    fn get(&self, key: usize) -> Option<&Rc<dyn Any>> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Puts `value` under `key` (removes the entry for `None`); returns the old one.
    fn replace(&mut self, key: usize, value: Option<Rc<dyn Any>>) -> Option<Rc<dyn Any>> {
        let at = self.entries.iter().position(|(k, _)| *k == key);
        match (at, value) {
            (Some(i), Some(v)) => Some(std::mem::replace(&mut self.entries[i].1, v)),
            (Some(i), None) => Some(self.entries.remove(i).1),
            (None, Some(v)) => {
                self.entries.push((key, v));
                None
            }
            (None, None) => None,
        }
    }
}

/// The value under `key` in the current context.
fn lookup(key: usize) -> Option<Rc<dyn Any>> {
    with_core("seedloop::task::TaskLocal", |core| {
        let locals = core.current_locals()?;
        let map = locals.downcast_ref::<LocalMap>()?;
        map.get(key).cloned()
    })
}

/// Replaces the value under `key` in the current context (copying the map
/// first if another task or callback shares it); returns the old value,
/// for the caller to drop outside the core.
fn replace(key: usize, value: Option<Rc<dyn Any>>) -> Option<Rc<dyn Any>> {
    with_core("seedloop::task::TaskLocal", |core| {
        let mut map: Rc<LocalMap> = match core.replace_locals(None) {
            Some(locals) => locals.downcast::<LocalMap>().unwrap_or_default(),
            None if value.is_none() => return None,
            None => Rc::default(),
        };
        let old = Rc::make_mut(&mut map).replace(key, value);
        let locals: Locals = if map.entries.is_empty() {
            None
        } else {
            Some(map)
        };
        core.replace_locals(locals);
        old
    })
}

/// A task-local variable: each task sees its own value, and a task starts
/// with the values its spawner had when it spawned it. asyncio:
/// `contextvars.ContextVar` (tokio: `task_local!`, without inheritance).
///
/// Declare one as a `static`; its address is its identity.
///
/// - [`spawn`](crate::spawn) (and every other way of starting a task)
///   copies the spawner's values into the new task: later [`set`]s on either
///   side are not seen by the other.
/// - `call_soon`, `call_later`, `call_at` and `Task::on_done` callbacks run
///   with the values current when they were scheduled.
/// - The main task starts with none set.
///
/// Works the same in sim and real mode. Setting a value is not recorded in
/// the trace.
///
/// [`set`]: TaskLocal::set
///
/// # Panics
/// Every method but [`name`](TaskLocal::name) panics outside a runtime.
///
/// ```
/// use seedloop::{Sim, spawn, task::TaskLocal};
///
/// static REQUEST_ID: TaskLocal<u64> = TaskLocal::new("request_id");
///
/// fn log(msg: &str) -> String {
///     format!("[{}] {msg}", REQUEST_ID.get().map_or("-".into(), |id| id.to_string()))
/// }
///
/// Sim::new(1).run(async {
///     assert_eq!(log("startup"), "[-] startup");
///     REQUEST_ID.set(7);
///     // Every task of the request logs with its id.
///     let db = spawn(async { log("query") });
///     assert_eq!(db.await.unwrap(), "[7] query");
/// }).unwrap();
/// ```
#[doc(alias = "ContextVar")]
#[doc(alias = "contextvars")]
#[doc(alias = "task_local")]
pub struct TaskLocal<T: 'static> {
    name: &'static str,
    _value: PhantomData<fn() -> T>,
}

impl<T: 'static> TaskLocal<T> {
    /// A task-local variable named `name` (for `Debug`). Use it in a `static`.
    ///
    /// ```
    /// use seedloop::task::TaskLocal;
    /// static USER: TaskLocal<String> = TaskLocal::new("user");
    /// assert_eq!(USER.name(), "user");
    /// ```
    pub const fn new(name: &'static str) -> TaskLocal<T> {
        TaskLocal {
            name,
            _value: PhantomData,
        }
    }

    /// The name given to [`new`](TaskLocal::new).
    ///
    /// ```
    /// use seedloop::task::TaskLocal;
    /// static DEPTH: TaskLocal<u32> = TaskLocal::new("depth");
    /// assert_eq!(DEPTH.name(), "depth");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn key(&'static self) -> usize {
        self as *const TaskLocal<T> as usize
    }

    /// Calls `f` with the current task's value, if one is set. asyncio:
    /// `ContextVar.get()`.
    ///
    /// ```
    /// use seedloop::{Sim, task::TaskLocal};
    /// static PATH: TaskLocal<Vec<String>> = TaskLocal::new("path");
    /// Sim::new(1).run(async {
    ///     assert_eq!(PATH.with(|p| p.map(Vec::len)), None);
    ///     PATH.set(vec!["api".into(), "users".into()]);
    ///     assert_eq!(PATH.with(|p| p.map(Vec::len)), Some(2));
    /// }).unwrap();
    /// ```
    pub fn with<R>(&'static self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let value = lookup(self.key());
        f(value.as_deref().and_then(|v| v.downcast_ref::<T>()))
    }

    /// A clone of the current task's value, if one is set. asyncio:
    /// `ContextVar.get()`.
    ///
    /// ```
    /// use seedloop::{Sim, task::TaskLocal};
    /// static USER: TaskLocal<&'static str> = TaskLocal::new("user");
    /// Sim::new(1).run(async {
    ///     assert_eq!(USER.get(), None);
    ///     USER.set("ada");
    ///     assert_eq!(USER.get(), Some("ada"));
    /// }).unwrap();
    /// ```
    pub fn get(&'static self) -> Option<T>
    where
        T: Clone,
    {
        self.with(|v| v.cloned())
    }

    /// Sets the current task's value (or the running callback's). Tasks
    /// spawned from now on start with it; tasks spawned before keep theirs.
    /// asyncio: `ContextVar.set(value)`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now, task::TaskLocal};
    /// static MODE: TaskLocal<&'static str> = TaskLocal::new("mode");
    /// Sim::new(1).run(async {
    ///     MODE.set("before");
    ///     let child = spawn(async {
    ///         yield_now().await;
    ///         MODE.get()
    ///     });
    ///     MODE.set("after"); // not seen by the child: it has its own copy
    ///     assert_eq!(child.await.unwrap(), Some("before"));
    /// }).unwrap();
    /// ```
    pub fn set(&'static self, value: T) {
        drop(replace(self.key(), Some(Rc::new(value))));
    }

    /// Unsets the current task's value; returns whether one was set.
    ///
    /// ```
    /// use seedloop::{Sim, task::TaskLocal};
    /// static TOKEN: TaskLocal<u32> = TaskLocal::new("token");
    /// Sim::new(1).run(async {
    ///     TOKEN.set(1);
    ///     assert!(TOKEN.remove());
    ///     assert_eq!(TOKEN.get(), None);
    ///     assert!(!TOKEN.remove());
    /// }).unwrap();
    /// ```
    pub fn remove(&'static self) -> bool {
        let old = replace(self.key(), None);
        old.is_some()
    }

    /// Runs `fut` with this variable set to `value`: inside, the value is
    /// seen (and inherited by tasks spawned there); outside, between
    /// `fut`'s polls and after it, the variable is as it was. A `set` inside
    /// stays inside. (tokio: `LocalKey::scope`.)
    ///
    /// ```
    /// use seedloop::{Sim, spawn, task::TaskLocal};
    /// static DEPTH: TaskLocal<u32> = TaskLocal::new("depth");
    /// Sim::new(1).run(async {
    ///     let inner = DEPTH.scope(1, async {
    ///         let child = spawn(async { DEPTH.get() });
    ///         (DEPTH.get(), child.await.unwrap())
    ///     });
    ///     assert_eq!(inner.await, (Some(1), Some(1)));
    ///     assert_eq!(DEPTH.get(), None);
    /// }).unwrap();
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, fut: F) -> TaskLocalScope<T, F> {
        TaskLocalScope {
            local: self,
            value: Some(Rc::new(value)),
            fut: Box::pin(fut),
        }
    }

    /// Calls `f` with this variable set to `value`, then puts it back: the
    /// form for plain code (a callback, a destructor).
    ///
    /// ```
    /// use seedloop::{Sim, task::TaskLocal};
    /// static USER: TaskLocal<&'static str> = TaskLocal::new("user");
    /// Sim::new(1).run(async {
    ///     assert_eq!(USER.sync_scope("root", || USER.get()), Some("root"));
    ///     assert_eq!(USER.get(), None);
    /// }).unwrap();
    /// ```
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut value = Some(Rc::new(value) as Rc<dyn Any>);
        swap_in(self.key(), &mut value);
        struct Restore(usize, Option<Rc<dyn Any>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                swap_in(self.0, &mut self.1);
            }
        }
        let _restore = Restore(self.key(), value);
        f()
    }
}

/// Exchanges the current value under `key` with `value`.
fn swap_in(key: usize, value: &mut Option<Rc<dyn Any>>) {
    *value = replace(key, value.take());
}

impl<T: 'static> fmt::Debug for TaskLocal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocal")
            .field("name", &self.name)
            .finish()
    }
}

/// The future returned by [`TaskLocal::scope`].
///
/// ```
/// use seedloop::{Sim, task::TaskLocal};
/// static N: TaskLocal<u8> = TaskLocal::new("n");
/// Sim::new(1).run(async {
///     let scoped = N.scope(3, async { N.get() });
///     assert_eq!(scoped.await, Some(3));
/// }).unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct TaskLocalScope<T: 'static, F: Future> {
    local: &'static TaskLocal<T>,
    /// The scoped value while `fut` is not being polled.
    value: Option<Rc<dyn Any>>,
    fut: Pin<Box<F>>,
}

impl<T: 'static, F: Future> Future for TaskLocalScope<T, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let key = this.local.key();
        swap_in(key, &mut this.value);
        struct Restore<'a>(usize, &'a mut Option<Rc<dyn Any>>);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                swap_in(self.0, self.1);
            }
        }
        let _restore = Restore(key, &mut this.value);
        this.fut.as_mut().poll(cx)
    }
}

impl<T: 'static, F: Future> fmt::Debug for TaskLocalScope<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalScope")
            .field("local", &self.local.name)
            .finish()
    }
}
