//! The bug catalogue's tests: one `bug_tests!` per program of `programs/`
//! (the programs are shared with `examples/bug_table.rs`; their tests live
//! here so that only this test binary compiles them).

mod catalogue {
    use crate::programs::{run_length, CATALOGUE};

    /// `docs/bugs.md` describes every bug of the catalogue, with its bound.
    #[test]
    fn every_bug_is_described_in_the_docs() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/bugs.md");
        let docs = std::fs::read_to_string(path).expect("docs/bugs.md");
        for bug in &CATALOGUE {
            let heading = format!("### `{}`", bug.name);
            assert!(docs.contains(&heading), "docs/bugs.md lacks {heading:?}");
            let bound = format!("| {} | exhaustive:{} |", bug.name, bug.deviations);
            assert!(docs.contains(&bound), "docs/bugs.md lacks {bound:?}");
        }
    }

    /// Every program and its fix makes at least one scheduling choice: there
    /// is something for the policies to explore.
    #[test]
    fn every_program_has_choices_to_explore() {
        for bug in &CATALOGUE {
            assert!(run_length(bug.program) >= 1, "{}", bug.name);
            assert!(run_length(bug.fixed) >= 1, "{}", bug.name);
        }
    }
}

mod aba_slot {
    use crate::programs::aba_slot::*;

