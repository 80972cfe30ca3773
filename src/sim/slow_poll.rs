//! Blocking calls in a sim: a poll that takes long in *wall* time.
//!
//! `std::thread::sleep(300 ms)` (or blocking I/O, or a long computation) in
//! a task holds the thread while the virtual clock stands still: the run
//! means something else than the code says. A traced sim run times every
//! poll with the real clock, and a poll over the threshold (default
//! [`DEFAULT_SLOW_POLL_THRESHOLD`]) is recorded in the trace as
//! `alice blocking: a poll held the thread over 100 ms ...`, listed by
//! [`Sim::slow_polls`](super::Sim::slow_polls), and summed up in one line on
//! standard error after the run.
//!
//! Only whether a poll passed the threshold enters the trace, never how
//! long it took, so a consistently blocking task gives the same trace every
//! time. Untraced runs (a `Check` sweep) pay nothing: their failures are
//! re-run traced, which reports them.
//!
//! # Which clock
//!
//! The watch reads a clock once per poll, so the clock's cost is paid by
//! every traced poll. The precise monotonic clock (`std::time::Instant`)
//! costs 20 to 40 ns a read, as much as a short poll's own work. On Linux,
//! when the threshold spans at least [`COARSE_MIN_TICKS`] ticks of the
//! kernel's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE`, which moves
//! once per kernel tick, 1 to 10 ms; 4 ms on most kernels), the watch reads
//! that one instead, at a few nanoseconds a read. Two readings a tick apart
//! bound a poll's time to within one tick, so then:
//!
//! - a poll is reported only if it surely passed the threshold: its
//!   measured time less one tick is over it. Every poll longer than the
//!   threshold plus two ticks is reported; one within two ticks above the
//!   threshold may not be (with the default 100 ms and 4 ms ticks: every
//!   poll over 108 ms is reported, none of 100 ms or less);
//! - [`SlowPoll::wall`] is the measured time, right to within one tick.
//!
//! Shorter thresholds, and other systems, time polls with the precise clock
//! (a poll over the threshold is reported, `wall` is exact).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use crate::runtime::context::try_with_core;
use crate::runtime::hooks::PollHooks;
use crate::runtime::ids::TaskId;
use crate::runtime::raw_task::{RawTask, TaskHeader};
use crate::time::Instant;
use crate::trace::EventKind;

/// The default wall-time threshold of a sim poll: asyncio's
/// `slow_callback_duration`.
pub const DEFAULT_SLOW_POLL_THRESHOLD: Duration = Duration::from_millis(100);

/// A poll that held the thread longer than the threshold.
///
/// ```
/// use seedloop::Sim;
/// use std::time::Duration;
/// let mut sim = Sim::new(1).slow_poll_threshold(Duration::from_millis(5));
/// sim.run(async { std::thread::sleep(Duration::from_millis(20)) }).unwrap();
/// let slow = &sim.slow_polls()[0];
/// assert_eq!(slow.task_name, "main");
/// assert!(slow.wall >= Duration::from_millis(20));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowPoll {
    /// The task.
    pub task: TaskId,
    /// Its display name.
    pub task_name: String,
    /// Virtual time of the poll (it did not move during it).
    pub at: Instant,
    /// How long the poll held the thread, in wall time: exact with the
    /// precise clock, right to within one tick with the coarse one (see
    /// [which clock the watch reads](crate::Sim::slow_poll_threshold)).
    pub wall: Duration,
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {} ({}) held the thread for {:.1} ms in one poll at virtual time {}",
            self.task_name,
            self.task,
            self.wall.as_secs_f64() * 1e3,
            self.at
        )
    }
}

/// How many ticks of the coarse clock a threshold must span for the watch
/// to read that clock (see the module docs): at this many, a poll's time is
/// known to a tenth of the threshold.
pub(crate) const COARSE_MIN_TICKS: u32 = 10;

/// The clock a watch reads, as nanoseconds on a monotonic scale.
#[derive(Clone, Copy, Debug)]
enum WatchClock {
    /// `std::time::Instant`, counted from this instant.
    Precise(std::time::Instant),
    /// The kernel's coarse monotonic clock, which moves in steps of `tick`.
    #[cfg(target_os = "linux")]
    Coarse { tick: Duration },
}

