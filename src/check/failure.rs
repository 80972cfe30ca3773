//! What a failed check reports, and the trace files it leaves behind.

use std::fmt;
use std::path::{Path, PathBuf};

use super::coverage::Coverage;
use super::determinism::Determinism;
use crate::sim::{ChoiceKind, Schedule, SimError};
use crate::time::Instant;
use crate::trace::{Actor, EventKind, Trace};

/// A schedule under which the check body failed, shrunk and explained.
pub struct CheckFailure {
    /// The test's name (for the replay command).
    pub test: String,
    /// The failing seed (for exhaustive search: the seed of user randomness).
    pub seed: u64,
    /// The policy that found it (`random`, `pct:2`, `exhaustive:2`, `replay`).
    pub policy: String,
    /// How many runs the search made, the failing one included.
    pub runs: u64,
    /// The schedule as found.
    pub found: Schedule,
    /// The shrunk schedule and the runs shrinking took, if it was shrunk.
    pub shrunk: Option<(Schedule, usize)>,
    /// The failure, as the reported (shrunk, if any) schedule produces it.
    pub error: SimError,
    /// What running that schedule twice showed.
    pub determinism: Determinism,
    /// The full text trace of the reported run, if it could be written.
    pub trace_file: Option<PathBuf>,
    /// The same in Chrome trace-event JSON (opens in Perfetto).
    pub chrome_file: Option<PathBuf>,
    /// The values the reported run drew above their domain's first, and the
    /// faults the simulated network injected: after shrinking, those the
    /// failure needs (the rest shrank to their domain's first value).
    pub values: DrawnValues,
    /// The cancels the check injected in the reported run
    /// ([`Check::inject_cancels`](super::Check::inject_cancels)), one per
    /// task, as `#3 "withdraw" at await 2`; empty when there were none.
    pub injected_cancels: Vec<String>,
    /// What the reported run's assertions and `buggify!` sites saw (one
    /// run): the report names the sites that fired.
    pub run: Coverage,
}

/// The values a reported run drew, and which of them were above their
/// domain's first (a latency above its minimum, a coin that came up `true`).
///
/// ```
/// use seedloop::check::{Check, CheckError};
/// use seedloop::{sleep, timeout};
/// use std::time::Duration;
/// let err = Check::new().seeds(0..50).threads(1).try_run(|| async {
///     let hops: Vec<u64> = (0..3).map(|_| seedloop::random::range(1..21)).collect();
///     for ms in hops {
///         let reply = timeout(Duration::from_millis(15), sleep(Duration::from_millis(ms)));
///         assert!(reply.await.is_ok(), "a hop took {ms} ms");
///     }
/// }).unwrap_err();
/// let CheckError::Failed(f) = err else { unreachable!() };
/// // Shrunk: one slow hop, at the smallest delay that misses the deadline
/// // (at 15 ms the reply and the deadline tie, and FIFO lets the reply in);
/// // the others shrank to 1 ms (their domain's first value).
/// assert_eq!(f.values.total, 3);
/// assert_eq!(f.values.above_first.len(), 1);
/// assert_eq!(f.values.above_first[0].what, "random 16 in 1..21");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DrawnValues {
    /// How many values the run drew in all.
    pub total: usize,
    /// The draws above their domain's first, in trace order.
    pub above_first: Vec<DrawnValue>,
}

/// One value a run drew, as a report names it.
///
/// ```
/// use seedloop::check::{Check, CheckError};
/// let err = Check::new().seeds(0..50).threads(1).try_run(|| async {
///     assert!(seedloop::random::range(0..10) < 9, "drew a nine");
/// }).unwrap_err();
/// let CheckError::Failed(f) = err else { unreachable!() };
/// let drawn = &f.values.above_first[0];
/// assert_eq!((drawn.by.as_str(), drawn.what.as_str()), ("\"main\"", "random 9 in 0..10"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DrawnValue {
    /// Its position in the trace.
    pub seq: u64,
    /// When it was drawn.
    pub time: Instant,
    /// Who drew it: a task (`"sender"`, `#3`) or `loop`.
    pub by: String,
    /// The draw as the trace shows it: `random 47 in 1..51`.
    pub what: String,
}