    bug_tests! {
        program: aba_slot,
        fixed: aba_slot_fixed,
        fails_with: "the reaper closed client-b's connection",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod barrier_miscount {
    use crate::programs::barrier_miscount::*;

    bug_tests! {
        program: barrier_miscount,
        fixed: barrier_miscount_fixed,
        fails_with: "deadlock",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod cancel_between_steps {
    use crate::programs::cancel_between_steps::*;

    bug_tests! {
        program: cancel_between_steps,
        fixed: cancel_between_steps_fixed,
        fails_with: "money vanished",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod cancelled_read_modify_write {
    use crate::programs::cancelled_read_modify_write::*;

    bug_tests! {
        program: cancelled_read_modify_write,
        fixed: cancelled_read_modify_write_fixed,
        fails_with: "the ledger lost its entries",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod double_release {
    use crate::programs::double_release::*;

    bug_tests! {
        program: double_release,
        fixed: double_release_fixed,
        fails_with: "the worker's release failed",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod hand_held_guard {
    use crate::programs::hand_held_guard::*;

    bug_tests! {
        program: hand_held_guard,
        fixed: hand_held_guard_fixed,
        fails_with: "deadlock",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod lock_order_deadlock {
    use crate::programs::lock_order_deadlock::*;

    bug_tests! {
        program: lock_order_deadlock,
        fixed: lock_order_deadlock_fixed,
        fails_with: "deadlock",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod lost_update {
    use crate::programs::lost_update::*;

    bug_tests! {
        program: lost_update,
        fixed: lost_update_fixed,
        fails_with: "a deposit was lost",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod missed_notification {
    use crate::programs::missed_notification::*;

    bug_tests! {
        program: missed_notification,
        fixed: missed_notification_fixed,
        fails_with: "deadlock",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod queue_check_then_act {
    use crate::programs::queue_check_then_act::*;

    bug_tests! {
        program: queue_check_then_act,
        fixed: queue_check_then_act_fixed,
        fails_with: "the queue had a job a moment ago",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

mod slow_hops_miss_deadline {
    use crate::programs::slow_hops_miss_deadline::*;

    bug_tests! {
        program: slow_hops_miss_deadline,
        fixed: slow_hops_miss_deadline_fixed,
        fails_with: "the request missed its 89.5 ms deadline",
        random_seeds: 0..10000,
        pct: (depth 2, seeds 0..50),
    }
}

mod stale_cache {
    use crate::programs::stale_cache::*;

    bug_tests! {
        program: stale_cache,
        fixed: stale_cache_fixed,
        fails_with: "the cache holds a stale value",
        random_seeds: 0..100,
        pct: (depth 3, seeds 0..100),
    }
}

mod starvation {
    use crate::programs::starvation::*;

    bug_tests! {
        program: starvation,
        fixed: starvation_fixed,
        fails_with: "the reporter starved",
        random_seeds: 0..5000,
        pct: (depth 2, seeds 0..100),
    }
}

mod straggler_overtakes_close {
    use crate::programs::straggler_overtakes_close::*;

    bug_tests! {
        program: straggler_overtakes_close,
        fixed: straggler_overtakes_close_fixed,
        fails_with: "the file is open after it was closed",
        random_seeds: 0..10000,
        pct: (depth 2, seeds 0..200),
    }
}

mod timeout_between_steps {
    use crate::programs::timeout_between_steps::*;

    bug_tests! {
        program: timeout_between_steps,
        fixed: timeout_between_steps_fixed,
        fails_with: "money vanished",
        random_seeds: 0..5000,
        pct: (depth 2, seeds 0..50),
    }
}

mod timeout_leaks_lock {
    use crate::programs::timeout_leaks_lock::*;

    bug_tests! {
        program: timeout_leaks_lock,
        fixed: timeout_leaks_lock_fixed,
        fails_with: "the next request cannot get the connection",
        random_seeds: 0..100,
        pct: (depth 2, seeds 0..100),
    }
}

/// The bug that needs a fault: found through its `buggify!` site, shrunk to
/// the two fault decisions it needs, enumerated by exhaustive search.
mod retry_duplicates {
    use seedloop::check::Check;
    use seedloop::sim::ChoiceKind;
    use seedloop::{Policy, Sim};

    use crate::bug_tests::{failed, failure_of, trace_dir};
    use crate::programs::retry_duplicates::*;

    const FAILS_WITH: &str = "the deposit was applied twice";
    const SITE: &str = "sim-tests/catalogue/programs/retry_duplicates.rs:";

    fn check() -> Check {
        Check::new().threads(1).trace_dir(trace_dir())
    }

    #[test]
    fn no_schedule_shows_it_without_a_fault() {
        // Guided with no picks: FIFO, every value its first, no fault.
        for seed in 0..20 {
            Sim::guided(seed, vec![]).run(retry_duplicates()).unwrap();
        }
        // Every schedule with one deviation: a site enabled but never
        // fired, or one reordering, is harmless.
        let s = check().exhaustive(1).run(retry_duplicates);
        assert_eq!(s.exhausted, Some(true), "{s}");
    }

    #[test]
    fn a_random_sweep_finds_it_through_buggify() {
        let f = failed(
            check()
                .seeds(0..100)
                .shrink(false)
                .try_run(retry_duplicates),
        );
        assert!(failure_of(&f.error).contains(FAILS_WITH), "{f}");
        let text = f.to_string();
        assert!(text.contains(&format!("buggify fired: {SITE}")), "{f}");
        let pct = check()
            .policy(Policy::Pct { depth: 2 })
            .seeds(0..100)
            .shrink(false)
            .try_run(retry_duplicates);
        assert!(failure_of(&failed(pct).error).contains(FAILS_WITH));
    }

    #[test]
    fn it_shrinks_to_one_enabled_site_and_one_lost_reply() {
        let f = failed(check().seeds(0..100).try_run(retry_duplicates));
        let (shrunk, _) = f.shrunk.as_ref().expect("shrunk");
        let on: Vec<ChoiceKind> = shrunk
            .choices()
            .iter()
            .filter(|c| c.picked != 0)
            .map(|c| c.kind)
            .collect();
        assert_eq!(on, [ChoiceKind::Fault, ChoiceKind::Fault], "{f}");
        let mut sim = Sim::replay(&shrunk.to_string()).unwrap();
        let error = sim
            .run(retry_duplicates())
            .expect_err("the shrunk schedule fails");
        assert_eq!(failure_of(&error), failure_of(&f.error));
        let trace = sim.trace().render();
        assert_eq!(trace.matches("buggify fired at").count(), 1, "{trace}");
        assert!(
            trace.contains(&format!("buggify enabled at {SITE}")),
            "{trace}"
        );
    }

    #[test]
    fn exhaustive_search_finds_it_with_two_deviations() {
        let f = failed(
            check()
                .exhaustive(2)
                .shrink(false)
                .try_run(retry_duplicates),
        );
        assert!(failure_of(&f.error).contains(FAILS_WITH), "{f}");
        assert_eq!(f.found.deviations(), 2, "{f}");
    }

    #[test]
    fn the_fix_passes_and_its_sweep_exercises_the_duplicate_path() {
        let s = check().exhaustive(3).run(retry_duplicates_fixed);
        assert_eq!(s.exhausted, Some(true), "{s}");
        let s = check()
            .seeds(0..200)
            .must_exercise("a duplicate deposit is answered, not applied")
            .run(retry_duplicates_fixed);
        let duplicate = s
            .coverage
            .assertions
            .iter()
            .find(|a| a.message.starts_with("a duplicate"))
            .expect("reached");
        assert!(duplicate.hits > 0, "{s}");
        check()
            .policy(Policy::Pct { depth: 3 })
            .seeds(0..200)
            .run(retry_duplicates_fixed);
    }
}
