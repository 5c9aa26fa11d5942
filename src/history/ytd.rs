//! Year-to-date (lũy kế từ đầu năm), computed from the history store for every unit of the
//! tree, whoever is late or rejected this period (ARCHITECTURE.md, "Year-to-date").
//!
//! A unit's year-to-date of a flow is the sum of its latest stored figures of the year's
//! earlier periods of the same frequency, plus this period's; a level's is the sum of its
//! units' (so a unit rejected this month still counts with its earlier months, and the
//! province's year-to-date is the sum of its own period totals). A stock's is its latest
//! value; an `average` indicator's the mean over the periods; a derived one is recomputed from
//! its parts' year-to-date by `consolidate`. Other indicators (`none`, `last`, `min`, `max`,
//! weighted averages: an index only its owner can compute) keep the figure the unit typed.
//!
//! A figure a unit typed in its cumulative column is a check of the computed one (BC0801,
//! BC0805), never a source, except where the store lacks one of the unit's earlier periods: then
//! the typed figure is used, and the gap is named (BC0804).
//!
//! Reads the store; calls `consolidate` for the tree; writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Aggregation, Config, Indicator, InputColumn, Regime, ValueType};
use crate::consolidate::{consolidate, Consolidated};
use crate::diag::{Code, Diagnostic, Location};
use crate::model::{CellKey, Origin, ReceiptSource, Submission, Value};
use crate::period::{Frequency, Period};
use crate::store::Store;
use crate::text::fmt_vn;

/// How an indicator's figures of the year's periods make its year-to-date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverTime {
    /// A flow: the sum of the periods.
    Sum,
    /// An `average` indicator: the mean over the periods.
    Mean,
    /// A stock (`stock = true`): its latest value, this period's.
    Latest,
    /// Not computable by the office (an index, a figure only its owner has): as typed.
    AsTyped,
    /// Derived: recomputed from its parts' year-to-date.
    Derived,
}

impl OverTime {
    pub fn of(i: &Indicator) -> OverTime {
        if i.is_derived() {
            return OverTime::Derived;
        }
        if i.stock {
            return OverTime::Latest;
        }
        match i.aggregation {
            Aggregation::Sum if i.value_type != ValueType::Percent => OverTime::Sum,
            Aggregation::Average => OverTime::Mean,
            _ => OverTime::AsTyped,
        }
    }

    /// Whether earlier periods' figures are needed.
    fn reads_past(self) -> bool {
        matches!(self, OverTime::Sum | OverTime::Mean)
    }
}

/// One earlier period of the year, as it counts towards the year-to-date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The period's own figures are added.
    Add(Period),
    /// The period was replaced by a report that starts the year and ends with it (March by
    /// the first quarter): that report's figure is the year-to-date through it.
    Restart { replaced: Period, by: Period },
    /// The period was replaced by a report its figures cannot be told from (June by the
    /// second quarter): nobody has it.
    Unknown { replaced: Period, by: Period },
}

impl Step {
    fn period(self) -> Period {
        match self {
            Step::Add(p) => p,
            Step::Restart { replaced, .. } | Step::Unknown { replaced, .. } => replaced,
        }
    }
}

/// How many periods of `f` a period of `by` spans (a quarter is three months).
fn periods_in(by: Period, f: Frequency) -> f64 {
    let (first, last) = by.month_span();
    let span = |p: Period| {
        let (a, b) = p.month_span();
        f64::from(b - a + 1)
    };
    let unit = f
        .periods_of_year(by.year())
        .first()
        .map_or(1.0, |p| span(*p));
    f64::from(last - first + 1) / unit
}

/// The year's periods of `period`'s frequency before it.
fn earlier_steps(regime: &Regime, period: Period) -> Vec<Step> {
    period
        .frequency()
        .periods_of_year(period.year())
        .into_iter()
        .filter(|p| *p < period)
        .map(|p| match regime.replaced_everywhere(p) {
            None => Step::Add(p),
            Some(by) if by.month_span().0 == 1 && by.year() == p.year() => {
                Step::Restart { replaced: p, by }
            }
            Some(by) => Step::Unknown { replaced: p, by },
        })
        .collect()
}

