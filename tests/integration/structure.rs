//! The crate's shape: dependencies point down (STYLE.md 12) and nothing imports in a circle.
//!
//! Reads every `src/**/*.rs` (the library; `main.rs` is its own crate) and builds the file-level
//! import graph. An edge `a.rs → b.rs` is any of, in `a.rs`:
//!
//! - a `use` declaration (also `pub use`) rooted at `crate::`, `self::`, `super::` or a child
//!   module of the file, resolved to the deepest module file it names — `use
//!   crate::model::api::{Api, Request}` is an edge to `model/api.rs`, `use crate::strategy::Spec`
//!   one to `strategy/mod.rs`;
//! - a `crate::…`, `super::…` or `self::…` path written in code (`crate::strategy::books::Fate::Missed`,
//!   `super::compare::emit(…)`): a call is as much a dependency as a `use` line;
//! - a `crate::…` path in a string, as serde's `serialize_with = "crate::support::units::secs"` names one.
//!
//! Comments are skipped. Paths relative to a child module in code (`poll::Poll::new` in
//! `strategy/mod.rs`, a parent reaching down into what it declares) and macros are not followed. `super` inside an inline `mod tests { … }` is the file itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules the model and the strategies must never import: everything they are below.
const ABOVE_THE_MODEL: &[&str] = &["scenario", "result", "render", "cli", "commands", "engine", "live"];

/// A file's path under `src/`, with `/` separators: `model/api.rs`.
type File = String;

/// The import graph: each file's imports, as files.
type Graph = BTreeMap<File, BTreeSet<File>>;

