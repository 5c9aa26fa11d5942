//! Merging the progress updates units send back (`tasks update`) into the register.
//!
//! A unit may update only its own tasks (those it leads), only the fields it owns: progress,
//! completion date, explanation, the extension it asks for and the documents it sends. The
//! deadline and its extension are the office's: a requested extension is listed, never
//! applied. Every change is an entry of the update log. Owns the rules; the files are read by
//! `ingest::register` and written by `render::tasks`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::Task;
use crate::diag::{Code, Diagnostic, Location};
use crate::schedule::vn_date;

/// The header of the update log `nhat-ky.csv`.
pub const LOG_HEADER: [&str; 7] = [
    "task",
    "field",
    "old_value",
    "new_value",
    "unit",
    "file",
    "received_at",
];

/// One file of updates from a unit.
#[derive(Debug, Clone)]
pub struct Update {
    /// The file, as shown in diagnostics and the log.
    pub file: String,
    pub sheet: String,
    /// The unit that sent it (the form's metadata, else its file name), if known.
    pub unit: Option<String>,
    pub received_at: NaiveDateTime,
    /// The rows as read (register-shaped).
    pub rows: Vec<Task>,
}

/// One change, as the update log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub task: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub unit: String,
    pub file: String,
    pub received_at: String,
}

impl LogEntry {
    /// A record of the update log (`LOG_HEADER`'s fields in order); none for one with another
    /// number of fields.
    pub fn from_record(r: &csv::StringRecord) -> Option<LogEntry> {
        (r.len() == LOG_HEADER.len()).then(|| LogEntry {
            task: r[0].to_string(),
            field: r[1].to_string(),
            old_value: r[2].to_string(),
            new_value: r[3].to_string(),
            unit: r[4].to_string(),
            file: r[5].to_string(),
            received_at: r[6].to_string(),
        })
    }

    /// The lines `entries` add to the update log, after its header for a new log.
    pub fn lines(entries: &[LogEntry], with_header: bool) -> Vec<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        if with_header {
            w.write_record(LOG_HEADER).expect("write to memory");
        }
        for e in entries {
            w.write_record(e.record()).expect("write to memory");
        }
        let bytes = w.into_inner().expect("flush to memory");
        String::from_utf8(bytes)
            .expect("utf-8")
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// This entry's fields in `LOG_HEADER`'s order.
    pub fn record(&self) -> [&str; 7] {
        [
            &self.task,
            &self.field,
            &self.old_value,
            &self.new_value,
            &self.unit,
            &self.file,
            &self.received_at,
        ]
    }
}

/// The register after the updates.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub tasks: Vec<Task>,
    pub log: Vec<LogEntry>,
    pub diagnostics: Vec<Diagnostic>,
    /// Lead units that sent an update.
    pub updated_units: BTreeSet<String>,
    /// Open tasks whose lead unit sent no update (chưa cập nhật: treated as not done).
    pub not_updated: Vec<String>,
    /// Extensions asked for (task code, requested deadline), for the office to decide.
    pub extension_requests: Vec<(String, NaiveDate)>,
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(vn_date).unwrap_or_default()
}