/// A cell's year-to-date so far: the sum of its figures and the number of periods in it.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    sum: f64,
    periods: f64,
}

/// One unit's figures over the year.
#[derive(Debug, Default)]
struct UnitYear {
    /// Bit `i`: the unit has figures of step `i` (the current period is the last bit).
    seen: u64,
    cells: BTreeMap<CellKey, Acc>,
}

/// The year-to-date of one period.
#[derive(Debug, Default)]
pub struct YearToDate {
    /// The year-to-date (`InputColumn::LuyKe`) at every unit of the tree that has one.
    pub consolidated: Consolidated,
    pub diagnostics: Vec<Diagnostic>,
    /// Earlier periods of the year of which the store has no figure at all.
    pub missing_periods: Vec<Period>,
    /// Units whose year-to-date lacks some earlier periods the store has for other units:
    /// (unit, those periods).
    pub gaps: Vec<(String, Vec<Period>)>,
}

/// Which units' figures count towards the tree in a period where `reporting` sent figures: a
/// unit's own figures count where nothing below it reported, or where the regime includes
/// its own figures (as in `consolidate`).
struct Counted<'a> {
    in_tree: &'a foldhash::HashSet<String>,
    gathering: foldhash::HashSet<String>,
    include_own: bool,
}

impl<'a> Counted<'a> {
    fn new<'u>(
        config: &Config,
        regime: &Regime,
        in_tree: &'a foldhash::HashSet<String>,
        reporting: impl Iterator<Item = &'u str>,
    ) -> Counted<'a> {
        Counted {
            in_tree,
            gathering: reporting.flat_map(|u| config.units.ancestors(u)).collect(),
            include_own: regime.include_own_figures,
        }
    }

    fn counts(&self, unit: &str) -> bool {
        self.in_tree.contains(unit) && (self.include_own || !self.gathering.contains(unit))
    }
}

