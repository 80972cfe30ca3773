//! Reading `SEEDLOOP_*` environment variables, with errors that say how to fix them.

use std::fmt;

use super::schedule::Schedule;
use crate::runtime::sched::{Policy, POLICY_FORMS};

/// A `SEEDLOOP_*` variable holds something seedloop cannot use.
///
/// ```
/// use seedloop::Sim;
/// // With SEEDLOOP_SEED=banana in the environment:
/// // Err: SEEDLOOP_SEED=`banana` is not valid: expected a decimal or 0x-prefixed
/// //      hexadecimal u64, e.g. SEEDLOOP_SEED=42 or SEEDLOOP_SEED=0x2a
/// # let _ = Sim::from_env();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable, e.g. `SEEDLOOP_SEED`.
    pub var: &'static str,
    /// What it held.
    pub value: String,
    /// The accepted forms.
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}=`{}` is not valid: {}",
            self.var, self.value, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

/// Parses a seed: decimal, or hexadecimal with `0x`.
pub(crate) fn parse_seed(s: &str) -> Option<u64> {
    let s = s.trim().replace('_', "");
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// What the environment asks of a `Sim`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvConfig {
    pub seed: Option<u64>,
    pub policy: Option<Policy>,
    pub replay: Option<Schedule>,
}

/// `SEEDLOOP_SEED`'s value as a seed.
pub(crate) fn seed_var(v: &str) -> Result<u64, ConfigError> {
    parse_seed(v).ok_or_else(|| ConfigError {
        var: "SEEDLOOP_SEED",
        value: v.to_string(),
        expected: "expected a decimal or 0x-prefixed hexadecimal u64, \
                   e.g. SEEDLOOP_SEED=42 or SEEDLOOP_SEED=0x2a"
            .into(),
    })
}

/// `SEEDLOOP_REPLAY`'s value as a schedule.
pub(crate) fn replay_var(v: &str) -> Result<Schedule, ConfigError> {
    v.parse().map_err(|e: super::ScheduleError| ConfigError {
        var: "SEEDLOOP_REPLAY",
        value: v.to_string(),
        expected: e.to_string(),
    })
}

/// An environment made of `vars`, for tests of the readers.
#[cfg(test)]
pub(crate) fn fake(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

/// Reads the variables through `lookup` (the process environment, or a map in tests).
pub(crate) fn read(lookup: impl Fn(&str) -> Option<String>) -> Result<EnvConfig, ConfigError> {
    let mut cfg = EnvConfig::default();
    let get = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
    if let Some(v) = get("SEEDLOOP_SEED") {
        cfg.seed = Some(seed_var(&v)?);
    }
    if let Some(v) = get("SEEDLOOP_POLICY") {
        cfg.policy = Some(v.parse().map_err(|_| ConfigError {
            var: "SEEDLOOP_POLICY",
            value: v.clone(),
            expected: format!("expected {POLICY_FORMS}, e.g. SEEDLOOP_POLICY=pct:2"),
        })?);
    }
    if let Some(v) = get("SEEDLOOP_REPLAY") {
        cfg.replay = Some(replay_var(&v)?);
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<EnvConfig, ConfigError> {
        read(fake(vars))
    }

    #[test]
    fn reads_good_values() {
        let c = with(&[("SEEDLOOP_SEED", "0x2a"), ("SEEDLOOP_POLICY", "PCT:2")]).unwrap();
        assert_eq!(c.seed, Some(42));
        assert_eq!(c.policy, Some(Policy::Pct { depth: 2 }));
        assert_eq!(
            with(&[("SEEDLOOP_SEED", "1_000")]).unwrap().seed,
            Some(1000)
        );
        assert_eq!(with(&[]).unwrap(), EnvConfig::default());
        assert_eq!(with(&[("SEEDLOOP_SEED", " ")]).unwrap().seed, None);
    }

    #[test]
    fn bad_values_name_the_variable_and_the_forms() {
        assert_eq!(
            with(&[("SEEDLOOP_SEED", "banana")])
                .unwrap_err()
                .to_string(),
            "SEEDLOOP_SEED=`banana` is not valid: expected a decimal or 0x-prefixed \
             hexadecimal u64, e.g. SEEDLOOP_SEED=42 or SEEDLOOP_SEED=0x2a"
        );
        assert_eq!(
            with(&[("SEEDLOOP_POLICY", "pct:0")])
                .unwrap_err()
                .to_string(),
            "SEEDLOOP_POLICY=`pct:0` is not valid: expected `fifo`, `random`, `pct` (depth 3) \
             or `pct:<depth>` (depth 1 or more), e.g. SEEDLOOP_POLICY=pct:2"
        );
        let e = with(&[("SEEDLOOP_REPLAY", "nope")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("SEEDLOOP_REPLAY=`nope` is not valid: not a seedloop schedule"));
    }
}
