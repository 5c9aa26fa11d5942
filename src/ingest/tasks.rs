//! The files of the task-update cycle (`tasks update`, `tasks import`, `tasks review`): the
//! units' update forms in an inbox (with their unit and receipt time), an exchange file from
//! another task system (CSV with the documented header, or JSON), and the update log. What
//! they mean is `tasks`'.

use std::path::Path;

use chrono::NaiveDate;

use super::register::read_register;
use super::ReceiptLog;
use crate::catalog::Config;
use crate::diag::{Code, Diagnostic, Location};
use crate::tasks::exchange::Record;
use crate::tasks::update::{LogEntry, Update};
use crate::tasks::Task;

/// A file's name as shown in messages.
pub fn shown(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string())
}

/// The update forms in `inbox`: each with its unit (from the form, else from its file name)
/// and its receipt time (the inbox's receipt log, else the file's modification time, else the
/// start of `as_of`); what could not be read is a diagnostic.
pub fn read_updates(
    config: &Config,
    inbox: &Path,
    as_of: NaiveDate,
) -> (Vec<Update>, Vec<Diagnostic>) {
    let folders = [inbox.to_path_buf()];
    let receipts = ReceiptLog::load_for(&folders);
    let mut diagnostics = receipts.problems.clone();
    let mut updates = Vec::new();
    for (path, name) in super::collect_files(&folders) {
        let file = read_register(config, &path, &name);
        diagnostics.extend(file.diagnostics.iter().cloned());
        let unit = file.meta.get("unit").cloned().or_else(|| {
            let stem = path.file_stem()?.to_string_lossy().to_string();
            super::workbook::unit_by_file_name(config, &stem)
        });
        let received_at = receipts
            .lookup(&path)
            .or_else(|| {
                let t = std::fs::metadata(&path).ok()?.modified().ok()?;
                Some(chrono::DateTime::<chrono::Local>::from(t).naive_local())
            })
            .unwrap_or_else(|| as_of.and_time(chrono::NaiveTime::MIN));
        updates.push(Update {
            file: name,
            sheet: file.sheet.clone(),
            unit,
            received_at,
            rows: file.tasks,
        });
    }
    (updates, diagnostics)
}

/// The update log at `path`, if there is one (records of another shape left out).
pub fn read_log(path: &Path) -> Vec<LogEntry> {
    let Ok(mut rdr) = csv::Reader::from_path(path) else {
        return Vec::new();
    };
    rdr.records()
        .flatten()
        .filter_map(|r| LogEntry::from_record(&r))
        .collect()
}

/// An exchange file's records by their number or line: each read, or why not.
type Records = Vec<(u32, Result<Record, String>)>;

/// The records of an exchange file's `text` (JSON by its extension, else CSV), each by its
/// record number (JSON) or line (CSV); `Err` where a JSON file is not one.
fn records_of(path: &Path, name: &str, text: &str) -> Result<Records, String> {
    Ok(
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            let v: Vec<Record> = serde_json::from_str(text)
                .map_err(|e| format!("{name} không phải tệp trao đổi JSON hợp lệ: {e}"))?;
            v.into_iter().zip(1u32..).map(|(r, i)| (i, Ok(r))).collect()
        } else {
            let mut rdr = csv::Reader::from_reader(text.as_bytes());
            rdr.deserialize::<Record>()
                .zip(2u32..)
                .map(|(r, line)| (line, r.map_err(|e| e.to_string())))
                .collect()
        },
    )
}

/// The records of an exchange file (CSV with the documented header, or JSON), as tasks;
/// unreadable records and unknown lead units are diagnostics.
pub fn read_exchange(config: &Config, path: &Path) -> Result<(Vec<Task>, Vec<Diagnostic>), String> {
    let name = shown(path);
    let bytes = match super::read_bounded(path, config.limits.file_bytes) {
        Ok(Ok(b)) => b,
        Ok(Err(len)) => {
            return Err(format!(
                "{name} lớn {} MB, quá giới hạn {} MB (limits.toml)",
                len >> 20,
                config.limits.file_bytes >> 20
            ))
        }
        Err(e) => {
            return Err(format!(
                "không đọc được {}: {}",
                path.display(),
                crate::fault::reason(&e)
            ))
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| format!("{name} không phải văn bản UTF-8"))?;
    let text = text.trim_start_matches('\u{feff}');
    let records = records_of(path, &name, text)?;
    let mut tasks = Vec::new();
    let mut diags = Vec::new();
    for (line, rec) in records {
        let loc = Location::cell(&name, "", format!("dòng {line}"));
        let task = rec.and_then(|r| r.to_task(line));
        match task {
            Err(e) => diags.push(Diagnostic::new(
                Code::CsvRow,
                loc,
                format!("Bản ghi không đọc được: {e}.\nSửa bản ghi theo định dạng trao đổi rồi nhập lại."),
            )),
            Ok(t) if config.units.get(&t.lead).is_none() => diags.push(Diagnostic::new(
                Code::UnknownLeadUnit,
                loc,
                format!("Nhiệm vụ {}: đơn vị chủ trì \"{}\" không có trong danh mục đơn vị; không nhập.\nGhi mã đơn vị như trong units.toml.", t.code, t.lead),
            )),
            Ok(t) if t.code.is_empty() || t.content.trim().is_empty() => diags.push(Diagnostic::new(
                Code::TaskIncomplete,
                loc,
                "Bản ghi thiếu mã hoặc nội dung nhiệm vụ; không nhập.",
            )),
            Ok(t) => tasks.push(t),
        }
    }
    Ok((tasks, diags))
}
