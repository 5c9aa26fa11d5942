//! Drafting a regime's config from an official Excel form (biểu mẫu ban hành kèm văn bản).
//!
//! Owns reading such a form into plain data — form number and title, the header tree of its
//! columns (merged groups of depth 1–3), the numbering row's kind, the body rows with their
//! STT and labels — and turning the rows into dimensions (`body`). `write` turns the result
//! into the text of `regime.toml`, `indicators/<id>.toml`, the outline and `units.toml`, every
//! decision a person must make marked `# TODO`. Reading goes through `ingest::workbook` (its
//! limits and its cell-by-cell reader), merged regions through calamine. Never panics on a bad
//! file: every problem is a Vietnamese message naming the file, sheet and cell.

mod body;
mod header;
mod widths;
pub mod write;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use calamine::{open_workbook_auto_from_rs, Dimensions, Sheets};

use crate::catalog::Numbering;
use crate::ingest::workbook::{load_sheets, LoadError};
use crate::ingest::{Cell, Grid, META_SHEET};
use crate::model::Limits;

pub use body::{ascii_code, Dim, PlannedRow, RowKind, Selector};
pub use header::detect_numbering;

/// Rows and columns read from a sheet: an official form is far smaller.
pub const MAX_ROWS: u32 = 2000;
pub const MAX_COLUMNS: u32 = 200;

/// A value column of the form: its header path and its width.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header groups above the label, outermost first.
    pub group: Vec<String>,
    pub label: String,
    pub width: f64,
}

/// A body row as printed: STT and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub stt: String,
    pub label: String,
}

/// An official form, read.
#[derive(Debug, Clone, Default)]
pub struct FormDraft {
    /// The file name of the source (no folder) and the sheet read.
    pub source: String,
    pub sheet: String,
    /// "Biểu số 01/TCD".
    pub number: Option<String>,
    /// The title in capitals.
    pub title: Option<String>,
    /// Other lines above the table ("Đơn vị báo cáo: …", "Kỳ báo cáo …", "Ban hành kèm theo …").
    pub hints: Vec<String>,
    /// "Đơn vị tính: người" above the table: the unit of measure.
    pub unit_hint: Option<String>,
    /// Header of the numbering column and of the row-label column.
    pub stt: String,
    pub stub: String,
    pub stub_width: f64,
    pub numbering: Numbering,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// What a person must check, one line each (a `# TODO` of the draft).
    pub notes: Vec<String>,
}

/// A sheet as read: its cells and merged regions.
pub(crate) struct Sheet<'a> {
    pub grid: &'a Grid,
    merges: &'a [Dimensions],
    /// Cell → index of the merged region covering it.
    covered: BTreeMap<(u32, u32), usize>,
    /// Column widths the sheet sets (xlsx only), by column index.
    pub widths: BTreeMap<u32, f64>,
}

impl<'a> Sheet<'a> {
    pub(crate) fn new(grid: &'a Grid, merges: &'a [Dimensions]) -> Sheet<'a> {
        let mut covered = BTreeMap::new();
        // Only merges inside the area read matter, and a hostile sheet may merge a million
        // cells: at most 200,000 cells are indexed.
        'merges: for (i, m) in merges.iter().enumerate() {
            for r in m.start.0..=m.end.0.min(MAX_ROWS) {
                for c in m.start.1..=m.end.1.min(MAX_COLUMNS) {
                    if covered.len() >= 200_000 {
                        break 'merges;
                    }
                    covered.insert((r, c), i);
                }
            }
        }
        Sheet {
            grid,
            merges,
            covered,
            widths: BTreeMap::new(),
        }
    }

    /// The text of a cell (numbers written without ".0"), NFC, whitespace collapsed.
    pub(crate) fn text(&self, r: u32, c: u32) -> String {
        match self.grid.get(r, c) {
            Cell::Text(s) => crate::text::nfc(s),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            _ => String::new(),
        }
    }

    /// The merged region that holds `(r, c)`: its first and last cell; a lone cell otherwise.
    pub(crate) fn region(&self, r: u32, c: u32) -> ((u32, u32), (u32, u32)) {
        match self.covered.get(&(r, c)) {
            Some(&i) => (self.merges[i].start, self.merges[i].end),
            None => ((r, c), (r, c)),
        }
    }

    pub(crate) fn height(&self) -> u32 {
        self.grid.height().min(MAX_ROWS)
    }

    pub(crate) fn width(&self) -> u32 {
        self.grid
            .rows
            .iter()
            .map(|r| r.len() as u32)
            .max()
            .unwrap_or(0)
            .min(MAX_COLUMNS)
    }
}

