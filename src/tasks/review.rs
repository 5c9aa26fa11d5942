//! The fortnightly review (rà soát) of the register between two dates: what was completed
//! (on time or late), what became overdue, what is still overdue and by how many days, which
//! extensions were recorded, and which units did not update. Grouped by lead unit.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::update::LogEntry;
use super::{Task, TaskStatus};

/// One unit's part of the review.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitReview {
    /// Completed in the window, on time.
    pub completed_on_time: Vec<String>,
    /// Completed in the window, late.
    pub completed_late: Vec<String>,
    /// Not overdue at the start, overdue at the end.
    pub newly_overdue: Vec<String>,
    /// Overdue at both dates, with the days overdue at the end.
    pub still_overdue: Vec<(String, i64)>,
    /// Extensions recorded in the window: task, old deadline in force, new extended deadline.
    pub extensions: Vec<(String, String, String)>,
    /// Open at the start and no update received in the window.
    pub not_updated: bool,
    /// Its open tasks at the end.
    pub open: usize,
}

/// The review of a register from `since` (excluded) to `as_of` (included).
#[derive(Debug, Clone)]
pub struct Review {
    pub since: NaiveDate,
    pub as_of: NaiveDate,
    /// Per lead unit, in the order units first appear in the register.
    pub units: Vec<(String, UnitReview)>,
}

/// Reviews `tasks` between `since` and `as_of`; `log` (the update log, possibly empty) gives
/// the extensions recorded in the window.
pub fn review(tasks: &[Task], log: &[LogEntry], since: NaiveDate, as_of: NaiveDate) -> Review {
    let mut units: Vec<(String, UnitReview)> = Vec::new();
    let mut updated: BTreeMap<&str, bool> = BTreeMap::new();
    let mut open_at_start: BTreeMap<&str, bool> = BTreeMap::new();
    let in_window = |d: NaiveDate| d > since && d <= as_of;
    for t in tasks {
        let i = match units.iter().position(|(u, _)| *u == t.lead) {
            Some(i) => i,
            None => {
                units.push((t.lead.clone(), UnitReview::default()));
                units.len() - 1
            }
        };
        let r = &mut units[i].1;
        let (before, after) = (t.status(since), t.status(as_of));
        if t.completed_on.is_some_and(in_window) {
            match after {
                TaskStatus::DoneOnTime => r.completed_on_time.push(t.code.clone()),
                TaskStatus::DoneLate => r.completed_late.push(t.code.clone()),
                _ => {}
            }
        }
        if after == TaskStatus::Overdue {
            let days = t.due().map(|d| (as_of - d).num_days()).unwrap_or(0);
            if before == TaskStatus::Overdue {
                r.still_overdue.push((t.code.clone(), days));
            } else {
                r.newly_overdue.push(t.code.clone());
            }
        }
        if !after.is_done() {
            r.open += 1;
        }
        if !before.is_done() {
            open_at_start.insert(&t.lead, true);
        }
        if t.updated_on.is_some_and(in_window) {
            updated.insert(&t.lead, true);
        }
    }
    for e in log {
        let Some(at) = e
            .received_at
            .get(..10)
            .and_then(|d| d.parse::<NaiveDate>().ok())
        else {
            continue;
        };
        if e.field != "Thời hạn điều chỉnh" || !in_window(at) {
            continue;
        }
        if let Some(t) = tasks.iter().find(|t| t.code == e.task) {
            if let Some((_, r)) = units.iter_mut().find(|(u, _)| *u == t.lead) {
                r.extensions
                    .push((e.task.clone(), e.old_value.clone(), e.new_value.clone()));
            }
        }
    }
    for (u, r) in &mut units {
        r.not_updated = open_at_start.contains_key(u.as_str()) && !updated.contains_key(u.as_str());
    }
    Review {
        since,
        as_of,
        units,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn task(code: &str, lead: &str, deadline: &str, done: Option<&str>) -> Task {
        Task {
            code: code.into(),
            content: String::new(),
            document: String::new(),
            assigned_on: Some(d("2026-01-05")),
            assigner: String::new(),
            lead: lead.into(),
            coordinating: String::new(),
            deadline: Some(d(deadline)),
            extended: None,
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
    fn a_fortnight_between_the_1st_and_the_15th() {
        let mut tasks = vec![
            // Done on 10/11 before its deadline of 20/11: completed on time.
            task("A", "STC", "2026-11-20", Some("2026-11-10")),
            // Due 05/11, done 12/11: completed late (overdue at the start).
            task("B", "STC", "2026-11-05", Some("2026-11-12")),
            // Due 10/11, open: newly overdue, 5 days at 15/11.
            task("C", "SCT", "2026-11-10", None),
            // Due 20/10, open: still overdue, 26 days at 15/11.
            task("D", "SCT", "2026-10-20", None),
            // Done before the window: not listed.
            task("E", "SYT", "2026-10-31", Some("2026-10-25")),
            // Due on the start day itself (within then), open: newly overdue.
            task("F", "SYT", "2026-11-01", None),
        ];
        tasks[1].updated_on = Some(d("2026-11-12"));
        let r = review(&tasks, &[], d("2026-11-01"), d("2026-11-15"));
        let unit = |u: &str| r.units.iter().find(|x| x.0 == u).unwrap().1.clone();
        let stc = unit("STC");
        assert_eq!(stc.completed_on_time, ["A"]);
        assert_eq!(stc.completed_late, ["B"]);
        assert!(!stc.not_updated);
        let sct = unit("SCT");
        assert_eq!(sct.newly_overdue, ["C"]);
        assert_eq!(sct.still_overdue, [("D".to_string(), 26)]);
        assert!(sct.not_updated);
        assert_eq!(sct.open, 2);
        let syt = unit("SYT");
        assert_eq!(syt.newly_overdue, ["F"]);
        assert!(syt.completed_on_time.is_empty());
    }
}
