//! Breakdown identities of one submission (phân tổ): the total of an exhaustive breakdown
//! equals the sum of its options; a partial list ("trong đó", "chủ yếu") adds up to no more
//! than its total; a total left empty is computed from its complete parts.
//!
//! Works per indicator, per column and per breakdown: for a cross `linh_vuc × nguon`, each
//! lĩnh vực's row adds up over the sources to that lĩnh vực's total (where the indicator is
//! also collected by lĩnh vực alone). Severity is a warning unless a `[[rule]] kind =
//! "breakdown"` of the regime makes it blocking (real data break stated identities).

use std::collections::BTreeSet;

use crate::catalog::{combinations, Config, CrossRule, Dimension, InputColumn, Regime};
use crate::diag::{Code, Diagnostic, Location, Severity};
use crate::model::{cell_key, indicator_of, Disagg};
use crate::model::{CellKey, Submission, Value};
use crate::text::fmt_vn;

/// One identity: a total cell and the cells of one dimension's options beside it.
struct Identity<'a> {
    code: &'a str,
    dim: &'a Dimension,
    rest: Disagg,
    /// The total's lookup key in each column (`InputColumn::ALL` order), and each option's
    /// name and keys: made once per batch, so a check allocates nothing to look a cell up.
    total: Keys,
    parts: Vec<(&'a str, Keys)>,
}

/// A cell's key in each of the four columns.
type Keys = [(CellKey, InputColumn); 4];

fn keys(key: &str) -> Keys {
    InputColumn::ALL.map(|c| (CellKey::from(key), c))
}

/// The identities of indicator `code`: for each breakdown and each dimension in it, the
/// total over the others (only where that total is itself a cell of the indicator).
fn identities<'a>(config: &'a Config, code: &'a str) -> Vec<Identity<'a>> {
    let Some(ind) = config.indicator(code) else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for set in &ind.disaggregations {
        for x in set {
            let Some(dim) = config.dimension(x) else {
                continue;
            };
            let rest: BTreeSet<&String> = set.iter().filter(|d| *d != x).collect();
            let declared = rest.is_empty()
                || ind
                    .disaggregations
                    .iter()
                    .any(|s| s.iter().collect::<BTreeSet<_>>() == rest);
            if !declared {
                continue;
            }
            let rest_dims: Vec<&Dimension> =
                rest.iter().filter_map(|d| config.dimension(d)).collect();
            for r in combinations(&rest_dims) {
                if seen.insert((x.clone(), r.clone())) {
                    let parts = dim
                        .options
                        .iter()
                        .map(|o| {
                            let key = cell_key(code, &r.with(&dim.code, &o.code));
                            (o.name.as_str(), keys(&key))
                        })
                        .collect();
                    out.push(Identity {
                        code,
                        dim,
                        total: keys(&cell_key(code, &r)),
                        rest: r,
                        parts,
                    });
                }
            }
        }
    }
    // Smaller totals first, so that a total computed from its parts can feed a larger one.
    out.sort_by_key(|i| std::cmp::Reverse(i.rest.0.len()));
    out
}

/// The severity and tolerance the regime sets for an identity.
fn rule_for(regime: &Regime, code: &str, dim: &str) -> (Severity, f64) {
    for r in &regime.rule {
        if let CrossRule::Breakdown {
            indicator,
            dimension,
            blocking,
            tolerance,
        } = r
        {
            if indicator == code && dimension.as_deref().is_none_or(|d| d == dim) {
                let sev = if *blocking {
                    Severity::Blocking
                } else {
                    Severity::Warning
                };
                return (sev, *tolerance);
            }
        }
    }
    (Severity::Warning, 0.5)
}

/// The identities of each indicator, worked out once for a whole batch (they depend on the
/// catalog alone).
#[derive(Default)]
pub struct Identities<'a> {
    by_code: std::collections::HashMap<String, Vec<Identity<'a>>>,
}

