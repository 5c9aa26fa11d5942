//! The public display board (bảng điện tử công khai): what an office shows in its hall —
//! reporting compliance per regime and period that is open or due, key indicators with their
//! trend from the history store, and assigned tasks per lead unit (Quyết định 42/2014).
//!
//! Gathers plain data (`Board`) from the stages before it: the inboxes checked by `validate`,
//! the store read by `history`, the register's statuses from `tasks`. `render::board` lays it
//! out; this module writes nothing but the past periods' figures it rebuilt, kept beside the
//! store (`history::cache`).

use std::path::Path;

use chrono::NaiveDate;

use crate::catalog::{Config, Regime};
use crate::consolidate::Consolidated;
use crate::due::{due_rows, regime_inbox};
use crate::history::cache::{bits, from_bits};
use crate::ingest::{read_all, Expect};
use crate::model::InputColumn;
use crate::period::Period;
use crate::store::Store;
use crate::tasks::{Task, TaskStatus};
use crate::validate::{validate, Batch, Timeliness};

/// One unit's standing for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitStanding {
    pub code: String,
    pub name: String,
    pub status: Timeliness,
}

/// Compliance of one regime and period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodPanel {
    pub regime: String,
    pub period: String,
    pub deadline: Option<NaiveDate>,
    /// Worst first: missing, rejected, late, not yet due, on time; then by code.
    pub units: Vec<UnitStanding>,
    /// Tỷ lệ báo cáo: units that sent an accepted report, % of all.
    pub reporting_rate: f64,
    /// Tỷ lệ báo cáo đúng hạn: units on time, % of all.
    pub on_time_rate: f64,
}

/// A key indicator of the province with its trend.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorPanel {
    pub name: String,
    pub unit: String,
    pub period: String,
    pub value: Option<f64>,
    /// % change against the same period last year.
    pub yoy: Option<f64>,
    /// The last periods (oldest first), with the figure where there is one.
    pub trend: Vec<(String, Option<f64>)>,
    /// `higher_is_better` of the indicator: a fall is shown as good news where it is false.
    pub higher_is_better: bool,
}

/// Tasks per lead unit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskPanel {
    /// (unit name, done, in progress, nearly due, overdue), most overdue first.
    pub units: Vec<(String, usize, usize, usize, usize)>,
    /// Overdue tasks: (code, content, unit name, days overdue), most overdue first.
    pub overdue: Vec<(String, String, String, i64)>,
}

/// The whole board.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub office: String,
    pub today: NaiveDate,
    pub periods: Vec<PeriodPanel>,
    pub indicators: Vec<IndicatorPanel>,
    pub tasks: Option<TaskPanel>,
}

fn severity(t: Timeliness) -> u8 {
    match t {
        Timeliness::Missing => 0,
        Timeliness::Rejected => 1,
        Timeliness::Late => 2,
        Timeliness::NotYetDue => 3,
        Timeliness::OnTime => 4,
    }
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        (n as f64 / of as f64 * 1000.0).round() / 10.0
    }
}

/// The compliance panel of a checked batch.
pub fn period_panel(
    regime: &Regime,
    period: Period,
    deadline: Option<NaiveDate>,
    batch: &Batch,
) -> PeriodPanel {
    let mut units: Vec<UnitStanding> = batch
        .compliance
        .iter()
        .map(|c| UnitStanding {
            code: c.unit_code.clone(),
            name: c.unit_name.clone(),
            status: c.status,
        })
        .collect();
    units.sort_by(|a, b| {
        severity(a.status)
            .cmp(&severity(b.status))
            .then(a.code.cmp(&b.code))
    });
    let total = units.len();
    let sent = batch.count(Timeliness::OnTime) + batch.count(Timeliness::Late);
    PeriodPanel {
        regime: regime.name.clone(),
        period: period.label(),
        deadline,
        units,
        reporting_rate: percent(sent, total),
        on_time_rate: percent(batch.count(Timeliness::OnTime), total),
    }
}

/// The periods before `period` of its frequency, oldest first, `n` in all with it.
fn last_periods(period: Period, n: usize) -> Vec<Period> {
    let mut out = vec![period];
    while out.len() < n {
        let p = out[out.len() - 1].previous();
        out.push(p);
    }
    out.reverse();
    out
}

