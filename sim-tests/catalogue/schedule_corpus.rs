//! The promise that a schedule string replays the same run across versions.
//!
//! `sim-tests/catalogue/corpus/schedules.txt` holds schedule strings recorded from the
//! bug catalogue and a few scenario programs under `Policy::Random` and
//! `Policy::Pct`, each with the hash of the trace it produced. The test
//! replays every string and asserts the same trace hash (and the same
//! outcome). A change to the scheduler that moves any of them (the options
//! a turn offers, their order, what a pick means) breaks every schedule
//! users have saved in bug reports and regression tests: it fails here.
//!
//! If such a change is intended, the test writes the corpus the current
//! code records to `sim-tests/catalogue/corpus/schedules.txt.new` and says so: review
//! the difference, then move it over the old file.
//!
//! `schedules-v1.txt` is frozen: the `sl1` strings recorded before values
//! became choices (format version 2). They must still replay to the same
//! trace hash forever; nothing records them again.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::Duration;

use seedloop::queue::Queue;
use seedloop::sync::{Event, Lock, Semaphore};
use seedloop::{
    call_later, call_soon, gather, sleep, spawn, timeout, yield_now, Policy, Sim, SimError,
};

use crate::programs::{Program, CATALOGUE};

const CORPUS: &str = "sim-tests/catalogue/corpus/schedules.txt";
const CORPUS_V1: &str = "sim-tests/catalogue/corpus/schedules-v1.txt";

/// Every program of the corpus, by name.
fn programs() -> BTreeMap<String, Program> {
    let mut all: BTreeMap<String, Program> = BTreeMap::new();
    for bug in &CATALOGUE {
        all.insert(bug.name.to_string(), bug.program);
        all.insert(format!("{}_fixed", bug.name), bug.fixed);
    }
    let scenarios: [(&str, Program); 5] = [
        ("racy_counter", || Box::pin(racy_counter())),
        ("callbacks_and_timers", || Box::pin(callbacks_and_timers())),
        ("queue_pipeline", || Box::pin(queue_pipeline())),
        ("gather_with_timeouts", || Box::pin(gather_with_timeouts())),
        ("self_wakes", || Box::pin(self_wakes())),
    ];
    for (name, program) in scenarios {
        all.insert(name.to_string(), program);
    }
    all
}

/// The policies the corpus records under, as they print.
fn policies() -> [Policy; 2] {
    [Policy::Random, Policy::Pct { depth: 3 }]
}

/// Seeds recorded per program and policy.
const SEEDS: [u64; 3] = [1, 2, 3];

/// One recorded run.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    program: String,
    policy: String,
    schedule: String,
    hash: u64,
    outcome: String,
}

impl Entry {
    fn line(&self) -> String {
        format!(
            "{} {} {} {:016x} {}",
            self.program, self.policy, self.schedule, self.hash, self.outcome
        )
    }

    fn parse(line: &str) -> Entry {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 5, "a corpus line has 5 fields: {line:?}");
        Entry {
            program: fields[0].to_string(),
            policy: fields[1].to_string(),
            schedule: fields[2].to_string(),
            hash: u64::from_str_radix(fields[3], 16).expect("a hex trace hash"),
            outcome: fields[4].to_string(),
        }
    }
}

/// What a run ended with, in one word.
fn outcome<T>(result: &Result<T, SimError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(SimError::Panic(_)) => "panic",
        Err(SimError::Deadlock(_)) => "deadlock",
        Err(SimError::StepLimit(_)) => "step-limit",
        Err(SimError::TimeLimit(_)) => "time-limit",
        Err(SimError::ScheduleDiverged { .. }) => "diverged",
        Err(_) => "other",
    }
}

/// Runs `program` under `sim`, quietly (catalogue programs panic by design).
fn record(sim: Sim, program: Program) -> (String, u64, String) {
    // The slow-poll watch reads the wall clock: on an overloaded machine a
    // preempted poll would add an event that no schedule decided.
    let mut sim = sim.slow_poll_threshold(None);
    let result = sim.run(program());
    (
        sim.schedule().to_string(),
        sim.trace().hash(),
        outcome(&result).to_string(),
    )
}

/// The corpus the current code records: only for the failure message.
fn generate() -> String {
    let mut out = String::new();
    for (name, program) in programs() {
        for policy in policies() {
            for seed in SEEDS {
                let (schedule, hash, outcome) = record(Sim::new(seed).policy(policy), program);
                let entry = Entry {
                    program: name.clone(),
                    policy: policy.to_string(),
                    schedule,
                    hash,
                    outcome,
                };
                writeln!(out, "{}", entry.line()).unwrap();
            }
        }
    }
    out
}

