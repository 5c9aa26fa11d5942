//! Consolidation (tổng hợp): accepted figures up the unit tree, derived indicators after
//! aggregation, the annual plan and % of plan.
//!
//! The only module that touches polars: the rest of the code sees `Consolidated`, a plain map.
//! Each indicator aggregates by its declared rule (sum, average, weighted average by a named
//! weight indicator, min, max, last, none — a figure that is not aggregated: a unit's own, or
//! its owner's where the owner is below it). Ratios and growth rates (`derived`) are computed
//! from the consolidated components at every level, never averaged.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::catalog::{Aggregation, Config, Indicator, InputColumn, NoValue, Regime};
use crate::model::Submission;
use crate::model::{cell_key, split_key, Disagg};
use crate::period::Period;

/// Consolidated figures of one regime and period, for the receiver and every unit below it
/// that has figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consolidated {
    pub regime: String,
    pub period: Option<Period>,
    /// The receiving unit (the top of the tree consolidated here).
    pub root: String,
    /// Units with figures, parents before children, in the config's order.
    pub units: Vec<String>,
    /// (unit, cell key, column) → value. The cell key is the indicator code for a total and
    /// `CODE[dim=opt;…]` for a disaggregated cell (`crate::model`).
    pub values: BTreeMap<(String, String, InputColumn), f64>,
    /// (unit, cell key) → number of reporting units whose figures went into it.
    pub contributors: BTreeMap<(String, String), usize>,
    /// (unit, cell key, column) → why a derived cell has no value although its operands have
    /// (division by zero, overflow): shown as a note beside the empty cell.
    pub notes: BTreeMap<(String, String, InputColumn), String>,
    /// Cells whose aggregate overflowed (left empty, with a note).
    pub overflowed: Vec<(String, String, InputColumn)>,
}

