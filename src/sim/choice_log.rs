//! The choice log: every nondeterministic decision of a run, and the schedule
//! string that replays it.
//!
//! A schedule prints as `sl1:<seed>:<choices>`. `sl1` is the format
//! version. The choices are base64url (no padding) over a byte stream of
//! LEB128 varints, two per choice: `options << 3 | kind`, then `picked`.

use std::fmt;
use std::str::FromStr;

use super::policy::{ReadyView, SchedulePolicy};
use crate::runtime::ready_set::ReadySet;

/// What a choice decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChoiceKind {
    /// Which ready task (or due callback) runs next.
    Run,
}

impl ChoiceKind {
    fn code(self) -> u64 {
        match self {
            ChoiceKind::Run => 0,
        }
    }

    fn from_code(c: u64) -> Option<ChoiceKind> {
        match c {
            0 => Some(ChoiceKind::Run),
            _ => None,
        }
    }
}

/// One decision: `picked` among `options` (0 is what FIFO would pick).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Choice {
    /// What was decided.
    pub kind: ChoiceKind,
    /// How many options there were (at least 2: forced moves are not logged).
    pub options: u32,
    /// Which one was taken, from 0.
    pub picked: u32,
}

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

/// Where a replayed schedule stopped fitting the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The choice (from 0) at which it diverged.
    pub step: usize,
    /// What went wrong there, in words.
    pub problem: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the schedule no longer fits the program at choice {}: {}. The program \
             changed since the schedule was recorded, or it is not deterministic \
             (docs/determinism.md lists what breaks determinism)",
            self.step, self.problem
        )
    }
}

/// The one place every nondeterministic decision goes through: asks the
/// policy, logs the answer (unless built [`unlogged`](Chooser::unlogged)).
pub(crate) struct Chooser {
    policy: Box<dyn SchedulePolicy>,
    log: Vec<Choice>,
    /// Whether `log` records choices (sim) or stays empty (real mode, whose
    /// runs may last for months: a log there would grow without bound).
    logging: bool,
    /// Choices made so far, logged or not.
    made: usize,
}

impl Chooser {
    pub fn new(policy: Box<dyn SchedulePolicy>) -> Chooser {
        Chooser {
            policy,
            log: Vec::with_capacity(64),
            logging: true,
            made: 0,
        }
    }

    /// A chooser that asks `policy` but keeps no log (real mode).
    pub fn unlogged(policy: Box<dyn SchedulePolicy>) -> Chooser {
        Chooser {
            log: Vec::new(),
            logging: false,
            ..Chooser::new(policy)
        }
    }

    pub fn fifo() -> Chooser {
        Chooser::new(Box::new(super::policy::fifo::Fifo))
    }

    /// Picks which ready option runs next (there are at least two).
    pub fn pick(&mut self, ready: &ReadySet) -> Result<usize, Divergence> {
        let view = ReadyView::new(ChoiceKind::Run, ready, self.made);
        let options = view.len();
        let picked = self.policy.pick(&view)?;
        assert!(picked < options, "policy picked {picked} of {options}");
        self.made += 1;
        if self.logging {
            self.log.push(Choice {
                kind: ChoiceKind::Run,
                options: options as u32,
                picked: picked as u32,
            });
        }
        Ok(picked)
    }

    /// After the run: a replay that was not used up is a divergence too.
    pub fn finish(&self) -> Result<(), Divergence> {
        self.policy.finish(self.made)
    }

    pub fn into_log(self) -> Vec<Choice> {
        self.log
    }
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
    fn an_unlogged_chooser_picks_but_keeps_no_log() {
        use crate::runtime::ids::{TaskId, TaskKey};
        let mut ready = ReadySet::default();
        for i in 0..3 {
            let key = TaskKey {
                index: i,
                generation: 0,
            };
            ready.push_task(key, TaskId(u64::from(i) + 1));
        }
        ready.begin_turn();
        let mut logged = Chooser::fifo();
        let mut unlogged = Chooser::unlogged(Box::new(super::super::policy::fifo::Fifo));
        for _ in 0..1000 {
            assert_eq!(logged.pick(&ready), Ok(0));
            assert_eq!(unlogged.pick(&ready), Ok(0));
        }
        assert_eq!(logged.into_log().len(), 1000);
        assert!(unlogged.finish().is_ok());
        assert!(unlogged.into_log().is_empty());
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
