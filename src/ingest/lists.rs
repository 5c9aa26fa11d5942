//! List annexes (`[[list]]`) read from a workbook's sheets: the sheet named as the list's (or
//! any sheet whose header row names the list's columns), its header matched by the columns'
//! names (case and diacritics aside), then every row below it, blank rows skipped, up to a
//! "Tổng"/"Cộng" row or the signature block. Each cell reads by its column's type
//! (`catalog::lists`); a bad cell is a diagnostic at its cell and the other rows go on.

use std::collections::BTreeMap;

use super::grid::{is_signature_label, Cell, Grid};
use super::number::{read_number, Reading};
use crate::catalog::lists::{Bad, ListSpec, ListType, Lookup};
use crate::catalog::InputColumn;
use crate::diag::{cell_ref, Code, Diagnostic, Location};
use crate::model::{CellKey, ListRow, ListTable, Value};
use crate::schedule::Window;
use crate::text::fold;

/// Every list of `lists` found on `sheets`: the rows by list code (a list found with no row
/// is there, empty); a list not found is absent, with a warning. The figures the lists feed
/// are validation's (`feed`), once the lists a unit sent alone have joined its form.
pub fn read(
    sheets: &[Grid],
    lists: &[ListSpec],
    look: &Lookup<'_>,
    window: Window,
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, ListTable> {
    let mut out = BTreeMap::new();
    for spec in lists {
        let list = SheetList {
            spec,
            look,
            window,
            file,
        };
        if let Some(table) = list.find(sheets, diags) {
            out.insert(spec.code.clone(), table);
        }
    }
    out
}

/// A list to read from a workbook's sheets: its spec, and what its cells are read against.
struct SheetList<'a> {
    spec: &'a ListSpec,
    look: &'a Lookup<'a>,
    window: Window,
    file: &'a str,
}

