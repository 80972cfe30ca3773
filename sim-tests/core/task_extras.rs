//! asyncio task features beyond the tutorial: a task cancelling itself
//! (`current_task().cancel()`), context variables (task-locals inherited at
//! spawn, callbacks run in the context they were scheduled in) and 3.12's
//! eager tasks. Expected lines are CPython's on a virtual clock
//! (`sim-tests/asyncio/asyncio_extras.py SCENARIO`; eager tasks need
//! Python 3.12).

use std::cell::Cell;
use std::rc::Rc;

use seedloop::task::{self, Builder, TaskLocal};
use seedloop::{call_later, call_soon, sleep, spawn, yield_now, JoinError, Policy, Sim, SimError};

use crate::common::{fifo, py, secs, Log};

/// Says `msg` when dropped.
struct SayOnDrop(Log, String);

impl Drop for SayOnDrop {
    fn drop(&mut self) {
        self.0.say(&self.1);
    }
}

/// What CPython prints for `SCENARIO` of `sim-tests/asyncio/asyncio_extras.py`
/// on its virtual clock, or `None` (with a note on stderr) when no suitable
/// `python3` is at hand: the check that the Rust expectations below are
/// CPython's.
pub fn cpython_lines(scenario: &str) -> Option<Vec<String>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sim-tests/asyncio");
    let out = match std::process::Command::new("python3")
        .arg("asyncio_extras.py")
        .arg(scenario)
        .current_dir(dir)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped the CPython check of {scenario}: no python3 ({e})");
            return None;
        }
    };
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        assert!(
            why.contains("skipped:"),
            "python3 asyncio_extras.py {scenario} failed: {why}"
        );
        eprintln!("{scenario}: {}", why.trim());
        return None;
    }
    Some(
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .map(String::from)
            .collect(),
    )
}

/// Asserts that `lines` are what seedloop printed and, when python3 is
/// there, what CPython prints for `scenario`.
pub fn assert_cpython(scenario: &str, seedloop: Vec<String>, expected: &[&str]) {
    assert_eq!(seedloop, expected, "seedloop's lines for {scenario}");
    if let Some(cpython) = cpython_lines(scenario) {
        assert_eq!(cpython, expected, "CPython's lines for {scenario}");
    }
}

// ---- a task cancels itself ----

#[test]
fn a_task_that_cancels_itself_stops_at_its_next_await() {
    // python3 asyncio_extras.py task_cancels_itself
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let lw = l.clone();
        let t = Builder::new().name("worker").spawn(async move {
            let _cleanup = SayOnDrop(lw.clone(), "worker cleanup".into());
            lw.say("worker start");
            task::current_handle().unwrap().cancel();
            lw.say("worker goes on until it awaits");
            sleep(secs(1.0)).await;
            lw.say("never");
        });
        let id = t.id();
        let out = t.await;
        assert_eq!(out, Err(JoinError::Cancelled));
        l.say(format!("main saw cancelled: {}", py(out.is_err())));
        let _ = id;
    })
    .unwrap();
    assert_cpython(
        "task_cancels_itself",
        log.lines(),
        &[
            "0.000 worker start",
            "0.000 worker goes on until it awaits",
            "0.000 worker cleanup",
            "0.000 main saw cancelled: True",
        ],
    );
    let trace = sim.trace().render();
    assert!(trace.contains("worker cancel worker"), "{trace}");
    assert!(trace.contains("worker cancelled"), "{trace}");
}

#[test]
fn a_task_that_cancels_itself_and_finishes_without_suspending_keeps_its_output() {
    fifo()
        .run(async {
            let t = spawn(async {
                let me = task::current_handle().unwrap();
                me.cancel_with("too late");
                assert_eq!(me.cancelling(), 1);
                42
            });
            assert_eq!(t.await, Ok(42));
        })
        .unwrap();
}

#[test]
fn a_self_cancel_can_be_withdrawn_through_the_task_handle() {
    fifo()
        .run(async {
            let t = spawn(async {
                task::current_handle().unwrap().cancel();
                yield_now().await;
                "survived"
            });
            yield_now().await; // the task cancels itself and yields
            assert_eq!(t.cancelling(), 1);
            assert_eq!(t.uncancel(), 0);
            assert_eq!(t.await, Ok("survived"));
        })
        .unwrap();
}

