//! List annexes (`[[list]]`) read from a workbook's sheets: the sheet named as the list's (or
//! any sheet whose header row names the list's columns), its header matched by the columns'
//! names (case and diacritics aside), then every row below it, blank rows skipped, up to a
//! "Tổng"/"Cộng" row or the signature block. Each cell reads by its column's type
//! (`catalog::lists`); a bad cell is a diagnostic at its cell and the other rows go on.

use std::collections::BTreeMap;

use super::grid::{is_signature_label, Cell, Grid};
use super::number::{read_number, Reading};
use crate::catalog::lists::{Bad, ListSpec, ListType, Lookup};
use crate::diag::{cell_ref, Code, Diagnostic, Location};
use crate::model::ListRow;
use crate::schedule::Window;
use crate::text::fold;

/// How many rows from the top a list's header row is looked for.
const HEADER_ROWS: u32 = 30;

/// Every list of `lists` found on `sheets`: the rows by list code (a list found with no row
/// is there, empty); a list not found is absent, with a warning.
pub fn read(
    sheets: &[Grid],
    lists: &[ListSpec],
    look: &Lookup<'_>,
    window: Window,
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Vec<ListRow>> {
    let mut out = BTreeMap::new();
    for spec in lists {
        let named = fold(&spec.sheet_name());
        let by_name = sheets.iter().find(|g| fold(&g.sheet) == named);
        let found = by_name
            .and_then(|g| header(g, spec).map(|h| (g, h)))
            .or_else(|| sheets.iter().find_map(|g| header(g, spec).map(|h| (g, h))));
        let Some((grid, (row, cols))) = found else {
            diags.push(Diagnostic::new(
                Code::ListNotFound,
                Location::file(file),
                format!(
                    "Không tìm thấy danh sách \"{}\": không trang nào có dòng tiêu đề gồm các cột {}.\nDùng biểu mẫu do baocao tạo (trang \"{}\"); không có gì để kê thì để trống các dòng của danh sách.",
                    spec.title,
                    spec.columns.iter().map(|c| format!("\"{}\"", c.name)).collect::<Vec<_>>().join(", "),
                    spec.sheet_name()
                ),
            ));
            continue;
        };
        for (i, c) in spec.columns.iter().enumerate() {
            if cols[i].is_none() && c.required {
                diags.push(Diagnostic::new(
                    Code::ListColumnMissing,
                    Location::cell(file, &grid.sheet, cell_ref(row, 0)),
                    format!(
                        "Danh sách \"{}\" thiếu cột bắt buộc \"{}\" ở dòng tiêu đề {}.\nGiữ nguyên các cột của biểu mẫu rồi gửi lại.",
                        spec.title, c.name, row + 1
                    ),
                ));
            }
        }
        let rows = read_rows(grid, spec, row, &cols, look, window, file, diags);
        out.insert(spec.code.clone(), rows);
    }
    out
}

/// The header row of a list on a sheet and each column's place there: the first row (from the
/// top) naming at least half of the list's columns.
fn header(grid: &Grid, spec: &ListSpec) -> Option<(u32, Vec<Option<u32>>)> {
    let names: Vec<String> = spec.columns.iter().map(|c| fold(&c.name)).collect();
    let need = spec.columns.len().div_ceil(2).max(1);
    (0..grid.height().min(HEADER_ROWS)).find_map(|r| {
        let mut cols = vec![None; names.len()];
        for (_, c, t) in grid.texts(r, r + 1) {
            let f = fold(t);
            if let Some(i) = names.iter().position(|n| *n == f) {
                cols[i].get_or_insert(c);
            }
        }
        (cols.iter().flatten().count() >= need).then_some((r, cols))
    })
}

#[allow(clippy::too_many_arguments)]
fn read_rows(
    grid: &Grid,
    spec: &ListSpec,
    header: u32,
    cols: &[Option<u32>],
    look: &Lookup<'_>,
    window: Window,
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<ListRow> {
    let mut out = Vec::new();
    let first = cols.iter().flatten().copied().min().unwrap_or(0);
    for r in header + 1..grid.height() {
        let cells: Vec<&Cell> = cols
            .iter()
            .map(|c| c.map_or(&Cell::Empty, |c| grid.get(r, c)))
            .collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue; // a blank row: skipped, the list may go on below it
        }
        if grid.rows[r as usize].iter().any(is_signature_label) || is_total_row(grid, r) {
            break;
        }
        let at = |c: u32| Location::cell(file, &grid.sheet, cell_ref(r, c));
        let mut values = Vec::with_capacity(cells.len());
        for (i, (column, cell)) in spec.columns.iter().zip(&cells).enumerate() {
            let place = cols[i].unwrap_or(first);
            let what = || {
                format!(
                    "Danh sách \"{}\", dòng {}, cột \"{}\"",
                    spec.title,
                    r + 1,
                    column.name
                )
            };
            let (typed, number) = match cell {
                Cell::Empty => (String::new(), None),
                Cell::Text(t) => {
                    let number = match read_number(t) {
                        Reading::Value(v) | Reading::Ambiguous { value: v, .. } => Some(v),
                        Reading::Invalid => None,
                    };
                    (t.trim().to_string(), number)
                }
                Cell::Number(v) if column.kind == ListType::Date => (serial_date(*v), Some(*v)),
                Cell::Number(v) if v.fract() == 0.0 && v.abs() < 1e15 => {
                    (format!("{}", *v as i64), Some(*v))
                }
                Cell::Number(v) => (crate::text::fmt_vn(*v, 6), Some(*v)),
                Cell::Date(d) => (serial_date(*d), None),
                Cell::Bool(b) => ((if *b { "true" } else { "false" }).to_string(), None),
                Cell::Error(e) => (e.clone(), None),
            };
            if typed.is_empty() {
                if column.required {
                    diags.push(Diagnostic::new(
                        Code::ListRequiredMissing,
                        at(place),
                        format!("{}: bắt buộc nhưng để trống; dòng vẫn được tổng hợp.\nGhi đủ rồi gửi lại.", what()),
                    ));
                }
                values.push(None);
                continue;
            }
            match column.read(&typed, number, look) {
                Ok(v) => {
                    if column.in_period {
                        if let Some(d) = crate::catalog::lists::parse_date(&v) {
                            if d < window.from || d > window.to {
                                diags.push(Diagnostic::new(
                                    Code::ListDateOutsidePeriod,
                                    at(place),
                                    format!(
                                        "{}: ngày {} ngoài kỳ báo cáo ({} – {}); dòng vẫn được tổng hợp.\nKiểm tra lại ngày; nếu việc thuộc kỳ khác thì kê ở báo cáo kỳ đó.",
                                        what(),
                                        d.format("%d/%m/%Y"),
                                        window.from.format("%d/%m/%Y"),
                                        window.to.format("%d/%m/%Y")
                                    ),
                                ));
                            }
                        }
                    }
                    values.push(Some(v));
                }
                Err(Bad::OutOfRange(why)) if column.kind == ListType::Text => {
                    diags.push(Diagnostic::new(
                        Code::TextTooLong,
                        at(place),
                        format!(
                            "{}: {why}; vẫn giữ nguyên.\nLần sau ghi ngắn gọn hơn.",
                            what()
                        ),
                    ));
                    values.push(Some(crate::text::nfc(&typed)));
                }
                Err(Bad::OutOfRange(why)) => {
                    diags.push(Diagnostic::new(
                        Code::ListInvalid,
                        at(place),
                        format!("{}: \"{typed}\" {why}; ô để trống trong danh sách tổng hợp.\nSửa lại rồi gửi lại.", what()),
                    ));
                    values.push(None);
                }
                Err(Bad::Invalid(expected)) => {
                    diags.push(Diagnostic::new(
                        Code::ListInvalid,
                        at(place),
                        format!("{}: \"{typed}\" không phải {expected}; ô để trống trong danh sách tổng hợp.\nSửa lại rồi gửi lại.", what()),
                    ));
                    values.push(None);
                }
            }
        }
        out.push(ListRow {
            cells: values,
            location: at(first),
        });
    }
    out
}

/// A row whose first text is "Tổng", "Tổng cộng" or "Cộng": the list ended above it.
fn is_total_row(grid: &Grid, r: u32) -> bool {
    grid.texts(r, r + 1).next().is_some_and(|(_, _, t)| {
        let f = fold(t);
        f == "tong" || f == "cong" || f.starts_with("tong cong") || f.starts_with("tong so")
    })
}

/// An Excel date serial as 2026-09-30 (the 1900 system).
fn serial_date(serial: f64) -> String {
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|d| d.checked_add_days(chrono::Days::new(serial.max(0.0) as u64)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}
