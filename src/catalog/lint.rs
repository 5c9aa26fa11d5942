//! Traps in a config that loads: figures a form can never give, rules that can never fire,
//! rows a reader cannot tell apart, deadlines out of order between levels, disaggregations declared
//! and never used.
//!
//! Owns what `check-config` finds beyond syntax and references. Each finding names the file,
//! the key, the form's printed row label or column number where there is one, and what to
//! do. Errors are traps that would reject every unit (a required total no cell can give);
//! the rest are warnings: the config works, but not as its author meant.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::regime::{CrossRule, InputColumn, Regime};
use super::{identities, Dimension, Indicator, MatrixLayout, UnitTree};
use crate::model::{cell_key, split_key};
use crate::schedule::{periods_of_year, WorkCalendar};
use crate::text::fold;

/// One trap found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub key: String,
    pub message: String,
    /// An error stops every command; a warning is listed by `check-config`.
    pub error: bool,
}

fn warning(key: impl Into<String>, message: String) -> Finding {
    Finding {
        key: key.into(),
        message,
        error: false,
    }
}

/// The catalog a regime is checked against.
pub struct Catalog<'a> {
    pub indicators: &'a BTreeMap<String, Indicator>,
    pub dimensions: &'a BTreeMap<String, Dimension>,
    /// Where each indicator is declared (`indicators/x.toml › [[indicator]] thứ 3 (X01)`).
    pub defined_in: &'a BTreeMap<String, String>,
}

impl Catalog<'_> {
    fn dimension(&self, code: &str) -> Option<&Dimension> {
        self.dimensions.get(code)
    }
}

/// What a regime's form can give, column by column: the cells it prints, and the totals
/// computable from them through complete disaggregations (the figures the engine computes).
pub struct Reach {
    /// Per value column, the cell keys given.
    given: HashMap<InputColumn, HashSet<String>>,
    /// A form of indicator rows: the indicators on it (their totals are given).
    rows: Option<BTreeSet<String>>,
}

impl Reach {
    pub fn of(regime: &Regime, layout: Option<&MatrixLayout>, cat: &Catalog<'_>) -> Reach {
        let Some(layout) = layout else {
            let rows = regime
                .form
                .sections
                .iter()
                .flat_map(|s| s.rows.iter().cloned())
                .collect();
            return Reach {
                given: HashMap::new(),
                rows: Some(rows),
            };
        };
        let mut given: HashMap<InputColumn, HashSet<String>> = HashMap::new();
        for (_, _, cell) in layout.cells() {
            given
                .entry(cell.column)
                .or_default()
                .insert(cell.key.to_string());
        }
        for keys in given.values_mut() {
            complete(keys, cat);
        }
        Reach { given, rows: None }
    }

    /// The form gives `key` in `column` (printed, or computed from printed cells).
    pub fn gives(&self, key: &str, column: InputColumn) -> bool {
        match &self.rows {
            Some(rows) => !key.contains('[') && rows.contains(key),
            None => self.given.get(&column).is_some_and(|k| k.contains(key)),
        }
    }

    /// The form gives `key` in some column.
    pub fn gives_anywhere(&self, key: &str) -> bool {
        InputColumn::ALL.iter().any(|c| self.gives(key, *c))
    }
}

