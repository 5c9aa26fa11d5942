//! Spreadsheet files (xlsx, xlsm, xls, ods) read with calamine into a `Grid`, then identified
//! (regime, period, unit) and their table read.

use std::collections::BTreeMap;
use std::path::Path;

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, DataRef, Reader, SheetVisible, Sheets};

use super::grid::{find_table, read_rows, Cell, Grid};
use super::receipt::{footer_date, ReceiptSource};
use super::{Expect, FileReport, Origin, Submission, META_SHEET};
use crate::catalog::Config;
use crate::diag::{cell_ref, Code, Diagnostic, Location};
use crate::model::{Limits, EXCEL_COLUMNS, EXCEL_ROWS};
use crate::period::Period;
use crate::text::{fold, nfc, slug};

/// The table found on a sheet: a list form's header roles, or a matrix form's place.
enum Table<'a> {
    List(super::grid::Layout),
    Matrix(super::matrix::MatrixPlace, &'a crate::catalog::MatrixLayout),
}

/// The identity a file claims, with where each part came from.
#[derive(Debug, Default)]
struct Identity {
    regime: Option<(String, Location)>,
    periods: Vec<(Period, Location, &'static str)>,
    unit: Option<(String, &'static str, Location)>,
}

/// Who a file is taken to report as, once its identity is judged against the batch.
struct Reporter<'c> {
    regime: String,
    period: Period,
    unit: &'c crate::catalog::Unit,
    /// A replaced period the file claims, taken as the batch's (where `period` is the batch's).
    replaced: Option<(Period, Location, &'static str)>,
}

impl Table<'_> {
    /// The first row of the table's header: the header block ends above it.
    fn first_header_row(&self) -> u32 {
        match self {
            Table::List(l) => l.first_header_row,
            Table::Matrix(p, _) => p.first_header_row,
        }
    }
}

pub fn read(bytes: &[u8], path: &Path, shown: &str, expect: Expect<'_>, report: &mut FileReport) {
    let limits = &expect.config.limits;
    let Some(sheets) = load_or_say(bytes, shown, limits, report) else {
        return;
    };
    let meta: BTreeMap<String, (String, Location)> = sheets
        .iter()
        .find(|g| g.sheet == META_SHEET)
        .map(|g| read_meta(g, shown))
        .unwrap_or_default();
    let Some((grid, table)) = find_form_table(&sheets, &meta, expect, shown, report) else {
        return;
    };
    let first_header_row = table.first_header_row();
    let id = Identity::claimed(&meta, grid, first_header_row, path, shown, expect.config);
    let Some(reporter) = id.judge(expect, meta.is_empty(), shown, report) else {
        return;
    };
    let mut table = read_table(grid, &table, expect, shown);
    report.diagnostics.append(&mut table.diagnostics);
    if !table.empty_cells.is_empty() {
        say_formulas_without_value(bytes, grid, &table.empty_cells, shown, limits, report);
    }
    let cutoff = expect.regime.window(reporter.period).to;
    let signed = signed_on(grid, table.end_row, cutoff, shown, report);
    let look = crate::catalog::lists::Lookup {
        dimensions: &expect.config.dimensions,
        units: &expect.config.units,
    };
    let lists = super::lists::read(
        &sheets,
        &expect.regime.lists,
        &look,
        expect.regime.window(reporter.period),
        shown,
        &mut report.diagnostics,
    );
    report
        .submissions
        .push(reporter.submission(table, signed, lists, path, shown, expect));
}

impl Reporter<'_> {
    /// The file's submission: the table's figures (a replaced period's taken as the batch's
    /// period's), its texts and lists, the date signed as its receipt.
    fn submission(
        self,
        table: super::grid::TableValues,
        signed: Option<chrono::NaiveDate>,
        lists: BTreeMap<String, crate::model::ListTable>,
        path: &Path,
        shown: &str,
        expect: Expect<'_>,
    ) -> Submission {
        let Reporter {
            regime,
            period,
            unit,
            replaced,
        } = self;
        Submission {
            file: shown.to_string(),
            path: path.to_path_buf(),
            regime,
            period,
            unit_code: unit.code.clone(),
            received_at: signed.map(|d| d.and_time(chrono::NaiveTime::MIN)),
            received_source: if signed.is_some() {
                ReceiptSource::Footer
            } else {
                ReceiptSource::Unknown
            },
            origin: Origin::Form,
            values: crate::model::packed(match replaced {
                Some((p, ..)) if period == expect.period => {
                    super::as_replacing(expect.config, table.values, p, expect.period)
                }
                _ => table.values,
            }),
            texts: table.texts,
            lists: lists.into_iter().map(|(k, t)| (k, Box::new(t))).collect(),
            empty: table.empty,
            unread: table.unread,
        }
    }
}

