//! Task tracking (Quyết định 42/2014/QĐ-TTg): tasks assigned by leaders, their status as of a
//! date, per-unit summaries and the reminder list (đôn đốc).
//!
//! Owns the status rules, the on-time rate, merging units' progress updates (`update`), the
//! review between two dates (`review`) and the exchange with other task systems (`exchange`).
//! Reading registers and update forms is `ingest::register`'s job; the workbooks are
//! `render::tasks`'s.

pub mod exchange;
pub mod review;
pub mod update;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Over which tasks the on-time rate (tỷ lệ hoàn thành đúng hạn) is computed: official reports
/// use different denominators (ARCHITECTURE.md, "Task tracking"). Set in the config root's `tasks.toml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnTimeRate {
    /// Completed on time / completed.
    #[default]
    Completed,
    /// Completed on time / tasks fallen due (completed, or past their deadline).
    FallenDue,
    /// Completed on time / all tasks.
    All,
}

impl OnTimeRate {
    /// How the rate is computed, as printed beside it.
    pub fn describe(self) -> &'static str {
        match self {
            OnTimeRate::Completed => "số hoàn thành đúng hạn / số đã hoàn thành",
            OnTimeRate::FallenDue => {
                "số hoàn thành đúng hạn / số đã đến hạn (đã hoàn thành hoặc đã quá hạn)"
            }
            OnTimeRate::All => "số hoàn thành đúng hạn / tổng số nhiệm vụ",
        }
    }
}

/// One task of the register.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Mã nhiệm vụ
    pub code: String,
    /// Nội dung nhiệm vụ
    pub content: String,
    /// Văn bản giao (số/ký hiệu)
    pub document: String,
    /// Ngày giao
    pub assigned_on: Option<NaiveDate>,
    /// Cơ quan giao
    pub assigner: String,
    /// Đơn vị chủ trì (unit code)
    pub lead: String,
    /// Đơn vị phối hợp, as written
    pub coordinating: String,
    /// Thời hạn
    pub deadline: Option<NaiveDate>,
    /// Thời hạn điều chỉnh (gia hạn): replaces the deadline where present
    pub extended: Option<NaiveDate>,
    /// Ngày hoàn thành
    pub completed_on: Option<NaiveDate>,
    /// Tiến độ / kết quả
    pub progress: String,
    /// Giải trình
    pub explanation: String,
    /// Đề xuất gia hạn: a new deadline the unit asks for; the office decides (only an
    /// extension recorded in `extended` changes the deadline).
    pub extension_request: Option<NaiveDate>,
    /// Văn bản, tệp kèm theo: documents sent as proof of completion.
    pub attachments: String,
    /// Ngày cập nhật: when the lead unit last sent progress for it.
    pub updated_on: Option<NaiveDate>,
    /// Row in the register (1-based), for diagnostics and the workbook.
    pub row: u32,
}

/// Status of a task as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum TaskStatus {
    /// Completed on or before its (possibly extended) deadline, or completed without one.
    DoneOnTime,
    /// Completed after its deadline.
    DoneLate,
    /// Not completed; deadline not passed (the deadline day itself is within).
    InProgress,
    /// Not completed; deadline passed.
    Overdue,
    /// Not completed and no deadline (thường xuyên).
    NoDeadline,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::DoneOnTime,
        TaskStatus::DoneLate,
        TaskStatus::InProgress,
        TaskStatus::Overdue,
        TaskStatus::NoDeadline,
    ];

    /// The Vietnamese name, also the key in JSON.
    pub fn name(self) -> &'static str {
        match self {
            TaskStatus::DoneOnTime => "hoàn thành đúng hạn",
            TaskStatus::DoneLate => "hoàn thành quá hạn",
            TaskStatus::InProgress => "đang thực hiện trong hạn",
            TaskStatus::Overdue => "đang thực hiện quá hạn",
            TaskStatus::NoDeadline => "không có thời hạn",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, TaskStatus::DoneOnTime | TaskStatus::DoneLate)
    }

    pub fn is_late(self) -> bool {
        matches!(self, TaskStatus::DoneLate | TaskStatus::Overdue)
    }
}

impl Task {
    /// The deadline in force: the extended one where present.
    pub fn due(&self) -> Option<NaiveDate> {
        self.extended.or(self.deadline)
    }

    /// Status as of `as_of`. A completion after `as_of` is not known yet on that day.
    pub fn status(&self, as_of: NaiveDate) -> TaskStatus {
        let done = self.completed_on.filter(|d| *d <= as_of);
        match (done, self.due()) {
            (Some(c), Some(d)) if c <= d => TaskStatus::DoneOnTime,
            (Some(_), Some(_)) => TaskStatus::DoneLate,
            (Some(_), None) => TaskStatus::DoneOnTime,
            (None, Some(d)) if as_of <= d => TaskStatus::InProgress,
            (None, Some(_)) => TaskStatus::Overdue,
            (None, None) => TaskStatus::NoDeadline,
        }
    }

