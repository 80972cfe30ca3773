//! What a schedule offers: the options of each logged choice, which every
//! recorded schedule string depends on. A task that is gone, or a callback
//! that was cancelled, is never an option.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use seedloop::{call_soon, spawn, yield_now, Policy, Sim};

fn options_of(sim: &Sim) -> Vec<u64> {
    sim.schedule().choices().iter().map(|c| c.options).collect()
}

/// `A` wakes itself and finishes in the same poll; `B` yields once. After
/// the turn in which both run, only `B` is ready: one option, no choice.
async fn a_self_waking_task_that_finishes() {
    let a = spawn(poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::Ready(())
    }));
    let b = spawn(yield_now());
    b.await.unwrap();
    a.await.unwrap();
}

#[test]
fn a_task_that_wakes_itself_and_finishes_in_one_poll_is_no_option_after() {
    for policy in [Policy::Fifo, Policy::Random, Policy::Pct { depth: 3 }] {
        for seed in 0..20 {
            let mut sim = Sim::new(seed).policy(policy);
            sim.run(a_self_waking_task_that_finishes()).unwrap();
            // Turn 2 offers A and B; then B alone, then main alone.
            assert_eq!(options_of(&sim), [2], "{policy} seed {seed}");
            let finishes = sim.trace().render().matches(" finish").count();
            assert_eq!(finishes, 3, "{policy} seed {seed}");
        }
    }
}

/// Two callbacks and a task queued in one turn; the first callback is
/// cancelled before the turn ends.
#[test]
fn a_cancelled_callback_is_never_an_option() {
    let ran = Rc::new(RefCell::new(Vec::new()));
    let r = ran.clone();
    let mut sim = Sim::new(0).policy(Policy::Fifo);
    sim.run(async move {
        let r1 = r.clone();
        let first = call_soon(move || r1.borrow_mut().push("first"));
        let r2 = r.clone();
        call_soon(move || r2.borrow_mut().push("second"));
        let r3 = r.clone();
        let task = spawn(async move { r3.borrow_mut().push("task") });
        first.cancel();
        yield_now().await;
        task.await.unwrap();
    })
    .unwrap();
    assert_eq!(*ran.borrow(), ["second", "task"]);
    // The turn offers [second, task, main], then [task, main], then main
    // alone (forced, not logged). A cancelled `first` left in the set would
    // be one more option in each.
    assert_eq!(options_of(&sim), [3, 2]);
}

/// Under every policy and many seeds: the turn offers `second` and main,
/// never the cancelled `first`, which never runs.
#[test]
fn a_cancelled_callback_is_never_picked_under_any_policy() {
    for policy in [Policy::Random, Policy::Pct { depth: 2 }] {
        for seed in 0..50 {
            let ran = Rc::new(RefCell::new(Vec::new()));
            let r = ran.clone();
            let mut sim = Sim::new(seed).policy(policy);
            sim.run(async move {
                let r1 = r.clone();
                let first = call_soon(move || r1.borrow_mut().push("first"));
                let r2 = r.clone();
                call_soon(move || r2.borrow_mut().push("second"));
                first.cancel();
                yield_now().await;
            })
            .unwrap();
            // `second` may not run at all: main may go first and end the run.
            assert!(!ran.borrow().contains(&"first"), "{policy} seed {seed}");
            assert_eq!(options_of(&sim), [2], "{policy} seed {seed}");
        }
    }
}

/// A task that woke itself and finished leaves nothing behind for the next
/// task polled: `waiter`, polled right after it and waiting for its own
/// wake, is not polled again until it is woken.
#[test]
fn a_finished_self_waking_task_does_not_requeue_the_next_task_polled() {
    let polls = Rc::new(RefCell::new(0u32));
    let p = polls.clone();
    let mut sim = Sim::new(0).policy(Policy::Fifo);
    sim.run(async move {
        let a = spawn(poll_fn(|cx| {
            cx.waker().wake_by_ref();
            Poll::Ready(())
        }));
        let waker = Rc::new(RefCell::new(None::<std::task::Waker>));
        let waiter = {
            let (waker, p) = (waker.clone(), p.clone());
            spawn(poll_fn(move |cx| {
                *p.borrow_mut() += 1;
                if waker.borrow().is_some() {
                    return Poll::Ready(());
                }
                *waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }))
        };
        for _ in 0..3 {
            yield_now().await;
        }
        assert_eq!(*p.borrow(), 1, "the waiter was polled again without a wake");
        waker.borrow().as_ref().unwrap().wake_by_ref();
        waiter.await.unwrap();
        a.await.unwrap();
    })
    .unwrap();
    assert_eq!(*polls.borrow(), 2);
}

