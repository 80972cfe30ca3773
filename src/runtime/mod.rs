//! The executor core both modes share: task arena, ready set, timer heap,
//! callbacks, the run loop, and the thread-local current-runtime context.
//!
//! A `Core` (crate-private, like the other internals named here) is
//! single-threaded and lives in an `Rc`; the public API reaches it through
//! the thread-local context (`runtime::context`). What differs between sim
//! and real mode is behind two small seams: the `Driver` (clock and
//! parking) and the scheduling policy (the chooser).

pub(crate) mod arena;
pub(crate) mod blocker;
pub(crate) mod callbacks;
pub(crate) mod cancel_injection;
pub(crate) mod context;
pub(crate) mod driver;
pub(crate) mod eager;
pub(crate) mod handle;
pub(crate) mod hooks;
pub(crate) mod hosts;
pub(crate) mod ids;
pub(crate) mod launch;
pub(crate) mod probes;
pub(crate) mod raw_task;
pub(crate) mod ready_set;
pub(crate) mod run_loop;
pub(crate) mod sched;
pub(crate) mod spare_tables;
pub(crate) mod state;
pub(crate) mod timer_heap;
pub(crate) mod waker;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;

use crate::os::blocking_pool::BlockingPool;
use crate::os::reactor::Reactor;
use crate::runtime::sched::value::{Shape, ValueRequest};
use crate::runtime::sched::{Chooser, Divergence};
use crate::time::Instant;
use crate::trace::{Actor, BuggifyDraw, CompactEvent, DrawEvent, EventKind, Recorder};
use arena::{TaskArena, TaskSlot};
use blocker::{Blocker, WaitOn};
use callbacks::CallbackCell;
use driver::Driver;
use hosts::{HostClock, HostClocks, HostNumber};
use ids::{TaskId, TaskKey, WakeKey};
use raw_task::{TaskCell, TaskHeader};
use ready_set::ReadySet;
use timer_heap::{TimerHeap, TimerKey, TimerTarget};
use waker::{RemoteInbox, RuntimeTag};

#[allow(deprecated)]
pub use handle::{Handle, RuntimeHandle};

/// What happens when a task panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PanicMode {
    /// Stop the run and report (sim).
    FailRun,
    /// Keep running; the task's awaiter gets `JoinError::Panicked` (real,
    /// and sim with `isolate_panics`).
    Isolate,
}

/// A live task as a report shows it.
#[derive(Clone, Debug)]
pub(crate) struct LiveTask {
    pub id: TaskId,
    pub name: String,
    pub waits: Vec<String>,
    /// Tasks that must act first (lock holders, awaited tasks).
    pub holders: Vec<TaskId>,
    pub queued: bool,
}

/// The mode-specific services a run has, as typed capabilities: real mode
/// gives the reactor (sockets register with it) and the blocking pool
/// (`to_thread` runs on it); a sim run has neither and models both.
#[derive(Clone, Default)]
pub(crate) struct Services {
    pub reactor: Option<Rc<Reactor>>,
    pub blocking_pool: Option<Arc<BlockingPool>>,
}

/// Settings fixed for one run.
pub(crate) struct CoreConfig {
    pub seed: u64,
    pub tracing: bool,
    pub step_limit: Option<u64>,
    pub time_limit: Option<Duration>,
    pub panic_mode: PanicMode,
    /// Keep every task's name for the trace and reports (sim). Real mode keeps
    /// them only while tracing: the table grows by one entry per task ever
    /// spawned, which a long-running server must not do.
    pub retain_names: bool,
    /// Called around every poll (real mode's debug mode); `None` in sim.
    pub hooks: Option<Box<dyn hooks::PollHooks>>,
    /// What the mode provides beyond the clock.
    pub services: Services,
    /// The clock of host 0 (the run's own host), if it has its own.
    pub main_clock: Option<HostClock>,
    /// Values (`seedloop::random`) come from the seed's value stream
    /// directly, unlogged and untraced: the replay of a version 1 schedule,
    /// whose runs drew them so. Otherwise each is a choice (real mode's
    /// chooser keeps no log).
    pub values_from_seed: bool,
    /// The run's `buggify!` sites and sweep assertions (sim); `None` in
    /// real mode, where sites never fire and assertions record nothing.
    pub probes: Option<Rc<RefCell<probes::RunProbes>>>,
    /// Cancels are injected (`Check::inject_cancels`): the bound N of the
    /// await at which one may land (see `cancel_injection.rs`).
    pub inject_cancels: Option<u32>,
}

