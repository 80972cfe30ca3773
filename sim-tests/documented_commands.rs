//! The `cargo test` commands of `README.md` and `docs/*.md` must run tests.
//!
//! A command is `cargo test …` at the start of a line in a fenced code block
//! or at the start of an inline code span (a replay line such as
//! `SEEDLOOP_REPLAY='…' cargo test -- my_test --exact` names a user's test,
//! not one of ours, so it starts with the variable and is not checked).
//! Every command that gives a test-name filter must name one test binary
//! (`--test NAME`, a `[[test]]` of `Cargo.toml`), and each of its filters
//! must match at least one test of that binary, as libtest matches them
//! (a substring of the name, or the whole name with `--exact`; `--skip`
//! removes names).
//!
//! Every test binary runs [`check`] for the commands that name it, listing
//! its own tests by running itself with `--list`: the list is always the one
//! of the build being tested, and no cargo runs inside a test.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// One `cargo test` command found in the docs.
#[derive(Debug, PartialEq)]
pub struct TestCommand {
    /// Where it was found: `file:line`.
    pub at: String,
    /// The binaries named with `--test`.
    pub binaries: Vec<String>,
    /// Targets a filter cannot be checked against here (`--lib`, `--doc`, …).
    pub other_targets: Vec<String>,
    /// The test-name filters (before and after `--`).
    pub filters: Vec<String>,
    /// `--exact` was given.
    pub exact: bool,
    /// The `--skip` patterns.
    pub skips: Vec<String>,
}

/// cargo options that take a value.
const CARGO_VALUES: &[&str] = &[
    "--test",
    "--bench",
    "--example",
    "--bin",
    "-p",
    "--package",
    "--features",
    "-F",
    "--target",
    "--target-dir",
    "--manifest-path",
    "-j",
    "--jobs",
    "--profile",
    "--color",
    "--message-format",
    "--exclude",
    "--config",
    "-Z",
];

/// libtest options that take a value (`--skip` is handled on its own).
const LIBTEST_VALUES: &[&str] = &[
    "--test-threads",
    "--format",
    "--color",
    "--logfile",
    "-Z",
    "--shuffle-seed",
];

/// cargo options that select a kind of target other than `--test`.
const OTHER_TARGETS: &[&str] = &[
    "--lib",
    "--doc",
    "--bins",
    "--bin",
    "--examples",
    "--example",
    "--benches",
    "--bench",
    "--tests",
    "--all-targets",
];

/// Parses the words after `cargo test`.
pub fn parse(at: String, words: &[&str]) -> TestCommand {
    let mut command = TestCommand {
        at,
        binaries: Vec::new(),
        other_targets: Vec::new(),
        filters: Vec::new(),
        exact: false,
        skips: Vec::new(),
    };
    let mut words = words
        .iter()
        .map(|w| w.trim_matches(|c| c == '\'' || c == '"'));
    let mut for_libtest = false;
    while let Some(word) = words.next() {
        if !for_libtest {
            if word == "--" {
                for_libtest = true;
            } else if word == "--test" {
                command.binaries.extend(words.next().map(str::to_owned));
            } else if OTHER_TARGETS.contains(&word) {
                command.other_targets.push(word.to_owned());
                if CARGO_VALUES.contains(&word) {
                    words.next();
                }
            } else if CARGO_VALUES.contains(&word) {
                words.next();
            } else if !word.starts_with('-') {
                command.filters.push(word.to_owned());
            }
        } else if word == "--exact" {
            command.exact = true;
        } else if word == "--skip" {
            command.skips.extend(words.next().map(str::to_owned));
        } else if LIBTEST_VALUES.contains(&word) {
            words.next();
        } else if !word.starts_with('-') {
            command.filters.push(word.to_owned());
        }
    }
    command
}