impl WatchClock {
    /// The coarse clock if `threshold` spans `COARSE_MIN_TICKS` of its
    /// ticks, else the precise one.
    fn for_threshold(threshold: Duration) -> WatchClock {
        #[cfg(target_os = "linux")]
        if let Some(tick) = coarse_tick() {
            if tick * COARSE_MIN_TICKS <= threshold {
                return WatchClock::Coarse { tick };
            }
        }
        WatchClock::Precise(std::time::Instant::now())
    }

    #[inline]
    fn read(self) -> u64 {
        match self {
            WatchClock::Precise(origin) => {
                u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
            }
            #[cfg(target_os = "linux")]
            WatchClock::Coarse { .. } => {
                let t = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
                (t.tv_sec as u64)
                    .wrapping_mul(1_000_000_000)
                    .wrapping_add(t.tv_nsec as u64)
            }
        }
    }

    /// How far a time measured between two readings may be from the truth.
    fn margin(self) -> Duration {
        match self {
            WatchClock::Precise(_) => Duration::ZERO,
            #[cfg(target_os = "linux")]
            WatchClock::Coarse { tick } => tick,
        }
    }
}

/// The step of the coarse monotonic clock, asked once per process; `None`
/// if the kernel gives none that makes sense.
#[cfg(target_os = "linux")]
fn coarse_tick() -> Option<Duration> {
    static TICK: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    *TICK.get_or_init(|| {
        let res = rustix::time::clock_getres(rustix::time::ClockId::MonotonicCoarse);
        let nanos = u64::try_from(res.tv_sec)
            .ok()?
            .checked_mul(1_000_000_000)?
            .checked_add(u64::try_from(res.tv_nsec).ok()?)?;
        (nanos > 0).then(|| Duration::from_nanos(nanos))
    })
}

/// The hooks a traced sim run installs.
///
/// One clock read per poll, not two: the reading at the end of a poll is
/// the start of the next one, unless the loop ran other code in between
/// (a callback, a cancelled task's drop), which the loop says
/// (`not_polling`). Between two polls the loop only does its own
/// bookkeeping, microseconds; a poll is charged that too, far below any
/// threshold. Which clock: see the module docs.
pub(crate) struct SlowPollWatch {
    threshold: Duration,
    clock: WatchClock,
    /// When the current poll started (a reading of `clock`): the last
    /// reading, if only the loop's bookkeeping ran since.
    mark: Cell<Option<u64>>,
    found: Rc<RefCell<Vec<SlowPoll>>>,
}

impl SlowPollWatch {
    pub fn new(threshold: Duration, found: Rc<RefCell<Vec<SlowPoll>>>) -> SlowPollWatch {
        SlowPollWatch {
            threshold,
            clock: WatchClock::for_threshold(threshold),
            mark: Cell::new(None),
            found,
        }
    }

    /// Whether a poll measured at `wall` surely passed the threshold: its
    /// time less what the clock may be off by is over it.
    #[inline]
    fn is_slow(&self, wall: Duration) -> bool {
        wall.saturating_sub(self.clock.margin()) > self.threshold
    }
}

impl PollHooks for SlowPollWatch {
    fn poll_started(&self) {
        if self.mark.get().is_none() {
            self.mark.set(Some(self.clock.read()));
        }
    }

    fn not_polling(&self) {
        self.mark.set(None);
    }

    fn poll_ended(&self, header: &TaskHeader, panicked: bool) {
        let now = self.clock.read();
        let Some(started) = self.mark.replace(Some(now)) else {
            return;
        };
        if panicked {
            // The panic hook (printing, a backtrace) is what took the time.
            return;
        }
        let wall = Duration::from_nanos(now.saturating_sub(started));
        if self.is_slow(wall) {
            self.report(header, wall);
        }
    }

    fn task_panicked(&self, _task: &Rc<dyn RawTask>) {}
}

