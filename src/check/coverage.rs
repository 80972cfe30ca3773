//! What a sweep exercised: every sweep assertion and `buggify!` site, with
//! its counts merged over the sweep's runs.

use std::fmt;
use std::panic::Location;

pub use crate::runtime::probes::AssertionKind;
use crate::runtime::probes::RunProbes;

/// The table of a sweep's assertions and fault sites, in source order
/// (by file, line, column). Printed with [`CheckSummary`](super::CheckSummary)
/// and [`CheckError::Unexercised`](super::CheckError::Unexercised).
///
/// ```
/// use seedloop::{assert_sometimes, buggify, check::Check};
/// let summary = Check::new().seeds(0..40).run(|| async {
///     let failed = buggify!();
///     assert_sometimes!(failed, "a write failed");
/// });
/// let c = &summary.coverage;
/// assert_eq!((c.runs, c.sites[0].runs), (40, 40));
/// assert!(c.sites[0].enabled > 0 && c.sites[0].fired > 0);
/// assert_eq!(c.assertions[0].held, c.sites[0].fired);
/// assert!(c.unmet().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// How many runs the counts cover.
    pub runs: u64,
    /// Every assertion some run reached.
    pub assertions: Vec<AssertionCoverage>,
    /// Every `buggify!` site some run reached.
    pub sites: Vec<SiteCoverage>,
    /// Messages [`Check::must_exercise`](super::Check::must_exercise) named
    /// that no run reached at all (an assertion no run reaches is unknown
    /// to the sweep otherwise).
    pub missing: Vec<&'static str>,
}

/// One assertion over a sweep.
///
/// ```
/// use seedloop::{assert_always, check::Check};
/// let s = Check::new().seeds(0..10).run(|| async { assert_always!(true, "fine") });
/// let row = &s.coverage.assertions[0];
/// assert_eq!((row.message, row.hits, row.held, row.first_held), ("fine", 10, 10, Some(0)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionCoverage {
    /// Which assertion.
    pub kind: AssertionKind,
    /// Its message.
    pub message: &'static str,
    /// Where it is.
    pub site: &'static Location<'static>,
    /// How many times runs reached it.
    pub hits: u64,
    /// How many of those saw the condition true (`reachable`: every hit).
    pub held: u64,
    /// The first seed (smallest) of a run that saw it true.
    pub first_held: Option<u64>,
}

impl AssertionCoverage {
    /// Whether the sweep fails on it: a `sometimes` never true, a
    /// `reachable` never reached.
    ///
    /// ```
    /// use seedloop::{assert_sometimes, check::Check, Policy};
    /// let s = Check::new().policy(Policy::Fifo).seeds(0..3).try_run(|| async {
    ///     assert_sometimes!(false, "never");
    /// });
    /// assert!(s.is_err());
    /// ```
    pub fn unmet(&self) -> bool {
        self.kind.must_be_exercised() && self.held == 0
    }
}

/// One `buggify!` site over a sweep.
///
/// ```
/// use seedloop::{buggify, check::Check};
/// let s = Check::new().seeds(0..10).run(|| async { buggify!(); });
/// let site = &s.coverage.sites[0];
/// assert_eq!((site.runs, site.hits), (10, 10));
/// assert!(site.fired <= site.enabled);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteCoverage {
    /// Where it is.
    pub site: &'static Location<'static>,
    /// How many runs reached it.
    pub runs: u64,
    /// In how many of those it was enabled.
    pub enabled: u64,
    /// How many times runs reached it.
    pub hits: u64,
    /// How many of those hits fired.
    pub fired: u64,
    /// The first seed (smallest) of a run where it fired.
    pub first_fired: Option<u64>,
}

fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Coverage {
    /// The assertions the sweep failed to exercise (see
    /// [`AssertionCoverage::unmet`]).
    ///
    /// ```
    /// let c = seedloop::check::Coverage::default();
    /// assert!(c.unmet().is_empty());
    /// ```
    pub fn unmet(&self) -> Vec<&AssertionCoverage> {
        self.assertions.iter().filter(|a| a.unmet()).collect()
    }

    /// Whether the sweep exercised every `sometimes` and `reachable` it
    /// reached, and every message it was told it must.
    ///
    /// ```
    /// assert!(seedloop::check::Coverage::default().exercised_all());
    /// ```
    pub fn exercised_all(&self) -> bool {
        self.missing.is_empty() && self.unmet().is_empty()
    }

    /// Notes each of `messages` that no run reached.
    pub(crate) fn require(&mut self, messages: &[&'static str]) {
        for &m in messages {
            let reached = self.assertions.iter().any(|a| a.message == m);
            if !reached && !self.missing.contains(&m) {
                self.missing.push(m);
            }
        }
    }

    /// Whether no run reached any assertion or site.
    ///
    /// ```
    /// assert!(seedloop::check::Coverage::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.assertions.is_empty() && self.sites.is_empty() && self.missing.is_empty()
    }

    /// Counts one run, labelled `seed`.
    pub(crate) fn add_run(&mut self, seed: u64, run: &RunProbes) {
        self.runs += 1;
        if run.assertions.is_empty() && run.sites.is_empty() {
            return;
        }
        for (&site, t) in &run.assertions {
            let held = (t.held > 0).then_some(seed);
            self.add_assertion(AssertionCoverage {
                kind: t.kind,
                message: t.message,
                site,
                hits: t.hits,
                held: t.held,
                first_held: held,
            });
        }
        for (&site, t) in &run.sites {
            self.add_site(SiteCoverage {
                site,
                runs: 1,
                enabled: u64::from(t.enabled),
                hits: t.hits,
                fired: t.fired,
                first_fired: (t.fired > 0).then_some(seed),
            });
        }
    }

    /// Whether `run` made progress these runs did not: a `sometimes` true
    /// or a `reachable` reached for the first time, a `buggify!` site
    /// enabled or fired for the first time. (Reaching a `sometimes` while
    /// it is false is not progress, nor is an `always` holding.)
    pub(crate) fn would_grow(&self, run: &RunProbes) -> bool {
        let first_held = run.assertions.iter().any(|(&site, t)| {
            t.kind.must_be_exercised()
                && t.held > 0
                && !self.assertions.iter().any(|a| a.site == site && a.held > 0)
        });
        first_held
            || run.sites.iter().any(|(&site, t)| {
                let before = self.sites.iter().find(|s| s.site == site);
                let (enabled, fired) = before.map_or((0, 0), |s| (s.enabled, s.fired));
                (enabled == 0 && t.enabled) || (fired == 0 && t.fired > 0)
            })
    }

    /// Adds another part of the same sweep (another thread's runs).
    pub(crate) fn merge(&mut self, other: Coverage) {
        self.runs += other.runs;
        for a in other.assertions {
            self.add_assertion(a);
        }
        for s in other.sites {
            self.add_site(s);
        }
    }

    fn add_assertion(&mut self, a: AssertionCoverage) {
        match self.assertions.binary_search_by(|x| x.site.cmp(a.site)) {
            Ok(i) => {
                let x = &mut self.assertions[i];
                x.hits += a.hits;
                x.held += a.held;
                x.first_held = earliest(x.first_held, a.first_held);
            }
            Err(i) => self.assertions.insert(i, a),
        }
    }

    fn add_site(&mut self, s: SiteCoverage) {
        match self.sites.binary_search_by(|x| x.site.cmp(s.site)) {
            Ok(i) => {
                let x = &mut self.sites[i];
                x.runs += s.runs;
                x.enabled += s.enabled;
                x.hits += s.hits;
                x.fired += s.fired;
                x.first_fired = earliest(x.first_fired, s.first_fired);
            }
            Err(i) => self.sites.insert(i, s),
        }
    }
}

fn place(site: &Location<'_>) -> String {
    format!("{}:{}", site.file(), site.line())
}

fn seed_or_never(seed: Option<u64>) -> String {
    seed.map_or("never".into(), |s| format!("seed {s}"))
}