#[cfg(test)]
impl CoreConfig {
    /// A plain configuration for the core's own unit tests: FIFO's defaults,
    /// tracing off, no limits, a panic fails the run.
    pub fn for_tests() -> CoreConfig {
        CoreConfig {
            seed: 0,
            tracing: false,
            step_limit: None,
            time_limit: None,
            panic_mode: PanicMode::FailRun,
            retain_names: false,
            hooks: None,
            services: Services::default(),
            main_clock: None,
            values_from_seed: false,
            probes: None,
            inject_cancels: None,
        }
    }

    /// Runs `main` on a fresh core with a virtual clock and FIFO, as the
    /// core's unit tests need (they may not reach for `sim/`).
    pub fn run_for_tests<F: Future>(main: F) -> F::Output {
        let ended = launch::run_main(
            CoreConfig::for_tests(),
            Box::new(driver::VirtualClock::default()),
            Chooser::fifo(),
            sched::rng::stream(0, sched::rng::Stream::User),
            main,
        );
        match ended.map(|e| e.result) {
            Ok(Ok(out)) => out,
            _ => panic!("the test's run failed"),
        }
    }
}

static NEXT_RUNTIME_ID: AtomicU64 = AtomicU64::new(1);

/// The executor's state for one run.
pub(crate) struct Core {
    pub id: u64,
    /// This runtime's tag in the table of live runtimes (see `waker.rs`).
    pub tag: RuntimeTag,
    pub config: CoreConfig,
    driver: Box<dyn Driver>,
    tasks: RefCell<TaskArena>,
    ready: RefCell<ReadySet>,
    timers: RefCell<TimerHeap>,
    recorder: RefCell<Recorder>,
    chooser: RefCell<Chooser>,
    /// The task being polled, or `None` while the loop itself acts.
    running: Cell<Option<(TaskId, TaskKey)>>,
    /// The task-local values of whoever acts now: the running task's, a
    /// running callback's, or the loop's own (none).
    locals: Cell<raw_task::Locals>,
    /// The running task was woken during its poll: it joins the ready set's
    /// tail when the poll returns (see `Core::wake`).
    woke_running: Cell<bool>,
    /// The running task is waking itself to yield (`yield_now`): its wake
    /// is recorded as a yield.
    yielding: Cell<bool>,
    next_task: Cell<u64>,
    next_callback: Cell<u64>,
    next_object: Cell<u64>,
    inbox: Arc<RemoteInbox>,
    user_rng: RefCell<ChaCha8Rng>,
    /// The host whose code runs now (the polled task's, the running
    /// callback's; 0 while the loop itself acts): new tasks inherit it.
    acting_host: Cell<HostNumber>,
    /// Hosts' clocks (see `hosts.rs`); `has_clocks` keeps `now` a plain
    /// read while no host has one.
    host_clocks: RefCell<HostClocks>,
    has_clocks: Cell<bool>,
    /// Per host, how many times its tasks were cancelled (`cancel_host`):
    /// a callback it scheduled before does not run. Empty until then.
    host_epochs: RefCell<Vec<u32>>,
    /// A value draw that a replay could not follow: the run loop ends the
    /// run with it after the poll that drew it.
    value_divergence: Cell<Option<Box<Divergence>>>,
    /// The driver's clock, when it is a plain number (sim): what the
    /// recorder stamps events with, read without a call through the
    /// driver (`Driver::clock_cell`).
    trace_clock: Option<Rc<Cell<Instant>>>,
    /// The injected cancels chosen for live tasks (empty unless the run
    /// injects cancels).
    cancel_plans: RefCell<Vec<cancel_injection::CancelPlan>>,
}

impl Drop for Core {
    /// Leaves the run's tables, emptied by teardown, to the next run on this
    /// thread (see `spare_tables.rs`).
    fn drop(&mut self) {
        spare_tables::give_back(spare_tables::Tables {
            tasks: std::mem::take(self.tasks.get_mut()),
            ready: std::mem::take(self.ready.get_mut()),
            timers: std::mem::take(self.timers.get_mut()),
        });
    }
}

