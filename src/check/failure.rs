//! What a failed check reports, and the trace files it leaves behind.

use std::fmt;
use std::path::{Path, PathBuf};

use super::coverage::Coverage;
use super::determinism::Determinism;
use crate::sim::{Schedule, SimError};
use crate::trace::Trace;

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
    /// What the reported run's assertions and `buggify!` sites saw (one
    /// run): the report names the sites that fired.
    pub run: Coverage,
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
                "shrunk to:      {s} ({}; {runs} shrinking runs)",
                size(s)
            )?;
        }
        writeln!(f, "determinism: {}", self.determinism)?;
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
