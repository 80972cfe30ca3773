//! The rules of `sim-tests/documented_commands.rs` (which every test binary
//! runs on the real docs), on made-up docs.

use crate::documented_commands::{commands_in, problems};

const DOCS: &str = "Run:

```sh
cargo test --test core scenarios::   # the scenarios
cargo test --test core nothing_by_this_name
```

and `cargo test --test core -- three_sleepers --exact`, `cargo test --test nope x`,
`cargo test stray`, `cargo test --test core -- scenarios --skip three`,
`cargo test --all-targets && cargo test --doc`; a report prints
`SEEDLOOP_REPLAY='sl2:5:' cargo test -- bank::lost_update --exact`.
";

fn binaries() -> Vec<String> {
    vec!["core".to_owned(), "sync".to_owned()]
}

fn core_tests() -> Vec<String> {
    vec![
        "scenarios::three_sleepers_finish_together".to_owned(),
        "semantics::a_panic_names_the_task".to_owned(),
    ]
}

#[test]
fn commands_are_found_in_fences_and_code_spans_but_not_after_a_variable() {
    let commands = commands_in("doc.md", DOCS);
    let found: Vec<_> = commands
        .iter()
        .map(|c| (c.at.as_str(), c.filters.clone()))
        .collect();
    let filters = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        [
            ("doc.md:4", filters(&["scenarios::"])),
            ("doc.md:5", filters(&["nothing_by_this_name"])),
            ("doc.md:8", filters(&["three_sleepers"])),
            ("doc.md:8", filters(&["x"])),
            ("doc.md:9", filters(&["stray"])),
            ("doc.md:9", filters(&["scenarios"])),
            ("doc.md:10", filters(&[])),
            ("doc.md:10", filters(&[])),
        ]
    );
    assert!(commands[2].exact);
    assert_eq!(commands[5].skips, ["three"]);
    assert_eq!(commands[7].other_targets, ["--doc"]);
}

#[test]
fn a_filter_that_matches_no_test_of_its_binary_is_reported() {
    let commands = commands_in("doc.md", DOCS);
    let problems = problems(&commands, &binaries(), "core", &core_tests());
    assert_eq!(
        problems,
        [
            "doc.md:5: `cargo test --test core nothing_by_this_name` matches no test of `core`",
            "doc.md:8: `cargo test --test core three_sleepers` matches no test of `core`",
            "doc.md:8: `--test nope` is not a [[test]] of Cargo.toml (they are [\"core\", \"sync\"])",
            "doc.md:9: a documented filter [\"stray\"] must name exactly one test binary \
             (`cargo test --test NAME FILTER`), so that it can be checked",
            "doc.md:9: `cargo test --test core scenarios` matches no test of `core`",
        ]
    );
}

#[test]
fn another_binary_reports_only_the_commands_that_name_no_good_binary() {
    let commands = commands_in("doc.md", DOCS);
    let problems = problems(&commands, &binaries(), "sync", &[]);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].contains("`--test nope` is not a [[test]]"));
    assert!(problems[1].contains("[\"stray\"] must name exactly one test binary"));
}