/// The sheets of a workbook, or `None` with the diagnostic of why there is nothing to read
/// (unreadable, damaged, or no sheet with data); cells beyond the read area are said too.
fn load_or_say(
    bytes: &[u8],
    shown: &str,
    limits: &Limits,
    report: &mut FileReport,
) -> Option<Vec<Grid>> {
    // calamine is defensive, but a panic on a malformed file must never stop the batch.
    let loaded = std::panic::catch_unwind(|| load_sheets(bytes, limits));
    let loaded = match loaded {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => {
            report.diagnostics.push(load_error(&e, shown));
            return None;
        }
        Err(_) => {
            report.diagnostics.push(Diagnostic::new(
                Code::FileUnreadable,
                Location::file(shown),
                "Không mở được tệp: cấu trúc tệp bị hỏng.\nMở tệp bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại.",
            ));
            return None;
        }
    };
    for (sheet, r, c) in &loaded.outside {
        report.diagnostics.push(Diagnostic::new(
            Code::OutsideReadArea,
            Location::cell(shown, sheet, cell_ref(*r, *c)),
            format!(
                "Trang \"{sheet}\" có số liệu ở ô {} (và có thể ở ô khác) ngoài vùng được đọc ({} dòng × {} cột đầu tiên): phần đó bị bỏ qua.\nXóa các ô thừa ở xa bảng, hoặc nếu biểu thật sự lớn hơn thì tăng rows/columns trong limits.toml.",
                cell_ref(*r, *c),
                limits.rows,
                limits.columns
            ),
        ));
    }
    let sheets = loaded.sheets;
    if sheets
        .iter()
        .all(|g| g.rows.iter().all(|r| r.iter().all(|c| *c == Cell::Empty)))
    {
        report.diagnostics.push(Diagnostic::new(
            Code::FileEmpty,
            Location::file(shown),
            "Tệp không có trang tính nào có dữ liệu.\nGửi lại tệp báo cáo đã nhập số liệu.",
        ));
        return None;
    }
    Some(sheets)
}

/// The first sheet (the metadata sheet aside) with the regime's table, and that table; or
/// `None` with the diagnostic: another regime's form (by its metadata), or no table found.
fn find_form_table<'g, 'c>(
    sheets: &'g [Grid],
    meta: &BTreeMap<String, (String, Location)>,
    expect: Expect<'c>,
    shown: &str,
    report: &mut FileReport,
) -> Option<(&'g Grid, Table<'c>)> {
    let matrix = expect.config.layout(&expect.regime.id);
    let found = sheets
        .iter()
        .filter(|g| g.sheet != META_SHEET)
        .find_map(|g| match matrix {
            Some(m) => super::matrix::find(g, m).map(|p| (g, Table::Matrix(p, m))),
            None => find_table(g).map(|l| (g, Table::List(l))),
        });
    if found.is_some() {
        return found;
    }
    // Another regime's form has another table: say that, not that there is no table.
    if let Some((r, loc)) = meta.get("regime").filter(|(r, _)| *r != expect.regime.id) {
        report.diagnostics.push(Diagnostic::new(
            Code::RegimeMismatch,
            loc.clone(),
            format!(
                "Biểu thuộc chế độ báo cáo \"{r}\" nhưng đợt này tổng hợp chế độ \"{}\" ({}).\nGửi đúng biểu mẫu của chế độ báo cáo.",
                expect.regime.id, expect.regime.name
            ),
        ));
        return None;
    }
    let msg = if matrix.is_some() {
        "Không tìm thấy bảng số liệu: không trang nào có dòng đánh số cột 1, 2, 3, … dưới dòng tiêu đề như biểu mẫu.\nDùng biểu mẫu do baocao tạo (lệnh baocao form) và giữ nguyên các dòng tiêu đề và dòng đánh số cột."
    } else {
        "Không tìm thấy bảng số liệu: không trang nào có dòng tiêu đề gồm \"Chỉ tiêu\" và \"Thực hiện\".\nDùng biểu mẫu do baocao tạo (lệnh baocao form) và giữ nguyên dòng tiêu đề bảng."
    };
    report
        .diagnostics
        .push(Diagnostic::new(Code::NoTable, Location::file(shown), msg));
    None
}

