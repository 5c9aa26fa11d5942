//! A kill test: `run` on a generated province of 1,000 communes (under a second), killed with
//! SIGKILL at random moments within the length of a complete run, with its inputs changed
//! between runs. After every kill the period's output folder is the whole old set or the whole
//! new one (every file the manifest lists matches it, nothing else is there), the history store
//! reads back, and the run log has no broken line; after the next complete run no temporary
//! file is left.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use baocao::period::Period;
use baocao::store::Store;

fn run_args<'a>(root: &'a Path, inbox: &'a Path, out: &'a Path, as_of: &'a str) -> Vec<&'a str> {
    vec![
        "--root",
        s(root),
        "run",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--inbox",
        s(inbox),
        "--out",
        s(out),
        "--as-of",
        as_of,
        "-q",
    ]
}

/// Every path under `dir` whose name starts with one of `prefixes`.
fn leftovers(dir: &Path, prefixes: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p)) {
            found.push(e.path());
        } else if e.path().is_dir() {
            found.extend(leftovers(&e.path(), prefixes));
        }
    }
    found
}

/// The output folder is a whole set: what the manifest lists, matching, and nothing else.
fn assert_whole(target: &Path, at: &str) {
    if !target.exists() {
        return;
    }
    let v = baocao::sign::verify_dir(target, None);
    let blocking: Vec<String> = v
        .diagnostics
        .iter()
        .filter(|d| d.is_blocking())
        .map(|d| d.line())
        .collect();
    assert!(blocking.is_empty(), "after a kill at {at}: {blocking:?}");
}

#[test]
fn a_run_killed_at_any_moment_leaves_the_old_or_the_new_output_set_and_a_readable_store() {
    let t = tempfile::tempdir().unwrap();
    let gen = t.path().join("tinh");
    synth_bench("ktxh", 1000, "2026-10", &gen);
    let root = gen.join("root");
    let inbox = gen.join("inbox");
    let out = t.path().join("out");
    let target = out.join("ktxh/2026-10");
    let history = root.join("history");
    let period: Period = "2026-10".parse().unwrap();
    // A complete first run: there is an old set to keep. Its length sets when the kills
    // fall (anywhere in a run, however fast the build and the machine).
    let started = std::time::Instant::now();
    let (code, _, err) = baocao(&run_args(&root, &inbox, &out, "2026-10-15"));
    assert_eq!(code, 0, "{err}");
    let run_ms = (started.elapsed().as_millis() as u64).max(50);
    let forms: Vec<PathBuf> = {
        let mut f: Vec<PathBuf> = std::fs::read_dir(inbox.join("2026-10"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        f.sort();
        f
    };
    let aside = t.path().join("aside");
    std::fs::create_dir_all(&aside).unwrap();
    fastrand::seed(2026);
    let mut killed = 0;
    for i in 0..14 {
        // Inputs change between runs: another as-of date, and one commune's form taken out
        // or put back.
        let as_of = if i % 2 == 0 {
            "2026-10-16"
        } else {
            "2026-10-15"
        };
        let form = &forms[i % forms.len()];
        let parked = aside.join(form.file_name().unwrap());
        if form.exists() {
            std::fs::rename(form, &parked).unwrap();
        } else {
            std::fs::rename(&parked, form).unwrap();
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_baocao"))
            .args(run_args(&root, &inbox, &out, as_of))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = Duration::from_millis(fastrand::u64(10..run_ms * 9 / 10));
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let at = format!("{} ms (run {i})", delay.as_millis());
        assert_whole(&target, &at);
        let stored = Store::new(&history).read("ktxh", period);
        assert!(stored.is_ok(), "store after a kill at {at}: {stored:?}");
        assert!(
            !stored.unwrap().is_empty(),
            "the first run's figures are kept"
        );
        let log = std::fs::read_to_string(out.join("nhat-ky-chay.log")).unwrap_or_default();
        let fields = log
            .lines()
            .next()
            .map(|l| l.split('\t').count())
            .unwrap_or(0);
        for line in log.lines() {
            assert_eq!(line.split('\t').count(), fields, "log line {line:?}");
        }
    }
    assert!(killed >= 5, "most runs were killed midway ({killed} of 14)");
    // Every form back, and the next complete run removes what the killed ones left.
    for e in std::fs::read_dir(&aside).unwrap() {
        let e = e.unwrap();
        std::fs::rename(e.path(), inbox.join("2026-10").join(e.file_name())).unwrap();
    }
    let (code, _, err) = baocao(&run_args(&root, &inbox, &out, "2026-10-17"));
    assert_eq!(code, 0, "{err}");
    assert_whole(&target, "the end");
    assert!(
        leftovers(&out, &[".2026-10.", ".baocao-"]).is_empty(),
        "{:?}",
        leftovers(&out, &[".2026-10.", ".baocao-"])
    );
    assert!(
        leftovers(&history, &[".baocao-"]).is_empty(),
        "{:?}",
        leftovers(&history, &[".baocao-"])
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(target.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["as_of"], "2026-10-17");
}
