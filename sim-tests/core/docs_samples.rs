//! Sample outputs in docs/ come from snapshot tests. A `text` block that
//! follows the line `<!-- snapshot: NAME -->` must equal the body of
//! `snapshots/NAME.snap`, so a doc cannot drift from what the code prints.
//! (Inside a list item, the block may be indented like its fence.)

use std::fs;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `(doc, snapshot name, sample)` marked in docs/ and the README.
fn marked_samples() -> Vec<(String, String, String)> {
    let mut docs: Vec<_> = fs::read_dir(format!("{ROOT}/docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.push(format!("{ROOT}/README.md").into());
    docs.sort();
    let mut out = Vec::new();
    for doc in docs {
        let text = fs::read_to_string(&doc).unwrap();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let Some(name) = line
                .trim()
                .strip_prefix("<!-- snapshot: ")
                .and_then(|r| r.strip_suffix(" -->"))
            else {
                continue;
            };
            let fence = lines.next().unwrap_or_default();
            assert!(
                fence.trim_start().starts_with("```"),
                "{}: the snapshot marker for {name} must be followed by a code block",
                doc.display()
            );
            // A block inside a list item is indented like its fence.
            let indent = &fence[..fence.len() - fence.trim_start().len()];
            let sample: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.trim_start().starts_with("```"))
                .map(|l| l.strip_prefix(indent).unwrap_or(l))
                .collect();
            let name = name.to_string();
            out.push((doc.display().to_string(), name, sample.join("\n")));
        }
    }
    out
}

/// The body of a snapshot file (after its header).
fn snapshot_body(name: &str) -> String {
    let path = format!("{ROOT}/snapshots/{name}.snap");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let body = text.splitn(3, "---\n").nth(2).expect("an insta snapshot");
    body.trim_end().to_string()
}

#[test]
fn samples_in_the_docs_are_snapshots() {
    let samples = marked_samples();
    assert!(!samples.is_empty(), "no marked samples found in docs/");
    for (doc, name, sample) in samples {
        assert_eq!(
            sample.trim_end(),
            snapshot_body(&name),
            "{doc}: the sample marked `snapshot: {name}` differs from snapshots/{name}.snap; \
             copy the snapshot's body into the doc"
        );
    }
}

/// The quick start's first run: three sleepers on seed 42.
#[test]
fn quickstart_three_sleepers() {
    let mut sim = seedloop::Sim::new(42);
    sim.run(async {
        let tasks: Vec<_> = (0..3)
            .map(|_| seedloop::spawn(seedloop::sleep(std::time::Duration::from_secs(3))))
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    })
    .unwrap();
    crate::snapshot!("quickstart_three_sleepers", sim.trace().render());
}

/// The quick start's overdraft: two withdrawals race; the first seed that
/// overdraws, and its report, as a test named `bank::overdraw` prints it.
#[test]
fn quickstart_overdraft_report() {
    let report = std::thread::Builder::new()
        .name("bank::overdraw".into())
        .spawn(|| {
            let seed = (0..1000)
                .find(|&seed| {
                    seedloop::Sim::new(seed)
                        .tracing(false)
                        .run(crate::quickstart::two_withdrawals())
                        .unwrap()
                        < 0
                })
                .expect("an overdrawing seed");
            let err = seedloop::Sim::new(seed)
                .run(async {
                    let balance = crate::quickstart::two_withdrawals().await;
                    assert!(balance >= 0, "overdrawn: balance {balance}");
                })
                .unwrap_err();
            err.to_string()
        })
        .unwrap()
        .join()
        .unwrap();
    crate::snapshot!("quickstart_overdraft_report", report);
}

/// The quick start's overdraft found by a `Check`, shrunk: both login
/// latencies lowered to their smallest (the race needs them equal, not
/// large), the picks back to FIFO but the one that lets both checks pass.
#[test]
fn quickstart_check_report() {
    let dir = std::env::temp_dir().join("seedloop-docs-quickstart");
    let err = seedloop::check::Check::new()
        .seeds(0..1000)
        .threads(1)
        .name("bank::overdraw")
        .trace_dir(&dir)
        .try_run(|| async {
            let balance = crate::quickstart::two_withdrawals().await;
            assert!(balance >= 0, "overdrawn: balance {balance}");
        })
        .unwrap_err();
    let seedloop::check::CheckError::Failed(f) = &err else {
        panic!("{err}")
    };
    // Shrunk: both latencies at 1 ms.
    assert_eq!(f.values.total, 2, "{err}");
    assert!(f.values.above_first.is_empty(), "{err}");
    let text = err
        .to_string()
        .replace(&dir.display().to_string(), "target/seedloop");
    crate::snapshot!("quickstart_check_report", text);
}

/// docs/structured-concurrency.md: an eager task that finishes at once, in
/// the trace: spawned, polled under its own name, then the spawner goes on.
#[test]
fn structured_concurrency_eager_task_trace() {
    let mut sim = seedloop::Sim::new(1);
    sim.run(async {
        let a = seedloop::task::Builder::new()
            .name("a")
            .eager(true)
            .spawn(async { 42 });
        assert!(a.is_finished());
        assert_eq!(a.await, Ok(42));
    })
    .unwrap();
    crate::snapshot!("docs_eager_task_trace", sim.trace().render());
}

/// The quick start's overdrawing run, seed 10: its schedule.
fn overdraft_schedule() -> String {
    let mut sim = seedloop::Sim::new(10);
    let balance = sim.run(crate::quickstart::two_withdrawals()).unwrap();
    assert!(
        balance < 0,
        "seed 10 no longer overdraws: balance {balance}"
    );
    sim.schedule().to_string()
}

/// A schedule string with its three parts labelled, each label under its part.
fn labelled(schedule: &str) -> String {
    let parts: Vec<&str> = schedule.splitn(3, ':').collect();
    let labels = [
        "the format version",
        "the seed (decimal): for the reader; the choices alone replay the run",
        "the choices: base64url of varints (options·8 + kind, picked)",
    ];
    // Each mark sits on its part's second character (the first if shorter).
    let mut columns = Vec::new();
    let mut start = 0;
    for part in &parts {
        columns.push(start + part.len().saturating_sub(1).min(1));
        start += part.len() + 1;
    }
    let mut out = vec![schedule.to_string()];
    for i in (0..parts.len()).rev() {
        let mut line: Vec<char> = vec![' '; columns[i]];
        for &c in &columns[..i] {
            line[c] = '│';
        }
        out.push(format!(
            "{}└ {}",
            line.iter().collect::<String>(),
            labels[i]
        ));
    }
    out.join("\n")
}

/// docs/replay.md: the schedule string of the quick start's overdraft, with
/// what its parts are.
#[test]
fn replay_schedule_string() {
    let schedule = overdraft_schedule();
    assert!(seedloop::Sim::replay(&schedule).is_ok());
    crate::snapshot!("docs_replay_schedule_string", labelled(&schedule));
}

/// docs/replay.md: the overdraft's schedule replayed on a changed program
/// (a third customer) diverges, and the error says where.
#[test]
fn replay_divergence_message() {
    let schedule = overdraft_schedule();
    let err = seedloop::Sim::replay(&schedule)
        .unwrap()
        .run(crate::quickstart::withdrawals(&["alice", "bob", "carol"]))
        .unwrap_err();
    let seedloop::SimError::ScheduleDiverged { divergence, .. } = &err else {
        panic!("expected a divergence, got {err}");
    };
    crate::snapshot!("docs_replay_divergence", divergence.to_string());
}