impl Identity {
    /// The identity a file claims: its metadata first, then the header block above the table
    /// (the unit's line, the period's line), then its file name.
    fn claimed(
        meta: &BTreeMap<String, (String, Location)>,
        grid: &Grid,
        first_header_row: u32,
        path: &Path,
        shown: &str,
        config: &Config,
    ) -> Identity {
        let mut id = Identity::default();
        if let Some((v, loc)) = meta.get("regime") {
            id.regime = Some((v.clone(), loc.clone()));
        }
        if let Some((v, loc)) = meta.get("period") {
            if let Ok(p) = v.parse::<Period>() {
                id.periods.push((p, loc.clone(), "siêu dữ liệu của biểu"));
            }
        }
        if let Some((v, loc)) = meta.get("unit") {
            id.unit = Some((v.clone(), "siêu dữ liệu của biểu", loc.clone()));
        }
        id.read_header_block(grid, first_header_row, shown, config);
        id.read_file_name(path, shown, config);
        id
    }

    /// The unit's line ("Đơn vị báo cáo: …") and the period's line of the header block, above
    /// the table.
    fn read_header_block(
        &mut self,
        grid: &Grid,
        first_header_row: u32,
        shown: &str,
        config: &Config,
    ) {
        for (r, c, text) in grid.texts(0, first_header_row) {
            let loc = Location::cell(shown, &grid.sheet, cell_ref(r, c));
            let f = fold(text);
            if let Some(rest) = f.strip_prefix("don vi bao cao") {
                if self.unit.is_none() {
                    let name = text.split_once(':').map(|x| x.1).unwrap_or(rest);
                    if let Some(u) = unit_by_name(config, name) {
                        self.unit = Some((u, "dòng \"Đơn vị báo cáo\"", loc.clone()));
                    }
                }
                continue;
            }
            if f.starts_with("don vi nhan") {
                continue;
            }
            if let Some(p) = Period::from_label(text) {
                self.periods.push((p, loc, "dòng kỳ báo cáo"));
            }
        }
    }

