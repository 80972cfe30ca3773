//! The choice log: every nondeterministic decision of a run, and the schedule
//! string that replays it.
//!
//! A schedule prints as `sl1:<seed>:<choices>`. `sl1` is the format
//! version. The choices are base64url (no padding) over a byte stream of
//! LEB128 varints, two per choice: `options << 3 | kind`, then `picked`.

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
/// assert!(schedule.starts_with("sl1:9:"));
/// let mut again = Sim::replay(&schedule).unwrap();
/// again.run(racy()).unwrap();
/// assert_eq!(again.trace().render(), sim.trace().render());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedule {
    seed: u64,
    choices: Vec<Choice>,
}

impl Schedule {
    pub(crate) fn new(seed: u64, choices: Vec<Choice>) -> Schedule {
        Schedule { seed, choices }
    }

    /// The seed of the run (it also seeds user randomness on replay).
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

    /// How many choices deviate from FIFO (picked something other than 0).
    pub fn deviations(&self) -> usize {
        self.choices.iter().filter(|c| c.picked != 0).count()
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(self.choices.len() * 2);
        for c in &self.choices {
            leb128(&mut bytes, (u64::from(c.options) << 3) | c.kind.code());
            leb128(&mut bytes, u64::from(c.picked));
        }
        write!(f, "sl1:{}:{}", self.seed, base64url(&bytes))
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
            "not a seedloop schedule: {}; a schedule looks like `sl1:42:EAAQAA` \
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
        let version = parts.next().unwrap_or("");
        if version != "sl1" {
            return Err(err(format!(
                "it starts with `{version}`, but this seedloop reads version `sl1`"
            )));
        }
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
            let kind = ChoiceKind::from_code(head & 7).ok_or_else(|| {
                err(format!(
                    "choice {} has an unknown kind {}",
                    choices.len(),
                    head & 7
                ))
            })?;
            let (options, picked) = match (u32::try_from(head >> 3), u32::try_from(picked)) {
                (Ok(o), Ok(p)) if p < o => (o, p),
                _ => {
                    return Err(err(format!(
                        "choice {} picks {picked} of {} options",
                        choices.len(),
                        head >> 3
                    )))
                }
            };
            choices.push(Choice {
                kind,
                options,
                picked,
            });
        }
        Ok(Schedule { seed, choices })
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
        let s = Schedule::new(
            0x2a,
            (0..300)
                .map(|i| Choice {
                    kind: ChoiceKind::Run,
                    options: 2 + i % 200,
                    picked: i % (2 + i % 200),
                })
                .collect(),
        );
        let text = s.to_string();
        assert!(text.starts_with("sl1:42:"));
        assert_eq!(text.parse::<Schedule>().unwrap(), s);
        assert_eq!(
            "sl1:0:".parse::<Schedule>().unwrap(),
            Schedule::new(0, vec![])
        );
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        let e = |s: &str| s.parse::<Schedule>().unwrap_err().to_string();
        assert!(e("sl9:1:AA").contains("starts with `sl9`"));
        assert!(e("sl1:zz:AA").contains("seed `zz` is not a decimal u64"));
        assert!(e("sl1:1:A*").contains("outside base64url"));
        assert!(e("sl1:1").contains("choices are missing"));
        // options 2, picked 5: impossible.
        let bad = Schedule::new(1, vec![]).to_string() + &base64url(&[16, 5]);
        assert!(e(&bad).contains("picks 5 of 2 options"), "{}", e(&bad));
    }
}
