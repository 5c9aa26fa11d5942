//! The data flows one way, and so do the imports: no module imports a stage that comes later
//! in the flow (model → tasks → catalog → … → batch → cli), the shared helpers import no stage,
//! and the features beside the flow (`draft`, `synth`) are reached from the command line only. Every module of `src/lib.rs` has its place here (ARCHITECTURE.md, "Module map").

use std::collections::BTreeSet;
use std::path::Path;

/// The stages in the order data flows through them: none imports one after it.
const FLOW: &[&str] = &[
    "model",
    "tasks",
    "catalog",
    "due",
    "ingest",
    "mail",
    "validate",
    "consolidate",
    "store",
    "history",
    "board",
    "render",
    "pdf",
    "pipeline",
    "sign",
    "batch",
    "cli",
];

/// Earlier stages a stage must not reach either: after ingest, submissions come from `model`;
/// render works on consolidated cells, not on the store.
const ALSO_NOT: &[(&str, &[&str])] = &[
    ("consolidate", &["ingest"]),
    ("store", &["ingest"]),
    ("history", &["ingest"]),
    ("render", &["ingest", "store"]),
];

/// Shared helpers: any module may import them; they import no stage and no feature.
const HELPERS: &[&str] = &[
    "diag", "exit", "fault", "hash", "memory", "output", "period", "schedule", "text",
];

/// Features beside the flow, with the last stage each may import. Only `cli` imports them: the
/// pipeline's stages never reach the generators of `synth` or the drafting of `draft`.
const FEATURES: &[(&str, &str)] = &[("draft", "ingest"), ("synth", "batch")];

fn features() -> Vec<&'static str> {
    FEATURES.iter().map(|(f, _)| *f).collect()
}

/// What `module` must not import.
fn forbidden(module: &str) -> Vec<&'static str> {
    if let Some(at) = FLOW.iter().position(|s| *s == module) {
        let mut out: Vec<&str> = FLOW[at + 1..].to_vec();
        for (s, not) in ALSO_NOT {
            if *s == module {
                out.extend_from_slice(not);
            }
        }
        if module != "cli" {
            out.extend(features());
        }
        return out;
    }
    if HELPERS.contains(&module) {
        return FLOW.iter().copied().chain(features()).collect();
    }
    let (_, last) = FEATURES
        .iter()
        .find(|(f, _)| *f == module)
        .unwrap_or_else(|| panic!("module {module} has no place in tests/architecture.rs"));
    let at = FLOW.iter().position(|s| s == last).expect("a stage");
    FLOW[at + 1..]
        .iter()
        .copied()
        .chain(features().into_iter().filter(|f| *f != module))
        .collect()
}

/// The module's source files: `src/<m>.rs` and everything under `src/<m>/`.
fn sources(module: &str) -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        out.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    let mut stack = vec![src.join(module)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    assert!(!out.is_empty(), "no source for module {module}");
    out
}

/// The top-level modules a line of code names through `crate::`: `crate::a::…`, `crate::a;`
/// and each name of a group `crate::{a, b::c}`.
fn imported(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut name = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(first_segment(&name));
                        name.clear();
                        continue;
                    }
                    _ => {}
                }
                name.push(c);
            }
            out.insert(first_segment(&name));
        } else {
            out.insert(first_segment(rest));
        }
    }
    out.remove("");
    out
}

fn first_segment(s: &str) -> String {
    s.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// `pub mod x;` / `mod x;` of `src/lib.rs`.
fn modules() -> Vec<String> {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn every_module_has_its_place() {
    let placed: Vec<&str> = FLOW
        .iter()
        .chain(HELPERS)
        .copied()
        .chain(features())
        .collect();
    let mods = modules();
    assert!(mods.len() > 20, "{mods:?}");
    for m in &mods {
        assert!(
            placed.contains(&m.as_str()),
            "module {m} has no place in tests/architecture.rs (FLOW, HELPERS or FEATURES)"
        );
    }
    for p in placed {
        assert!(
            mods.iter().any(|m| m == p),
            "{p} is not a module of src/lib.rs"
        );
    }
}

#[test]
fn no_module_imports_what_comes_after_it() {
    let mut found = Vec::new();
    for module in modules() {
        let not = forbidden(&module);
        for (file, text) in sources(&module) {
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for name in imported(code) {
                    if not.contains(&name.as_str()) {
                        found.push(format!("{file}:{}: {module} imports {name}", n + 1));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn an_import_is_seen_alone_in_a_path_and_in_a_group() {
    let names = |s: &str| imported(s).into_iter().collect::<Vec<_>>();
    assert_eq!(names("use crate::render::exchange::FileEntry;"), ["render"]);
    assert_eq!(
        names("use crate::{diag::Code, store::{Store, Key}, text};"),
        ["diag", "store", "text"]
    );
    assert_eq!(
        names("let x = crate::ingest::read(p) + crate::model::f();"),
        ["ingest", "model"]
    );
    assert!(names("let crate_name = 1;").is_empty());
}