    /// The unit and the period the file's name gives, where nothing else did.
    fn read_file_name(&mut self, path: &Path, shown: &str, config: &Config) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        if self.unit.is_none() {
            if let Some(u) = unit_by_file_name(config, &stem) {
                self.unit = Some((u, "tên tệp", Location::file(shown)));
            }
        }
        if self.periods.is_empty() {
            if let Some(p) = period_in_file_name(&stem) {
                self.periods.push((p, Location::file(shown), "tên tệp"));
            }
        }
    }

    /// The identity judged against the batch: the regime, the inferred parts, the period and
    /// the unit said where they do not fit; `None` where the unit is unknown or not a
    /// reporter (the file is not read further).
    fn judge<'c>(
        &self,
        expect: Expect<'c>,
        no_meta: bool,
        shown: &str,
        report: &mut FileReport,
    ) -> Option<Reporter<'c>> {
        let regime = self.regime_of(expect, report);
        if no_meta {
            self.say_inferred(shown, report);
        }
        let (period, replaced) = self.period_of(expect, shown, report);
        let unit = self.unit_of(expect, shown, report)?;
        let mut period = period;
        if let Some((p, loc, source)) = replaced.clone() {
            let d = super::replacing_diagnostic(expect, p, &unit.level, loc, source);
            let accepted = d.code == Code::ReplacedPeriod;
            report.diagnostics.push(d);
            if accepted {
                period = expect.period;
            }
        }
        Some(Reporter {
            regime,
            period,
            unit,
            replaced,
        })
    }

    /// The regime the file claims (said where it is not the batch's), else the batch's.
    fn regime_of(&self, expect: Expect<'_>, report: &mut FileReport) -> String {
        match &self.regime {
            Some((r, loc)) if *r != expect.regime.id => {
                report.diagnostics.push(Diagnostic::new(
                    Code::RegimeMismatch,
                    loc.clone(),
                    format!(
                        "Biểu thuộc chế độ báo cáo \"{r}\" nhưng đợt này tổng hợp chế độ \"{}\" ({}).\nGửi đúng biểu mẫu của chế độ báo cáo.",
                        expect.regime.id, expect.regime.name
                    ),
                ));
                r.clone()
            }
            _ => expect.regime.id.clone(),
        }
    }

    /// Says the unit and the period taken from elsewhere than metadata, for a file without
    /// baocao's metadata.
    fn say_inferred(&self, shown: &str, report: &mut FileReport) {
        let inferred: Vec<String> = [
            self.unit
                .as_ref()
                .filter(|u| u.1 != "siêu dữ liệu của biểu")
                .map(|u| format!("đơn vị {} từ {}", u.0, u.1)),
            self.periods
                .first()
                .filter(|p| p.2 != "siêu dữ liệu của biểu")
                .map(|p| format!("kỳ {} từ {}", p.0.code(), p.2)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !inferred.is_empty() {
            report.diagnostics.push(Diagnostic::new(
                Code::InferredIdentity,
                Location::file(shown),
                format!(
                    "Biểu không có siêu dữ liệu do baocao ghi (trang ẩn {META_SHEET}); đã xác định {}.\nNên dùng biểu mẫu do baocao tạo để việc nhận diện chắc chắn.",
                    inferred.join("; ")
                ),
            ));
        }
    }

    /// The period the file claims first (the batch's where none, said), and the first claimed
    /// period the batch's replaces; the first claimed period that neither is nor is replaced
    /// by the batch's is said.
    fn period_of(
        &self,
        expect: Expect<'_>,
        shown: &str,
        report: &mut FileReport,
    ) -> (Period, Option<(Period, Location, &'static str)>) {
        let period = match self.periods.first() {
            None => {
                report.diagnostics.push(Diagnostic::new(
                    Code::PeriodNotIdentified,
                    Location::file(shown),
                    "Không xác định được kỳ báo cáo: biểu không ghi kỳ (ví dụ \"Tháng 10 năm 2026\") và tên tệp không có kỳ.\nDùng biểu mẫu của kỳ báo cáo do baocao tạo.",
                ));
                expect.period
            }
            Some((p, _, _)) => *p,
        };
        // A report of a replaced period (December, when the yearly report replaces it) may be
        // taken as the replacing report; which one depends on the unit's level, known below.
        let mut replaced: Option<(Period, Location, &'static str)> = None;
        for (p, loc, source) in &self.periods {
            let acceptable = expect
                .regime
                .deadline_levels()
                .iter()
                .any(|l| expect.regime.accepts_as(*p, expect.period, l));
            if *p != expect.period && acceptable {
                if replaced.is_none() {
                    replaced = Some((*p, loc.clone(), source));
                }
                continue;
            }
            if *p != expect.period {
                report.diagnostics.push(Diagnostic::new(
                    Code::PeriodMismatch,
                    loc.clone(),
                    format!(
                        "Biểu ghi kỳ {} ({}, theo {source}) nhưng đợt tổng hợp này là {} ({}).\nSửa kỳ báo cáo trên biểu (dùng biểu mẫu của {}) rồi gửi lại.",
                        p.code(), p.label(), expect.period.code(), expect.period.label(), expect.period.short_label()
                    ),
                ));
                break;
            }
        }
        (period, replaced)
    }

    /// The unit the file claims, from the catalog; `None` (said) where none is claimed, the
    /// code is unknown, or it is the regime's receiver.
    fn unit_of<'c>(
        &self,
        expect: Expect<'c>,
        shown: &str,
        report: &mut FileReport,
    ) -> Option<&'c crate::catalog::Unit> {
        let Some((unit_code, _, unit_loc)) = self.unit.clone() else {
            report.diagnostics.push(Diagnostic::new(
                Code::UnitNotIdentified,
                Location::file(shown),
                "Không xác định được đơn vị báo cáo: biểu không có mã đơn vị, dòng \"Đơn vị báo cáo:\" và tên tệp không khớp đơn vị nào.\nDùng biểu mẫu do baocao tạo cho đơn vị hoặc ghi đúng tên đơn vị ở dòng \"Đơn vị báo cáo:\".",
            ));
            return None;
        };
        let Some(unit) = expect.config.units.get(&unit_code) else {
            report.diagnostics.push(Diagnostic::new(
                Code::UnknownUnit,
                unit_loc,
                format!("Mã đơn vị \"{unit_code}\" không có trong danh mục đơn vị (units.toml).\nKiểm tra mã đơn vị trên biểu hoặc bổ sung đơn vị vào danh mục."),
            ));
            return None;
        };
        // The receiving unit does not report to itself (a form naming the province).
        if unit.code == expect.regime.receiver {
            report.diagnostics.push(Diagnostic::new(
                Code::NotAReporter,
                unit_loc,
                format!("Biểu ghi đơn vị báo cáo là {} ({}), cơ quan nhận báo cáo của chế độ \"{}\", không phải đơn vị báo cáo.\nKiểm tra mã đơn vị trên biểu (dùng biểu mẫu do baocao tạo cho đơn vị).", unit.name, unit.code, expect.regime.id),
            ));
            return None;
        }
        if let Some(why) = expect
            .config
            .out_of_being(expect.regime, expect.period, unit)
        {
            report
                .diagnostics
                .push(Diagnostic::new(Code::UnitNotInBeing, unit_loc, why));
            return None;
        }
        Some(unit)
    }
}

/// Reads the table's rows (of a list form, against the regime's form rows; of a matrix form,
/// against its layout), above a list block that may sit below it on the same sheet.
fn read_table(
    grid: &Grid,
    table: &Table<'_>,
    expect: Expect<'_>,
    shown: &str,
) -> super::grid::TableValues {
    let config = expect.config;
    // The rows a unit may report; a consolidated form of a lower level carries every row, its
    // derived ones too (recomputed here, not read).
    let rows: Vec<&crate::catalog::Indicator> = expect
        .regime
        .form_codes()
        .filter_map(|c| config.indicator(c))
        .collect();
    // A list may sit below the table on the same sheet: the table ends above its header.
    let above_list;
    let table_grid =
        match super::lists::block_below(grid, &expect.regime.lists, table.first_header_row() + 1) {
            Some(end) => {
                above_list = Grid {
                    sheet: grid.sheet.clone(),
                    rows: grid.rows[..end as usize].to_vec(),
                };
                &above_list
            }
            None => grid,
        };
    match table {
        Table::Matrix(p, m) => super::matrix::read(table_grid, p, m, config, shown),
        Table::List(l) => read_rows(table_grid, l, &rows, shown),
    }
}

/// Says the empty value cells of the table that hold a formula without a cached value.
fn say_formulas_without_value(
    bytes: &[u8],
    grid: &Grid,
    empty_cells: &[(u32, u32, String)],
    shown: &str,
    limits: &Limits,
    report: &mut FileReport,
) {
    let formulas = load_formulas(bytes, &grid.sheet, limits);
    for (r, c, what) in empty_cells {
        if let Some(f) = formulas.get(&(*r, *c)) {
            report.diagnostics.push(Diagnostic::new(
                Code::FormulaNoValue,
                Location::cell(shown, &grid.sheet, cell_ref(*r, *c)),
                format!("{what}: ô có công thức ={f} nhưng chưa có giá trị tính sẵn.\nMở tệp bằng Excel, để Excel tính lại (F9), lưu rồi gửi lại."),
            ));
        }
    }
}

/// The date signed in the footer (from three rows above the table's end), where it is not
/// before the period's `cutoff` (said).
fn signed_on(
    grid: &Grid,
    end_row: u32,
    cutoff: chrono::NaiveDate,
    shown: &str,
    report: &mut FileReport,
) -> Option<chrono::NaiveDate> {
    let signed = grid
        .texts(end_row.saturating_sub(3), grid.height())
        .find_map(|(r, c, t)| footer_date(t).map(|d| (d, r, c)));
    // A date signed before the period's data were even closed is not when the report was
    // sent (a year left as printed on the blank form): not taken as the receipt.
    match signed {
        Some((d, r, c)) if d < cutoff => {
            report.diagnostics.push(Diagnostic::new(
                Code::SignedBeforeCutoff,
                Location::cell(shown, &grid.sheet, cell_ref(r, c)),
                format!(
                    "Ngày ký trên biểu {} trước ngày chốt số liệu của kỳ ({}): không dùng làm thời điểm nhận.\nSửa ngày ký cho đúng; thời điểm nhận lấy từ sổ nhận hoặc ngày sửa tệp.",
                    d.format("%d/%m/%Y"),
                    cutoff.format("%d/%m/%Y")
                ),
            ));
            None
        }
        other => other.map(|(d, ..)| d),
    }
}

/// Why a workbook's sheets could not be loaded.
#[derive(Debug, PartialEq)]
pub enum LoadError {
    /// Not a workbook calamine can open, or damaged: what it said, in Vietnamese.
    Unreadable(String),
    /// Over a reading limit, or XML entities (`limits`).
    Refused(super::limits::Refusal),
}

/// The sheets of a workbook, and for each sheet whose cells reach beyond the rows and
/// columns read (`Limits::rows`, `Limits::columns`) the first such cell.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sheets: Vec<Grid>,
    pub outside: Vec<(String, u32, u32)>,
}

