//! Consolidation (tổng hợp): accepted figures up the unit tree, derived indicators after
//! aggregation, the annual plan and % of plan.
//!
//! The rest of the code sees `Consolidated`, plain cells per unit. Each figure is added once to
//! every unit above it (O(figures × depth), on every core: each cell is gathered by one core, in
//! the submissions' order); each indicator aggregates by its declared rule (sum, average, weighted average by a named
//! weight indicator, min, max, last, none — a figure that is not aggregated: a unit's own, or
//! its owner's where the owner is below it). Ratios and growth rates (`derived`) are computed
//! from the consolidated components at every level, never averaged.

use std::collections::{BTreeMap, BTreeSet};

use litemap::LiteMap;
use rayon::prelude::*;

use crate::catalog::{Aggregation, Config, Indicator, InputColumn, NoValue, Regime};
use crate::model::Submission;
use crate::model::{cell_key, split_key, Disagg};
use crate::period::Period;

/// Consolidated figures of one regime and period, for the receiver and every unit below it
/// that has figures.
///
/// Cells are kept per unit with their cell keys interned (one string per key for the whole
/// result, not one per figure): at 10,000 communes that is about 1.4 million figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consolidated {
    pub regime: String,
    pub period: Option<Period>,
    /// The receiving unit (the top of the tree consolidated here).
    pub root: String,
    /// Units with figures, parents before children, in the config's order.
    pub units: Vec<String>,
    /// Cell keys by their index: the indicator code for a total, `CODE[dim=opt;…]` for a
    /// disaggregated cell (`crate::model`).
    keys: Vec<String>,
    /// (Lookups by unit code and cell key run millions of times a batch: foldhash maps;
    /// nothing iterates them where order shows.)
    key_index: foldhash::HashMap<String, u32>,
    /// Each unit's figures and contributor counts.
    cells: foldhash::HashMap<String, UnitCells>,
    /// (unit, cell key, column) → why a derived cell has no value although its operands have
    /// (division by zero, overflow): shown as a note beside the empty cell.
    pub notes: BTreeMap<(String, String, InputColumn), String>,
    /// Cells whose aggregate overflowed (left empty, with a note).
    pub overflowed: Vec<(String, String, InputColumn)>,
}

/// An interned cell key of one `Consolidated`, for lookups repeated over many units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyId(u32);

/// One unit's consolidated figures, for lookups repeated over many cells.
#[derive(Debug, Clone, Copy)]
pub struct UnitFigures<'a>(&'a UnitCells);

impl KeyId {
    /// A dense index (below the number of keys of its `Consolidated`), for tables by key.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Where each key id stands in a list of ids (`None` for a key no unit has): by the id's
    /// index, its positions (one, unless the list names a key twice). For a walk of a unit's
    /// figures in key order that fills a table in the list's order.
    pub fn positions(ids: impl IntoIterator<Item = Option<KeyId>>) -> Vec<Vec<usize>> {
        let mut at: Vec<Vec<usize>> = Vec::new();
        for (i, id) in ids.into_iter().enumerate() {
            if let Some(id) = id {
                if at.len() <= id.index() {
                    at.resize(id.index() + 1, Vec::new());
                }
                at[id.index()].push(i);
            }
        }
        at
    }
}

impl<'a> UnitFigures<'a> {
    pub fn get(&self, key: KeyId, column: InputColumn) -> Option<f64> {
        self.0.values.get(&(key.0, column)).copied()
    }

    /// Every figure of the unit, in key order: one sequential walk where a table of many units
    /// is filled (a lookup per cell would visit every unit's tree for each row).
    pub fn iter(&self) -> impl Iterator<Item = (KeyId, InputColumn, f64)> + 'a {
        self.0.values.iter().map(|(&(k, c), &v)| (KeyId(k), c, v))
    }

    /// The number of figures the unit has.
    pub fn len(&self) -> usize {
        self.0.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.values.is_empty()
    }
}

/// One unit's consolidated cells, by (cell key index, column). Sorted vectors (`LiteMap`): 16
/// bytes a figure where a B-tree took about twice that, a nation's 1.3 million figures.
#[derive(Debug, Clone, Default, PartialEq)]
struct UnitCells {
    values: LiteMap<(u32, InputColumn), f64>,
    /// Cell key index → number of reporting units whose figures went into it.
    contributors: LiteMap<u32, u32>,
}

impl UnitCells {
    /// Room for exactly `additional` more figures (a list that doubles as it grows leaves up
    /// to half of it spare).
    fn reserve_exact(&mut self, additional: usize) {
        let mut pairs = std::mem::take(&mut self.values).into_tuple_vec();
        pairs.reserve_exact(additional);
        self.values = LiteMap::from_sorted_store_unchecked(pairs);
    }

    /// No spare room kept in either list.
    fn shrink(&mut self) {
        fn shrunk<K: Ord, V>(map: &mut LiteMap<K, V>) {
            let mut pairs = std::mem::take(map).into_tuple_vec();
            pairs.shrink_to_fit();
            *map = LiteMap::from_sorted_store_unchecked(pairs);
        }
        shrunk(&mut self.values);
        shrunk(&mut self.contributors);
    }
}

impl Consolidated {
    /// Only the receiving unit's figures kept (a comparison period shown for the receiver
    /// alone: the other units' figures, most of the memory, are let go).
    pub fn keep_root_only(&mut self) {
        let root = self.root.clone();
        self.units.retain(|u| *u == root);
        self.cells.retain(|u, _| *u == root);
        self.cells.shrink_to_fit();
        self.notes.retain(|(u, _, _), _| *u == root);
        self.overflowed.retain(|(u, _, _)| *u == root);
    }

    /// A result holding `root`'s `figures` alone, as `keep_root_only` leaves one: a past
    /// period's figures kept by `history::cache`, rebuilt.
    pub fn of_root(
        regime: String,
        period: Option<Period>,
        root: String,
        units: Vec<String>,
        figures: impl IntoIterator<Item = (String, InputColumn, f64)>,
    ) -> Consolidated {
        let mut c = Consolidated {
            regime,
            period,
            root,
            units,
            ..Consolidated::default()
        };
        let root = c.root.clone();
        for (key, column, value) in figures {
            c.set(&root, &key, column, value);
        }
        c
    }

    fn key_id(&self, key: &str) -> Option<u32> {
        self.key_index.get(key).copied()
    }

    /// A cell key's id, when any unit has a figure for it.
    pub fn key(&self, key: &str) -> Option<KeyId> {
        self.key_id(key).map(KeyId)
    }

