//! Reading a matrix form: the table is found by the form's own column numbering row (1, 2, 3,
//! … under the headers), not by fixed positions; rows are matched to the layout's rows by
//! their label (NFC, then ignoring case and diacritics with a warning) or by an option code.
//!
//! Tolerates what officers do to forms: inserted rows above or inside the table, blank rows,
//! merged headers, numbers typed as text. A row the layout does not have (an unknown lĩnh
//! vực) is reported and left out; the rest of the file is read.

use std::collections::BTreeMap;

use super::grid::{read_value, strip_item_prefix, Cell, Grid, TableValues};
use super::Value;
use crate::catalog::{Config, MatrixLayout, Numbering};
use crate::diag::{cell_ref, Code, Diagnostic, Location};
use crate::text::{fold, nfc};

/// Where a matrix table sits on a sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixPlace {
    pub first_header_row: u32,
    pub numbering_row: u32,
    pub stt_col: u32,
    pub stub_col: u32,
    /// Layout column index → sheet column.
    pub columns: Vec<(usize, u32)>,
}

/// The number a numbering cell shows: `3`, `"3"`, `"(3)"`.
fn number_label(c: &Cell) -> Option<u32> {
    match c {
        Cell::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= 1000.0 => Some(*n as u32),
        Cell::Text(t) => t
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n)),
        _ => None,
    }
}

/// Finds the numbering row (among the first 80): the row whose cells read 1, 2, 3, … left to
/// right with one number per printed column of the unit form or of the consolidated form.
pub fn find(grid: &Grid, layout: &MatrixLayout) -> Option<MatrixPlace> {
    let unit_cols = layout.printed(false);
    let all_cols = layout.printed(true);
    for r in 0..grid.height().min(80) {
        let Some(row) = grid.rows.get(r as usize) else {
            continue;
        };
        let numbers: Vec<(u32, u32)> = row
            .iter()
            .enumerate()
            .filter_map(|(c, cell)| number_label(cell).map(|n| (n, c as u32)))
            .collect();
        let consecutive = numbers
            .iter()
            .enumerate()
            .all(|(i, (n, _))| *n == i as u32 + 1);
        // Numbers: STT and the labels are 1 and 2, the table's numbers run on from 3. Letters:
        // the table's numbers start at 1 (one column of figures is a table), beside A and B.
        let has = |l: &str| {
            row.iter()
                .any(|c| c.text().is_some_and(|t| t.trim().eq_ignore_ascii_case(l)))
        };
        let enough = match layout.numbering {
            Numbering::Numbers => numbers.len() >= 3,
            Numbering::Letters => numbers.len() >= 3 || (has("A") && has("B")),
        };
        if !consecutive || numbers.is_empty() || !enough {
            continue;
        }
        // Numbers: 1 and 2 are STT and the row labels. Letters: A and B stand before 1.
        let skip = match layout.numbering {
            Numbering::Numbers => 2,
            Numbering::Letters => 0,
        };
        let printed = if numbers.len() == skip + all_cols.len() {
            &all_cols
        } else if numbers.len() == skip + unit_cols.len() {
            &unit_cols
        } else {
            continue;
        };
        let (stt_col, stub_col) = stt_and_stub(row, &numbers, skip);
        let depth = layout.header_depth() as u32;
        return Some(MatrixPlace {
            first_header_row: r.saturating_sub(depth),
            numbering_row: r,
            stt_col,
            stub_col,
            columns: printed
                .iter()
                .zip(&numbers[skip..])
                .map(|(ci, (_, c))| (*ci, *c))
                .collect(),
        });
    }
    None
}

/// The STT and the row labels' columns of a numbering row: numbered 1 and 2 (`skip` 2), else
/// lettered A and B (or the two columns before the first number).
fn stt_and_stub(row: &[Cell], numbers: &[(u32, u32)], skip: usize) -> (u32, u32) {
    if skip == 2 {
        (numbers[0].1, numbers[1].1)
    } else {
        let letter = |l: &str| {
            row.iter()
                .position(|c| c.text().is_some_and(|t| t.trim().eq_ignore_ascii_case(l)))
                .map(|c| c as u32)
        };
        let first = numbers[0].1;
        (
            letter("A").unwrap_or(first.saturating_sub(2)),
            letter("B").unwrap_or(first.saturating_sub(1)),
        )
    }
}