impl Core {
    pub fn new(
        config: CoreConfig,
        driver: Box<dyn Driver>,
        chooser: Chooser,
        user_rng: ChaCha8Rng,
    ) -> Rc<Core> {
        let inbox: Arc<RemoteInbox> = Arc::default();
        if let Some(notify) = driver.notifier() {
            inbox.set_notify(notify);
        }
        let mut host_clocks = HostClocks::default();
        host_clocks.set(0, config.main_clock);
        let has_clocks = config.main_clock.is_some();
        let tables = spare_tables::take();
        let trace_clock = driver.clock_cell();
        Rc::new(Core {
            id: NEXT_RUNTIME_ID.fetch_add(1, Ordering::Relaxed),
            tag: RuntimeTag::register(&inbox),
            recorder: RefCell::new(Recorder::new(config.tracing)),
            config,
            driver,
            tasks: RefCell::new(tables.tasks),
            ready: RefCell::new(tables.ready),
            timers: RefCell::new(tables.timers),
            chooser: RefCell::new(chooser),
            running: Cell::new(None),
            locals: Cell::new(None),
            woke_running: Cell::new(false),
            yielding: Cell::new(false),
            next_task: Cell::new(1),
            next_callback: Cell::new(1),
            next_object: Cell::new(1),
            inbox,
            user_rng: RefCell::new(user_rng),
            acting_host: Cell::new(0),
            host_clocks: RefCell::new(host_clocks),
            has_clocks: Cell::new(has_clocks),
            host_epochs: RefCell::default(),
            value_divergence: Cell::new(None),
            trace_clock,
            cancel_plans: RefCell::default(),
        })
    }

    /// The current time as the acting host reads it (its clock, if it has
    /// one; the run's clock otherwise).
    #[inline]
    pub fn now(&self) -> Instant {
        let global = self.global_now();
        if self.has_clocks.get() {
            self.to_local(global)
        } else {
            global
        }
    }

    /// The run's clock, whoever acts (the loop, traces, the network's links).
    #[inline]
    pub fn global_now(&self) -> Instant {
        self.trace_now()
    }

    fn to_local(&self, global: Instant) -> Instant {
        match self.host_clocks.borrow().get(self.acting_host.get()) {
            Some(clock) => clock.local(global),
            None => global,
        }
    }

    /// The run's instant at which the acting host's clock reads `local`.
    fn to_global(&self, local: Instant) -> Instant {
        if !self.has_clocks.get() {
            return local;
        }
        match self.host_clocks.borrow().get(self.acting_host.get()) {
            Some(clock) => clock.global(local),
            None => local,
        }
    }

    /// The host whose code runs now (0: the run's own host).
    pub fn acting_host(&self) -> HostNumber {
        self.acting_host.get()
    }

    /// Runs `f` as code of `host`: tasks it spawns belong to `host`.
    pub fn as_host<R>(&self, host: HostNumber, f: impl FnOnce() -> R) -> R {
        let previous = self.acting_host.replace(host);
        let out = f();
        self.acting_host.set(previous);
        out
    }

    /// Gives `host` a clock (`None`: the run's clock again). Timers it set
    /// before keep their deadlines on the run's clock.
    pub fn set_host_clock(&self, host: HostNumber, clock: Option<HostClock>) {
        self.host_clocks.borrow_mut().set(host, clock);
        if clock.is_some() {
            self.has_clocks.set(true);
        }
    }

    /// Asks every live task of `host` to stop (as [`cancel`](Core::cancel));
    /// returns how many were asked. The main task (not cancellable) is
    /// never one of them.
    pub fn cancel_host(&self, host: HostNumber) -> usize {
        let doomed: Vec<Rc<dyn raw_task::RawTask>> = {
            let tasks = self.tasks.borrow();
            tasks
                .keys_by_id()
                .into_iter()
                .filter_map(|(_, key)| {
                    let slot = tasks.get(key)?;
                    (slot.host == host).then(|| slot.task.clone()).flatten()
                })
                .collect()
        };
        for task in &doomed {
            self.cancel(task.header());
        }
        let mut epochs = self.host_epochs.borrow_mut();
        let i = host as usize;
        if epochs.len() <= i {
            epochs.resize(i + 1, 0);
        }
        epochs[i] += 1;
        doomed.len()
    }

