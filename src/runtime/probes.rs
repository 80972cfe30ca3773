//! What one sim run saw of its `buggify!` sites and sweep assertions.
//!
//! The state lives with the run: `Sim` owns it, the run's `Core` reaches it
//! through `CoreConfig::probes`, and a check merges the runs' tallies into
//! its sweep's table. Real mode has none (`CoreConfig::probes` is `None`):
//! there a site never fires and a sweep assertion records nothing.

use std::collections::BTreeMap;
use std::panic::Location;

/// Where a probe is: the macro's call site.
pub(crate) type Site = &'static Location<'static>;

/// The four sweep assertions.
///
/// ```
/// use seedloop::check::AssertionKind;
/// assert_eq!(AssertionKind::Sometimes.to_string(), "sometimes");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssertionKind {
    /// `assert_always!`: true every time it is reached.
    Always,
    /// `assert_sometimes!`: true at least once over a sweep.
    Sometimes,
    /// `assert_reachable!`: reached at least once over a sweep.
    Reachable,
    /// `assert_unreachable!`: never reached.
    Unreachable,
}

impl AssertionKind {
    /// Whether a sweep fails when no run made it true (`sometimes`,
    /// `reachable`).
    ///
    /// ```
    /// use seedloop::check::AssertionKind;
    /// assert!(AssertionKind::Reachable.must_be_exercised());
    /// assert!(!AssertionKind::Always.must_be_exercised());
    /// ```
    pub fn must_be_exercised(self) -> bool {
        matches!(self, AssertionKind::Sometimes | AssertionKind::Reachable)
    }

    /// The macro's name: `assert_sometimes!`.
    ///
    /// ```
    /// use seedloop::check::AssertionKind;
    /// assert_eq!(AssertionKind::Unreachable.macro_name(), "assert_unreachable!");
    /// ```
    pub fn macro_name(self) -> &'static str {
        match self {
            AssertionKind::Always => "assert_always!",
            AssertionKind::Sometimes => "assert_sometimes!",
            AssertionKind::Reachable => "assert_reachable!",
            AssertionKind::Unreachable => "assert_unreachable!",
        }
    }
}

impl std::fmt::Display for AssertionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AssertionKind::Always => "always",
            AssertionKind::Sometimes => "sometimes",
            AssertionKind::Reachable => "reachable",
            AssertionKind::Unreachable => "unreachable",
        })
    }
}

/// One assertion in one run.
#[derive(Clone, Debug)]
pub(crate) struct AssertionTally {
    pub kind: AssertionKind,
    pub message: &'static str,
    pub hits: u64,
    /// Hits where the condition held (for `reachable`/`unreachable`: every hit).
    pub held: u64,
}

/// One `buggify!` site in one run.
#[derive(Clone, Debug)]
pub(crate) struct SiteTally {
    /// The run's once-per-site decision.
    pub enabled: bool,
    pub hits: u64,
    pub fired: u64,
}

/// Everything one run's probes recorded. Keyed by call site, so the order
/// is the source order (stable across runs and machines).
#[derive(Clone, Debug, Default)]
pub(crate) struct RunProbes {
    pub assertions: BTreeMap<Site, AssertionTally>,
    pub sites: BTreeMap<Site, SiteTally>,
    /// An `always` was false or an `unreachable` was reached: the run fails
    /// even where a task's panic would otherwise be isolated.
    pub violated: bool,
}

impl RunProbes {
    /// Counts a hit of the assertion at `site`.
    pub fn tally(&mut self, kind: AssertionKind, message: &'static str, site: Site, held: bool) {
        let t = self.assertions.entry(site).or_insert(AssertionTally {
            kind,
            message,
            hits: 0,
            held: 0,
        });
        t.hits += 1;
        t.held += u64::from(held);
    }
}
