//! Which periods are due when: the rows of `due` (due today, upcoming, overdue), the reporting
//! units' deadline of a period, and where a regime's periods sit under an inbox root.
//!
//! Calendar logic over the config only; knows nothing of files' contents or outputs.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use crate::catalog::{Config, Regime};
use crate::period::Period;
use crate::schedule::periods_of_year;

/// Where a period stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    DueToday,
    Upcoming,
    Overdue,
}

impl DueStatus {
    pub fn label(self) -> &'static str {
        match self {
            DueStatus::DueToday => "đến hạn hôm nay",
            DueStatus::Upcoming => "sắp đến hạn",
            DueStatus::Overdue => "quá hạn",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DueRow {
    pub regime: String,
    pub period: String,
    pub label: String,
    pub level: String,
    pub cutoff_to: NaiveDate,
    pub deadline: NaiveDate,
    pub status: DueStatus,
    /// Units of the level without a submission in the inbox; absent without `--inbox`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<String>>,
    /// Units of the level whose files were all rejected; absent without `--inbox`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Vec<String>>,
}

/// The due rows of `regime` on `today`.
pub fn due_rows(
    config: &Config,
    regime: &Regime,
    today: NaiveDate,
    within: u32,
    lookback: u32,
) -> Vec<(Period, DueRow)> {
    let horizon = today + Days::new(u64::from(within));
    let earliest = today - Days::new(u64::from(lookback));
    let mut out = Vec::new();
    for year in [today.year_ce().1 as i32 - 1, today.year_ce().1 as i32] {
        for p in periods_of_year(year, &regime.frequencies) {
            let w = regime.window(p);
            // A period still collecting its data is listed only when a deadline comes within
            // the horizon (a quarter's cutoff can end two days before the units' deadline).
            let open = w.to >= today;
            for level in regime.deadline_levels() {
                if regime.replaced_by(p, level).is_some() {
                    continue;
                }
                let Some(deadline) = regime.deadline(p, level, &config.calendar) else {
                    continue;
                };
                let status = if deadline == today {
                    DueStatus::DueToday
                } else if deadline > today && deadline <= horizon {
                    DueStatus::Upcoming
                } else if open {
                    continue;
                } else if deadline < today && deadline >= earliest {
                    DueStatus::Overdue
                } else {
                    continue;
                };
                out.push((
                    p,
                    DueRow {
                        regime: regime.id.clone(),
                        period: p.code(),
                        label: p.label(),
                        level: level.to_string(),
                        cutoff_to: w.to,
                        deadline,
                        status,
                        missing: None,
                        rejected: None,
                    },
                ));
            }
        }
    }
    out.sort_by(|a, b| a.1.deadline.cmp(&b.1.deadline).then(a.0.cmp(&b.0)));
    out
}

/// The latest deadline of the levels that report `period` (those whose report of it is not
/// replaced), or `None` when no level reports it.
pub fn units_deadline(config: &Config, regime: &Regime, period: Period) -> Option<NaiveDate> {
    regime
        .reporters
        .levels
        .iter()
        .filter(|l| regime.replaced_by(period, l).is_none())
        .filter_map(|l| regime.deadline(period, l, &config.calendar))
        .max()
}

/// A regime's inbox under an inbox root: `ROOT/<regime>/` when that folder exists, else the
/// root itself (a root that holds one regime's `<period>/` folders).
pub fn regime_inbox(root: &Path, regime: &str) -> PathBuf {
    let sub = root.join(regime);
    if sub.is_dir() {
        sub
    } else {
        root.to_path_buf()
    }
}