#[test]
fn there_is_no_current_handle_in_main_or_in_a_callback() {
    let seen = Rc::new(Cell::new(true));
    let s = seen.clone();
    fifo()
        .run(async move {
            assert!(task::current_handle().is_none());
            call_soon(move || s.set(task::current_handle().is_some()));
            yield_now().await;
        })
        .unwrap();
    assert!(!seen.get());
}

// ---- task-locals (contextvars) ----

static REQUEST_ID: TaskLocal<String> = TaskLocal::new("request_id");

fn request_id() -> String {
    REQUEST_ID.get().unwrap_or_else(|| "-".into())
}

#[test]
fn task_locals_are_copied_at_spawn_and_callbacks_run_in_their_context() {
    // python3 asyncio_extras.py context_inherited_at_spawn
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let child = |name: &'static str| {
                let l = l.clone();
                async move {
                    l.say(format!("{name} sees {}", request_id()));
                    REQUEST_ID.set(format!("{name}'s"));
                    sleep(secs(1.0)).await;
                    l.say(format!("{name} sees {}", request_id()));
                }
            };
            REQUEST_ID.set("r1".into());
            let a = spawn(child("a"));
            REQUEST_ID.set("r2".into());
            let b = spawn(child("b"));
            let lc = l.clone();
            call_soon(move || lc.say(format!("callback sees {}", request_id())));
            REQUEST_ID.set("r3".into());
            let lc = l.clone();
            call_later(secs(0.5), move || {
                lc.say(format!("timer callback sees {}", request_id()))
            });
            a.await.unwrap();
            b.await.unwrap();
            l.say(format!("main sees {}", request_id()));
        })
        .unwrap();
    assert_cpython(
        "context_inherited_at_spawn",
        log.lines(),
        &[
            "0.000 a sees r1",
            "0.000 b sees r2",
            "0.000 callback sees r2",
            "0.500 timer callback sees r3",
            "1.000 a sees a's",
            "1.000 b sees b's",
            "1.000 main sees r3",
        ],
    );
}

#[test]
fn task_locals_reach_grandchildren_and_destructors_of_a_cancelled_task() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            REQUEST_ID.set("req-9".into());
            let l2 = l.clone();
            let parent = spawn(async move {
                let grandchild = spawn(async { request_id() });
                let got = grandchild.await.unwrap();
                struct SaysItsRequest(Log);
                impl Drop for SaysItsRequest {
                    fn drop(&mut self) {
                        self.0.say(format!("dropped in {}", request_id()));
                    }
                }
                let _guard = SaysItsRequest(l2.clone());
                l2.say(format!("grandchild saw {got}"));
                sleep(secs(10.0)).await;
            });
            sleep(secs(1.0)).await;
            REQUEST_ID.set("main's own".into());
            parent.cancel();
            assert!(parent.await.unwrap_err().is_cancelled());
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        ["0.000 grandchild saw req-9", "1.000 dropped in req-9"]
    );
}

#[test]
fn on_done_callbacks_run_in_the_context_of_their_registration() {
    let seen = Rc::new(Cell::new(None));
    let s = seen.clone();
    fifo()
        .run(async move {
            let t = spawn(async {
                REQUEST_ID.set("the task's".into());
            });
            REQUEST_ID.set("registrant's".into());
            t.on_done(move |_| s.set(Some(request_id())));
            t.await.unwrap();
            yield_now().await;
        })
        .unwrap();
    assert_eq!(seen.take().as_deref(), Some("registrant's"));
}

static DEPTH: TaskLocal<u32> = TaskLocal::new("depth");

#[test]
fn scopes_nest_and_a_set_inside_a_scope_stays_inside() {
    fifo()
        .run(async {
            DEPTH.set(0);
            let got = DEPTH
                .scope(1, async {
                    let inner = DEPTH.scope(2, async { DEPTH.get() }).await;
                    let before = DEPTH.get();
                    DEPTH.set(5);
                    yield_now().await; // others run while the scope is away
                    (inner, before, DEPTH.get())
                })
                .await;
            assert_eq!(got, (Some(2), Some(1), Some(5)));
            assert_eq!(DEPTH.get(), Some(0));
            assert_eq!(DEPTH.sync_scope(7, || DEPTH.get()), Some(7));
            assert!(DEPTH.remove());
            assert_eq!(DEPTH.get(), None);
        })
        .unwrap();
}

