//! `Runtime` and `run`: the executor on the mio reactor, for production.

use std::fmt;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::sync::Arc;

use super::builder::{Builder, Options};
use super::debug::{DebugHooks, DebugMonitor, DebugSink};
use super::driver::RealDriver;
use super::error::RuntimeError;
use super::stop::{StopHandle, StopState, UntilStopped};
use crate::os::blocking_pool::BlockingPool;
use crate::os::reactor::Reactor;
use crate::runtime::hooks::PollHooks;
use crate::runtime::launch::run_main;
use crate::runtime::run_loop::RunError;
use crate::runtime::sched::fifo::Fifo;
use crate::runtime::sched::rng::{stream, Stream};
use crate::runtime::sched::Chooser;
use crate::runtime::{CoreConfig, PanicMode, Services};
use crate::trace::Trace;

/// A real-mode runtime: the same executor as [`Sim`](crate::Sim), on the
/// monotonic clock and a mio reactor, scheduling in asyncio's FIFO order.
/// asyncio: an event loop (`new_event_loop`, `run_until_complete`,
/// `run_forever`, `stop`, `close` on drop).
///
/// Each [`block_on`](Runtime::block_on) is one complete run, like
/// `asyncio.run` and like `Sim::run`: the clock starts at zero, and tasks
/// still pending when the main future finishes are cancelled. The reactor,
/// its sockets and the blocking threads persist between runs.
///
/// A runtime belongs to the thread that built it (it is not `Send`), as do
/// the tasks it runs (they need not be `Send`).
///
/// ```
/// use seedloop::{real::Runtime, spawn, sleep, time::Instant};
/// use std::time::Duration;
/// let mut rt = Runtime::new().expect("the OS poller starts");
/// let waited = rt.block_on(async {
///     let t = spawn(async { sleep(Duration::from_millis(2)).await; 21 });
///     (t.await.unwrap() * 2, Instant::now())
/// }).unwrap();
/// assert_eq!(waited.0, 42);
/// assert!(waited.1.since_start() >= Duration::from_millis(2));
/// ```
pub struct Runtime {
    reactor: Rc<Reactor>,
    pool: Arc<BlockingPool>,
    options: Options,
    seed: u64,
    stop: Arc<StopState>,
    trace: Trace,
}