/// Adds to `keys` every total a complete exhaustive dimension of given cells computes, until
/// nothing more can be added.
fn complete(keys: &mut HashSet<String>, cat: &Catalog<'_>) {
    let codes: BTreeSet<String> = keys.iter().map(|k| split_key(k).0.to_string()).collect();
    let ids: Vec<(String, Vec<String>)> = codes
        .iter()
        .filter_map(|c| cat.indicators.get(c))
        .flat_map(|ind| {
            identities(&ind.disaggregations, &|d| cat.dimension(d))
                .into_iter()
                .filter(|(dim, _)| dim.exhaustive)
                .map(|(dim, rest)| {
                    let parts = dim
                        .options
                        .iter()
                        .map(|o| cell_key(&ind.code, &rest.with(&dim.code, &o.code)))
                        .collect();
                    (cell_key(&ind.code, &rest), parts)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    loop {
        let mut added = false;
        for (total, parts) in &ids {
            if !keys.contains(total) && parts.iter().all(|p| keys.contains(p)) {
                keys.insert(total.clone());
                added = true;
            }
        }
        if !added {
            break;
        }
    }
}

/// Every trap of one regime.
pub fn regime(
    regime: &Regime,
    layout: Option<&MatrixLayout>,
    cat: &Catalog<'_>,
    units: &UnitTree,
    cal: &WorkCalendar,
) -> Vec<Finding> {
    let reach = Reach::of(regime, layout, cat);
    let mut out = Vec::new();
    if let Some(layout) = layout {
        out.extend(required_unreachable(layout, &reach, cat));
        out.extend(duplicate_matrix_rows(layout));
    } else {
        out.extend(duplicate_indicator_rows(regime, cat));
    }
    out.extend(rules_never_checked(regime, &reach, cat));
    out.extend(deadlines_out_of_order(regime, units, cal));
    out
}

/// A required indicator whose total the form cannot give: every unit would be rejected.
fn required_unreachable(layout: &MatrixLayout, reach: &Reach, cat: &Catalog<'_>) -> Vec<Finding> {
    let on_form: BTreeSet<&str> = layout
        .cells()
        .map(|(_, _, c)| c.indicator.as_str())
        .collect();
    let mut out = Vec::new();
    for code in on_form {
        let Some(ind) = cat.indicators.get(code) else {
            continue;
        };
        if !ind.required || ind.is_computed() || reach.gives(code, InputColumn::ThucHien) {
            continue;
        }
        let declared = cat.defined_in.get(code).cloned().unwrap_or_default();
        // A partial list's cells ("trong đó", exhaustive = false) never add up to the total.
        let partial: BTreeSet<String> = layout
            .cells()
            .filter(|(_, _, c)| c.indicator == code)
            .flat_map(|(_, _, c)| c.disagg.0.keys())
            .filter(|d| cat.dimension(d).is_some_and(|dim| !dim.exhaustive))
            .map(|d| format!("\"{d}\""))
            .collect();
        let why = match partial.len() {
            0 => String::new(),
            _ => format!(
                " (phân tổ {} không đầy đủ, exhaustive = false: các ô của nó không cộng thành tổng số)",
                partial.into_iter().collect::<Vec<_>>().join(", ")
            ),
        };
        out.push(Finding {
            key: "[form.matrix]".to_string(),
            message: format!(
                "chỉ tiêu {code} \"{}\" bắt buộc (required = true, mặc định khi không ghi; khai báo ở {declared}) nhưng biểu không có ô cho tổng số của nó và các ô phân tổ trên biểu không cộng ra được tổng số{why}: mọi đơn vị sẽ bị từ chối (BC0404). {}",
                ind.name,
                marginal_advice(ind, layout)
            ),
            error: true,
        });
    }
    out
}

/// What to declare so that a total can be computed from the cells a form prints: the smaller
/// disaggregations of the largest one printed, or `required = false`.
fn marginal_advice(ind: &Indicator, layout: &MatrixLayout) -> String {
    let printed: BTreeSet<BTreeSet<String>> = layout
        .cells()
        .filter(|(_, _, c)| c.indicator == ind.code)
        .map(|(_, _, c)| c.disagg.0.keys().cloned().collect())
        .collect();
    let declared: BTreeSet<BTreeSet<String>> = ind
        .disaggregations
        .iter()
        .map(|s| s.iter().cloned().collect())
        .collect();
    let largest = printed.iter().max_by_key(|s| s.len());
    let missing: Vec<String> = largest
        .map(|set| {
            let dims: Vec<&String> = set.iter().collect();
            (1..(1u32 << dims.len()) - 1)
                .map(|mask| {
                    dims.iter()
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << i) != 0)
                        .map(|(_, d)| (*d).clone())
                        .collect::<BTreeSet<String>>()
                })
                .filter(|s| !declared.contains(s))
                .map(|s| {
                    let names: Vec<String> = s.iter().map(|d| format!("\"{d}\"")).collect();
                    format!("[{}]", names.join(", "))
                })
                .collect()
        })
        .unwrap_or_default();
    if missing.is_empty() {
        "Thêm vào biểu một cột hoặc dòng tổng số cho chỉ tiêu này, hoặc đặt required = false."
            .to_string()
    } else {
        format!(
            "Khai báo thêm các phân tổ thành phần trong disaggregations của chỉ tiêu ({}) để baocao cộng được tổng số từ các ô trên biểu (các phân tổ phải là phân tổ đầy đủ), hoặc thêm ô tổng số vào biểu, hoặc đặt required = false.",
            missing.join(", ")
        )
    }
}

/// Two body rows of a matrix form with the same label: the reader matches them in order, so
/// a unit that deletes one shifts the other's figures.
fn duplicate_matrix_rows(layout: &MatrixLayout) -> Vec<Finding> {
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, row) in layout.rows.iter().enumerate() {
        if row.heading || row.cells.iter().all(Option::is_none) {
            continue;
        }
        if let Some(&j) = first.get(&fold(&row.label)) {
            out.push(warning(
                "[form.matrix]",
                format!(
                    "hai dòng của biểu cùng tên \"{}\" ({} và {}): người điền và baocao không phân biệt được, đơn vị xóa một dòng thì số của dòng kia bị đọc lệch. Đặt tên dòng khác nhau (ví dụ thêm tên nhóm: \"{} (…)\").",
                    row.label,
                    row_place(layout, j),
                    row_place(layout, i),
                    row.label
                ),
            ));
        } else {
            first.insert(fold(&row.label), i);
        }
    }
    out
}

/// "dòng thứ 7 (STT 3)": a body row as the printed form shows it.
fn row_place(layout: &MatrixLayout, i: usize) -> String {
    let stt = &layout.rows[i].stt;
    if stt.is_empty() {
        format!("dòng thứ {} của bảng", i + 1)
    } else {
        format!("dòng thứ {} của bảng, STT {stt}", i + 1)
    }
}

/// Two indicators of one form of indicator rows with the same name ("Lúa" twice).
fn duplicate_indicator_rows(regime: &Regime, cat: &Catalog<'_>) -> Vec<Finding> {
    let mut first: HashMap<String, &str> = HashMap::new();
    let mut out = Vec::new();
    for code in regime.form.sections.iter().flat_map(|s| s.rows.iter()) {
        let Some(ind) = cat.indicators.get(code) else {
            continue;
        };
        match first.get(&fold(&ind.name)) {
            Some(other) => out.push(Finding {
                key: "[[form.sections]]".to_string(),
                message: format!(
                    "hai chỉ tiêu trên biểu cùng tên \"{}\" ({other} và {code}): người điền không phân biệt được, và baocao không khớp được dòng theo tên khi đơn vị xóa cột mã số. Đặt tên đầy đủ cho từng chỉ tiêu trong danh mục (ví dụ \"Lúa - diện tích gieo trồng\", \"Lúa - sản lượng\").",
                    ind.name
                ),
                error: true,
            }),
            None => {
                first.insert(fold(&ind.name), code);
            }
        }
    }
    out
}

/// Rules whose cells the form never gives: they would never be checked.
fn rules_never_checked(regime: &Regime, reach: &Reach, cat: &Catalog<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, rule) in regime.rule.iter().enumerate() {
        let key = format!("[[rule]] thứ {}", i + 1);
        let cells: Vec<String> = match rule {
            CrossRule::PartLeTotal { part, total } => vec![part.clone(), total.clone()],
            CrossRule::SumEqTotal { parts, total, .. } => {
                parts.iter().chain([total]).cloned().collect()
            }
            CrossRule::CarryOver { cell, previous, .. } => vec![cell.clone(), previous.clone()],
            CrossRule::If { parsed, .. } => parsed
                .iter()
                .flat_map(|p| p.0.refs().into_iter().chain(p.1.refs()))
                .map(|(c, d)| crate::model::cell_key(c, d))
                .collect(),
            CrossRule::Breakdown {
                indicator,
                dimension,
                ..
            } => {
                if let Some(why) = breakdown_unchecked(indicator, dimension.as_deref(), reach, cat)
                {
                    out.push(warning(key, why));
                }
                continue;
            }
        };
        let absent: Vec<String> = cells
            .into_iter()
            .filter(|c| !reach.gives_anywhere(c))
            .collect();
        if !absent.is_empty() {
            let list: Vec<String> = absent.iter().map(|c| format!("\"{c}\"")).collect();
            out.push(warning(
                key,
                format!(
                    "quy tắc này sẽ không bao giờ được kiểm tra trên biểu của chế độ: biểu không có ô {} và không tính được ô đó từ các ô trên biểu (chỉ có khi nhận tệp trao đổi có ô đó). Sửa mã ô trong quy tắc cho đúng ô trên biểu, hoặc khai báo phân tổ đầy đủ để baocao cộng được ô đó.",
                    list.join(", ")
                ),
            ));
        }
    }
    out
}

