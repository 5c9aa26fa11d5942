//! A library regime in an office's config root: `regime add` copies the regime's files and
//! the catalogs it needs into the root (never over a file the office changed) and keeps the
//! library's version of each beside them (`.thu-vien/`), so that `regime diff` can tell what
//! the office changed and what a newer library changed since.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::library::{Library, LIBRARY_FILE};
use crate::fault::Failed;

/// Where the library's version of each added file is kept in the root.
pub const PRISTINE: &str = ".thu-vien";

/// What happened to one file of an added regime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Copied from the library.
    Written,
    /// Already there, as the library has it.
    Same,
    /// Already there as the library had it when added (the office did not change it): the
    /// library's newer version written.
    Updated,
    /// Already there and changed by the office: kept.
    Kept,
}

/// The files a regime of the library is made of: its folder, and the catalogs (with their
/// option files) that define an indicator or a dimension it names, or that such a catalog
/// names in turn. Paths from the library's top, sorted.
pub fn regime_files(lib: &Library, id: &str) -> Vec<String> {
    let mut files = lib.files_under(&format!("report-templates/{id}"));
    let text = |rel: &str| String::from_utf8_lossy(&lib.read(rel).unwrap_or_default()).into_owned();
    let mut words: BTreeSet<String> = files
        .iter()
        .flat_map(|f| tokens(&text(f)).collect::<Vec<_>>())
        .collect();
    let catalogs: Vec<(String, String)> = lib
        .files("indicators")
        .into_iter()
        .filter(|f| f.ends_with(".toml"))
        .map(|f| {
            let rel = format!("indicators/{f}");
            let t = text(&rel);
            (rel, t)
        })
        .collect();
    let mut needed: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = needed.len();
        for (rel, t) in &catalogs {
            if !needed.contains(rel) && defines(t).iter().any(|c| words.contains(c)) {
                needed.insert(rel.clone());
                words.extend(tokens(t));
            }
        }
        if needed.len() == before {
            break;
        }
    }
    for (rel, t) in &catalogs {
        if !needed.contains(rel) {
            continue;
        }
        let table: toml::Table = toml::from_str(t).unwrap_or_default();
        let dims = table
            .get("dimension")
            .and_then(|d| d.as_array())
            .cloned()
            .unwrap_or_default();
        for d in dims {
            if let Some(f) = d.get("options_file").and_then(|f| f.as_str()) {
                files.push(format!("indicators/{f}"));
            }
        }
    }
    files.extend(needed);
    files.sort();
    files.dedup();
    files
}

/// The codes a catalog defines: its indicators' and its dimensions'.
fn defines(text: &str) -> Vec<String> {
    let table: toml::Table = toml::from_str(text).unwrap_or_default();
    ["indicator", "dimension"]
        .iter()
        .filter_map(|k| table.get(*k).and_then(|v| v.as_array()))
        .flatten()
        .filter_map(|e| e.get("code").and_then(|c| c.as_str()).map(str::to_string))
        .collect()
}

/// The words of a text that could be codes (letters, digits, `_`).
fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Copies the regime's files into the root (`regime_files`): a file the root lacks is
/// written, one it has as the library has it is left, one it has as the library had it when
/// added (the office did not change it) is brought up to the library's, one the office
/// changed is kept. The library's version the office's file starts from is kept under
/// `.thu-vien/`. Returns each file and what happened, or why nothing could be written.
pub fn add(lib: &Library, id: &str, root: &Path) -> Result<Vec<(String, Added)>, Failed> {
    if !lib.has(&format!("report-templates/{id}/regime.toml")) {
        let ids: Vec<String> = lib
            .regimes()
            .into_iter()
            .filter_map(Result::ok)
            .map(|e| e.id)
            .collect();
        return Err(Failed::Said(format!(
            "{} không có chế độ báo cáo \"{id}\"; các chế độ có: {}.",
            lib.describe(),
            ids.join(", ")
        )));
    }
    let mut out = Vec::new();
    for rel in regime_files(lib, id) {
        let Some(bytes) = lib.read(&rel) else {
            continue;
        };
        let target = root.join(&rel);
        let pristine = root.join(PRISTINE).join(&rel);
        let started = std::fs::read(&pristine).ok();
        let what = match std::fs::read(&target) {
            Ok(own) if own == bytes => Added::Same,
            Ok(own) if started.as_ref() == Some(&own) => {
                write(&target, &bytes)?;
                Added::Updated
            }
            Ok(_) => Added::Kept,
            Err(_) => {
                write(&target, &bytes)?;
                Added::Written
            }
        };
        // What the office's file now starts from: the library's version it has (or, for a
        // file it changed, the one it started from).
        if started.is_none() || what != Added::Kept {
            write(&pristine, &bytes)?;
        }
        out.push((rel, what));
    }
    Ok(out)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failed> {
    let kept = "Các tệp đã chép trước đó vẫn nguyên vẹn, không tệp nào bị ghi dở: chạy lại lệnh để chép nốt.";
    crate::fault::write_file(path, bytes, kept).map_err(Failed::Machine)
}

/// One file's differences: what the office changed against the library version it started
/// from, and what the library changed since (unified diffs; empty where nothing changed).
#[derive(Debug, Clone, Default)]
pub struct FileDiff {
    pub file: String,
    pub office: String,
    pub library: String,
    /// The office has not this file (it reads the library's, or never added it).
    pub missing: bool,
}

/// What an office's copy of a regime differs by (`regime diff`), file by file. A root that
/// reads the library (`library.toml`) changes it only by its settings: its own `regime.toml`
/// is shown as such.
pub fn diff(lib: &Library, id: &str, root: &Path) -> Vec<FileDiff> {
    let layered = root.join(LIBRARY_FILE).is_file();
    let mut files: BTreeSet<String> = regime_files(lib, id).into_iter().collect();
    // The office's own files of the regime (its plans, a changed outline).
    let own_dir = root.join("report-templates").join(id);
    let mut stack: Vec<PathBuf> = vec![own_dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                files.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let text = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8_lossy(&b).into_owned());
    let mut out = Vec::new();
    for rel in files {
        let current = text(lib.read(&rel));
        let own = text(std::fs::read(root.join(&rel)).ok());
        let pristine = text(std::fs::read(root.join(PRISTINE).join(&rel)).ok());
        let started = pristine.clone().or_else(|| current.clone());
        let mut d = FileDiff {
            file: rel.clone(),
            missing: own.is_none(),
            ..FileDiff::default()
        };
        if let Some(own) = &own {
            let base = if layered && rel.ends_with("/regime.toml") {
                None // the settings laid over the library: all of it is the office's
            } else {
                started.clone()
            };
            d.office = unified(base.as_deref().unwrap_or(""), own, "thư viện", "văn phòng");
        }
        if let (Some(p), Some(c)) = (&pristine, &current) {
            d.library = unified(p, c, "thư viện khi thêm", "thư viện bây giờ");
        }
        if !d.office.is_empty() || !d.library.is_empty() || (d.missing && !layered) {
            out.push(d);
        }
    }
    out
}

fn unified(a: &str, b: &str, from: &str, to: &str) -> String {
    if a == b {
        return String::new();
    }
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(2)
        .header(from, to)
        .to_string()
}
