//! Sample outputs in docs/ come from snapshot tests. A `text` block that
//! follows the line `<!-- snapshot: NAME -->` must equal the body of
//! `snapshots/NAME.snap`, so a doc cannot drift from what the code prints.

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
                fence.starts_with("```"),
                "{}: the snapshot marker for {name} must be followed by a code block",
                doc.display()
            );
            let sample: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
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