/// Why a `kind = "breakdown"` rule can never fire, if it cannot: no identity of the indicator
/// (along `dimension`) whose total and parts the form gives.
fn breakdown_unchecked(
    code: &str,
    dimension: Option<&str>,
    reach: &Reach,
    cat: &Catalog<'_>,
) -> Option<String> {
    let ind = cat.indicators.get(code)?;
    let checkable = identities(&ind.disaggregations, &|d| cat.dimension(d))
        .into_iter()
        .filter(|(dim, _)| dimension.is_none_or(|d| d == dim.code))
        .any(|(dim, rest)| {
            InputColumn::ALL.iter().any(|&col| {
                let part = |o: &super::DimOption| {
                    reach.gives(&cell_key(code, &rest.with(&dim.code, &o.code)), col)
                };
                reach.gives(&cell_key(code, &rest), col)
                    && if dim.exhaustive {
                        dim.options.iter().all(part)
                    } else {
                        dim.options.iter().any(part)
                    }
            })
        });
    (!checkable).then(|| {
        let along = dimension.map(|d| format!(" theo phân tổ \"{d}\"")).unwrap_or_default();
        format!(
            "quy tắc cộng phân tổ của {code}{along} sẽ không bao giờ được kiểm tra: biểu không có cùng lúc ô tổng số và đủ các ô phân tổ của nó (kể cả các tổng baocao tự cộng được). Thêm ô tổng số vào biểu, hoặc bỏ quy tắc này."
        )
    })
}