/// The regime's key indicators (`[board] indicators`) for `period`: the province's figure
/// (from `current`, else the store), the change against the same period last year and the
/// last 12 periods, all from consolidated figures.
pub fn indicator_panels(
    config: &Config,
    regime: &Regime,
    store: Option<&Store>,
    period: Period,
    current: Option<&Consolidated>,
) -> Vec<IndicatorPanel> {
    if regime.board.indicators.is_empty() {
        return Vec::new();
    }
    let root = &regime.receiver;
    let keys = &regime.board.indicators;
    // The receiver's figures of the board's cells in one period: from this run's consolidation,
    // or consolidated from the store with only the indicators those cells need (one period at a
    // time, so neither time nor memory grows with the size of each period).
    let needed = board_indicators(config, keys);
    let of = |c: Option<&Consolidated>| -> Vec<Option<f64>> {
        keys.iter()
            .map(|key| {
                c.and_then(|c| c.get(root, key, InputColumn::ThucHien))
                    .filter(|v| v.is_finite())
            })
            .collect()
    };
    let from_store = |s: &Store, p: Period| {
        let c = crate::history::consolidated_from_store_where(config, regime, s, p, &|code| {
            needed.contains(code)
        });
        of(c.as_ref().map(|(c, _)| c))
    };
    // A past period's figures from `history::cache` when an earlier run (or board) rebuilt
    // them from the same partition, for the same cells.
    let cache = store.and_then(|s| crate::history::cache::PastCache::open(s, config, regime));
    const KIND: &str = "bang-tin";
    let cells = keys.join("\n");
    let figures = |p: Period| -> Vec<Option<f64>> {
        match (current.filter(|_| p == period), store, &cache) {
            (Some(c), ..) => of(Some(c)),
            (None, Some(s), Some(cache)) => {
                let key = cache.key(KIND, &cells, &[p]);
                let kept: Vec<Option<u64>> = cache.get_or(KIND, p, key.as_deref(), || {
                    from_store(s, p).into_iter().map(bits).collect()
                });
                match kept.len() == keys.len() {
                    true => kept.into_iter().map(from_bits).collect(),
                    // An entry edited by hand.
                    false => from_store(s, p),
                }
            }
            (None, Some(s), None) => from_store(s, p),
            (None, None, _) => of(None),
        }
    };
    let periods = last_periods(period, 12);
    // One period per core (each is read and consolidated on its own), in order.
    let mut all: Vec<Vec<Option<f64>>> = {
        use rayon::prelude::*;
        let mut wanted = periods.clone();
        wanted.push(period.same_period_last_year());
        wanted.par_iter().map(|p| figures(*p)).collect()
    };
    let last_year = all.pop().unwrap_or_default();
    let trend = all;
    keys.iter()
        .enumerate()
        .filter_map(|(k, key)| {
            let ind = config.indicator_of_key(key)?;
            let value = trend.last()?[k];
            let before = last_year[k];
            let yoy = match (value, before) {
                (Some(v), Some(b)) if b != 0.0 => Some((v / b - 1.0) * 100.0),
                _ => None,
            };
            Some(IndicatorPanel {
                name: ind.name.clone(),
                unit: ind.unit.clone(),
                period: period.short_label(),
                value,
                yoy,
                higher_is_better: ind.higher_is_better,
                trend: periods
                    .iter()
                    .zip(&trend)
                    .map(|(p, t)| (p.short_label(), t[k]))
                    .collect(),
            })
        })
        .collect()
}

/// The indicators the board's cells are computed from: their own, and for a derived one its
/// operands, for a weighted average its weight (transitively).
fn board_indicators(config: &Config, keys: &[String]) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    let mut stack: Vec<String> = keys
        .iter()
        .map(|k| crate::model::indicator_of(k).to_string())
        .collect();
    while let Some(code) = stack.pop() {
        if !out.insert(code.clone()) {
            continue;
        }
        if let Some(ind) = config.indicator(&code) {
            stack.extend(ind.operands().into_iter().map(str::to_string));
        }
    }
    out
}