#[test]
fn setting_task_locals_leaves_the_trace_unchanged() {
    let run = |set: bool| {
        let mut sim = Sim::new(3).policy(Policy::Random);
        sim.run(async move {
            if set {
                DEPTH.set(1);
            }
            let a = spawn(async { sleep(secs(1.0)).await });
            let b = spawn(async move {
                if set {
                    DEPTH.set(2);
                }
                yield_now().await;
            });
            a.await.unwrap();
            b.await.unwrap();
        })
        .unwrap();
        sim.trace().hash()
    };
    assert_eq!(run(true), run(false));
}

#[test]
fn task_locals_work_in_real_mode() {
    let got = seedloop::run(async {
        REQUEST_ID.set("real".into());
        let child = spawn(async {
            yield_now().await;
            request_id()
        });
        REQUEST_ID.set("changed".into());
        child.await.unwrap()
    });
    assert_eq!(got, "real");
}

// ---- eager tasks ----

#[test]
fn an_eager_task_runs_inside_spawn_until_it_first_suspends() {
    // python3.12 asyncio_extras.py eager_tasks
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let child = |name: &'static str, sleeps: bool| {
            let l = l.clone();
            async move {
                l.say(format!("{name} starts"));
                if sleeps {
                    sleep(secs(1.0)).await;
                }
                l.say(format!("{name} ends"));
                name
            }
        };
        l.say("spawning");
        let a = Builder::new()
            .name("a")
            .eager(true)
            .spawn(child("a", false));
        l.say(format!("a done at once: {}", py(a.is_finished())));
        let b = Builder::new().name("b").eager(true).spawn(child("b", true));
        l.say(format!("b done at once: {}", py(b.is_finished())));
        assert_eq!(b.await, Ok("b"));
        assert_eq!(a.await, Ok("a"));
        l.say("main done");
    })
    .unwrap();
    assert_cpython(
        "eager_tasks",
        log.lines(),
        &[
            "0.000 spawning",
            "0.000 a starts",
            "0.000 a ends",
            "0.000 a done at once: True",
            "0.000 b starts",
            "0.000 b done at once: False",
            "1.000 b ends",
            "1.000 main done",
        ],
    );
    let trace = sim.trace().render();
    let expected_start = "\
0.000000 main poll
0.000000 main spawn #2 \"a\"
0.000000 a poll
0.000000 a finish
0.000000 main spawn #3 \"b\"
0.000000 b poll
0.000000 b sleep until 1.000000
0.000000 b pending
0.000000 main pending
";
    assert!(trace.starts_with(expected_start), "{trace}");
}

#[test]
fn an_eager_task_that_finishes_never_becomes_a_scheduling_choice() {
    let run = |eager: bool| {
        let mut sim = Sim::new(7).policy(Policy::Random);
        sim.run(async move {
            for _ in 0..5 {
                Builder::new().eager(eager).spawn(async {}).detach();
            }
            yield_now().await;
        })
        .unwrap();
        sim.schedule().to_string()
    };
    let lazy = run(false);
    let eager = run(true);
    assert_ne!(lazy, eager);
    assert_eq!(
        eager,
        run_with_no_children(),
        "eager: {eager}, lazy: {lazy}"
    );

    fn run_with_no_children() -> String {
        let mut sim = Sim::new(7).policy(Policy::Random);
        sim.run(async { yield_now().await }).unwrap();
        sim.schedule().to_string()
    }
}

#[test]
fn an_eager_task_that_yields_joins_the_ready_set_behind_the_others() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l1 = l.clone();
            let lazy = spawn(async move { l1.say("lazy runs") });
            let l2 = l.clone();
            let eager = task::spawn_eager(async move {
                l2.say("eager first step");
                yield_now().await;
                l2.say("eager second step");
            });
            l.say("main yields");
            yield_now().await;
            l.say("main goes on");
            lazy.await.unwrap();
            eager.await.unwrap();
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.000 eager first step",
            "0.000 main yields",
            "0.000 lazy runs",
            "0.000 eager second step",
            "0.000 main goes on"
        ]
    );
}