/// A level whose deadline falls before that of the units reporting to it, in some period.
fn deadlines_out_of_order(regime: &Regime, units: &UnitTree, cal: &WorkCalendar) -> Vec<Finding> {
    // (child level, parent level) pairs of the unit tree.
    let mut pairs: BTreeSet<(&str, &str)> = BTreeSet::new();
    for u in units.iter() {
        if let Some(p) = u.parent.as_deref().and_then(|p| units.get(p)) {
            if p.level != u.level {
                pairs.insert((u.level.as_str(), p.level.as_str()));
            }
        }
    }
    let mut out = Vec::new();
    for (child, parent) in pairs {
        let mut early = Vec::new();
        let mut first = None;
        for p in cal
            .covered_years()
            .flat_map(|y| periods_of_year(y, &regime.frequencies))
        {
            let (Some(c), Some(d)) = (
                regime.deadline(p, child, cal),
                regime.deadline(p, parent, cal),
            ) else {
                continue;
            };
            if d < c {
                first.get_or_insert(p);
                early.push(format!(
                    "{} ({} {}, {} {})",
                    p.label(),
                    crate::text::lower_first(units.level_label(parent)),
                    d.format("%d/%m/%Y"),
                    crate::text::lower_first(units.level_label(child)),
                    c.format("%d/%m/%Y")
                ));
            }
        }
        if !early.is_empty() {
            let shown: Vec<&String> = early.iter().take(3).collect();
            let more = match early.len() {
                n if n > 3 => format!(" và {} kỳ khác", n - 3),
                _ => String::new(),
            };
            out.push(warning(
                "[[deadline]]",
                format!(
                    "hạn gửi của cấp \"{parent}\" sớm hơn hạn của cấp \"{child}\" báo cáo lên nó ở {} kỳ: {}{more}. Cấp trên không thể tổng hợp trước khi cấp dưới gửi: thêm một [[deadline]] riêng cho kỳ đó (levels = [\"{parent}\"], periods = [\"{}\"], rule và ngày mới) hoặc sửa quy tắc hạn gửi.",
                    early.len(),
                    shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; "),
                    first.map(|p| p.code()).unwrap_or_default()
                ),
            ));
        }
    }
    out
}

