//! Judging a period against its past: figures of earlier periods rebuilt from the history
//! store (same period last year, year-to-date), the year-to-date cross-check of the forms'
//! cumulative column, and outliers against a unit's own history.
//!
//! Reads the store, calls `consolidate` for the rebuilt periods; writes nothing but what it
//! rebuilt, kept beside the store for the next run (`cache`).

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Config, InputColumn, Regime};
use crate::consolidate::{consolidate, Consolidated};
use crate::diag::{At, Code, Diagnostic, Location};
use crate::model::{Origin, ReceiptSource, Submission, Value};
use crate::period::{Frequency, Period};
use crate::store::{Keep, Store};
use crate::text::fmt_vn;

pub mod cache;
pub mod plan;
pub mod ytd;

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
    let cell = |key: &str, _: InputColumn| keep(crate::model::indicator_of(key));
    let Ok(latest) = store.latest_rows(&regime.id, period, None, Keep::cells(&cell)) else {
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
                // Collected in key order: the map is built with full nodes. The figures of one
                // file share its place.
                values: rows
                    .filter(|v| v.column == InputColumn::ThucHien)
                    .scan(None::<At>, |file, v| {
                        let at = match file.take() {
                            Some(at) if at.file() == v.file => at,
                            _ => At::from(Location::file(v.file)),
                        };
                        *file = Some(at.clone());
                        let value = Value {
                            value: v.value,
                            location: at,
                        };
                        Some(((v.indicator_code.as_str().into(), v.column), value))
                    })
                    .collect(),
                texts: Default::default(),
                lists: Default::default(),
                empty: Default::default(),
                unread: Default::default(),
            }
        })
        .collect()
}

/// Figures of units that were merged are carried over to their successor: summed
/// indicators add up. The others cannot be combined: they stay the old unit's own, so that
/// the units above it (where it is still in `units.toml`) are consolidated from them as they
/// were in their period (a province's average over its communes of last year), and the
/// successor has none. A successor that reported itself in the period (a unit that existed
/// before others were merged into it) has their sums added to its own: its territory now is
/// theirs and its own. Returns the successors that received figures.
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
        let mut own = BTreeMap::new();
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
            } else {
                own.insert((code, col), v);
            }
        }
        if !own.is_empty() {
            out.push(Submission { values: own, ..s });
        }
    }
    for (code, m) in merged {
        match out.iter_mut().find(|s| s.unit_code == code) {
            Some(own) => {
                for (key, v) in m.values {
                    own.values
                        .entry(key)
                        .and_modify(|x| x.value += v.value)
                        .or_insert(v);
                }
            }
            None => out.push(m),
        }
    }
    (out, successors)
}

/// `period`'s actual figures consolidated from the store (see `stored_actuals`), with merged
/// units' figures carried over to their successors (returned too, so that the report can say
/// so), and the year-to-date, computed from the store as for the current period, where the
/// store has every earlier period of `period`'s year (else no year-to-date at all: a partial
/// one would compare wrongly): the same period last year.
pub fn consolidated_from_store_with_ytd(
    config: &Config,
    regime: &Regime,
    store: &Store,
    period: Period,
) -> Option<(Consolidated, Vec<String>)> {
    let (subs, successors) =
        apply_successions(config, stored_actuals(store, regime, period, &|_| true));
    if subs.is_empty() {
        return None;
    }
    // The period consolidated while its year-to-date is rebuilt (as a run does).
    let (mut c, y) = rayon::join(
        || consolidate(config, regime, period, &subs),
        || {
            ytd::applies(config, regime)
                .then(|| ytd::year_to_date(config, regime, period, Some(store), &subs, false))
        },
    );
    if let Some(y) = y.filter(|y| y.missing_periods.is_empty()) {
        c.replace_column(config, InputColumn::LuyKe, &y.consolidated);
    }
    Some((c, successors))
}