    /// `host`'s epoch: how many times its tasks were cancelled.
    pub fn host_epoch(&self, host: HostNumber) -> u32 {
        let epochs = self.host_epochs.borrow();
        epochs.get(host as usize).copied().unwrap_or(0)
    }

    /// Sets a timer that wakes `waker` at `deadline` on the run's clock,
    /// with no trace event and no sleep in reports (the network's
    /// deliveries: the waiter notes what it waits on itself).
    pub fn insert_wake_timer(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        self.timers.borrow_mut().insert(
            deadline,
            TimerTarget::Wake {
                waker: waker.clone(),
                task: None,
            },
        )
    }

    /// Gives a timer set by [`insert_wake_timer`](Core::insert_wake_timer)
    /// a new waker.
    pub fn update_wake_timer(&self, key: TimerKey, waker: &Waker) {
        self.timers.borrow_mut().update_waker(key, waker);
    }

    /// The mode's services (the reactor, the blocking pool), if it has them.
    pub fn services(&self) -> &Services {
        &self.config.services
    }

    /// Who is acting right now: the running task, or the loop.
    pub fn actor(&self) -> Actor {
        match self.running.get() {
            Some((id, _)) => Actor::Task(id),
            None => Actor::Loop,
        }
    }

    pub fn current_task(&self) -> Option<TaskId> {
        self.running.get().map(|(id, _)| id)
    }

    /// The running spawned task's cell: `None` while the main task runs (its
    /// future lives on `run`'s stack) and while the loop itself acts.
    pub fn current_raw_task(&self) -> Option<Rc<dyn raw_task::RawTask>> {
        let (_, key) = self.running.get()?;
        self.tasks
            .borrow()
            .get(key)
            .and_then(|slot| slot.task.clone())
    }

    /// A copy of the current actor's task-local values.
    pub fn current_locals(&self) -> raw_task::Locals {
        let locals = self.locals.take();
        let copy = locals.clone();
        self.locals.set(locals);
        copy
    }

    /// Makes `locals` the current actor's task-local values; returns the
    /// previous ones.
    pub fn replace_locals(&self, locals: raw_task::Locals) -> raw_task::Locals {
        self.locals.replace(locals)
    }

    pub fn tracing(&self) -> bool {
        self.config.tracing
    }

    /// Records an event by the current actor. Inlined so that, with tracing
    /// off, building the event is optimised away with the branch, and with
    /// tracing on the dispatch on the kind folds away at each call site.
    #[inline(always)]
    pub fn record(&self, kind: EventKind) {
        if self.config.tracing {
            self.record_as(self.actor(), kind);
        }
    }

    /// Records the event `make` builds, calling it only when tracing is on:
    /// the form for hot paths, where even building and dropping an unused
    /// event costs.
    #[inline(always)]
    pub fn record_with(&self, make: impl FnOnce() -> EventKind) {
        if self.config.tracing {
            self.record_as(self.actor(), make());
        }
    }

    /// Records a primitive's event `<object> <action> <detail>` by the
    /// current actor, building the detail only when tracing is on, and
    /// without boxing an event (the primitives' tracing hot path).
    #[inline]
    pub fn record_object(
        &self,
        object: &Rc<str>,
        action: &'static str,
        detail: impl FnOnce(&mut String),
    ) {
        if self.config.tracing {
            // The detail is written straight into the trace's text: no
            // allocation and no copy per event. The text is lent out, not
            // borrowed, so `detail` may read task names from the recorder.
            let mut text = self.recorder.borrow_mut().take_text();
            let start = text.len();
            detail(&mut text);
            self.recorder.borrow_mut().record_object_written(
                self.trace_now(),
                self.actor(),
                object,
                action,
                text,
                start,
            );
        }
    }

    /// Writes a task's display name (`writer`, `#3`) to `out`, allocating
    /// nothing: for a primitive's event detail.
    pub fn write_task_name(&self, id: TaskId, out: &mut String) {
        self.recorder.borrow().trace().write_task_name(id, out);
    }

