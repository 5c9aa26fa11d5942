//! The task register (sổ theo dõi nhiệm vụ, Quyết định 42/2014) from xlsx or csv: found by its
//! header labels like the indicator forms; units matched to the config's unit tree; dates from
//! Excel dates, serial numbers and dd/mm/yyyy text. Rows with blocking problems are left out
//! with a diagnostic; the rest go on.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Days, NaiveDate};

use super::grid::{Cell, Grid};
use super::workbook::{load_error, load_sheets, unit_by_name};
use crate::catalog::Config;
use crate::diag::{cell_ref, Code, Diagnostic, Location};
use crate::schedule::vn_date;
use crate::tasks::{summarize, Summary, Task};
use crate::text::{fold, nfc};

/// What reading a register gave.
#[derive(Debug, Default)]
pub struct Register {
    pub tasks: Vec<Task>,
    pub diagnostics: Vec<Diagnostic>,
    /// Sheet the register was found on.
    pub sheet: String,
    /// The hidden metadata sheet's keys and values (an update form says which register, unit
    /// and as-of date it was made for).
    pub meta: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Code,
    Content,
    Document,
    Assigned,
    Assigner,
    Lead,
    Coordinating,
    Extended,
    Deadline,
    Completed,
    Progress,
    Explanation,
    ExtensionRequest,
    Attachments,
    Updated,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Code => "Mã nhiệm vụ",
            Field::Content => "Nội dung nhiệm vụ",
            Field::Document => "Văn bản giao",
            Field::Assigned => "Ngày giao",
            Field::Assigner => "Cơ quan giao",
            Field::Lead => "Đơn vị chủ trì",
            Field::Coordinating => "Đơn vị phối hợp",
            Field::Extended => "Thời hạn điều chỉnh",
            Field::Deadline => "Thời hạn",
            Field::Completed => "Ngày hoàn thành",
            Field::Progress => "Tiến độ / kết quả",
            Field::Explanation => "Giải trình",
            Field::ExtensionRequest => "Đề xuất gia hạn",
            Field::Attachments => "Văn bản, tệp kèm theo",
            Field::Updated => "Ngày cập nhật",
        }
    }

    /// Which field a folded header label names (most specific first).
    fn of(l: &str) -> Option<Field> {
        Some(if l.contains("ma nhiem vu") || l == "ma" {
            Field::Code
        } else if l.contains("de xuat") {
            Field::ExtensionRequest
        } else if l.contains("tep kem") {
            Field::Attachments
        } else if l.contains("ngay cap nhat") {
            Field::Updated
        } else if l.contains("noi dung") {
            Field::Content
        } else if l.contains("van ban") {
            Field::Document
        } else if l.contains("ngay giao") {
            Field::Assigned
        } else if l.contains("co quan giao") || l.contains("nguoi giao") {
            Field::Assigner
        } else if l.contains("chu tri") {
            Field::Lead
        } else if l.contains("phoi hop") {
            Field::Coordinating
        } else if l.contains("dieu chinh") || l.contains("gia han") {
            Field::Extended
        } else if l.contains("thoi han") || l.contains("han hoan thanh") {
            Field::Deadline
        } else if l.contains("ngay hoan thanh") {
            Field::Completed
        } else if l.contains("tien do") || l.contains("ket qua") {
            Field::Progress
        } else if l.contains("giai trinh") {
            Field::Explanation
        } else {
            return None;
        })
    }
}

const REQUIRED: [Field; 3] = [Field::Content, Field::Lead, Field::Deadline];

/// A date from an Excel serial number (the 1900 system; serials from 1 March 1900 on).
pub fn from_excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(61.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(serial.floor() as u64))
}

use crate::schedule::parse_date_text;