#[test]
fn the_model_and_the_strategies_import_nothing_above_them() {
    let graph = import_graph(&src_dir());
    let mut bad = Vec::new();
    for (file, deps) in &graph {
        if !(file.starts_with("model/") || file.starts_with("strategy/")) {
            continue;
        }
        for dep in deps {
            let top = dep.split(['/', '.']).next().unwrap_or_default();
            if ABOVE_THE_MODEL.contains(&top) {
                bad.push(format!("{file} imports {dep}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the model and the strategies must not import {}:\n  {}",
        ABOVE_THE_MODEL.join(", "),
        bad.join("\n  ")
    );
}

/// Every import circle in `src/`: each strongly connected set of files, with one shortest cycle
/// through it.
///
#[test]
fn there_is_no_import_circle() {
    let graph = import_graph(&src_dir());
    let circles = circles(&graph);
    assert!(circles.is_empty(), "{} import circle(s):\n{}", circles.len(), circles.join("\n"));
}

/// The lower layers take part in no circle: the model, the strategies, the scenario parser, the
/// support utilities and traces.
#[test]
fn the_lower_layers_take_part_in_no_circle() {
    let graph = import_graph(&src_dir());
    let lower = ["model/", "strategy/", "scenario/", "support/", "trace/"];
    let bad: Vec<String> = strongly_connected(&graph)
        .into_iter()
        .filter(|set| set.iter().any(|f| lower.iter().any(|l| f.starts_with(l))))
        .map(|set| describe(&graph, &set))
        .collect();
    assert!(bad.is_empty(), "import circles through the lower layers:\n{}", bad.join("\n"));
}

/// The checker itself sees imports and circles (else the tests above would pass vacuously).
#[test]
fn the_checker_finds_imports_and_circles() {
    let snippet = r#"
        use crate::a::{b, c::D};
        // use crate::commented::Out;
        #[serde(serialize_with = "crate::support::units::secs")]
        fn f() -> char { crate::strategy::books::Fate::Missed; let _ = "crate::not a path"; '{' }
        fn g() { super::compare::emit(); let _ = self::inner::X; Self::new(); pub(super) fn h() {} }
        mod tests { use super::*; fn t() { super::g(); } }
        use crate::after::Tests;
    "#;
    let found: Vec<(String, String)> =
        paths_in(snippet).into_iter().map(|(inline, path)| (inline.join("::"), path.join("::"))).collect();
    let found: Vec<(&str, &str)> = found.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        found,
        [
            ("", "crate::support::units::secs"),
            ("", "crate::a::b"),
            ("", "crate::a::c::D"),
            ("", "crate::strategy::books::Fate::Missed"),
            ("", "super::compare::emit"),
            ("", "self::inner::X"),
            ("tests", "super"),
            ("tests", "super::g"),
            ("", "crate::after::Tests"),
        ]
    );

    let graph = import_graph(&src_dir());
    let deps = |f: &str| graph.get(f).unwrap_or_else(|| panic!("{f} was not read"));
    assert!(deps("model/api/mod.rs").contains("model/ratelimit/mod.rs"));
    assert!(deps("strategy/poll.rs").contains("strategy/mod.rs"));
    // `use super::*` in an inline test module is the file itself, not its parent.
    assert!(!deps("model/api/mod.rs").contains("model/mod.rs"));
    // A test file of a folder module sees its parent through `super`.
    assert!(deps("model/api/tests.rs").contains("model/api/mod.rs"));

    let made_up: Graph =
        [("a.rs", &["b.rs"][..]), ("b.rs", &["c.rs"]), ("c.rs", &["a.rs"]), ("d.rs", &["a.rs"])]
            .into_iter()
            .map(|(f, ds)| (f.to_string(), ds.iter().map(|d| d.to_string()).collect()))
            .collect();
    assert_eq!(circles(&made_up), vec!["a.rs → b.rs → c.rs → a.rs".to_string()]);

    // A circle written only as calls through `super::` (no `use` line) is still found.
    let dir = crate::util::temp_dir("structure");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("commands")).expect("a scratch folder");
    for (file, text) in [
        ("lib.rs", "pub mod commands;"),
        ("commands/mod.rs", "pub mod compare;\npub mod serve;"),
        ("commands/compare.rs", "pub fn emit() {}\npub fn run() { super::serve::check_speedup(); }"),
        ("commands/serve.rs", "pub fn check_speedup() {}\npub fn run() { super::compare::emit(); }"),
    ] {
        std::fs::write(dir.join(file), text).expect("a scratch file");
    }
    let found = circles(&import_graph(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(found, vec!["commands/compare.rs → commands/serve.rs → commands/compare.rs".to_string()]);

    let tree = use_paths("crate::model::{api::{self, Api as A}, source::*}, ");
    let tree: Vec<String> = tree.iter().map(|p| p.join("::")).collect();
    assert_eq!(tree, ["crate::model::api", "crate::model::api::Api", "crate::model::source"]);
}

// ---------------------------------------------------------------------------------------------
// Reading the sources.

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as paths relative to it.
fn rust_files(dir: &Path, under: &Path, out: &mut Vec<File>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src/ is readable").flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, under, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p.strip_prefix(under).expect("under src/");
            out.push(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
        }
    }
}

/// The import graph of the library under `src`.
fn import_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, src, &mut files);
    files.retain(|f| f != "main.rs" && !f.starts_with("bin/"));
    let known: BTreeSet<File> = files.iter().cloned().collect();
    let mut graph = Graph::new();
    for file in &files {
        let text = std::fs::read_to_string(src.join(file)).expect("a source file is readable");
        let here = module_of(file);
        let mut deps = BTreeSet::new();
        for (inline, path) in paths_in(&text) {
            let Some(abs) = absolute(&here, &inline, &path, &known) else { continue };
            if let Some(dep) = file_of(&abs, &known) {
                if &dep != file {
                    deps.insert(dep);
                }
            }
        }
        graph.insert(file.clone(), deps);
    }
    graph
}

/// The module path of a file: `model/api.rs` is `[model, api]`, `model/mod.rs` is `[model]`.
fn module_of(file: &str) -> Vec<String> {
    let mut segs: Vec<String> = file.trim_end_matches(".rs").split('/').map(String::from).collect();
    if matches!(segs.last().map(String::as_str), Some("mod" | "lib")) {
        segs.pop();
    }
    segs
}

/// The file that holds module `segs`, if any.
fn module_file(segs: &[String], known: &BTreeSet<File>) -> Option<File> {
    if segs.is_empty() {
        return Some("lib.rs".into());
    }
    let base = segs.join("/");
    [format!("{base}.rs"), format!("{base}/mod.rs")].into_iter().find(|f| known.contains(f))
}

/// The deepest module file along an absolute path (`[model, api, Api]` → `model/api.rs`).
fn file_of(abs: &[String], known: &BTreeSet<File>) -> Option<File> {
    (0..=abs.len()).rev().find_map(|n| module_file(&abs[..n], known))
}

/// An import path made absolute (without `crate`), or `None` for another crate's.
fn absolute(
    here: &[String],
    inline: &[String],
    path: &[String],
    known: &BTreeSet<File>,
) -> Option<Vec<String>> {
    let mut module: Vec<String> = here.iter().chain(inline).cloned().collect();
    let first = path.first()?.as_str();
    let rest = match first {
        "crate" => return Some(path[1..].to_vec()),
        "self" => &path[1..],
        "super" => {
            let supers = path.iter().take_while(|s| *s == "super").count();
            for _ in 0..supers {
                module.pop()?;
            }
            &path[supers..]
        }
        // A child module of this file (`use kind::StrategyKind;` in `strategy/mod.rs`).
        child
            if inline.is_empty() && {
                let mut m = here.to_vec();
                m.push(child.to_string());
                module_file(&m, known).is_some()
            } =>
        {
            path
        }
        _ => return None,
    };
    module.extend(rest.iter().cloned());
    Some(module)
}

// ---------------------------------------------------------------------------------------------
// Finding the paths in a file.

/// Every import path in `text`, each with the inline modules (`mod tests { … }`) it sits in.
fn paths_in(text: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let (code, strings) = strip(text);
    let mut out = Vec::new();
    for s in strings {
        if s.starts_with("crate::") && s.split("::").all(is_ident) {
            out.push((Vec::new(), s.split("::").map(String::from).collect()));
        }
    }
    let chars: Vec<char> = code.chars().collect();
    let word_at = |i: usize, w: &str| {
        let n = w.chars().count();
        chars.len() >= i + n
            && chars[i..i + n].iter().copied().eq(w.chars())
            && (i == 0 || !is_ident_char(chars[i - 1]))
            && chars.get(i + n).is_none_or(|c| !is_ident_char(*c))
    };
    // The inline modules open at this point, with the brace depth each opened at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            if let Some(name) = pending_mod.take() {
                inline.push((name, depth));
            }
            depth += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
        } else if c == ';' {
            pending_mod = None;
        } else if word_at(i, "mod") {
            let name: String = chars[i + 3..]
                .iter()
                .skip_while(|c| c.is_whitespace())
                .take_while(|c| is_ident_char(**c))
                .collect();
            pending_mod = Some(name);
            i += 3;
            continue;
        } else if word_at(i, "use") {
            let end = chars[i..].iter().position(|&c| c == ';').map_or(chars.len(), |p| i + p);
            let tree: String = chars[i + 3..end].iter().collect();
            let names: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
            out.extend(use_paths(&tree).into_iter().map(|p| (names.clone(), p)));
            i = end + 1;
            continue;
        } else if let Some(root) = ["crate", "super", "self"].into_iter().find(|w| {
            let n = w.len();
            word_at(i, w)
                && chars.get(i + n) == Some(&':')
                && chars.get(i + n + 1) == Some(&':')
                && (i < 2 || chars[i - 2..i] != [':', ':'])
        }) {
            // A path written in code: `crate::x::f()`, `super::compare::emit(…)`, `self::a::B`
            // (calls count as much as `use` lines: a circle of calls is still a circle).
            let mut segs = vec![root.to_string()];
            let mut j = i + root.len();
            while chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                let seg: String = chars[j + 2..].iter().take_while(|c| is_ident_char(**c)).collect();
                if seg.is_empty() {
                    break;
                }
                j += 2 + seg.chars().count();
                segs.push(seg);
            }
            let names: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
            out.push((names, segs));
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// The paths a use tree names: `a::{b, c::{self, D as E}, f::*}` is `a::b`, `a::c`, `a::c::D`,
/// `a::f`.
fn use_paths(tree: &str) -> Vec<Vec<String>> {
    fn walk(chars: &[char], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut path = prefix.to_vec();
        loop {
            while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
                *i += 1;
            }
            match chars.get(*i) {
                Some('{') => {
                    *i += 1;
                    loop {
                        walk(chars, i, &path, out);
                        while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
                            *i += 1;
                        }
                        match chars.get(*i) {
                            Some(',') => *i += 1,
                            Some('}') => {
                                *i += 1;
                                return;
                            }
                            _ => return,
                        }
                        while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
                            *i += 1;
                        }
                        if chars.get(*i) == Some(&'}') {
                            *i += 1;
                            return;
                        }
                    }
                }
                Some('*') => {
                    *i += 1;
                    out.push(path);
                    return;
                }
                Some(':') => *i += 2, // `::` after a segment, or a leading `::` (another crate)
                Some(c) if is_ident_char(*c) => {
                    let seg: String = chars[*i..].iter().take_while(|c| is_ident_char(**c)).collect();
                    *i += seg.chars().count();
                    if seg == "as" {
                        // `X as Y`: skip the alias; the path is X's.
                        while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
                            *i += 1;
                        }
                        let alias = chars[*i..].iter().take_while(|c| is_ident_char(**c)).count();
                        *i += alias;
                        continue;
                    }
                    if seg == "self" && !path.is_empty() {
                        continue; // `{self, …}` names the prefix itself
                    }
                    path.push(seg);
                }
                _ => {
                    if path.len() > prefix.len() || (!path.is_empty() && path == prefix) {
                        out.push(path);
                    }
                    return;
                }
            }
        }
    }
    let chars: Vec<char> = tree.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // Skip a leading visibility the caller left (`pub(crate) use` is cut at `use`).
    walk(&chars, &mut i, &[], &mut out);
    out.retain(|p| !p.is_empty());
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_ident_char)
}

