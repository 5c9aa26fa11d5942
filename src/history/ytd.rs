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
use crate::diag::{At, Code, Diagnostic, Location};
use crate::model::{CellKey, ReceiptSource, Submission, Value};
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

/// The regime's tree: whose figures can count.
struct Tree<'a> {
    config: &'a Config,
    regime: &'a Regime,
    /// The receiver and every unit below it.
    units: foldhash::HashSet<String>,
}

/// A rank of `LatestRows` not yet mapped, and a unit whose figures do not count.
const UNMAPPED: u32 = u32::MAX;
const SKIPPED: u32 = u32::MAX - 1;

/// The year's figures gathered, units and cell keys numbered once (a nation's month is
/// ~800,000 figures a period: each row costs two array lookups and a small map entry).
#[derive(Default)]
struct Year {
    units: Vec<String>,
    unit_ids: foldhash::HashMap<String, u32>,
    keys: Vec<CellKey>,
    key_ids: foldhash::HashMap<CellKey, u32>,
    kinds: Vec<OverTime>,
    /// Per unit, bit `i`: the unit has figures of step `i` (the current period is the last).
    seen: Vec<u64>,
    /// Per unit, its cells by key id.
    cells: Vec<BTreeMap<u32, Acc>>,
    /// The previous period's actuals the forms carry (they revise its stored estimates), by
    /// (unit id, key id).
    revisions: BTreeMap<(u32, u32), f64>,
}

impl Year {
    fn unit(&mut self, code: &str) -> u32 {
        if let Some(&id) = self.unit_ids.get(code) {
            return id;
        }
        let id = self.units.len() as u32;
        self.units.push(code.to_string());
        self.unit_ids.insert(code.to_string(), id);
        self.seen.push(0);
        self.cells.push(BTreeMap::new());
        id
    }

    fn key(&mut self, config: &Config, key: &str) -> u32 {
        if let Some(&id) = self.key_ids.get(key) {
            return id;
        }
        let id = self.keys.len() as u32;
        let indicator = config.indicator_of_key(key);
        // A key of the catalog's is kept once for the run: each unit's year-to-date holds a
        // copy of it.
        let key = match indicator {
            Some(_) => crate::model::interned(key),
            None => CellKey::from(key),
        };
        self.keys.push(key.clone());
        self.key_ids.insert(key, id);
        self.kinds
            .push(indicator.map_or(OverTime::AsTyped, OverTime::of));
        id
    }

    /// Adds a figure of a period (`restart`: the replacing report of the year so far, worth
    /// `weight` periods).
    fn add(&mut self, unit: u32, key: u32, value: f64, restart: Option<f64>) {
        let kind = self.kinds[key as usize];
        let acc = self.cells[unit as usize].entry(key).or_default();
        match restart {
            // A flow's total so far; a mean's `weight` periods.
            Some(_) if kind == OverTime::Sum => {
                *acc = Acc {
                    sum: value,
                    periods: 1.0,
                }
            }
            Some(weight) => {
                *acc = Acc {
                    sum: value * weight,
                    periods: weight,
                }
            }
            None => {
                acc.sum += value;
                acc.periods += 1.0;
            }
        }
    }

    /// The previous period's actuals of the current forms (`KyTruoc`), kept to revise the
    /// stored estimates when that period is read.
    fn note_revisions(&mut self, config: &Config, current: &[Submission]) {
        for s in current {
            for ((key, column), v) in &s.values {
                if *column == InputColumn::KyTruoc {
                    let k = self.key(config, key);
                    if self.kinds[k as usize].reads_past() {
                        let u = self.unit(&s.unit_code);
                        self.revisions.insert((u, k), v.value);
                    }
                }
            }
        }
    }