/// Reads a register file.
pub fn read_register(config: &Config, path: &Path, shown: &str) -> Register {
    let mut reg = Register::default();
    let Some(grids) = load_grids(config, path, shown, &mut reg.diagnostics) else {
        return reg;
    };
    if let Some(g) = grids.iter().find(|g| g.sheet == crate::model::META_SHEET) {
        for r in 0..g.height().min(50) {
            if let (Cell::Text(k), Cell::Text(v)) = (g.get(r, 0), g.get(r, 1)) {
                reg.meta.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }
    let Some((grid, header, cols)) = find_header(&grids) else {
        reg.diagnostics.push(Diagnostic::new(
            Code::RegisterColumns,
            Location::file(shown),
            "Không tìm thấy dòng tiêu đề của sổ nhiệm vụ (cần các cột \"Nội dung nhiệm vụ\", \"Đơn vị chủ trì\", \"Thời hạn\").\nDùng dòng tiêu đề: Mã nhiệm vụ, Nội dung nhiệm vụ, Văn bản giao, Ngày giao, Cơ quan giao, Đơn vị chủ trì, Đơn vị phối hợp, Thời hạn, Thời hạn điều chỉnh, Ngày hoàn thành, Tiến độ / kết quả, Giải trình.",
        ));
        return reg;
    };
    reg.sheet = grid.sheet.clone();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|f| !cols.contains_key(f))
        .map(|f| f.label())
        .collect();
    if !missing.is_empty() {
        reg.diagnostics.push(Diagnostic::new(
            Code::RegisterColumns,
            Location::cell(shown, &grid.sheet, cell_ref(header, 0)),
            format!(
                "Sổ nhiệm vụ thiếu cột: {}.\nThêm các cột này vào dòng tiêu đề rồi chạy lại.",
                missing.join(", ")
            ),
        ));
        return reg;
    }
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for r in header + 1..grid.height() {
        let row = TaskRow {
            config,
            grid,
            cols: &cols,
            shown,
            r,
        };
        if row.is_blank() {
            continue;
        }
        if let Some(task) = row.read(&mut seen, &mut reg.diagnostics) {
            reg.tasks.push(task);
        }
    }
    reg
}

/// The sheets of a register (a CSV file as one sheet); `None` with the diagnostic of why it
/// could not be read.
fn load_grids(
    config: &Config,
    path: &Path,
    shown: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Grid>> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext != "csv" {
        return load_workbook(config, path, shown, diags);
    }
    match csv_grid(path, &config.limits) {
        Ok(g) => Some(vec![g]),
        Err(e) => {
            diags.push(Diagnostic::new(
                Code::FileUnreadable,
                Location::file(shown),
                format!("Không đọc được sổ nhiệm vụ: {e}."),
            ));
            None
        }
    }
}

/// The sheets of a register workbook, within the limits; `None` with the diagnostic of why
/// it could not be read.
fn load_workbook(
    config: &Config,
    path: &Path,
    shown: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Grid>> {
    let bytes = match super::read_bounded(path, config.limits.file_bytes) {
        Ok(Ok(b)) => b,
        Ok(Err(len)) => {
            diags.push(Diagnostic::new(
                Code::OverLimit,
                Location::file(shown),
                format!(
                    "Sổ nhiệm vụ không được đọc: tệp lớn {} MB, quá giới hạn {} MB (limits.toml).",
                    len >> 20,
                    config.limits.file_bytes >> 20
                ),
            ));
            return None;
        }
        Err(e) => {
            diags.push(Diagnostic::new(
                Code::FileUnreadable,
                Location::file(shown),
                format!("Không mở được sổ nhiệm vụ: {}.", crate::fault::reason(&e)),
            ));
            return None;
        }
    };
    match std::panic::catch_unwind(|| load_sheets(&bytes, &config.limits)) {
        Ok(Ok(loaded)) => Some(loaded.sheets),
        Ok(Err(e)) => {
            diags.push(load_error(&e, shown));
            None
        }
        Err(_) => {
            diags.push(Diagnostic::new(
                Code::FileUnreadable,
                Location::file(shown),
                "Không mở được sổ nhiệm vụ: cấu trúc tệp bị hỏng.",
            ));
            None
        }
    }
}

/// The header row: the first row (of any sheet, among its first 40) naming a task's content
/// and its lead unit, with the sheet and each field's column.
fn find_header(grids: &[Grid]) -> Option<(&Grid, u32, BTreeMap<Field, u32>)> {
    for g in grids {
        for r in 0..g.height().min(40) {
            let fields: BTreeMap<Field, u32> = g.rows[r as usize]
                .iter()
                .enumerate()
                .filter_map(|(c, cell)| {
                    Field::of(&fold(cell.text().unwrap_or(""))).map(|f| (f, c as u32))
                })
                .rev()
                .collect();
            if fields.contains_key(&Field::Content) && fields.contains_key(&Field::Lead) {
                return Some((g, r, fields));
            }
        }
    }
    None
}

/// One row of the register below its header.
struct TaskRow<'a> {
    config: &'a Config,
    grid: &'a Grid,
    cols: &'a BTreeMap<Field, u32>,
    shown: &'a str,
    r: u32,
}

/// The diagnostics of a row, and whether one of them leaves the row out.
struct Said<'d> {
    diags: &'d mut Vec<Diagnostic>,
    blocked: bool,
}

