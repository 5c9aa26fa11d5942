//! A matrix form resolved against the catalog: every body cell's key, checked.
//!
//! Owns turning `[form.matrix]` (rows and columns of selectors) into a `MatrixLayout`: rows
//! generated from dimensions, header groups, and for each body cell the indicator, the
//! disaggregation and the value column that its row and column select together. A cell that
//! selects no indicator, two indicators, two options of one dimension, or a key the indicator
//! does not have is a config problem; so is a key printed twice. Writing and reading forms
//! (`render::matrix`, `ingest::matrix`) use the resolved layout only.

use std::collections::BTreeMap;

use super::regime::{InputColumn, Matrix, Numbering};
use super::{Config, Dimension, Indicator};
use crate::model::{cell_key, split_key, Disagg};

/// One body cell: which figure it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyCell {
    pub indicator: String,
    pub disagg: Disagg,
    pub column: InputColumn,
    /// The cell key (`TT01[linh_vuc=ho_tich;nguon=truc_tuyen]`).
    pub key: String,
}

/// A value column of the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutColumn {
    pub group: Vec<String>,
    pub label: String,
    pub width: f64,
    /// Printed only on the consolidated form (a derived indicator's column).
    pub consolidated_only: bool,
}

/// A row of the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutRow {
    pub stt: String,
    pub label: String,
    /// A heading without cells.
    pub heading: bool,
    pub sub: bool,
    /// A total row ("Tổng số", "Tổng cộng", "Cộng", or a row whose selector is empty): printed
    /// bold.
    pub total: bool,
    /// The label as printed: a sub row's gets "Trong đó: " (first of a run of sub rows) or
    /// "- " (`item_label`); the reader accepts it with or without.
    pub printed: String,
    /// The option code a generated row stands for (matched by code or name when read).
    pub option: Option<String>,
    /// One per layout column.
    pub cells: Vec<Option<BodyCell>>,
}

/// A matrix form, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixLayout {
    pub numbering: Numbering,
    pub stt: String,
    pub stub: String,
    pub stub_width: f64,
    pub columns: Vec<LayoutColumn>,
    pub rows: Vec<LayoutRow>,
}

impl MatrixLayout {
    /// Rows of the header block: the deepest group path plus the label row.
    pub fn header_depth(&self) -> usize {
        self.columns
            .iter()
            .map(|c| c.group.len())
            .max()
            .unwrap_or(0)
            + 1
    }

    /// The columns printed on a unit's form or on the consolidated form, with their index.
    pub fn printed(&self, consolidated: bool) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|i| consolidated || !self.columns[*i].consolidated_only)
            .collect()
    }

    /// Every body cell with its row and column index.
    pub fn cells(&self) -> impl Iterator<Item = (usize, usize, &BodyCell)> {
        self.rows.iter().enumerate().flat_map(|(r, row)| {
            row.cells
                .iter()
                .enumerate()
                .filter_map(move |(c, cell)| cell.as_ref().map(|b| (r, c, b)))
        })
    }
}

/// A selector: an optional indicator code and a disaggregation (`TT01[nguon=a]`, `[nguon=a]`,
/// `TT01`, or empty).
fn selector(text: &str) -> Result<(Option<String>, Disagg), String> {
    let text = text.trim();
    let (code, d) = split_key(text);
    if text.contains('[') && !text.ends_with(']') {
        return Err(format!("\"{text}\" thiếu dấu \"]\""));
    }
    let code = code.trim();
    Ok((
        (!code.is_empty()).then(|| code.to_string()),
        Disagg::parse(d)?,
    ))
}

/// The number printed over the `i`-th value column (from 0) in the form's numbering row: 3, 4,
/// … after TT and the stub (`numbers`), or 1, 2, … after A, B (`letters`).
fn printed_number(m: &Matrix, i: usize) -> usize {
    match m.numbering {
        Numbering::Numbers => i + 3,
        Numbering::Letters => i + 1,
    }
}

