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
                    .is_some_and(|x| x.is_derived());
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
                rows.push((
                    plain(label, r.stt.clone().unwrap_or_default(), r.heading),
                    ind,
                    d,
                    i,
                ));
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
    Ok(MatrixLayout {
        numbering: m.numbering,
        stt: m.stt.clone(),
        stub: m.stub.clone(),
        stub_width: m.stub_width.unwrap_or(30.0),
        columns: cols.into_iter().map(|c| c.0).collect(),
        rows: out_rows,
    })
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