    /// Records an event by `actor`. Inlined, so that at a call site where
    /// the kind is known only the compact event (a tag and a number) goes
    /// on to the recorder.
    #[inline(always)]
    pub fn record_as(&self, actor: Actor, kind: EventKind) {
        if self.config.tracing {
            match CompactEvent::of(&kind) {
                Some(event) => self.record_compact(actor, event),
                None => self.record_kept(actor, kind),
            }
        }
    }

    /// Out of line: a call site keeps only the check, the compact event's
    /// two words and the call, so code that records stays small enough to
    /// be inlined where it is used (tracing off pays only the check).
    #[inline(never)]
    fn record_compact(&self, actor: Actor, event: CompactEvent) {
        let time = self.trace_now();
        self.recorder
            .borrow_mut()
            .record_compact(time, actor, event);
    }

    /// Records an event with owned data (a named spawn, a panic, a draw).
    #[inline(never)]
    fn record_kept(&self, actor: Actor, kind: EventKind) {
        let time = self.trace_now();
        self.recorder.borrow_mut().record(time, actor, kind);
    }

    /// The run's clock as the trace stamps events: the sim clock's cell,
    /// read directly; real time, asked of the driver. The same instant as
    /// `global_now`.
    #[inline(always)]
    fn trace_now(&self) -> Instant {
        match &self.trace_clock {
            Some(clock) => clock.get(),
            None => self.driver.now(),
        }
    }

    /// A fresh number for a primitive's display name (`Lock#3`).
    pub fn new_object_id(&self) -> u64 {
        let n = self.next_object.get();
        self.next_object.set(n + 1);
        n
    }

    pub fn with_user_rng<R>(&self, f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
        f(&mut self.user_rng.borrow_mut())
    }

    /// Whether values come from the seed's stream directly (see
    /// `CoreConfig::values_from_seed`).
    pub fn values_from_seed(&self) -> bool {
        self.config.values_from_seed
    }

    /// Draws a value of `request`'s domain: a logged choice, recorded in
    /// the trace. A domain of one value is not a choice. A replay that does
    /// not fit answers 0 and ends the run after this poll.
    pub fn draw(&self, request: ValueRequest) -> u64 {
        self.draw_traced(request, None, None)
    }

    /// [`draw`](Core::draw) for a `buggify!` site's decision: the trace
    /// names the site and what was decided.
    pub fn draw_buggify(&self, request: ValueRequest, buggify: BuggifyDraw) -> u64 {
        self.draw_traced(request, Some(buggify), None)
    }

    /// [`draw`](Core::draw), for a choice about `task` (an injected
    /// cancel), which the trace names.
    pub fn draw_about(&self, request: ValueRequest, task: Option<TaskId>) -> u64 {
        self.draw_traced(request, None, task)
    }

    fn draw_traced(
        &self,
        request: ValueRequest,
        buggify: Option<BuggifyDraw>,
        task: Option<TaskId>,
    ) -> u64 {
        if request.options <= 1 {
            return 0;
        }
        if self.config.values_from_seed {
            // Unlogged and untraced: the runs of a version 1 schedule drew
            // their values so, and their traces must not change.
            return request.draw_plain(&mut self.user_rng.borrow_mut());
        }
        let picked = {
            match self.chooser.borrow_mut().value(&request) {
                Ok(v) => v,
                Err(d) => {
                    let first = self.value_divergence.take().unwrap_or_else(|| Box::new(d));
                    self.value_divergence.set(Some(first));
                    0
                }
            }
        };
        if request.traced && self.tracing() {
            self.record(EventKind::Drew(Box::new(DrawEvent {
                kind: request.kind,
                picked,
                options: request.options,
                start: request.start,
                chance: match request.shape {
                    Shape::Chance(p) => Some(p),
                    Shape::Uniform => None,
                },
                buggify,
                task,
            })));
        }
        picked
    }

    /// The run's probes (sim only).
    pub fn probes(&self) -> Option<&RefCell<probes::RunProbes>> {
        self.config.probes.as_deref()
    }

    /// Whether a sweep assertion failed in this run: its panic fails the
    /// run even where a task's panic would be isolated.
    pub fn assertion_violated(&self) -> bool {
        self.probes().is_some_and(|p| p.borrow().violated)
    }

    /// Notes what the current task is about to wait on (for deadlock reports).
    pub fn note_wait(&self, wait: WaitOn) {
        if let Some((_, key)) = self.running.get() {
            if let Some(slot) = self.tasks.borrow_mut().get_mut(key) {
                slot.waits.push(wait);
            }
        }
    }

