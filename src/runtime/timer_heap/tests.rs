//! The timer heap against a reference model: a `BTreeMap` keyed by
//! `(deadline, seq)`, over random interleavings of insert, remove, waker
//! update, peek, pop and clock moves, with ties, past deadlines and
//! far-future ones (hours, days, the end of representable time).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

use proptest::prelude::*;

use super::{TimerHeap, TimerKey, TimerTarget};
use crate::runtime::arena::TaskArena;
use crate::runtime::ids::TaskId;
use crate::time::Instant;

/// A waker that logs its number when woken.
struct LoggingWaker {
    id: u64,
    log: Arc<Mutex<Vec<u64>>>,
}

impl Wake for LoggingWaker {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

fn waker(id: u64, log: &Arc<Mutex<Vec<u64>>>) -> Waker {
    Waker::from(Arc::new(LoggingWaker {
        id,
        log: log.clone(),
    }))
}

#[derive(Clone, Debug)]
enum When {
    /// `now - n` (saturating): already past.
    Past(u64),
    /// `now + n` for a few nanoseconds: often ties with each other.
    Near(u64),
    /// `now + n` milliseconds.
    Millis(u64),
    /// `now + n` hours.
    Hours(u64),
    /// `now + n` days.
    Days(u64),
    /// `u64::MAX - n` nanoseconds: the end of representable time.
    NearMax(u64),
    /// The deadline of the `n`-th timer ever set (a tie, maybe in the past).
    SameAs(usize),
    /// Any instant at all.
    Anywhere(u64),
}

#[derive(Clone, Debug)]
enum Op {
    Insert(When),
    /// Remove the `n`-th key ever issued (live, fired or removed).
    Remove(usize),
    /// Give the `n`-th key's timer a new waker.
    Update(usize),
    Peek,
    PopDue,
    /// Pop everything due.
    Fire,
    /// Move the clock forward by `n` nanoseconds (of a random scale).
    Advance(u64),
    /// Sim's step: jump the clock to the next deadline (if later), fire.
    Jump,
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        (0u64..5_000_000).prop_map(When::Past),
        (0u64..4).prop_map(When::Near),
        (0u64..10_000).prop_map(When::Millis),
        (0u64..48).prop_map(When::Hours),
        (0u64..400).prop_map(When::Days),
        (0u64..3).prop_map(When::NearMax),
        any::<usize>().prop_map(When::SameAs),
        any::<u64>().prop_map(When::Anywhere),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => when().prop_map(Op::Insert),
        2 => any::<usize>().prop_map(Op::Remove),
        1 => any::<usize>().prop_map(Op::Update),
        1 => Just(Op::Peek),
        2 => Just(Op::PopDue),
        1 => Just(Op::Fire),
        2 => prop_oneof![
            0u64..10,
            0u64..10_000_000_000,
            0u64..(1 << 50),
            any::<u64>(),
        ]
        .prop_map(Op::Advance),
        2 => Just(Op::Jump),
    ]
}

/// The model and the heap, stepped together.
struct Pair {
    heap: TimerHeap,
    /// Live timers: (deadline, seq) -> (key index, waker id).
    model: BTreeMap<(u64, u64), (usize, u64)>,
    /// Every key issued, with its (deadline, seq) while live.
    keys: Vec<(TimerKey, Option<(u64, u64)>)>,
    now: u64,
    next_waker: u64,
    log: Arc<Mutex<Vec<u64>>>,
}

impl Pair {
    fn new() -> Pair {
        Pair {
            heap: TimerHeap::default(),
            model: BTreeMap::new(),
            keys: Vec::new(),
            now: 0,
            next_waker: 0,
            log: Arc::default(),
        }
    }

    fn fresh_waker(&mut self) -> (u64, Waker) {
        let id = self.next_waker;
        self.next_waker += 1;
        (id, waker(id, &self.log))
    }

    fn deadline(&self, when: &When) -> u64 {
        let now = self.now;
        match *when {
            When::Past(n) => now.saturating_sub(n),
            When::Near(n) => now.saturating_add(n),
            When::Millis(n) => now.saturating_add(n * 1_000_000),
            When::Hours(n) => now.saturating_add(n * 3_600_000_000_000),
            When::Days(n) => now.saturating_add(n * 86_400_000_000_000),
            When::NearMax(n) => u64::MAX - n,
            When::SameAs(i) if !self.keys.is_empty() => {
                let seq = i % self.keys.len();
                // Deadlines of fired or removed timers are not kept by
                // the model: reuse a live one if there is any.
                self.keys[seq]
                    .1
                    .map(|(d, _)| d)
                    .or_else(|| self.model.keys().next().map(|k| k.0))
                    .unwrap_or(now)
            }
            When::SameAs(_) => now,
            When::Anywhere(d) => d,
        }
    }

