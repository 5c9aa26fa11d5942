//! Terminal and file output shared by every command: aligned tables, CSV, JSON, atomic file
//! writes (temp file in the same folder, then rename) and atomic folder replacement (a whole
//! folder written beside the old one, then swapped in).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The names of the files `run` writes into `OUT/<regime>/<period>/` (a contract: scripts,
/// `verify` and the receiving office read them by name).
pub mod names {
    /// The consolidated form and its working sheets.
    pub const WORKBOOK: &str = "tong-hop.xlsx";
    /// The narrative report (outline rendered), as Markdown, HTML and Word.
    pub const NARRATIVE_MD: &str = "bao-cao.md";
    pub const NARRATIVE_HTML: &str = "bao-cao.html";
    pub const NARRATIVE_DOCX: &str = "bao-cao.docx";
    /// The exchange data: the engine's own CSV, SDMX-CSV, DHIS2 JSON, ADX XML and the
    /// Frictionless data package describing the CSV.
    pub const EXCHANGE_CSV: &str = "du-lieu.csv";
    pub const SDMX_CSV: &str = "du-lieu.sdmx.csv";
    pub const DHIS2_JSON: &str = "du-lieu.dhis2.json";
    pub const ADX_XML: &str = "du-lieu.adx.xml";
    pub const DATA_PACKAGE: &str = "datapackage.json";
    /// The public display board of this period.
    pub const BOARD: &str = "bang-tin.html";
    /// The manifest: every input and output with its SHA-256, written last.
    pub const MANIFEST: &str = "manifest.json";
    /// The detached signature over the manifest (`baocao sign`). A run that writes a different
    /// manifest removes it: it no longer signs what is in the folder.
    pub const SIGNATURE: &str = "manifest.json.p7s";
    /// The PDF copies for signing (`run --pdf`, `baocao pdf`), outside the manifest.
    pub const NARRATIVE_PDF: &str = "bao-cao.pdf";
    pub const WORKBOOK_PDF: &str = "tong-hop.pdf";
}

/// A value as pretty JSON (the `--format json` of every command, the JSON outputs). The values
/// are plain data with text keys, which always serialize.
pub fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("plain data serializes")
}

/// Prints rows as an aligned table with a header line.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    line(
        widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
        &mut out,
    );
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// CSV text with a header.
pub fn csv_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("write to memory");
    for r in rows {
        w.write_record(r).expect("write to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("utf-8")
}

/// Appends `lines` to the run log at `path` (created with its folder if need be) in one write.
/// A write that fails (a full disk) is cut back off: the log keeps whole lines only.
pub fn append_log(path: &Path, lines: &[String]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    // A run killed while writing its line left it without an end: end it, so the next line
    // starts on its own.
    let len = f.metadata()?.len();
    let mut text = String::new();
    if len > 0 {
        use std::io::{Read, Seek, SeekFrom};
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1))?;
        f.read_exact(&mut last)?;
        if last[0] != b'\n' {
            text.push('\n');
        }
    }
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    let written = f.write_all(text.as_bytes()).and_then(|()| f.sync_data());
    if written.is_err() {
        // Best effort: the error said is the write's.
        let _ = f.set_len(len).and_then(|()| f.sync_data());
    }
    written
}

/// Writes `bytes` to `path` atomically: a temp file in the same folder, synced, then renamed.
/// A crash leaves either the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    stage(path, bytes)?.commit()
}

/// A file written in full and synced beside the one it replaces, not yet in its place: files
/// that change together are all staged before any is committed, so a full disk leaves them
/// all as they were (a rename needs no space). Dropped uncommitted, it is removed.
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    path: std::path::PathBuf,
}

/// `bytes` staged to replace `path` (`Staged`).
pub fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<Staged> {
    let tmp = beside(path, bytes)?;
    tmp.as_file().sync_all()?;
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
    })
}

