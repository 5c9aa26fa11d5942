//! Exchanging tasks with other task systems (`tasks export` / `tasks import`): a flat,
//! documented record per task, as CSV or JSON, and the merge of another system's export into
//! the register.
//!
//! The merge matches by task id, else by issuing document and content; adds new tasks; fills
//! fields the register leaves empty; keeps the register's value where both have one and they
//! differ, and reports it. Importing the same file twice changes nothing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::update::LogEntry;
use super::Task;
use crate::diag::{Code, Diagnostic, Location};
use crate::schedule::vn_date;
use crate::text::nfc;

/// The exchange record of a task. Dates are ISO (`2026-10-31`), empty when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub task_id: String,
    /// Số, ký hiệu văn bản giao.
    pub document_number: String,
    /// Ngày giao (the issuing document's date).
    pub document_date: String,
    /// Cơ quan giao.
    pub giving_body: String,
    /// Đơn vị chủ trì (unit code).
    pub lead_unit: String,
    /// Đơn vị phối hợp, as written in the register.
    pub co_units: String,
    pub content: String,
    pub deadline: String,
    pub extended_deadline: String,
    pub completed_on: String,
    /// The status as of the export date (Vietnamese name); ignored on import.
    pub status: String,
    pub progress: String,
    pub explanation: String,
    pub extension_request: String,
    pub attachments: String,
    pub updated_on: String,
}

/// The CSV header, in field order.
pub const HEADER: [&str; 16] = [
    "task_id",
    "document_number",
    "document_date",
    "giving_body",
    "lead_unit",
    "co_units",
    "content",
    "deadline",
    "extended_deadline",
    "completed_on",
    "status",
    "progress",
    "explanation",
    "extension_request",
    "attachments",
    "updated_on",
];

fn iso(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

impl Record {
    pub fn of(t: &Task, as_of: NaiveDate) -> Record {
        Record {
            task_id: t.code.clone(),
            document_number: t.document.clone(),
            document_date: iso(t.assigned_on),
            giving_body: t.assigner.clone(),
            lead_unit: t.lead.clone(),
            co_units: t.coordinating.clone(),
            content: t.content.clone(),
            deadline: iso(t.deadline),
            extended_deadline: iso(t.extended),
            completed_on: iso(t.completed_on),
            status: t.status(as_of).name().to_string(),
            progress: t.progress.clone(),
            explanation: t.explanation.clone(),
            extension_request: iso(t.extension_request),
            attachments: t.attachments.clone(),
            updated_on: iso(t.updated_on),
        }
    }

    /// The task of a record, or which field is not a date.
    pub fn to_task(&self, row: u32) -> Result<Task, String> {
        let date = |name: &str, s: &str| -> Result<Option<NaiveDate>, String> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            crate::schedule::parse_date_text(s)
                .map(Some)
                .ok_or_else(|| format!("{name} \"{s}\" không phải ngày (viết 2026-10-31)"))
        };
        Ok(Task {
            code: nfc(self.task_id.trim()),
            content: nfc(&self.content),
            document: nfc(&self.document_number),
            assigned_on: date("document_date", &self.document_date)?,
            assigner: nfc(&self.giving_body),
            lead: self.lead_unit.trim().to_string(),
            coordinating: nfc(&self.co_units),
            deadline: date("deadline", &self.deadline)?,
            extended: date("extended_deadline", &self.extended_deadline)?,
            completed_on: date("completed_on", &self.completed_on)?,
            progress: nfc(&self.progress),
            explanation: nfc(&self.explanation),
            extension_request: date("extension_request", &self.extension_request)?,
            attachments: nfc(&self.attachments),
            updated_on: date("updated_on", &self.updated_on)?,
            row,
        })
    }

    pub fn fields(&self) -> [&str; 16] {
        [
            &self.task_id,
            &self.document_number,
            &self.document_date,
            &self.giving_body,
            &self.lead_unit,
            &self.co_units,
            &self.content,
            &self.deadline,
            &self.extended_deadline,
            &self.completed_on,
            &self.status,
            &self.progress,
            &self.explanation,
            &self.extension_request,
            &self.attachments,
            &self.updated_on,
        ]
    }
}