    fn fire_one(&mut self) -> bool {
        let expected = self
            .model
            .first_key_value()
            .filter(|(k, _)| k.0 <= self.now)
            .map(|(k, v)| (*k, *v));
        let got = self
            .heap
            .pop_due(Instant::from_nanos(self.now), &mut TaskArena::default());
        match (expected, got) {
            (None, None) => false,
            (Some((k, (index, waker_id))), Some(TimerTarget::Wake { waker, task })) => {
                self.model.remove(&k);
                self.keys[index].1 = None;
                assert_eq!(task, Some(TaskId(index as u64)), "fired the wrong timer");
                waker.wake();
                let woke = self.log.lock().unwrap().pop();
                assert_eq!(woke, Some(waker_id), "fired with a stale waker");
                true
            }
            (e, g) => panic!(
                "at {}: model fires {e:?}, heap fires {}",
                self.now,
                if g.is_some() { "a timer" } else { "nothing" }
            ),
        }
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Insert(when) => {
                let deadline = self.deadline(when);
                let (waker_id, waker) = self.fresh_waker();
                let index = self.keys.len();
                let key = self.heap.insert(
                    Instant::from_nanos(deadline),
                    TimerTarget::Wake {
                        waker,
                        task: Some(TaskId(index as u64)),
                    },
                );
                let seq = index as u64;
                self.model.insert((deadline, seq), (index, waker_id));
                self.keys.push((key, Some((deadline, seq))));
            }
            Op::Remove(i) if !self.keys.is_empty() => {
                let index = i % self.keys.len();
                let (key, live) = self.keys[index];
                let removed = self.heap.remove(key, &mut TaskArena::default());
                match live {
                    Some(k) => {
                        self.model.remove(&k);
                        self.keys[index].1 = None;
                        assert!(
                            matches!(removed, Some(TimerTarget::Wake { task: Some(t), .. }) if t == TaskId(index as u64))
                        );
                    }
                    None => assert!(removed.is_none(), "a stale key removed a timer"),
                }
            }
            Op::Update(i) if !self.keys.is_empty() => {
                let index = i % self.keys.len();
                let (key, live) = self.keys[index];
                let (waker_id, waker) = self.fresh_waker();
                self.heap.update_waker(key, &waker);
                if let Some(k) = live {
                    self.model.get_mut(&k).expect("live").1 = waker_id;
                }
            }
            Op::Remove(_) | Op::Update(_) => {}
            Op::Peek => {
                let expected = self.model.keys().next().map(|k| k.0);
                let got = self
                    .heap
                    .next_deadline(&TaskArena::default())
                    .map(Instant::as_nanos);
                assert_eq!(got, expected, "next deadline at {}", self.now);
            }
            Op::PopDue => {
                self.fire_one();
            }
            Op::Fire => while self.fire_one() {},
            Op::Advance(n) => self.now = self.now.saturating_add(*n),
            Op::Jump => {
                let next = self
                    .heap
                    .next_deadline(&TaskArena::default())
                    .map(Instant::as_nanos);
                assert_eq!(next, self.model.keys().next().map(|k| k.0));
                if let Some(next) = next {
                    self.now = self.now.max(next);
                    assert!(self.fire_one(), "the next timer was due");
                    while self.fire_one() {}
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_heap_matches_a_btreemap_of_deadline_and_seq(ops in prop::collection::vec(op(), 1..300)) {
        let mut pair = Pair::new();
        for op in &ops {
            pair.step(op);
        }
        // Everything left fires, in order, once the clock reaches the end.
        pair.now = u64::MAX;
        while pair.fire_one() {}
        prop_assert!(pair.model.is_empty());
        prop_assert_eq!(pair.heap.next_deadline(&TaskArena::default()), None);
    }
}

/// Many timers set and cancelled while an early one stays: the stale items
/// are purged, so the queue stays within a constant factor of the live ones.
#[test]
fn cancelled_timers_do_not_pile_up() {
    let mut pair = Pair::new();
    pair.step(&Op::Insert(When::Days(1)));
    for _ in 0..10_000 {
        pair.step(&Op::Insert(When::Millis(1_000)));
        let last = pair.keys.len() - 1;
        pair.step(&Op::Remove(last));
        pair.step(&Op::Peek);
    }
    // One live timer: at most 2 * 1 + PURGE_SLACK items, plus the one just added.
    assert!(pair.heap.order.len() <= 3 + super::PURGE_SLACK);
    assert_eq!(pair.heap.timers.len(), 1);
}

/// Timers set for an instant the clock has passed fire at the next pop, in
/// (deadline, seq) order among themselves and before later ones.
#[test]
fn past_deadlines_fire_at_once_in_order() {
    let mut pair = Pair::new();
    pair.now = 5_000_000_000;
    pair.step(&Op::Insert(When::Near(0)));
    pair.step(&Op::Jump);
    pair.step(&Op::Insert(When::Past(2)));
    pair.step(&Op::Insert(When::Past(1_000)));
    pair.step(&Op::Insert(When::Near(0)));
    pair.step(&Op::Insert(When::Past(2)));
    pair.step(&Op::Insert(When::Near(1)));
    assert_eq!(pair.model.len(), 5);
    pair.step(&Op::Fire);
    // Only the one in the future is left.
    assert_eq!(pair.model.len(), 1);
    pair.step(&Op::Jump);
    assert!(pair.model.is_empty());
}

/// A key outlives its timer and its slot's reuse: it reaches nothing.
#[test]
fn a_fired_timers_key_reaches_nothing_after_its_slot_is_reused() {
    let log = Arc::default();
    let mut heap = TimerHeap::default();
    let first = heap.insert(
        Instant::from_nanos(10),
        TimerTarget::Wake {
            waker: waker(0, &log),
            task: None,
        },
    );
    assert!(heap
        .pop_due(Instant::from_nanos(10), &mut TaskArena::default())
        .is_some());
    let second = heap.insert(
        Instant::from_nanos(20),
        TimerTarget::Wake {
            waker: waker(1, &log),
            task: None,
        },
    );
    let index = |k: TimerKey| match k {
        TimerKey::Entry(k) => k.index,
        TimerKey::Resident { .. } => unreachable!("an entry"),
    };
    assert_eq!(index(first), index(second));
    assert!(heap.remove(first, &mut TaskArena::default()).is_none());
    heap.update_waker(first, &waker(2, &log));
    match heap.pop_due(Instant::from_nanos(20), &mut TaskArena::default()) {
        Some(TimerTarget::Wake { waker, .. }) => waker.wake(),
        _ => panic!("the second timer is due"),
    }
    assert_eq!(*log.lock().unwrap(), [1]);
}

fn wake_target() -> TimerTarget {
    TimerTarget::Wake {
        waker: Waker::noop().clone(),
        task: None,
    }
}

/// Removed timers stay in the order, stale, until they number more than
/// twice the live ones plus `PURGE_SLACK`: not one removal earlier.
#[test]
fn stale_items_are_purged_exactly_past_twice_the_live_ones_plus_the_slack() {
    let mut heap = TimerHeap::default();
    let live = 100;
    let total = 2 * live + super::PURGE_SLACK;
    let keys: Vec<TimerKey> = (0..total)
        .map(|i| heap.insert(Instant::from_nanos(1_000 + i as u64), wake_target()))
        .collect();
    for key in &keys[..total - live] {
        heap.remove(*key, &mut TaskArena::default());
    }
    assert_eq!(
        heap.order.len(),
        total,
        "{live} live and {} stale: no purge yet",
        total - live
    );
    heap.remove(keys[total - live], &mut TaskArena::default());
    assert_eq!(heap.order.len(), live - 1, "one more removal purges");
}

/// A heap is reused for another run only when empty; its slab's size is
/// what the spare tables weigh.
#[test]
fn reset_refuses_while_a_timer_is_set_and_capacity_counts_slots() {
    let mut heap = TimerHeap::default();
    assert_eq!(heap.capacity(), 0);
    let a = heap.insert(Instant::from_nanos(5), wake_target());
    heap.insert(Instant::from_nanos(6), wake_target());
    assert_eq!(heap.capacity(), 2);
    assert!(!heap.reset(), "a timer is still set");
    assert_eq!(
        heap.next_deadline(&TaskArena::default()),
        Some(Instant::from_nanos(5))
    );
    heap.remove(a, &mut TaskArena::default());
    while heap
        .pop_due(Instant::from_nanos(10), &mut TaskArena::default())
        .is_some()
    {}
    assert!(heap.reset());
    assert_eq!(heap.next_deadline(&TaskArena::default()), None);
    assert_eq!(heap.capacity(), 2, "the slots are kept");
}

/// Resident sleeps count as live timers until they fire, are removed or
/// their task leaves; those of departed tasks never fire.
#[test]
fn resident_sleeps_are_live_until_they_fire_or_their_task_leaves() {
    use crate::runtime::arena::{TaskSlot, NO_SLEEP};
    let mut tasks = TaskArena::default();
    let mut heap = TimerHeap::default();
    let keys: Vec<_> = (0..100u64)
        .map(|i| tasks.insert(TaskSlot::new(TaskId(i), i as u32, 0, false)))
        .collect();
    let mut timers = Vec::new();
    for (i, &k) in keys.iter().enumerate() {
        let slot = tasks.get_mut(k).unwrap();
        // Later tasks sleep less: firing order is not key order.
        timers.push(heap.insert_resident(Instant::from_nanos(1_000 - i as u64), k, slot));
    }
    assert_eq!(heap.live(), 100);
    for &k in &keys[..40] {
        tasks.remove(k).unwrap();
        heap.forget_resident();
    }
    for &t in &timers[40..50] {
        assert!(
            heap.remove(t, &mut tasks).is_none(),
            "a resident sleep has no target"
        );
    }
    assert_eq!(heap.live(), 50);
    assert!(heap.remove(timers[45], &mut tasks).is_none());
    assert_eq!(heap.live(), 50, "removed twice, counted once");
    let fired: Vec<TaskId> =
        std::iter::from_fn(|| heap.pop_due(Instant::from_nanos(1_000), &mut tasks))
            .map(|t| match t {
                TimerTarget::WakeTask { task, .. } => task,
                _ => panic!("a resident sleep wakes its task"),
            })
            .collect();
    assert_eq!(fired, (50..100).rev().map(TaskId).collect::<Vec<_>>());
    assert_eq!(heap.live(), 0);
    assert!(tasks.get(keys[99]).is_some_and(|s| s.sleep() == NO_SLEEP));
}

/// A resident sleep turned into an entry (another task polls it) keeps its
/// place among ties, also when its task is gone.
#[test]
fn a_resident_sleep_made_an_entry_keeps_its_place() {
    use crate::runtime::arena::{TaskSlot, NO_SLEEP};
    let log = Arc::new(Mutex::new(Vec::new()));
    for task_gone in [false, true] {
        let mut tasks = TaskArena::default();
        let mut heap = TimerHeap::default();
        let at = Instant::from_nanos(50);
        let k = tasks.insert(TaskSlot::new(TaskId(1), 1, 0, false));
        let resident = heap.insert_resident(at, k, tasks.get_mut(k).unwrap());
        heap.insert(
            at,
            TimerTarget::Wake {
                waker: waker(2, &log),
                task: None,
            },
        );
        if task_gone {
            tasks.remove(k).unwrap();
            heap.forget_resident();
        }
        let target = TimerTarget::Wake {
            waker: waker(1, &log),
            task: None,
        };
        let entry = heap.make_entry(resident, at, target, &mut tasks);
        assert!(matches!(entry, TimerKey::Entry(_)));
        assert_eq!(heap.live(), 2);
        if !task_gone {
            assert_eq!(tasks.get(k).unwrap().sleep(), NO_SLEEP);
        }
        while let Some(t) = heap.pop_due(at, &mut tasks) {
            match t {
                TimerTarget::Wake { waker, .. } => waker.wake(),
                _ => panic!("two entries"),
            }
        }
        assert_eq!(std::mem::take(&mut *log.lock().unwrap()), [1, 2]);
    }
}

/// In a run: the running task's own sleep is resident (no slab entry), and
/// stays so when the task polls it again; its second sleep is an entry.
#[test]
fn a_tasks_own_sleep_is_resident_and_its_second_one_an_entry() {
    use crate::runtime::arena::NO_SLEEP;
    use crate::runtime::context::with_core;
    use crate::runtime::CoreConfig;
    use std::future::{poll_fn, Future};
    use std::task::Poll;
    use std::time::Duration;
    /// (the running task's resident sleep, the heap's slab entries)
    fn state() -> (u64, usize) {
        with_core("the test", |core| {
            let (_, key) = core.running.get().expect("a task runs");
            let sleep = core.tasks.borrow().get(key).expect("its slot").sleep();
            (sleep, core.timers.borrow().timers.len())
        })
    }
    CoreConfig::run_for_tests(async {
        let mut first = Box::pin(crate::time::sleep(Duration::from_millis(1)));
        let mut second = Box::pin(crate::time::sleep(Duration::from_millis(2)));
        for _ in 0..2 {
            let polled = poll_fn(|cx| Poll::Ready(first.as_mut().poll(cx))).await;
            assert!(polled.is_pending());
            let (sleep, entries) = state();
            assert!(
                sleep != NO_SLEEP && entries == 0,
                "resident: {sleep}, {entries}"
            );
        }
        let polled = poll_fn(|cx| Poll::Ready(second.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
        assert_eq!(state().1, 1, "the second sleep is an entry");
        first.await;
        assert_eq!(state(), (NO_SLEEP, 1));
        second.await;
        assert_eq!(state(), (NO_SLEEP, 0));
    });
}