    /// Sắp đến hạn: not completed and due within `days` days of `as_of` (not yet passed).
    pub fn nearly_due(&self, as_of: NaiveDate, days: u32) -> bool {
        self.status(as_of) == TaskStatus::InProgress
            && self
                .due()
                .is_some_and(|d| (d - as_of).num_days() <= i64::from(days))
    }

    /// Chưa cập nhật: open, in a register whose units send updates (`tasks update` keeps the
    /// update date), and its lead unit sent none in the `days` days before `as_of`: treated
    /// as not done.
    pub fn not_updated(&self, as_of: NaiveDate, days: u32, register_tracks_updates: bool) -> bool {
        register_tracks_updates
            && !self.status(as_of).is_done()
            && self
                .updated_on
                .is_none_or(|u| (as_of - u).num_days() > i64::from(days))
    }

    /// Completed late without an explanation (giải trình).
    pub fn late_without_explanation(&self, as_of: NaiveDate) -> bool {
        self.status(as_of) == TaskStatus::DoneLate && self.explanation.trim().is_empty()
    }
}

/// Counts of one unit, or of all.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub total: usize,
    pub by_status: BTreeMap<&'static str, usize>,
    /// Sắp đến hạn.
    pub nearly_due: usize,
    pub late_without_explanation: usize,
    /// Completed on time as % of the rate's denominator (none when it is zero).
    pub percent_on_time: Option<f64>,
}

impl Counts {
    fn new() -> Counts {
        Counts {
            by_status: TaskStatus::ALL.iter().map(|s| (s.name(), 0)).collect(),
            ..Counts::default()
        }
    }

    fn add(&mut self, t: &Task, as_of: NaiveDate, within: u32) {
        self.total += 1;
        *self.by_status.entry(t.status(as_of).name()).or_default() += 1;
        self.nearly_due += usize::from(t.nearly_due(as_of, within));
        self.late_without_explanation += usize::from(t.late_without_explanation(as_of));
    }

    fn finish(&mut self, rate: OnTimeRate) {
        let on_time = self.get(TaskStatus::DoneOnTime);
        let done = on_time + self.get(TaskStatus::DoneLate);
        let base = match rate {
            OnTimeRate::Completed => done,
            OnTimeRate::FallenDue => done + self.get(TaskStatus::Overdue),
            OnTimeRate::All => self.total,
        };
        self.percent_on_time =
            (base > 0).then(|| (on_time as f64 / base as f64 * 1000.0).round() / 10.0);
    }

    pub fn get(&self, s: TaskStatus) -> usize {
        self.by_status.get(s.name()).copied().unwrap_or(0)
    }
}

/// The summary of a register as of a date.
#[derive(Debug, Clone)]
pub struct Summary {
    pub as_of: NaiveDate,
    pub within: u32,
    pub rate: OnTimeRate,
    pub overall: Counts,
    /// Per lead unit, in the order units first appear.
    pub by_unit: Vec<(String, Counts)>,
}

pub fn summarize(tasks: &[Task], as_of: NaiveDate, within: u32, rate: OnTimeRate) -> Summary {
    let mut overall = Counts::new();
    let mut by_unit: Vec<(String, Counts)> = Vec::new();
    for t in tasks {
        overall.add(t, as_of, within);
        let i = match by_unit.iter().position(|(u, _)| *u == t.lead) {
            Some(i) => i,
            None => {
                by_unit.push((t.lead.clone(), Counts::new()));
                by_unit.len() - 1
            }
        };
        by_unit[i].1.add(t, as_of, within);
    }
    overall.finish(rate);
    for (_, c) in &mut by_unit {
        c.finish(rate);
    }
    Summary {
        as_of,
        within,
        rate,
        overall,
        by_unit,
    }
}

/// Days without an update after which an open task counts as not updated: a fortnight, the
/// offices' review cycle.
pub const UPDATE_CYCLE_DAYS: u32 = 14;

/// Whether the register keeps update dates (it was written by `tasks update`).
/// The lead units in the order they first lead a task of `tasks`.
pub fn lead_units(tasks: &[Task]) -> Vec<&str> {
    let mut units: Vec<&str> = Vec::new();
    for t in tasks {
        if !units.contains(&t.lead.as_str()) {
            units.push(&t.lead);
        }
    }
    units
}

