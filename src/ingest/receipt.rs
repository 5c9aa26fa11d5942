//! When a submission was received: the inbox's receipt log (`nhan.csv`: `file,received_at`)
//! wins; else the signing date in the form's footer; else the file's modification time, with a
//! warning naming that source.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::diag::{Code, Diagnostic, Location};
use crate::model::Submission;

pub const RECEIPT_LOG: &str = "nhan.csv";

pub use crate::model::ReceiptSource;

/// The receipt logs found under the inbox paths, by file path.
#[derive(Debug, Default)]
pub struct ReceiptLog {
    /// Looked up only, never listed (so hashed: 10,000 paths compared component by component
    /// in a B-tree took ~50 ms).
    entries: HashMap<PathBuf, (NaiveDateTime, ReceiptSource)>,
    pub problems: Vec<Diagnostic>,
}

impl ReceiptLog {
    /// Loads every `nhan.csv` in the given folders and their subfolders.
    pub fn load_for(paths: &[PathBuf]) -> ReceiptLog {
        let mut log = ReceiptLog::default();
        let mut stack: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
        // Each real folder once: links to a parent folder cannot make the walk loop.
        let mut seen = std::collections::BTreeSet::new();
        while let Some(dir) = stack.pop() {
            if !seen.insert(std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone())) {
                continue;
            }
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                // The listing's own file type, a link followed.
                let dir = match e.file_type() {
                    Ok(t) if !t.is_symlink() => t.is_dir(),
                    _ => e.path().is_dir(),
                };
                if dir {
                    stack.push(e.path());
                }
            }
            let file = dir.join(RECEIPT_LOG);
            if file.is_file() {
                log.load(&dir, &file);
            }
        }
        log
    }

    fn load(&mut self, dir: &Path, file: &Path) {
        let shown = file.display().to_string();
        let limit = crate::model::Limits::default().file_bytes;
        if std::fs::metadata(file).is_ok_and(|m| m.len() > limit) {
            self.problems.push(Diagnostic::new(
                Code::ReceiptLogRow,
                Location::file(&shown),
                format!(
                    "Sổ nhận lớn hơn {} MB nên không được đọc; thời điểm nhận lấy từ tệp.",
                    limit >> 20
                ),
            ));
            return;
        }
        let mut rdr = match csv::ReaderBuilder::new().flexible(true).from_path(file) {
            Ok(r) => r,
            Err(e) => {
                self.problems.push(Diagnostic::new(
                    Code::ReceiptLogRow,
                    Location::file(&shown),
                    format!("Không đọc được sổ nhận: {}.", crate::fault::csv_reason(&e)),
                ));
                return;
            }
        };
        let header_ok = rdr
            .headers()
            .map(|h| h.get(0) == Some("file") && h.get(1) == Some("received_at"))
            .unwrap_or(false);
        if !header_ok {
            self.problems.push(Diagnostic::new(
                Code::ReceiptLogRow,
                Location::cell(&shown, "", "dòng 1"),
                "Tiêu đề sổ nhận phải là file,received_at; sổ nhận bị bỏ qua.",
            ));
            return;
        }
        self.read_entries(dir, &mut rdr, &shown);
    }

    /// The log's records: each file's receipt time, by its path under `dir`; a record that
    /// cannot be read, or whose time is not one, is a problem.
    fn read_entries(&mut self, dir: &Path, rdr: &mut csv::Reader<std::fs::File>, shown: &str) {
        for (i, rec) in rdr.records().enumerate() {
            let line = format!("dòng {}", i + 2);
            let parsed = rec.ok().and_then(|r| {
                let name = r.get(0)?.trim().to_string();
                let when = r.get(1)?.trim().to_string();
                // A row `baocao nhan` wrote: the mail server's time.
                let source = match r.get(2).map(str::trim) {
                    Some("imap") => ReceiptSource::Mail,
                    _ => ReceiptSource::Log,
                };
                Some((name, when, source))
            });
            match parsed {
            Some((name, when, source)) => match parse_receipt_time(&when) {
                Some(t) => {
                    self.entries.insert(dir.join(&name), (t, source));
                }
                None => self.problems.push(Diagnostic::new(
                    Code::ReceiptLogRow,
                    Location::cell(shown, "", &line),
                    format!("Thời điểm \"{when}\" của tệp \"{name}\" không hợp lệ: ghi dạng 2026-10-15 hoặc 2026-10-15T09:30."),
                )),
            },
            None => self.problems.push(Diagnostic::new(
                Code::ReceiptLogRow,
                Location::cell(shown, "", &line),
                "Dòng không đọc được: cần hai cột file,received_at.",
            )),
        }
        }
    }

    pub fn lookup(&self, path: &Path) -> Option<NaiveDateTime> {
        self.entries.get(path).map(|e| e.0)
    }

    /// The logged time of a file and where it came from (the log, or the mail server).
    pub fn lookup_with_source(&self, path: &Path) -> Option<(NaiveDateTime, ReceiptSource)> {
        self.entries.get(path).copied()
    }
}