/// The `cargo test` commands of one Markdown text.
pub fn commands_in(file: &str, text: &str) -> Vec<TestCommand> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        let at = format!("{file}:{}", i + 1);
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        // Commands: the whole line in a fence, else every inline code span.
        let spans: Vec<&str> = if fenced {
            vec![line.split(" #").next().unwrap_or_default()]
        } else {
            line.split('`').skip(1).step_by(2).collect()
        };
        for span in spans {
            // `a && b` and `a; b` are two commands; only the first of a span
            // must start it, the others start after the separator.
            for part in span.split("&&").flat_map(|p| p.split(';')) {
                let words: Vec<&str> = part.split_whitespace().collect();
                if let ["cargo", "test", rest @ ..] = words.as_slice() {
                    found.push(parse(at.clone(), rest));
                }
            }
        }
    }
    found
}

/// The crate's root folder.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every command of `README.md` and `docs/*.md`.
pub fn documented_commands() -> Vec<TestCommand> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("a doc file");
            let name = path.strip_prefix(root()).unwrap_or(path);
            commands_in(&name.display().to_string(), &text)
        })
        .collect()
}

/// The `[[test]]` names of `Cargo.toml`.
pub fn test_binaries() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let mut names = Vec::new();
    let mut in_test = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_test = line == "[[test]]";
        } else if let Some(value) = line.strip_prefix("name") {
            if in_test {
                let value = value.trim_start().trim_start_matches('=').trim();
                names.push(value.trim_matches('"').to_owned());
            }
        }
    }
    names
}

/// The tests of the running binary, by running it with `--list`.
pub fn own_tests() -> Vec<String> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new(&exe)
        .args(["--list", "--format", "terse"])
        .output()
        .expect("the test binary lists its tests");
    assert!(output.status.success(), "{} --list failed", exe.display());
    String::from_utf8(output.stdout)
        .expect("test names are UTF-8")
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// Whether libtest would run a test named `name` for `filter`.
pub fn runs(command: &TestCommand, filter: &str, name: &str) -> bool {
    let chosen = if command.exact {
        name == filter
    } else {
        name.contains(filter)
    };
    chosen
        && !command
            .skips
            .iter()
            .any(|skip| name.contains(skip.as_str()))
}

/// What is wrong with the documented commands, as seen from the test binary
/// `binary` whose tests are `tests`: a filtered command that names no test
/// binary, one the manifest lacks, or (for commands naming `binary`) a
/// filter that matches none of `tests`.
pub fn problems(
    commands: &[TestCommand],
    binaries: &[String],
    binary: &str,
    tests: &[String],
) -> Vec<String> {
    let mut problems = Vec::new();
    for command in commands {
        for named in &command.binaries {
            if !binaries.contains(named) {
                problems.push(format!(
                    "{}: `--test {named}` is not a [[test]] of Cargo.toml (they are {binaries:?})",
                    command.at
                ));
            }
        }
        if command.filters.is_empty() {
            continue;
        }
        if command.binaries.len() != 1 || !command.other_targets.is_empty() {
            problems.push(format!(
                "{}: a documented filter {:?} must name exactly one test binary \
                 (`cargo test --test NAME FILTER`), so that it can be checked",
                command.at, command.filters
            ));
            continue;
        }
        if command.binaries[0] != binary {
            continue;
        }
        for filter in &command.filters {
            if !tests.iter().any(|name| runs(command, filter, name)) {
                problems.push(format!(
                    "{}: `cargo test --test {binary} {filter}` matches no test of `{binary}`",
                    command.at
                ));
            }
        }
    }
    problems
}

/// Fails when a documented `cargo test` command is wrong (see [`problems`]);
/// `binary` is the running test binary's `[[test]]` name.
pub fn check(binary: &str) {
    let binaries = test_binaries();
    assert!(
        binaries.iter().any(|b| b == binary),
        "{binary} is not a [[test]] of Cargo.toml: {binaries:?}"
    );
    let commands = documented_commands();
    let problems = problems(&commands, &binaries, binary, &own_tests());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