/// Checks every breakdown identity of `s`, completing totals left empty.
pub fn check<'a>(
    config: &'a Config,
    regime: &Regime,
    s: &mut Submission,
    known: &mut Identities<'a>,
    diags: &mut Vec<Diagnostic>,
) {
    // The indicators with a disaggregated figure, in code order (one text per indicator).
    let mut codes: BTreeSet<String> = BTreeSet::new();
    for (k, _) in s.values.keys().filter(|(k, _)| k.contains('[')) {
        let code = indicator_of(k);
        if !codes.contains(code) {
            codes.insert(code.to_string());
        }
    }
    // A column the form has no figure in has no identity to check (a matrix form fills one or
    // two of them): its parts are not looked up.
    let mut filled = [false; InputColumn::ALL.len()];
    for (_, column) in s.values.keys() {
        if let Some(i) = InputColumn::ALL.iter().position(|c| c == column) {
            filled[i] = true;
        }
    }
    for code in codes {
        let ids = known.by_code.entry(code).or_insert_with_key(|code| {
            let code: &'a str = config.indicator(code).map_or("", |i| i.code.as_str());
            identities(config, code)
        });
        for id in ids.iter() {
            for i in (0..InputColumn::ALL.len()).filter(|&i| filled[i]) {
                check_one(config, regime, s, id, i, diags);
            }
        }
    }
}

fn check_one(
    config: &Config,
    regime: &Regime,
    s: &mut Submission,
    id: &Identity<'_>,
    column_index: usize,
    diags: &mut Vec<Diagnostic>,
) {
    let total_key = &id.total[column_index];
    let column = total_key.1;
    let parts: Vec<(&str, Option<&Value>)> = id
        .parts
        .iter()
        .map(|(name, keys)| (*name, s.values.get(&keys[column_index])))
        .collect();
    let present: Vec<(&str, &Value)> = parts
        .iter()
        .filter_map(|(n, v)| v.map(|v| (*n, v)))
        .collect();
    if present.is_empty() {
        return;
    }
    let sum: f64 = present.iter().map(|(_, v)| v.value).sum();
    let complete = present.len() == parts.len();
    // The texts of a diagnostic are made only when there is one.
    let listed = || {
        present
            .iter()
            .map(|(n, v)| format!("{n} {} = {}", cell_of(&v.location), fmt_vn(v.value, 2)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (severity, tolerance) = rule_for(regime, id.code, &id.dim.code);
    let what = || config.describe_cell(id.code, &id.rest);
    let Some(total) = s.values.get(total_key).cloned() else {
        if id.dim.exhaustive && complete {
            let first = present[0].1.location.clone();
            let mut d = Diagnostic::new(
                Code::TotalComputed,
                first.clone(),
                format!(
                    "Tổng số {} ({}) để trống; đã lấy tổng theo {} ({}) = {}.\nNếu tổng số khác, nhập tổng số vào biểu rồi gửi lại.",
                    what(), col_name(column), id.dim.name, listed(), fmt_vn(sum, 2)
                ),
            );
            d.severity = Severity::Warning;
            diags.push(d);
            s.values.insert(
                total_key.clone(),
                Value {
                    value: round(sum),
                    location: first,
                },
            );
        }
        return;
    };
    let gap = sum - total.value;
    let diag = if id.dim.exhaustive && complete && gap.abs() > tolerance {
        Some(Diagnostic::new(
            Code::BreakdownMismatch,
            total.location.clone(),
            format!(
                "Tổng số {} ({}, ô {}) = {} nhưng cộng theo {} ({}) = {} (lệch {}).\nSửa tổng số hoặc các số phân tổ cho khớp rồi gửi lại.",
                what(), col_name(column), cell_of(&total.location), fmt_vn(total.value, 2), id.dim.name, listed(), fmt_vn(sum, 2), fmt_vn(gap.abs(), 2)
            ),
        ))
    } else if gap > tolerance {
        Some(Diagnostic::new(
            Code::BreakdownExceedsTotal,
            total.location.clone(),
            format!(
                "Các số theo {} của {} ({}: {}) cộng lại = {}, lớn hơn tổng số {} (ô {}).\nSố \"trong đó\" không được lớn hơn tổng số; kiểm tra lại rồi gửi lại.",
                id.dim.name, what(), col_name(column), listed(), fmt_vn(sum, 2), fmt_vn(total.value, 2), cell_of(&total.location)
            ),
        ))
    } else {
        None
    };
    if let Some(mut d) = diag {
        d.severity = severity;
        diags.push(d);
    }
}

fn cell_of(l: &Location) -> &str {
    if l.cell.is_empty() {
        "?"
    } else {
        &l.cell
    }
}

fn col_name(c: InputColumn) -> &'static str {
    match c {
        InputColumn::KeHoach => "kế hoạch năm",
        InputColumn::ThucHien => "thực hiện kỳ báo cáo",
        InputColumn::LuyKe => "lũy kế",
        InputColumn::KyTruoc => "thực hiện kỳ trước",
    }
}

fn round(v: f64) -> f64 {
    (v * 1e9).round() / 1e9
}