    /// A unit's figures, when it has any cell.
    pub fn unit(&self, unit: &str) -> Option<UnitFigures<'_>> {
        self.cells.get(unit).map(UnitFigures)
    }

    fn intern(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.key_index.get(key) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(key.to_string());
        self.key_index.insert(key.to_string(), i);
        i
    }

    fn unit_mut(&mut self, unit: &str) -> &mut UnitCells {
        if !self.cells.contains_key(unit) {
            self.cells.insert(unit.to_string(), UnitCells::default());
        }
        self.cells.get_mut(unit).expect("just inserted")
    }

    pub fn get(&self, unit: &str, key: &str, column: InputColumn) -> Option<f64> {
        let k = self.key_id(key)?;
        self.cells.get(unit)?.values.get(&(k, column)).copied()
    }

    /// Sets one cell's figure.
    pub fn set(&mut self, unit: &str, key: &str, column: InputColumn, value: f64) {
        let k = self.intern(key);
        self.unit_mut(unit).values.insert((k, column), value);
    }

    fn remove(&mut self, unit: &str, key: &str, column: InputColumn) {
        if let (Some(k), Some(cells)) = (self.key_id(key), self.cells.get_mut(unit)) {
            cells.values.remove(&(k, column));
        }
    }

    /// Every figure and note of `column` replaced by `from`'s (the year-to-date computed from
    /// the store replaces the one the units typed). A unit with figures in `from` alone (a
    /// unit rejected this period, counted with its earlier periods) joins `units`, in the
    /// tree's order.
    pub fn replace_column(&mut self, config: &Config, column: InputColumn, from: &Consolidated) {
        for cells in self.cells.values_mut() {
            cells.values.retain(|(_, c), _| *c != column);
        }
        self.notes.retain(|(_, _, c), _| *c != column);
        self.overflowed.retain(|(_, _, c)| *c != column);
        for unit in &from.units {
            // Keys interned in key order: the same ids run after run.
            let mut figures: Vec<(&str, f64)> = from
                .unit_values(unit)
                .filter(|(_, c, _)| *c == column)
                .map(|(k, _, v)| (k, v))
                .collect();
            figures.sort_by(|a, b| a.0.cmp(b.0));
            for (key, value) in figures {
                self.set(unit, key, column, value);
            }
        }
        for (at, note) in &from.notes {
            if at.2 == column {
                self.notes.insert(at.clone(), note.clone());
            }
        }
        self.overflowed
            .extend(from.overflowed.iter().filter(|o| o.2 == column).cloned());
        let with: BTreeSet<&str> = self
            .units
            .iter()
            .chain(&from.units)
            .map(String::as_str)
            .collect();
        self.units = config
            .units
            .subtree(&self.root)
            .into_iter()
            .filter(|u| with.contains(u.as_str()))
            .collect();
    }

    /// The number of reporting units whose figures went into a unit's cell.
    pub fn contributors(&self, unit: &str, key: &str) -> Option<usize> {
        let k = self.key_id(key)?;
        let n = self.cells.get(unit)?.contributors.get(&k).copied()?;
        Some(n as usize)
    }

    /// Whether a unit has any figure.
    pub fn has_figures(&self, unit: &str) -> bool {
        self.cells.get(unit).is_some_and(|c| !c.values.is_empty())
    }

    /// A unit's figures: (cell key, column, value), in no particular key order.
    pub fn unit_values<'a>(
        &'a self,
        unit: &str,
    ) -> impl Iterator<Item = (&'a str, InputColumn, f64)> + 'a {
        self.cells.get(unit).into_iter().flat_map(move |c| {
            c.values
                .iter()
                .map(move |((k, col), v)| (self.keys[*k as usize].as_str(), *col, *v))
        })
    }

    /// Every figure: (unit, cell key, column, value), in no particular order.
    pub fn values(&self) -> impl Iterator<Item = (&str, &str, InputColumn, f64)> + '_ {
        self.cells.iter().flat_map(move |(u, c)| {
            c.values
                .iter()
                .map(move |((k, col), v)| (u.as_str(), self.keys[*k as usize].as_str(), *col, *v))
        })
    }

    /// Year-to-date (or, without it, the period's figure) as % of the annual plan.
    pub fn percent_of_plan(&self, unit: &str, indicator: &str) -> Option<f64> {
        let plan = self.get(unit, indicator, InputColumn::KeHoach)?;
        let done = self
            .get(unit, indicator, InputColumn::LuyKe)
            .or_else(|| self.get(unit, indicator, InputColumn::ThucHien))?;
        (plan != 0.0).then(|| round(done / plan * 100.0))
    }
}

/// Rounds away floating-point noise (sums are exact to far more than 9 decimals here).
/// A figure too large to scale (past about 1,8e299) has no noise to remove and is kept as it is.
fn round(v: f64) -> f64 {
    let scaled = v * 1e9;
    if scaled.is_finite() {
        scaled.round() / 1e9
    } else {
        v
    }
}

/// A cell of a derived indicator and what its value is computed from.
struct DerivedCell {
    key: String,
    disagg: Disagg,
    /// The figures read, as (indicator, cell), in the order the formula reads them; a ratio's
    /// numerator then denominator.
    refs: Vec<(String, Disagg)>,
    /// Their cell keys, and the keys' ids where a unit had a figure when the cell was prepared.
    keys: Vec<String>,
    ids: Vec<Option<u32>>,
}

/// A derived cell's value, or why it has none, at one unit: (cell index, column, result).
type Computed = (usize, InputColumn, Result<f64, NoValue>);

/// A derived cell's value at one unit and column, from the figures of its `refs` there: by
/// its formula, or as a ratio or growth of two indicators' same cells.
fn derive(i: &Indicator, cell: &DerivedCell, figures: &[Option<f64>]) -> Result<f64, NoValue> {
    if let Some(f) = &i.parsed_formula {
        return f.eval_given(&cell.refs, figures);
    }
    let Some(r) = i.derived.as_ref() else {
        return Err(NoValue::Missing(i.code.clone(), cell.disagg.clone()));
    };
    let (n, den) = (
        figures.first().copied().flatten(),
        figures.get(1).copied().flatten(),
    );
    match (n, den) {
        (Some(_), Some(0.0)) => Err(NoValue::DivisionByZero),
        _ => r
            .compute(n, den)
            .ok_or_else(|| NoValue::Missing(r.numerator.clone(), cell.disagg.clone())),
    }
}

/// What one unit's cell gathers from the figures below it (and its own, where they count), for
/// every kind of aggregation at once: each kind reads the part it needs.
#[derive(Debug, Clone, Copy)]
struct Acc {
    sum: Sum,
    n: usize,
    min: f64,
    max: f64,
    /// Weighted average: Σ value × weight and Σ weight over figures that have a weight.
    wsum: Sum,
    wtot: Sum,
    /// `last`: the figure of the latest receipt (rank, value).
    last: Option<(u32, f64)>,
    /// `none`: the unit's own figure, and the owner's.
    own: Option<f64>,
    owned: Option<f64>,
}

impl Default for Acc {
    fn default() -> Acc {
        Acc {
            sum: Sum::default(),
            n: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            wsum: Sum::default(),
            wtot: Sum::default(),
            last: None,
            own: None,
            owned: None,
        }
    }
}

/// A compensated sum (Neumaier): the rounding error of each addition is carried, so the total
/// of ten thousand figures with decimals is the exact total to well within the 9 decimals kept
/// (a plain running sum drifts: 1.499.263,54 came out as 1.499.263,539999999), whatever the
/// order the figures arrive in.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f64 {
        let t = self.sum + self.compensation;
        // An overflowing sum stays infinite (the caller leaves the cell empty).
        if t.is_finite() {
            t
        } else {
            self.sum
        }
    }
}

/// One accepted figure on its way up the tree.
struct Figure<'a> {
    unit: &'a str,
    indicator: &'a Indicator,
    value: f64,
    /// The same unit's figure of the weight indicator's same cell (weighted averages).
    weight: Option<f64>,
    rank: u32,
}

