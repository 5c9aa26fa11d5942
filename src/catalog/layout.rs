//! A matrix form resolved against the catalog: every body cell's key, checked.
//!
//! Owns turning `[form.matrix]` (rows and columns of selectors) into a `MatrixLayout`: rows
//! generated from dimensions, header groups, and for each body cell the indicator, the
//! disaggregation and the value column that its row and column select together. A cell that
//! selects no indicator, two indicators, two options of one dimension, or a key the indicator
//! does not have is a config problem; so is a key printed twice. Writing and reading forms
//! (`render::matrix`, `ingest::matrix`) use the resolved layout only.

use std::collections::BTreeMap;

use super::regime::{InputColumn, Matrix, MatrixRow, Numbering};
use super::{Config, Dimension, Indicator};
use crate::model::{cell_key, interned, split_key, CellKey, Disagg};

/// One body cell: which figure it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyCell {
    pub indicator: String,
    pub disagg: Disagg,
    pub column: InputColumn,
    /// The cell key (`TT01[linh_vuc=ho_tich;nguon=truc_tuyen]`), `interned`: each figure read
    /// from the cell holds a copy.
    pub key: CellKey,
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
    let cols = select_columns(m, indicators, &mut problems);
    let rows = select_rows(m, dimensions, &mut problems);
    let mut body = Body {
        m,
        indicators,
        config_cells,
        cols: &cols,
        seen: BTreeMap::new(),
        problems,
    };
    let mut out_rows: Vec<LayoutRow> = rows.into_iter().map(|r| body.row(r)).collect();
    let mut problems = body.problems;
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
        columns: cols.into_iter().map(|c| c.column).collect(),
        rows: out_rows,
    })
}

/// A value column before its cells are resolved: the column as printed, and the indicator,
/// the disaggregation and the value column it selects.
struct SelectedColumn {
    column: LayoutColumn,
    indicator: Option<String>,
    disagg: Disagg,
    value: InputColumn,
}

/// A row before its cells are resolved: the row as printed, what it selects, and the index of
/// the `[[form.matrix.row]]` it comes from.
struct SelectedRow {
    row: LayoutRow,
    indicator: Option<String>,
    disagg: Disagg,
    source: usize,
}

/// The value columns of `[form.matrix]` with what each selects; a column whose selector does
/// not read is a problem and left out.
fn select_columns(
    m: &Matrix,
    indicators: &BTreeMap<String, Indicator>,
    problems: &mut Vec<(String, String)>,
) -> Vec<SelectedColumn> {
    let mut cols = Vec::new();
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
                cols.push(SelectedColumn {
                    column: LayoutColumn {
                        group: c.group.clone(),
                        label: c.label.clone(),
                        width: c.width.unwrap_or(12.0),
                        consolidated_only: derived,
                    },
                    indicator: ind,
                    disagg: d,
                    value: c.value.unwrap_or(InputColumn::ThucHien),
                })
            }
        }
    }
    cols
}

/// The rows of `[form.matrix]`, with generated blocks expanded (`select_row`).
fn select_rows(
    m: &Matrix,
    dimensions: &BTreeMap<String, Dimension>,
    problems: &mut Vec<(String, String)>,
) -> Vec<SelectedRow> {
    let mut rows = Vec::new();
    for (i, r) in m.rows.iter().enumerate() {
        select_row(r, i, dimensions, problems, &mut rows);
    }
    rows
}

/// The `i`-th `[[form.matrix.row]]` as rows: a written row, or a generated block (its
/// heading when labelled, then one row per option of its dimension). A row that does not
/// read is a problem and left out.
fn select_row(
    r: &MatrixRow,
    i: usize,
    dimensions: &BTreeMap<String, Dimension>,
    problems: &mut Vec<(String, String)>,
    rows: &mut Vec<SelectedRow>,
) {
    let key = format!("[[form.matrix.row]] thứ {}", i + 1);
    let (ind, d) = match selector(r.cell.as_deref().unwrap_or("")) {
        Ok(x) => x,
        Err(e) => {
            problems.push((format!("{key}.cell"), e));
            return;
        }
    };
    match &r.dimension {
        None => {
            let Some(label) = r.label.clone() else {
                problems.push((format!("{key}.label"), "dòng cần label".to_string()));
                return;
            };
            let mut row = plain_row(label, r.stt.clone().unwrap_or_default(), r.heading, r.sub);
            // An empty selector selects each column's total.
            row.total |= !r.heading && ind.is_none() && d.is_total();
            rows.push(SelectedRow {
                row,
                indicator: ind,
                disagg: d,
                source: i,
            });
        }
        Some(dim_code) => {
            let Some(dim) = dimensions.get(dim_code) else {
                problems.push((
                    format!("{key}.dimension"),
                    format!("phân tổ \"{dim_code}\" không có trong danh mục"),
                ));
                return;
            };
            generated_rows(r, i, dim, &ind, &d, rows);
        }
    }
}