/// The task panel of a register as of `today`.
pub fn task_panel(config: &Config, tasks: &[Task], today: NaiveDate, within: u32) -> TaskPanel {
    let mut units: Vec<(String, usize, usize, usize, usize)> = Vec::new();
    let mut overdue = Vec::new();
    for t in tasks {
        let name = config.units.name_of(&t.lead);
        let i = match units.iter().position(|u| u.0 == name) {
            Some(i) => i,
            None => {
                units.push((name.clone(), 0, 0, 0, 0));
                units.len() - 1
            }
        };
        let s = t.status(today);
        let u = &mut units[i];
        if s.is_done() {
            u.1 += 1;
        } else if s == TaskStatus::Overdue {
            u.4 += 1;
            let days = t.due().map(|d| (today - d).num_days()).unwrap_or(0);
            overdue.push((t.code.clone(), t.content.clone(), name.clone(), days));
        } else if t.nearly_due(today, within) {
            u.3 += 1;
        } else {
            u.2 += 1;
        }
    }
    units.sort_by(|a, b| b.4.cmp(&a.4).then(b.3.cmp(&a.3)).then(a.0.cmp(&b.0)));
    overdue.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(&b.0)));
    TaskPanel { units, overdue }
}

/// The standing of every reporting unit of `regime` for `period`, from the inbox folder
/// `<inbox>/<period>/` when there is one.
pub fn standing(
    config: &Config,
    regime: &Regime,
    period: Period,
    inbox: Option<&Path>,
    today: NaiveDate,
) -> Batch {
    let reports = match inbox.map(|i| i.join(period.code())).filter(|d| d.is_dir()) {
        Some(dir) => read_all(
            &[dir],
            Expect {
                config,
                regime,
                period,
            },
        ),
        None => Vec::new(),
    };
    validate(config, regime, period, today, reports)
}

/// The board of the office on `today`: every regime's periods that are due, due soon or
/// recently overdue for its reporting units, each regime's key indicators for its latest
/// stored period, and the task register when there is one.
pub fn gather(
    config: &Config,
    today: NaiveDate,
    inbox: Option<&Path>,
    store: Option<&Store>,
    tasks: Option<&[Task]>,
) -> Board {
    let mut periods = Vec::new();
    let mut indicators = Vec::new();
    for regime in config.regimes.values() {
        let mut seen: Vec<Period> = Vec::new();
        for (p, row) in due_rows(config, regime, today, 7, 31) {
            if !regime.reporters.levels.contains(&row.level) || seen.contains(&p) {
                continue;
            }
            seen.push(p);
            let inbox = inbox.map(|i| regime_inbox(i, &regime.id));
            let batch = standing(config, regime, p, inbox.as_deref(), today);
            periods.push(period_panel(regime, p, Some(row.deadline), &batch));
        }
        let latest = store.and_then(|s| {
            s.periods(&regime.id)
                .into_iter()
                .filter(|p| regime.window(*p).to < today)
                .filter(|p| Some(p.frequency()) == regime.frequencies.first().copied())
                .max_by_key(|p| regime.window(*p).to)
        });
        if let Some(p) = latest {
            indicators.extend(indicator_panels(config, regime, store, p, None));
        }
    }
    let office = config
        .regimes
        .values()
        .next()
        .and_then(|r| config.units.get(&r.receiver))
        .map(|u| u.agency_name().to_string())
        .unwrap_or_default();
    Board {
        office,
        today,
        periods,
        indicators,
        tasks: tasks.map(|t| task_panel(config, t, today, 7)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_periods_end_with_the_period_itself() {
        let p: Period = "2026-10".parse().unwrap();
        let ps = last_periods(p, 12);
        assert_eq!(ps.len(), 12);
        assert_eq!(ps[0].code(), "2025-11");
        assert_eq!(ps[11].code(), "2026-10");
    }

    #[test]
    fn rates_are_rounded_to_a_tenth_of_a_percent() {
        assert_eq!(percent(37, 40), 92.5);
        assert_eq!(percent(1, 3), 33.3);
        assert_eq!(percent(0, 0), 0.0);
    }
}