/// A field both sides have, with different values: the register's is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub task: String,
    pub field: &'static str,
    pub register: String,
    pub incoming: String,
}

impl Conflict {
    /// The warning that says it, on the imported `file`.
    pub fn diagnostic(&self, file: &str) -> Diagnostic {
        Diagnostic::new(
            Code::ImportConflict,
            Location::cell(file, "", format!("nhiệm vụ {}", self.task)),
            format!(
                "Nhiệm vụ {}, {}: sổ ghi \"{}\", tệp nhập ghi \"{}\"; giữ số liệu của sổ.\nĐối chiếu với hệ thống kia; sửa sổ nếu tệp nhập đúng.",
                self.task, self.field, self.register, self.incoming
            ),
        )
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub tasks: Vec<Task>,
    pub added: Vec<String>,
    /// Fields the register had empty and took from the file.
    pub log: Vec<LogEntry>,
    pub conflicts: Vec<Conflict>,
}

/// The fields of a task a merge compares, with their names (as in the register).
fn fields(t: &Task) -> Vec<(&'static str, String)> {
    let d = |d: Option<NaiveDate>| d.map(vn_date).unwrap_or_default();
    vec![
        ("Nội dung nhiệm vụ", t.content.clone()),
        ("Văn bản giao", t.document.clone()),
        ("Ngày giao", d(t.assigned_on)),
        ("Cơ quan giao", t.assigner.clone()),
        ("Đơn vị chủ trì", t.lead.clone()),
        ("Đơn vị phối hợp", t.coordinating.clone()),
        ("Thời hạn", d(t.deadline)),
        ("Thời hạn điều chỉnh", d(t.extended)),
        ("Ngày hoàn thành", d(t.completed_on)),
        ("Tiến độ / kết quả", t.progress.clone()),
        ("Giải trình", t.explanation.clone()),
        ("Đề xuất gia hạn", d(t.extension_request)),
        ("Văn bản, tệp kèm theo", t.attachments.clone()),
        ("Ngày cập nhật", d(t.updated_on)),
    ]
}

/// Fills `local`'s empty fields from `incoming`.
fn fill(local: &mut Task, incoming: &Task) {
    let text = |a: &mut String, b: &String| {
        if a.trim().is_empty() {
            a.clone_from(b);
        }
    };
    let date = |a: &mut Option<NaiveDate>, b: Option<NaiveDate>| {
        if a.is_none() {
            *a = b;
        }
    };
    text(&mut local.content, &incoming.content);
    text(&mut local.document, &incoming.document);
    date(&mut local.assigned_on, incoming.assigned_on);
    text(&mut local.assigner, &incoming.assigner);
    text(&mut local.lead, &incoming.lead);
    text(&mut local.coordinating, &incoming.coordinating);
    date(&mut local.deadline, incoming.deadline);
    date(&mut local.extended, incoming.extended);
    date(&mut local.completed_on, incoming.completed_on);
    text(&mut local.progress, &incoming.progress);
    text(&mut local.explanation, &incoming.explanation);
    date(&mut local.extension_request, incoming.extension_request);
    text(&mut local.attachments, &incoming.attachments);
    date(&mut local.updated_on, incoming.updated_on);
}

/// The key a task is matched by when ids differ: issuing document and content.
fn doc_key(t: &Task) -> (String, String) {
    (
        crate::text::fold(&t.document),
        crate::text::fold(&t.content),
    )
}

/// Merges `incoming` (another system's tasks) into `register`. `file` and `received_at` go
/// into the log entries of the fields filled.
pub fn import(register: &[Task], incoming: &[Task], file: &str, received_at: &str) -> Imported {
    let mut out = Imported {
        tasks: register.to_vec(),
        ..Imported::default()
    };
    for inc in incoming {
        let found = out
            .tasks
            .iter()
            .position(|t| t.code == inc.code)
            .or_else(|| {
                let key = doc_key(inc);
                (!key.0.is_empty() && !key.1.is_empty())
                    .then(|| out.tasks.iter().position(|t| doc_key(t) == key))
                    .flatten()
            });
        let Some(i) = found else {
            let mut t = inc.clone();
            t.row = out.tasks.iter().map(|t| t.row).max().unwrap_or(2) + 1;
            out.added.push(t.code.clone());
            out.tasks.push(t);
            continue;
        };
        let before = fields(&out.tasks[i]);
        fill(&mut out.tasks[i], inc);
        let after = fields(&out.tasks[i]);
        let theirs = fields(inc);
        for ((b, a), th) in before.iter().zip(&after).zip(&theirs) {
            if b.1 != a.1 {
                out.log.push(LogEntry {
                    task: out.tasks[i].code.clone(),
                    field: b.0.to_string(),
                    old_value: b.1.clone(),
                    new_value: a.1.clone(),
                    unit: String::new(),
                    file: file.to_string(),
                    received_at: received_at.to_string(),
                });
            } else if !th.1.is_empty() && th.1 != a.1 {
                out.conflicts.push(Conflict {
                    task: out.tasks[i].code.clone(),
                    field: b.0,
                    register: a.1.clone(),
                    incoming: th.1.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn task(code: &str) -> Task {
        Task {
            code: code.into(),
            content: format!("Xây dựng đề án {code}"),
            document: "Thông báo 15/TB-VPCP".into(),
            assigned_on: Some(d("2026-01-05")),
            assigner: "Thủ tướng Chính phủ".into(),
            lead: "STC".into(),
            coordinating: "SCT, SXD".into(),
            deadline: Some(d("2026-06-30")),
            extended: None,
            completed_on: None,
            progress: String::new(),
            explanation: String::new(),
            extension_request: None,
            attachments: String::new(),
            updated_on: None,
            row: 3,
        }
    }

    #[test]
    fn a_record_keeps_every_field_of_its_task() {
        let mut t = task("TW-01");
        t.extended = Some(d("2026-09-30"));
        t.completed_on = Some(d("2026-09-15"));
        t.progress = "Đã trình".into();
        t.explanation = "Chờ số liệu".into();
        t.extension_request = Some(d("2026-09-30"));
        t.attachments = "Tờ trình 12/TTr-STC".into();
        t.updated_on = Some(d("2026-09-16"));
        let r = Record::of(&t, d("2026-10-01"));
        assert_eq!(r.status, "hoàn thành đúng hạn");
        assert_eq!(r.to_task(3).unwrap(), t);
    }

    #[test]
    fn import_adds_new_tasks_fills_gaps_keeps_local_progress_and_reports_conflicts() {
        let mut local = task("NV1");
        local.progress = "Đang lấy ý kiến các sở".into();
        let register = vec![local];
        // The same task under another id (matched by document and content), with a progress
        // of its own and a deadline extension the register lacks; and a new task.
        let mut same = task("TW-77");
        same.content = "Xây dựng đề án NV1".into();
        same.progress = "Chưa báo cáo".into();
        same.extended = Some(d("2026-08-31"));
        let mut new = task("TW-78");
        new.content = "Rà soát quy hoạch".into();
        let out = import(&register, &[same, new], "tw.csv", "2026-11-20T08:00:00");
        assert_eq!(out.tasks.len(), 2);
        assert_eq!(out.added, ["TW-78"]);
        assert_eq!(out.tasks[0].progress, "Đang lấy ý kiến các sở");
        assert_eq!(out.tasks[0].extended, Some(d("2026-08-31")));
        assert_eq!(out.log.len(), 1);
        assert_eq!(out.log[0].field, "Thời hạn điều chỉnh");
        assert_eq!(
            out.conflicts,
            [Conflict {
                task: "NV1".into(),
                field: "Tiến độ / kết quả",
                register: "Đang lấy ý kiến các sở".into(),
                incoming: "Chưa báo cáo".into(),
            }]
        );
        // Twice: nothing more changes.
        let again = import(&out.tasks, &[task("TW-78")], "tw.csv", "x");
        assert!(again.added.is_empty());
        assert!(again.log.is_empty());
    }
}