/// The fields a unit updates, with their names in the log and the register.
fn unit_fields(t: &Task) -> [(&'static str, String); 5] {
    [
        ("Tiến độ / kết quả", t.progress.clone()),
        ("Ngày hoàn thành", date_text(t.completed_on)),
        ("Giải trình", t.explanation.clone()),
        ("Đề xuất gia hạn", date_text(t.extension_request)),
        ("Văn bản, tệp kèm theo", t.attachments.clone()),
    ]
}

/// Merges `updates` (in the order given) into `register` as of `as_of`.
pub fn merge(register: &[Task], updates: &[Update], as_of: NaiveDate) -> Merged {
    let mut m = Merged {
        tasks: register.to_vec(),
        ..Merged::default()
    };
    let index: BTreeMap<String, usize> = register
        .iter()
        .enumerate()
        .map(|(i, t)| (t.code.clone(), i))
        .collect();
    for u in updates {
        for row in &u.rows {
            m.apply(&index, u, row, as_of);
        }
    }
    m.list_pending(as_of);
    m
}

impl Merged {
    /// Applies one row of an update to its task: the unit's fields it fills, the update date,
    /// each change in the log; a diagnostic instead when the row may not update the task, and
    /// one when the task is now late without an explanation.
    fn apply(&mut self, index: &BTreeMap<String, usize>, u: &Update, row: &Task, as_of: NaiveDate) {
        let (i, lead, sender) = match check_row(&self.tasks, index, u, row, as_of) {
            Ok(target) => target,
            Err(d) => {
                self.diagnostics.push(d);
                return;
            }
        };
        let received = u.received_at.format("%Y-%m-%dT%H:%M:%S").to_string();
        let before = unit_fields(&self.tasks[i]);
        let t = &mut self.tasks[i];
        take_unit_fields(t, row);
        let old_updated = t.updated_on;
        // Known by the as-of date: a file received later (a replay) counts as of then.
        t.updated_on = Some(u.received_at.date().min(as_of));
        for (field, old, new) in changes(before, t, old_updated) {
            self.log.push(LogEntry {
                task: t.code.clone(),
                field: field.to_string(),
                old_value: old,
                new_value: new,
                unit: sender.clone(),
                file: u.file.clone(),
                received_at: received.clone(),
            });
        }
        if t.late_without_explanation(as_of) {
            self.diagnostics.push(Diagnostic::new(
                Code::LateWithoutExplanation,
                Location::cell(&u.file, &u.sheet, format!("dòng {}", row.row)),
                format!(
                    "Nhiệm vụ {} hoàn thành {}, quá hạn {}, nhưng chưa có giải trình.\nĐề nghị đơn vị ghi giải trình ở cột \"Giải trình\" rồi gửi lại.",
                    t.code,
                    date_text(t.completed_on),
                    date_text(t.due())
                ),
            ));
        }
        self.updated_units.insert(lead);
    }

    /// The extensions asked for and not yet granted, and the open tasks whose lead unit sent
    /// no update.
    fn list_pending(&mut self, as_of: NaiveDate) {
        for t in &self.tasks {
            if let Some(d) = t.extension_request {
                if t.due() != Some(d) && !t.status(as_of).is_done() {
                    self.extension_requests.push((t.code.clone(), d));
                }
            }
            if !t.status(as_of).is_done() && !self.updated_units.contains(&t.lead) {
                self.not_updated.push(t.code.clone());
            }
        }
    }
}

/// The task an update's row may update: its index in the register, its lead unit and the
/// sender; else the diagnostic saying why the row is not applied (unknown task, another
/// unit's task, completed after `as_of` or before it was assigned).
fn check_row(
    tasks: &[Task],
    index: &BTreeMap<String, usize>,
    u: &Update,
    row: &Task,
    as_of: NaiveDate,
) -> Result<(usize, String, String), Diagnostic> {
    let loc = Location::cell(&u.file, &u.sheet, format!("dòng {}", row.row));
    let Some(&i) = index.get(&row.code) else {
        return Err(Diagnostic::new(
            Code::UnknownTask,
            loc,
            format!("Nhiệm vụ {} không có trong sổ theo dõi; dòng này không được cập nhật.\nKiểm tra mã nhiệm vụ (dùng biểu cập nhật do văn phòng gửi).", row.code),
        ));
    };
    let lead = tasks[i].lead.clone();
    let sender = u.unit.clone().unwrap_or_else(|| row.lead.clone());
    if sender != lead {
        return Err(Diagnostic::new(
            Code::NotOwnTask,
            loc,
            format!("Đơn vị {sender} cập nhật nhiệm vụ {} nhưng đơn vị chủ trì là {lead}; dòng này không được cập nhật.\nChỉ đơn vị chủ trì cập nhật tiến độ nhiệm vụ của mình.", row.code),
        ));
    }
    if let Some(c) = row.completed_on.filter(|c| *c > as_of) {
        return Err(Diagnostic::new(
            Code::CompletedInFuture,
            loc,
            format!("Nhiệm vụ {}: ngày hoàn thành {} sau ngày xét {}; dòng này không được cập nhật.\nGhi ngày đã hoàn thành thực tế.", row.code, vn_date(c), vn_date(as_of)),
        ));
    }
    if let (Some(c), Some(a)) = (row.completed_on, tasks[i].assigned_on) {
        if c < a {
            return Err(Diagnostic::new(
                Code::CompletedBeforeAssigned,
                loc,
                format!("Nhiệm vụ {}: ngày hoàn thành {} trước ngày giao {}; dòng này không được cập nhật.\nKiểm tra lại ngày hoàn thành.", row.code, vn_date(c), vn_date(a)),
            ));
        }
    }
    Ok((i, lead, sender))
}

/// Takes the unit's fields that `row` fills into `t`.
fn take_unit_fields(t: &mut Task, row: &Task) {
    // An empty cell keeps what the register has: nothing is erased by an update.
    if !row.progress.trim().is_empty() {
        t.progress = row.progress.clone();
    }
    if row.completed_on.is_some() {
        t.completed_on = row.completed_on;
    }
    if !row.explanation.trim().is_empty() {
        t.explanation = row.explanation.clone();
    }
    if row.extension_request.is_some() {
        t.extension_request = row.extension_request;
    }
    if !row.attachments.trim().is_empty() {
        t.attachments = row.attachments.clone();
    }
}

/// The changes from the unit's fields `before` to task `t`'s, then the update date's from
/// `old_updated`: (field, old value, new value).
fn changes(
    before: [(&'static str, String); 5],
    t: &Task,
    old_updated: Option<NaiveDate>,
) -> Vec<(&'static str, String, String)> {
    let after = unit_fields(t);
    let mut changes: Vec<(&str, String, String)> = before
        .into_iter()
        .zip(after)
        .filter(|(b, a)| b.1 != a.1)
        .map(|(b, a)| (b.0, b.1, a.1))
        .collect();
    if old_updated != t.updated_on {
        changes.push((
            "Ngày cập nhật",
            date_text(old_updated),
            date_text(t.updated_on),
        ));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::TaskStatus;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn task(code: &str, lead: &str, deadline: &str) -> Task {
        Task {
            code: code.into(),
            content: format!("Nội dung {code}"),
            document: "Thông báo 15/TB-UBND".into(),
            assigned_on: Some(d("2026-01-05")),
            assigner: "UBND tỉnh".into(),
            lead: lead.into(),
            coordinating: String::new(),
            deadline: Some(d(deadline)),
            extended: None,
            completed_on: None,
            progress: String::new(),
            explanation: String::new(),
            extension_request: None,
            attachments: String::new(),
            updated_on: None,
            row: 2,
        }
    }

    fn update(unit: &str, rows: Vec<Task>) -> Update {
        Update {
            file: format!("{unit}.xlsx"),
            sheet: "Cập nhật".into(),
            unit: Some(unit.into()),
            received_at: d("2026-11-20").and_hms_opt(9, 0, 0).unwrap(),
            rows,
        }
    }

    #[test]
    fn a_unit_updates_its_own_tasks_and_each_change_is_logged() {
        let register = vec![
            task("NV1", "STC", "2026-10-31"),
            task("NV2", "SCT", "2026-12-31"),
        ];
        let mut row = task("NV1", "STC", "2026-10-31");
        row.completed_on = Some(d("2026-11-05"));
        row.progress = "Đã trình UBND tỉnh".into();
        row.explanation = "Chờ ý kiến của Bộ Tài chính".into();
        let m = merge(&register, &[update("STC", vec![row])], d("2026-11-21"));
        assert_eq!(m.tasks[0].completed_on, Some(d("2026-11-05")));
        assert_eq!(m.tasks[0].status(d("2026-11-21")), TaskStatus::DoneLate);
        let fields: Vec<&str> = m.log.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "Tiến độ / kết quả",
                "Ngày hoàn thành",
                "Giải trình",
                "Ngày cập nhật"
            ]
        );
        assert_eq!(m.log[1].old_value, "");
        assert_eq!(m.log[1].new_value, "05/11/2026");
        assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
        // SCT sent nothing: its open task is not updated.
        assert_eq!(m.not_updated, ["NV2"]);
    }

    #[test]
    fn another_units_task_a_future_completion_and_an_unknown_task_are_refused() {
        let register = vec![task("NV1", "STC", "2026-10-31")];
        let mut future = task("NV1", "STC", "2026-10-31");
        future.completed_on = Some(d("2026-12-01"));
        let mut other = task("NV1", "STC", "2026-10-31");
        other.progress = "Xong".into();
        let unknown = task("NV9", "SCT", "2026-10-31");
        let m = merge(
            &register,
            &[
                update("STC", vec![future]),
                update("SCT", vec![other, unknown]),
            ],
            d("2026-11-21"),
        );
        let codes: Vec<&str> = m.diagnostics.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["BC0711", "BC0710", "BC0709"]);
        assert_eq!(m.tasks[0], register[0], "nothing merged");
        assert!(m.log.is_empty());
    }

    #[test]
    fn a_late_completion_without_explanation_is_merged_and_diagnosed() {
        let register = vec![task("NV1", "STC", "2026-10-31")];
        let mut row = task("NV1", "STC", "2026-10-31");
        row.completed_on = Some(d("2026-11-10"));
        let m = merge(&register, &[update("STC", vec![row])], d("2026-11-21"));
        assert_eq!(m.tasks[0].completed_on, Some(d("2026-11-10")));
        assert_eq!(m.diagnostics.len(), 1);
        assert_eq!(m.diagnostics[0].code.as_str(), "BC0705");
    }

    #[test]
    fn a_requested_extension_is_listed_not_applied() {
        let register = vec![task("NV1", "STC", "2026-10-31")];
        let mut row = task("NV1", "STC", "2026-10-31");
        row.extension_request = Some(d("2026-12-31"));
        let m = merge(&register, &[update("STC", vec![row])], d("2026-11-21"));
        assert_eq!(m.tasks[0].due(), Some(d("2026-10-31")));
        assert_eq!(m.extension_requests, [("NV1".to_string(), d("2026-12-31"))]);
        assert_eq!(m.tasks[0].status(d("2026-11-21")), TaskStatus::Overdue);
    }
}
