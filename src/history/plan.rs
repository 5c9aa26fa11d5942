//! The year's plan (kế hoạch năm) at every unit, whoever is late, rejected or missing this
//! period (ARCHITECTURE.md, "Year-to-date").
//!
//! A plan is set once a year: a unit that typed it in an earlier period of the year and has no
//! accepted report this period (or left the plan column empty) keeps its latest stored plan,
//! so that the province's plan — and its "% kế hoạch" — does not shrink with the units that
//! are missing this period. A plan file (`ke-hoach-<năm>.csv`) still overrides the units it
//! names.
//!
//! Reads the store; calls `consolidate` for the tree; writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Config, InputColumn, Regime};
use crate::consolidate::{consolidate, Consolidated};
use crate::diag::At;
use crate::model::{CellKey, Submission, Value};
use crate::period::Period;
use crate::store::{Keep, Store};

/// The plan column consolidated from this period's plans and, for the reporting units that
/// have none this period, their latest stored plan of the year; `None` where nothing is
/// carried (every reporting unit sent its plan, the form has no plan column, no store).
pub fn year_plan(
    config: &Config,
    regime: &Regime,
    period: Period,
    store: Option<&Store>,
    accepted: &[Submission],
) -> Option<Consolidated> {
    let store = store?;
    if !regime.form.columns.contains(&InputColumn::KeHoach) {
        return None;
    }
    let with_plan: BTreeSet<&str> = accepted
        .iter()
        .filter(|s| s.values.keys().any(|(_, c)| *c == InputColumn::KeHoach))
        .map(|s| s.unit_code.as_str())
        .collect();
    let mut wanted: BTreeSet<String> = config
        .reporting_units(regime, regime.window(period).to)
        .into_iter()
        .map(|u| u.code.clone())
        .filter(|u| !with_plan.contains(u.as_str()))
        .collect();
    let carried = stored_plans(regime, period, store, &mut wanted);
    if carried.is_empty() {
        return None;
    }
    // This period's plans, then the carried ones (no unit is in both).
    let mut subs: Vec<Submission> = accepted
        .iter()
        .filter(|s| with_plan.contains(s.unit_code.as_str()))
        .map(|s| Submission::of_figures(&regime.id, period, s.unit_code.clone(), plans_of(s)))
        .collect();
    subs.extend(
        carried
            .into_iter()
            .map(|(unit, values)| Submission::of_figures(&regime.id, period, unit, values)),
    );
    Some(consolidate(config, regime, period, &subs))
}

/// A submission's own plan figures.
fn plans_of(s: &Submission) -> BTreeMap<(CellKey, InputColumn), Value> {
    s.values
        .iter()
        .filter(|((_, c), _)| *c == InputColumn::KeHoach)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The latest stored plans of the `wanted` units in the year's earlier periods of the same
/// frequency, newest first; a unit found is taken out of `wanted`.
fn stored_plans(
    regime: &Regime,
    period: Period,
    store: &Store,
    wanted: &mut BTreeSet<String>,
) -> BTreeMap<String, BTreeMap<(CellKey, InputColumn), Value>> {
    let mut found = BTreeMap::new();
    let mut p = period;
    while !wanted.is_empty() && p.previous().year() == period.year() {
        p = p.previous();
        let keep = Keep {
            unit: &|unit| wanted.contains(unit),
            cell: &|_, column| column == InputColumn::KeHoach,
        };
        let Ok(rows) = store.latest_figures(&regime.id, p, keep) else {
            continue;
        };
        let mut units: BTreeMap<String, BTreeMap<(CellKey, InputColumn), Value>> = BTreeMap::new();
        for r in rows.iter() {
            let value = Value {
                value: r.value,
                location: At::nowhere(),
            };
            units
                .entry(r.unit_code.to_string())
                .or_default()
                .insert((CellKey::from(&**r.indicator_code), r.column), value);
        }
        for (unit, values) in units {
            wanted.remove(&unit);
            found.insert(unit, values);
        }
    }
    found
}
