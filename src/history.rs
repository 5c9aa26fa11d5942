//! Judging a period against its past: figures of earlier periods rebuilt from the history
//! store (same period last year, year-to-date), the year-to-date cross-check of the forms'
//! cumulative column, and outliers against a unit's own history.
//!
//! Reads the store, calls `consolidate` for the rebuilt periods; writes nothing.

use std::collections::BTreeMap;

use crate::catalog::{Config, InputColumn, Regime};
use crate::consolidate::{consolidate, Consolidated};
use crate::diag::{Code, Diagnostic, Location};
use crate::model::{Origin, ReceiptSource, Submission, Value};
use crate::period::{Frequency, Period};
use crate::store::Store;
use crate::text::fmt_vn;

/// Submissions rebuilt from the latest stored figures of `period` (one per unit that has a
/// figure of an indicator `keep` accepts), with their actual figures (thực hiện) alone: the
/// only column a past period is shown by (the same period last year, the board's trend).
/// Each unit's file and receipt are its first figure's, in (cell key, column) order.
fn stored_actuals(
    store: &Store,
    regime: &Regime,
    period: Period,
    keep: &dyn Fn(&str) -> bool,
) -> Vec<Submission> {
    let keep = |_: &str, key: &str, _: InputColumn| keep(crate::model::indicator_of(key));
    let Ok(latest) = store.latest_rows(&regime.id, period, None, &keep) else {
        return Vec::new();
    };
    latest
        .by_unit()
        .map(|rows| {
            let mut rows = rows.peekable();
            // The unit's file and receipt: its first figure's.
            let first = *rows.peek().expect("a unit has a figure");
            Submission {
                file: first.file.to_string(),
                path: first.file.to_string().into(),
                regime: regime.id.clone(),
                period,
                unit_code: first.unit_code.to_string(),
                received_at: chrono::NaiveDateTime::parse_from_str(
                    first.received_at,
                    "%Y-%m-%dT%H:%M:%S",
                )
                .ok(),
                received_source: ReceiptSource::Log,
                origin: Origin::Exchange,
                // Collected in key order: the map is built with full nodes.
                values: rows
                    .filter(|v| v.column == InputColumn::ThucHien)
                    .map(|v| {
                        (
                            (v.indicator_code.as_str().into(), v.column),
                            Value {
                                value: v.value,
                                location: Location::file(v.file),
                            },
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Figures of units that were merged are carried over to their successor: summed
/// indicators add up, the others cannot be combined and are left out. Returns the
/// successors that received figures.
pub fn apply_successions(config: &Config, subs: Vec<Submission>) -> (Vec<Submission>, Vec<String>) {
    let mut merged: BTreeMap<String, Submission> = BTreeMap::new();
    let mut out = Vec::new();
    let mut successors = Vec::new();
    for s in subs {
        let Some(succ) = config.successor(&s.unit_code) else {
            out.push(s);
            continue;
        };
        if !successors.contains(&succ.new) {
            successors.push(succ.new.clone());
        }
        let target = merged
            .entry(succ.new.clone())
            .or_insert_with(|| Submission {
                unit_code: succ.new.clone(),
                values: BTreeMap::new(),
                ..s.clone()
            });
        for ((code, col), v) in s.values {
            if config
                .indicator_of_key(&code)
                .is_some_and(|i| i.aggregation == crate::catalog::Aggregation::Sum)
            {
                target
                    .values
                    .entry((code, col))
                    .and_modify(|x| x.value += v.value)
                    .or_insert(v);
            }
        }
    }
    // A successor that reported itself keeps its own figures.
    for (code, m) in merged {
        if !out.iter().any(|s| s.unit_code == code) {
            out.push(m);
        }
    }
    (out, successors)
}

/// `period`'s actual figures consolidated from the store (see `stored_actuals`), if the store
/// has the period, with merged units' figures carried over to their successors (returned too,
/// so that the report can say so).
pub fn consolidated_from_store(
    config: &Config,
    regime: &Regime,
    store: &Store,
    period: Period,
) -> Option<(Consolidated, Vec<String>)> {
    consolidated_from_store_where(config, regime, store, period, &|_| true)
}

/// `consolidated_from_store` with only the indicators `keep` accepts (the board's few cells
/// need a fraction of a period's figures).
pub fn consolidated_from_store_where(
    config: &Config,
    regime: &Regime,
    store: &Store,
    period: Period,
    keep: &dyn Fn(&str) -> bool,
) -> Option<(Consolidated, Vec<String>)> {
    let (subs, successors) = apply_successions(config, stored_actuals(store, regime, period, keep));
    if subs.is_empty() {
        return None;
    }
    Some((consolidate(config, regime, period, &subs), successors))
}

/// Figures that add up over time (flows); levels (stocks, rates, averages) do not.
pub fn is_flow(config: &Config, code: &str) -> bool {
    config.indicator_of_key(code).is_some_and(|i| i.is_flow())
}

/// The months of `period`'s year before it, for a monthly period.
fn earlier_months(period: Period) -> Vec<Period> {
    match period {
        Period::Month { year, month } => (1..month)
            .map(|m| Period::Month { year, month: m })
            .collect(),
        _ => Vec::new(),
    }
}

/// The checks against past periods (year-to-date, outliers), each past period read once
/// for both (see `Store::latest_values`), one period at a time: neither time nor memory grows
/// with the periods kept in the store beyond the latest `OUTLIER_HISTORY`.
pub fn past_warnings(
    config: &Config,
    regime: &Regime,
    store: &Store,
    period: Period,
    accepted: &[Submission],
) -> Vec<Diagnostic> {
    let mut ytd = Ytd::new(config, regime, store, period, accepted);
    let mut outliers = Outliers::new(config, regime, store, period, accepted);
    // Every cell either check reads, in the store's order; each check's cells by position.
    let mut cells: Vec<(&str, &str)> = ytd.cells.iter().map(|(u, k, _)| (*u, *k)).collect();
    cells.extend(outliers.cells.iter().copied());
    cells.sort_unstable();
    cells.dedup();
    cells.shrink_to_fit();
    let ytd_of = positions(&cells, ytd.cells.iter().map(|(u, k, _)| (*u, *k)));
    let outlier_of = positions(&cells, outliers.cells.iter().copied());
    let mut periods: Vec<Period> = ytd.months.clone();
    periods.extend(outliers.periods.iter().copied());
    periods.sort();
    periods.dedup();
    // No cell to look up: no past period is read.
    if cells.is_empty() {
        periods.clear();
    }
    for p in periods {
        let stored = store
            .latest_values(&regime.id, p, InputColumn::ThucHien, &cells)
            .ok();
        ytd.add(p, stored.as_deref(), &ytd_of);
        outliers.add(p, stored.as_deref().unwrap_or_default(), &outlier_of);
    }
    // A check's cell of a (unit, cell key), found among all cells read (no map of a nation's
    // ~500,000 cells).
    let find = |of: &[u32], unit: &str, key: &str| {
        let at = cells.binary_search(&(unit, key)).ok()?;
        of.get(at).filter(|i| **i != u32::MAX).map(|i| *i as usize)
    };
    let mut out = ytd.finish(config, accepted, regime.ytd_tolerance, &|u, k| {
        find(&ytd_of, u, k)
    });
    out.extend(
        outliers.finish(config, accepted, regime.outlier_threshold, &|u, k| {
            find(&outlier_of, u, k)
        }),
    );
    out
}

/// A check's own figures among a period's stored ones (by position among all cells read), as
/// (the check's cell index, value); `of` as `positions` made it.
fn own<'s>(stored: &'s [(usize, f64)], of: &'s [u32]) -> impl Iterator<Item = (usize, f64)> + 's {
    stored.iter().filter_map(|&(at, value)| {
        of.get(at)
            .filter(|i| **i != u32::MAX)
            .map(|&i| (i as usize, value))
    })
}

/// For each of `all`'s cells (sorted), its index among `mine` (the last, where `mine` has it
/// twice), `u32::MAX` where it is not one.
fn positions<'a>(all: &[(&str, &str)], mine: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<u32> {
    let mut of = vec![u32::MAX; all.len()];
    for (i, cell) in mine.enumerate() {
        if let Ok(p) = all.binary_search(&cell) {
            of[p] = i as u32;
        }
    }
    of
}

/// Year-to-date from the store (the latest figures of the earlier months, the previous month's
/// actual from the form itself where it carries one) plus this period's,
/// checked against each form's cumulative column: a warning where both exist and differ by
/// more than the regime's tolerance (relative, at least 0.5 in absolute value).
struct Ytd<'a> {
    /// The earlier months of the year (none where one of them is missing from the store: no
    /// year-to-date to compare with).
    months: Vec<Period>,
    /// The cells checked: a flow's cumulative column beside its period figure, with the
    /// previous month's actual the form carries (it revises that month's stored estimate).
    cells: Vec<(&'a str, &'a str, Option<f64>)>,
    /// Each cell's figures of the months read so far, added in month order.
    sums: Vec<Option<f64>>,
    /// A month could not be read: no warning at all.
    failed: bool,
}

impl<'a> Ytd<'a> {
    fn new(
        config: &Config,
        regime: &Regime,
        store: &Store,
        period: Period,
        accepted: &'a [Submission],
    ) -> Ytd<'a> {
        let mut months = earlier_months(period);
        if !months.iter().all(|m| store.has_figures(&regime.id, *m)) {
            months.clear();
        }
        let mut cells: Vec<(&str, &str, Option<f64>)> = Vec::new();
        if !months.is_empty() {
            for s in accepted {
                for (code, col) in s.values.keys() {
                    if *col == InputColumn::LuyKe
                        && is_flow(config, code)
                        && s.value(code, InputColumn::ThucHien).is_some()
                    {
                        let revised = s.value(code, InputColumn::KyTruoc);
                        cells.push((s.unit_code.as_str(), code.as_str(), revised));
                    }
                }
            }
        }
        let sums = vec![Some(0.0); cells.len()];
        Ytd {
            months,
            cells,
            sums,
            failed: false,
        }
    }

    /// One past period's stored figures (`None`: it could not be read), by position among
    /// all cells read (`of`: those positions to this check's cells).
    fn add(&mut self, p: Period, stored: Option<&[(usize, f64)]>, of: &[u32]) {
        let Some(m_i) = self.months.iter().position(|m| *m == p) else {
            return;
        };
        let Some(stored) = stored else {
            self.failed = true;
            return;
        };
        let mut found: Vec<Option<f64>> = vec![None; self.cells.len()];
        for (i, value) in own(stored, of) {
            found[i] = Some(value);
        }
        let last = m_i == self.months.len() - 1;
        for (i, sum) in self.sums.iter_mut().enumerate() {
            let part = if last {
                self.cells[i].2.or(found[i])
            } else {
                found[i]
            };
            *sum = sum.zip(part).map(|(a, b)| a + b);
        }
    }

    /// The warnings, with `cell` finding a (unit, cell key)'s index among `cells`.
    fn finish(
        self,
        config: &Config,
        accepted: &[Submission],
        tolerance: f64,
        cell: &dyn Fn(&str, &str) -> Option<usize>,
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.months.is_empty() || self.failed {
            return out;
        }
        for s in accepted {
            for ((code, col), v) in &s.values {
                if *col != InputColumn::LuyKe || !is_flow(config, code) {
                    continue;
                }
                let Some(this) = s.value(code, InputColumn::ThucHien) else {
                    continue;
                };
                let Some(Some(before)) = cell(&s.unit_code, code).map(|i| self.sums[i]) else {
                    continue;
                };
                let ytd = before + this;
                if (ytd - v.value).abs() > (tolerance * ytd.abs()).max(0.5) {
                    out.push(Diagnostic::new(
                        Code::YtdMismatch,
                        v.location.clone(),
                        format!(
                            "{}: lũy kế trên biểu {} khác lũy kế tính từ kho lịch sử {} (các tháng trước cộng tháng này).\nKiểm tra lại cột lũy kế hoặc số liệu các tháng trước (baocao history --unit {} --indicator {code}).",
                            subject(config, &s.unit_code, code), fmt_vn(v.value, 2), fmt_vn(ytd, 2), s.unit_code
                        ),
                    ));
                }
            }
        }
        out
    }
}

/// "Xã Tân Phú (99011), chỉ tiêu NS04 \"Thu ngân sách cấp xã\"", for messages.
fn subject(config: &Config, unit: &str, code: &str) -> String {
    let name = config
        .indicator_of_key(code)
        .map(|i| i.name.as_str())
        .unwrap_or("");
    let unit_name = config
        .units
        .get(unit)
        .map(|u| u.name.as_str())
        .unwrap_or("");
    format!("{unit_name} ({unit}), chỉ tiêu {code} \"{name}\"")
}

/// The modified z-score of `x` against `history` (Iglewicz–Hoaglin: 0.6745 (x − median) / MAD),
/// with the range of values whose score stays within `threshold`. The MAD is floored at 5% of
/// the median, so that a figure that barely moves (or sits at a cap, like a rate near 100%)
/// does not turn ordinary noise into outliers, and at `min_mad` (1 for counts: a count of
/// accidents moving from 2 to 1 is not news). `None` when the history is shorter than
/// `min_len` or has no spread at all.
pub fn modified_z(
    x: f64,
    history: &[f64],
    threshold: f64,
    min_len: usize,
    min_mad: f64,
) -> Option<(f64, f64, f64)> {
    if history.len() < min_len {
        return None;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let med = median(&mut history.to_vec());
    let mad = median(&mut history.iter().map(|h| (h - med).abs()).collect())
        .max(0.05 * med.abs())
        .max(min_mad);
    if mad == 0.0 {
        return None;
    }
    let z = 0.6745 * (x - med) / mad;
    let half = threshold * mad / 0.6745;
    Some((z, med - half, med + half))
}

/// How many earlier periods of the same kind an outlier is judged against (the latest ones):
/// two years of months, six of quarters.
pub const OUTLIER_HISTORY: usize = 24;

/// The latest `OUTLIER_HISTORY` of the (sorted) earlier periods: memory and time do not grow
/// with the years kept in the store.
fn latest_periods(mut past: Vec<Period>) -> Vec<Period> {
    past.drain(..past.len().saturating_sub(OUTLIER_HISTORY));
    past
}

/// Outliers: each accepted figure against the unit's own stored history of the same kind of
/// period (the latest `OUTLIER_HISTORY` periods), as warnings with the expected range.
struct Outliers<'a> {
    /// The periods judged against (none where the history is too short).
    periods: Vec<Period>,
    /// The cells checked: each unit's period figures of the indicators it reports (sorted,
    /// unique).
    cells: Vec<(&'a str, &'a str)>,
    /// Each cell's stored figures in period order: `periods.len()` slots per cell, the first
    /// `counts[cell]` of them filled (one block: no vector per cell).
    history: Vec<f64>,
    counts: Vec<u8>,
}

impl<'a> Outliers<'a> {
    fn new(
        config: &Config,
        regime: &Regime,
        store: &Store,
        period: Period,
        accepted: &'a [Submission],
    ) -> Outliers<'a> {
        let past: Vec<Period> = store
            .periods(&regime.id)
            .into_iter()
            .filter(|p| p.frequency() == period.frequency() && *p < period)
            .collect();
        let too_short =
            past.len() < 6 || period.frequency() != Frequency::Monthly && past.len() < 4;
        let periods = if too_short {
            Vec::new()
        } else {
            latest_periods(past)
        };
        let mut cells = Vec::new();
        if !periods.is_empty() {
            for s in accepted {
                for (code, col) in s.values.keys() {
                    if *col == InputColumn::ThucHien
                        && config
                            .indicator_of_key(code)
                            .is_some_and(|i| !i.is_derived())
                    {
                        cells.push((s.unit_code.as_str(), code.as_str()));
                    }
                }
            }
        }
        // A unit sent twice is one unit's history.
        cells.sort_unstable();
        cells.dedup();
        let history = vec![0.0; cells.len() * periods.len()];
        let counts = vec![0; cells.len()];
        Outliers {
            periods,
            cells,
            history,
            counts,
        }
    }

    /// One past period's stored figures, as in `Ytd::add` (in period order).
    fn add(&mut self, p: Period, stored: &[(usize, f64)], of: &[u32]) {
        if !self.periods.contains(&p) {
            return;
        }
        let stride = self.periods.len();
        for (i, value) in own(stored, of) {
            let n = usize::from(self.counts[i]);
            if n < stride {
                self.history[i * stride + n] = value;
                self.counts[i] += 1;
            }
        }
    }

    /// The warnings, with `cell` finding a (unit, cell key)'s index among `cells`.
    fn finish(
        self,
        config: &Config,
        accepted: &[Submission],
        threshold: f64,
        cell: &dyn Fn(&str, &str) -> Option<usize>,
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.periods.is_empty() {
            return out;
        }
        let stride = self.periods.len();
        for s in accepted {
            for ((code, col), v) in &s.values {
                if *col != InputColumn::ThucHien
                    || config.indicator_of_key(code).is_none_or(|i| i.is_derived())
                {
                    continue;
                }
                let Some(i) = cell(&s.unit_code, code) else {
                    continue;
                };
                let h = &self.history[i * stride..i * stride + usize::from(self.counts[i])];
                let min_mad = match config.indicator_of_key(code).map(|i| i.value_type) {
                    Some(crate::catalog::ValueType::Integer) => 1.0,
                    _ => 0.0,
                };
                if let Some((z, lo, hi)) = modified_z(v.value, h, threshold, 6, min_mad) {
                    if z.abs() > threshold {
                        out.push(Diagnostic::new(
                            Code::Outlier,
                            v.location.clone(),
                            format!(
                                "{} = {} khác thường so với {} kỳ trước của đơn vị (khoảng thường gặp {} – {}).\nKiểm tra lại số liệu; nếu đúng, ghi chú nguyên nhân trong báo cáo.",
                                subject(config, &s.unit_code, code), fmt_vn(v.value, 2), h.len(), fmt_vn(lo, 2), fmt_vn(hi, 2)
                            ),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Carry-over checks (`[[rule]] kind = "carry-over"`): a form's "từ kỳ trước chuyển qua" cell
/// against the same unit's closing stock of the previous period in the store, in every row of
/// the form (the total and each option the unit reported), as warnings. Nothing is checked
/// where the store has no previous period.
pub fn carry_over_warnings(
    config: &Config,
    regime: &Regime,
    store: &Store,
    period: Period,
    accepted: &[Submission],
) -> Vec<Diagnostic> {
    let rules: Vec<(&str, &str, f64)> = regime
        .rule
        .iter()
        .filter_map(|r| match r {
            crate::catalog::CrossRule::CarryOver {
                cell,
                previous,
                tolerance,
            } => Some((cell.as_str(), previous.as_str(), *tolerance)),
            _ => None,
        })
        .collect();
    if rules.is_empty() {
        return Vec::new();
    }
    let Ok(before) = store.latest(&regime.id, period.previous(), None) else {
        return Vec::new();
    };
    if before.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for s in accepted {
        for (cell, previous, tolerance) in &rules {
            let Ok((code, fixed)) = crate::model::parse_key(cell) else {
                continue;
            };
            for ((key, col), v) in &s.values {
                if *col != InputColumn::ThucHien {
                    continue;
                }
                let (k_code, k_d) = crate::model::split_key(key);
                let Ok(d) = crate::model::Disagg::parse(k_d) else {
                    continue;
                };
                // This row's carry-over cell: the rule's options plus the row's other ones.
                if k_code != code || fixed.0.iter().any(|(dim, o)| d.get(dim) != Some(o)) {
                    continue;
                }
                let row = fixed.dims().fold(d.clone(), |acc, dim| acc.without(dim));
                let stock_key = crate::model::cell_key(previous, &row);
                let Some(stock) = before.get(&(
                    s.unit_code.as_str().into(),
                    stock_key.as_str().into(),
                    InputColumn::ThucHien,
                )) else {
                    continue;
                };
                if (stock.value - v.value).abs() > *tolerance {
                    out.push(Diagnostic::new(
                        Code::CarryOverMismatch,
                        v.location.clone(),
                        format!(
                            "{} = {} nhưng kỳ trước ({}) đơn vị báo {} = {}.\nSố chuyển từ kỳ trước phải bằng số còn tồn cuối kỳ trước; kiểm tra lại (baocao history --unit {} --indicator \"{stock_key}\").",
                            subject(config, &s.unit_code, key), fmt_vn(v.value, 2), period.previous().label(),
                            config.describe_cell(previous, &row), fmt_vn(stock.value, 2), s.unit_code
                        ),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outliers_are_judged_against_the_latest_24_periods() {
        // 30 months stored, 1/2024 – 6/2026: the latest 24 are 7/2024 – 6/2026.
        let months: Vec<Period> = (0..30)
            .map(|i| Period::Month {
                year: 2024 + i / 12,
                month: (i % 12 + 1) as u32,
            })
            .collect();
        let kept = latest_periods(months);
        assert_eq!(kept.len(), 24);
        assert_eq!(kept[0].code(), "2024-07");
        assert_eq!(kept[23].code(), "2026-06");
        // Fewer than 24 are all kept.
        let few = latest_periods(kept[..5].to_vec());
        assert_eq!(few.len(), 5);
    }

    #[test]
    fn modified_z_score_on_the_median_absolute_deviation() {
        // history 10, 11, 12, 13, 14, 15: median 12.5, MAD 1.5.
        let h = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0];
        let (z, lo, hi) = modified_z(30.0, &h, 3.5, 6, 0.0).unwrap();
        assert!((z - 0.6745 * 17.5 / 1.5).abs() < 1e-9);
        assert!(z > 3.5, "an injected outlier is flagged");
        assert!((lo - (12.5 - 3.5 * 1.5 / 0.6745)).abs() < 1e-9);
        assert!((hi - (12.5 + 3.5 * 1.5 / 0.6745)).abs() < 1e-9);
        let (z, _, _) = modified_z(13.2, &h, 3.5, 6, 0.0).unwrap();
        assert!(z.abs() < 3.5, "a normal value is not");
        assert!(
            modified_z(30.0, &h[..5], 3.5, 6, 0.0).is_none(),
            "history too short"
        );
        assert!(
            modified_z(30.0, &[0.0; 6], 3.5, 6, 0.0).is_none(),
            "no spread at all"
        );
        // A flat history: the MAD floor (5% of 5 = 0.25) keeps 5.1 ordinary.
        let (z, _, _) = modified_z(5.1, &[5.0; 6], 3.5, 6, 0.0).unwrap();
        assert!(z.abs() < 3.5);
        // Counts of 2 a month: one of them is not an outlier.
        let (z, _, _) = modified_z(1.0, &[2.0; 8], 3.5, 6, 1.0).unwrap();
        assert!(z.abs() < 3.5);
    }

    #[test]
    fn earlier_months_stay_in_the_year() {
        assert!(
            earlier_months("2026-01".parse().unwrap()).is_empty(),
            "January's year-to-date is January"
        );
        assert_eq!(earlier_months("2026-03".parse().unwrap()).len(), 2);
        assert!(earlier_months("2026-Q3".parse().unwrap()).is_empty());
    }
}