/// A submission routed up the tree: whether it is a leaf (its unit's figures are its own
/// cells), the gathering units its figures go to, and its receipt rank (for `last`).
struct Routed<'a> {
    sub: &'a Submission,
    leaf: bool,
    chain: Vec<u32>,
    rank: u32,
}

/// A figure resolved: (key index, column, value, weight).
type Resolved = (u32, InputColumn, f64, Option<f64>);

/// Submissions resolved together (`RUN` of them).
struct ResolvedRun<'a> {
    routed: &'a [Routed<'a>],
    /// The run's cell keys that consolidate, in order of first use, with their indicators.
    keys: Vec<(&'a str, &'a Indicator)>,
    /// Each submission's figures: (run's key index, column, value, weight).
    figures: Vec<Vec<Resolved>>,
}

/// A run's figures with the result's key ids (`ids`: the run's key index → id).
fn in_result<'a>(ids: &'a [u32], figures: &'a [Resolved]) -> impl Iterator<Item = Resolved> + 'a {
    figures
        .iter()
        .map(move |&(local, column, value, weight)| (ids[local as usize], column, value, weight))
}

/// A count or a share of answers, as consolidation computes it: the question (none for the
/// number of reporting units), the answer's value, and what a unit answering it counts for.
pub struct Counted<'a> {
    indicator: &'a Indicator,
    of: Option<&'a str>,
    answer: f64,
    scale: f64,
}

/// The counts and shares a regime's consolidation computes: every one whose question the
/// regime asks, and the number of reporting units where the regime uses it (on its form, in a
/// formula of its form, in its table of units).
fn counted<'a>(config: &'a Config, regime: &Regime) -> Vec<Counted<'a>> {
    let on_form: BTreeSet<&str> = regime.form_codes().collect();
    let uses_units = on_form.iter().any(|c| {
        *c == crate::catalog::REPORTING_UNITS
            || config
                .indicator(c)
                .is_some_and(|i| i.operands().contains(&crate::catalog::REPORTING_UNITS))
    }) || regime.uses_indicator(crate::catalog::REPORTING_UNITS);
    config
        .indicators
        .values()
        .filter(|i| i.is_counted())
        .filter_map(|i| {
            let Some(of) = i.of.as_deref() else {
                return uses_units.then_some(Counted {
                    indicator: i,
                    of: None,
                    answer: 0.0,
                    scale: 1.0,
                });
            };
            let answer = config.indicator(of)?.answer_named(i.answer.as_deref()?)?;
            on_form.contains(of).then_some(Counted {
                indicator: i,
                of: Some(of),
                answer,
                scale: if i.aggregation == Aggregation::Share {
                    100.0
                } else {
                    1.0
                },
            })
        })
        .collect()
}

/// A submission's figures of counts and shares: for each, in each column where the unit
/// answered the question, its `scale` when the answer is the one counted, else 0; for the
/// number of reporting units, 1 in each column the unit filled.
fn counted_figures<'a>(
    counts: &'a [Counted<'a>],
    s: &'a Submission,
) -> impl Iterator<Item = (&'a Indicator, InputColumn, f64)> + 'a {
    counts.iter().flat_map(move |c| {
        InputColumn::ALL
            .into_iter()
            .filter_map(move |col| match c.of {
                Some(of) => s
                    .value(of, col)
                    .map(|v| (c.indicator, col, if v == c.answer { c.scale } else { 0.0 })),
                None => {
                    s.values
                        .keys()
                        .any(|(_, kc)| *kc == col)
                        .then_some((c.indicator, col, 1.0))
                }
            })
    })
}

/// Submissions per `ResolvedRun`.
const RUN: usize = 256;

/// The figures of a run of submissions that consolidate (a derived indicator's are computed,
/// not added), with their weights.
fn resolve_run<'a>(
    config: &'a Config,
    counts: &'a [Counted<'a>],
    routed: &'a [Routed<'a>],
) -> ResolvedRun<'a> {
    let mut index: foldhash::HashMap<&'a str, Option<u32>> = foldhash::HashMap::default();
    let mut keys: Vec<(&'a str, &'a Indicator)> = Vec::new();
    let figures = routed
        .iter()
        .map(|sent| {
            let s = sent.sub;
            let mut list = Vec::with_capacity(s.values.len());
            for (count, column, value) in counted_figures(counts, s) {
                let found = *index.entry(count.code.as_str()).or_insert_with(|| {
                    keys.push((count.code.as_str(), count));
                    Some(keys.len() as u32 - 1)
                });
                if let Some(local) = found {
                    list.push((local, column, value, None));
                }
            }
            for ((code, column), v) in &s.values {
                let found = *index.entry(code.as_str()).or_insert_with(|| {
                    let i = config
                        .indicator_of_key(code)
                        .filter(|i| !i.is_derived() && !i.is_counted())?;
                    keys.push((code.as_str(), i));
                    Some(keys.len() as u32 - 1)
                });
                let Some(local) = found else { continue };
                let i = keys[local as usize].1;
                list.push((
                    local,
                    *column,
                    v.value,
                    weight_of(config, i, s, code, *column),
                ));
            }
            list
        })
        .collect();
    ResolvedRun {
        routed,
        keys,
        figures,
    }
}

impl Acc {
    fn add(&mut self, f: &Figure<'_>, ancestor: &str) {
        self.sum.add(f.value);
        self.n += 1;
        self.min = self.min.min(f.value);
        self.max = self.max.max(f.value);
        if let Some(w) = f.weight {
            self.wsum.add(f.value * w);
            self.wtot.add(w);
        }
        if self.last.is_none_or(|(r, _)| f.rank >= r) {
            self.last = Some((f.rank, f.value));
        }
        if self.own.is_none() && f.unit == ancestor {
            self.own = Some(f.value);
        }
        if self.owned.is_none() && f.indicator.owner.as_deref() == Some(f.unit) {
            self.owned = Some(f.value);
        }
    }

    /// The cell's figure by the indicator's aggregation; `None` when it has none (a weighted
    /// average without weights, a `none` figure nobody owns here).
    fn result(&self, aggregation: Aggregation) -> Option<f64> {
        match aggregation {
            Aggregation::Sum => Some(self.sum.total()),
            Aggregation::Average => Some(self.sum.total() / self.n as f64),
            Aggregation::Min => Some(self.min),
            Aggregation::Max => Some(self.max),
            Aggregation::WeightedAverage => {
                let w = self.wtot.total();
                (w != 0.0).then(|| self.wsum.total() / w)
            }
            Aggregation::Last => self.last.map(|(_, v)| v),
            Aggregation::None => self.own.or(self.owned),
            Aggregation::Derived => None,
            // Each unit counts 1 or 0 (a share: 100 or 0): a count is their sum, a share
            // their mean over the units that answered.
            Aggregation::Count => Some(self.sum.total()),
            Aggregation::Share => (self.n > 0).then(|| self.sum.total() / self.n as f64),
        }
    }
}