/// `path` replaced by `bytes` at once (a temporary file beside it, renamed), not synced: for
/// a file that is only a cache, which a power cut may leave torn.
pub fn replace_unsynced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    beside(path, bytes)?.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `bytes` in a temporary file (`.baocao-…`) in `path`'s folder, made if missing, readable by
/// whoever reads that folder (a cron job and the officer may be two users).
fn beside(path: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".baocao-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    Ok(tmp)
}

impl Staged {
    /// Puts the staged file in its place (one rename).
    pub fn commit(self) -> std::io::Result<()> {
        self.tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The prefixes of the siblings `replace_folder` works with: the new folder while it is
/// written, and the old one after the swap, until it is removed.
const STAGING: &str = "moi";
const RETIRED: &str = "cu";

fn sibling(target: &Path, kind: &str) -> Option<(std::path::PathBuf, String)> {
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty())?;
    let name = target.file_name()?.to_string_lossy().into_owned();
    Some((parent.to_path_buf(), format!(".{name}.{kind}-")))
}

/// Removes what a killed `replace_folder` of `target` left beside it: a half-written new
/// folder, or an old one swapped out but not yet removed. Only the caller of `replace_folder`
/// for `target` may call this (it holds the output folder's lock).
pub fn remove_stale(target: &Path) -> std::io::Result<()> {
    for kind in [STAGING, RETIRED] {
        let Some((parent, prefix)) = sibling(target, kind) else {
            continue;
        };
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                std::fs::remove_dir_all(e.path())?;
            }
        }
    }
    Ok(())
}

/// Folders made by `made_dirs`, removed again (those left empty, deepest first) when the
/// guard is dropped unless `keep` was called: a write that fails leaves no empty folder of
/// its own making behind (an empty `OUT/<regime>/` after a failed run reads as a run that
/// wrote nothing).
#[derive(Debug, Default)]
pub struct MadeDirs {
    /// The folder asked for, and the highest folder above it that did not exist.
    made: Option<(PathBuf, PathBuf)>,
}

impl MadeDirs {
    /// The folders are kept.
    pub fn keep(mut self) {
        self.made = None;
    }
}

impl Drop for MadeDirs {
    fn drop(&mut self) {
        let Some((dir, top)) = self.made.take() else {
            return;
        };
        let mut at = Some(dir.as_path());
        while let Some(d) = at {
            if std::fs::remove_dir(d).is_err() || d == top {
                break;
            }
            at = d.parent();
        }
    }
}

/// `dir` made with its missing parents (`create_dir_all`), and the guard that removes the
/// ones this call made if the caller does not keep them.
pub fn made_dirs(dir: &Path) -> std::io::Result<MadeDirs> {
    let mut top = None;
    let mut at = Some(dir);
    while let Some(d) = at.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        top = Some(d.to_path_buf());
        at = d.parent();
    }
    std::fs::create_dir_all(dir)?;
    Ok(MadeDirs {
        made: top.map(|top| (dir.to_path_buf(), top)),
    })
}

