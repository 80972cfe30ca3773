//! `Builder`: the options of a real-mode [`Runtime`].

use std::io;
use std::rc::Rc;
use std::time::Duration;

use super::debug::{DebugEvent, DebugSink};
use super::Runtime;

/// The default [`Builder::slow_poll_threshold`]: asyncio's
/// `slow_callback_duration`.
pub const DEFAULT_SLOW_POLL_THRESHOLD: Duration = Duration::from_millis(100);

/// Options fixed when the runtime is built.
#[derive(Clone)]
pub(crate) struct Options {
    pub tracing: bool,
    pub debug: bool,
    pub slow_poll_threshold: Duration,
    pub debug_sink: Option<DebugSink>,
    pub isolate_panics: bool,
    pub seed: Option<u64>,
    pub blocking_threads: usize,
}

/// Configures a [`Runtime`]: `Runtime::builder().debug(true).build()?`.
///
/// Defaults: tracing off, debug off (threshold 100 ms when on), panics
/// isolated, a fresh random seed for [`seedloop::random`](fn@crate::random),
/// and up to `min(32, CPUs + 4)` threads for [`to_thread`](crate::to_thread).
///
/// ```
/// use seedloop::real::Runtime;
/// use std::time::Duration;
/// let mut rt = Runtime::builder()
///     .debug(true)
///     .slow_poll_threshold(Duration::from_millis(50))
///     .blocking_threads(4)
///     .build()
///     .expect("the OS poller starts");
/// assert_eq!(rt.block_on(async { 2 + 2 }).unwrap(), 4);
/// ```
#[derive(Clone)]
pub struct Builder {
    options: Options,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = &self.options;
        f.debug_struct("Builder")
            .field("tracing", &o.tracing)
            .field("debug", &o.debug)
            .field("slow_poll_threshold", &o.slow_poll_threshold)
            .field("isolate_panics", &o.isolate_panics)
            .field("seed", &o.seed)
            .field("blocking_threads", &o.blocking_threads)
            .finish()
    }
}

impl Builder {
    /// The defaults (see the type's docs).
    pub fn new() -> Builder {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Builder {
            options: Options {
                tracing: false,
                debug: false,
                slow_poll_threshold: DEFAULT_SLOW_POLL_THRESHOLD,
                debug_sink: None,
                isolate_panics: true,
                seed: None,
                blocking_threads: (cpus + 4).min(32),
            },
        }
    }

    /// Records a trace of every run ([`Runtime::trace`]), as sim does. Off by
    /// default: a trace grows with every event, without bound, so keep it for
    /// short runs (tests, reproducing a problem), never for a server.
    pub fn tracing(mut self, on: bool) -> Builder {
        self.options.tracing = on;
        self
    }

    /// asyncio's debug mode: reports polls slower than the
    /// [threshold](Builder::slow_poll_threshold) and, at the end of a run,
    /// tasks that panicked with nobody awaiting them. Reports go to stderr
    /// (or the [sink](Builder::debug_sink)). Costs two clock reads per poll.
    pub fn debug(mut self, on: bool) -> Builder {
        self.options.debug = on;
        self
    }

    /// How long one poll may take before debug mode reports it (default
    /// [`DEFAULT_SLOW_POLL_THRESHOLD`], 100 ms). asyncio: `slow_callback_duration`.
    #[doc(alias = "slow_callback_duration")]
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Builder {
        self.options.slow_poll_threshold = threshold;
        self
    }

    /// Sends debug mode's reports to `sink` instead of stderr (to a logger,
    /// or to a test that checks them). Called on the loop's thread.
    pub fn debug_sink(mut self, sink: impl Fn(&DebugEvent) + 'static) -> Builder {
        self.options.debug_sink = Some(Rc::new(sink));
        self
    }

    /// With `true` (the default), a panicking task ends as panicked and its
    /// awaiter gets [`JoinError::Panicked`](crate::JoinError::Panicked); the
    /// loop goes on. With `false`, a panic in any task ends the run and
    /// unwinds out of `block_on`. A panic in the main task always unwinds
    /// out of `block_on`.
    pub fn isolate_panics(mut self, on: bool) -> Builder {
        self.options.isolate_panics = on;
        self
    }

    /// Seeds [`seedloop::random`](fn@crate::random) (default: a fresh random seed).
    pub fn seed(mut self, seed: u64) -> Builder {
        self.options.seed = Some(seed);
        self
    }

    /// How many threads [`to_thread`](crate::to_thread) may use at once
    /// (at least 1). Further jobs wait their turn.
    pub fn blocking_threads(mut self, n: usize) -> Builder {
        self.options.blocking_threads = n.max(1);
        self
    }

    /// Opens the OS poller and builds the runtime.
    ///
    /// # Errors
    /// The OS refused to create the poller (out of file descriptors).
    pub fn build(self) -> io::Result<Runtime> {
        Runtime::with_options(self.options)
    }
}
