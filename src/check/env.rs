//! The `SEEDLOOP_*` variables a [`Check`](super::Check) obeys.

use std::ops::Range;
use std::path::PathBuf;

use crate::sim::env::{parse_seed, replay_var, seed_var};
use crate::sim::{ConfigError, Policy, Schedule};

/// What the environment asks of a check; every field overrides the builder.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct CheckEnv {
    pub seeds: Option<Range<u64>>,
    pub policy: Option<Policy>,
    pub exhaustive: Option<usize>,
    pub replay: Option<Schedule>,
    pub trace_dir: Option<PathBuf>,
    /// (k, n): run the k-th of n stripes of the seeds, k from 1.
    pub shard: Option<(u64, u64)>,
}

impl CheckEnv {
    /// Whether the environment narrows the sweep to a part of it: a shard,
    /// or one seed picked to look at. A part does not fail for an
    /// assertion that other seeds may exercise.
    pub fn narrows_to_part(&self) -> bool {
        self.shard.is_some() || self.seeds.as_ref().is_some_and(|s| s.end - s.start == 1)
    }
}

fn err(var: &'static str, value: &str, expected: &str) -> ConfigError {
    ConfigError {
        var,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// `1000` (seeds 0..1000), `5..10` or `5..=10`.
fn parse_seeds(v: &str) -> Option<Range<u64>> {
    let v = v.trim();
    if let Some((a, b)) = v.split_once("..=") {
        let (a, b) = (parse_seed(a)?, parse_seed(b)?);
        return if a <= b {
            Some(a..b.checked_add(1)?)
        } else {
            None
        };
    }
    if let Some((a, b)) = v.split_once("..") {
        let (a, b) = (parse_seed(a)?, parse_seed(b)?);
        return (a < b).then_some(a..b);
    }
    let n = parse_seed(v)?;
    (n > 0).then_some(0..n)
}

pub(crate) fn read(lookup: impl Fn(&str) -> Option<String>) -> Result<CheckEnv, ConfigError> {
    let get = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
    let mut env = CheckEnv::default();
    if let Some(v) = get("SEEDLOOP_SEED") {
        let s = seed_var(&v)?;
        env.seeds = Some(s..s.saturating_add(1));
    }
    if let Some(v) = get("SEEDLOOP_SEEDS") {
        env.seeds = Some(parse_seeds(&v).ok_or_else(|| {
            err(
                "SEEDLOOP_SEEDS",
                &v,
                "expected a count (SEEDLOOP_SEEDS=1000 for seeds 0..1000) or a non-empty \
                 range (SEEDLOOP_SEEDS=5000..6000 or 5000..=5999)",
            )
        })?);
    }
    if let Some(v) = get("SEEDLOOP_POLICY") {
        let lower = v.trim().to_ascii_lowercase();
        if let Some(k) = lower.strip_prefix("exhaustive") {
            let k = match k.strip_prefix(':') {
                None if k.is_empty() => Some(2),
                Some(k) => k.parse().ok(),
                None => None,
            };
            env.exhaustive = Some(k.ok_or_else(|| {
                err(
                    "SEEDLOOP_POLICY",
                    &v,
                    "expected `exhaustive` or `exhaustive:<max deviations from FIFO>`",
                )
            })?);
        } else {
            env.policy = Some(lower.parse().map_err(|_| {
                err(
                    "SEEDLOOP_POLICY",
                    &v,
                    &format!(
                        "expected {} or `exhaustive:<k>`, e.g. SEEDLOOP_POLICY=pct:2",
                        crate::runtime::sched::POLICY_FORMS
                    ),
                )
            })?);
        }
    }
    if let Some(v) = get("SEEDLOOP_REPLAY") {
        env.replay = Some(replay_var(&v)?);
    }
    if let Some(v) = get("SEEDLOOP_TRACE_DIR") {
        env.trace_dir = Some(PathBuf::from(v));
    }
    if let Some(v) = get("SEEDLOOP_SHARD") {
        let shard = v.split_once('/').and_then(|(k, n)| {
            let (k, n) = (k.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?);
            (1 <= k && k <= n).then_some((k, n))
        });
        env.shard = Some(shard.ok_or_else(|| {
            err(
                "SEEDLOOP_SHARD",
                &v,
                "expected k/n with 1 <= k <= n, e.g. SEEDLOOP_SHARD=2/4 runs the second of four \
                 stripes of the seeds",
            )
        })?);
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<CheckEnv, ConfigError> {
        read(crate::sim::env::fake(vars))
    }

    #[test]
    fn seeds_counts_ranges_and_shards() {
        assert_eq!(
            with(&[("SEEDLOOP_SEEDS", "1000")]).unwrap().seeds,
            Some(0..1000)
        );
        assert_eq!(
            with(&[("SEEDLOOP_SEEDS", "5..10")]).unwrap().seeds,
            Some(5..10)
        );
        assert_eq!(
            with(&[("SEEDLOOP_SEEDS", "5..=10")]).unwrap().seeds,
            Some(5..11)
        );
        assert_eq!(with(&[("SEEDLOOP_SEED", "7")]).unwrap().seeds, Some(7..8));
        assert_eq!(
            with(&[("SEEDLOOP_SHARD", "2/4")]).unwrap().shard,
            Some((2, 4))
        );
        assert_eq!(
            with(&[("SEEDLOOP_POLICY", "exhaustive:3")])
                .unwrap()
                .exhaustive,
            Some(3)
        );
        assert_eq!(
            with(&[("SEEDLOOP_POLICY", "exhaustive")])
                .unwrap()
                .exhaustive,
            Some(2)
        );
    }

    #[test]
    fn one_seed_or_a_shard_is_a_part_of_the_sweep() {
        let part = |vars: &[(&str, &str)]| with(vars).unwrap().narrows_to_part();
        assert!(part(&[("SEEDLOOP_SEED", "7")]));
        assert!(part(&[("SEEDLOOP_SEEDS", "5..6")]));
        assert!(part(&[("SEEDLOOP_SHARD", "1/2")]));
        assert!(!part(&[("SEEDLOOP_SEEDS", "1000")]));
        assert!(!part(&[("SEEDLOOP_POLICY", "pct:2")]));
        assert!(!part(&[]));
    }

    #[test]
    fn bad_values_say_the_accepted_forms() {
        let e = |k, v| with(&[(k, v)]).unwrap_err().to_string();
        assert_eq!(
            e("SEEDLOOP_SEEDS", "10..5"),
            "SEEDLOOP_SEEDS=`10..5` is not valid: expected a count (SEEDLOOP_SEEDS=1000 for seeds \
             0..1000) or a non-empty range (SEEDLOOP_SEEDS=5000..6000 or 5000..=5999)"
        );
        assert!(
            e("SEEDLOOP_SEEDS", "5..5").contains("a non-empty range"),
            "an empty range is refused, not a sweep of no seed"
        );
        assert!(e("SEEDLOOP_SEEDS", "0").contains("a non-empty range"));
        assert_eq!(
            with(&[("SEEDLOOP_SEEDS", "5..=5")]).unwrap().seeds,
            Some(5..6)
        );
        assert!(e("SEEDLOOP_SHARD", "5/4")
            .starts_with("SEEDLOOP_SHARD=`5/4` is not valid: expected k/n"));
        assert!(e("SEEDLOOP_POLICY", "exhaustive:x").contains("exhaustive:<max deviations"));
        assert!(e("SEEDLOOP_POLICY", "exhaustively").contains("exhaustive:<max deviations"));
        assert!(e("SEEDLOOP_POLICY", "lifo").contains("`exhaustive:<k>`"));
    }
}