impl Runtime {
    /// A runtime with the default options ([`Builder`] lists them).
    ///
    /// # Errors
    /// The OS refused to create the poller (out of file descriptors).
    ///
    /// ```
    /// let mut rt = seedloop::real::Runtime::new()?;
    /// assert_eq!(rt.block_on(async { 1 }).unwrap(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "new_event_loop")]
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] for a runtime with other options.
    ///
    /// ```
    /// let rt = seedloop::real::Runtime::builder().debug(true).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn with_options(options: Options) -> io::Result<Runtime> {
        Ok(Runtime {
            reactor: Rc::new(Reactor::new()?),
            pool: Arc::new(BlockingPool::new(options.blocking_threads)),
            seed: options.seed.unwrap_or_else(fresh_seed),
            options,
            stop: Arc::default(),
            trace: Trace::default(),
        })
    }

    /// Runs `main` as the main task until it finishes, then cancels every
    /// task still pending, and returns `main`'s output. asyncio:
    /// `run_until_complete` (with `asyncio.run`'s cleanup).
    ///
    /// # Errors
    /// [`RuntimeError::NestedRuntime`] when called from inside a running
    /// seedloop runtime (real or sim) on this thread;
    /// [`RuntimeError::Reactor`] if the OS poller fails.
    ///
    /// # Panics
    /// A panic in the main task unwinds out of `block_on` with its original
    /// payload (after the other tasks were cancelled). A panic in another
    /// task does too when the runtime was built with `isolate_panics(false)`;
    /// by default it only ends that task (its awaiter gets
    /// [`JoinError::Panicked`](crate::JoinError::Panicked)).
    ///
    /// ```
    /// use seedloop::{real::Runtime, spawn, JoinError};
    /// let mut rt = Runtime::new().unwrap();
    /// let out = rt.block_on(async { spawn(async { panic!("child") }).await }).unwrap();
    /// assert!(matches!(out, Err(JoinError::Panicked { .. })));
    /// let main_panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     rt.block_on(async { panic!("main") })
    /// }));
    /// assert!(main_panic.is_err());
    /// ```
    #[doc(alias = "run_until_complete")]
    pub fn block_on<F: Future>(&mut self, main: F) -> Result<F::Output, RuntimeError> {
        let o = &self.options;
        let monitor = o.debug.then(|| {
            let sink: DebugSink = o
                .debug_sink
                .clone()
                .unwrap_or_else(|| Rc::new(|event| eprintln!("{event}")));
            Rc::new(DebugMonitor::new(o.slow_poll_threshold, sink))
        });
        let ended = run_main(
            CoreConfig {
                seed: self.seed,
                tracing: o.tracing,
                step_limit: None,
                time_limit: None,
                panic_mode: if o.isolate_panics {
                    PanicMode::Isolate
                } else {
                    PanicMode::FailRun
                },
                retain_names: o.tracing,
                hooks: monitor
                    .clone()
                    .map(|m| Box::new(DebugHooks(m)) as Box<dyn PollHooks>),
                services: Services {
                    reactor: Some(self.reactor.clone()),
                    blocking_pool: Some(self.pool.clone()),
                },
                main_clock: None,
                values_from_seed: false,
                probes: None,
                inject_cancels: None,
            },
            Box::new(RealDriver::new(self.reactor.clone())),
            Chooser::unlogged(Box::new(Fifo::new(stream(self.seed, Stream::User)))),
            stream(self.seed, Stream::User),
            main,
        )
        .map_err(|_| RuntimeError::NestedRuntime)?;
        self.trace = ended.trace;
        if let Some(m) = &monitor {
            m.report_unobserved_panics();
        }
        match ended.result {
            Ok(out) => Ok(out),
            Err(failure) => match failure.error {
                RunError::Panic { payload, .. } => std::panic::resume_unwind(payload),
                RunError::Driver(e) => Err(RuntimeError::Reactor(e)),
                other => unreachable!(
                    "real mode sets no step or time limit, replays nothing, and its driver \
                     waits rather than reporting a deadlock, yet: {other:?}"
                ),
            },
        }
    }

    /// Runs `setup` and then every task it spawned until
    /// [`StopHandle::stop`] is called. asyncio: `run_forever` / `stop`.
    ///
    /// `setup` typically spawns (and detaches) the long-running tasks; if
    /// a stop comes before `setup` finishes, `setup` is dropped. On return
    /// the remaining tasks have been cancelled and the stop request is
    /// cleared, so the runtime can run again.
    ///
    /// # Errors
    /// As [`block_on`](Runtime::block_on).
    ///
    /// ```
    /// use seedloop::{real::Runtime, spawn, yield_now};
    /// let mut rt = Runtime::new().unwrap();
    /// let stop = rt.stop_handle();
    /// let waker_thread = std::thread::spawn(move || stop.stop());
    /// rt.run_forever(async {
    ///     spawn(async { loop { yield_now().await } }).detach(); // a busy task
    /// }).unwrap();
    /// waker_thread.join().unwrap();
    /// ```
    #[doc(alias = "stop")]
    pub fn run_forever<F: Future<Output = ()>>(&mut self, setup: F) -> Result<(), RuntimeError> {
        let result = self.block_on(UntilStopped {
            setup: Some(Box::pin(setup)),
            state: self.stop.clone(),
        });
        self.stop.reset();
        result
    }

    /// A handle that stops [`run_forever`](Runtime::run_forever), from any thread.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            state: self.stop.clone(),
        }
    }

    /// The trace of the last run: empty unless built with
    /// [`Builder::tracing`]. Times are real, so two runs' traces differ.
    ///
    /// ```
    /// use seedloop::{real::Runtime, yield_now};
    /// let mut rt = Runtime::builder().tracing(true).build().unwrap();
    /// rt.block_on(yield_now()).unwrap();
    /// assert!(rt.trace().render().contains("main poll"));
    /// ```
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The seed of [`seedloop::random`](fn@crate::random) in this runtime's runs.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("seed", &self.seed)
            .field("tracing", &self.options.tracing)
            .field("debug", &self.options.debug)
            .finish()
    }
}

/// A seed nobody chose: from the process's random hash keys and the time.
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

/// Runs `main` on a fresh real-mode [`Runtime`] and returns its output.
/// asyncio: `asyncio.run(main())`.
///
/// # Panics
/// If the OS poller cannot start, or when called from inside a running
/// seedloop runtime, with a message saying so; and, as
/// [`Runtime::block_on`], when the main task panics.
///
/// ```
/// let answer = seedloop::run(async {
///     let t = seedloop::spawn(async { 6 * 7 });
///     t.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[doc(alias = "asyncio.run")]
pub fn run<F: Future>(main: F) -> F::Output {
    let mut rt = Runtime::new().unwrap_or_else(|e| {
        panic!(
            "seedloop::run could not start the reactor (the OS poller): {e}. \
             Is the process out of file descriptors?"
        )
    });
    rt.block_on(main)
        .unwrap_or_else(|e| panic!("seedloop::run failed: {e}"))
}
