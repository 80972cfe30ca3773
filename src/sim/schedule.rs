//! The choice log: every nondeterministic decision of a run, and the schedule
//! string that replays it.
//!
//! A schedule prints as `sl2:<seed>:<choices>`. `sl2` is the format
//! version. The choices are base64url (no padding) over a byte stream of
//! LEB128 varints, two per choice: `options << 3 | kind`, then `picked`.
//!
//! Version 2 logs every value the program draws beside the scheduling
//! picks, so the string alone reproduces the run; the seed is kept for the
//! reader. Version 1 (`sl1`) logged picks only, and its runs drew values
//! from the seed: an `sl1` string still replays, drawing values as it did.

use std::fmt;
use std::str::FromStr;

use crate::runtime::sched::{Choice, ChoiceKind};

/// The choices of one run, replayable with [`Sim::replay`](crate::Sim::replay).
///
/// ```
/// use seedloop::{Sim, spawn, yield_now};
/// let racy = || async {
///     let a = spawn(async { yield_now().await });
///     let b = spawn(async { yield_now().await });
///     a.await.unwrap();
///     b.await.unwrap();
/// };
/// let mut sim = Sim::new(9);
/// sim.run(racy()).unwrap();
/// let schedule = sim.schedule().to_string();
/// assert!(schedule.starts_with("sl2:9:"));
/// let mut again = Sim::replay(&schedule).unwrap();
/// again.run(racy()).unwrap();
/// assert_eq!(again.trace().render(), sim.trace().render());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Schedule {
    version: u8,
    seed: u64,
    choices: Vec<Choice>,
}

/// A dropped schedule leaves its buffer to the next run's choice log on
/// this thread (a sweep makes one schedule per run).
impl Drop for Schedule {
    fn drop(&mut self) {
        crate::runtime::spare_tables::give_back_choice_log(std::mem::take(&mut self.choices));
    }
}

/// The format version this seedloop writes.
const VERSION: u8 = 2;

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule::new(0, Vec::new())
    }
}

impl Schedule {
    pub(crate) fn new(seed: u64, choices: Vec<Choice>) -> Schedule {
        Schedule {
            version: VERSION,
            seed,
            choices,
        }
    }

    /// A version 1 schedule: picks only, values drawn from the seed.
    pub(crate) fn legacy(seed: u64, choices: Vec<Choice>) -> Schedule {
        Schedule {
            version: 1,
            seed,
            choices,
        }
    }

    /// Whether this is a version 1 schedule, whose run drew its values from
    /// the seed rather than from the log.
    pub(crate) fn values_from_seed(&self) -> bool {
        self.version == 1
    }

    /// The format version: 2, or 1 for a schedule read from an old `sl1`
    /// string (it logs picks only; its values come from the seed).
    ///
    /// ```
    /// let s: seedloop::Schedule = "sl1:4:".parse().unwrap();
    /// assert_eq!(s.version(), 1);
    /// assert_eq!(seedloop::Schedule::default().version(), 2);
    /// ```
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The seed of the run. A version 2 schedule replays from its choices
    /// alone; a version 1 schedule draws its values from this seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The recorded choices, in order.
    pub fn choices(&self) -> &[Choice] {
        &self.choices
    }

    /// How many choices were recorded.
    pub fn len(&self) -> usize {
        self.choices.len()
    }

    /// Whether the run made no choice at all.
    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
    }

    /// How many choices deviate from FIFO (picked something other than 0:
    /// a later ready task, or a value above its domain's first).
    pub fn deviations(&self) -> usize {
        self.choices.iter().filter(|c| c.picked != 0).count()
    }

    /// The value choices (draws, faults, cancels), in order.
    ///
    /// ```
    /// let mut sim = seedloop::Sim::new(1);
    /// sim.run(async { seedloop::random::chance(0.5) }).unwrap();
    /// assert_eq!(sim.schedule().values().count(), 1);
    /// ```
    pub fn values(&self) -> impl Iterator<Item = &Choice> {
        self.choices.iter().filter(|c| c.kind.is_value())
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(self.choices.len() * 2);
        for c in &self.choices {
            leb128(&mut bytes, (c.options << 3) | c.kind.code());
            leb128(&mut bytes, c.picked);
        }
        write!(f, "sl{}:{}:{}", self.version, self.seed, base64url(&bytes))
    }
}