/// Replaces the folder `target` with the files `write` puts into a new folder: the new folder
/// is written beside it (each file synced), then swapped in with one rename (on Linux an
/// atomic exchange), and the old folder removed. A reader sees the whole old set or the whole
/// new one; a failure while writing leaves the old folder as it was; a kill leaves at most a
/// stale sibling, which `remove_stale` removes at the next run.
pub fn replace_folder<E: From<std::io::Error>>(
    target: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<Retiring, E> {
    Ok(stage_folder(target, write)?.swap()?)
}

/// The first half of `replace_folder`: the new folder written beside `target` and synced, not
/// yet swapped in. Dropped without `swap`, it is removed and `target` stays as it was.
pub fn stage_folder<E: From<std::io::Error>>(
    target: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<StagedFolder, E> {
    let (parent, prefix) = sibling(target, STAGING)
        .ok_or_else(|| std::io::Error::other("thư mục kết quả không có thư mục cha"))?;
    let made = made_dirs(&parent)?;
    remove_stale(target)?;
    let staging = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(&parent)?;
    write(staging.path())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(staging.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::File::open(staging.path())?.sync_all()?;
    Ok(StagedFolder {
        target: target.to_path_buf(),
        parent,
        staging,
        made,
    })
}

/// A new folder written whole beside the one it replaces (`stage_folder`).
#[must_use = "the folder is removed unless it is swapped in"]
pub struct StagedFolder {
    target: PathBuf,
    parent: PathBuf,
    /// Dropped before `made`, which then finds the folders it made empty.
    staging: tempfile::TempDir,
    made: MadeDirs,
}

impl StagedFolder {
    /// Swaps the folder in (the second half of `replace_folder`).
    pub fn swap(self) -> std::io::Result<Retiring> {
        let StagedFolder {
            target,
            parent,
            staging,
            made,
        } = self;
        made.keep();
        let target = target.as_path();
        let staged = staging.keep();
        swap_in(target, &parent, staged)
    }
}

/// Puts `staged` in the place of `target` (the old folder, if any, returned to be removed).
fn swap_in(target: &Path, parent: &Path, staged: PathBuf) -> std::io::Result<Retiring> {
    let old = if !target.exists() {
        std::fs::rename(&staged, target)?;
        None
    } else if exchange(&staged, target).is_ok() {
        // `staged` now holds the old folder.
        Some(staged)
    } else {
        let (_, old_prefix) = sibling(target, RETIRED).expect("same parent");
        let retired = parent.join(format!("{old_prefix}{}", fastrand::u64(..)));
        std::fs::rename(target, &retired)?;
        std::fs::rename(&staged, target)?;
        Some(retired)
    };
    std::fs::File::open(parent)?.sync_all()?;
    Ok(Retiring(old.map(|old| {
        std::thread::spawn(move || std::fs::remove_dir_all(old))
    })))
}

/// The old folder `replace_folder` swapped out, removed on a thread of its own while the run
/// goes on (a nation's month is hundreds of megabytes: ~0.1 s of the disk's time). Dropping it
/// waits too; a removal cut short leaves a stale sibling that `remove_stale` removes at the
/// next run.
#[must_use = "the old folder's removal is waited for with `wait`"]
pub struct Retiring(Option<std::thread::JoinHandle<std::io::Result<()>>>);

impl Retiring {
    /// Waits for the removal; its error, if any.
    pub fn wait(mut self) -> std::io::Result<()> {
        self.join()
    }

    fn join(&mut self) -> std::io::Result<()> {
        match self.0.take() {
            Some(removal) => removal.join().unwrap_or_else(|_| {
                Err(std::io::Error::other("luồng xoá thư mục cũ dừng đột ngột"))
            }),
            None => Ok(()),
        }
    }
}

impl Drop for Retiring {
    fn drop(&mut self) {
        let _ = self.join();
    }
}

/// Swaps two paths in one step (Linux `renameat2(RENAME_EXCHANGE)`); an error where the
/// system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no atomic exchange here"))
}

/// Writes `bytes` to `dir/name` and syncs it (inside a folder `replace_folder` swaps in).
pub fn write_synced(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(dir.join(name))?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// `write_synced` for a file rendered as it is written: `render` writes into a buffered
/// writer that hashes the bytes on their way to the file, so no copy of a large output is held
/// in memory. Returns the file's SHA-256 (lowercase hex) and size, and its sync, under way on
/// a thread of its own (the disk writes a large file while the next one is rendered): the
/// caller waits for it (`Syncing::wait`) before the folder is swapped in.
pub fn write_streamed(
    dir: &Path,
    name: &str,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<(String, u64, Syncing)> {
    let file = std::fs::File::create(dir.join(name))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, crate::hash::HashingWriter::new(file));
    render(&mut w)?;
    let (file, sha256, size) = w.into_inner().map_err(|e| e.into_error())?.finish();
    Ok((
        sha256,
        size,
        Syncing(std::thread::spawn(move || file.sync_all())),
    ))
}

/// A file's sync under way (`write_streamed`).
#[must_use = "the file is durable only once its sync has been waited for"]
pub struct Syncing(std::thread::JoinHandle<std::io::Result<()>>);

impl Syncing {
    /// Waits for the sync; its error, if any.
    pub fn wait(self) -> std::io::Result<()> {
        self.0
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("đồng bộ tệp bị dừng giữa chừng")))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_lines_are_appended_whole() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a/nhat-ky-chay.log");
        append_log(&log, &["một".to_string()]).unwrap();
        append_log(&log, &["hai".to_string(), "ba".to_string()]).unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "một\nhai\nba\n");
    }

    use super::*;

    #[test]
    fn folders_made_for_a_write_that_failed_are_removed_when_left_empty() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        drop(made_dirs(&deep).unwrap());
        assert!(
            !dir.path().join("a").exists(),
            "all three made, all three removed"
        );
        std::fs::create_dir(dir.path().join("a")).unwrap();
        let guard = made_dirs(&deep).unwrap();
        std::fs::write(dir.path().join("a/b/kept.txt"), "x").unwrap();
        drop(guard);
        assert!(!deep.exists(), "c was empty");
        assert!(
            dir.path().join("a/b/kept.txt").exists(),
            "b holds a file: kept"
        );
        made_dirs(&deep).unwrap().keep();
        assert!(deep.is_dir());
        drop(made_dirs(&deep).unwrap());
        assert!(deep.is_dir(), "nothing made, nothing removed");
    }

    #[test]
    fn a_folder_is_replaced_whole_and_a_failed_write_leaves_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("ktxh").join("2026-10");
        // What the regime's folder holds.
        let names = || -> Vec<String> {
            std::fs::read_dir(dir.path().join("ktxh"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };
        replace_folder(&target, |d| write_synced(d, "a.txt", b"old"))
            .unwrap()
            .wait()
            .unwrap();
        // A stale sibling from a killed run is removed by the next one.
        std::fs::create_dir_all(dir.path().join("ktxh/.2026-10.moi-x")).unwrap();
        std::fs::write(dir.path().join("ktxh/.2026-10.moi-x/a.txt"), "half").unwrap();
        replace_folder(&target, |d| {
            write_synced(d, "a.txt", b"new")?;
            write_synced(d, "b.txt", b"new")
        })
        .unwrap()
        .wait()
        .unwrap();
        assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"new");
        assert_eq!(std::fs::read(target.join("b.txt")).unwrap(), b"new");
        let failed = replace_folder(&target, |d| {
            write_synced(d, "a.txt", b"newer")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"new");
        assert_eq!(names(), ["2026-10"]);
        // Staged whole and then not swapped in (the store step failed meanwhile): removed, the
        // old folder as it was.
        let staged = stage_folder(&target, |d| write_synced(d, "a.txt", b"unpublished")).unwrap();
        assert_eq!(names().len(), 2);
        drop(staged);
        assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"new");
        assert_eq!(names(), ["2026-10"]);
        // Swapped in: the new files, the old folder removed.
        stage_folder(&target, |d| write_synced(d, "a.txt", b"newest"))
            .unwrap()
            .swap()
            .unwrap()
            .wait()
            .unwrap();
        assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"newest");
        assert!(!target.join("b.txt").exists());
    }

    #[test]
    fn table_aligns_vietnamese_text_by_characters() {
        let t = table(
            &["kỳ", "nhãn"],
            &[vec!["2026-10".into(), "Tháng 10 năm 2026".into()]],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "kỳ       nhãn");
        assert_eq!(lines[2], "2026-10  Tháng 10 năm 2026");
    }

    #[test]
    fn atomic_write_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a").join("b.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file is left behind");
    }
}
