//! Ingest: agency files (xlsx/xlsm/xls/ods via calamine, the long exchange CSV) → `Submission`.
//!
//! Owns reading files, finding the table by its header labels, matching rows to indicators,
//! reading numbers, identifying regime/period/unit, and the receipt time. Every problem is a
//! `Diagnostic` with file, sheet and cell; a bad file never stops the others. Judging values
//! against rules is `validate`'s job; ingest only reports what it could not read.

pub mod exchange;
mod grid;
pub mod limits;
pub(crate) mod lists;
mod matrix;
mod number;
mod receipt;
pub mod register;
pub mod tasks;
pub mod workbook;
mod xlsx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use grid::{Cell, Grid};
pub use number::{read_number, Reading};
pub use receipt::{ReceiptLog, ReceiptSource, RECEIPT_LOG};

use crate::catalog::{Config, InputColumn, Regime};
use crate::diag::{Code, Diagnostic, Location};
use crate::model::CellKey;
use crate::period::Period;

pub use crate::model::{FileReport, Origin, Submission, Value, META_SHEET};

/// What the caller expects to read: the regime and period of the batch.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub config: &'a Config,
    pub regime: &'a Regime,
    pub period: Period,
}

/// The diagnostic for a report of `submitted`, a period the regime replaces by the batch's
/// period: a warning that it is taken as the replacing report (`BC0308`), or, where the rule
/// does not hold for the unit's level, the period mismatch (`BC0303`).
pub(crate) fn replacing_diagnostic(
    expect: Expect<'_>,
    submitted: Period,
    level: &str,
    loc: Location,
    source: &str,
) -> Diagnostic {
    let (regime, expected) = (expect.regime, expect.period);
    if regime.accepts_as(submitted, expected, level) {
        Diagnostic::new(
            Code::ReplacedPeriod,
            loc,
            format!(
                "Biểu ghi kỳ {} ({}, theo {source}); theo chế độ \"{}\", báo cáo {} thay báo cáo này, nên biểu được nhận là báo cáo {} ({}). Số \"Thực hiện\" của kỳ {} lấy từ cột \"Lũy kế từ đầu năm\" của biểu (chỉ tiêu thời điểm: cột \"Thực hiện\").\nĐối chiếu số liệu với đơn vị; kỳ sau dùng biểu mẫu của {}.",
                submitted.code(),
                submitted.label(),
                regime.id,
                crate::text::lower_first(&expected.label()),
                crate::text::lower_first(&expected.label()),
                expected.code(),
                expected.code(),
                crate::text::lower_first(&expected.label()),
            ),
        )
    } else {
        Diagnostic::new(
            Code::PeriodMismatch,
            loc,
            format!(
                "Biểu ghi kỳ {} ({}, theo {source}) nhưng đợt tổng hợp này là {} ({}).\nSửa kỳ báo cáo trên biểu (dùng biểu mẫu của {}) rồi gửi lại.",
                submitted.code(), submitted.label(), expected.code(), expected.label(), expected.short_label()
            ),
        )
    }
}

/// The figures of a report of `submitted` (December) taken as the report of `replacing` (the
/// year) that replaces it, both ending the same month: the plan and year-to-date columns are
/// the same figures; the replacing period's own figure is the year-to-date where the replacing
/// period starts the year (a stock's is its end-of-period figure); a figure that cannot be
/// derived (a quarter's flow from a month's form) and the previous period's column are left out.
pub(crate) fn as_replacing(
    config: &Config,
    values: BTreeMap<(CellKey, InputColumn), Value>,
    submitted: Period,
    replacing: Period,
) -> BTreeMap<(CellKey, InputColumn), Value> {
    debug_assert_eq!(submitted.month_span().1, replacing.month_span().1);
    let starts_year = replacing.month_span().0 == 1;
    let mut out = BTreeMap::new();
    for ((key, col), v) in &values {
        let stock = config.indicator_of_key(key).is_some_and(|i| i.stock);
        match col {
            InputColumn::KeHoach | InputColumn::LuyKe => {
                out.insert((key.clone(), *col), v.clone());
            }
            InputColumn::ThucHien if stock => {
                out.insert((key.clone(), *col), v.clone());
            }
            InputColumn::ThucHien | InputColumn::KyTruoc => {}
        }
        if *col == InputColumn::LuyKe && starts_year && !stock {
            out.insert((key.clone(), InputColumn::ThucHien), v.clone());
        }
    }
    out
}

/// File kinds ingest reads.
/// A CSV file's text: UTF-8 (a byte that is not, replaced), its byte-order mark dropped.
pub(crate) fn csv_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).into_owned()
}