impl Said<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.blocked |= d.is_blocking();
        self.diags.push(d);
    }
}

impl TaskRow<'_> {
    /// The cell of a field on this row (column A where the field has no column).
    fn loc(&self, f: Field) -> Location {
        Location::cell(
            self.shown,
            &self.grid.sheet,
            cell_ref(self.r, self.cols.get(&f).copied().unwrap_or(0)),
        )
    }

    /// A field's text (NFC), a number as it reads; empty where the field has no column.
    fn text(&self, f: Field) -> String {
        self.cols
            .get(&f)
            .map(|c| match self.grid.get(self.r, *c) {
                Cell::Text(t) => nfc(t),
                Cell::Number(n) => n.to_string(),
                _ => String::new(),
            })
            .unwrap_or_default()
    }

    /// Every column of the header is empty (or blank text) on this row.
    fn is_blank(&self) -> bool {
        self.cols.values().all(|c| match self.grid.get(self.r, *c) {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        })
    }

    /// The row's task; `None` where a problem said blocks it. `seen` holds the row of each
    /// task code read so far.
    fn read(&self, seen: &mut BTreeMap<String, u32>, diags: &mut Vec<Diagnostic>) -> Option<Task> {
        let r = self.r;
        let code = self.text(Field::Code);
        let content = self.text(Field::Content);
        let who = if code.is_empty() {
            format!("Dòng {}", r + 1)
        } else {
            format!("Nhiệm vụ {code}")
        };
        let mut said = Said {
            diags,
            blocked: false,
        };
        self.check_code_and_content(&code, &content, seen, &mut said);
        let assigned_on = self.date(Field::Assigned, &who, &mut said);
        let deadline = self.date(Field::Deadline, &who, &mut said);
        let extended = self.date(Field::Extended, &who, &mut said);
        let completed_on = self.date(Field::Completed, &who, &mut said);
        let extension_request = self.date(Field::ExtensionRequest, &who, &mut said);
        let updated_on = self.date(Field::Updated, &who, &mut said);
        if let (Some(a), Some(c)) = (assigned_on, completed_on) {
            if c < a {
                said.push(Diagnostic::new(Code::CompletedBeforeAssigned, self.loc(Field::Completed), format!("{who}: ngày hoàn thành {} trước ngày giao {}.\nKiểm tra lại hai ngày; nhiệm vụ này chưa được tính.", vn_date(c), vn_date(a))));
            }
        }
        let lead = self.lead(&who, &mut said);
        if said.blocked {
            return None;
        }
        Some(Task {
            code: if code.is_empty() {
                format!("D{}", r + 1)
            } else {
                code
            },
            content,
            document: self.text(Field::Document),
            assigned_on,
            assigner: self.text(Field::Assigner),
            lead: lead.expect("not blocked"),
            coordinating: self.text(Field::Coordinating),
            deadline,
            extended,
            completed_on,
            progress: self.text(Field::Progress),
            explanation: self.text(Field::Explanation),
            extension_request,
            attachments: self.text(Field::Attachments),
            updated_on,
            row: r + 1,
        })
    }

    /// Says a row with figures but no content (or no code, where the register has codes), and
    /// a code already seen on an earlier row (else notes this row as the code's).
    fn check_code_and_content(
        &self,
        code: &str,
        content: &str,
        seen: &mut BTreeMap<String, u32>,
        said: &mut Said<'_>,
    ) {
        let r = self.r;
        if content.is_empty() || (self.cols.contains_key(&Field::Code) && code.is_empty()) {
            let f = if content.is_empty() {
                Field::Content
            } else {
                Field::Code
            };
            said.push(Diagnostic::new(Code::TaskIncomplete, self.loc(f), format!("Dòng {} có số liệu nhưng thiếu {}.\nBổ sung rồi chạy lại; dòng này chưa được tính.", r + 1, f.label().to_lowercase())));
        }
        if !code.is_empty() {
            if let Some(first) = seen.get(code) {
                said.push(Diagnostic::new(Code::DuplicateTask, self.loc(Field::Code), format!("Mã nhiệm vụ {code} đã có ở dòng {first}; dòng {} không được tính.\nĐặt mã riêng cho mỗi nhiệm vụ.", r + 1)));
            } else {
                seen.insert(code.to_string(), r + 1);
            }
        }
    }

    /// A date field: an Excel date or serial, or dd/mm/yyyy text; `None` where empty (or a
    /// deadline "thường xuyên"), or not a date (said).
    fn date(&self, f: Field, who: &str, said: &mut Said<'_>) -> Option<NaiveDate> {
        let c = *self.cols.get(&f)?;
        let cell = self.grid.get(self.r, c);
        let parsed = match cell {
            Cell::Empty => return None,
            Cell::Date(s) | Cell::Number(s) => from_excel_serial(*s),
            Cell::Text(t) if t.trim().is_empty() => return None,
            Cell::Text(t) if f == Field::Deadline && fold(t).contains("thuong xuyen") => {
                return None
            }
            Cell::Text(t) => parse_date_text(t),
            _ => None,
        };
        if parsed.is_none() {
            let shown_value = match cell {
                Cell::Text(t) => t.clone(),
                Cell::Number(n) | Cell::Date(n) => n.to_string(),
                Cell::Error(e) => e.clone(),
                _ => String::new(),
            };
            said.push(Diagnostic::new(Code::InvalidDate, self.loc(f), format!("{who}: \"{shown_value}\" ở cột {} không phải ngày hợp lệ.\nGhi ngày dạng 15/10/2026 hoặc nhập ô dạng ngày.", f.label())));
        }
        parsed
    }

    /// The lead unit's code: by code, by name (NFC), else by name without accents and case
    /// (said); `None` where no unit matches (said).
    fn lead(&self, who: &str, said: &mut Said<'_>) -> Option<String> {
        let config = self.config;
        let lead_text = self.text(Field::Lead);
        match config.units.get(lead_text.trim()) {
            Some(u) => Some(u.code.clone()),
            None => {
                let exact = config
                    .units
                    .iter()
                    .find(|u| nfc(&u.name) == lead_text || nfc(u.agency_name()) == lead_text)
                    .map(|u| u.code.clone());
                match exact {
                    Some(c) => Some(c),
                    None => match unit_by_name(config, &lead_text) {
                        Some(c) => {
                            let name = config
                                .units
                                .get(&c)
                                .map(|u| u.name.clone())
                                .unwrap_or_default();
                            said.push(Diagnostic::new(Code::FuzzyUnitMatch, self.loc(Field::Lead), format!("\"{lead_text}\" được hiểu là {name} ({c}) (khớp khi bỏ dấu và chữ hoa/thường).\nGhi đúng tên hoặc mã đơn vị.")));
                            Some(c)
                        }
                        None => {
                            said.push(Diagnostic::new(Code::UnknownLeadUnit, self.loc(Field::Lead), format!("{who}: đơn vị chủ trì \"{lead_text}\" không có trong danh mục đơn vị.\nGhi mã hoặc tên đơn vị như trong units.toml.")));
                            None
                        }
                    },
                }
            }
        }
    }
}

