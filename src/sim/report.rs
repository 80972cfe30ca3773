//! Failure reports: what went wrong, the state of every task, the trace tail,
//! and how to reproduce it.

use std::fmt;

use crate::runtime::ids::TaskId;
use crate::runtime::LiveTask;
use crate::time::Instant;
use crate::trace::report_task_name;

/// How to get the same run again. Part of every failure report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repro {
    /// The seed of the run.
    pub seed: u64,
    /// The policy, as `SEEDLOOP_POLICY` spells it (`replay` for a replay).
    pub policy: String,
    /// The schedule string of the run up to the failure.
    pub schedule: String,
    /// The test that ran it, when it ran under `cargo test`.
    pub test: Option<String>,
}

impl fmt::Display for Repro {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "reproduce:")?;
        writeln!(f, "  seed {} with policy {}", self.seed, self.policy)?;
        writeln!(f, "  schedule {}", self.schedule)?;
        match &self.test {
            Some(test) => writeln!(
                f,
                "  replay: SEEDLOOP_REPLAY='{}' cargo test -- {test} --exact",
                self.schedule
            )?,
            None => writeln!(
                f,
                "  replay: SEEDLOOP_REPLAY='{}' <your command>",
                self.schedule
            )?,
        }
        write!(
            f,
            "  (SEEDLOOP_REPLAY is read by Sim::from_env; in code: Sim::replay(\"{}\"))",
            self.schedule
        )
    }
}

/// A live task as a report shows it.
///
/// ```
/// use seedloop::{Sim, sim::TaskReport, SimError};
/// let err = Sim::new(1).run(std::future::pending::<()>()).unwrap_err();
/// let SimError::Deadlock(report) = err else { unreachable!() };
/// let main: &TaskReport = &report.tasks[0];
/// assert_eq!((main.name.as_str(), main.ready), ("main", false));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskReport {
    /// Its id.
    pub id: TaskId,
    /// Its display name (`#id` when unnamed).
    pub name: String,
    /// What it waits on, one line each; empty if it was ready to run or
    /// waits on something seedloop cannot see.
    pub waits: Vec<String>,
    /// Whether it was in the ready set.
    pub ready: bool,
}

/// The old name of [`TaskReport`].
#[deprecated(
    since = "0.1.0",
    note = "renamed `TaskReport`: a task's line in a report, not the state of a task"
)]
pub type TaskState = TaskReport;

impl From<&LiveTask> for TaskReport {
    fn from(r: &LiveTask) -> TaskReport {
        TaskReport {
            id: r.id,
            name: r.name.clone(),
            waits: r.waits.clone(),
            ready: r.queued,
        }
    }
}

fn write_tasks(f: &mut fmt::Formatter<'_>, tasks: &[TaskReport]) -> fmt::Result {
    for t in tasks {
        let who = if t.name == t.id.to_string() {
            t.name.clone()
        } else {
            format!("{:?} ({})", t.name, t.id)
        };
        match t.waits.as_slice() {
            [] if t.ready => writeln!(f, "  {who}: ready")?,
            [] => writeln!(
                f,
                "  {who} waits on something seedloop cannot see (a future from outside \
                 seedloop, or std::future::pending)"
            )?,
            waits => {
                // A wait that reads as a verb (`to read main:40001 <- …`,
                // the network's) follows `waits` directly.
                let phrase = |w: &String| match w.strip_prefix("to ") {
                    Some(_) => w.clone(),
                    None => format!("on {w}"),
                };
                let all: Vec<String> = waits.iter().map(phrase).collect();
                writeln!(f, "  {who} waits {}", all.join(", and "))?
            }
        }
    }
    Ok(())
}

fn write_tail(f: &mut fmt::Formatter<'_>, tail: &str) -> fmt::Result {
    if tail.is_empty() {
        return writeln!(f, "last events: none (tracing is off)");
    }
    writeln!(f, "last events:")?;
    for line in tail.lines() {
        writeln!(f, "  {line}")?;
    }
    Ok(())
}