impl DrawnValues {
    /// The draws recorded in `trace`.
    pub(crate) fn of(trace: &Trace) -> DrawnValues {
        let mut values = DrawnValues::default();
        for e in trace.events() {
            // The program's values, and the network's injected strikes;
            // fault sites and injected cancels have lines of their own.
            match &e.kind {
                EventKind::Drew(d) if d.kind == ChoiceKind::Value => {
                    values.total += 1;
                    if d.picked == 0 {
                        continue;
                    }
                }
                // A strike of the network's fault injection (`net::Faults`):
                // a choice above its first, shown by its own event.
                EventKind::Object(o) if &*o.object == "faults" => values.total += 1,
                _ => continue,
            }
            values.above_first.push(DrawnValue {
                seq: e.seq,
                time: e.time,
                by: match e.actor {
                    Actor::Task(id) => crate::trace::report_task_name(&trace.task_name(id), id),
                    Actor::Loop => "loop".into(),
                },
                what: trace.describe(e),
            });
        }
        values
    }
}

/// How many drawn values a report lists before it summarizes.
const VALUES_SHOWN: usize = 12;

impl DrawnValues {
    /// `5 drawn; 1 above its domain's first<note>:` and the list.
    fn write(&self, f: &mut fmt::Formatter<'_>, note: &str) -> fmt::Result {
        let above = self.above_first.len();
        write!(f, "{} drawn; ", self.total)?;
        match above {
            0 => write!(f, "none above its domain's first{note}")?,
            1 => write!(f, "1 above its domain's first{note}:")?,
            n => write!(f, "{n} above their domain's first{note}:")?,
        }
        for v in self.above_first.iter().take(VALUES_SHOWN) {
            write!(
                f,
                "\n  event {} at {} by {}: {}",
                v.seq, v.time, v.by, v.what
            )?;
        }
        if above > VALUES_SHOWN {
            write!(
                f,
                "\n  ... and {} more (the full trace has them all)",
                above - VALUES_SHOWN
            )?;
        }
        Ok(())
    }
}

/// `5 drawn; 1 above its domain's first:` and one line per such draw.
impl fmt::Display for DrawnValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "")
    }
}

impl CheckFailure {
    /// The schedule to replay: the shrunk one when there is one.
    pub fn schedule(&self) -> &Schedule {
        self.shrunk.as_ref().map_or(&self.found, |(s, _)| s)
    }
}

fn size(s: &Schedule) -> String {
    format!(
        "{} choices, {} deviation{} from FIFO",
        s.len(),
        s.deviations(),
        if s.deviations() == 1 { "" } else { "s" }
    )
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seedloop check `{}` failed: seed {} under policy {}, after {} run{}",
            self.test,
            self.seed,
            self.policy,
            self.runs,
            if self.runs == 1 { "" } else { "s" }
        )?;
        writeln!(f, "schedule found: {} ({})", self.found, size(&self.found))?;
        if let Some((s, runs)) = &self.shrunk {
            writeln!(
                f,
                "shrunk to:      {s} ({}; {runs} shrinking run{})",
                size(s),
                if *runs == 1 { "" } else { "s" }
            )?;
        }
        if !self.injected_cancels.is_empty() {
            writeln!(
                f,
                "cancelled by the check: {}",
                self.injected_cancels.join(", ")
            )?;
        }
        writeln!(f, "determinism: {}", self.determinism)?;
        if self.values.total > 0 {
            let lowered = self.values.above_first.len() < self.values.total;
            let note = match (
                self.shrunk.is_some() && lowered,
                self.values.above_first.len(),
            ) {
                (false, _) => "",
                (true, 0) => " (shrinking lowered them all)",
                (true, _) => " (shrinking lowered the rest)",
            };
            write!(f, "values: ")?;
            self.values.write(f, note)?;
            writeln!(f)?;
        }
        let fired: Vec<String> = self
            .run
            .sites
            .iter()
            .filter(|s| s.fired > 0)
            .map(|s| {
                let times = if s.fired == 1 {
                    "once".to_string()
                } else {
                    format!("{} times", s.fired)
                };
                format!("{}:{} ({times})", s.site.file(), s.site.line())
            })
            .collect();
        if !fired.is_empty() {
            writeln!(f, "buggify fired: {}", fired.join(", "))?;
        }
        writeln!(f)?;
        // The error ends with the one `reproduce:` block, naming this
        // check's seed, policy and test.
        writeln!(f, "{}", self.error)?;
        if let Some(p) = &self.trace_file {
            writeln!(f, "full trace:   {}", p.display())?;
        }
        if let Some(p) = &self.chrome_file {
            writeln!(f, "chrome trace: {} (open in ui.perfetto.dev)", p.display())?;
        }
        Ok(())
    }
}