/// The receiver's figures of `period` (the same period last year) rebuilt from the store with
/// their year-to-date (`consolidated_from_store_with_ytd`), the other units' let go, and the
/// successors that received merged units' figures: from `cache` when an earlier run rebuilt
/// them from the same partitions (the period's and its year's other periods', which its
/// year-to-date reads), else rebuilt and kept there.
pub fn same_period_last_year(
    config: &Config,
    regime: &Regime,
    store: &Store,
    period: Period,
) -> Option<(Consolidated, Vec<String>)> {
    let compute = || {
        consolidated_from_store_with_ytd(config, regime, store, period).map(|(mut c, succ)| {
            c.keep_root_only();
            (c, succ)
        })
    };
    let Some(cache) = cache::PastCache::open(store, config, regime) else {
        return compute();
    };
    let mut periods: Vec<Period> = store
        .periods(&regime.id)
        .into_iter()
        .filter(|p| p.year() == period.year())
        .collect();
    if !periods.contains(&period) {
        periods.push(period);
    }
    const KIND: &str = "cung-ky-nam-truoc";
    let key = cache.key(KIND, "", &periods);
    let kept: Option<RootFigures> = cache.get_or(KIND, period, key.as_deref(), || {
        compute().map(|(c, successors)| RootFigures::of(&c, successors))
    });
    kept.map(RootFigures::rebuilt)
}

/// A result reduced to its receiver's figures (`Consolidated::keep_root_only`), as
/// `history::cache` keeps it: every figure by its bits.
#[derive(serde::Serialize, serde::Deserialize)]
struct RootFigures {
    regime: String,
    period: Option<String>,
    root: String,
    units: Vec<String>,
    figures: Vec<(String, InputColumn, u64)>,
    successors: Vec<String>,
}

impl RootFigures {
    fn of(c: &Consolidated, successors: Vec<String>) -> RootFigures {
        RootFigures {
            regime: c.regime.clone(),
            period: c.period.map(|p| p.code()),
            root: c.root.clone(),
            units: c.units.clone(),
            figures: c
                .values()
                .filter(|(unit, ..)| *unit == c.root)
                .map(|(_, key, column, v)| (key.to_string(), column, v.to_bits()))
                .collect(),
            successors,
        }
    }

    fn rebuilt(self) -> (Consolidated, Vec<String>) {
        let figures = self
            .figures
            .into_iter()
            .map(|(key, column, bits)| (key, column, f64::from_bits(bits)));
        let period = self.period.and_then(|p| p.parse().ok());
        let c = Consolidated::of_root(self.regime, period, self.root, self.units, figures);
        (c, self.successors)
    }
}

/// `period`'s actual figures consolidated from the store, with only the indicators `keep`
/// accepts (the board's few cells need a fraction of a period's figures).
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

/// The outlier check against past periods, each past period read once (see
/// `Store::latest_values`), one period at a time: neither time nor memory grows with the
/// periods kept in the store beyond the latest `OUTLIER_HISTORY`.
pub fn past_warnings(
    config: &Config,
    regime: &Regime,
    store: &Store,
    period: Period,
    accepted: &[Submission],
) -> Vec<Diagnostic> {
    let mut outliers = Outliers::new(config, regime, store, period, accepted);
    // No cell to look up: no past period is read.
    let periods = if outliers.cells.is_empty() {
        Vec::new()
    } else {
        outliers.periods.clone()
    };
    let index = crate::store::Cells::new(&outliers.cells);
    let read = |p: Period| {
        store
            .latest_values(&regime.id, p, InputColumn::ThucHien, &index)
            .ok()
    };
    two_at_a_time(
        &periods,
        |p| read(*p),
        |_, p, stored| outliers.add(*p, stored.as_deref().unwrap_or_default()),
    );
    drop(index);
    outliers.finish(config, period, accepted, regime.outlier_threshold)
}