/// A generated block of the `i`-th row: its heading when labelled, then one row per option
/// of `dim`, each selecting the row's indicator (`ind`) and disaggregation (`d`) with that
/// option.
fn generated_rows(
    r: &MatrixRow,
    i: usize,
    dim: &Dimension,
    ind: &Option<String>,
    d: &Disagg,
    rows: &mut Vec<SelectedRow>,
) {
    if let Some(label) = &r.label {
        rows.push(SelectedRow {
            row: plain_row(
                label.clone(),
                r.stt.clone().unwrap_or_default(),
                true,
                r.sub,
            ),
            indicator: None,
            disagg: Disagg::default(),
            source: i,
        });
    }
    for (n, o) in dim.options.iter().enumerate() {
        let mut row = plain_row(o.name.clone(), (n + 1).to_string(), false, r.sub);
        row.option = Some(o.code.clone());
        rows.push(SelectedRow {
            row,
            indicator: ind.clone(),
            disagg: d.with(&dim.code, &o.code),
            source: i,
        });
    }
}

/// A row without cells yet: a total when it is not a heading and its label names a total.
fn plain_row(label: String, stt: String, heading: bool, sub: bool) -> LayoutRow {
    LayoutRow {
        stt,
        total: !heading && is_total_label(&label),
        printed: label.clone(),
        label,
        heading,
        sub,
        option: None,
        cells: Vec::new(),
    }
}

/// The body cells of the rows: each row crossed with each column, every key printed so far
/// remembered (a key printed twice is a problem).
struct Body<'a> {
    m: &'a Matrix,
    indicators: &'a BTreeMap<String, Indicator>,
    config_cells: &'a dyn Fn(&str, &Disagg) -> Result<(), String>,
    cols: &'a [SelectedColumn],
    /// Where each (cell key, value column) is first printed.
    seen: BTreeMap<(String, InputColumn), String>,
    problems: Vec<(String, String)>,
}

impl Body<'_> {
    /// The row with one cell per column: none on a heading or where the cell is a problem.
    fn row(&mut self, r: SelectedRow) -> LayoutRow {
        let cols = self.cols;
        let mut cells = Vec::new();
        for (ci, col) in cols.iter().enumerate() {
            if r.row.heading {
                cells.push(None);
                continue;
            }
            cells.push(self.cell(&r, ci, col));
        }
        let mut row = r.row;
        row.cells = cells;
        row
    }

    /// The cell row `r` and column `ci` select together; none when they select no indicator,
    /// two indicators, two options of one dimension, or a cell the catalog has not.
    fn cell(&mut self, r: &SelectedRow, ci: usize, col: &SelectedColumn) -> Option<BodyCell> {
        let place = format!(
            "[[form.matrix.row]] thứ {} (dòng \"{}\") × cột {} ([[form.matrix.column]] thứ {})",
            r.source + 1,
            r.row.label,
            printed_number(self.m, ci),
            ci + 1
        );
        let (ind, d) = match self.selected(r, col) {
            Ok(x) => x,
            Err(e) => {
                self.problems.push((place, e));
                return None;
            }
        };
        let key = cell_key(&ind, &d);
        let value = col.value;
        if let Some(first) = self.seen.insert((key.clone(), value), place.clone()) {
            self.problems
                .push((place, format!("ô {key} ({}) đã có ở {first}", value.key())));
        }
        Some(BodyCell {
            indicator: ind,
            disagg: d,
            column: value,
            key: interned(&key),
        })
    }

    /// The indicator and the disaggregation row `r` and column `col` select together, checked
    /// against the catalog; the error says what is wrong with the cell.
    fn selected(&self, r: &SelectedRow, col: &SelectedColumn) -> Result<(String, Disagg), String> {
        let ind = match (&r.indicator, &col.indicator) {
            (Some(a), Some(b)) if a != b => {
                return Err(format!("ô chọn hai chỉ tiêu ({a} theo dòng, {b} theo cột)"));
            }
            (Some(a), _) | (None, Some(a)) => a.clone(),
            (None, None) => {
                return Err(
                    "ô không ứng với chỉ tiêu nào (dòng và cột đều không ghi mã chỉ tiêu)"
                        .to_string(),
                );
            }
        };
        let clash: Vec<&String> = r
            .disagg
            .0
            .iter()
            .filter(|(k, v)| col.disagg.get(k).is_some_and(|o| o != v.as_str()))
            .map(|(k, _)| k)
            .collect();
        if !clash.is_empty() {
            return Err(format!(
                "dòng và cột chọn hai phương án khác nhau của phân tổ {}",
                clash[0]
            ));
        }
        let d = r.disagg.merged(&col.disagg);
        if !self.indicators.contains_key(&ind) {
            return Err(format!("chỉ tiêu \"{ind}\" không có trong danh mục"));
        }
        (self.config_cells)(&ind, &d)?;
        Ok((ind, d))
    }
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