/// Places cells into a sheet's grid within the limits: a reference beyond Excel's last row or
/// column, or beyond the rows and columns read, is left out (and the first one noted); more
/// value cells than `Limits::cells` refuse the file.
pub(crate) struct Placer<'l> {
    grid: Grid,
    limits: &'l Limits,
    cells: u64,
    outside: Option<(u32, u32)>,
}

impl<'l> Placer<'l> {
    pub(crate) fn new(sheet: &str, limits: &'l Limits) -> Placer<'l> {
        Placer {
            grid: Grid {
                sheet: sheet.to_string(),
                ..Grid::default()
            },
            limits,
            cells: 0,
            outside: None,
        }
    }

    /// The grid, and the first cell left out beyond the rows and columns read.
    pub(crate) fn finish(self) -> (Grid, Option<(u32, u32)>) {
        (self.grid, self.outside)
    }

    pub(crate) fn place(&mut self, r: u32, c: u32, cell: Cell) -> Result<(), LoadError> {
        if cell == Cell::Empty {
            return Ok(());
        }
        self.cells += 1;
        if self.cells > self.limits.cells {
            return Err(LoadError::Refused(super::limits::Refusal::TooLarge(
                format!(
                    "trang \"{}\" có hơn {} ô có giá trị, quá giới hạn",
                    self.grid.sheet, self.limits.cells
                ),
            )));
        }
        if r >= self.limits.rows.min(EXCEL_ROWS) || c >= self.limits.columns.min(EXCEL_COLUMNS) {
            if self.outside.is_none_or(|o| (r, c) < o) {
                self.outside = Some((r, c));
            }
            return Ok(());
        }
        let rows = &mut self.grid.rows;
        if rows.len() <= r as usize {
            rows.resize(r as usize + 1, Vec::new());
        }
        let row = &mut rows[r as usize];
        if row.len() <= c as usize {
            row.resize(c as usize + 1, Cell::Empty);
        }
        row[c as usize] = cell;
        Ok(())
    }
}

/// Loads the visible sheets (and the metadata sheet) of a workbook held in memory. The bytes
/// are checked against the limits before calamine opens them, and xlsx sheets are read cell by
/// cell (never as a dense range of the sheet's whole extent).
pub fn load_sheets(bytes: &[u8], limits: &Limits) -> Result<Loaded, LoadError> {
    if bytes.starts_with(b"PK") {
        // Each part inflated once, checked and kept; a plain xlsx is parsed from that.
        let parts = super::limits::inflate_checked(bytes, limits, &super::xlsx::wanted)
            .map_err(LoadError::Refused)?;
        if let Some(loaded) = parts
            .as_ref()
            .map(|p| super::xlsx::read(p, limits))
            .transpose()?
            .flatten()
        {
            return Ok(loaded);
        }
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        super::limits::check_xls(bytes, limits).map_err(LoadError::Refused)?;
    }
    load_with_calamine(bytes, limits)
}

/// `load_sheets` with calamine alone, after the same limits (the reference the fast xlsx
/// reader is tested against).
pub fn load_sheets_with_calamine(bytes: &[u8], limits: &Limits) -> Result<Loaded, LoadError> {
    if bytes.starts_with(b"PK") {
        super::limits::check_zip(bytes, limits).map_err(LoadError::Refused)?;
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        super::limits::check_xls(bytes, limits).map_err(LoadError::Refused)?;
    }
    load_with_calamine(bytes, limits)
}

/// The sheets as calamine reads them (the limits checked before).
fn load_with_calamine(bytes: &[u8], limits: &Limits) -> Result<Loaded, LoadError> {
    let unreadable = |e: &dyn std::fmt::Display| LoadError::Unreadable(describe(&e.to_string()));
    let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let metas: Vec<(String, bool)> = wb
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    let mut out = Loaded::default();
    for (name, visible) in metas {
        if !visible && name != META_SHEET {
            continue;
        }
        let mut placer = Placer::new(&name, limits);
        match &mut wb {
            Sheets::Xlsx(x) => {
                let mut reader = x
                    .worksheet_cells_reader(&name)
                    .map_err(|e| unreadable(&e))?;
                while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
                    let (r, c) = cell.get_position();
                    placer.place(r, c, convert_ref(cell.get_value()))?;
                }
            }
            other => {
                let range = other.worksheet_range(&name).map_err(|e| unreadable(&e))?;
                if let Some((r0, c0)) = range.start() {
                    for (r, c, d) in range.used_cells() {
                        placer.place(r0 + r as u32, c0 + c as u32, convert(d))?;
                    }
                }
            }
        }
        if let Some((r, c)) = placer.outside {
            out.outside.push((name.clone(), r, c));
        }
        out.sheets.push(placer.grid);
    }
    Ok(out)
}