/// Nothing is ready, no timer is pending, and the main task has not finished.
#[derive(Clone, PartialEq, Eq)]
pub struct DeadlockReport {
    /// When it was detected (virtual time).
    pub at: Instant,
    /// Every live task and what it waits on, in id order.
    pub tasks: Vec<TaskReport>,
    /// A cycle in the wait-for graph, if there is one (first task repeated at the end).
    pub cycle: Option<Vec<TaskId>>,
    /// The last events before the deadlock, rendered.
    pub trace_tail: String,
    /// How to get this run again.
    pub repro: Repro,
}

impl fmt::Display for DeadlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "deadlock at {}: {} task(s) blocked, no timer pending, nothing can wake them",
            self.at,
            self.tasks.len()
        )?;
        write_tasks(f, &self.tasks)?;
        if let Some(cycle) = &self.cycle {
            let name = |id: &TaskId| {
                self.tasks
                    .iter()
                    .find(|t| t.id == *id)
                    .map_or(id.to_string(), |t| report_task_name(&t.name, t.id))
            };
            let names: Vec<String> = cycle.iter().map(name).collect();
            writeln!(f, "cycle: {}", names.join(" -> "))?;
        }
        write_tail(f, &self.trace_tail)?;
        write!(f, "{}", self.repro)
    }
}

/// Prints the same readable report as `Display`, so that `.unwrap()`, `?` in
/// a test and `{:?}` all show it.
impl fmt::Debug for DeadlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A task (or callback) panicked.
#[derive(Clone, PartialEq, Eq)]
pub struct PanicReport {
    /// When (virtual time).
    pub at: Instant,
    /// The task that panicked, or `None` for a callback.
    pub task: Option<TaskId>,
    /// Its display name (`loop` for a callback).
    pub task_name: String,
    /// The panic message.
    pub message: String,
    /// The last events, ending with the panic.
    pub trace_tail: String,
    /// How to get this run again.
    pub repro: Repro,
}

impl fmt::Display for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.task {
            Some(id) => writeln!(
                f,
                "task {} ({id}) panicked at {}: {}",
                self.task_name, self.at, self.message
            )?,
            None => writeln!(f, "a callback panicked at {}: {}", self.at, self.message)?,
        }
        write_tail(f, &self.trace_tail)?;
        write!(f, "{}", self.repro)
    }
}

/// Prints the same readable report as `Display`, so that `.unwrap()`, `?` in
/// a test and `{:?}` all show it.
impl fmt::Debug for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The run hit its step limit or its virtual time limit.
#[derive(Clone, PartialEq, Eq)]
pub struct LimitReport {
    /// What was exceeded, in words (`step limit of 1000`).
    pub limit: String,
    /// When (virtual time).
    pub at: Instant,
    /// Every live task and what it waits on.
    pub tasks: Vec<TaskReport>,
    /// The last events.
    pub trace_tail: String,
    /// How to get this run again.
    pub repro: Repro,
}

impl fmt::Display for LimitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} reached at {}", self.limit, self.at)?;
        write_tasks(f, &self.tasks)?;
        write_tail(f, &self.trace_tail)?;
        write!(f, "{}", self.repro)
    }
}

/// Prints the same readable report as `Display`, so that `.unwrap()`, `?` in
/// a test and `{:?}` all show it.
impl fmt::Debug for LimitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Finds a cycle in the wait-for graph (task → tasks it waits for), trying
/// tasks in id order so the answer is deterministic.
pub(crate) fn find_cycle(tasks: &[LiveTask]) -> Option<Vec<TaskId>> {
    let edges = |id: TaskId| -> &[TaskId] {
        tasks
            .iter()
            .find(|t| t.id == id)
            .map_or(&[], |t| t.holders.as_slice())
    };
    for start in tasks {
        let mut path = vec![start.id];
        let mut seen = vec![start.id];
        if walk(start.id, &edges, &mut path, &mut seen) {
            return Some(path);
        }
    }
    None
}

fn walk<'a>(
    at: TaskId,
    edges: &impl Fn(TaskId) -> &'a [TaskId],
    path: &mut Vec<TaskId>,
    seen: &mut Vec<TaskId>,
) -> bool {
    for &next in edges(at) {
        if next == path[0] {
            path.push(next);
            return true;
        }
        if seen.contains(&next) {
            continue;
        }
        seen.push(next);
        path.push(next);
        if walk(next, edges, path, seen) {
            return true;
        }
        path.pop();
    }
    false
}