impl Consolidated {
    pub fn get(&self, unit: &str, indicator: &str, column: InputColumn) -> Option<f64> {
        self.values
            .get(&(unit.to_string(), indicator.to_string(), column))
            .copied()
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

/// Why consolidation failed (an engine fault, not an input problem).
#[derive(Debug, thiserror::Error)]
#[error("lỗi khi tổng hợp số liệu: {0}")]
pub struct ConsolidateError(#[from] PolarsError);

fn agg_key(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Sum => "sum",
        Aggregation::Average => "average",
        Aggregation::WeightedAverage => "weighted-average",
        Aggregation::Min => "min",
        Aggregation::Max => "max",
        Aggregation::Last => "last",
        Aggregation::None => "none",
        Aggregation::Derived => "derived",
    }
}

/// Rounds away floating-point noise (sums are exact to far more than 9 decimals here).
fn round(v: f64) -> f64 {
    (v * 1e9).round() / 1e9
}

/// A derived cell from consolidated cells: by its formula, or as a ratio or growth of two
/// indicators' same cells. `None` when the indicator has neither.
fn derive(
    out: &Consolidated,
    i: &Indicator,
    unit: &str,
    d: &Disagg,
    column: InputColumn,
) -> Option<Result<f64, NoValue>> {
    let get = |code: &str, d: &Disagg| out.get(unit, &cell_key(code, d), column);
    if let Some(f) = &i.parsed_formula {
        return Some(f.eval(d, &get));
    }
    let r = i.derived.as_ref()?;
    let (n, den) = (get(&r.numerator, d), get(&r.denominator, d));
    match (n, den) {
        (Some(_), Some(0.0)) => Some(Err(NoValue::DivisionByZero)),
        _ => Some(
            r.compute(n, den)
                .ok_or_else(|| NoValue::Missing(r.numerator.clone(), d.clone())),
        ),
    }
}

/// Consolidates accepted submissions up to the regime's receiver.
pub fn consolidate(
    config: &Config,
    regime: &Regime,
    period: Period,
    accepted: &[Submission],
) -> Result<Consolidated, ConsolidateError> {
    let root = regime.receiver.clone();
    let in_tree: BTreeSet<String> = config.units.subtree(&root).into_iter().collect();
    // A unit's own figures count only where the regime says so, or where nothing below it
    // reported (otherwise they would be counted twice).
    let with_reporting_descendant: BTreeSet<String> = accepted
        .iter()
        .flat_map(|s| config.units.ancestors(&s.unit_code))
        .collect();

    // Receipt order, for `last`.
    let mut order: Vec<&Submission> = accepted.iter().collect();
    order.sort_by(|a, b| a.received_at.cmp(&b.received_at).then(a.file.cmp(&b.file)));
    let rank: BTreeMap<&str, u32> = order
        .iter()
        .enumerate()
        .map(|(i, s)| (s.unit_code.as_str(), i as u32))
        .collect();

    let (mut u, mut ind, mut colk, mut val, mut ord) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut base_code, mut wkey) = (vec![], vec![]);
    let mut closure_unit = vec![];
    let mut closure_anc = vec![];
    for s in accepted {
        if !in_tree.contains(&s.unit_code)
            || (!regime.include_own_figures && with_reporting_descendant.contains(&s.unit_code))
        {
            continue;
        }
        for ((code, column), v) in &s.values {
            let Some(i) = config.indicator_of_key(code) else {
                continue;
            };
            if i.is_derived() {
                continue;
            }
            u.push(s.unit_code.clone());
            ind.push(code.clone());
            base_code.push(i.code.clone());
            // A disaggregated cell is weighted by the weight indicator's same cell.
            wkey.push(i.weight.as_ref().map(|w| {
                let (_, d) = split_key(code);
                if d.is_empty() {
                    w.clone()
                } else {
                    format!("{w}[{d}]")
                }
            }));
            colk.push(column.key());
            val.push(v.value);
            ord.push(rank[s.unit_code.as_str()]);
        }
        closure_unit.push(s.unit_code.clone());
        closure_anc.push(s.unit_code.clone());
        for a in config.units.ancestors(&s.unit_code) {
            closure_unit.push(s.unit_code.clone());
            closure_anc.push(a.clone());
            if a == root {
                break;
            }
        }
    }
    let mut out = Consolidated {
        regime: regime.id.clone(),
        period: Some(period),
        root: root.clone(),
        ..Consolidated::default()
    };
    if !val.is_empty() {
        let long = df!(
            "unit" => u,
            "indicator" => ind,
            "code" => base_code,
            "wkey" => wkey,
            "column" => colk,
            "value" => val,
            "order" => ord
        )?;
        let (mut codes, mut aggs, mut weights, mut owners) = (vec![], vec![], vec![], vec![]);
        for i in config.indicators.values() {
            codes.push(i.code.clone());
            aggs.push(agg_key(i.aggregation));
            weights.push(i.weight.clone());
            owners.push(i.owner.clone());
        }
        let indicators =
            df!("code" => codes, "agg" => aggs, "weight" => weights, "owner" => owners)?;
        let closure = df!("unit" => closure_unit, "ancestor" => closure_anc)?;
        let weights = long.clone().lazy().select([
            col("unit"),
            col("column"),
            col("indicator").alias("wkey"),
            col("value").alias("w"),
        ]);
        let left = |how: JoinType| JoinArgs {
            maintain_order: MaintainOrderJoin::Left,
            ..JoinArgs::new(how)
        };
        // One query per kind of aggregation, so that each pays only for what it needs.
        let base = long.lazy().join(
            indicators.lazy(),
            [col("code")],
            [col("code")],
            left(JoinType::Inner),
        );
        let closure = closure.lazy();
        let by = [col("ancestor"), col("indicator"), col("column")];
        let grouped = |lf: LazyFrame, kind: Expr| {
            lf.filter(kind)
                .join(
                    closure.clone(),
                    [col("unit")],
                    [col("unit")],
                    left(JoinType::Inner),
                )
                .group_by_stable(by.clone())
        };
        let is = |k: &str| col("agg").eq(lit(k));
        let simple = grouped(
            base.clone(),
            is("sum").or(is("average")).or(is("min")).or(is("max")),
        )
        .agg([
            col("agg").first().alias("agg"),
            col("value").sum().alias("sum"),
            col("value").mean().alias("mean"),
            col("value").min().alias("min"),
            col("value").max().alias("max"),
            col("value").count().alias("n"),
        ])
        .select([
            col("ancestor"),
            col("indicator"),
            col("column"),
            when(col("agg").eq(lit("sum")))
                .then(col("sum"))
                .when(col("agg").eq(lit("average")))
                .then(col("mean"))
                .when(col("agg").eq(lit("min")))
                .then(col("min"))
                .otherwise(col("max"))
                .alias("result"),
            col("n"),
        ]);
        let weighted_rows = base.clone().filter(is("weighted-average")).join(
            weights,
            [col("unit"), col("column"), col("wkey")],
            [col("unit"), col("column"), col("wkey")],
            left(JoinType::Left),
        );
        let weighted = grouped(weighted_rows, lit(true))
            .agg([
                (col("value") * col("w")).sum().alias("wsum"),
                col("w").sum().alias("wtot"),
                col("value").count().alias("n"),
            ])
            .select([
                col("ancestor"),
                col("indicator"),
                col("column"),
                when(col("wtot").neq(lit(0.0)))
                    .then(col("wsum") / col("wtot"))
                    .otherwise(lit(NULL).cast(DataType::Float64))
                    .alias("result"),
                col("n"),
            ]);
        let last = grouped(base.clone(), is("last")).agg([
            col("value")
                .sort_by([col("order")], SortMultipleOptions::default())
                .last()
                .alias("result"),
            col("value").count().alias("n"),
        ]);
        let none = grouped(base, is("none"))
            .agg([
                col("value")
                    .filter(col("unit").eq(col("ancestor")))
                    .first()
                    .alias("own"),
                col("value")
                    .filter(col("unit").eq(col("owner")))
                    .first()
                    .alias("owned"),
                col("value").count().alias("n"),
            ])
            .select([
                col("ancestor"),
                col("indicator"),
                col("column"),
                when(col("own").is_not_null())
                    .then(col("own"))
                    .otherwise(col("owned"))
                    .alias("result"),
                col("n"),
            ]);
        let cast = |lf: LazyFrame| {
            lf.select([
                col("ancestor"),
                col("indicator"),
                col("column"),
                col("result").cast(DataType::Float64),
                col("n").cast(DataType::UInt64),
            ])
        };
        let result = concat(
            [cast(simple), cast(weighted), cast(last), cast(none)],
            UnionArgs::default(),
        )?
        .collect()?;
        let anc = result.column("ancestor")?.str()?.clone();
        let inds = result.column("indicator")?.str()?.clone();
        let cols = result.column("column")?.str()?.clone();
        let vals = result.column("result")?.f64()?.clone();
        let ns = result.column("n")?.u64()?.clone();
        for i in 0..result.height() {
            let (Some(a), Some(code), Some(c)) = (anc.get(i), inds.get(i), cols.get(i)) else {
                continue;
            };
            let Some(column) = InputColumn::from_key(c) else {
                continue;
            };
            if let Some(v) = vals.get(i) {
                out.values
                    .insert((a.to_string(), code.to_string(), column), round(v));
            }
            if column == InputColumn::ThucHien {
                out.contributors.insert(
                    (a.to_string(), code.to_string()),
                    ns.get(i).unwrap_or(0) as usize,
                );
            }
        }
    }

    // The plan file, where the config root has one, overrides the form's plan column.
    if let Some(plan) = config.plan(&regime.id, period) {
        for ((unit, code), v) in plan {
            if in_tree.contains(unit) {
                out.values
                    .insert((unit.clone(), code.clone(), InputColumn::KeHoach), *v);
            }
        }
    }

    // A sum past the largest number (two figures near 1.7e308) is no figure: an empty cell
    // with a note, never infinity in an output.
    let overflowed: Vec<(String, String, InputColumn)> = out
        .values
        .iter()
        .filter(|(_, v)| !v.is_finite())
        .map(|(k, _)| k.clone())
        .collect();
    for k in &overflowed {
        out.values.remove(k);
        out.notes.insert(k.clone(), NoValue::NotFinite.note());
    }
    out.overflowed = overflowed;

    // Derived indicators, from consolidated components, at every unit and in every cell.
    let units_with_values: BTreeSet<String> =
        out.values.keys().map(|(u, _, _)| u.clone()).collect();
    for i in config.indicators.values().filter(|i| i.is_derived()) {
        let cells = config.cells_of(i);
        for unit in &units_with_values {
            for d in &cells {
                let key = cell_key(&i.code, d);
                for column in InputColumn::ALL {
                    match derive(&out, i, unit, d, column) {
                        Some(Ok(v)) => {
                            out.values
                                .insert((unit.clone(), key.clone(), column), round(v));
                        }
                        Some(Err(NoValue::Missing(..))) | None => {}
                        Some(Err(why)) => {
                            out.notes
                                .insert((unit.clone(), key.clone(), column), why.note());
                        }
                    }
                }
            }
        }
    }
    out.units = config
        .units
        .subtree(&root)
        .into_iter()
        .filter(|u| units_with_values.contains(u))
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Config;
    use crate::diag::Location;
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
                        (c.to_string(), InputColumn::ThucHien),
                        Value {
                            value: *v,
                            location: Location::default(),
                        },
                    )
                })
                .collect(),
        }
    }

    fn run(subs: &[Submission]) -> Consolidated {
        let (_d, c) = config();
        let r = c.regime("t").unwrap().clone();
        consolidate(&c, &r, "2026-10".parse().unwrap(), subs).unwrap()
    }

    fn th(c: &Consolidated, unit: &str, ind: &str) -> Option<f64> {
        c.get(unit, ind, InputColumn::ThucHien)
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
        assert!(c
            .notes
            .contains_key(&(top, "S".to_string(), InputColumn::ThucHien)));
        assert!(c.values.values().all(|v| v.is_finite()));
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
        assert_eq!(c.contributors[&("P".to_string(), "S".to_string())], 3);
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
        assert_eq!(
            c.contributors[&("P".to_string(), "SETTLED[tien_do=dung_han]".to_string())],
            3
        );
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
