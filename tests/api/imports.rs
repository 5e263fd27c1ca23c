//! The layering of `src/`: no cycle between its top-level modules (`store`, `scoring`, `web`, …).
//!
//! Reads every file under `src/`, takes the modules each one names through `crate::` (in a
//! `use`, a path, a `use crate::{a, b}` group, a macro's `$crate::`) or through `super::` from a
//! top-level file, and fails on any cycle of the graph, printing it (`pipeline → web →
//! pipeline`). Comments are skipped (a doc link is no dependency), and so is test code (a
//! `tests.rs`, and whatever follows `#[cfg(test)]` in a file): a test may use any module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`None`: `main.rs`, `lib.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first.strip_suffix(".rs") {
        Some("main" | "lib") => None,
        Some(name) => Some(name.to_string()),
        None => Some(first.to_string()),
    }
}

/// The code of a line without its `//` comment (a `//` inside a string is rare enough here).
fn code(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a `{ … }` group names: the first identifier of each item at depth 0.
fn group(s: &str, names: &mut BTreeSet<String>) {
    let mut depth = 0;
    let mut item_start = true;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if c.is_whitespace() => {}
            _ if item_start && depth == 0 => {
                names.insert(ident(&s[i..]).to_string());
                item_start = false;
            }
            _ => item_start = false,
        }
    }
}

/// The modules `text` names after each `prefix` (`crate::`, or `super::` in a top-level file).
fn named(text: &str, prefix: &str, names: &mut BTreeSet<String>) {
    for (i, _) in text.match_indices(prefix) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(inner) => group(inner, names),
            None => {
                names.insert(ident(rest).to_string());
            }
        }
    }
}

/// The module graph of `src/`: each top-level module and the others it uses.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(src, file) else {
            continue;
        };
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text: String = std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .take_while(|l| l.trim() != "#[cfg(test)]")
            .map(code)
            .collect::<Vec<_>>()
            .join("\n");
        let mut names = BTreeSet::new();
        named(&text, "crate::", &mut names);
        // `super::` in `src/x.rs` is the crate itself.
        if file.parent() == Some(src) {
            named(&text, "super::", &mut names);
        }
        let uses = modules.entry(module.clone()).or_default();
        uses.extend(names.into_iter().filter(|n| *n != module && !n.is_empty()));
    }
    // Names that are no module of src/ (items of lib.rs such as `init_tracing`) are no edges.
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    for uses in modules.values_mut() {
        uses.retain(|n| known.contains(n));
    }
    modules
}

/// A cycle of `graph`, as the path around it (`a → b → a`), if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        path.push(node.to_string());
        for next in &graph[node] {
            match marks[next] {
                Mark::Open => {
                    let from = path.iter().position(|n| n == next).unwrap();
                    let mut found = path[from..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Mark::New => {
                    if let Some(found) = visit(next, graph, marks, path) {
                        return Some(found);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks: BTreeMap<String, Mark> = graph.keys().map(|k| (k.clone(), Mark::New)).collect();
    for node in graph.keys() {
        if marks[node] == Mark::New {
            if let Some(found) = visit(node, graph, &mut marks, &mut Vec::new()) {
                return Some(found);
            }
        }
    }
    None
}

#[test]
fn no_cycle_between_the_top_level_modules_of_src() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph(&src);
    assert!(graph.len() > 10, "modules of src/ not found: {graph:?}");
    if let Some(found) = cycle(&graph) {
        panic!(
            "import cycle between modules of src/: {}",
            found.join(" → ")
        );
    }
}

#[test]
fn the_checker_reads_groups_and_paths_and_finds_a_cycle() {
    let mut names = BTreeSet::new();
    named(
        "use crate::{collectors, demo::{self, x}, web};\nlet a = crate::store::Store::new();\n$crate::model::X",
        "crate::",
        &mut names,
    );
    let expected: BTreeSet<String> = ["collectors", "demo", "web", "store", "model"]
        .map(String::from)
        .into();
    assert_eq!(names, expected);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in [("app", "pipeline"), ("pipeline", "web"), ("web", "app")] {
        graph.entry(from.into()).or_default().insert(to.into());
        graph.entry(to.into()).or_default();
    }
    assert_eq!(
        cycle(&graph).map(|c| c.join(" → ")),
        Some("app → pipeline → web → app".to_string())
    );
    graph.get_mut("web").unwrap().clear();
    assert_eq!(cycle(&graph), None);
}