/// Dimensions no indicator uses, and options of a dimension no form prints a cell for while
/// every indicator using it is on matrix forms only.
pub fn unused_dimensions(
    cat: &Catalog<'_>,
    regimes: &[(&Regime, Option<&MatrixLayout>)],
) -> Vec<(String, Finding)> {
    let mut out = Vec::new();
    let used = used_dimensions(cat, regimes);
    let (printed, unprinted_ok) = printed_options(cat, regimes);
    for dim in cat.dimensions.values() {
        if !used.contains(dim.code.as_str()) {
            out.push((
                dim.code.clone(),
                warning(
                    format!("[[dimension]] {}", dim.code),
                    format!(
                        "phân tổ \"{}\" ({}) không được chỉ tiêu nào dùng (disaggregations): khai báo thừa, hoặc thiếu trong disaggregations của chỉ tiêu cần nó.",
                        dim.code, dim.name
                    ),
                ),
            ));
            continue;
        }
        if unprinted_ok.contains(&dim.code) || regimes.iter().all(|(_, l)| l.is_none()) {
            continue;
        }
        if let Some(f) = unprinted_options(dim, &printed) {
            out.push((dim.code.clone(), f));
        }
    }
    out
}

/// The dimensions something uses: an indicator's disaggregations, a category's answers, a list's
/// option column.
fn used_dimensions<'a>(
    cat: &Catalog<'a>,
    regimes: &[(&'a Regime, Option<&MatrixLayout>)],
) -> BTreeSet<&'a str> {
    cat.indicators
        .values()
        .flat_map(|i| {
            // A category's answers are a dimension's options: that dimension is used.
            let answers = match &i.options {
                Some(super::AnswerOptions::Dimension(d)) => Some(d),
                _ => None,
            };
            i.disaggregations.iter().flatten().chain(answers)
        })
        .chain(
            // A list's option column uses its dimension.
            regimes
                .iter()
                .flat_map(|(r, _)| r.lists.iter().flat_map(|l| &l.columns))
                .filter_map(|c| c.dimension.as_ref()),
        )
        .map(String::as_str)
        .collect()
}

/// Options a matrix form prints (dimension, option), and dimensions whose options need no
/// printed cell: a list's, and those some indicator of a form of rows uses (their options
/// come from exchange files, not from the form).
fn printed_options(
    cat: &Catalog<'_>,
    regimes: &[(&Regime, Option<&MatrixLayout>)],
) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let mut printed: BTreeSet<(String, String)> = BTreeSet::new();
    let mut unprinted_ok: BTreeSet<String> = BTreeSet::new();
    for (r, layout) in regimes {
        unprinted_ok.extend(
            r.lists
                .iter()
                .flat_map(|l| &l.columns)
                .filter_map(|c| c.dimension.clone()),
        );
        match layout {
            Some(l) => {
                for (_, _, c) in l.cells() {
                    for (d, o) in c.disagg.0.iter() {
                        printed.insert((d.to_string(), o.to_string()));
                    }
                }
            }
            None => {
                for code in r.form.sections.iter().flat_map(|s| s.rows.iter()) {
                    if let Some(i) = cat.indicators.get(code) {
                        unprinted_ok.extend(i.disaggregations.iter().flatten().cloned());
                        if let Some(super::AnswerOptions::Dimension(d)) = &i.options {
                            unprinted_ok.insert(d.clone());
                        }
                    }
                }
            }
        }
    }
    (printed, unprinted_ok)
}

/// The warning for the options of `dim` no form prints a cell for, if any.
fn unprinted_options(dim: &Dimension, printed: &BTreeSet<(String, String)>) -> Option<Finding> {
    let missing: Vec<&str> = dim
        .options
        .iter()
        .filter(|o| !printed.contains(&(dim.code.clone(), o.code.clone())))
        .map(|o| o.name.as_str())
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(warning(
        format!("[[dimension]] {}", dim.code),
        format!(
            "{} phương án của phân tổ \"{}\" không có ô nào trên biểu: {}. Đơn vị không có chỗ ghi số này{}; bỏ phương án thừa hoặc thêm dòng/cột cho nó.",
            missing.len(),
            dim.code,
            missing.join(", "),
            if dim.exhaustive {
                ", và tổng số không cộng được từ các phương án"
            } else {
                ""
            }
        ),
    ))
}