/// The diagnostic of a workbook that could not be loaded.
pub(crate) fn load_error(e: &LoadError, shown: &str) -> Diagnostic {
    use super::limits::Refusal;
    match e {
        LoadError::Unreadable(msg) => Diagnostic::new(
            Code::FileUnreadable,
            Location::file(shown),
            format!("Không mở được tệp: {msg}.\nMở tệp bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại."),
        ),
        LoadError::Refused(Refusal::TooLarge(what)) => Diagnostic::new(
            Code::OverLimit,
            Location::file(shown),
            format!("Tệp không được đọc: {what}.\nBiểu báo cáo thật nhỏ hơn nhiều: mở tệp bằng Excel, xóa các trang và ô thừa, lưu lại rồi gửi lại (giới hạn đặt trong limits.toml)."),
        ),
        LoadError::Refused(Refusal::Entity(what)) => Diagnostic::new(
            Code::XmlEntity,
            Location::file(shown),
            format!("Tệp không được đọc: {what}.\nMở tệp bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại."),
        ),
    }
}

/// Formula texts of one sheet, read only when a value cell of the table is empty (a formula
/// without a cached value shows as empty): most files never pay for a second parse. Only the
/// rows and columns read are kept.
fn load_formulas(bytes: &[u8], sheet: &str, limits: &Limits) -> BTreeMap<(u32, u32), String> {
    let read = || -> Option<BTreeMap<(u32, u32), String>> {
        let mut out = BTreeMap::new();
        let mut keep = |r: u32, c: u32, f: &str| {
            if !f.is_empty() && r < limits.rows && c < limits.columns && out.len() < 100_000 {
                out.insert((r, c), f.to_string());
            }
        };
        match open_workbook_auto_from_rs(Cursor::new(bytes)).ok()? {
            Sheets::Xlsx(mut x) => {
                let mut reader = x.worksheet_cells_reader(sheet).ok()?;
                while let Ok(Some(cell)) = reader.next_formula() {
                    let (r, c) = cell.get_position();
                    keep(r, c, cell.get_value());
                }
            }
            mut other => {
                let formulas = other.worksheet_formula(sheet).ok()?;
                let (r0, c0) = formulas.start()?;
                for (r, c, f) in formulas.used_cells() {
                    keep(r0 + r as u32, c0 + c as u32, f);
                }
            }
        }
        Some(out)
    };
    std::panic::catch_unwind(read)
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn describe(e: &str) -> String {
    let lower = e.to_lowercase();
    if lower.contains("zip") || lower.contains("invalid") || lower.contains("cfb") {
        format!("tệp không phải là bảng tính Excel hợp lệ ({e})")
    } else if lower.contains("password") || lower.contains("encrypt") {
        format!("tệp được bảo vệ bằng mật khẩu ({e})")
    } else {
        e.to_string()
    }
}

fn convert(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => Cell::Date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(format!("{e}")),
    }
}