    /// One earlier period's stored figures (step `i`), as far as they count in the tree.
    fn gather(
        &mut self,
        tree: &Tree<'_>,
        rows: &crate::store::LatestRows,
        i: usize,
        restart: Option<f64>,
        revised: bool,
    ) {
        let config = tree.config;
        let mut reporting: Vec<u32> = rows.ranked().map(|r| r.0).collect();
        reporting.dedup();
        let counted = Counted::new(
            config,
            tree.regime,
            &tree.units,
            reporting.iter().map(|r| rows.text(*r).as_str()),
        );
        let mut unit_of = vec![UNMAPPED; rows.text_count()];
        let mut key_of = vec![UNMAPPED; rows.text_count()];
        for (u, k, _, value) in rows.ranked() {
            if unit_of[u as usize] == UNMAPPED {
                let code = rows.text(u).as_str();
                unit_of[u as usize] = if counted.counts(code) {
                    self.unit(code)
                } else {
                    SKIPPED
                };
            }
            let unit = unit_of[u as usize];
            if unit == SKIPPED {
                continue;
            }
            if key_of[k as usize] == UNMAPPED {
                key_of[k as usize] = self.key(config, rows.text(k).as_str());
            }
            let key = key_of[k as usize];
            self.seen[unit as usize] |= 1 << i;
            let value = if revised {
                self.revisions.remove(&(unit, key)).unwrap_or(value)
            } else {
                value
            };
            self.add(unit, key, value, restart);
        }
        // Revisions of cells the store did not have.
        if revised {
            for ((unit, key), value) in std::mem::take(&mut self.revisions) {
                if counted.counts(&self.units[unit as usize]) {
                    self.seen[unit as usize] |= 1 << i;
                    self.add(unit, key, value, None);
                }
            }
        }
    }

    /// This period's figures (step `i`, the last).
    fn gather_current(&mut self, tree: &Tree<'_>, current: &[Submission], i: usize) {
        let config = tree.config;
        let counted = Counted::new(
            config,
            tree.regime,
            &tree.units,
            current.iter().map(|s| s.unit_code.as_str()),
        );
        for s in current.iter().filter(|s| counted.counts(&s.unit_code)) {
            let unit = self.unit(&s.unit_code);
            self.seen[unit as usize] |= 1 << i;
            for ((key, column), v) in &s.values {
                if *column == InputColumn::ThucHien {
                    let k = self.key(config, key);
                    if self.kinds[k as usize].reads_past() {
                        self.add(unit, k, v.value, None);
                    }
                }
            }
        }
    }