fn header() -> &'static str {
    "# Schedule strings and the trace hashes they replay to (see sim-tests/catalogue/schedule_corpus.rs).\n\
     # program policy schedule trace-hash outcome\n"
}

fn committed() -> Vec<Entry> {
    read_corpus(CORPUS)
}

fn read_corpus(file: &str) -> Vec<Entry> {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .expect("the committed corpus")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(Entry::parse)
        .collect()
}

/// Runs every committed entry through `rerun` and fails, writing the corpus
/// the current code records, if any comes out different.
fn assert_every_entry_reruns(what: &str, rerun: impl Fn(&Entry, Program) -> (String, u64, String)) {
    assert_entries_rerun(committed(), what, rerun);
}

fn assert_entries_rerun(
    entries: Vec<Entry>,
    what: &str,
    rerun: impl Fn(&Entry, Program) -> (String, u64, String),
) {
    let programs = programs();
    let mut broken = Vec::new();
    for e in &entries {
        let program = *programs
            .get(&e.program)
            .unwrap_or_else(|| panic!("{CORPUS} names an unknown program {:?}", e.program));
        let (schedule, hash, outcome) = rerun(e, program);
        if (schedule.as_str(), hash, outcome.as_str())
            != (e.schedule.as_str(), e.hash, e.outcome.as_str())
        {
            broken.push(format!(
                "  {} under {}: recorded {} {:016x} {}, now {schedule} {hash:016x} {outcome}",
                e.program, e.policy, e.schedule, e.hash, e.outcome
            ));
        }
    }
    if !broken.is_empty() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sim-tests/catalogue/corpus/schedules.txt.new"
        );
        let fresh = format!("{}{}", header(), generate());
        let written = std::fs::write(path, &fresh).is_ok();
        panic!(
            "{} of {} {what}:\n{}\n\
             If the change is intended, review {CORPUS}.new and move it over {CORPUS}.{}",
            broken.len(),
            entries.len(),
            broken.join("\n"),
            if written {
                String::new()
            } else {
                format!(" (it could not be written; here it is)\n{fresh}")
            },
        );
    }
}

/// The promise to users: a schedule string saved from a failure report
/// replays the same run in every later version.
#[test]
fn every_committed_schedule_replays_to_its_trace_hash() {
    assert_every_entry_reruns(
        "recorded schedule strings no longer replay the same run \
         (saved schedules in bug reports and regression tests would replay other runs)",
        |e, program| {
            record(
                Sim::replay(&e.schedule).expect("a valid schedule string"),
                program,
            )
        },
    );
}

/// The `sl1` strings saved before values became choices replay as they did:
/// their values come from the seed again, and their traces do not change.
#[test]
fn every_version_1_schedule_still_replays_to_its_trace_hash() {
    let entries = read_corpus(CORPUS_V1);
    assert!(entries.len() >= 100, "{CORPUS_V1} holds {}", entries.len());
    assert!(entries.iter().all(|e| e.schedule.starts_with("sl1:")));
    let broken: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            let program = programs()[&e.program];
            let got = record(
                Sim::replay(&e.schedule).expect("a valid schedule string"),
                program,
            );
            (got != (e.schedule.clone(), e.hash, e.outcome.clone())).then(|| {
                format!(
                    "  {} under {}: recorded {} {:016x} {}, now {} {:016x} {}",
                    e.program, e.policy, e.schedule, e.hash, e.outcome, got.0, got.1, got.2
                )
            })
        })
        .collect();
    assert!(
        broken.is_empty(),
        "{} of {} version 1 schedules in {CORPUS_V1} no longer replay the same run:\n{}",
        broken.len(),
        entries.len(),
        broken.join("\n")
    );
}

/// And a seed with its policy still records the same schedule: what a
/// policy sees of the options (their tasks, for PCT's priorities) and how
/// it picks do not move either.
#[test]
fn every_committed_seed_records_the_same_schedule_again() {
    assert_every_entry_reruns(
        "seeds no longer give the same run under their policy",
        |e, program| {
            let policy: Policy = e.policy.parse().expect("a policy name");
            let seed: u64 = e
                .schedule
                .split(':')
                .nth(1)
                .unwrap()
                .parse()
                .expect("a seed");
            record(Sim::new(seed).policy(policy), program)
        },
    );
}