/// Receipt times: `2026-10-15T09:30[:00]`, `2026-10-15 09:30`, `2026-10-15`, `15/10/2026 09:30`.
pub fn parse_receipt_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t);
        }
    }
    for f in ["%Y-%m-%d", "%d/%m/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(d.and_time(NaiveTime::MIN));
        }
    }
    None
}

/// Applies the receipt log to a submission and warns when the time came from the file system.
pub fn settle(
    s: &mut Submission,
    logged: Option<&(NaiveDateTime, ReceiptSource)>,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some((t, source)) = logged {
        s.received_at = Some(*t);
        s.received_source = *source;
        return;
    }
    if s.received_source == ReceiptSource::FileModified {
        let when = s
            .received_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "không rõ".to_string());
        diags.push(Diagnostic::new(
            Code::ReceivedFromMtime,
            Location::file(&s.file),
            format!(
                "Thời điểm nhận lấy theo ngày sửa tệp ({when}) vì không có sổ nhận và biểu không ghi ngày ký.\nGhi sổ nhận {RECEIPT_LOG} (file,received_at) trong thư mục nhận để xác định đúng hạn chính xác."
            ),
        ));
    }
}

/// Finds "ngày 15 tháng 10 năm 2026" in a text (the footer's place-and-date line).
pub fn footer_date(text: &str) -> Option<NaiveDate> {
    let f = crate::text::fold(text);
    let idx = f.find("ngay ")?;
    let rest = &f[idx..];
    let nums: Vec<u32> = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .take(3)
        .filter_map(|t| t.parse().ok())
        .collect();
    if nums.len() == 3 && rest.contains("thang") && rest.contains("nam") {
        NaiveDate::from_ymd_opt(nums[2] as i32, nums[1], nums[0])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_times_in_iso_and_vietnamese_forms() {
        let t = |s| parse_receipt_time(s).map(|t| t.to_string());
        assert_eq!(t("2026-10-15T09:30"), Some("2026-10-15 09:30:00".into()));
        assert_eq!(t("2026-10-15 09:30:15"), Some("2026-10-15 09:30:15".into()));
        assert_eq!(t("2026-10-15"), Some("2026-10-15 00:00:00".into()));
        assert_eq!(t("15/10/2026 08:05"), Some("2026-10-15 08:05:00".into()));
        assert_eq!(t("15/10"), None);
    }

    #[test]
    fn footer_date_is_read_from_the_place_and_date_line() {
        assert_eq!(
            footer_date("Phước An, ngày 15 tháng 10 năm 2026"),
            NaiveDate::from_ymd_opt(2026, 10, 15)
        );
        assert_eq!(footer_date("An Lạc, ngày     tháng     năm 2026"), None);
        assert_eq!(footer_date("NGƯỜI LẬP BIỂU"), None);
    }
}