/// Flags tasks completed late without an explanation, as of `as_of`.
pub fn explanation_warnings(
    config: &Config,
    reg: &Register,
    shown: &str,
    as_of: NaiveDate,
) -> Vec<Diagnostic> {
    reg.tasks
        .iter()
        .filter(|t| t.late_without_explanation(as_of))
        .map(|t| {
            let unit = config.units.get(&t.lead).map(|u| u.name.clone()).unwrap_or_default();
            Diagnostic::new(
                Code::LateWithoutExplanation,
                Location::cell(shown, &reg.sheet, format!("dòng {}", t.row)),
                format!(
                    "Nhiệm vụ {} ({unit}) hoàn thành {}, quá hạn {}, nhưng chưa có giải trình.\nĐề nghị đơn vị chủ trì bổ sung giải trình.",
                    t.code,
                    t.completed_on.map(vn_date).unwrap_or_default(),
                    t.due().map(vn_date).unwrap_or_default()
                ),
            )
        })
        .collect()
}

fn csv_grid(path: &Path, limits: &crate::model::Limits) -> Result<Grid, String> {
    let bytes =
        match super::read_bounded(path, limits.file_bytes).map_err(|e| crate::fault::reason(&e))? {
            Ok(b) => b,
            Err(len) => {
                return Err(format!(
                    "tệp lớn {} MB, quá giới hạn {} MB (limits.toml)",
                    len >> 20,
                    limits.file_bytes >> 20
                ))
            }
        };
    let text = super::csv_text(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        if rows.len() as u64 >= limits.csv_rows {
            return Err(format!("tệp có hơn {} dòng (limits.toml)", limits.csv_rows));
        }
        rows.push(
            rec.iter()
                .map(|s| {
                    if s.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(Grid {
        sheet: String::new(),
        rows,
    })
}

/// Reads the register and summarizes it: (tasks, summary, diagnostics).
pub fn load(
    config: &Config,
    register: &std::path::Path,
    as_of: NaiveDate,
    within: u32,
) -> (Vec<Task>, Summary, Vec<Diagnostic>) {
    let shown = register
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let reg = read_register(config, register, &shown);
    let mut diags = reg.diagnostics.clone();
    diags.extend(explanation_warnings(config, &reg, &shown, as_of));
    let summary = summarize(&reg.tasks, as_of, within, config.task_rate);
    (reg.tasks, summary, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials_and_text_dates() {
        assert_eq!(
            from_excel_serial(46310.0),
            NaiveDate::from_ymd_opt(2026, 10, 15)
        );
        assert_eq!(
            from_excel_serial(45292.0),
            NaiveDate::from_ymd_opt(2024, 1, 1)
        );
        assert_eq!(from_excel_serial(-3.0), None);
        assert_eq!(
            parse_date_text("15/10/2026"),
            NaiveDate::from_ymd_opt(2026, 10, 15)
        );
        assert_eq!(
            parse_date_text("5/1/2026"),
            NaiveDate::from_ymd_opt(2026, 1, 5)
        );
        assert_eq!(
            parse_date_text("2026-10-15"),
            NaiveDate::from_ymd_opt(2026, 10, 15)
        );
        assert_eq!(parse_date_text("31/02/2026"), None);
    }
}