/// The code with comments removed and string and char literals emptied, and the strings' texts.
fn strip(text: &str) -> (String, Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    let (mut code, mut strings) = (String::with_capacity(text.len()), Vec::new());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            code.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !is_ident_char(chars[i - 1]))
        {
            // A raw string: r"…", r#"…"#.
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                code.push(c);
                i += 1;
                continue;
            }
            let start = i + 2 + hashes;
            let mut j = start;
            while j < chars.len()
                && !(chars[j] == '"'
                    && chars[j + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes)
            {
                j += 1;
            }
            strings.push(chars[start..j.min(chars.len())].iter().collect());
            code.push_str("\"\"");
            i = j + 1 + hashes;
        } else if c == '"' {
            let mut j = i + 1;
            let mut s = String::new();
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                if let Some(&c) = chars.get(j) {
                    s.push(c);
                }
                j += 1;
            }
            strings.push(s);
            code.push_str("\"\"");
            i = j + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                let end = chars[i + 3..].iter().position(|&c| c == '\'').map_or(chars.len(), |p| i + 3 + p);
                code.push_str("' '");
                i = end + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                code.push_str("' '");
                i += 3;
            } else {
                code.push(c);
                i += 1;
            }
        } else {
            code.push(c);
            i += 1;
        }
    }
    (code, strings)
}