impl SlowPollWatch {
    #[cold]
    fn report(&self, header: &TaskHeader, wall: Duration) {
        let threshold = self.threshold;
        let found = try_with_core(|core| {
            core.record(EventKind::object(
                "blocking:",
                "a poll held the thread over",
                format!(
                    "{} ms of wall time while the virtual clock stood still (std::thread::sleep or \
                     blocking I/O in a task? see docs/determinism.md)",
                    threshold.as_millis()
                ),
            ));
            SlowPoll {
                task: header.id,
                task_name: core.task_name(header.id),
                at: core.now(),
                wall,
            }
        });
        if let Some(slow) = found {
            self.found.borrow_mut().push(slow);
        }
    }
}

/// The summary line for a run that had slow polls.
pub(crate) fn summary(slow: &[SlowPoll], threshold: Duration) -> String {
    format!(
        "seedloop: {} poll(s) held the thread over {} ms of wall time in a sim run, the first: {}. \
         A blocking call (std::thread::sleep, blocking I/O) does not move the virtual clock: use \
         seedloop::sleep or seedloop::to_thread (docs/determinism.md)",
        slow.len(),
        threshold.as_millis(),
        slow[0]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(threshold: Duration, clock: WatchClock) -> SlowPollWatch {
        SlowPollWatch {
            threshold,
            clock,
            mark: Cell::new(None),
            found: Rc::default(),
        }
    }

    #[test]
    fn the_precise_clock_reports_any_poll_over_the_threshold() {
        let w = watch(
            Duration::from_millis(100),
            WatchClock::Precise(std::time::Instant::now()),
        );
        assert!(!w.is_slow(Duration::from_millis(100)));
        assert!(w.is_slow(Duration::from_millis(100) + Duration::from_nanos(1)));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_coarse_clock_reports_only_polls_surely_over_the_threshold() {
        let w = watch(
            Duration::from_millis(100),
            WatchClock::Coarse {
                tick: Duration::from_millis(4),
            },
        );
        // Measured 104 ms: the poll may have taken just over 100 ms.
        assert!(!w.is_slow(Duration::from_millis(104)));
        assert!(w.is_slow(Duration::from_millis(104) + Duration::from_nanos(1)));
        assert!(w.is_slow(Duration::from_millis(108)));
    }

    #[test]
    fn short_thresholds_are_timed_with_the_precise_clock() {
        let clock = WatchClock::for_threshold(Duration::from_millis(1));
        assert_eq!(clock.margin(), Duration::ZERO, "{clock:?}");
    }

    /// A blocking call is reported through the coarse clock, as through
    /// the precise one. (The sleep only bounds the poll from below: it is
    /// over the threshold by more than two ticks, whatever the load.)
    #[cfg(target_os = "linux")]
    #[test]
    fn a_blocking_call_is_reported_through_the_coarse_clock() {
        let tick = coarse_tick().expect("Linux has a coarse monotonic clock");
        let threshold = tick * COARSE_MIN_TICKS;
        let mut sim = crate::Sim::new(1).slow_poll_threshold(threshold);
        sim.run(async move { std::thread::sleep(threshold + 3 * tick) })
            .unwrap();
        let slow = sim.slow_polls();
        assert_eq!(slow.len(), 1, "{slow:?}");
        assert!(slow[0].wall > threshold + tick, "{slow:?}");
        let line = format!(
            "main blocking: a poll held the thread over {} ms",
            threshold.as_millis()
        );
        assert!(sim.trace().render().contains(&line));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn long_thresholds_are_timed_with_the_coarse_clock_when_its_tick_is_short_enough() {
        let tick = coarse_tick().expect("Linux has a coarse monotonic clock");
        let threshold = tick * COARSE_MIN_TICKS;
        assert_eq!(WatchClock::for_threshold(threshold).margin(), tick);
        assert_eq!(
            WatchClock::for_threshold(threshold - Duration::from_nanos(1)).margin(),
            Duration::ZERO
        );
        // Its readings move forward.
        let clock = WatchClock::for_threshold(threshold);
        let (a, b) = (clock.read(), clock.read());
        assert!(a > 0 && b >= a);
    }
}