#[test]
fn the_corpus_covers_every_program_under_both_policies_with_choices_to_replay() {
    let entries = committed();
    for name in programs().keys() {
        for policy in policies() {
            let policy = policy.to_string();
            let n = entries
                .iter()
                .filter(|e| &e.program == name && e.policy == policy)
                .count();
            assert!(n >= 1, "{CORPUS} has no run of {name} under {policy}");
        }
    }
    // Most runs made choices (a schedule with none pins only the FIFO run).
    let with_choices = entries
        .iter()
        .filter(|e| !e.schedule.ends_with(':'))
        .count();
    assert!(
        with_choices * 10 >= entries.len() * 9,
        "{with_choices} of {}",
        entries.len()
    );
    // Both outcomes are represented: the replays reach failures too.
    assert!(entries.iter().any(|e| e.outcome == "ok"));
    assert!(entries.iter().any(|e| e.outcome != "ok"));
}

// The scenario programs: small, but each exercises a part of the ready set
// (self-wakes, callbacks at the turn fence, timers due at one instant,
// wake-ups of waiting tasks).

/// Four tasks, each read-yield-write a shared counter ten times.
async fn racy_counter() {
    let counter = Rc::new(RefCell::new(0u32));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let counter = counter.clone();
            spawn(async move {
                for _ in 0..10 {
                    let seen = *counter.borrow();
                    yield_now().await;
                    *counter.borrow_mut() = seen + 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// `call_soon` and `call_later` callbacks among sleeping tasks, one of
/// each cancelled, several timers due at the same instants.
async fn callbacks_and_timers() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..3u64 {
        let log = log.clone();
        tasks.push(spawn(async move {
            for step in 0..3 {
                let l = log.clone();
                call_soon(move || l.borrow_mut().push(i * 10 + step));
                sleep(Duration::from_millis(1 + (i + step) % 2)).await;
            }
        }));
    }
    let l = log.clone();
    let cancelled = call_soon(move || l.borrow_mut().push(99));
    let l = log.clone();
    call_later(Duration::from_millis(1), move || l.borrow_mut().push(100));
    let l = log.clone();
    let later = call_later(Duration::from_millis(2), move || l.borrow_mut().push(101));
    cancelled.cancel();
    yield_now().await;
    later.cancel();
    for t in tasks {
        t.await.unwrap();
    }
    assert!(!log.borrow().contains(&99));
}

/// One producer, two consumers, a bounded queue, `join`.
async fn queue_pipeline() {
    let queue = Rc::new(Queue::new(2));
    let seen = Rc::new(RefCell::new(Vec::new()));
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let (queue, seen) = (queue.clone(), seen.clone());
            spawn(async move {
                loop {
                    let Ok(item) = queue.get().await else { return };
                    seen.borrow_mut().push(item);
                    if item % 3 == 0 {
                        yield_now().await;
                    }
                    queue.task_done().unwrap();
                }
            })
        })
        .collect();
    for item in 0..8u32 {
        queue.put(item).await.unwrap();
    }
    queue.join().await;
    queue.shutdown(false);
    for c in consumers {
        c.await.unwrap();
    }
    assert_eq!(seen.borrow().len(), 8);
}

/// `gather` of jobs under a lock and a semaphore, some cut by timeouts.
async fn gather_with_timeouts() {
    let lock = Lock::new(0u32);
    let permits = Rc::new(Semaphore::new(2));
    let jobs = (0..5u64).map(|i| {
        let (lock, permits) = (lock.clone(), permits.clone());
        async move {
            let _permit = permits.acquire().await;
            let work = async {
                let mut total = lock.lock().await;
                sleep(Duration::from_millis(i % 3)).await;
                *total += 1;
            };
            timeout(Duration::from_millis(1 + i % 2), work)
                .await
                .is_ok()
        }
    });
    let done = gather(jobs).await.unwrap();
    assert_eq!(done.len(), 5);
}

/// Tasks that wake themselves inside a poll and drop the future that did
/// (the zero timeout), and an event that releases waiters.
async fn self_wakes() {
    let event = Rc::new(Event::new());
    let waiters: Vec<_> = (0..3)
        .map(|i| {
            let event = event.clone();
            spawn(async move {
                if i == 1 {
                    assert!(timeout(Duration::ZERO, yield_now()).await.is_err());
                }
                event.wait().await;
                yield_now().await;
            })
        })
        .collect();
    assert!(timeout(Duration::ZERO, yield_now()).await.is_err());
    let setter = {
        let event = event.clone();
        spawn(async move {
            yield_now().await;
            event.set();
        })
    };
    yield_now().await;
    setter.await.unwrap();
    for w in waiters {
        w.await.unwrap();
    }
}