fn convert_ref(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => Cell::Date(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(format!("{e}")),
    }
}

/// Key/value rows of the metadata sheet.
fn read_meta(g: &Grid, shown: &str) -> BTreeMap<String, (String, Location)> {
    let mut out = BTreeMap::new();
    for (r, row) in g.rows.iter().enumerate() {
        if let (Some(k), Some(v)) = (
            row.first().and_then(Cell::text),
            row.get(1).and_then(Cell::text),
        ) {
            out.insert(
                k.trim().to_string(),
                (
                    v.trim().to_string(),
                    Location::cell(shown, &g.sheet, cell_ref(r as u32, 1)),
                ),
            );
        }
    }
    out
}

/// A unit whose name or agency name equals `name` (NFC, then folded).
pub(crate) fn unit_by_name(config: &Config, name: &str) -> Option<String> {
    let n = nfc(name);
    let f = fold(&n);
    config
        .units
        .iter()
        .find(|u| nfc(&u.name) == n || nfc(u.agency_name()) == n)
        .or_else(|| {
            config
                .units
                .iter()
                .find(|u| fold(&u.name) == f || fold(u.agency_name()) == f)
        })
        .map(|u| u.code.clone())
}

/// A unit whose code is a token of the file name, or whose name's slug is in it.
pub fn unit_by_file_name(config: &Config, stem: &str) -> Option<String> {
    let s = slug(stem);
    let tokens: Vec<&str> = stem.split(|c: char| !c.is_alphanumeric()).collect();
    if let Some(u) = config
        .units
        .iter()
        .find(|u| tokens.iter().any(|t| t.eq_ignore_ascii_case(&u.code)))
    {
        return Some(u.code.clone());
    }
    // The longest matching name wins ("xa-phuoc-an" must not take "xa-phuoc-an-dong").
    config
        .units
        .iter()
        .filter(|u| {
            let us = slug(&u.name);
            s == us
                || s.starts_with(&format!("{us}-"))
                || s.ends_with(&format!("-{us}"))
                || s.contains(&format!("-{us}-"))
        })
        .max_by_key(|u| slug(&u.name).len())
        .map(|u| u.code.clone())
}

