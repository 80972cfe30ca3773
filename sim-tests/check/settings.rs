//! A check's builder methods each set one thing and keep the others: after
//! any of them, the seeds given before still decide how many runs there
//! are.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use seedloop::check::Check;
use seedloop::net;

/// One builder method, with its argument.
type Setting = fn(Check) -> Check;

#[test]
fn each_setting_keeps_the_seeds_given_before_it() {
    let settings: [(&str, Setting); 7] = [
        ("network", |c| c.network(net::Config::default())),
        ("network_faults", |c| {
            c.network_faults(net::Faults::default())
        }),
        ("shrink_budget", |c| c.shrink_budget(10)),
        ("self_check_sample", |c| c.self_check_sample(2)),
        ("step_limit", |c| c.step_limit(10_000)),
        ("time_limit", |c| c.time_limit(Duration::from_secs(60))),
        ("isolate_panics", |c| c.isolate_panics(true)),
    ];
    for (name, set) in settings {
        let check = set(Check::new().threads(1).seeds(0..3));
        assert_eq!(check.run(|| async {}).runs, 3, "{name}");
    }
}

/// After a passing sweep, the self-check runs the first seed and every
/// `every`-th after it twice more: seeds 0, 4 and 8 of ten, with 4.
#[test]
fn the_self_check_reruns_every_nth_seed_twice() {
    let calls = |every: u64| {
        let calls = AtomicUsize::new(0);
        let summary = Check::new()
            .threads(1)
            .seeds(0..10)
            .self_check_sample(every)
            .run(|| async {
                calls.fetch_add(1, Ordering::Relaxed);
            });
        assert_eq!(summary.runs, 10);
        calls.into_inner()
    };
    assert_eq!(calls(4), 10 + 2 * 3);
    assert_eq!(calls(1), 10 + 2 * 10);
    assert_eq!(calls(0), 10, "0 turns it off");
}