/// What each lead unit's update form holds on `as_of`: its tasks still open, and those
/// completed after `since` (the last review); a completion after `as_of` is not known that day,
/// so not prefilled. Units with nothing to update are left out.
pub fn update_forms(tasks: &[Task], as_of: NaiveDate, since: NaiveDate) -> Vec<(&str, Vec<Task>)> {
    lead_units(tasks)
        .into_iter()
        .filter_map(|unit| {
            let mine: Vec<Task> = tasks
                .iter()
                .filter(|t| t.lead == unit)
                .filter(|t| match t.completed_on.filter(|c| *c <= as_of) {
                    None => true,
                    Some(c) => c > since,
                })
                .map(|t| Task {
                    completed_on: t.completed_on.filter(|c| *c <= as_of),
                    ..t.clone()
                })
                .collect();
            (!mine.is_empty()).then_some((unit, mine))
        })
        .collect()
}

pub fn tracks_updates(tasks: &[Task]) -> bool {
    tasks.iter().any(|t| t.updated_on.is_some())
}

/// "77 nhiệm vụ được giao: hoàn thành 33 (30 đúng hạn, 3 quá hạn), 44 đang thực hiện trong hạn".
pub fn sentence(c: &Counts) -> String {
    let on = c.get(TaskStatus::DoneOnTime);
    let late = c.get(TaskStatus::DoneLate);
    let mut parts = vec![format!(
        "hoàn thành {} ({on} đúng hạn, {late} quá hạn)",
        on + late
    )];
    let inp = c.get(TaskStatus::InProgress);
    if inp > 0 {
        parts.push(format!("{inp} đang thực hiện trong hạn"));
    }
    let over = c.get(TaskStatus::Overdue);
    if over > 0 {
        parts.push(format!("{over} đang thực hiện quá hạn"));
    }
    let none = c.get(TaskStatus::NoDeadline);
    if none > 0 {
        parts.push(format!("{none} không có thời hạn"));
    }
    format!("{} nhiệm vụ được giao: {}", c.total, parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn task(deadline: Option<&str>, extended: Option<&str>, done: Option<&str>) -> Task {
        Task {
            code: "NV1".into(),
            content: "Nội dung".into(),
            document: "Thông báo 15/TB-UBND".into(),
            assigned_on: Some(d("2026-01-05")),
            assigner: "UBND tỉnh".into(),
            lead: "STC".into(),
            coordinating: String::new(),
            deadline: deadline.map(d),
            extended: extended.map(d),
            completed_on: done.map(d),
            progress: String::new(),
            explanation: String::new(),
            extension_request: None,
            attachments: String::new(),
            updated_on: None,
            row: 2,
        }
    }

    #[test]
    fn completed_on_the_deadline_day_is_on_time() {
        let t = task(Some("2026-06-30"), None, Some("2026-06-30"));
        assert_eq!(t.status(d("2026-07-15")), TaskStatus::DoneOnTime);
        let t = task(Some("2026-06-30"), None, Some("2026-07-01"));
        assert_eq!(t.status(d("2026-07-15")), TaskStatus::DoneLate);
    }

    #[test]
    fn the_extended_deadline_replaces_the_original() {
        let t = task(Some("2026-06-30"), Some("2026-08-31"), Some("2026-08-20"));
        assert_eq!(t.status(d("2026-09-01")), TaskStatus::DoneOnTime);
        let t = task(Some("2026-06-30"), Some("2026-08-31"), None);
        assert_eq!(t.status(d("2026-07-15")), TaskStatus::InProgress);
        assert_eq!(t.status(d("2026-09-01")), TaskStatus::Overdue);
    }

    #[test]
    fn the_deadline_day_itself_is_still_within() {
        let t = task(Some("2026-06-30"), None, None);
        assert_eq!(t.status(d("2026-06-30")), TaskStatus::InProgress);
        assert_eq!(t.status(d("2026-07-01")), TaskStatus::Overdue);
    }

    #[test]
    fn a_task_without_a_deadline() {
        assert_eq!(
            task(None, None, None).status(d("2026-07-01")),
            TaskStatus::NoDeadline
        );
        assert_eq!(
            task(None, None, Some("2026-03-01")).status(d("2026-07-01")),
            TaskStatus::DoneOnTime
        );
    }

    #[test]
    fn a_completion_after_the_as_of_date_is_still_in_progress_on_that_date() {
        let t = task(Some("2026-06-30"), None, Some("2026-06-20"));
        assert_eq!(t.status(d("2026-06-10")), TaskStatus::InProgress);
        assert_eq!(t.status(d("2026-06-20")), TaskStatus::DoneOnTime);
        let t = task(Some("2026-06-30"), None, Some("2026-07-20"));
        assert_eq!(t.status(d("2026-07-10")), TaskStatus::Overdue);
    }

    #[test]
    fn nearly_due_within_seven_days_by_default() {
        let t = task(Some("2026-06-30"), None, None);
        assert!(t.nearly_due(d("2026-06-23"), 7));
        assert!(!t.nearly_due(d("2026-06-22"), 7));
        assert!(t.nearly_due(d("2026-06-30"), 7));
        assert!(
            !t.nearly_due(d("2026-07-01"), 7),
            "overdue is not nearly due"
        );
        assert!(!task(Some("2026-06-30"), None, Some("2026-06-25")).nearly_due(d("2026-06-26"), 7));
    }

    #[test]
    fn late_completion_without_explanation_is_flagged() {
        let mut t = task(Some("2026-06-30"), None, Some("2026-07-05"));
        assert!(t.late_without_explanation(d("2026-07-10")));
        t.explanation = "Chờ ý kiến của Bộ".into();
        assert!(!t.late_without_explanation(d("2026-07-10")));
    }

    #[test]
    fn summary_counts_and_sentence() {
        let mut tasks = vec![
            task(Some("2026-06-30"), None, Some("2026-06-01")),
            task(Some("2026-06-30"), None, Some("2026-07-02")),
            task(Some("2026-12-31"), None, None),
        ];
        tasks[2].lead = "SCT".into();
        let s = summarize(&tasks, d("2026-07-10"), 7, OnTimeRate::Completed);
        assert_eq!(s.overall.total, 3);
        assert_eq!(s.overall.get(TaskStatus::DoneOnTime), 1);
        assert_eq!(s.overall.get(TaskStatus::DoneLate), 1);
        assert_eq!(s.overall.get(TaskStatus::InProgress), 1);
        assert_eq!(s.overall.percent_on_time, Some(50.0));
        assert_eq!(s.by_unit.len(), 2);
        assert_eq!(s.by_unit[0].0, "STC");
        assert_eq!(s.by_unit[0].1.total, 2);
        assert_eq!(
            sentence(&s.overall),
            "3 nhiệm vụ được giao: hoàn thành 2 (1 đúng hạn, 1 quá hạn), 1 đang thực hiện trong hạn"
        );
    }

    #[test]
    fn the_on_time_rate_over_each_denominator() {
        // As of 10/07/2026: one on time, one late, one overdue, one in progress.
        let tasks = vec![
            task(Some("2026-06-30"), None, Some("2026-06-01")),
            task(Some("2026-06-30"), None, Some("2026-07-02")),
            task(Some("2026-07-01"), None, None),
            task(Some("2026-12-31"), None, None),
        ];
        let rate = |r| {
            summarize(&tasks, d("2026-07-10"), 7, r)
                .overall
                .percent_on_time
        };
        assert_eq!(rate(OnTimeRate::Completed), Some(50.0)); // 1 / 2
        assert_eq!(rate(OnTimeRate::FallenDue), Some(33.3)); // 1 / 3
        assert_eq!(rate(OnTimeRate::All), Some(25.0)); // 1 / 4
    }

    /// Báo cáo 1270/BC-TCTTTg (2017): 16.051 on time of 16.051 + 223 fallen due = 98,6%.
    #[test]
    fn the_published_fallen_due_rate_is_reproduced() {
        let mut tasks = Vec::new();
        for _ in 0..16_051 {
            tasks.push(task(Some("2017-06-30"), None, Some("2017-06-01")));
        }
        for _ in 0..223 {
            tasks.push(task(Some("2017-06-30"), None, None));
        }
        let s = summarize(&tasks, d("2017-12-31"), 7, OnTimeRate::FallenDue);
        assert_eq!(s.overall.percent_on_time, Some(98.6));
    }

    #[test]
    fn an_open_task_without_an_update_for_more_than_a_fortnight_is_not_updated() {
        let mut t = task(Some("2026-12-31"), None, None);
        assert!(
            !t.not_updated(d("2026-11-20"), 14, false),
            "register without update dates"
        );
        assert!(t.not_updated(d("2026-11-20"), 14, true), "never updated");
        t.updated_on = Some(d("2026-11-06"));
        assert!(
            !t.not_updated(d("2026-11-20"), 14, true),
            "14 days: within the cycle"
        );
        t.updated_on = Some(d("2026-11-05"));
        assert!(t.not_updated(d("2026-11-20"), 14, true), "15 days");
        t.completed_on = Some(d("2026-11-01"));
        assert!(!t.not_updated(d("2026-11-20"), 14, true), "done");
    }
}