/// Consolidates accepted submissions up to the regime's receiver.
///
/// Each accepted figure is added to its unit's cell and to the same cell of every unit above
/// it up to the receiver (`Acc`); a unit's own figures count only where the regime says so, or
/// where nothing below it reported (otherwise they would be counted twice). Derived cells are
/// then computed from the consolidated cells at every unit.
pub fn consolidate(
    config: &Config,
    regime: &Regime,
    period: Period,
    accepted: &[Submission],
) -> Consolidated {
    let root = regime.receiver.clone();
    let in_tree: foldhash::HashSet<String> = config.units.subtree(&root).into_iter().collect();
    let mut out = Consolidated {
        regime: regime.id.clone(),
        period: Some(period),
        root: root.clone(),
        ..Consolidated::default()
    };
    let routes = route(config, regime, &in_tree, accepted);
    gather(config, regime, &routes, &mut out);
    apply_plan(config, regime, period, &in_tree, &mut out);
    drop_overflowed(&mut out);
    let units_with_values: BTreeSet<String> = out
        .cells
        .iter()
        .filter(|(_, c)| !c.values.is_empty())
        .map(|(u, _)| u.clone())
        .collect();
    for i in config.indicators.values().filter(|i| i.is_derived()) {
        derive_indicator(config, i, &units_with_values, &mut out);
    }
    out.units = config
        .units
        .subtree(&root)
        .into_iter()
        .filter(|u| units_with_values.contains(u))
        .collect();
    // The derived cells were added one indicator at a time, each unit's list doubling as it
    // grew: up to half of it spare, kept as long as the result is (a nation's quarter on a
    // matrix form: ~20 MB at the run's peak).
    for cells in out.cells.values_mut() {
        cells.shrink();
    }
    out
}

/// Where each accepted submission's figures go: the units that gather, by index (the key of
/// a gathering cell is (unit index, key, column)), and each submission's chain of them.
struct Routes<'a> {
    uppers: Vec<String>,
    routed: Vec<Routed<'a>>,
}

/// Routes the submissions of the receiver's tree. Cells of units above a reporting unit
/// gather figures; a unit nothing reports below takes its own figures as they are. Each
/// parent's chain of gathering units up to the root is found once rather than once per
/// submission.
fn route<'a>(
    config: &Config,
    regime: &Regime,
    in_tree: &foldhash::HashSet<String>,
    accepted: &'a [Submission],
) -> Routes<'a> {
    let root = regime.receiver.as_str();
    let with_reporting_descendant: foldhash::HashSet<String> = accepted
        .iter()
        .flat_map(|s| config.units.ancestors(&s.unit_code))
        .collect();

    // Receipt order, for `last`.
    let mut order: Vec<&Submission> = accepted.iter().collect();
    order.sort_by(|a, b| a.received_at.cmp(&b.received_at).then(a.file.cmp(&b.file)));
    let rank: foldhash::HashMap<&str, u32> = order
        .iter()
        .enumerate()
        .map(|(i, s)| (s.unit_code.as_str(), i as u32))
        .collect();

    let mut uppers: Vec<String> = Vec::new();
    let mut upper_index: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
    let mut chains: foldhash::HashMap<Option<&str>, Vec<u32>> = foldhash::HashMap::default();
    let mut intern_upper = |a: &str, uppers: &mut Vec<String>| -> u32 {
        if let Some(&i) = upper_index.get(a) {
            return i;
        }
        uppers.push(a.to_string());
        let i = uppers.len() as u32 - 1;
        upper_index.insert(a.to_string(), i);
        i
    };
    let mut routed: Vec<Routed<'_>> = Vec::new();
    for s in accepted {
        let leaf = !with_reporting_descendant.contains(&s.unit_code);
        if !in_tree.contains(&s.unit_code) || (!regime.include_own_figures && !leaf) {
            continue;
        }
        let mut chain: Vec<u32> = Vec::new();
        if !leaf {
            chain.push(intern_upper(&s.unit_code, &mut uppers));
        }
        let parent = config
            .units
            .get(&s.unit_code)
            .and_then(|u| u.parent.as_deref());
        let above_parent = chains.entry(parent).or_insert_with(|| {
            let mut list = Vec::new();
            for a in config.units.ancestors(&s.unit_code) {
                let top = a == root;
                list.push(intern_upper(&a, &mut uppers));
                if top {
                    break;
                }
            }
            list
        });
        chain.extend_from_slice(above_parent);
        routed.push(Routed {
            sub: s,
            leaf,
            chain,
            rank: rank[s.unit_code.as_str()],
        });
    }
    Routes { uppers, routed }
}

/// A gathering unit's cells, by (unit index, key id, column).
type Above = foldhash::HashMap<(u32, u32, InputColumn), Acc>;

/// Adds every routed figure to its unit's own cells and to the cells of the units above it.
///
/// A nation's month is a million figures from ten thousand communes: they are resolved, and
/// gathered, on every core. Each run of submissions resolves its figures' cell keys to ids of
/// its own (in order of first use), which then become the result's ids run after run: the
/// same ids, in the same order, as one pass over the submissions.
fn gather(config: &Config, regime: &Regime, routes: &Routes<'_>, out: &mut Consolidated) {
    let counts = counted(config, regime);
    let runs: Vec<ResolvedRun<'_>> = routes
        .routed
        .par_chunks(RUN)
        .map(|run| resolve_run(config, &counts, run))
        .collect();
    let (global, indicator_of) = result_ids(out, &runs);
    // Each gathering cell is only ever added to by one core, in the submissions' order (its
    // compensated sums are the same to the last bit as in one pass): the cells are split by
    // key id. Meanwhile the communes' own cells are made on the other cores.
    let (gathered, leaves) = rayon::join(
        || gather_above(&runs, &global, &indicator_of, &routes.uppers),
        || own_cells(&runs, &global, &indicator_of),
    );
    // A unit's own cells in the submissions' order (a unit sent twice: the later figure).
    for (unit, cells) in leaves {
        match out.cells.entry(unit.to_string()) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(cells);
            }
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let to = e.get_mut();
                to.values.extend(cells.values);
                to.contributors.extend(cells.contributors);
            }
        }
    }
    for above in &gathered {
        for (&(unit, k, column), acc) in above {
            let aggregation = indicator_of[k as usize].aggregation;
            put(
                out,
                &routes.uppers[unit as usize],
                k,
                column,
                aggregation,
                acc,
            );
        }
    }
}

/// Each run's key ids in the result (run's key index → id), and the indicator of each id.
fn result_ids<'a>(
    out: &mut Consolidated,
    runs: &[ResolvedRun<'a>],
) -> (Vec<Vec<u32>>, Vec<&'a Indicator>) {
    let mut indicator_of: Vec<&Indicator> = Vec::new();
    let mut global: Vec<Vec<u32>> = Vec::with_capacity(runs.len());
    for run in runs {
        global.push(
            run.keys
                .iter()
                .map(|&(code, i)| {
                    let k = out.intern(code);
                    // A key new to the result takes the next id.
                    if k as usize == indicator_of.len() {
                        indicator_of.push(i);
                    }
                    k
                })
                .collect(),
        );
    }
    (global, indicator_of)
}