/// Reads the body rows of a matrix table.
pub fn read(
    grid: &Grid,
    place: &MatrixPlace,
    layout: &MatrixLayout,
    config: &Config,
    file: &str,
) -> TableValues {
    let mut out = TableValues {
        end_row: grid.height(),
        ..TableValues::default()
    };
    let rows = MatrixRows::new(grid, place, layout, config, file);
    let mut used: BTreeMap<usize, u32> = BTreeMap::new();
    for r in place.numbering_row + 1..grid.height() {
        if rows.is_footer(r) {
            out.end_row = r;
            break;
        }
        let Some(i) = rows.row_of(r, &used, &mut out.diagnostics) else {
            continue;
        };
        used.insert(i, r);
        rows.read_cells(r, i, &mut out);
    }
    out
}

/// A matrix table being read: its sheet, place and layout, and the layout's rows by label.
struct MatrixRows<'a> {
    grid: &'a Grid,
    place: &'a MatrixPlace,
    layout: &'a MatrixLayout,
    config: &'a Config,
    file: &'a str,
    // One allocation of the file's and the sheet's names for all the figures read.
    sheet: std::sync::Arc<Location>,
    /// Candidate layout rows by label (NFC) and by option code.
    by_name: BTreeMap<String, Vec<usize>>,
    /// Candidate layout rows by label without accents and case.
    by_fold: BTreeMap<String, Vec<usize>>,
}

/// The first of `cands` not yet used by a row of the sheet.
fn free(cands: Option<&Vec<usize>>, used: &BTreeMap<usize, u32>) -> Option<usize> {
    cands.and_then(|c| c.iter().copied().find(|i| !used.contains_key(i)))
}