/// `read` of each of `items` (past periods to decode), two at a time, one per core, each result
/// handed to `take` in order with its item's index. The next two are read while `take` has
/// the two before (taking a nation's period, single-threaded, left a core idle for ~10 ms a
/// period): at most four results are held at once.
fn two_at_a_time<T: Sync, R: Send>(
    items: &[T],
    read: impl Fn(&T) -> R + Sync,
    mut take: impl FnMut(usize, &T, R) + Send,
) {
    let pairs: Vec<&[T]> = items.chunks(2).collect();
    let read_pair = |two: &[T]| rayon::join(|| read(&two[0]), || two.get(1).map(&read));
    let mut ready = pairs.first().map(|two| read_pair(two));
    for (pair, two) in pairs.iter().enumerate() {
        let Some((a, b)) = ready.take() else {
            break;
        };
        let take = &mut take;
        let took = move || {
            take(pair * 2, &two[0], a);
            if let (Some(item), Some(b)) = (two.get(1), b) {
                take(pair * 2 + 1, item, b);
            }
        };
        let next = || pairs.get(pair + 1).map(|two| read_pair(two));
        ready = rayon::join(took, next).1;
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
    if history.len() < min_len || history.is_empty() {
        return None;
    }
    // A copy to reorder, on the stack for a window's history (a nation's month judges
    // ~400,000 figures).
    let mut stack = [0.0f64; OUTLIER_HISTORY];
    let mut heap = Vec::new();
    let v: &mut [f64] = match stack.get_mut(..history.len()) {
        Some(s) => s,
        None => {
            heap.resize(history.len(), 0.0);
            &mut heap
        }
    };
    v.copy_from_slice(history);
    let med = median(v);
    // The deviations, of the same figures in another order: the same median.
    for d in v.iter_mut() {
        *d = (*d - med).abs();
    }
    let mad = median(v).max(0.05 * med.abs()).max(min_mad);
    if mad == 0.0 {
        return None;
    }
    let z = 0.6745 * (x - med) / mad;
    let half = threshold * mad / 0.6745;
    Some((z, med - half, med + half))
}

/// The median of `v` (not empty), reordering it: the middle figure, or the mean of the two
/// middle ones, in `f64::total_cmp` order (as sorting would find them).
fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    let (below, mid, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let mid = *mid;
    if n % 2 == 1 {
        return mid;
    }
    let lower = below.iter().copied().max_by(f64::total_cmp).unwrap_or(mid);
    (lower + mid) / 2.0
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
/// period (the latest `OUTLIER_HISTORY` periods), with the season taken out (harvests, Tết and
/// the tourist season swing monthly figures by several times): every past figure is divided by
/// its period's seasonal factor — the mean figure of the units read that period over their mean
/// across the periods read — and this period's by the factor of the same period of earlier
/// years. Without the same period in the store, nothing is judged (a note says so). Warnings
/// with the expected range, the strongest first.
struct Outliers<'a> {
    /// The periods judged against (none where the history is too short).
    periods: Vec<Period>,
    /// The cells checked: each unit's period figures of the indicators it reports (sorted,
    /// unique).
    cells: Vec<(&'a str, &'a str)>,
    /// Each cell's stored figure of each period (NaN where it has none): `periods.len()` slots
    /// per cell, in period order (one block: no vector per cell).
    history: Vec<f64>,
}

/// One unit's figures judged: the outliers found with their score, and the indicators that
/// could not be judged (no season known yet).
type Judged<'s> = (Vec<(f64, Diagnostic)>, Vec<&'s str>);

/// The units a cell key's seasonal profile is drawn from, at least.
const MIN_UNITS_FOR_SEASON: usize = 3;

/// The month a period ends with: periods of the same season end in the same month.
fn season(p: Period) -> u32 {
    p.month_span().1
}