/// The table: one line per assertion (kind, message, hits, true, false,
/// first seed where true, place), then one per `buggify!` site (place,
/// runs that reached it, runs that enabled it, hits, fires, first seed
/// where it fired). An unmet `sometimes`/`reachable` is marked `<- never`.
impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runs = self.runs;
        writeln!(
            f,
            "coverage over {runs} run{}:",
            if runs == 1 { "" } else { "s" }
        )?;
        for m in &self.missing {
            writeln!(f, "  {m:?}: no run reached it  <- never exercised")?;
        }
        if !self.assertions.is_empty() {
            let quoted: Vec<String> = self
                .assertions
                .iter()
                .map(|a| format!("{:?}", a.message))
                .collect();
            let w = quoted.iter().map(String::len).max().unwrap_or(0).max(9);
            writeln!(
                f,
                "  {:<11} {:<w$} {:>8} {:>8} {:>8}  {:<12} at",
                "assertion", "message", "hits", "true", "false", "first true"
            )?;
            for (a, message) in self.assertions.iter().zip(&quoted) {
                write!(
                    f,
                    "  {:<11} {:<w$} {:>8} {:>8} {:>8}  {:<12} {}",
                    a.kind.to_string(),
                    message,
                    a.hits,
                    a.held,
                    a.hits - a.held,
                    seed_or_never(a.first_held),
                    place(a.site)
                )?;
                if a.unmet() {
                    write!(f, "  <- never exercised")?;
                }
                writeln!(f)?;
            }
        }
        if !self.sites.is_empty() {
            let places: Vec<String> = self.sites.iter().map(|s| place(s.site)).collect();
            let w = places.iter().map(String::len).max().unwrap_or(0).max(12);
            writeln!(
                f,
                "  {:<w$} {:>8} {:>8} {:>8} {:>8}  first fired",
                "buggify site", "runs", "enabled", "hits", "fired"
            )?;
            for (s, place) in self.sites.iter().zip(&places) {
                writeln!(
                    f,
                    "  {:<w$} {:>8} {:>8} {:>8} {:>8}  {}",
                    place,
                    s.runs,
                    s.enabled,
                    s.hits,
                    s.fired,
                    seed_or_never(s.first_fired)
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::probes::SiteTally;

    fn run(sometimes_held: bool, fired: u64) -> RunProbes {
        let mut r = RunProbes::default();
        r.tally(
            AssertionKind::Sometimes,
            "s",
            Location::caller(),
            sometimes_held,
        );
        r.tally(AssertionKind::Always, "a", Location::caller(), true);
        r.sites.insert(
            Location::caller(),
            SiteTally {
                enabled: fired > 0,
                hits: 3,
                fired,
            },
        );
        r
    }

    /// Progress is a `sometimes` held, or a site enabled or fired, for the
    /// first time; reaching a `sometimes` while false is not.
    #[test]
    fn a_run_grows_coverage_only_with_something_first() {
        let mut c = Coverage::default();
        assert!(
            !c.would_grow(&run(false, 0)),
            "s reached but false, site off"
        );
        c.add_run(1, &run(false, 0));
        assert!(c.would_grow(&run(true, 0)), "s held for the first time");
        c.add_run(2, &run(true, 0));
        assert!(!c.would_grow(&run(true, 0)), "s held before");
        assert!(
            c.would_grow(&run(true, 1)),
            "the site enabled and fired first"
        );
        c.add_run(3, &run(true, 1));
        assert!(!c.would_grow(&run(true, 1)), "nothing new");

        let site_run = |enabled: bool, fired: u64| {
            let mut r = RunProbes::default();
            r.sites.insert(
                Location::caller(),
                SiteTally {
                    enabled,
                    hits: 1,
                    fired,
                },
            );
            r
        };
        let mut c = Coverage::default();
        c.add_run(1, &site_run(false, 0));
        assert!(!c.would_grow(&site_run(false, 0)), "hit, never enabled");
        assert!(
            c.would_grow(&site_run(true, 0)),
            "enabled for the first time"
        );
        c.add_run(2, &site_run(true, 0));
        assert!(
            !c.would_grow(&site_run(true, 0)),
            "enabled again, not fired"
        );
        assert!(c.would_grow(&site_run(true, 2)), "fired for the first time");
    }

    /// Coverage is empty only with no assertion, no site and nothing
    /// missing: any one of them alone makes it non-empty.
    #[test]
    fn one_assertion_or_one_site_alone_is_not_empty() {
        let mut only_assertions = RunProbes::default();
        only_assertions.tally(AssertionKind::Always, "a", Location::caller(), true);
        let mut only_sites = RunProbes::default();
        only_sites.sites.insert(
            Location::caller(),
            SiteTally {
                enabled: true,
                hits: 1,
                fired: 1,
            },
        );
        for r in [only_assertions, only_sites] {
            let mut c = Coverage::default();
            c.add_run(1, &r);
            assert!(!c.is_empty());
        }
        assert!(Coverage::default().is_empty());
    }

    /// Runs merged in any grouping and order give the same table: the
    /// counts add up and "first" is the smallest seed.
    #[test]
    fn merging_does_not_depend_on_how_runs_were_split() {
        let runs = [
            (4, run(false, 0)),
            (2, run(true, 1)),
            (7, run(true, 2)),
            (3, run(false, 1)),
        ];
        let mut whole = Coverage::default();
        for (seed, r) in &runs {
            whole.add_run(*seed, r);
        }
        let (mut a, mut b) = (Coverage::default(), Coverage::default());
        for (seed, r) in runs.iter().rev() {
            if seed % 2 == 0 {
                a.add_run(*seed, r)
            } else {
                b.add_run(*seed, r)
            }
        }
        b.merge(a);
        assert_eq!(whole, b);
        assert_eq!(whole.runs, 4);
        let s = whole.assertions.iter().find(|x| x.message == "s").unwrap();
        assert_eq!((s.hits, s.held, s.first_held), (4, 2, Some(2)));
        let site = &whole.sites[0];
        assert_eq!(
            (
                site.runs,
                site.enabled,
                site.hits,
                site.fired,
                site.first_fired
            ),
            (4, 3, 12, 4, Some(2))
        );
        assert!(whole.exercised_all());
    }

    #[test]
    fn a_sometimes_never_true_and_a_required_message_never_reached_are_unmet() {
        let mut c = Coverage::default();
        c.add_run(0, &run(false, 0));
        assert_eq!(c.unmet().len(), 1);
        assert!(!c.exercised_all());
        let mut c = Coverage::default();
        c.add_run(0, &run(true, 0));
        c.require(&["s", "elsewhere"]);
        assert_eq!(c.missing, ["elsewhere"]);
        assert!(!c.exercised_all());
        assert!(c
            .to_string()
            .contains("\"elsewhere\": no run reached it  <- never exercised"));
    }
}