pub fn is_spreadsheet(path: &Path) -> bool {
    matches!(
        extension(path).as_str(),
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods"
    )
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Lists the input files under `paths` (files or folders, recursively), sorted, skipping
/// hidden files, Office lock files (`~$…`) and the receipt log. Paths are shown relative to
/// the folder they were found in. Only regular files are listed (see `walk`).
pub fn collect_files(paths: &[PathBuf]) -> Vec<(PathBuf, String)> {
    walk(paths).0
}

/// An inbox entry that is not read: (shown path, what it is).
pub type Skipped = (String, &'static str);

/// `collect_files`, and the entries that are not regular files (named pipes, devices,
/// sockets, links to them, or to nothing): (shown path, what it is). A symbolic link is
/// followed, but each real folder is walked once, so links to a parent folder cannot make the
/// walk loop or grow.
pub fn walk(paths: &[PathBuf]) -> (Vec<(PathBuf, String)>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut odd = Vec::new();
    let mut seen: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
    for p in paths {
        if p.is_dir() {
            walk_folder(p, &mut seen, &mut out, &mut odd);
        } else {
            let shown = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| p.display().to_string());
            match std::fs::metadata(p) {
                Ok(m) if !m.is_file() => odd.push((
                    shown,
                    "không phải tệp thông thường (ống dẫn, thiết bị hoặc socket)",
                )),
                _ => out.push((p.clone(), shown)),
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    odd.sort();
    (out, odd)
}

/// Walks the folder `p` (each real folder once, by `seen`): its regular files into `out`, the
/// entries that are not into `odd`.
fn walk_folder(
    p: &PathBuf,
    seen: &mut std::collections::BTreeSet<PathBuf>,
    out: &mut Vec<(PathBuf, String)>,
    odd: &mut Vec<Skipped>,
) {
    let mut stack = vec![p.clone()];
    while let Some(dir) = stack.pop() {
        let real = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        if !seen.insert(real) {
            continue;
        }
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name.starts_with("~$") {
                continue;
            }
            let shown = path
                .strip_prefix(p)
                .map(|r| r.to_string_lossy().to_string())
                .unwrap_or_else(|_| name.clone());
            // What the entry really is: the folder listing says so without a `stat` of its
            // own, except for a link, which `metadata` follows.
            let kind = match e.file_type() {
                Ok(t) if !t.is_symlink() => Ok(t),
                _ => std::fs::metadata(&path).map(|m| m.file_type()),
            };
            match kind {
                Ok(m) if m.is_dir() => stack.push(path),
                Ok(m) if m.is_file() => {
                    if name != receipt::RECEIPT_LOG {
                        out.push((path, shown));
                    }
                }
                Ok(_) => odd.push((
                    shown,
                    "không phải tệp thông thường (ống dẫn, thiết bị hoặc socket)",
                )),
                Err(_) => odd.push((shown, "liên kết tới tệp không tồn tại hoặc không đọc được")),
            }
        }
    }
}

/// Reads every file under `paths` in parallel; the reports come back in file order.
pub fn read_all(paths: &[PathBuf], expect: Expect<'_>) -> Vec<FileReport> {
    read_all_with(paths, expect, &|_| {}, &|| {})
}

/// `read_all`, telling `on_start` how many files there are and `on_file` after each one.
pub fn read_all_with(
    paths: &[PathBuf],
    expect: Expect<'_>,
    on_start: &(dyn Fn(usize) + Sync),
    on_file: &(dyn Fn() + Sync),
) -> Vec<FileReport> {
    let (files, odd) = walk(paths);
    on_start(files.len());
    let logs = ReceiptLog::load_for(paths);
    // A few files per task: rayon would otherwise leave runs of hundreds of files whole, and
    // the last of them read on one core while the others wait (~0.2 s of 10,000 files).
    let mut reports: Vec<FileReport> = files
        .par_iter()
        .with_max_len(4)
        .map(|(path, shown)| {
            let mut report = read_file(path, shown, expect);
            let logged = logs.lookup_with_source(path);
            for s in &mut report.submissions {
                receipt::settle(s, logged.as_ref(), &mut report.diagnostics);
            }
            on_file();
            report
        })
        .collect();
    for (shown, what) in odd {
        let stem = Path::new(&shown)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        reports.push(FileReport {
            file: shown.clone(),
            unit_hint: workbook::unit_by_file_name(expect.config, &stem),
            submissions: Vec::new(),
            diagnostics: vec![Diagnostic::new(
                Code::NotARegularFile,
                Location::file(&shown),
                format!("Mục \"{shown}\" trong thư mục nhận {what}, nên không được đọc.\nChỉ để tệp báo cáo (.xlsx, .csv) trong thư mục nhận."),
            )],
            ..FileReport::default()
        });
    }
    if !logs.problems.is_empty() {
        reports.push(FileReport {
            file: receipt::RECEIPT_LOG.to_string(),
            unit_hint: None,
            submissions: Vec::new(),
            diagnostics: logs.problems.clone(),
            ..FileReport::default()
        });
    }
    reports
}

/// A report read from another period's folder shown under that folder (`2026-12/…`): the
/// report, its submissions, their figures and its diagnostics name it so.
pub fn shown_under(report: &mut FileReport, folder: &str) {
    let old = std::mem::take(&mut report.file);
    let new = format!("{folder}/{old}");
    let shared = crate::diag::Shared::from(new.as_str());
    let rename = |l: &mut Location| {
        if l.file.as_str() == old {
            l.file = shared.clone();
        }
    };
    for d in &mut report.diagnostics {
        rename(&mut d.location);
    }
    let mut renamed = Vec::new();
    for s in &mut report.submissions {
        s.file = new.clone();
        for v in s.values.values_mut() {
            v.location.rename(&old, &shared, &mut renamed);
        }
    }
    report.file = new;
}

/// A file's modification time as the manifest records it: local time, to the second.
pub fn modified_stamp(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// Parses a file's bytes by its extension (`path` names it; nothing is read from disk): the
/// entry point the fuzz tests feed.
pub fn read_bytes(bytes: &[u8], path: &Path, shown: &str, expect: Expect<'_>) -> FileReport {
    let mut report = FileReport {
        file: shown.to_string(),
        ..FileReport::default()
    };
    parse(bytes, path, shown, expect, &mut report);
    report
}

fn parse(bytes: &[u8], path: &Path, shown: &str, expect: Expect<'_>, report: &mut FileReport) {
    if bytes.len() as u64 > expect.config.limits.file_bytes {
        report.diagnostics.push(Diagnostic::new(
            Code::OverLimit,
            Location::file(shown),
            format!(
                "Tệp không được đọc: tệp lớn {} MB, quá giới hạn {} MB.",
                bytes.len() >> 20,
                expect.config.limits.file_bytes >> 20
            ),
        ));
    } else if let Some(spec) = lists::sent_alone(path, expect.regime) {
        lists::read_csv(bytes, path, shown, spec, expect, report);
    } else if extension(path) == "csv" {
        exchange::read(bytes, path, shown, expect, report);
    } else if is_spreadsheet(path) {
        workbook::read(bytes, path, shown, expect, report);
    } else {
        report.diagnostics.push(Diagnostic::new(
            Code::UnsupportedFile,
            Location::file(shown),
            "Tệp không phải Excel (.xlsx, .xlsm, .xls, .ods) hoặc CSV nên không được đọc.\nNếu đây là báo cáo, gửi lại dạng .xlsx theo biểu mẫu.",
        ));
    }
}

/// The bytes of a regular file, at most `limit` of them: a longer file is refused before it is
/// read into memory (its size from the open file, checked again while reading, in case it grows).
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > limit {
        return Ok(Err(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Err(bytes.len() as u64));
    }
    Ok(Ok(bytes))
}

/// The bytes of a file to read, within `limit`; `None` where it cannot be opened or is too
/// large (said). An empty file's (none) are said too.
fn load_bytes(path: &Path, shown: &str, limit: u64, report: &mut FileReport) -> Option<Vec<u8>> {
    match read_bounded(path, limit) {
        Err(e) => {
            report.diagnostics.push(Diagnostic::new(
                Code::FileUnreadable,
                Location::file(shown),
                format!(
                    "Không mở được tệp: {}.\n{}",
                    crate::fault::reason(&e),
                    crate::fault::Kind::of(&e).advice(path, crate::fault::Access::Read)
                ),
            ));
            None
        }
        Ok(Err(len)) => {
            report.diagnostics.push(Diagnostic::new(
                Code::OverLimit,
                Location::file(shown),
                format!(
                    "Tệp không được đọc: tệp lớn {} MB, quá giới hạn {} MB.\nBiểu báo cáo thật nhỏ hơn nhiều: kiểm tra lại tệp (giới hạn đặt trong limits.toml).",
                    len >> 20,
                    limit >> 20
                ),
            ));
            None
        }
        Ok(Ok(b)) if b.is_empty() => {
            report.diagnostics.push(Diagnostic::new(
                Code::FileEmpty,
                Location::file(shown),
                "Tệp rỗng (0 byte).\nGửi lại tệp báo cáo đã nhập số liệu.",
            ));
            Some(b)
        }
        Ok(Ok(b)) => Some(b),
    }
}

/// Reads one file: its bytes once (parsed and hashed from the same read). Never panics on its
/// content.
pub fn read_file(path: &Path, shown: &str, expect: Expect<'_>) -> FileReport {
    let mut report = FileReport {
        file: shown.to_string(),
        ..FileReport::default()
    };
    let limit = expect.config.limits.file_bytes;
    let meta = std::fs::metadata(path);
    let bytes = load_bytes(path, shown, limit, &mut report);
    if let Some(b) = &bytes {
        report.sha256 = crate::hash::sha256_hex(b);
        report.size = b.len() as u64;
        if report.diagnostics.is_empty() {
            parse(b, path, shown, expect, &mut report);
        }
    }
    if report.submissions.is_empty() {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        report.unit_hint = workbook::unit_by_file_name(expect.config, &stem);
    }
    let modified = meta.ok().and_then(|m| m.modified().ok());
    report.modified = modified.map(modified_stamp);
    let mtime = modified.map(|t| chrono::DateTime::<chrono::Local>::from(t).naive_local());
    for s in &mut report.submissions {
        if s.received_at.is_none() {
            s.received_at = mtime;
            s.received_source = ReceiptSource::FileModified;
        }
    }
    report
}