#[test]
fn eager_tasks_nest_and_inherit_task_locals() {
    fifo()
        .run(async {
            DEPTH.set(1);
            let outer = task::spawn_eager(async {
                let seen = DEPTH.get();
                DEPTH.set(2);
                let inner = task::spawn_eager(async { DEPTH.get() });
                assert!(inner.is_finished());
                (seen, inner.await.unwrap())
            });
            assert!(outer.is_finished());
            assert_eq!(DEPTH.get(), Some(1), "the child's set stayed in the child");
            assert_eq!(outer.await.unwrap(), (Some(1), Some(2)));
            assert_eq!(task::current(), Some(seedloop::TaskId::MAIN));
        })
        .unwrap();
}

#[test]
fn an_eager_task_can_be_cancelled_after_it_suspends() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let t = task::spawn_eager(async move {
                let _guard = SayOnDrop(l2, "eager cleanup".into());
                sleep(secs(5.0)).await;
            });
            sleep(secs(1.0)).await;
            t.cancel();
            assert!(t.await.unwrap_err().is_cancelled());
        })
        .unwrap();
    assert_eq!(log.lines(), ["1.000 eager cleanup"]);
}

#[test]
fn an_eager_task_panic_fails_the_run_in_its_name() {
    let err = fifo()
        .run(async {
            let _t = Builder::new()
                .name("boom")
                .eager(true)
                .spawn(async { panic!("eager boom") });
            unreachable!("the panic ends main's poll");
        })
        .unwrap_err();
    let SimError::Panic(report) = err else {
        panic!("expected a panic report, got {err}");
    };
    assert_eq!(report.task_name, "boom");
    assert_eq!(report.message, "eager boom");
    assert!(
        report.trace_tail.contains("boom panic"),
        "{}",
        report.trace_tail
    );
}

#[test]
fn an_eager_task_panic_in_a_callback_fails_the_run_in_its_name() {
    let err = fifo()
        .run(async {
            call_soon(|| {
                task::spawn_eager(async { panic!("from a callback's child") }).detach();
            });
            sleep(secs(1.0)).await;
        })
        .unwrap_err();
    let SimError::Panic(report) = err else {
        panic!("expected a panic report, got {err}");
    };
    assert_eq!(report.task.map(|t| t.as_u64()), Some(2));
    assert_eq!(report.message, "from a callback's child");
}

#[test]
fn an_isolated_eager_task_panic_leaves_the_spawner_running() {
    let out = Sim::new(0)
        .policy(Policy::Fifo)
        .isolate_panics(true)
        .run(async {
            let t = task::spawn_eager(async { panic!("isolated") });
            assert!(t.is_finished());
            let err = t.await.unwrap_err();
            assert!(err.is_panic());
            "spawner went on"
        })
        .unwrap();
    assert_eq!(out, "spawner went on");
}

#[test]
fn an_eager_task_does_not_see_its_spawners_expired_timeouts() {
    fifo()
        .run(async {
            let z = secs(0.0);
            let out = seedloop::timeout(z, async {
                // Polled with the spawner's timeout already expired: the
                // child's own expired timeout must report, not step aside.
                let child = task::spawn_eager(async move {
                    seedloop::timeout(z, std::future::pending::<()>())
                        .await
                        .is_err()
                });
                assert!(child.is_finished());
                child.await.unwrap()
            })
            .await;
            assert_eq!(out, Ok(true));
        })
        .unwrap();
}

#[test]
fn eager_tasks_work_in_real_mode() {
    let got = seedloop::run(async {
        let t = task::spawn_eager(async { 3 });
        assert!(t.is_finished());
        let u = task::spawn_eager(async {
            sleep(secs(0.001)).await;
            4
        });
        assert!(!u.is_finished());
        t.await.unwrap() + u.await.unwrap()
    });
    assert_eq!(got, 7);
}

#[test]
fn a_panic_in_a_nested_eager_task_fails_the_run_in_the_innermost_name() {
    let err = fifo()
        .run(async {
            let _outer = Builder::new().name("outer").eager(true).spawn(async {
                let _inner = Builder::new()
                    .name("inner")
                    .eager(true)
                    .spawn(async { panic!("deep") });
            });
        })
        .unwrap_err();
    let SimError::Panic(report) = err else {
        panic!("expected a panic report, got {err}");
    };
    assert_eq!(
        (report.task_name.as_str(), report.message.as_str()),
        ("inner", "deep")
    );
}