/// Reads the form in `path` (sheet `sheet`, or the first sheet with a table).
pub fn read_form(path: &Path, sheet: Option<&str>) -> Result<FormDraft, String> {
    let shown = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string());
    let limits = Limits {
        rows: MAX_ROWS,
        columns: MAX_COLUMNS,
        ..Limits::default()
    };
    let size = std::fs::metadata(path)
        .map_err(|e| {
            format!(
                "không đọc được tệp biểu mẫu {}: {}",
                path.display(),
                crate::fault::reason(&e)
            )
        })?
        .len();
    if !path.is_file() {
        return Err(format!("{} không phải là tệp", path.display()));
    }
    if size > limits.file_bytes {
        return Err(format!(
            "tệp {shown} lớn {size} byte, quá giới hạn {} byte của một biểu mẫu",
            limits.file_bytes
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| format!("không đọc được tệp {shown}: {}", crate::fault::reason(&e)))?;
    let loaded = std::panic::catch_unwind(|| load_sheets(&bytes, &limits))
        .map_err(|_| format!("không mở được tệp {shown}: cấu trúc tệp bị hỏng"))?
        .map_err(|e| load_message(&e, &shown))?;
    let grids: Vec<&Grid> = loaded
        .sheets
        .iter()
        .filter(|g| g.sheet != META_SHEET)
        .collect();
    if grids
        .iter()
        .all(|g| g.rows.iter().all(|r| r.iter().all(|c| *c == Cell::Empty)))
    {
        return Err(format!("tệp {shown} không có trang tính nào có dữ liệu"));
    }
    let names: Vec<&str> = grids.iter().map(|g| g.sheet.as_str()).collect();
    let chosen: Vec<&Grid> = match sheet {
        Some(name) => {
            let g = grids.iter().find(|g| g.sheet == name).ok_or_else(|| {
                format!(
                    "tệp {shown} không có trang \"{name}\"; các trang có: {}",
                    names.join(", ")
                )
            })?;
            vec![*g]
        }
        None => grids.clone(),
    };
    let mut first_error = None;
    for grid in chosen {
        let merges = merges_of(&bytes, &grid.sheet);
        let mut sheet = Sheet::new(grid, &merges);
        sheet.widths = widths::column_widths(&bytes, &grid.sheet, &limits);
        match header::read_table(&sheet) {
            Ok(mut form) => {
                form.source = shown.clone();
                form.sheet = grid.sheet.clone();
                if let Some((_, r, c)) = loaded.outside.iter().find(|o| o.0 == grid.sheet) {
                    form.notes.push(format!(
                        "trang có dữ liệu ở ô {} ngoài vùng được đọc ({MAX_ROWS} dòng × {MAX_COLUMNS} cột đầu): phần đó bị bỏ qua",
                        crate::diag::cell_ref(*r, *c)
                    ));
                }
                return Ok(form);
            }
            Err(e) => {
                first_error.get_or_insert(format!("{shown}, trang \"{}\": {e}", grid.sheet));
            }
        }
    }
    Err(first_error.unwrap_or_else(|| format!("tệp {shown} không có bảng nào")))
}

/// The merged regions of a sheet, from calamine (xlsx and xls; none for other formats or when
/// they cannot be read).
fn merges_of(bytes: &[u8], sheet: &str) -> Vec<Dimensions> {
    let read = || -> Option<Vec<Dimensions>> {
        match open_workbook_auto_from_rs(Cursor::new(bytes)).ok()? {
            Sheets::Xlsx(mut x) => x.merge_cells_by_sheet_name(sheet).ok(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(sheet).ok(),
            _ => None,
        }
    };
    let mut merges = std::panic::catch_unwind(read)
        .ok()
        .flatten()
        .unwrap_or_default();
    merges.sort_by_key(|m| (m.start, m.end));
    merges.truncate(10_000);
    merges
}

/// A load error in Vietnamese, naming the file.
fn load_message(e: &LoadError, shown: &str) -> String {
    use crate::ingest::limits::Refusal;
    match e {
        LoadError::Unreadable(msg) => format!(
            "không mở được tệp {shown}: {msg} (cần tệp Excel .xlsx hoặc .xls, không đặt mật khẩu)"
        ),
        LoadError::Refused(Refusal::TooLarge(what)) => {
            format!("tệp {shown} không được đọc: {what}")
        }
        LoadError::Refused(Refusal::Entity(what)) => {
            format!("tệp {shown} không được đọc: {what}")
        }
    }
}

/// Why a draft was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftError {
    /// Bad input or arguments: a usage error.
    Usage(String),
    /// A file could not be written.
    Io(crate::fault::Fault),
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub draft: write::Draft,
    pub form: FormDraft,
}

/// Whether `id` can name a regime folder: ASCII letters, digits, '-' and '_', starting with a
/// letter or digit.
fn valid_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads `form_path` and writes the draft of regime `id` under the config root `out`. Existing
/// regime, indicator or outline files are refused unless `force`; an existing `units.toml` is
/// kept and its levels used. Nothing is written when the form cannot be read.
pub fn draft_config(
    form_path: &Path,
    id: &str,
    out: &Path,
    sheet: Option<&str>,
    force: bool,
) -> Result<Written, DraftError> {
    if !valid_id(id) {
        return Err(DraftError::Usage(format!(
            "mã chế độ \"{id}\" không hợp lệ: chỉ dùng chữ cái không dấu, chữ số, dấu - và _ (ví dụ tcd)"
        )));
    }
    let form = read_form(form_path, sheet).map_err(DraftError::Usage)?;
    let units_path = out.join("units.toml");
    let units = if units_path.is_file() {
        let text = std::fs::read_to_string(&units_path).map_err(|e| {
            DraftError::Usage(format!(
                "không đọc được {}: {}",
                units_path.display(),
                crate::fault::reason(&e)
            ))
        })?;
        write::units_of(&text)
            .map_err(|e| DraftError::Usage(format!("{}: {e}", units_path.display())))?
    } else {
        write::new_units(&form)
    };
    let draft = write::draft(&form, id, &units).map_err(DraftError::Usage)?;
    if !force {
        for (rel, _) in &draft.files {
            let path = out.join(rel);
            if path.exists() && rel != Path::new("units.toml") {
                return Err(DraftError::Usage(format!(
                    "{} đã có; không ghi đè cấu hình đang có (thêm --force để ghi đè, hoặc chọn --id khác)",
                    path.display()
                )));
            }
        }
    }
    for (rel, text) in &draft.files {
        let path = out.join(rel);
        let kept = "Các tệp đã ghi trước đó vẫn nguyên vẹn, không tệp nào bị ghi dở: chạy lại lệnh (với --force) để ghi nốt.";
        crate::fault::write_file(&path, text.as_bytes(), kept).map_err(DraftError::Io)?;
    }
    Ok(Written { draft, form })
}