/// The gathering units' cells, one map per core: core `part` adds the figures of the key ids
/// it owns (`id % parts`), in the submissions' order.
fn gather_above(
    runs: &[ResolvedRun<'_>],
    global: &[Vec<u32>],
    indicator_of: &[&Indicator],
    uppers: &[String],
) -> Vec<Above> {
    let parts = rayon::current_num_threads().max(1) as u32;
    (0..parts)
        .into_par_iter()
        .map(|part| {
            let mut above = Above::default();
            for (r, run) in runs.iter().enumerate() {
                for (sent, fig) in run.routed.iter().zip(&run.figures) {
                    for (k, column, value, weight) in in_result(&global[r], fig) {
                        if k % parts != part {
                            continue;
                        }
                        let figure = Figure {
                            unit: &sent.sub.unit_code,
                            indicator: indicator_of[k as usize],
                            value,
                            weight,
                            rank: sent.rank,
                        };
                        for &a in &sent.chain {
                            above
                                .entry((a, k, column))
                                .or_default()
                                .add(&figure, &uppers[a as usize]);
                        }
                    }
                }
            }
            above
        })
        .collect()
}

/// The own cells of each unit nothing reports below, in the submissions' order.
fn own_cells<'a>(
    runs: &'a [ResolvedRun<'a>],
    global: &[Vec<u32>],
    indicator_of: &[&Indicator],
) -> Vec<(&'a str, UnitCells)> {
    runs.par_iter()
        .enumerate()
        .flat_map_iter(|(r, run)| {
            let ids = &global[r];
            run.routed
                .iter()
                .zip(&run.figures)
                .filter(|(sent, fig)| sent.leaf && !fig.is_empty())
                .map(move |(sent, fig)| {
                    // Both lists of their final size: grown as they fill, they would hold up
                    // to twice that until consolidation ends (a nation's quarter on a matrix
                    // form: a million figures, ~10 MB).
                    let counted = fig.iter().filter(|f| f.1 == InputColumn::ThucHien).count();
                    let mut cells = UnitCells {
                        values: LiteMap::with_capacity(fig.len()),
                        contributors: LiteMap::with_capacity(counted),
                    };
                    for (k, column, value, weight) in in_result(ids, fig) {
                        let i = indicator_of[k as usize];
                        let mut acc = Acc::default();
                        let figure = Figure {
                            unit: &sent.sub.unit_code,
                            indicator: i,
                            value,
                            weight,
                            rank: sent.rank,
                        };
                        acc.add(&figure, &sent.sub.unit_code);
                        put_cell(&mut cells, k, column, i.aggregation, &acc);
                    }
                    (sent.sub.unit_code.as_str(), cells)
                })
        })
        .collect()
}

/// The plan file, where the config root has one, overrides the form's plan column.
fn apply_plan(
    config: &Config,
    regime: &Regime,
    period: Period,
    in_tree: &foldhash::HashSet<String>,
    out: &mut Consolidated,
) {
    if let Some(plan) = config.plan(&regime.id, period) {
        for ((unit, code), v) in plan {
            if in_tree.contains(unit) {
                out.set(unit, code, InputColumn::KeHoach, *v);
            }
        }
    }
}

/// A sum past the largest number (two figures near 1.7e308) is no figure: an empty cell with
/// a note, never infinity in an output.
fn drop_overflowed(out: &mut Consolidated) {
    let mut overflowed: Vec<(String, String, InputColumn)> = out
        .values()
        .filter(|(.., v)| !v.is_finite())
        .map(|(u, k, c, _)| (u.to_string(), k.to_string(), c))
        .collect();
    overflowed.sort();
    for (u, k, c) in &overflowed {
        out.remove(u, k, *c);
        out.notes
            .insert((u.clone(), k.clone(), *c), NoValue::NotFinite.note());
    }
    out.overflowed = overflowed;
}

/// A derived indicator, from consolidated components, at every unit and in every cell.
fn derive_indicator(
    config: &Config,
    i: &Indicator,
    units_with_values: &BTreeSet<String>,
    out: &mut Consolidated,
) {
    // An indicator none of whose operands has a figure here (another regime's) has no cell to
    // compute: it is skipped, not tried at every unit and cell.
    let has_figures_of = |out: &Consolidated, code: &str| {
        out.keys
            .iter()
            .any(|k| crate::model::indicator_of(k) == code)
    };
    let operands = i.operands();
    if !operands.is_empty() && !operands.iter().any(|c| has_figures_of(out, c)) {
        return;
    }
    if i.parsed_formula.is_none() && i.derived.is_none() {
        return;
    }
    let cells = derived_cells(config, i, out);
    // Which figures of each cell are cells of this same indicator (a formula may read
    // another of its own cells), by their index in `cells`.
    let own: Vec<Vec<Option<usize>>> = cells
        .iter()
        .map(|cell| {
            let at = |k: &String| cells.iter().position(|c| c.key == *k);
            cell.keys.iter().map(at).collect()
        })
        .collect();
    // Each unit's cells are computed on every core (a cell reads its own unit's figures
    // only, and the cells of its indicator computed before it there), then stored unit by
    // unit in the same order as one pass (a nation's quarter on a matrix form is ten
    // thousand units × eleven cells of a rate × four columns).
    let computed: Vec<Vec<Computed>> = units_with_values
        .par_iter()
        .map(|unit| derive_at(i, &cells, &own, out, unit))
        .collect();
    for (unit, results) in units_with_values.iter().zip(computed) {
        let figures = results.iter().filter(|(.., r)| r.is_ok()).count();
        out.unit_mut(unit).reserve_exact(figures);
        for (c, column, result) in results {
            let cell = &cells[c];
            match result {
                Ok(v) => out.set(unit, &cell.key, column, round(v)),
                Err(why) => {
                    out.notes
                        .insert((unit.clone(), cell.key.clone(), column), why.note());
                }
            }
        }
    }
}

/// Each cell of a derived indicator with the figures it is computed from (the formula's
/// references, or the ratio's numerator and denominator) and their keys, found once for all
/// units.
fn derived_cells(config: &Config, i: &Indicator, out: &Consolidated) -> Vec<DerivedCell> {
    config
        .cells_of(i)
        .into_iter()
        .map(|d| {
            let refs = match (&i.parsed_formula, &i.derived) {
                (Some(f), _) => f.refs_at(&d),
                (None, Some(r)) => vec![
                    (r.numerator.clone(), d.clone()),
                    (r.denominator.clone(), d.clone()),
                ],
                (None, None) => Vec::new(),
            };
            let keys: Vec<String> = refs.iter().map(|(code, rd)| cell_key(code, rd)).collect();
            let ids = keys.iter().map(|k| out.key_id(k)).collect();
            DerivedCell {
                key: cell_key(&i.code, &d),
                disagg: d,
                refs,
                keys,
                ids,
            }
        })
        .collect()
}

/// A derived indicator's cells at one unit, in every column: each value or why it has none
/// (a cell missing a figure is left out).
fn derive_at(
    i: &Indicator,
    cells: &[DerivedCell],
    own: &[Vec<Option<usize>>],
    out: &Consolidated,
    unit: &str,
) -> Vec<Computed> {
    let unit_cells = out.cells.get(unit);
    let mut done: Vec<Option<f64>> = vec![None; cells.len() * InputColumn::ALL.len()];
    let mut results = Vec::new();
    let mut figures = Vec::new();
    for (c, cell) in cells.iter().enumerate() {
        for column in InputColumn::ALL {
            figures.clear();
            for ((id, key), own) in cell.ids.iter().zip(&cell.keys).zip(&own[c]) {
                let here = own.and_then(|d| done[d * InputColumn::ALL.len() + column as usize]);
                // A key no unit had when the cell was prepared may have one now.
                let id = id.or_else(|| out.key_id(key));
                figures.push(here.or_else(|| {
                    id.zip(unit_cells)
                        .and_then(|(id, c)| c.values.get(&(id, column)).copied())
                }));
            }
            match derive(i, cell, &figures) {
                Err(NoValue::Missing(..)) => {}
                result => {
                    if let Ok(v) = result {
                        done[c * InputColumn::ALL.len() + column as usize] = Some(round(v));
                    }
                    results.push((c, column, result));
                }
            }
        }
    }
    results
}