    /// A unit's year-to-date of each cell it has (a mean divided out), in key order.
    fn figures(&self, unit: u32) -> Vec<(&CellKey, f64)> {
        let mut out: Vec<(&CellKey, f64)> = self.cells[unit as usize]
            .iter()
            .map(|(k, acc)| {
                let value = match self.kinds[*k as usize] {
                    OverTime::Mean => acc.sum / acc.periods,
                    _ => acc.sum,
                };
                (&self.keys[*k as usize], value)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
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
        // The units above the reporting ones: their parents' chains, each walked once.
        let parents: BTreeSet<&str> = reporting
            .filter_map(|u| config.units.get(u)?.parent.as_deref())
            .collect();
        let mut gathering = foldhash::HashSet::default();
        for p in parents {
            if gathering.insert(p.to_string()) {
                gathering.extend(config.units.ancestors(p));
            }
        }
        Counted {
            in_tree,
            gathering,
            include_own: regime.include_own_figures,
        }
    }

    fn counts(&self, unit: &str) -> bool {
        self.in_tree.contains(unit) && (self.include_own || !self.gathering.contains(unit))
    }
}

/// Whether a regime's outputs show a year-to-date: a list form always does (its consolidated
/// form has the column); a matrix form where one of its columns is the year-to-date (a
/// form like Biểu II.06a has none, and its cells are not summed over the year).
pub fn applies(config: &Config, regime: &Regime) -> bool {
    config.layout(&regime.id).is_none_or(|layout| {
        layout
            .cells()
            .any(|(_, _, cell)| cell.column == InputColumn::LuyKe)
    })
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
    let tree = Tree {
        config,
        regime,
        units: config.units.subtree(&regime.receiver).into_iter().collect(),
    };
    let (year, missing_periods) = gather_year(&tree, store, &steps, period, current);
    let found: u64 = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !missing_periods.contains(&s.period()))
        .fold(0, |m, (i, _)| m | 1 << i);
    let by_unit: BTreeMap<&str, &Submission> =
        current.iter().map(|s| (s.unit_code.as_str(), s)).collect();
    let mut diagnostics = Vec::new();
    let mut gaps = Vec::new();
    // Units in code order: the same submissions, so the same result, run after run. Each
    // unit's on its own, on every core, then taken in that order.
    let mut order: Vec<u32> = (0..year.units.len() as u32).collect();
    order.sort_by(|a, b| year.units[*a as usize].cmp(&year.units[*b as usize]));
    let per_unit: Vec<(Submission, Vec<Diagnostic>, Vec<Period>)> = {
        use rayon::prelude::*;
        order
            .par_iter()
            .with_min_len(64)
            .map(|&unit| {
                let code = &year.units[unit as usize];
                let own_gaps = unit_gaps(config, code, &steps, found, year.seen[unit as usize]);
                let typed = TypedCheck {
                    sub: by_unit.get(code.as_str()).copied(),
                    short: !own_gaps.is_empty() || !missing_periods.is_empty(),
                    check: check_typed,
                };
                let mut found = Vec::new();
                let sub = unit_submission(&tree, &year, unit, period, typed, &mut found);
                (sub, found, own_gaps)
            })
            .collect()
    };
    let mut subs = Vec::with_capacity(per_unit.len());
    for (sub, found, own_gaps) in per_unit {
        if !own_gaps.is_empty() {
            gaps.push((sub.unit_code.clone(), own_gaps));
        }
        diagnostics.extend(found);
        subs.push(sub);
    }
    drop(year);
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
    let mut own = regime.clone();
    own.include_own_figures = true;
    // Merged units' earlier periods count for their successor.
    let (subs, _) = super::apply_successions(config, subs);
    YearToDate {
        consolidated: consolidate(config, &own, period, &subs),
        diagnostics,
        missing_periods,
        gaps,
    }
}

/// The year's figures of the earlier periods (`steps`) and of this one, and the periods the
/// store has none of. Two periods are read at a time, one per core (reading is most of the
/// work: a nation's month is ~0,1 s to decode), then gathered in order.
fn gather_year(
    tree: &Tree<'_>,
    store: Option<&Store>,
    steps: &[Step],
    period: Period,
    current: &[Submission],
) -> (Year, Vec<Period>) {
    let mut year = Year::default();
    year.note_revisions(tree.config, current);
    let mut missing = Vec::new();
    let read = |step: &Step| -> Option<crate::store::LatestRows> {
        let p = match *step {
            Step::Add(p) => p,
            Step::Restart { by, .. } => by,
            Step::Unknown { .. } => return None,
        };
        store.and_then(|s| past_figures(tree.config, tree.regime, s, p))
    };
    super::two_at_a_time(steps, read, |i, step, rows| {
        let restart = match *step {
            Step::Restart { by, .. } => Some(periods_in(by, period.frequency())),
            _ => None,
        };
        match rows {
            Some(rows) => {
                let revised = *step == Step::Add(period.previous());
                year.gather(tree, &rows, i, restart, revised);
            }
            None => missing.push(step.period()),
        }
    });
    year.gather_current(tree, current, steps.len());
    (year, missing)
}

/// What a unit typed this period and how its typed year-to-date is taken: as a check (`check`)
/// of the computed one, or as its figure where the store lacks some of its periods (`short`).
#[derive(Clone, Copy)]
struct TypedCheck<'a> {
    sub: Option<&'a Submission>,
    short: bool,
    check: bool,
}

