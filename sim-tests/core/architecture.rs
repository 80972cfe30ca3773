//! docs/architecture.md tells the truth: every module under `src/` is in its
//! map, the map names nothing that is gone, and the layers point one way.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What each top-level module must not import (`crate::x` paths, including
/// names the crate root re-exports from `x`). The core knows no mode and no
/// task API; the OS services and the slab sit below everything.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("slab", &["*"]),
    ("os", &["*except slab"]),
    (
        "runtime",
        &["sim", "real", "task", "sync", "queue", "net", "check"],
    ),
    (
        "trace",
        &["sim", "real", "task", "sync", "queue", "net", "check"],
    ),
    (
        "time",
        &["sim", "real", "task", "sync", "queue", "net", "check"],
    ),
    ("sync", &["sim", "real", "task", "queue", "net", "check"]),
    ("queue", &["sim", "real", "task", "net", "check"]),
    ("task", &["sim", "real", "net", "check"]),
    ("net", &["sim", "real", "check"]),
    ("real", &["sim", "check"]),
    ("sim", &["real", "check"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module paths the map lists (`runtime/`, `runtime/run_loop.rs`, …),
/// read from the first code block of docs/architecture.md by indentation.
fn mapped_paths() -> BTreeSet<String> {
    let doc = fs::read_to_string(format!("{ROOT}/docs/architecture.md")).unwrap();
    let block = doc
        .split("```")
        .nth(1)
        .expect("docs/architecture.md starts with the map in a code block");
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut paths = BTreeSet::new();
    for line in block.lines() {
        let indent = line.len() - line.trim_start().len();
        let Some(entry) = line.split_whitespace().next() else {
            continue;
        };
        if !(entry.ends_with('/') || entry.ends_with(".rs")) {
            continue; // a continuation line of a description
        }
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let parent = stack.last().map(|(_, p)| p.clone()).unwrap_or_default();
        let path = format!("{parent}{entry}");
        if entry.ends_with('/') {
            stack.push((indent, path.clone()));
        }
        paths.insert(path);
    }
    paths
}

#[test]
fn every_module_under_src_is_on_the_map_and_the_map_names_no_ghost() {
    let mapped = mapped_paths();
    let mut files = Vec::new();
    rust_files(Path::new(&format!("{ROOT}/src")), &mut files);
    let mut actual = BTreeSet::from(["src/".to_string()]);
    let mut mod_files = BTreeSet::new();
    for f in &files {
        let rel = f
            .strip_prefix(format!("{ROOT}/src/"))
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let mut dir = String::new();
        for part in rel.split('/').collect::<Vec<_>>().split_last().unwrap().1 {
            dir.push_str(part);
            dir.push('/');
            actual.insert(format!("src/{dir}"));
        }
        if rel.ends_with("mod.rs") {
            // Optional on the map: the folder's entry speaks for it.
            mod_files.insert(format!("src/{rel}"));
        } else {
            actual.insert(format!("src/{rel}"));
        }
    }
    let missing: Vec<_> = actual.difference(&mapped).collect();
    let ghosts: Vec<_> = mapped
        .difference(&actual)
        .filter(|p| !mod_files.contains(*p))
        .collect();
    assert!(
        missing.is_empty() && ghosts.is_empty(),
        "docs/architecture.md's map is out of date.\n  missing from the map: {missing:?}\n  \
         on the map but not in src/: {ghosts:?}\nAdd each module with a line saying what it is."
    );
}

/// `crate::x` paths in the code (not in comments) of one file.
fn imports(text: &str, reexports: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let module = reexports.get(&name).cloned().unwrap_or(name);
            out.insert(module);
        }
    }
    out
}

/// Names the crate root re-exports, by the module they come from.
fn root_reexports() -> BTreeMap<String, String> {
    let lib = fs::read_to_string(format!("{ROOT}/src/lib.rs")).unwrap();
    let mut map = BTreeMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for n in names.split(',') {
            let n = n.trim();
            let n = n.rsplit("::").next().unwrap_or(n);
            let n = n.split(" as ").last().unwrap_or(n).trim();
            if !n.is_empty() {
                map.insert(n.to_string(), module.trim().to_string());
            }
        }
    }
    map
}

#[test]
fn layers_point_one_way() {
    let reexports = root_reexports();
    let mut files = Vec::new();
    rust_files(Path::new(&format!("{ROOT}/src")), &mut files);
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(format!("{ROOT}/src/"))
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel.split('/').next().unwrap().trim_end_matches(".rs");
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(m, _)| *m == top) else {
            continue;
        };
        let text = fs::read_to_string(f).unwrap();
        for import in imports(&text, &reexports) {
            if import == top || import.is_empty() {
                continue;
            }
            let bad = match forbidden.first() {
                Some(&"*") => true,
                Some(rule) if rule.starts_with("*except ") => {
                    !rule["*except ".len()..].split(' ').any(|m| m == import)
                }
                _ => forbidden.contains(&import.as_str()),
            };
            if bad {
                wrong.push(format!("src/{rel} imports crate::{import}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a layer points the wrong way (see docs/architecture.md, \"Layers\"):\n  {}",
        wrong.join("\n  ")
    );
}