/// The weight of a weighted-average figure: the same unit's figure of the weight indicator's
/// same cell and column (a disaggregated cell is weighted by the weight's same cell).
fn weight_of(
    config: &Config,
    i: &Indicator,
    s: &Submission,
    code: &str,
    column: InputColumn,
) -> Option<f64> {
    if i.aggregation != Aggregation::WeightedAverage {
        return None;
    }
    let w = i.weight.as_ref()?;
    let (_, d) = split_key(code);
    let wkey = if d.is_empty() {
        w.clone()
    } else {
        format!("{w}[{d}]")
    };
    // Only figures that are consolidated themselves weigh.
    config
        .indicator_of_key(&wkey)
        .filter(|wi| !wi.is_derived())?;
    s.value(&wkey, column)
}

/// Stores an accumulated cell's figure (rounded) and, for the period's own column, how many
/// reporting units went into it.
fn put(
    out: &mut Consolidated,
    unit: &str,
    k: u32,
    column: InputColumn,
    aggregation: Aggregation,
    acc: &Acc,
) {
    put_cell(out.unit_mut(unit), k, column, aggregation, acc);
}

/// `put` into a unit's cells already found.
fn put_cell(
    cells: &mut UnitCells,
    k: u32,
    column: InputColumn,
    aggregation: Aggregation,
    acc: &Acc,
) {
    if let Some(v) = acc.result(aggregation) {
        cells.values.insert((k, column), round(v));
    }
    if column == InputColumn::ThucHien {
        // A count of units: far below 2^32.
        cells.contributors.insert(k, acc.n as u32);
    }
}

/// One row of a consolidated list: the unit that listed it (the reporting unit, or the unit
/// below it a lower level's consolidated list names), the row's number in that unit's list,
/// and the row as read.
#[derive(Debug, Clone, Copy)]
pub struct ListLine<'a> {
    pub unit_code: &'a str,
    pub unit_name: &'a str,
    pub stt: usize,
    pub row: &'a crate::model::ListRow,
}