/// The year-to-date of `period` at every unit: earlier periods from `store` (none without one),
/// this period's figures from `current` (the accepted submissions). With `check_typed`, the
/// figures the units typed in their cumulative column are checked against it.
pub fn year_to_date(
    config: &Config,
    regime: &Regime,
    period: Period,
    store: Option<&Store>,
    current: &[Submission],
    check_typed: bool,
) -> YearToDate {
    let steps = earlier_steps(regime, period);
    let now = steps.len();
    let in_tree: foldhash::HashSet<String> =
        config.units.subtree(&regime.receiver).into_iter().collect();
    let over_time = |key: &str| {
        config
            .indicator_of_key(key)
            .map_or(OverTime::AsTyped, OverTime::of)
    };
    let mut units: BTreeMap<String, UnitYear> = BTreeMap::new();
    let mut missing_periods = Vec::new();

    // The previous period's actual a form carries revises that period's stored estimate.
    let mut revisions: BTreeMap<(String, CellKey), f64> = BTreeMap::new();
    for s in current {
        for ((key, column), v) in &s.values {
            if *column == InputColumn::KyTruoc && over_time(key).reads_past() {
                revisions.insert((s.unit_code.clone(), key.clone()), v.value);
            }
        }
    }

    for (i, step) in steps.iter().enumerate() {
        let read = match *step {
            Step::Add(p) => p,
            Step::Restart { by, .. } => by,
            Step::Unknown { .. } => {
                missing_periods.push(step.period());
                continue;
            }
        };
        let rows = store.and_then(|s| {
            s.latest_rows(&regime.id, read, None, &|_, key, column| {
                column == InputColumn::ThucHien && over_time(key).reads_past()
            })
            .ok()
        });
        let Some(rows) = rows.filter(|r| r.iter().next().is_some()) else {
            missing_periods.push(step.period());
            continue;
        };
        let reporting: Vec<&str> = rows
            .by_unit()
            .filter_map(|mut u| u.next().map(|r| r.unit_code.as_str()))
            .collect();
        let counted = Counted::new(config, regime, &in_tree, reporting.iter().copied());
        let revised = matches!(step, Step::Add(p) if *p == period.previous());
        let weight = match *step {
            Step::Restart { by, .. } => periods_in(by, period.frequency()),
            _ => 1.0,
        };
        for unit_rows in rows.by_unit() {
            let mut unit_rows = unit_rows.peekable();
            let Some(code) = unit_rows.peek().map(|r| r.unit_code.as_str()) else {
                continue;
            };
            if !counted.counts(code) {
                continue;
            }
            let year = units.entry(code.to_string()).or_default();
            year.seen |= 1 << i;
            for r in unit_rows {
                let key = CellKey::from(r.indicator_code.as_str());
                let value = if revised {
                    revisions
                        .remove(&(code.to_string(), key.clone()))
                        .unwrap_or(r.value)
                } else {
                    r.value
                };
                let acc = year.cells.entry(key).or_default();
                if matches!(step, Step::Restart { .. }) {
                    // The replacing report is the year so far: a flow's total, a mean's
                    // `weight` periods.
                    *acc = Acc {
                        sum: value * weight,
                        periods: weight,
                    };
                    if over_time(r.indicator_code) == OverTime::Sum {
                        acc.sum = value;
                    }
                } else {
                    acc.sum += value;
                    acc.periods += 1.0;
                }
            }
        }
        // Revisions of cells the store did not have.
        if revised {
            for ((unit, key), value) in std::mem::take(&mut revisions) {
                if counted.counts(&unit) {
                    let year = units.entry(unit).or_default();
                    year.seen |= 1 << i;
                    let acc = year.cells.entry(key).or_default();
                    acc.sum += value;
                    acc.periods += 1.0;
                }
            }
        }
    }

    // This period's figures.
    let counted = Counted::new(
        config,
        regime,
        &in_tree,
        current.iter().map(|s| s.unit_code.as_str()),
    );
    for s in current.iter().filter(|s| counted.counts(&s.unit_code)) {
        let year = units.entry(s.unit_code.clone()).or_default();
        year.seen |= 1 << now;
        for ((key, column), v) in &s.values {
            if *column == InputColumn::ThucHien && over_time(key).reads_past() {
                let acc = year.cells.entry(key.clone()).or_default();
                acc.sum += v.value;
                acc.periods += 1.0;
            }
        }
    }

    let found: u64 = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !missing_periods.contains(&s.period()))
        .fold(0, |m, (i, _)| m | 1 << i);
    let by_unit: BTreeMap<&str, &Submission> =
        current.iter().map(|s| (s.unit_code.as_str(), s)).collect();
    let mut diagnostics = Vec::new();
    let mut gaps = Vec::new();
    let mut subs = Vec::with_capacity(units.len());
    for (code, year) in &units {
        let sub = by_unit.get(code.as_str()).copied();
        let valid = |p: Period| {
            let (_, last) = p.month_span();
            let end = crate::schedule::last_day_of_month(p.year(), last);
            config.units.get(code).is_none_or(|u| u.is_valid_on(end))
        };
        let own_gaps: Vec<Period> = steps
            .iter()
            .enumerate()
            .filter(|(i, _)| found & (1 << i) != 0 && year.seen & (1 << i) == 0)
            .map(|(_, s)| s.period())
            .filter(|p| valid(*p))
            .collect();
        let short = !own_gaps.is_empty() || !missing_periods.is_empty();
        if !own_gaps.is_empty() {
            gaps.push((code.clone(), own_gaps));
        }
        let mut values = BTreeMap::new();
        for (key, acc) in &year.cells {
            let value = match over_time(key) {
                OverTime::Mean => acc.sum / acc.periods,
                _ => acc.sum,
            };
            let typed = sub.and_then(|s| s.figure(key, InputColumn::LuyKe));
            let value = match typed {
                // The store lacks an earlier period of the unit: its own figure is the best.
                Some(t) if short => t.value,
                Some(t) if check_typed => {
                    if let Some(d) = typed_differs(config, regime, code, key, t, value, sub) {
                        diagnostics.push(d);
                    }
                    value
                }
                _ => value,
            };
            values.insert((key.clone(), InputColumn::LuyKe), stored(value));
        }
        if let Some(s) = sub {
            take_this_period(
                config,
                regime,
                s,
                check_typed,
                &mut values,
                &mut diagnostics,
            );
        }
        subs.push(Submission {
            file: sub.map(|s| s.file.clone()).unwrap_or_default(),
            path: sub.map(|s| s.path.clone()).unwrap_or_default(),
            regime: regime.id.clone(),
            period,
            unit_code: code.clone(),
            received_at: sub.and_then(|s| s.received_at),
            received_source: sub.map_or(ReceiptSource::Unknown, |s| s.received_source),
            origin: Origin::Exchange,
            values,
        });
    }
    diagnostics.extend(gap_diagnostics(
        config,
        regime,
        period,
        store.is_some(),
        &missing_periods,
        &gaps,
    ));
    // The year-to-date is consolidated as this period's figures are, each unit's figures
    // already limited to those that counted in their periods.
    let mut tree = regime.clone();
    tree.include_own_figures = true;
    // Merged units' earlier periods count for their successor.
    let (subs, _) = super::apply_successions(config, subs);
    YearToDate {
        consolidated: consolidate(config, &tree, period, &subs),
        diagnostics,
        missing_periods,
        gaps,
    }
}

