//! `SEEDLOOP_SHARD=k/n` runs the k-th of n stripes of the seeds: seed `s`
//! when `s % n == k - 1`. The variable is the process's, so the check runs
//! in a child: this binary, running one of its own tests with it set.

use seedloop::check::Check;

/// Seeds 0..13 run whole, or the stripe `SEEDLOOP_SHARD` names (1/3: the
/// five seeds 0, 3, 6, 9, 12).
#[test]
fn a_check_runs_the_seeds_of_its_shard() {
    let stripe = std::env::var("SEEDLOOP_SHARD").ok().map(|v| {
        let (k, n) = v.split_once('/').expect("k/n");
        (k.parse::<u64>().unwrap(), n.parse::<u64>().unwrap())
    });
    let expected = (0..13u64)
        .filter(|s| stripe.is_none_or(|(k, n)| s % n == k - 1))
        .count() as u64;
    let summary = Check::new().seeds(0..13).run(|| async {});
    assert_eq!(summary.runs, expected, "{summary}");
}

#[test]
fn the_first_of_three_shards_runs_every_third_seed_from_zero() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(&exe)
        .args(["--exact", "shards::a_check_runs_the_seeds_of_its_shard"])
        .env("SEEDLOOP_SHARD", "1/3")
        .output()
        .expect("the test binary runs one of its tests");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("1 passed"), "{stdout}");
}