impl SheetList<'_> {
    /// The list's table: from the first sheet with its header that has rows (its own sheet
    /// first), else the first with its header; `None` (said) where no sheet has its header.
    /// Missing required columns are said, then what reading its rows said.
    fn find(&self, sheets: &[Grid], diags: &mut Vec<Diagnostic>) -> Option<ListTable> {
        let (spec, file) = (self.spec, self.file);
        // The list's own sheet first, then any sheet with its header (a block below the table).
        let named = fold(&spec.sheet_name());
        // Looked for sheet by sheet, up to the first with rows (the other sheets are not
        // searched for a header, a fold of every text of a nation's forms).
        let candidates = sheets
            .iter()
            .filter(|g| fold(&g.sheet) == named)
            .chain(sheets.iter().filter(|g| fold(&g.sheet) != named))
            .filter_map(|g| header(g, spec).map(|h| (g, h)));
        let Some(((grid, (row, cols)), rows, said)) = self.first_with_rows(candidates) else {
            diags.push(Diagnostic::new(
                Code::ListNotFound,
                Location::cell(file, spec.sheet_name(), ""),
                format!(
                    "Không tìm thấy danh sách \"{}\": không trang nào có dòng tiêu đề gồm các cột {}.\nDùng biểu mẫu do baocao tạo (trang \"{}\"); không có gì để kê thì để trống các dòng của danh sách.",
                    spec.title,
                    spec.columns.iter().map(|c| format!("\"{}\"", c.name)).collect::<Vec<_>>().join(", "),
                    spec.sheet_name()
                ),
            ));
            return None;
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
        diags.extend(said);
        let at = Location::cell(file, &grid.sheet, cell_ref(row, 0));
        Some(ListTable { at, rows })
    }

    /// Of the sheets with the list's header, the first that has rows (else the first): the
    /// sheet and its header, its rows and what reading them said.
    fn first_with_rows<'g>(
        &self,
        candidates: impl Iterator<Item = (&'g Grid, Header)>,
    ) -> Option<Chosen<'g>> {
        // The first that has rows: a unit that typed its list below the table left the list's
        // own sheet empty.
        let mut chosen: Option<Chosen<'g>> = None;
        for (g, (row, cols)) in candidates {
            let mut said = Vec::new();
            let rows = self.read_rows(g, row, &cols, &mut said);
            let found = !rows.is_empty();
            if found || chosen.is_none() {
                chosen = Some(((g, (row, cols)), rows, said));
            }
            if found {
                break;
            }
        }
        chosen
    }

    /// The rows below the list's `header` on `grid` (`cols`: each column's place), blank rows
    /// skipped, up to a total row or the signature block.
    fn read_rows(
        &self,
        grid: &Grid,
        header: u32,
        cols: &[Option<u32>],
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<ListRow> {
        let mut out = Vec::new();
        let first = cols.iter().flatten().copied().min().unwrap_or(0);
        let listing = listing_columns(grid, self.spec, header);
        for r in header + 1..grid.height() {
            let cells: Vec<&Cell> = cols
                .iter()
                .map(|c| c.map_or(&Cell::Empty, |c| grid.get(r, c)))
                .collect();
            if cells.iter().all(|c| c.is_empty()) {
                continue; // a blank row: skipped, the list may go on below it
            }
            if ends_list(grid, r) {
                break;
            }
            let listed_by = listed_by(grid, r, listing);
            // A row of a lower level's consolidated list was checked there, where its unit was
            // told.
            let mut checked_below = Vec::new();
            let said = if listed_by.is_some() {
                &mut checked_below
            } else {
                &mut *diags
            };
            let values = self.row_values(grid, r, &cells, cols, first, said);
            out.push(ListRow {
                cells: values,
                location: Location::cell(self.file, &grid.sheet, cell_ref(r, first)),
                listed_by,
            });
        }
        out
    }

    /// The cells of row `r`, each read by its column's type (`read_cell`), said at its place
    /// (`first`, the first column's, where the column is missing).
    fn row_values(
        &self,
        grid: &Grid,
        r: u32,
        cells: &[&Cell],
        cols: &[Option<u32>],
        first: u32,
        said: &mut Vec<Diagnostic>,
    ) -> Vec<Option<String>> {
        let spec = self.spec;
        let at = |c: u32| Location::cell(self.file, &grid.sheet, cell_ref(r, c));
        let mut values = Vec::with_capacity(cells.len());
        for (i, (column, cell)) in spec.columns.iter().zip(cells).enumerate() {
            let place = cols[i].unwrap_or(first);
            let what = || {
                format!(
                    "Danh sách \"{}\", dòng {}, cột \"{}\"",
                    spec.title,
                    r + 1,
                    column.name
                )
            };
            let (typed, number) = typed_cell(cell, column);
            values.push(read_cell(
                column,
                &typed,
                number,
                self.look,
                self.window,
                &what,
                &|| at(place),
                said,
            ));
        }
        values
    }
}

/// The columns of a lower level's consolidated list (`tong-hop.xlsx`) that name the unit that
/// listed each row: "Mã đơn vị" and "Đơn vị" on the header row, where the list's own columns
/// are not so named.
fn listing_columns(grid: &Grid, spec: &ListSpec, header: u32) -> Option<(u32, Option<u32>)> {
    let own = |name: &str| spec.columns.iter().any(|c| fold(&c.name) == name);
    if own("ma don vi") || own("don vi") {
        return None;
    }
    let find = |name: &str| {
        grid.texts(header, header + 1)
            .find(|(_, _, t)| fold(t) == name)
            .map(|(_, c, _)| c)
    };
    find("ma don vi").map(|code| (code, find("don vi")))
}

/// A list's header row on a sheet, and each of its columns' place there.
type Header = (u32, Vec<Option<u32>>);

/// The sheet a list is read from with its header, its rows and what reading them said.
type Chosen<'g> = ((&'g Grid, Header), Vec<ListRow>, Vec<Diagnostic>);

/// The header row of a list on a sheet and each column's place there: the first row naming at
/// least half of the list's columns, from the top (its own sheet) or anywhere (a block below
/// the table of figures).
fn header(grid: &Grid, spec: &ListSpec) -> Option<Header> {
    header_from(grid, spec, 0)
}

/// Where the first list of `lists` on the sheet starts below row `from` (a list block below
/// the table of figures, where the table ends).
pub fn block_below(grid: &Grid, lists: &[ListSpec], from: u32) -> Option<u32> {
    lists
        .iter()
        .filter_map(|spec| header_from(grid, spec, from).map(|(r, _)| r))
        .min()
}