/// Prints the same readable report as `Display`, so that `.unwrap()`, `?` in
/// a test and `{:?}` all show it.
impl fmt::Debug for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Writes `<dir>/<test>-seed<seed>.trace.txt` and `.trace.json`.
pub(crate) fn write_traces(
    dir: &Path,
    test: &str,
    seed: u64,
    trace: &Trace,
) -> (Option<PathBuf>, Option<PathBuf>) {
    let stem: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if std::fs::create_dir_all(dir).is_err() {
        return (None, None);
    }
    let text = dir.join(format!("{stem}-seed{seed}.trace.txt"));
    let json = dir.join(format!("{stem}-seed{seed}.trace.json"));
    let text = std::fs::write(&text, trace.render()).ok().map(|()| text);
    let json = std::fs::write(&json, trace.to_chrome_json())
        .ok()
        .map(|()| json);
    (text, json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Sim;

    fn drawn(total: usize, above: usize) -> DrawnValues {
        DrawnValues {
            total,
            above_first: (0..above as u64)
                .map(|seq| DrawnValue {
                    seq,
                    time: Instant::ZERO,
                    by: "loop".into(),
                    what: format!("random {seq} in 0..100"),
                })
                .collect(),
        }
    }

    /// A test's path becomes a file name: letters, digits, `-` and `_`
    /// kept, anything else `_`.
    #[test]
    fn trace_files_are_named_after_the_test_and_seed() {
        let mut sim = Sim::new(0);
        sim.run(async {}).unwrap();
        let dir = std::env::temp_dir().join("seedloop-failure-names");
        let (text, json) = write_traces(&dir, "queues::a-b_c d", 7, sim.trace());
        let name = |p: Option<PathBuf>| p.unwrap().file_name().unwrap().to_owned();
        assert_eq!(name(text), "queues__a-b_c_d-seed7.trace.txt");
        assert_eq!(name(json), "queues__a-b_c_d-seed7.trace.json");
    }

    /// Twelve values are listed whole; past twelve, the rest are counted.
    #[test]
    fn a_report_lists_twelve_values_then_counts_the_rest() {
        let twelve = drawn(12, 12).to_string();
        assert!(twelve.starts_with("12 drawn; 12 above their domain's first:"));
        assert!(twelve.contains("event 11 at"), "{twelve}");
        assert!(!twelve.contains("more"), "{twelve}");
        let thirteen = drawn(13, 13).to_string();
        assert!(!thirteen.contains("event 12 at"), "{thirteen}");
        assert!(
            thirteen.ends_with("\n  ... and 1 more (the full trace has them all)"),
            "{thirteen}"
        );
    }

    /// "shrinking lowered the rest" only when shrinking ran and did lower
    /// some.
    #[test]
    fn the_shrinking_note_needs_a_lowered_value() {
        let mut sim = Sim::new(0);
        let error = sim.run(std::future::pending::<()>()).unwrap_err();
        let schedule = sim.schedule().clone();
        let failure = |values| CheckFailure {
            test: "t".into(),
            seed: 0,
            policy: "random".into(),
            runs: 1,
            found: schedule.clone(),
            shrunk: Some((schedule.clone(), 1)),
            error: error.clone(),
            determinism: Determinism::Same,
            trace_file: None,
            chrome_file: None,
            values,
            injected_cancels: Vec::new(),
            run: Coverage::default(),
        };
        let none_lowered = failure(drawn(2, 2)).to_string();
        assert!(
            none_lowered.contains("values: 2 drawn; 2 above their domain's first:\n"),
            "{none_lowered}"
        );
        let unshrunk = CheckFailure {
            shrunk: None,
            ..failure(drawn(3, 2))
        };
        assert!(
            unshrunk
                .to_string()
                .contains("values: 3 drawn; 2 above their domain's first:\n"),
            "{unshrunk}"
        );
        let one_lowered = failure(drawn(3, 2)).to_string();
        assert!(
            one_lowered.contains(
                "values: 3 drawn; 2 above their domain's first (shrinking lowered the rest):\n"
            ),
            "{one_lowered}"
        );
    }
}