impl<'a> MatrixRows<'a> {
    fn new(
        grid: &'a Grid,
        place: &'a MatrixPlace,
        layout: &'a MatrixLayout,
        config: &'a Config,
        file: &'a str,
    ) -> MatrixRows<'a> {
        // Candidate layout rows by label, NFC and folded, and by option code.
        let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by_fold: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, row) in layout.rows.iter().enumerate().filter(|(_, r)| !r.heading) {
            by_name.entry(nfc(&row.label)).or_default().push(i);
            by_fold.entry(fold(&row.label)).or_default().push(i);
            // A "trong đó" row's bare name too ("Đảng viên" for "Trong đó: Đảng viên").
            let bare = strip_item_prefix(&nfc(&row.label));
            if bare != nfc(&row.label) && !bare.is_empty() {
                by_fold.entry(fold(&bare)).or_default().push(i);
                by_name.entry(bare).or_default().push(i);
            }
            if let Some(o) = &row.option {
                by_name.entry(o.clone()).or_default().push(i);
            }
        }
        MatrixRows {
            grid,
            place,
            layout,
            config,
            file,
            sheet: crate::diag::At::sheet(file, &grid.sheet),
            by_name,
            by_fold,
        }
    }

    /// A cell of the sheet, its file and sheet names shared.
    fn loc(&self, r: u32, c: u32) -> Location {
        Location::cell(&self.sheet.file, &self.sheet.sheet, cell_ref(r, c))
    }

    /// A figure's cell of the sheet.
    fn at(&self, r: u32, c: u32) -> crate::diag::At {
        crate::diag::At::cell(&self.sheet, r, c)
    }

    /// Row `r` starts the footer: the place-and-date line or the signatures.
    fn is_footer(&self, r: u32) -> bool {
        // Only text cells can hold the footer's words: numbers are not folded.
        let row_text: Vec<String> = self.grid.rows[r as usize]
            .iter()
            .filter_map(|c| c.text().map(fold))
            .collect();
        // The footer: the place-and-date line or the signatures.
        let footer = |t: &String| {
            t.contains("nguoi lap bieu")
                || t.contains("thu truong don vi")
                || crate::text::has_date_line(t)
        };
        row_text.iter().any(footer)
    }

    /// The layout row that row `r` is, among those not yet `used`: by its label, else by its
    /// label without accents and case (a warning). `None` for a row without a label, a second
    /// row of a used label, or an unknown one (said where it matters).
    fn row_of(
        &self,
        r: u32,
        used: &BTreeMap<usize, u32>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<usize> {
        let (grid, place, layout) = (self.grid, self.place, self.layout);
        let raw = grid.get(r, place.stub_col).as_label();
        let label = strip_item_prefix(&nfc(&raw));
        let has_values = place
            .columns
            .iter()
            .any(|(_, c)| !grid.get(r, *c).is_empty());
        if label.is_empty() {
            if has_values {
                diags.push(Diagnostic::new(
                    Code::UnknownRow,
                    self.loc(r, place.stub_col),
                    "Dòng có số liệu nhưng không ghi tên ở cột tên dòng; số liệu dòng này không được tổng hợp.\nGhi lại tên dòng như biểu mẫu rồi gửi lại.",
                ));
            }
            return None;
        }
        let exact = self
            .by_name
            .get(&nfc(raw.trim()))
            .or_else(|| self.by_name.get(&label));
        let mut matched = free(exact, used);
        if matched.is_none() {
            if let Some(i) = free(self.by_fold.get(&fold(&label)), used) {
                diags.push(Diagnostic::new(
                    Code::FuzzyNameMatch,
                    self.loc(r, place.stub_col),
                    format!(
                        "Dòng \"{label}\" được hiểu là dòng \"{}\" của biểu (khớp khi bỏ dấu và chữ hoa/thường).\nGiữ nguyên tên dòng như biểu mẫu.",
                        layout.rows[i].label
                    ),
                ));
                matched = Some(i);
            }
        }
        if matched.is_none() {
            self.say_unmatched(r, &label, exact, used, has_values, diags);
        }
        matched
    }

    /// Says a row whose label matched no free layout row: a second row of a label already
    /// read, or, with figures, a label the layout has not (its headings aside).
    fn say_unmatched(
        &self,
        r: u32,
        label: &str,
        exact: Option<&Vec<usize>>,
        used: &BTreeMap<usize, u32>,
        has_values: bool,
        diags: &mut Vec<Diagnostic>,
    ) {
        let layout = self.layout;
        let is_label_of_used = exact.is_some() || self.by_fold.contains_key(&fold(label));
        if is_label_of_used {
            let first = exact
                .or_else(|| self.by_fold.get(&fold(label)))
                .and_then(|c| c.first())
                .and_then(|i| used.get(i))
                .copied()
                .unwrap_or(r);
            diags.push(Diagnostic::new(
                Code::DuplicateRow,
                self.loc(r, self.place.stub_col),
                format!(
                    "Dòng \"{label}\" xuất hiện hai lần (dòng {} và dòng {}).\nXóa dòng thừa rồi gửi lại.",
                    first + 1,
                    r + 1
                ),
            ));
        } else if has_values
            && !layout
                .rows
                .iter()
                .any(|x| x.heading && fold(&x.label) == fold(label))
        {
            diags.push(Diagnostic::new(
                Code::UnknownRow,
                self.loc(r, self.place.stub_col),
                format!(
                    "Dòng \"{label}\" không khớp dòng nào của biểu ({}); số liệu dòng này không được tổng hợp.\nDùng đúng tên dòng như biểu mẫu; nếu là {} mới, đề nghị bổ sung vào danh mục.",
                    layout.stub, crate::text::lower_first(&layout.stub)
                ),
            ));
        }
    }

    /// The figures of row `r`, the layout's row `i` (computed cells aside), and where each
    /// empty one is.
    fn read_cells(&self, r: u32, i: usize, out: &mut TableValues) {
        let (grid, config, layout) = (self.grid, self.config, self.layout);
        let row = &layout.rows[i];
        for (ci, c) in &self.place.columns {
            let Some(cell) = &row.cells[*ci] else {
                continue;
            };
            let Some(ind) = config
                .indicator(&cell.indicator)
                .filter(|x| !x.is_computed())
            else {
                continue; // computed again after consolidation
            };
            // The column's header where the cell's own description does not already say it
            // ("… (Dân tộc: Dân tộc thiểu số)", not again "(Dân tộc thiểu số)").
            let what = || {
                let cell_name = config.describe_cell(&cell.indicator, &cell.disagg);
                let header = layout.columns[*ci].label.trim();
                if header.is_empty() || cell_name.contains(header) {
                    format!("Ô {cell_name}")
                } else {
                    format!("Ô {cell_name} ({header})")
                }
            };
            if grid.get(r, *c).is_empty() {
                out.empty_cells.push((r, *c, what()));
                continue;
            }
            if let Some(v) = read_value(grid, r, *c, ind, &what, self.file, &mut out.diagnostics) {
                out.values.insert(
                    (cell.key.clone(), cell.column),
                    Value {
                        value: v,
                        location: self.at(r, *c),
                    },
                );
            }
        }
    }
}