    /// Notes that the current task is about to wait on `blocker` (for
    /// deadlock reports); it is cloned only if the task's last poll did not
    /// note it too.
    #[inline]
    pub fn note_wait_on<B: Blocker + 'static>(&self, blocker: &Rc<B>) {
        if let Some((_, key)) = self.running.get() {
            if let Some(slot) = self.tasks.borrow_mut().get_mut(key) {
                slot.waits.push_object(blocker);
            }
        }
    }

    fn next_task_id(&self) -> TaskId {
        let n = self.next_task.get();
        self.next_task.set(n + 1);
        TaskId(n)
    }

    /// Puts a new task in the arena and the ready set, and returns its header.
    /// The caller attaches the task's cell (or, for main, polls it itself).
    pub(crate) fn admit(&self, name: Option<Rc<str>>) -> TaskHeader {
        self.admit_as(name, true)
    }

    /// [`admit`](Core::admit), but a task admitted with `ready == false`
    /// does not join the ready set (an eager task: it is polled at once).
    fn admit_as(&self, name: Option<Rc<str>>, ready: bool) -> TaskHeader {
        let id = self.next_task_id();
        if id != TaskId::MAIN {
            self.record_with(|| EventKind::Spawn {
                child: id,
                name: name.clone(),
            });
        }
        if self.config.retain_names {
            self.recorder.borrow_mut().name_task(id, name.clone());
        }
        let stamp = ids::next_stamp();
        let key =
            self.tasks
                .borrow_mut()
                .insert(TaskSlot::new(id, stamp, self.acting_host.get(), ready));
        if ready {
            self.ready.borrow_mut().push_task(key, id);
        }
        TaskHeader::new(id, name, key, stamp, self.current_locals())
    }

    /// The waker of the task `header` describes.
    pub(crate) fn waker_of(&self, header: &TaskHeader) -> std::task::Waker {
        waker::task_waker(
            self.tag.get(),
            WakeKey {
                index: header.key.index,
                stamp: header.stamp,
            },
        )
    }

    /// Spawns a task; it first runs after the current one yields. Returns
    /// the raw handle that `task::Task` wraps.
    pub fn spawn<F>(&self, name: Option<Rc<str>>, fut: F) -> Rc<TaskCell<F>>
    where
        F: Future + 'static,
    {
        self.spawn_candidate(name, None, fut)
    }

    /// [`spawn`](Core::spawn); with `cancel_site`, the task is a candidate
    /// for an injected cancel (see `cancel_injection.rs`), chosen there.
    pub fn spawn_candidate<F>(
        &self,
        name: Option<Rc<str>>,
        cancel_site: Option<&'static std::panic::Location<'static>>,
        fut: F,
    ) -> Rc<TaskCell<F>>
    where
        F: Future + 'static,
    {
        let header = self.admit(name);
        if let Some(site) = cancel_site {
            self.plan_cancel(&header, site);
        }
        let key = header.key;
        let cell = Rc::new(TaskCell::new(header, fut));
        let raw: Rc<dyn raw_task::RawTask> = cell.clone();
        if let Some(slot) = self.tasks.borrow_mut().get_mut(key) {
            slot.task = Some(raw);
        }
        cell
    }

    /// Makes a task ready (once: a task already queued stays where it is).
    ///
    /// A wake of the running task during its own poll is remembered, and the
    /// task joins the ready set's tail when the poll returns `Pending`: after
    /// whatever that poll made ready (asyncio reschedules a task when its
    /// step ends, and `yield_now` promises every ready task runs first). So a
    /// future that wakes its task and is then dropped within the same poll
    /// (`timeout(Duration::ZERO, yield_now())`, a `select` losing branch)
    /// does not keep the task an early place.
    pub fn wake(&self, key: TaskKey) {
        if let Some(id) = self.mark_queued(key) {
            self.queue_woken(key, id);
        }
    }

    /// Marks a live task queued; its id, or `None` if it is gone or queued
    /// already (then there is nothing to do).
    pub(crate) fn mark_queued(&self, key: TaskKey) -> Option<TaskId> {
        let mut tasks = self.tasks.borrow_mut();
        let slot = tasks.get_mut(key)?;
        if slot.queued() {
            return None;
        }
        // A slot exists only while its task is not final: no need to look
        // at the task's cell (one cache miss saved per wake).
        slot.set_queued(true);
        Some(slot.id)
    }

    /// What a task's waker does on this runtime's thread, and the loop with
    /// each wake from other threads: wakes the task the waker was made for,
    /// if it is still alive (stale wakers, of ended tasks or of ended runs,
    /// do nothing).
    pub(crate) fn wake_by_waker(&self, wake: WakeKey) {
        let (key, id) = {
            let mut tasks = self.tasks.borrow_mut();
            let Some((key, slot)) = tasks.resolve(wake) else {
                return;
            };
            if slot.queued() {
                return;
            }
            slot.set_queued(true);
            (key, slot.id)
        };
        self.queue_woken(key, id);
    }

    /// Queues a task just marked `queued`, or, if it is the one running,
    /// notes that it queues when its poll returns.
    fn queue_woken(&self, key: TaskKey, id: TaskId) {
        if self
            .running
            .get()
            .is_some_and(|(_, running)| running == key)
        {
            self.woke_running.set(true);
            if self.yielding.get() {
                self.record_with(|| EventKind::Yield);
                return;
            }
        } else {
            self.ready.borrow_mut().push_task(key, id);
        }
        self.record_with(|| EventKind::Wake { task: id });
    }

    /// Wakes `waker` as the running task's yield (`yield_now`): if that
    /// wakes the running task, the trace says `yield`, not `wake` itself.
    pub fn wake_yielding(&self, waker: &Waker) {
        self.yielding.set(true);
        waker.wake_by_ref();
        self.yielding.set(false);
    }

    /// Asks a task to stop at its next scheduling point.
    pub fn cancel(&self, header: &TaskHeader) {
        if header.state.get().is_final() || header.cancel_requested.replace(true) {
            return;
        }
        self.record(EventKind::CancelRequested { task: header.id });
        self.wake(header.key);
    }

    pub fn schedule_callback(
        &self,
        f: Box<dyn FnOnce()>,
        when: Option<Instant>,
    ) -> Rc<CallbackCell> {
        let id = self.next_callback.get();
        self.next_callback.set(id + 1);
        let cell = Rc::new(CallbackCell {
            id,
            f: RefCell::new(Some(f)),
            cancelled: Cell::new(false),
            when,
            timer: Cell::new(None),
            locals: Cell::new(self.current_locals()),
            host: self.acting_host.get(),
            host_epoch: self.host_epoch(self.acting_host.get()),
        });
        match when {
            None => self.ready.borrow_mut().push_callback(cell.clone()),
            Some(t) => {
                let t = self.to_global(t);
                let key = self
                    .timers
                    .borrow_mut()
                    .insert(t, TimerTarget::Callback(cell.clone()));
                cell.timer.set(Some(key));
            }
        }
        cell
    }

    /// Takes a cancelled callback out of the ready set or the timer heap.
    pub fn forget_callback(&self, cell: &Rc<CallbackCell>) {
        let removed = match cell.timer.take() {
            Some(key) => self
                .timers
                .borrow_mut()
                .remove(key, &mut self.tasks.borrow_mut()),
            None => None,
        };
        self.ready.borrow_mut().remove_callback(cell);
        drop(removed);
    }

    /// Sets a timer that wakes `waker` at `deadline` (on the acting host's
    /// clock), recorded as a sleep: resident in the running task's slot if
    /// the waker is that task's own and the task has no resident sleep yet
    /// (see `timer_heap.rs`), an entry otherwise.
    pub fn insert_timer(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        self.record_with(|| EventKind::Sleep { until: deadline });
        let at = self.to_global(deadline);
        if let Some((task, stamp)) = self.running_named_by(waker) {
            let mut tasks = self.tasks.borrow_mut();
            let free = |s: &&mut TaskSlot| s.stamp == stamp && s.sleep() == arena::NO_SLEEP;
            if let Some(slot) = tasks.get_mut(task).filter(free) {
                return self.timers.borrow_mut().insert_resident(at, task, slot);
            }
        }
        self.timers.borrow_mut().insert(
            at,
            TimerTarget::Wake {
                waker: waker.clone(),
                task: self.current_task(),
            },
        )
    }

    /// The running task's key and the stamp `waker` carries, if `waker` is
    /// ours and names the running task's slot. It is the task's own waker
    /// if the slot's stamp is that stamp (the caller, at the slot, checks).
    fn running_named_by(&self, waker: &Waker) -> Option<(TaskKey, ids::TaskStamp)> {
        let (_, running) = self.running.get()?;
        let (tag, wake) = waker::decode(waker)?;
        (tag == self.tag.get() && wake.index == running.index).then_some((running, wake.stamp))
    }

    /// The running task, if `waker` is its own (ours, naming it).
    fn own_task_of(&self, waker: &Waker) -> Option<TaskKey> {
        let (running, stamp) = self.running_named_by(waker)?;
        let tasks = self.tasks.borrow();
        tasks
            .get(running)
            .is_some_and(|s| s.stamp == stamp)
            .then_some(running)
    }

    /// A sleep polled again, maybe by another waker: returns its timer's key
    /// (new if a resident sleep had to become an entry to wake that waker).
    pub fn update_timer(&self, key: TimerKey, deadline: Instant, waker: &Waker) -> TimerKey {
        match key {
            TimerKey::Entry(_) => {
                self.timers.borrow_mut().update_waker(key, waker);
                key
            }
            TimerKey::Resident { task, .. } if self.own_task_of(waker) == Some(task) => key,
            TimerKey::Resident { task, .. } => {
                let setter = self.tasks.borrow().get(task).map(|s| s.id);
                let target = TimerTarget::Wake {
                    waker: waker.clone(),
                    task: setter,
                };
                let at = self.to_global(deadline);
                self.timers
                    .borrow_mut()
                    .make_entry(key, at, target, &mut self.tasks.borrow_mut())
            }
        }
    }

    pub fn remove_timer(&self, key: TimerKey) {
        let t = match self.tasks.try_borrow_mut() {
            Ok(mut tasks) => self.timers.borrow_mut().remove(key, &mut tasks),
            // Only while the arena lets a task go: its resident sleep went
            // with its slot, and an entry needs no arena.
            Err(_) => self
                .timers
                .borrow_mut()
                .remove(key, &mut TaskArena::default()),
        };
        drop(t);
    }

    /// Holds the loop for `d` of modelled CPU work.
    pub fn block_for(&self, d: Duration) {
        self.record(EventKind::Blocked {
            nanos: u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
        });
        self.driver.block_for(d);
    }

    /// A task's display name: its name, or `#id`.
    pub fn task_name(&self, id: TaskId) -> String {
        self.recorder.borrow().trace().task_name(id)
    }

    /// Every live task and what it waits on, in id order (for reports).
    ///
    /// Sleeps are not noted by the tasks (a note per sleeping task would be
    /// an allocation on the timers' hot path): they come from the timer heap,
    /// whose wake-up timers know the task that set them.
    pub fn task_reports(&self) -> Vec<LiveTask> {
        let tasks = self.tasks.borrow();
        let sleeps = self.timers.borrow().sleeping(&tasks);
        // Reports quote given names: `"writer"`, or `#3` for an unnamed task.
        let name = |id: TaskId| crate::trace::report_task_name(&self.task_name(id), id);
        tasks
            .keys_by_id()
            .into_iter()
            .filter_map(|(id, key)| {
                let slot = tasks.get(key)?;
                let slept = sleeps
                    .iter()
                    .filter(|(task, _)| *task == id)
                    .map(|(_, until)| WaitOn::Sleep(*until));
                let waits: Vec<WaitOn> = slot.waits.iter().cloned().chain(slept).collect();
                Some(LiveTask {
                    id,
                    name: self.task_name(id),
                    waits: waits.iter().map(|w| w.describe(&name)).collect(),
                    holders: waits.iter().flat_map(|w| w.holders()).collect(),
                    queued: slot.queued(),
                })
            })
            .collect()
    }

    pub fn trace_len(&self) -> usize {
        self.recorder.borrow().trace().len()
    }

    pub fn take_trace(&self) -> crate::trace::Trace {
        std::mem::replace(&mut *self.recorder.borrow_mut(), Recorder::new(false)).into_trace()
    }

    pub fn take_chooser(&self) -> Chooser {
        self.chooser.replace(Chooser::fifo())
    }
}
