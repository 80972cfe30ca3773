//! The tests every catalogue entry gets, as one macro: `bug_tests!`.

use seedloop::check::{CheckError, CheckFailure};
use seedloop::SimError;

/// How a run failed, in a word: the panic message, or `deadlock`.
pub fn failure_of(e: &SimError) -> String {
    match e {
        SimError::Panic(r) => r.message.clone(),
        SimError::Deadlock(_) => "deadlock".into(),
        other => format!("unexpected failure: {other}"),
    }
}

/// The failure of a check that must fail.
pub fn failed(result: Result<seedloop::check::CheckSummary, CheckError>) -> Box<CheckFailure> {
    match result {
        Err(CheckError::Failed(f)) => f,
        Err(other) => panic!("expected a failing schedule, got {other}"),
        Ok(summary) => panic!("expected a failing schedule, but {summary}"),
    }
}

/// Where failing checks leave their traces.
pub fn trace_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("seedloop-bugs")
}

/// The standard tests of one bug:
///
/// - under FIFO the program passes, with no cancel injected: for every
///   seed, or, for a timing bug (`Bug::timing`: its failure needs specific
///   delays, which a seed may draw), with every value its domain's first
///   (the one run of `exhaustive(0)`);
/// - every other test checks with `Check::inject_cancels` when the bug
///   needs a cancel (`Bug::cancels`);
/// - a `Policy::Random` sweep and a PCT sweep each find it within a budget
///   of seeds, failing the expected way;
/// - exhaustive search with one deviation less than the bug needs covers
///   its whole space and passes, with the bug's bound it finds the bug
///   (both counts are snapshotted: the space covered);
/// - shrinking brings the failing schedule down to exactly that many
///   deviations, and the shrunk schedule replays to the same failure;
/// - the fixed program passes exhaustive search one bound deeper (also
///   snapshotted), FIFO, and the random and PCT sweeps.
macro_rules! bug_tests {
    (
        program: $program:ident,
        fixed: $fixed:ident,
        fails_with: $fails_with:expr,
        random_seeds: $random:expr,
        pct: (depth $depth:expr, seeds $pct:expr) $(,)?
    ) => {
        mod tests {
            use seedloop::check::Check;
            use seedloop::{Policy, Sim};

            use super::{$fixed, $program};
            use $crate::bug_tests::{failed, failure_of, trace_dir};
            use $crate::programs::{run_length, Bug, Program, CATALOGUE};

            const PROGRAM: Program = || Box::pin($program());
            const FIXED: Program = || Box::pin($fixed());

            /// The program's entry in the catalogue.
            fn bug() -> &'static Bug {
                CATALOGUE
                    .iter()
                    .find(|b| b.name == stringify!($program))
                    .expect("the program is in the catalogue")
            }

            /// The fewest deviations from FIFO that fail, from the catalogue.
            fn deviations() -> usize {
                bug().deviations
            }

            /// Whether the bug needs an injected cancel, from the catalogue.
            fn cancels() -> bool {
                CATALOGUE
                    .iter()
                    .find(|b| b.name == stringify!($program))
                    .expect("the program is in the catalogue")
                    .cancels
            }

            fn check() -> Check {
                Check::new()
                    .threads(1)
                    .trace_dir(trace_dir())
                    .inject_cancels(cancels())
            }

            /// FIFO, and no cancel injected (a FIFO run still draws its
            /// values, cancels included, from the seed).
            #[test]
            fn passes_under_fifo() {
                if bug().timing {
                    let plain = check().exhaustive(0).run($program);
                    assert_eq!((plain.runs, plain.exhausted), (1, Some(true)), "{plain}");
                } else {
                    check()
                        .inject_cancels(false)
                        .policy(Policy::Fifo)
                        .seeds(0..20)
                        .run($program);
                }
            }

            #[test]
            fn random_finds_it() {
                let f = failed(check().seeds($random).shrink(false).try_run($program));
                assert!(failure_of(&f.error).contains($fails_with), "{f}");
            }

            #[test]
            fn pct_finds_it() {
                let f = failed(
                    check()
                        .policy(Policy::Pct { depth: $depth })
                        .expected_steps(run_length(PROGRAM))
                        .seeds($pct)
                        .shrink(false)
                        .try_run($program),
                );
                assert!(failure_of(&f.error).contains($fails_with), "{f}");
            }

            #[test]
            fn exhaustive_search_finds_it_within_its_bound() {
                let k = deviations();
                let below = check().exhaustive(k - 1).try_run($program).unwrap();
                assert_eq!(below.exhausted, Some(true), "{below}");
                let f = failed(check().exhaustive(k).shrink(false).try_run($program));
                assert!(failure_of(&f.error).contains($fails_with), "{f}");
                assert_eq!(f.found.deviations(), k, "{f}");
                let fixed = check().exhaustive(k + 1).run($fixed);
                assert_eq!(fixed.exhausted, Some(true), "{fixed}");
                let space = format!(
                    "program, exhaustive:{}: {below}\n\
                     program, exhaustive:{k}: failed after {} runs: {}\n\
                     fixed,   exhaustive:{}: {fixed}\n",
                    k - 1,
                    f.runs,
                    failure_of(&f.error),
                    k + 1,
                );
                $crate::snapshot!(concat!("bugs_", stringify!($program), "_space"), space);
            }

            #[test]
            fn shrinks_to_its_essential_deviations() {
                let f = failed(check().seeds($random).try_run($program));
                let (shrunk, _) = f.shrunk.as_ref().expect("shrunk");
                assert_eq!(shrunk.deviations(), deviations(), "{f}");
                assert!(shrunk.len() <= f.found.len(), "{f}");
                let replayed = Sim::replay(&shrunk.to_string()).unwrap().run($program());
                let error = replayed.expect_err("the shrunk schedule fails");
                assert_eq!(failure_of(&error), failure_of(&f.error));
            }

            #[test]
            fn the_fix_passes() {
                check().policy(Policy::Fifo).seeds(0..20).run($fixed);
                check().seeds(0..200).run($fixed);
                check()
                    .policy(Policy::Pct { depth: 3 })
                    .expected_steps(run_length(FIXED))
                    .seeds(0..200)
                    .run($fixed);
            }
        }
    };
}