/// A computed figure as a submission's value (it was read from no cell).
fn stored(value: f64) -> Value {
    Value {
        value,
        location: Location::default(),
    }
}

/// This period's figures that make the year-to-date by themselves: a stock's (checked against
/// the cumulative column the unit typed) and, for an indicator the office cannot compute over
/// time, the unit's typed year-to-date.
fn take_this_period(
    config: &Config,
    regime: &Regime,
    s: &Submission,
    check_typed: bool,
    values: &mut BTreeMap<(CellKey, InputColumn), Value>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for ((key, column), v) in &s.values {
        let Some(i) = config.indicator_of_key(key) else {
            continue;
        };
        match (OverTime::of(i), column) {
            (OverTime::Latest, InputColumn::ThucHien) => {
                values.insert((key.clone(), InputColumn::LuyKe), stored(v.value));
            }
            (OverTime::Latest, InputColumn::LuyKe) if check_typed => {
                if let Some(this) = s.value(key, InputColumn::ThucHien) {
                    if differs(v.value, this, regime.ytd_tolerance) {
                        diagnostics.push(Diagnostic::new(
                            Code::StockYtdMismatch,
                            v.location.clone(),
                            format!(
                                "{}: là chỉ tiêu thời điểm (số hiện có), lũy kế của nó là số cuối kỳ {} chứ không cộng dồn; biểu ghi lũy kế {}.\nSửa cột lũy kế bằng số thực hiện kỳ này (hoặc để trống) rồi gửi lại. Số được dùng là {}.",
                                super::subject(config, &s.unit_code, key),
                                fmt_vn(this, 2),
                                fmt_vn(v.value, 2),
                                fmt_vn(this, 2),
                            ),
                        ));
                    }
                }
            }
            (OverTime::AsTyped, InputColumn::LuyKe) => {
                values.insert((key.clone(), InputColumn::LuyKe), v.clone());
            }
            // A year-to-date typed where no period of the year has a figure: the unit's own.
            (OverTime::Sum | OverTime::Mean, InputColumn::LuyKe) => {
                values
                    .entry((key.clone(), InputColumn::LuyKe))
                    .or_insert_with(|| v.clone());
            }
            _ => {}
        }
    }
}

/// Whether a typed figure is off the computed one past the regime's tolerance (relative, at
/// least 0.5 in absolute value).
fn differs(typed: f64, computed: f64, tolerance: f64) -> bool {
    (typed - computed).abs() > (tolerance * computed.abs()).max(0.5)
}