/// The regime's lists gathered up the tree: every accepted report's rows, the units in the
/// tree's order (the receiver's subtree), each unit's rows in its own order. A row a lower
/// level's consolidated list took from a unit below it keeps that unit's code and name.
/// Every list of the regime is there, empty where no unit listed anything.
pub fn gather_lists<'a>(
    config: &'a Config,
    regime: &Regime,
    accepted: &'a [Submission],
) -> BTreeMap<String, Vec<ListLine<'a>>> {
    let order: foldhash::HashMap<String, usize> = config
        .units
        .subtree(&regime.receiver)
        .into_iter()
        .enumerate()
        .map(|(i, u)| (u, i))
        .collect();
    let mut subs: Vec<&Submission> = accepted
        .iter()
        .filter(|s| order.contains_key(&s.unit_code))
        .collect();
    subs.sort_by_key(|s| order[&s.unit_code]);
    regime
        .lists
        .iter()
        .map(|spec| {
            let mut lines: Vec<ListLine> = Vec::new();
            for s in &subs {
                let name = config
                    .units
                    .get(&s.unit_code)
                    .map_or(s.unit_code.as_str(), |u| u.name.as_str());
                let rows = s.lists.get(&spec.code).map_or(&[][..], |t| &t.rows[..]);
                for row in rows {
                    let (unit_code, unit_name) = match &row.listed_by {
                        Some((code, name)) if name.is_empty() => (
                            code.as_str(),
                            config
                                .units
                                .get(code)
                                .map_or(code.as_str(), |u| u.name.as_str()),
                        ),
                        Some((code, name)) => (code.as_str(), name.as_str()),
                        None => (s.unit_code.as_str(), name),
                    };
                    // Numbered within the unit that listed the rows.
                    let stt = match lines.last() {
                        Some(l) if l.unit_code == unit_code => l.stt + 1,
                        _ => 1,
                    };
                    lines.push(ListLine {
                        unit_code,
                        unit_name,
                        stt,
                        row,
                    });
                }
            }
            (spec.code.clone(), lines)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Config;
    use crate::model::{Origin, ReceiptSource, Value};
    use std::path::Path;

    /// A small config: province P with district D (communes A, B) and commune C directly.
    fn config() -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("indicators")).unwrap();
        std::fs::create_dir_all(root.join("report-templates/t")).unwrap();
        std::fs::write(
            root.join("units.toml"),
            r#"
[[level]]
name = "tinh"
label = "Tỉnh"
[[level]]
name = "huyen"
label = "Huyện"
[[level]]
name = "xa"
label = "Xã"
[[unit]]
code = "P"
name = "Tỉnh P"
level = "tinh"
kind = "tinh"
[[unit]]
code = "D"
name = "Huyện D"
level = "huyen"
kind = "huyen"
parent = "P"
[[unit]]
code = "A"
name = "Xã A"
level = "xa"
kind = "xa"
parent = "D"
[[unit]]
code = "B"
name = "Xã B"
level = "xa"
kind = "xa"
parent = "D"
[[unit]]
code = "C"
name = "Xã C"
level = "xa"
kind = "xa"
parent = "P"
"#,
        )
        .unwrap();
        std::fs::write(
            root.join("indicators/a.toml"),
            r#"
[[indicator]]
code = "S"
name = "Tổng"
unit = "người"
type = "integer"
aggregation = "sum"
[[indicator]]
code = "AV"
name = "Bình quân"
unit = "điểm"
type = "decimal"
aggregation = "average"
[[indicator]]
code = "AREA"
name = "Diện tích"
unit = "ha"
type = "decimal"
aggregation = "sum"
[[indicator]]
code = "YIELD"
name = "Năng suất"
unit = "tạ/ha"
type = "decimal"
aggregation = "weighted-average"
weight = "AREA"
[[indicator]]
code = "MN"
name = "Nhỏ nhất"
unit = "m"
type = "decimal"
aggregation = "min"
[[indicator]]
code = "MX"
name = "Lớn nhất"
unit = "m"
type = "decimal"
aggregation = "max"
[[indicator]]
code = "L"
name = "Sau cùng"
unit = "đồng"
type = "decimal"
aggregation = "last"
[[indicator]]
code = "N"
name = "Không cộng"
unit = "%"
type = "percent"
aggregation = "none"
[[indicator]]
code = "OWN"
name = "Chỉ số của cơ quan chủ trì"
unit = "%"
type = "percent"
aggregation = "none"
owner = "C"
[[indicator]]
code = "POOR"
name = "Hộ nghèo"
unit = "hộ"
type = "integer"
aggregation = "sum"
[[indicator]]
code = "HH"
name = "Số hộ"
unit = "hộ"
type = "integer"
aggregation = "sum"
[[indicator]]
code = "RATE"
name = "Tỷ lệ hộ nghèo"
unit = "%"
type = "percent"
aggregation = "derived"
derived = { op = "ratio", numerator = "POOR", denominator = "HH" }
[[dimension]]
code = "tien_do"
name = "Tiến độ giải quyết"
options = [
  { code = "truoc_han", name = "Trước hạn" },
  { code = "dung_han", name = "Đúng hạn" },
  { code = "qua_han", name = "Quá hạn" },
]
[[indicator]]
code = "SETTLED"
name = "Số hồ sơ đã giải quyết"
unit = "hồ sơ"
type = "integer"
aggregation = "sum"
disaggregations = [["tien_do"]]
[[indicator]]
code = "ONTIME"
name = "Tỷ lệ giải quyết đúng hạn"
unit = "%"
type = "percent"
aggregation = "derived"
formula = "(SETTLED[tien_do=truoc_han] + SETTLED[tien_do=dung_han]) / SETTLED * 100"
"#,
        )
        .unwrap();
        std::fs::write(
            root.join("report-templates/t/regime.toml"),
            r#"
id = "t"
name = "Thử"
legal_basis = "x"
content = "x"
method = "x"
instructions = "x"
frequencies = ["monthly"]
cutoff = { rule = "calendar" }
receiver = "P"
reporters = { levels = ["xa", "huyen"] }
outline = "o.md.tera"
[[deadline]]
levels = ["xa", "huyen"]
rule = "working-days"
days = 2
[form]
number = "B1"
title = "T"
columns = ["thuc_hien"]
[[form.sections]]
title = "A"
rows = ["S", "AV", "AREA", "YIELD", "MN", "MX", "L", "N", "OWN", "POOR", "HH", "RATE", "SETTLED", "ONTIME"]
"#,
        )
        .unwrap();
        std::fs::write(root.join("report-templates/t/o.md.tera"), "x").unwrap();
        let c = Config::load(Path::new(root)).unwrap();
        (dir, c)
    }

    fn sub(unit: &str, minute: u32, vals: &[(&str, f64)]) -> Submission {
        Submission {
            file: format!("{unit}.xlsx"),
            path: format!("{unit}.xlsx").into(),
            regime: "t".into(),
            period: "2026-10".parse().unwrap(),
            unit_code: unit.into(),
            received_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 2)
                .unwrap()
                .and_hms_opt(8, minute, 0),
            received_source: ReceiptSource::Log,
            origin: Origin::Form,
            values: vals
                .iter()
                .map(|(c, v)| {
                    (
                        ((*c).into(), InputColumn::ThucHien),
                        Value {
                            value: *v,
                            location: Default::default(),
                        },
                    )
                })
                .collect(),
            texts: Default::default(),
            lists: Default::default(),
            empty: Default::default(),
            unread: Default::default(),
        }
    }

    fn run(subs: &[Submission]) -> Consolidated {
        let (_d, c) = config();
        let r = c.regime("t").unwrap().clone();
        consolidate(&c, &r, "2026-10".parse().unwrap(), subs)
    }

    fn th(c: &Consolidated, unit: &str, ind: &str) -> Option<f64> {
        c.get(unit, ind, InputColumn::ThucHien)
    }

    #[test]
    fn sums_of_decimals_do_not_drift_with_the_number_of_figures() {
        // Ten figures of 0,1 make 1; a plain running sum gives 0,9999999999999999.
        let mut s = Sum::default();
        for _ in 0..10 {
            s.add(0.1);
        }
        assert_eq!(s.total(), 1.0);
        // 1e16 + 1 + (-1e16) is 1: the 1 lost in the first addition is carried.
        let mut s = Sum::default();
        for x in [1e16, 1.0, -1e16] {
            s.add(x);
        }
        assert_eq!(s.total(), 1.0);
    }

    #[test]
    fn figures_resolved_in_separate_runs_go_to_the_same_cells() {
        // 900 submissions: more than three runs of `RUN`. AREA first appears at the 601st
        // (run 2, where it is the run's first key and S its second, while S is the first key
        // of runs 0 and 1): a run's keys mapped wrongly would add AREA into S.
        const { assert!(900 > 3 * RUN) };
        let units = ["A", "B", "C"];
        let subs: Vec<Submission> = (0..900u32)
            .map(|n| {
                let mut vals = vec![("S", n as f64)];
                if n >= 600 {
                    vals.push(("AREA", 1.0));
                }
                sub(units[n as usize % 3], n % 60, &vals)
            })
            .collect();
        let c = run(&subs);
        let top = c.root.clone();
        // S: 0 + 1 + … + 899 = 899 × 900 / 2 = 404 550 at the province; the district D
        // (A and B) leaves out C's n ≡ 2 (mod 3): 2 + 5 + … + 899 = 300 × 901 / 2 = 135 150.
        assert_eq!(th(&c, &top, "S"), Some(404_550.0));
        assert_eq!(th(&c, "D", "S"), Some(404_550.0 - 135_150.0));
        // AREA: 300 figures of 1 at the province, the 200 of A and B at D.
        assert_eq!(th(&c, &top, "AREA"), Some(300.0));
        assert_eq!(th(&c, "D", "AREA"), Some(200.0));
        assert_eq!(c.contributors(&top, "S"), Some(900));
        assert_eq!(c.contributors(&top, "AREA"), Some(300));
        // A commune sent many times keeps its last figures: A's last is n = 897, C's 899.
        assert_eq!(th(&c, "A", "S"), Some(897.0));
        assert_eq!(th(&c, "C", "S"), Some(899.0));
        assert_eq!(th(&c, "C", "AREA"), Some(1.0));
        // The same figures give the same result, key ids included.
        assert_eq!(run(&subs), c);
    }

    #[test]
    fn keeping_the_root_only_keeps_its_figures_and_notes_and_nothing_else() {
        let mut c = run(&[
            sub("A", 1, &[("S", 1.7e308)]),
            sub("B", 2, &[("S", 1.7e308)]),
        ]);
        let top = c.root.clone();
        c.keep_root_only();
        assert!(c.units.is_empty(), "the root's only figure overflowed");
        assert_eq!(th(&c, "A", "S"), None, "a commune's figure is let go");
        assert!(c.unit("A").is_none());
        assert_eq!(c.overflowed.len(), 1);
        assert!(c
            .notes
            .contains_key(&(top, "S".to_string(), InputColumn::ThucHien)));
        // A root with figures keeps them whole.
        let mut c = run(&[sub("A", 1, &[("S", 2.5)]), sub("B", 2, &[("S", 4.0)])]);
        let top = c.root.clone();
        c.keep_root_only();
        assert_eq!(c.units, vec![top.clone()]);
        assert_eq!(th(&c, &top, "S"), Some(6.5));
    }

    #[test]
    fn a_sum_past_the_largest_number_is_an_empty_cell_with_a_note() {
        // 1.7e308 + 1.7e308 overflows a double (max ≈ 1.797e308).
        let c = run(&[
            sub("A", 1, &[("S", 1.7e308)]),
            sub("B", 2, &[("S", 1.7e308)]),
        ]);
        let top = c.root.clone();
        assert_eq!(th(&c, &top, "S"), None);
        assert!(c
            .overflowed
            .contains(&(top.clone(), "S".to_string(), InputColumn::ThucHien)));
        // Below the top, each commune keeps its own figure.
        assert_eq!(th(&c, "A", "S"), Some(1.7e308));
        assert!(c
            .notes
            .contains_key(&(top, "S".to_string(), InputColumn::ThucHien)));
        assert!(c.values().all(|(.., v)| v.is_finite()));
    }

    #[test]
    fn every_aggregation_up_a_three_level_tree() {
        let c = run(&[
            sub(
                "A",
                1,
                &[
                    ("S", 10.0),
                    ("AV", 6.0),
                    ("AREA", 100.0),
                    ("YIELD", 50.0),
                    ("MN", 3.0),
                    ("MX", 3.0),
                    ("L", 1.0),
                    ("N", 7.0),
                ],
            ),
            sub(
                "B",
                3,
                &[
                    ("S", 20.0),
                    ("AV", 8.0),
                    ("AREA", 300.0),
                    ("YIELD", 60.0),
                    ("MN", 5.0),
                    ("MX", 5.0),
                    ("L", 2.0),
                    ("N", 9.0),
                ],
            ),
            sub(
                "C",
                2,
                &[
                    ("S", 5.0),
                    ("AV", 10.0),
                    ("AREA", 100.0),
                    ("YIELD", 40.0),
                    ("MN", 1.0),
                    ("MX", 9.0),
                    ("L", 3.0),
                ],
            ),
        ]);
        // District D = A + B.
        assert_eq!(th(&c, "D", "S"), Some(30.0));
        assert_eq!(th(&c, "D", "AV"), Some(7.0));
        // (50×100 + 60×300) / 400 = 57.5
        assert_eq!(th(&c, "D", "YIELD"), Some(57.5));
        // Province P = A + B + C.
        assert_eq!(th(&c, "P", "S"), Some(35.0));
        assert_eq!(th(&c, "P", "AV"), Some(8.0));
        // (5000 + 18000 + 4000) / 500 = 54
        assert_eq!(th(&c, "P", "YIELD"), Some(54.0));
        assert_eq!(th(&c, "P", "AREA"), Some(500.0));
        assert_eq!(th(&c, "P", "MN"), Some(1.0));
        assert_eq!(th(&c, "P", "MX"), Some(9.0));
        // B was received last (08:03).
        assert_eq!(th(&c, "P", "L"), Some(2.0));
        assert_eq!(th(&c, "D", "L"), Some(2.0));
        // `none` does not climb the tree.
        assert_eq!(th(&c, "P", "N"), None);
        assert_eq!(th(&c, "A", "N"), Some(7.0));
        assert_eq!(c.contributors("P", "S"), Some(3));
        assert_eq!(c.units, vec!["P", "D", "A", "B", "C"]);
    }

    #[test]
    fn an_unaggregated_figure_of_an_owner_is_its_parents_figure() {
        let c = run(&[
            sub("A", 1, &[("OWN", 50.0)]),
            sub("C", 2, &[("OWN", 108.5)]),
        ]);
        assert_eq!(th(&c, "P", "OWN"), Some(108.5));
        // D is not above the owner C: it has no figure.
        assert_eq!(th(&c, "D", "OWN"), None);
    }

    #[test]
    fn ratios_are_computed_from_consolidated_components_not_averaged() {
        let c = run(&[
            sub("A", 1, &[("POOR", 10.0), ("HH", 100.0)]),
            sub("B", 2, &[("POOR", 90.0), ("HH", 900.0)]),
            sub("C", 3, &[("POOR", 50.0), ("HH", 1000.0)]),
        ]);
        assert_eq!(th(&c, "A", "RATE"), Some(10.0));
        assert_eq!(th(&c, "C", "RATE"), Some(5.0));
        // 150 / 2000 × 100 = 7.5, not the mean of 10, 10 and 5.
        assert_eq!(th(&c, "P", "RATE"), Some(7.5));
    }

    #[test]
    fn a_parents_own_figures_are_not_counted_twice() {
        // D sends its own total as well as its communes: only the communes count.
        let c = run(&[
            sub("A", 1, &[("S", 10.0)]),
            sub("B", 2, &[("S", 20.0)]),
            sub("D", 3, &[("S", 999.0)]),
        ]);
        assert_eq!(th(&c, "D", "S"), Some(30.0));
        assert_eq!(th(&c, "P", "S"), Some(30.0));
    }

    #[test]
    fn an_intermediate_units_figures_count_when_nothing_below_it_reported() {
        let c = run(&[sub("D", 1, &[("S", 30.0)]), sub("C", 2, &[("S", 5.0)])]);
        assert_eq!(th(&c, "P", "S"), Some(35.0));
    }

    fn settled(unit: &str, minute: u32, total: f64, early: f64, on: f64, late: f64) -> Submission {
        sub(
            unit,
            minute,
            &[
                ("SETTLED", total),
                ("SETTLED[tien_do=truoc_han]", early),
                ("SETTLED[tien_do=dung_han]", on),
                ("SETTLED[tien_do=qua_han]", late),
            ],
        )
    }

    #[test]
    fn every_cell_of_a_breakdown_is_summed_up_the_tree() {
        let c = run(&[
            settled("A", 1, 100.0, 50.0, 40.0, 10.0),
            settled("B", 2, 300.0, 100.0, 110.0, 90.0),
            settled("C", 3, 7.0, 1.0, 2.0, 4.0),
        ]);
        assert_eq!(th(&c, "D", "SETTLED"), Some(400.0));
        assert_eq!(th(&c, "D", "SETTLED[tien_do=truoc_han]"), Some(150.0));
        assert_eq!(th(&c, "D", "SETTLED[tien_do=qua_han]"), Some(100.0));
        assert_eq!(th(&c, "P", "SETTLED"), Some(407.0));
        assert_eq!(th(&c, "P", "SETTLED[tien_do=dung_han]"), Some(152.0));
        assert_eq!(c.contributors("P", "SETTLED[tien_do=dung_han]"), Some(3));
    }

    #[test]
    fn key_positions_list_every_place_a_key_stands() {
        // A form naming key 2 twice and a cell no unit has (None).
        let at = KeyId::positions([Some(KeyId(2)), None, Some(KeyId(0)), Some(KeyId(2))]);
        assert_eq!(at, vec![vec![2], vec![], vec![0, 3]]);
        assert!(KeyId::positions([None, None]).is_empty());
    }

    #[test]
    fn a_formula_is_recomputed_from_consolidated_cells_at_every_level() {
        let c = run(&[
            settled("A", 1, 100.0, 50.0, 40.0, 10.0),
            settled("B", 2, 300.0, 100.0, 110.0, 90.0),
            settled("C", 3, 0.0, 0.0, 0.0, 0.0),
        ]);
        // A: (50 + 40) / 100 × 100 = 90; B: (100 + 110) / 300 × 100 = 70.
        assert_eq!(th(&c, "A", "ONTIME"), Some(90.0));
        assert_eq!(th(&c, "B", "ONTIME"), Some(70.0));
        // D and P: (150 + 150) / 400 × 100 = 75, not the mean of 90 and 70.
        assert_eq!(th(&c, "D", "ONTIME"), Some(75.0));
        assert_eq!(th(&c, "P", "ONTIME"), Some(75.0));
        // C settled nothing: no rate, and a note saying why.
        assert_eq!(th(&c, "C", "ONTIME"), None);
        assert_eq!(
            c.notes
                .get(&("C".to_string(), "ONTIME".to_string(), InputColumn::ThucHien))
                .map(String::as_str),
            Some("mẫu số bằng 0, không tính được")
        );
    }
}