/// Seasonal factors of one cell key: for each period read, the mean figure of the units that
/// have one over the mean of those means (NaN where no unit has one); and the factor of this
/// period's season (the mean of the factors of the periods of the same season), if any of them
/// is known.
fn seasonal_factors(
    means: &[f64],
    periods: &[Period],
    now: Period,
    seasonal: bool,
) -> (Vec<f64>, Option<f64>) {
    if !seasonal {
        return (vec![1.0; means.len()], Some(1.0));
    }
    let known: Vec<f64> = means.iter().copied().filter(|m| m.is_finite()).collect();
    let overall = known.iter().sum::<f64>() / known.len().max(1) as f64;
    if known.is_empty() || overall <= 0.0 {
        return (vec![f64::NAN; means.len()], None);
    }
    let factors: Vec<f64> = means.iter().map(|m| m / overall).collect();
    let same: Vec<f64> = periods
        .iter()
        .zip(&factors)
        .filter(|(p, f)| season(**p) == season(now) && f.is_finite())
        .map(|(_, f)| *f)
        .collect();
    let now_factor = (!same.is_empty()).then(|| same.iter().sum::<f64>() / same.len() as f64);
    (factors, now_factor)
}

/// A figure judged against its history with the season taken out: (z, low, high) on the
/// figure's own scale, as `modified_z` gives them, or `None` where it cannot be judged.
fn seasonal_z(
    x: f64,
    history: &[f64],
    factors: &[f64],
    now_factor: f64,
    threshold: f64,
    min_mad: f64,
) -> Option<(f64, f64, f64)> {
    if now_factor <= 1e-9 {
        return None;
    }
    let mut adjusted = [0.0f64; OUTLIER_HISTORY];
    let mut n = 0;
    for (v, f) in history.iter().zip(factors) {
        if v.is_finite() && f.is_finite() && *f > 1e-9 && n < OUTLIER_HISTORY {
            adjusted[n] = v / f;
            n += 1;
        }
    }
    let (z, lo, hi) = modified_z(x / now_factor, &adjusted[..n], threshold, 6, min_mad)?;
    Some((z, lo * now_factor, hi * now_factor))
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
        let periods = if too_short || !regime.outliers {
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
                            .is_some_and(|i| !i.is_derived() && i.outliers)
                    {
                        cells.push((s.unit_code.as_str(), code.as_str()));
                    }
                }
            }
        }
        // A unit sent twice is one unit's history. The submissions come in unit order, each
        // one's figures in key order: most often sorted already.
        if !cells.is_sorted() {
            cells.sort_unstable();
        }
        cells.dedup();
        let history = vec![f64::NAN; cells.len() * periods.len()];
        Outliers {
            periods,
            cells,
            history,
        }
    }

    /// One past period's stored figures, as (the cell's index in `cells`, value).
    fn add(&mut self, p: Period, stored: &[(usize, f64)]) {
        let Some(at) = self.periods.iter().position(|x| *x == p) else {
            return;
        };
        let stride = self.periods.len();
        for &(i, value) in stored {
            if let Some(slot) = self.history.get_mut(i * stride + at) {
                *slot = value;
            }
        }
    }

    /// Each cell key's mean figure per period over the units read (NaN where none has one),
    /// and the number of units read.
    fn means(&self) -> foldhash::HashMap<&'a str, (Vec<f64>, usize)> {
        let stride = self.periods.len();
        let mut sums: foldhash::HashMap<&str, (Vec<f64>, Vec<u32>, usize)> =
            foldhash::HashMap::default();
        for (i, (_, key)) in self.cells.iter().enumerate() {
            let (sum, n, units) = sums
                .entry(key)
                .or_insert_with(|| (vec![0.0; stride], vec![0; stride], 0));
            *units += 1;
            for (at, v) in self.history[i * stride..(i + 1) * stride]
                .iter()
                .enumerate()
            {
                if v.is_finite() {
                    sum[at] += v;
                    n[at] += 1;
                }
            }
        }
        sums.into_iter()
            .map(|(k, (sum, n, units))| {
                let mean = sum
                    .iter()
                    .zip(&n)
                    .map(|(s, n)| if *n == 0 { f64::NAN } else { s / f64::from(*n) })
                    .collect();
                (k, (mean, units))
            })
            .collect()
    }

    /// The warnings, strongest first, with `cell` finding a (unit, cell key)'s index among
    /// `cells`; and a note where the season left some figures unjudged.
    fn finish<'s>(
        self,
        config: &Config,
        now: Period,
        accepted: &'s [Submission],
        threshold: f64,
    ) -> Vec<Diagnostic> {
        if self.periods.is_empty() {
            return Vec::new();
        }
        let stride = self.periods.len();
        let seasonal = !matches!(now.frequency(), Frequency::NineMonths | Frequency::Yearly);
        // A season needs a few units to show: a figure one unit alone reports is judged
        // against its own history as it is (its season would be itself).
        let factors: foldhash::HashMap<&str, (Vec<f64>, Option<f64>)> = self
            .means()
            .into_iter()
            .map(|(k, (m, units))| {
                let by_season = seasonal && units >= MIN_UNITS_FOR_SEASON;
                (k, seasonal_factors(&m, &self.periods, now, by_season))
            })
            .collect();
        // Each unit judged on its own, on every core; the findings kept in the units' order.
        let judged = |s: &'s Submission| -> Judged<'s> {
            let mut found: Vec<(f64, Diagnostic)> = Vec::new();
            let mut unjudged: Vec<&str> = Vec::new();
            // The unit's cells (sorted by key, as its figures are): each figure's cell found by
            // walking them along (a nation's month judges ~400,000 figures).
            let unit = s.unit_code.as_str();
            let from = self.cells.partition_point(|c| c.0 < unit);
            let to = from + self.cells[from..].partition_point(|c| c.0 == unit);
            let mut next = from;
            for ((code, col), v) in &s.values {
                if *col != InputColumn::ThucHien {
                    continue;
                }
                while next < to && self.cells[next].1 < code.as_str() {
                    next += 1;
                }
                if next == to || self.cells[next].1 != code.as_str() {
                    continue;
                }
                let i = next;
                let Some((f, now_factor)) = factors.get(code.as_str()) else {
                    continue;
                };
                let Some(now_factor) = now_factor else {
                    unjudged.push(crate::model::indicator_of(code));
                    continue;
                };
                let h = &self.history[i * stride..(i + 1) * stride];
                let min_mad = match config.indicator_of_key(code).map(|i| i.value_type) {
                    Some(crate::catalog::ValueType::Integer) => 1.0,
                    _ => 0.0,
                };
                let Some((z, lo, hi)) = seasonal_z(v.value, h, f, *now_factor, threshold, min_mad)
                else {
                    continue;
                };
                if z.abs() > threshold {
                    let n = h.iter().filter(|x| x.is_finite()).count();
                    let ind = config.indicator_of_key(code);
                    let d = ind.map_or(2, |i| i.decimals());
                    let lo = ind.map_or(lo, |i| lo.max(i.lower_bound()));
                    found.push((z.abs(), Diagnostic::new(
                        Code::Outlier,
                        &v.location,
                        format!(
                            "{} = {} khác thường so với {n} kỳ trước của đơn vị, đã tính đến mùa vụ (khoảng thường gặp {} – {}).\nKiểm tra lại số liệu; nếu đúng, ghi chú nguyên nhân trong báo cáo.",
                            subject(config, &s.unit_code, code), fmt_vn(v.value, 2), fmt_vn(lo, d), fmt_vn(hi, d)
                        ),
                    )));
                }
            }
            (found, unjudged)
        };
        let per_unit: Vec<Judged<'s>> = {
            use rayon::prelude::*;
            accepted.par_iter().with_min_len(64).map(judged).collect()
        };
        let mut found: Vec<(f64, Diagnostic)> = Vec::new();
        let mut unjudged: BTreeSet<&str> = BTreeSet::new();
        for (f, u) in per_unit {
            found.extend(f);
            unjudged.extend(u);
        }
        // Strongest first; equal scores in the order found.
        found.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut out: Vec<Diagnostic> = found.into_iter().map(|(_, d)| d).collect();
        if !unjudged.is_empty() {
            out.push(Diagnostic::new(
                Code::OutlierSkipped,
                Location::file(""),
                format!(
                    "Chưa kiểm tra số liệu khác thường của {} chỉ tiêu ({}): kho lịch sử chưa có {} của năm trước nên chưa biết mùa vụ của kỳ này.\nKhông cần làm gì; kiểm tra này tự chạy khi kho có số cùng kỳ năm trước (hoặc nạp bằng baocao import-history).",
                    unjudged.len(),
                    unjudged.iter().take(10).copied().collect::<Vec<_>>().join(", ")
                        + if unjudged.len() > 10 { ", …" } else { "" },
                    now.same_period_last_year().short_label(),
                ),
            ));
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
                        &v.location,
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
    fn merged_units_sums_add_to_their_successors_own_and_the_rest_stay_theirs() {
        // 98001 and 98002 merged into 99001, which reported itself too: its rice output is
        // 1.000 + 100 + 50 = 1.150; the SIPAS index (an average) cannot be added: 99001 keeps
        // its 80 and 98001 its 90, for the units above them. 99002 is left as it is.
        let mut config =
            Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"))
                .unwrap();
        config.successions.push(crate::catalog::Succession {
            new: "99001".into(),
            old: vec!["98001".into(), "98002".into()],
            date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            note: None,
        });
        let sub = |unit: &str, figures: &[(&str, f64)]| {
            let values = figures
                .iter()
                .map(|(k, v)| {
                    let value = crate::model::Value {
                        value: *v,
                        location: Default::default(),
                    };
                    (
                        (crate::model::CellKey::from(*k), InputColumn::ThucHien),
                        value,
                    )
                })
                .collect();
            Submission::of_figures("ktxh", "2025-10".parse().unwrap(), unit.into(), values)
        };
        let (out, successors) = apply_successions(
            &config,
            vec![
                sub("98001", &[("NN05", 100.0), ("HC05", 90.0)]),
                sub("98002", &[("NN05", 50.0)]),
                sub("99001", &[("NN05", 1000.0), ("HC05", 80.0)]),
                sub("99002", &[("NN05", 20.0)]),
            ],
        );
        assert_eq!(successors, ["99001"]);
        let figures = |unit: &str| -> Vec<(String, f64)> {
            out.iter()
                .filter(|s| s.unit_code == unit)
                .flat_map(|s| s.values.iter().map(|((k, _), v)| (k.to_string(), v.value)))
                .collect()
        };
        assert_eq!(
            figures("99001"),
            [("HC05".into(), 80.0), ("NN05".into(), 1150.0)]
        );
        assert_eq!(figures("98001"), [("HC05".into(), 90.0)]);
        assert_eq!(figures("98002"), []);
        assert_eq!(figures("99002"), [("NN05".into(), 20.0)]);
        assert_eq!(out.len(), 3);
    }

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

    /// 24 months (July 2024 – June 2026) of a harvest that triples in June and August and is
    /// five times the rest of the year in July: a unit's figure is 100 × the season, ±2%; the
    /// province's mean figure is 1.000 × the season.
    fn harvest() -> (Vec<Period>, Vec<f64>, Vec<f64>) {
        let season = |m: u32| match m {
            6 | 8 => 3.0,
            7 => 5.0,
            _ => 1.0,
        };
        let periods: Vec<Period> = (0..24)
            .map(|i| {
                let n = 2024 * 12 + 6 + i; // July 2024 = month index 6 of 2024
                Period::Month {
                    year: (n / 12) as i32,
                    month: n % 12 + 1,
                }
            })
            .collect();
        let unit: Vec<f64> = periods
            .iter()
            .enumerate()
            .map(|(i, p)| 100.0 * season(season_of(*p)) * if i % 2 == 0 { 1.02 } else { 0.98 })
            .collect();
        let means: Vec<f64> = periods
            .iter()
            .map(|p| 1000.0 * season(season_of(*p)))
            .collect();
        (periods, unit, means)
    }

    fn season_of(p: Period) -> u32 {
        super::season(p)
    }

    #[test]
    fn a_season_is_drawn_from_the_units_read_and_counts_them() {
        let periods: Vec<Period> = ["2026-01", "2026-02"]
            .iter()
            .map(|p| p.parse().unwrap())
            .collect();
        // Two units report DL01 (10, 30 and 20, NaN), one unit alone reports XX01.
        let o = Outliers {
            periods,
            cells: vec![("A", "DL01"), ("A", "XX01"), ("B", "DL01")],
            history: vec![10.0, 30.0, 5.0, 5.0, 20.0, f64::NAN],
        };
        let means = o.means();
        let (dl, units) = &means["DL01"];
        assert_eq!(*units, 2);
        assert_eq!(dl, &vec![15.0, 30.0]);
        assert_eq!(
            means["XX01"].1, 1,
            "too few units for a season of their own"
        );
        const { assert!(MIN_UNITS_FOR_SEASON > 2) };
    }

    #[test]
    fn a_seasonal_swing_is_not_an_outlier_but_a_tenfold_figure_is() {
        let (periods, unit, means) = harvest();
        let july: Period = "2026-07".parse().unwrap();
        // Without the season, July's usual 500 looks far out of the unit's range.
        let (z, _, _) = modified_z(500.0, &unit, 3.5, 6, 0.0).unwrap();
        assert!(z > 3.5, "raw z {z}");
        // The factors: the mean of the monthly means is 1.000 × 40 / 24; July's is 5.000 of it
        // = 3,0 (both Julys of the store).
        let (factors, now) = seasonal_factors(&means, &periods, july, true);
        let now = now.expect("July is in the store");
        assert!((now - 3.0).abs() < 1e-9, "{now}");
        assert!((factors[0] - 3.0).abs() < 1e-9, "July 2024: {}", factors[0]);
        // 500 / 3 against the unit's history divided by its months' factors (all 166,7 ± 2%).
        let (z, lo, hi) = seasonal_z(500.0, &unit, &factors, now, 3.5, 0.0).unwrap();
        assert!(z.abs() < 3.5, "seasonal z {z}");
        assert!(lo < 500.0 && 500.0 < hi, "{lo} – {hi} on July's scale");
        // A planted 10× figure still is one.
        let (z, _, hi) = seasonal_z(5000.0, &unit, &factors, now, 3.5, 0.0).unwrap();
        assert!(z > 3.5 && hi < 5000.0, "planted z {z}");
        // Without a July in the store the season of July is unknown: nothing is judged.
        let (_, none) = seasonal_factors(&means[1..12], &periods[1..12], july, true);
        assert!(none.is_none());
        // A year has no season: factors of 1.
        let (ones, one) = seasonal_factors(&means, &periods, july, false);
        assert!(ones.iter().all(|f| *f == 1.0) && one == Some(1.0));
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
        // Unsorted, and longer than a window (30 figures, copied to the heap): 1..=30 shuffled,
        // median 15.5, deviations 0.5..14.5 twice, MAD 7.5.
        let long: Vec<f64> = (0..30).map(|i| f64::from((i * 7) % 30 + 1)).collect();
        let (z, lo, _) = modified_z(40.0, &long, 3.5, 6, 0.0).unwrap();
        assert!((z - 0.6745 * 24.5 / 7.5).abs() < 1e-12);
        assert!((lo - (15.5 - 3.5 * 7.5 / 0.6745)).abs() < 1e-12);
    }

    #[test]
    fn periods_read_two_at_a_time_are_taken_in_order_with_their_index() {
        let mut taken = Vec::new();
        two_at_a_time(&[3, 5, 7], |x| x * 10, |i, x, r| taken.push((i, *x, r)));
        assert_eq!(taken, vec![(0, 3, 30), (1, 5, 50), (2, 7, 70)]);
        two_at_a_time(&[] as &[i32], |x| *x, |_, _, _| panic!("nothing to take"));
    }

    #[test]
    fn the_median_is_the_middle_figure_or_the_mean_of_the_two_in_any_order() {
        assert_eq!(median(&mut [3.0, -1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, -1.0, 2.0, 10.0]), 3.0);
        assert_eq!(median(&mut [7.5]), 7.5);
        assert_eq!(median(&mut [-2.0, -2.0, 5.0, -2.0]), -2.0);
    }
}