/// A string that is not a schedule this version of seedloop can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleError {
    problem: String,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a seedloop schedule: {}; a schedule looks like `sl2:42:EAAQAA` \
             (copy it whole from a failure report or from `Sim::schedule()`)",
            self.problem
        )
    }
}

impl std::error::Error for ScheduleError {}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Schedule, ScheduleError> {
        let err = |problem: String| ScheduleError { problem };
        let s = s.trim();
        let mut parts = s.splitn(3, ':');
        let version = match parts.next().unwrap_or("") {
            "sl2" => 2,
            "sl1" => 1,
            other => {
                return Err(err(format!(
                    "it starts with `{other}`, but this seedloop reads versions `sl2` and `sl1`"
                )))
            }
        };
        let seed_text = parts
            .next()
            .ok_or_else(|| err("the seed is missing".into()))?;
        let seed = seed_text
            .parse::<u64>()
            .map_err(|_| err(format!("the seed `{seed_text}` is not a decimal u64")))?;
        let body = parts
            .next()
            .ok_or_else(|| err("the choices are missing".into()))?;
        let bytes = unbase64url(body).ok_or_else(|| {
            err("the choices contain a character outside base64url (A-Z a-z 0-9 - _)".into())
        })?;
        let mut choices = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            let head = read_leb128(&bytes, &mut pos)
                .ok_or_else(|| err(format!("choice {} is cut short", choices.len())))?;
            let picked = read_leb128(&bytes, &mut pos)
                .ok_or_else(|| err(format!("choice {} is cut short", choices.len())))?;
            let kind = ChoiceKind::from_code(head & 7)
                .filter(|k| version > 1 || *k == ChoiceKind::Run)
                .ok_or_else(|| {
                    err(format!(
                        "choice {} has an unknown kind {}",
                        choices.len(),
                        head & 7
                    ))
                })?;
            let options = head >> 3;
            if picked >= options {
                return Err(err(format!(
                    "choice {} picks {picked} of {options} options",
                    choices.len(),
                )));
            }
            choices.push(Choice {
                kind,
                options,
                picked,
            });
        }
        Ok(Schedule {
            version,
            seed,
            choices,
        })
    }
}

fn leb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb128(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u32> = text
        .bytes()
        .map(|c| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32))
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | d << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_round_trips() {
        let kinds = [
            ChoiceKind::Run,
            ChoiceKind::Value,
            ChoiceKind::Fault,
            ChoiceKind::Cancel,
        ];
        let s = Schedule::new(
            0x2a,
            (0..300u64)
                .map(|i| Choice {
                    kind: kinds[i as usize % 4],
                    options: 2 + (i % 200) * (1 << (i % 46)),
                    picked: i % (2 + i % 200),
                })
                .collect(),
        );
        let text = s.to_string();
        assert!(text.starts_with("sl2:42:"));
        assert_eq!(text.parse::<Schedule>().unwrap(), s);
        assert_eq!(
            "sl2:0:".parse::<Schedule>().unwrap(),
            Schedule::new(0, vec![])
        );
    }

    #[test]
    fn version_1_still_reads_and_prints_as_itself() {
        let v1 = Schedule::legacy(
            7,
            vec![Choice {
                kind: ChoiceKind::Run,
                options: 3,
                picked: 2,
            }],
        );
        let text = v1.to_string();
        assert!(text.starts_with("sl1:7:"), "{text}");
        let back: Schedule = text.parse().unwrap();
        assert_eq!(back, v1);
        assert!(back.values_from_seed());
        // Version 1 knew only scheduling picks.
        let value_in_v1 = format!("sl1:7:{}", base64url(&[2 << 3 | 1, 1]));
        assert!(value_in_v1.parse::<Schedule>().is_err());
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        let e = |s: &str| s.parse::<Schedule>().unwrap_err().to_string();
        assert!(e("sl9:1:AA").contains("starts with `sl9`"));
        assert!(e("sl2:zz:AA").contains("seed `zz` is not a decimal u64"));
        assert!(e("sl2:1:A*").contains("outside base64url"));
        assert!(e("sl2:1").contains("choices are missing"));
        // options 2, picked 5: impossible.
        let bad = Schedule::new(1, vec![]).to_string() + &base64url(&[16, 5]);
        assert!(e(&bad).contains("picks 5 of 2 options"), "{}", e(&bad));
    }
}
