//! The data flows one way: no module imports a stage that comes later in the flow
//! (catalog → ingest → validate → consolidate → history → render → pipeline → batch → cli).

use std::path::Path;

/// The stages in the order data flows through them: none imports one after it.
const FLOW: &[&str] = &[
    "model",
    "catalog",
    "due",
    "ingest",
    "validate",
    "consolidate",
    "store",
    "history",
    "board",
    "render",
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

fn forbidden(stage: &str) -> Vec<&'static str> {
    let at = FLOW.iter().position(|s| *s == stage).unwrap();
    let mut out: Vec<&str> = FLOW[at + 1..].to_vec();
    for (s, not) in ALSO_NOT {
        if *s == stage {
            out.extend_from_slice(not);
        }
    }
    out
}

fn sources(stage: &str) -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let file = src.join(format!("{stage}.rs"));
    if file.is_file() {
        out.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    let dir = src.join(stage);
    if dir.is_dir() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "rs") {
                out.push((
                    e.path().display().to_string(),
                    std::fs::read_to_string(e.path()).unwrap(),
                ));
            }
        }
    }
    assert!(!out.is_empty(), "no source for stage {stage}");
    out
}

#[test]
fn no_stage_imports_a_later_one() {
    let mut found = Vec::new();
    for stage in FLOW {
        let later = forbidden(stage);
        for (file, text) in sources(stage) {
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for l in &later {
                    if code.contains(&format!("crate::{l}::"))
                        || code.contains(&format!("crate::{l};"))
                        || code.contains(&format!("crate::{l}}}"))
                    {
                        found.push(format!("{file}:{}: {stage} imports {l}", n + 1));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