/// One unit's year-to-date as a submission of the `LuyKe` column (its typed figure checked or,
/// where short, taken), with this period's stocks and as-typed figures.
fn unit_submission(
    tree: &Tree<'_>,
    year: &Year,
    unit: u32,
    period: Period,
    typed: TypedCheck<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Submission {
    let (config, regime) = (tree.config, tree.regime);
    let code = &year.units[unit as usize];
    let sub = typed.sub;
    let nowhere = At::nowhere();
    let mut values = Vec::new();
    for (key, value) in year.figures(unit) {
        let value = match sub.and_then(|s| s.figure(key, InputColumn::LuyKe)) {
            // The store lacks an earlier period of the unit: its own figure is the best.
            Some(t) if typed.short => t.value,
            Some(t) if typed.check => {
                if let Some(d) = typed_differs(config, regime, code, key, t, value, sub) {
                    diagnostics.push(d);
                }
                value
            }
            _ => value,
        };
        let figure = Value {
            value,
            location: nowhere.clone(),
        };
        values.push(((key.clone(), InputColumn::LuyKe), figure));
    }
    let mut values: BTreeMap<(CellKey, InputColumn), Value> = values.into_iter().collect();
    if let Some(s) = sub {
        take_this_period(config, regime, s, typed.check, &mut values, diagnostics);
    }
    Submission {
        file: sub.map(|s| s.file.clone()).unwrap_or_default(),
        path: sub.map(|s| s.path.clone()).unwrap_or_default(),
        received_at: sub.and_then(|s| s.received_at),
        received_source: sub.map_or(ReceiptSource::Unknown, |s| s.received_source),
        ..Submission::of_figures(&regime.id, period, code.clone(), values)
    }
}

/// A past period's latest actual figures of the indicators whose year-to-date reads the past
/// (flows, averages), or `None` where the store has none of them.
fn past_figures(
    config: &Config,
    regime: &Regime,
    store: &Store,
    period: Period,
) -> Option<crate::store::LatestRows> {
    // Asked once per cell key of the period (`Keep`).
    let reads = |key: &str, column: InputColumn| {
        column == InputColumn::ThucHien
            && config
                .indicator_of_key(key)
                .is_some_and(|i| OverTime::of(i).reads_past())
    };
    let rows = store
        .latest_figures(&regime.id, period, crate::store::Keep::cells(&reads))
        .ok()?;
    let any = rows.ranked().next().is_some();
    any.then_some(rows)
}

/// The earlier periods of the year a unit has no figure of while other units have (`found`:
/// the steps the store has; `seen`: the unit's), where the unit existed then.
fn unit_gaps(config: &Config, unit: &str, steps: &[Step], found: u64, seen: u64) -> Vec<Period> {
    let existed = |p: Period| {
        let end = crate::schedule::last_day_of(p);
        config.units.get(unit).is_none_or(|u| u.is_valid_on(end))
    };
    steps
        .iter()
        .enumerate()
        .filter(|(i, _)| found & (1 << i) != 0 && seen & (1 << i) == 0)
        .map(|(_, s)| s.period())
        .filter(|p| existed(*p))
        .collect()
}

/// A computed figure as a submission's value (it was read from no cell).
fn stored(value: f64) -> Value {
    Value {
        value,
        location: At::nowhere(),
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
                            &v.location,
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
        &typed.location,
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

/// BC0804 for the same period last year (`last_year`), whose year-to-date is left out where
/// the store lacks an earlier period of its year (a partial one would compare wrongly): the
/// periods to load, where the store has `last_year` itself and the regime has a year-to-date.
pub fn last_year_gaps(
    config: &Config,
    regime: &Regime,
    store: &Store,
    last_year: Period,
) -> Option<Diagnostic> {
    if !applies(config, regime) || !store.has_figures(&regime.id, last_year) {
        return None;
    }
    let missing: Vec<Period> = earlier_steps(regime, last_year)
        .into_iter()
        .filter_map(|step| match step {
            Step::Add(p) => Some((p, p)),
            Step::Restart { replaced, by } => Some((replaced, by)),
            Step::Unknown { .. } => None,
        })
        .filter(|(_, stored)| !store.has_figures(&regime.id, *stored))
        .map(|(shown, _)| shown)
        .collect();
    (!missing.is_empty()).then(|| {
        Diagnostic::new(
            Code::YtdIncomplete,
            Location::file(""),
            format!(
                "Kho lịch sử có số liệu của {} nhưng chưa có của {} (chế độ {}): cột \"Lũy kế cùng kỳ năm trước\" để trống (lũy kế thiếu kỳ thì so sánh sai).\nNạp số các kỳ đó (baocao import-history <du-lieu.csv của các kỳ>) rồi chạy lại kỳ này.",
                last_year.short_label(),
                period_list(&missing),
                regime.id,
            ),
        )
    })
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
        )
        .of_unit(unit));
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