// ---------------------------------------------------------------------------------------------
// Circles.

/// The strongly connected sets of more than one file (Tarjan), in a stable order.
fn strongly_connected(graph: &Graph) -> Vec<BTreeSet<File>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        sets: Vec<BTreeSet<File>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut set = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    set.insert(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if set.len() > 1 {
                    self.sets.push(set);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        sets: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.sets.sort();
    t.sets
}

/// The shortest cycle through `from` inside `set` (breadth first), as a list of files.
fn shortest_cycle(graph: &Graph, set: &BTreeSet<File>, from: &str) -> Vec<File> {
    let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(v) = queue.pop_front() {
        for w in graph.get(v).into_iter().flatten().filter(|w| set.contains(*w)) {
            if w == from {
                let mut path = vec![v.to_string()];
                let mut at = v;
                while at != from {
                    at = prev[at];
                    path.push(at.to_string());
                }
                path.reverse();
                return path;
            }
            if !prev.contains_key(w.as_str()) {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    Vec::new()
}

/// One line per circle: a strongly connected set as its shortest cycle, plus the set when the
/// set is larger than that cycle.
fn describe(graph: &Graph, set: &BTreeSet<File>) -> String {
    let best = set
        .iter()
        .map(|f| shortest_cycle(graph, set, f))
        .filter(|c| !c.is_empty())
        .min_by_key(|c| c.len())
        .unwrap_or_default();
    let mut line = best.iter().chain(best.first()).cloned().collect::<Vec<_>>().join(" → ");
    if set.len() > best.len() {
        line.push_str(&format!(
            " (one of the circles among {} files: {})",
            set.len(),
            set.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    line
}

/// Every import circle, one line per strongly connected set of files.
fn circles(graph: &Graph) -> Vec<String> {
    strongly_connected(graph).iter().map(|set| describe(graph, set)).collect()
}