/// A period code among the file name's tokens: "2026-10", "202610", "2026-Q3", "2026_q3".
fn period_in_file_name(stem: &str) -> Option<Period> {
    let tokens: Vec<&str> = stem.split(['_', ' ', '.']).collect();
    for t in &tokens {
        for part in t.split('-').collect::<Vec<_>>().windows(2) {
            if let Ok(p) = format!("{}-{}", part[0], part[1]).parse::<Period>() {
                return Some(p);
            }
        }
        if t.len() >= 6 {
            if let Ok(p) = t.parse::<Period>() {
                return Some(p);
            }
        }
    }
    None
}

/// What a report file says it is, before any batch judges it (`nhan` routes mail attachments
/// by it): the regime, period and unit its metadata sheet records, else the unit and period
/// its file name gives. Nothing where the file cannot be read.
pub fn claimed(
    bytes: &[u8],
    name: &str,
    config: &Config,
) -> (Option<String>, Option<Period>, Option<String>) {
    let mut scratch = FileReport {
        file: name.to_string(),
        unit_hint: None,
        submissions: Vec::new(),
        diagnostics: Vec::new(),
        sha256: String::new(),
        size: 0,
        modified: None,
    };
    let meta = load_or_say(bytes, name, &config.limits, &mut scratch)
        .and_then(|sheets| sheets.into_iter().find(|g| g.sheet == META_SHEET))
        .map(|g| read_meta(&g, name))
        .unwrap_or_default();
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let regime = meta.get("regime").map(|(v, _)| v.clone());
    let period = meta
        .get("period")
        .and_then(|(v, _)| v.parse().ok())
        .or_else(|| period_in_file_name(&stem));
    let unit = meta
        .get("unit")
        .map(|(v, _)| v.clone())
        .or_else(|| unit_by_file_name(config, &stem));
    (regime, period, unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_in_file_names() {
        assert_eq!(
            period_in_file_name("xa-phuoc-an-2026-10"),
            "2026-10".parse().ok()
        );
        assert_eq!(
            period_in_file_name("bao_cao_202610"),
            "2026-10".parse().ok()
        );
        assert_eq!(period_in_file_name("99011_2026-Q3"), "2026-Q3".parse().ok());
        assert_eq!(period_in_file_name("xa-phuoc-an"), None);
    }
}