/// The policy names `SEEDLOOP_POLICY` and `Policy::from_str` read, in any
/// case and with spaces around; anything else is refused with the forms.
#[test]
fn policies_parse_from_their_names() {
    let parse = |s: &str| s.parse::<Policy>();
    assert_eq!(parse("fifo"), Ok(Policy::Fifo));
    assert_eq!(parse(" Random "), Ok(Policy::Random));
    assert_eq!(parse("PCT"), Ok(Policy::Pct { depth: 3 }));
    assert_eq!(parse("pct:1"), Ok(Policy::Pct { depth: 1 }));
    for bad in ["pct:0", "pct:x", "fifo2", ""] {
        let err = parse(bad).unwrap_err();
        assert!(err.contains("`fifo`, `random`, `pct`"), "{bad}: {err}");
    }
}

/// A schedule's values are its draws, without the scheduling picks.
#[test]
fn a_schedules_values_leave_out_the_picks() {
    let mut sim = Sim::new(4);
    sim.run(async {
        let a = spawn(yield_now());
        let b = spawn(yield_now());
        let _ = seedloop::random::range(0..10);
        a.await.unwrap();
        b.await.unwrap();
    })
    .unwrap();
    let kinds: Vec<_> = sim.schedule().values().map(|c| c.kind).collect();
    assert_eq!(kinds, [seedloop::sim::ChoiceKind::Value]);
    assert!(
        sim.schedule().choices().len() > 1,
        "the picks are choices too"
    );
}

/// Under FIFO the picks are fixed, but the values are still drawn from the
/// seed: uniform, and different from seed to seed.
#[test]
fn fifo_still_draws_its_values_from_the_seed() {
    let draws = |seed| {
        Sim::new(seed)
            .policy(Policy::Fifo)
            .run(async {
                (0..20)
                    .map(|_| seedloop::random::range(0..1000))
                    .collect::<Vec<_>>()
            })
            .unwrap()
    };
    let (one, two) = (draws(1), draws(2));
    assert_ne!(one, two);
    for values in [one, two] {
        let distinct: std::collections::BTreeSet<_> = values.iter().collect();
        assert!(distinct.len() > 10, "{values:?}");
    }
}

/// Under PCT a queued callback is an option like a ready task: across seeds
/// it runs before the task in some runs and after it in others.
#[test]
fn pct_runs_a_callback_before_a_ready_task_in_some_runs() {
    let mut callback_first = 0;
    for seed in 0..40 {
        let order = Rc::new(RefCell::new(Vec::new()));
        let (o1, o2) = (order.clone(), order.clone());
        Sim::new(seed)
            .policy(Policy::Pct { depth: 2 })
            .run(async move {
                call_soon(move || o1.borrow_mut().push("callback"));
                spawn(async move { o2.borrow_mut().push("task") })
                    .await
                    .unwrap();
            })
            .unwrap();
        callback_first += usize::from(order.borrow()[0] == "callback");
    }
    assert!((5..=35).contains(&callback_first), "{callback_first} of 40");
}

/// The order in which two tasks that yield ten times each run in each
/// turn, as a string of `a` and `b`, under PCT of `depth` (ten choices,
/// one per turn).
fn turn_orders(seed: u64, depth: usize, expected_steps: u64) -> String {
    let order = Rc::new(RefCell::new(String::new()));
    let task = |name: char| {
        let order = order.clone();
        spawn(async move {
            for _ in 0..10 {
                order.borrow_mut().push(name);
                yield_now().await;
            }
        })
    };
    Sim::new(seed)
        .policy(Policy::Pct { depth })
        .expected_steps(expected_steps)
        .run(async move {
            let (a, b) = (task('a'), task('b'));
            a.await.unwrap();
            b.await.unwrap();
        })
        .unwrap();
    let order = order.borrow().clone();
    order
}

/// How many times the order of the two tasks changes from a turn to the next.
fn flips(order: &str) -> usize {
    let turns: Vec<&str> = (0..order.len())
        .step_by(2)
        .map(|i| &order[i..i + 2])
        .collect();
    turns.windows(2).filter(|w| w[0] != w[1]).count()
}

/// PCT keeps one priority order until a change point: at depth 1 the two
/// tasks run in the same order every turn; at depth 2 (its change point
/// among the first 20 steps) the order flips once in the runs whose change
/// point falls inside their ten choices, and never in the others. With one
/// expected step the change point is step 0: the drop comes before the
/// first pick, so no run flips.
#[test]
fn pct_change_points_flip_the_order_of_two_tasks() {
    let mut flipped = 0;
    for seed in 0..40 {
        assert_eq!(flips(&turn_orders(seed, 1, 20)), 0, "seed {seed}");
        assert_eq!(flips(&turn_orders(seed, 2, 1)), 0, "seed {seed}");
        let f = flips(&turn_orders(seed, 2, 20));
        assert!(f <= 1, "seed {seed}: {f} flips");
        flipped += f;
    }
    assert!((10..=30).contains(&flipped), "{flipped} of 40 runs flipped");
}