fn header_from(grid: &Grid, spec: &ListSpec, from: u32) -> Option<Header> {
    let names: Vec<String> = spec.columns.iter().map(|c| fold(&c.name)).collect();
    let need = spec.columns.len().div_ceil(2).max(1);
    (from..grid.height()).find_map(|r| {
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

/// Row `r` ends a list: a cell of the signature block, a total row, or the place-and-date
/// line above the signatures.
fn ends_list(grid: &Grid, r: u32) -> bool {
    grid.rows[r as usize].iter().any(is_signature_label)
        || is_total_row(grid, r)
        || is_place_and_date(grid, r)
}

/// The unit that listed row `r` of a lower level's consolidated list (`listing`: its code and
/// name columns): its code and name, where the row names a code.
fn listed_by(grid: &Grid, r: u32, listing: Option<(u32, Option<u32>)>) -> Option<(String, String)> {
    listing.and_then(|(code, name)| {
        let code = grid.get(r, code).as_label();
        let name = name.map(|n| grid.get(r, n).as_label()).unwrap_or_default();
        (!code.trim().is_empty()).then(|| (code.trim().to_string(), name.trim().to_string()))
    })
}

/// A list's cell as typed (a number as written, a date as 2026-09-30) and how it reads as a
/// number, for its column.
fn typed_cell(cell: &Cell, column: &crate::catalog::lists::ListColumn) -> (String, Reading) {
    match cell {
        Cell::Text(t) => (t.trim().to_string(), read_number(t)),
        Cell::Empty => (String::new(), Reading::Invalid),
        Cell::Number(v) if column.kind == ListType::Date => (iso_date(*v), Reading::Value(*v)),
        Cell::Number(v) if v.fract() == 0.0 && v.abs() < 1e15 => {
            (format!("{}", *v as i64), Reading::Value(*v))
        }
        Cell::Number(v) => (crate::text::fmt_vn(*v, 6), Reading::Value(*v)),
        Cell::Date(d) => (iso_date(*d), Reading::Invalid),
        Cell::Bool(b) => {
            let b = if *b { "true" } else { "false" };
            (b.to_string(), Reading::Invalid)
        }
        Cell::Error(e) => (e.clone(), Reading::Invalid),
    }
}

/// One cell of a list, typed (`typed`, and how it reads as a number): its canonical text, or
/// `None` (empty, or not a value of its column: a warning at `loc`). A required cell left
/// empty, a date outside the period, a text too long and a number of a number column that
/// reads two ways ("3.500": read the vi-VN way) are warnings; the row is kept.
#[allow(clippy::too_many_arguments)]
fn read_cell(
    column: &crate::catalog::lists::ListColumn,
    typed: &str,
    number: Reading,
    look: &Lookup<'_>,
    window: Window,
    what: &dyn Fn() -> String,
    loc: &dyn Fn() -> Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    if typed.is_empty() {
        if column.required {
            diags.push(Diagnostic::new(
                Code::ListRequiredMissing,
                loc(),
                format!(
                    "{}: bắt buộc nhưng để trống; dòng vẫn được tổng hợp.\nGhi đủ rồi gửi lại.",
                    what()
                ),
            ));
        }
        return None;
    }
    let number = cell_number(column, typed, number, what, loc, diags);
    match column.read(typed, number, look) {
        Ok(v) => {
            say_date_outside(column, &v, window, what, loc, diags);
            Some(v)
        }
        Err(Bad::OutOfRange(why)) if column.kind == ListType::Text => {
            diags.push(Diagnostic::new(
                Code::TextTooLong,
                loc(),
                format!(
                    "{}: {why}; vẫn giữ nguyên.\nLần sau ghi ngắn gọn hơn.",
                    what()
                ),
            ));
            Some(crate::text::nfc(typed))
        }
        Err(bad) => {
            let why = match bad {
                Bad::OutOfRange(why) => why,
                Bad::Invalid(expected) => format!("không phải {expected}"),
            };
            diags.push(Diagnostic::new(
                Code::ListInvalid,
                loc(),
                format!("{}: \"{typed}\" {why}; ô để trống trong danh sách tổng hợp.\nSửa lại rồi gửi lại.", what()),
            ));
            None
        }
    }
}

/// The number a list's cell reads as; one that reads two ways is read the vi-VN way, with a
/// warning in a number column.
fn cell_number(
    column: &crate::catalog::lists::ListColumn,
    typed: &str,
    number: Reading,
    what: &dyn Fn() -> String,
    loc: &dyn Fn() -> Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    match number {
        Reading::Value(v) => Some(v),
        Reading::Ambiguous { value, other } => {
            if matches!(column.kind, ListType::Integer | ListType::Decimal) {
                diags.push(Diagnostic::new(
                    Code::AmbiguousNumber,
                    loc(),
                    format!(
                        "{}: \"{typed}\" được đọc là {}, nhưng cũng có thể hiểu là {}.\nNếu ý khác, sửa lại; tốt nhất nhập ô dạng số thay vì dạng chữ (trong CSV: dấu chấm thập phân, không ngăn nghìn).",
                        what(),
                        plain(value),
                        plain(other)
                    ),
                ));
            }
            Some(value)
        }
        Reading::Invalid => None,
    }
}

/// Says a date of a column of the period's (`in_period`) outside the period's `window`.
fn say_date_outside(
    column: &crate::catalog::lists::ListColumn,
    v: &str,
    window: Window,
    what: &dyn Fn() -> String,
    loc: &dyn Fn() -> Location,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(d) = crate::catalog::lists::parse_date(v)
        .filter(|d| column.in_period && (*d < window.from || *d > window.to))
    {
        diags.push(Diagnostic::new(
            Code::ListDateOutsidePeriod,
            loc(),
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

/// The figures a list feeds (`[[list.feed]]`): each computed from the rows (the number of
/// rows, or the sum of a column; by an option column, every option's, none listed being 0).
/// A figure the table has is compared (BC0412 where they differ: the list's is used, so that
/// the total agrees with its parts by option, which only the list gives); one it has not is
/// taken from the list, at the list's header.
pub fn feed(
    spec: &ListSpec,
    table: &ListTable,
    look: &Lookup<'_>,
    values: &mut BTreeMap<(CellKey, InputColumn), Value>,
    diags: &mut Vec<Diagnostic>,
) {
    let (rows, at) = (&table.rows, &table.at);
    for f in &spec.feeds {
        let sum_col = f.sum.as_deref().and_then(|c| spec.column(c));
        let by_col = f.by.as_deref().and_then(|c| spec.column(c));
        let dim = by_col
            .and_then(|i| spec.columns[i].dimension.as_deref())
            .and_then(|d| look.dimensions.get(d));
        let cells = feed_sums(&f.indicator, rows, sum_col, by_col.zip(dim));
        let what = match &f.sum {
            Some(c) => format!(
                "tổng cột \"{}\" của danh sách \"{}\"",
                sum_col.map_or(c.as_str(), |i| spec.columns[i].name.as_str()),
                spec.title
            ),
            None => format!("số dòng của danh sách \"{}\"", spec.title),
        };
        for (key, v) in cells {
            let k = (CellKey::from(key.as_str()), InputColumn::ThucHien);
            match values.get(&k) {
                Some(typed) if (typed.value - v).abs() > 1e-9 => {
                    diags.push(Diagnostic::new(
                        Code::ListFigureMismatch,
                        &typed.location,
                        format!(
                            "{key} = {} trên biểu nhưng {what} là {}{}; số từ danh sách được dùng.\nĐối chiếu biểu với danh sách rồi sửa cho khớp.",
                            crate::text::fmt_vn(typed.value, 6),
                            crate::text::fmt_vn(v, 6),
                            match (key.split_once('['), dim) {
                                (Some((_, opt)), Some(d)) => format!(" ({})", d.option(opt.trim_end_matches(']').split('=').nth(1).unwrap_or_default()).map_or("", |o| o.name.as_str())),
                                _ => String::new(),
                            }
                        ),
                    ));
                    // The list is the detail the figure sums: the figure that agrees with it
                    // (and with its parts by option), at the form's cell.
                    let location = typed.location.clone();
                    values.insert(k, Value { value: v, location });
                }
                Some(_) => {}
                None => {
                    values.insert(
                        k,
                        Value {
                            value: v,
                            location: at.clone().into(),
                        },
                    );
                }
            }
        }
    }
}

/// The figures a feed computes from a list's rows, by cell key: the total of `indicator`
/// (the number of rows, or the sum of column `sum_col`), and by `by`'s option column and
/// dimension, every option's (none listed being 0).
fn feed_sums(
    indicator: &str,
    rows: &[ListRow],
    sum_col: Option<usize>,
    by: Option<(usize, &crate::catalog::Dimension)>,
) -> BTreeMap<String, f64> {
    let mut cells: BTreeMap<String, f64> = BTreeMap::new();
    cells.insert(indicator.to_string(), 0.0);
    if let Some((_, d)) = by {
        for o in &d.options {
            cells.insert(format!("{}[{}={}]", indicator, d.code, o.code), 0.0);
        }
    }
    for row in rows {
        let v = match sum_col {
            Some(i) => row.cells[i]
                .as_deref()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0),
            None => 1.0,
        };
        *cells.get_mut(indicator).expect("the total") += v;
        if let Some((i, d)) = by {
            if let Some(opt) = row.cells[i].as_deref() {
                if let Some(c) = cells.get_mut(&format!("{}[{}={}]", indicator, d.code, opt)) {
                    *c += v;
                }
            }
        }
    }
    cells
}

/// A row whose first text is "Tổng", "Tổng cộng" or "Cộng": the list ended above it.
fn is_total_row(grid: &Grid, r: u32) -> bool {
    grid.texts(r, r + 1).next().is_some_and(|(_, _, t)| {
        let f = fold(t);
        f == "tong" || f == "cong" || f.starts_with("tong cong") || f.starts_with("tong so")
    })
}

/// The unit whose report a row of a list sent as CSV belongs to, and the unit that listed it
/// where that is another: the row's own unit where it reports in this regime (or the file's
/// unit where the row names none); else the reporting unit above it (a lower level's
/// consolidated list names its own units); else, for a row that names its unit's name as a
/// consolidated list does (`unit_name`), the unit the file's name gives. Otherwise the
/// message why the row is left out.
fn reporter_of(
    code: &str,
    name: &str,
    file_unit: Option<&str>,
    reporters: &std::collections::BTreeSet<String>,
    config: &crate::catalog::Config,
) -> Result<(String, Option<(String, String)>), String> {
    let code = if code.is_empty() {
        file_unit.unwrap_or_default()
    } else {
        code
    };
    if reporters.contains(code) {
        return Ok((code.to_string(), None));
    }
    let listed_by = |name: &str| Some((code.to_string(), name.to_string()));
    match config.units.get(code) {
        Some(u) => match config.units.ancestors(code).into_iter().find(|a| reporters.contains(a)) {
            Some(reporter) => Ok((reporter, listed_by(&u.name))),
            None => Err(format!("đơn vị {} ({}) không thuộc đối tượng báo cáo của chế độ này.\nSửa mã đơn vị rồi gửi lại.", u.name, u.code)),
        },
        None => match file_unit.filter(|f| reporters.contains(*f)) {
            Some(f) if !name.is_empty() => Ok((f.to_string(), listed_by(name))),
            None if !name.is_empty() => Err(format!("mã đơn vị \"{code}\" ({name}) không có trong danh mục đơn vị (units.toml).\nNếu đây là danh sách tổng hợp của cấp dưới, đặt tên tệp bắt đầu bằng mã của đơn vị cấp dưới đó (ví dụ <mã>-danh-sach-<mã danh sách>.csv) để đọc như báo cáo của đơn vị ấy.")),
            _ => Err(format!("mã đơn vị \"{code}\" không có trong danh mục đơn vị (units.toml).\nSửa mã đơn vị rồi gửi lại.")),
        },
    }
}

/// A number without thousands separators, its decimals after a comma: 3500, 12,125.
fn plain(v: f64) -> String {
    crate::text::fmt_vn(v, 6).replace('.', "")
}

/// The line above a signature, alone on its row: "Phước Sơn, ngày 15 tháng 7 năm 2026" (or
/// with the day left blank).
fn is_place_and_date(grid: &Grid, r: u32) -> bool {
    let mut texts = grid.texts(r, r + 1);
    let (Some((_, _, t)), None) = (texts.next(), texts.next()) else {
        return false;
    };
    let f = fold(t);
    f.split_once(", ngay").is_some_and(|(place, rest)| {
        place.chars().count() <= 40 && rest.contains(" thang ") && rest.contains(" nam")
    })
}

/// An Excel date serial as 2026-09-30.
fn iso_date(serial: f64) -> String {
    super::grid::serial_date(serial)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The list a CSV file sends alone, by its name: `danh-sach-<code>.csv`, or with the unit
/// and the period around it (`99009-danh-sach-ho_so_qua_han-2026-Q3.csv`).
pub fn sent_alone<'a>(
    path: &std::path::Path,
    regime: &'a crate::catalog::Regime,
) -> Option<&'a ListSpec> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let stem = name.strip_suffix(".csv")?;
    let (_, rest) = stem.split_once("danh-sach-")?;
    regime
        .lists
        .iter()
        .filter(|l| rest.starts_with(&l.code.to_lowercase()))
        .max_by_key(|l| l.code.len())
}

/// A list sent alone as CSV: a header of column codes (with `unit_code`, or the unit read from
/// the file's name), a row per line. Each unit's rows make a submission of that list alone,
/// which validation joins to the unit's report of figures.
pub fn read_csv(
    bytes: &[u8],
    path: &std::path::Path,
    shown: &str,
    spec: &ListSpec,
    expect: super::Expect<'_>,
    report: &mut crate::model::FileReport,
) {
    let config = expect.config;
    let look = Lookup {
        dimensions: &config.dimensions,
        units: &config.units,
    };
    let window = expect.regime.window(expect.period);
    let text = super::csv_text(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let Some(header) = csv_header(&mut rdr, shown, spec, &mut report.diagnostics) else {
        return;
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let file_unit = super::workbook::unit_by_file_name(config, &stem);
    let reporters: std::collections::BTreeSet<String> = config
        .reporting_units(expect.regime, window.to)
        .iter()
        .map(|u| u.code.clone())
        .collect();
    let cols: Vec<Option<usize>> = spec
        .columns
        .iter()
        .map(|c| csv_column(&header, &c.code, &[&c.name]))
        .collect();
    let csv = CsvList {
        spec,
        shown,
        look: &look,
        window,
        cols: &cols,
        unit_col: csv_column(&header, "unit_code", &["Mã đơn vị"]),
        name_col: csv_column(&header, "unit_name", &["Đơn vị", "Tên đơn vị"]),
        file_unit: file_unit.as_deref(),
        reporters: &reporters,
        config,
    };
    if !csv.has_unit(&mut report.diagnostics) {
        return;
    }
    csv.say_missing_columns(&mut report.diagnostics);
    let (by_unit, left_out) = csv.read_rows(&mut rdr, &mut report.diagnostics);
    csv.say_left_out(&left_out, &mut report.diagnostics);
    csv.submit(by_unit, path, expect, report);
}

/// The header of a list's CSV file, its names trimmed; `None` where it cannot be read (said).
fn csv_header(
    rdr: &mut csv::Reader<&[u8]>,
    shown: &str,
    spec: &ListSpec,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<String>> {
    match rdr.headers() {
        Ok(h) => Some(h.iter().map(|s| s.trim().to_string()).collect()),
        Err(e) => {
            diags.push(Diagnostic::new(
                Code::CsvHeader,
                Location::cell(shown, "", "A1"),
                format!(
                    "Không đọc được dòng tiêu đề của danh sách \"{}\": {e}.",
                    spec.title
                ),
            ));
            None
        }
    }
}

/// A column of a CSV header by its code, or by its name as printed on the form ("Ngày", "Mã
/// đơn vị").
fn csv_column(header: &[String], code: &str, names: &[&str]) -> Option<usize> {
    header.iter().position(|h| h == code).or_else(|| {
        header
            .iter()
            .position(|h| names.iter().any(|n| fold(h) == fold(n)))
    })
}

/// A list's rows by the unit whose report they belong to.
type ByUnit = BTreeMap<String, Vec<ListRow>>;

/// A list sent alone as CSV, being read: where its columns are, and the units its rows may
/// belong to.
struct CsvList<'a> {
    spec: &'a ListSpec,
    shown: &'a str,
    look: &'a Lookup<'a>,
    window: Window,
    /// Each of the list's columns' place in the header.
    cols: &'a [Option<usize>],
    unit_col: Option<usize>,
    name_col: Option<usize>,
    /// The unit the file's name gives.
    file_unit: Option<&'a str>,
    /// The units that report in this regime.
    reporters: &'a std::collections::BTreeSet<String>,
    config: &'a crate::catalog::Config,
}

impl CsvList<'_> {
    /// Whether the rows' unit can be known: a unit column, or the file's name; said where not.
    fn has_unit(&self, diags: &mut Vec<Diagnostic>) -> bool {
        if self.unit_col.is_none() && self.file_unit.is_none() {
            let spec = self.spec;
            diags.push(Diagnostic::new(
                Code::UnitNotIdentified,
                Location::cell(self.shown, "", "A1"),
                format!("Danh sách \"{}\" gửi riêng không có cột unit_code và tên tệp không cho biết đơn vị.\nThêm cột unit_code, hoặc đặt tên tệp bắt đầu bằng mã đơn vị (99009-danh-sach-{}.csv).", spec.title, spec.code),
            ));
            return false;
        }
        true
    }

    /// Says each required column the header lacks.
    fn say_missing_columns(&self, diags: &mut Vec<Diagnostic>) {
        let spec = self.spec;
        for (c, place) in spec.columns.iter().zip(self.cols) {
            if place.is_none() && c.required {
                diags.push(Diagnostic::new(
                    Code::ListColumnMissing,
                    Location::cell(self.shown, "", "A1"),
                    format!("Danh sách \"{}\" thiếu cột bắt buộc \"{}\" (mã {}) ở dòng tiêu đề.\nDòng tiêu đề ghi mã các cột: {}.", spec.title, c.name, c.code, spec.columns.iter().map(|c| c.code.as_str()).collect::<Vec<_>>().join(",")),
                ));
            }
        }
    }

    /// The rows by the unit whose report they belong to (blank lines skipped, an unreadable
    /// line said), and the rows of no unit that reports here, with why.
    fn read_rows(
        &self,
        rdr: &mut csv::Reader<&[u8]>,
        diags: &mut Vec<Diagnostic>,
    ) -> (ByUnit, Vec<(u32, String)>) {
        let mut by_unit: BTreeMap<String, Vec<ListRow>> = BTreeMap::new();
        // Rows whose unit is not one that reports here: said once for the file.
        let mut left_out: Vec<(u32, String)> = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let r = i as u32 + 1; // zero-based row of the sheet the CSV opens as
            let Ok(rec) = rec else {
                diags.push(Diagnostic::new(
                    Code::CsvRow,
                    Location::cell(self.shown, "", cell_ref(r, 0)),
                    format!(
                        "Dòng {} của danh sách \"{}\" không đọc được.",
                        r + 1,
                        self.spec.title
                    ),
                ));
                continue;
            };
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let field =
                |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim().to_string();
            let listed = field(self.unit_col);
            let (unit, listed_by) = match reporter_of(
                &listed,
                &field(self.name_col),
                self.file_unit,
                self.reporters,
                self.config,
            ) {
                Ok(found) => found,
                Err(message) => {
                    left_out.push((r, message));
                    continue;
                }
            };
            // A row of a lower level's consolidated list was checked there, where its unit was
            // told.
            let mut checked_below = Vec::new();
            let said = if listed_by.is_some() {
                &mut checked_below
            } else {
                &mut *diags
            };
            let values = self.row_cells(&rec, r, said);
            by_unit.entry(unit).or_default().push(ListRow {
                cells: values,
                location: Location::cell(self.shown, "", cell_ref(r, 0)),
                listed_by,
            });
        }
        (by_unit, left_out)
    }

    /// The cells of line `r`, each read by its column's type (`read_cell`).
    fn row_cells(
        &self,
        rec: &csv::StringRecord,
        r: u32,
        said: &mut Vec<Diagnostic>,
    ) -> Vec<Option<String>> {
        let spec = self.spec;
        let mut values = Vec::with_capacity(spec.columns.len());
        for (column, place) in spec.columns.iter().zip(self.cols) {
            let typed = place
                .and_then(|c| rec.get(c))
                .unwrap_or("")
                .trim()
                .to_string();
            let loc = || Location::cell(self.shown, "", cell_ref(r, place.unwrap_or(0) as u32));
            let what = || {
                format!(
                    "Danh sách \"{}\", dòng {}, cột \"{}\"",
                    spec.title,
                    r + 1,
                    column.name
                )
            };
            // A number in a CSV is written with a decimal point (as baocao writes it) or the
            // vi-VN way; "12.125" reads both ways: the machine's decimal, unless it ends in
            // a zero no machine writes ("3.500": three thousand five hundred, the vi-VN way).
            let number = match read_number(&typed) {
                Reading::Ambiguous { value, other } if !typed.ends_with('0') => {
                    Reading::Ambiguous {
                        value: other,
                        other: value,
                    }
                }
                Reading::Invalid => typed
                    .parse::<f64>()
                    .map_or(Reading::Invalid, Reading::Value),
                reading => reading,
            };
            values.push(read_cell(
                column,
                &typed,
                number,
                self.look,
                self.window,
                &what,
                &loc,
                said,
            ));
        }
        values
    }

    /// Says the rows left out for their unit, once for the file: the first row's place and
    /// why, and the next ten rows' numbers.
    fn say_left_out(&self, left_out: &[(u32, String)], diags: &mut Vec<Diagnostic>) {
        let Some((r, message)) = left_out.first() else {
            return;
        };
        let others = match left_out.len() {
            1 => String::new(),
            n => format!(
                " và {} dòng khác ({}{})",
                n - 1,
                left_out[1..]
                    .iter()
                    .take(10)
                    .map(|(r, _)| format!("dòng {}", r + 1))
                    .collect::<Vec<_>>()
                    .join(", "),
                if n > 11 { ", …" } else { "" }
            ),
        };
        diags.push(Diagnostic::new(
            Code::UnknownUnit,
            Location::cell(
                self.shown,
                "",
                cell_ref(*r, self.unit_col.unwrap_or(0) as u32),
            ),
            format!(
                "Danh sách \"{}\", dòng {}{others} không được tổng hợp: {message}",
                self.spec.title,
                r + 1
            ),
        ));
    }

    /// Each unit's submission of its rows, the first unit noted as the file's. A unit with
    /// nothing to list sends the header alone: its list is empty.
    fn submit(
        &self,
        mut by_unit: ByUnit,
        path: &std::path::Path,
        expect: super::Expect<'_>,
        report: &mut crate::model::FileReport,
    ) {
        if let Some(unit) = self
            .file_unit
            .filter(|u| by_unit.is_empty() && self.reporters.contains(*u))
        {
            by_unit.insert(unit.to_string(), Vec::new());
        }
        for (unit, rows) in by_unit {
            report.unit_hint.get_or_insert_with(|| unit.clone());
            report
                .submissions
                .push(self.submission(path, expect, unit, rows));
        }
    }

    /// A unit's submission of the list alone.
    fn submission(
        &self,
        path: &std::path::Path,
        expect: super::Expect<'_>,
        unit: String,
        rows: Vec<ListRow>,
    ) -> crate::model::Submission {
        crate::model::Submission {
            file: self.shown.to_string(),
            path: path.to_path_buf(),
            regime: expect.regime.id.clone(),
            period: expect.period,
            unit_code: unit,
            received_at: None,
            received_source: crate::model::ReceiptSource::Unknown,
            origin: crate::model::Origin::Exchange,
            values: BTreeMap::new(),
            texts: BTreeMap::new(),
            lists: [(
                self.spec.code.clone(),
                Box::new(ListTable {
                    at: Location::cell(self.shown, "", "A1"),
                    rows,
                }),
            )]
            .into(),
            empty: BTreeMap::new(),
            unread: Default::default(),
        }
    }
}
