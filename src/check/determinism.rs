//! The determinism self-check: the same schedule twice must give the same trace.

use std::fmt;

/// What running a failing schedule twice showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Determinism {
    /// Both runs gave the same trace, event for event.
    Same,
    /// The traces differ; the first differing event of each run.
    Differs {
        /// The position of the first difference (0-based event index).
        at: usize,
        /// That event in the first run (`<end of trace>` if it ended).
        first: String,
        /// That event in the second run.
        second: String,
    },
    /// The schedule failed once, during the search, and passed every time
    /// it was run again; no second failing run could be traced to compare.
    FailedOnce {
        /// How many times it was run again, passing each time.
        reruns: usize,
    },
}

impl Determinism {
    /// Whether the runs agreed.
    ///
    /// ```
    /// assert!(seedloop::check::Determinism::Same.is_same());
    /// ```
    pub fn is_same(&self) -> bool {
        *self == Determinism::Same
    }

    /// Compares two rendered traces line by line.
    pub(crate) fn compare(a: &str, b: &str) -> Determinism {
        let (mut la, mut lb) = (a.lines(), b.lines());
        let mut at = 0;
        loop {
            match (la.next(), lb.next()) {
                (None, None) => return Determinism::Same,
                (x, y) if x == y => at += 1,
                (x, y) => {
                    return Determinism::Differs {
                        at,
                        first: x.unwrap_or("<end of trace>").to_string(),
                        second: y.unwrap_or("<end of trace>").to_string(),
                    }
                }
            }
        }
    }
}

impl fmt::Display for Determinism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Determinism::Same => write!(f, "the failing schedule ran twice with identical traces"),
            Determinism::Differs { at, first, second } => write!(
                f,
                "NOT DETERMINISTIC: the same schedule gave different traces; first difference \
                 at event {at}:\n    run 1: {first}\n    run 2: {second}\n  something outside \
                 seedloop's control (threads, wall clocks, HashMap order, global state) decides \
                 this step: see docs/determinism.md"
            ),
            Determinism::FailedOnce { reruns } => write!(
                f,
                "NOT DETERMINISTIC: the schedule failed during the search but passed when run \
                 again ({reruns} times): something outside seedloop's control (threads, wall \
                 clocks, HashMap order, global state) decides the outcome: see \
                 docs/determinism.md"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Determinism;

    #[test]
    fn finds_the_first_difference() {
        assert_eq!(Determinism::compare("a\nb\n", "a\nb\n"), Determinism::Same);
        assert_eq!(
            Determinism::compare("a\nb\nc\n", "a\nx\n"),
            Determinism::Differs {
                at: 1,
                first: "b".into(),
                second: "x".into()
            }
        );
        assert_eq!(
            Determinism::compare("a\n", "a\nb\n"),
            Determinism::Differs {
                at: 1,
                first: "<end of trace>".into(),
                second: "b".into()
            }
        );
    }
}