/// Resolves `[form.matrix]`; problems come back as (key, message).
pub fn resolve(
    m: &Matrix,
    indicators: &BTreeMap<String, Indicator>,
    dimensions: &BTreeMap<String, Dimension>,
    config_cells: &dyn Fn(&str, &Disagg) -> Result<(), String>,
) -> Result<MatrixLayout, Vec<(String, String)>> {
    let mut problems = Vec::new();
    // Columns.
    let mut cols: Vec<(LayoutColumn, Option<String>, Disagg, InputColumn)> = Vec::new();
    for (i, c) in m.columns.iter().enumerate() {
        let key = format!(
            "[[form.matrix.column]] thứ {} (cột {})",
            i + 1,
            printed_number(m, i)
        );
        match selector(c.cell.as_deref().unwrap_or("")) {
            Err(e) => problems.push((format!("{key}.cell"), e)),
            Ok((ind, d)) => {
                let derived = ind
                    .as_ref()
                    .and_then(|x| indicators.get(x))
                    .is_some_and(|x| x.is_computed());
                cols.push((
                    LayoutColumn {
                        group: c.group.clone(),
                        label: c.label.clone(),
                        width: c.width.unwrap_or(12.0),
                        consolidated_only: derived,
                    },
                    ind,
                    d,
                    c.value.unwrap_or(InputColumn::ThucHien),
                ))
            }
        }
    }
    // Rows, with generated blocks expanded.
    let mut rows: Vec<(LayoutRow, Option<String>, Disagg, usize)> = Vec::new();
    for (i, r) in m.rows.iter().enumerate() {
        let key = format!("[[form.matrix.row]] thứ {}", i + 1);
        let (ind, d) = match selector(r.cell.as_deref().unwrap_or("")) {
            Ok(x) => x,
            Err(e) => {
                problems.push((format!("{key}.cell"), e));
                continue;
            }
        };
        let plain = |label: String, stt: String, heading: bool| LayoutRow {
            stt,
            total: !heading && is_total_label(&label),
            printed: label.clone(),
            label,
            heading,
            sub: r.sub,
            option: None,
            cells: Vec::new(),
        };
        match &r.dimension {
            None => {
                let Some(label) = r.label.clone() else {
                    problems.push((format!("{key}.label"), "dòng cần label".to_string()));
                    continue;
                };
                let mut row = plain(label, r.stt.clone().unwrap_or_default(), r.heading);
                // An empty selector selects each column's total.
                row.total |= !r.heading && ind.is_none() && d.is_total();
                rows.push((row, ind, d, i));
            }
            Some(dim_code) => {
                let Some(dim) = dimensions.get(dim_code) else {
                    problems.push((
                        format!("{key}.dimension"),
                        format!("phân tổ \"{dim_code}\" không có trong danh mục"),
                    ));
                    continue;
                };
                if let Some(label) = &r.label {
                    rows.push((
                        plain(label.clone(), r.stt.clone().unwrap_or_default(), true),
                        None,
                        Disagg::default(),
                        i,
                    ));
                }
                for (n, o) in dim.options.iter().enumerate() {
                    let mut row = plain(o.name.clone(), (n + 1).to_string(), false);
                    row.option = Some(o.code.clone());
                    rows.push((row, ind.clone(), d.with(&dim.code, &o.code), i));
                }
            }
        }
    }
    // Body cells.
    let mut seen: BTreeMap<(String, InputColumn), String> = BTreeMap::new();
    let mut out_rows = Vec::new();
    for (mut row, rind, rd, ri) in rows {
        for (ci, (_, cind, cd, value)) in cols.iter().enumerate() {
            if row.heading {
                row.cells.push(None);
                continue;
            }
            let place = format!(
                "[[form.matrix.row]] thứ {} (dòng \"{}\") × cột {} ([[form.matrix.column]] thứ {})",
                ri + 1,
                row.label,
                printed_number(m, ci),
                ci + 1
            );
            let ind = match (&rind, cind) {
                (Some(a), Some(b)) if a != b => {
                    problems.push((
                        place,
                        format!("ô chọn hai chỉ tiêu ({a} theo dòng, {b} theo cột)"),
                    ));
                    row.cells.push(None);
                    continue;
                }
                (Some(a), _) | (None, Some(a)) => a.clone(),
                (None, None) => {
                    problems.push((
                        place,
                        "ô không ứng với chỉ tiêu nào (dòng và cột đều không ghi mã chỉ tiêu)"
                            .to_string(),
                    ));
                    row.cells.push(None);
                    continue;
                }
            };
            let clash: Vec<&String> =
                rd.0.iter()
                    .filter(|(k, v)| cd.get(k).is_some_and(|o| o != v.as_str()))
                    .map(|(k, _)| k)
                    .collect();
            if !clash.is_empty() {
                problems.push((
                    place,
                    format!(
                        "dòng và cột chọn hai phương án khác nhau của phân tổ {}",
                        clash[0]
                    ),
                ));
                row.cells.push(None);
                continue;
            }
            let d = rd.merged(cd);
            if !indicators.contains_key(&ind) {
                problems.push((place, format!("chỉ tiêu \"{ind}\" không có trong danh mục")));
                row.cells.push(None);
                continue;
            }
            if let Err(e) = config_cells(&ind, &d) {
                problems.push((place, e));
                row.cells.push(None);
                continue;
            }
            let key = cell_key(&ind, &d);
            if let Some(first) = seen.insert((key.clone(), *value), place.clone()) {
                problems.push((place, format!("ô {key} ({}) đã có ở {first}", value.key())));
            }
            row.cells.push(Some(BodyCell {
                indicator: ind,
                disagg: d,
                column: *value,
                key,
            }));
        }
        out_rows.push(row);
    }
    if cols.is_empty() {
        problems.push((
            "form.matrix.column".to_string(),
            "biểu chưa có cột nào".to_string(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    print_items(&mut out_rows);
    Ok(MatrixLayout {
        numbering: m.numbering,
        stt: m.stt.clone(),
        stub: m.stub.clone(),
        stub_width: m.stub_width.unwrap_or(30.0),
        columns: cols.into_iter().map(|c| c.0).collect(),
        rows: out_rows,
    })
}

/// Whether a row label names a total: "Tổng số", "Tổng số (1+2)", "Tổng cộng", "Cộng:" (any
/// case, with or without accents), not an indicator named so ("Tổng số hộ dân cư").
pub fn is_total_label(label: &str) -> bool {
    let f = crate::text::fold(label);
    let f = f.trim();
    let word_then_other = |w: &str| {
        f.strip_prefix(w).is_some_and(|rest| {
            rest.trim_start()
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
        })
    };
    f.starts_with("tong cong") || word_then_other("tong so") || word_then_other("cong")
}

/// How a "trong đó" item is printed under its total: the first of a run "Trong đó: <name>",
/// the following ones "- <name>"; a name already written so ("Trong đó: Nữ", "- Nữ") is kept.
pub fn item_label(name: &str, first: bool) -> String {
    let trimmed = name.trim_start();
    if crate::text::fold(trimmed).starts_with("trong do")
        || trimmed.starts_with(['-', '–', '+', '*'])
    {
        name.to_string()
    } else if first {
        format!("Trong đó: {trimmed}")
    } else {
        format!("- {trimmed}")
    }
}

/// Sets each row's printed label: the first sub row of a run is "Trong đó: <label>"
/// (`item_label`); the following ones, and a heading that opens the run ("Trong đó:"), are
/// printed as written (a label "- Thanh niên" keeps its dash; the reader accepts either).
fn print_items(rows: &mut [LayoutRow]) {
    let mut in_run = false;
    for row in rows {
        row.printed = if row.sub && !row.heading && !in_run {
            item_label(&row.label, true)
        } else {
            row.label.clone()
        };
        in_run = row.sub;
    }
}

/// Indicator codes a matrix names, in order of appearance.
pub fn codes(m: &Matrix) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let sels = m
        .rows
        .iter()
        .filter_map(|r| r.cell.as_deref())
        .chain(m.columns.iter().filter_map(|c| c.cell.as_deref()));
    for s in sels {
        let code = split_key(s.trim()).0.trim();
        if !code.is_empty() && !out.contains(&code) {
            out.push(code);
        }
    }
    out
}

impl Config {
    /// The resolved matrix layout of a regime's form, if it is a matrix form.
    pub fn layout(&self, regime: &str) -> Option<&MatrixLayout> {
        self.layouts.get(regime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, sub: bool, heading: bool) -> LayoutRow {
        LayoutRow {
            stt: String::new(),
            label: label.to_string(),
            heading,
            sub,
            total: false,
            printed: String::new(),
            option: None,
            cells: Vec::new(),
        }
    }

    #[test]
    fn total_labels_in_any_case_or_accents() {
        for l in [
            "Tổng số",
            "TỔNG CỘNG",
            "Cộng:",
            "Tổng số (1+2)",
            "Cộng",
            "tong so:",
        ] {
            assert!(is_total_label(l), "{l}");
        }
        for l in ["Cộng đồng", "Tổ chức", "Đảng viên", "Tổng số hộ dân cư"] {
            assert!(!is_total_label(l), "{l}");
        }
    }

    #[test]
    fn the_first_sub_row_of_a_run_reads_trong_do() {
        assert_eq!(item_label("Nữ", true), "Trong đó: Nữ");
        assert_eq!(item_label("Thanh niên", false), "- Thanh niên");
        assert_eq!(item_label("Trong đó: Nữ", true), "Trong đó: Nữ");
        assert_eq!(item_label("trong đó nữ", false), "trong đó nữ");
        assert_eq!(item_label("- Nữ", true), "- Nữ");
        let mut rows = vec![
            row("Tổng số", false, false),
            row("Đảng viên", true, false),
            row("Đoàn viên", true, false),
            row("Chia theo dân tộc", false, true),
            row("Trong đó:", true, true),
            row("Kinh", true, false),
            row("Khác", false, false),
            row("Trong đó: Nữ", true, false),
        ];
        print_items(&mut rows);
        let printed: Vec<&str> = rows.iter().map(|r| r.printed.as_str()).collect();
        assert_eq!(
            printed,
            [
                "Tổng số",
                "Trong đó: Đảng viên",
                "Đoàn viên",
                "Chia theo dân tộc",
                "Trong đó:",
                "Kinh",
                "Khác",
                "Trong đó: Nữ"
            ]
        );
    }
}