/// BC0801 where a unit's typed year-to-date differs from the one computed from the store and
/// this period's figure.
fn typed_differs(
    config: &Config,
    regime: &Regime,
    unit: &str,
    key: &str,
    typed: &Value,
    computed: f64,
    sub: Option<&Submission>,
) -> Option<Diagnostic> {
    // Without this period's figure the computed year-to-date is the earlier periods' only.
    sub?.value(key, InputColumn::ThucHien)?;
    if !differs(typed.value, computed, regime.ytd_tolerance) {
        return None;
    }
    Some(Diagnostic::new(
        Code::YtdMismatch,
        typed.location.clone(),
        format!(
            "{}: lũy kế trên biểu {} khác lũy kế tính từ kho lịch sử {} (các kỳ trước trong năm cộng kỳ này). Số được tổng hợp là {}.\nKiểm tra lại cột lũy kế hoặc số liệu các kỳ trước (baocao history --unit {unit} --indicator {key}).",
            super::subject(config, unit, key),
            fmt_vn(typed.value, 2),
            fmt_vn(computed, 2),
            fmt_vn(computed, 2),
        ),
    ))
}

/// "tháng 1/2026, tháng 2/2026".
fn period_list(periods: &[Period]) -> String {
    periods
        .iter()
        .map(|p| p.short_label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// BC0804: one for the periods nobody has in the store, one per unit for its own gaps.
fn gap_diagnostics(
    config: &Config,
    regime: &Regime,
    period: Period,
    has_store: bool,
    missing: &[Period],
    gaps: &[(String, Vec<Period>)],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !missing.is_empty() && !has_store {
        out.push(Diagnostic::new(
            Code::YtdIncomplete,
            Location::file(""),
            format!(
                "Lần chạy không dùng kho lịch sử (--no-history) nên không tính được lũy kế từ đầu năm đến {} từ số của {}: đơn vị nào ghi cột lũy kế thì dùng số đơn vị ghi, đơn vị không ghi thì lũy kế chỉ gồm kỳ này.\nChạy với kho lịch sử (bỏ --no-history) để lũy kế được tính từ số các kỳ trước.",
                period.short_label(),
                period_list(missing),
            ),
        ));
    } else if !missing.is_empty() {
        out.push(Diagnostic::new(
            Code::YtdIncomplete,
            Location::file(""),
            format!(
                "Kho lịch sử chưa có số liệu của {} (chế độ {}): lũy kế từ đầu năm đến {} chưa gồm các kỳ đó; đơn vị nào ghi cột lũy kế thì dùng số đơn vị ghi.\nNạp số các kỳ đó (baocao import-history <du-lieu.csv của các kỳ>) hoặc chạy lại các kỳ đó, rồi chạy lại kỳ này.",
                period_list(missing),
                regime.id,
                period.short_label(),
            ),
        ));
    }
    for (unit, periods) in gaps {
        out.push(Diagnostic::new(
            Code::YtdIncomplete,
            Location::file(""),
            format!(
                "{} ({unit}) không có số liệu của {} trong kho lịch sử (không gửi, bị từ chối, hoặc chưa nạp): lũy kế từ đầu năm của đơn vị chưa gồm các kỳ đó; nếu đơn vị ghi cột lũy kế thì dùng số đơn vị ghi.\nNếu đơn vị đã gửi các kỳ đó, chạy lại các kỳ đó với báo cáo của đơn vị rồi chạy lại kỳ này.",
                config.units.name_of(unit),
                period_list(periods),
            ),
        ));
    }
    out
}

/// The units and periods a note on the year-to-date names (for the report), or `None` when
/// the year-to-date is whole.
pub fn note(y: &YearToDate) -> Option<String> {
    let mut parts = Vec::new();
    if !y.missing_periods.is_empty() {
        parts.push(format!(
            "kho lịch sử chưa có số {}",
            period_list(&y.missing_periods)
        ));
    }
    if !y.gaps.is_empty() {
        let units: BTreeSet<&str> = y.gaps.iter().map(|(u, _)| u.as_str()).collect();
        parts.push(format!(
            "{} đơn vị thiếu số một số kỳ trước (xem trang Chẩn đoán, BC0804)",
            units.len()
        ));
    }
    (!parts.is_empty()).then(|| format!("Lũy kế chưa đủ: {}", parts.join("; ")))
}
